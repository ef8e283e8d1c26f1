-- demo.sql -- demo data for `make run` only; never part of a production seed.
-- The five demo logins of DESIGN §4, all with the password
-- demo-password-2026 (argon2id, libsodium's interactive cost). Idempotent:
-- existing accounts are left as they are.
INSERT INTO users (email, full_name, role, locale, college_code, email_verified, password_hash)
VALUES
    ('super@demo.example.edu',    'Demo Super Admin', 'super_admin', 'en',    NULL, true,
     '$argon2id$v=19$m=65536,t=2,p=1$P5L8c/0HCEN8pY06qFZLvQ$ZATW3XdoUY5KY0NMSQTCXvWQ/L6cYkTfyOb0eWsxIGY'),
    ('admin@demo.example.edu',    'Demo Scholarship Office', 'admin', 'en', NULL, true,
     '$argon2id$v=19$m=65536,t=2,p=1$P5L8c/0HCEN8pY06qFZLvQ$ZATW3XdoUY5KY0NMSQTCXvWQ/L6cYkTfyOb0eWsxIGY'),
    ('college@demo.example.edu',  'Demo College Staff', 'college', 'zh-TW', 'EE', true,
     '$argon2id$v=19$m=65536,t=2,p=1$P5L8c/0HCEN8pY06qFZLvQ$ZATW3XdoUY5KY0NMSQTCXvWQ/L6cYkTfyOb0eWsxIGY'),
    ('reviewer@demo.example.edu', 'Demo Reviewer', 'reviewer', 'en', NULL, true,
     '$argon2id$v=19$m=65536,t=2,p=1$P5L8c/0HCEN8pY06qFZLvQ$ZATW3XdoUY5KY0NMSQTCXvWQ/L6cYkTfyOb0eWsxIGY'),
    ('student@demo.example.edu',  'Demo Student', 'student', 'zh-TW', 'EE', true,
     '$argon2id$v=19$m=65536,t=2,p=1$P5L8c/0HCEN8pY06qFZLvQ$ZATW3XdoUY5KY0NMSQTCXvWQ/L6cYkTfyOb0eWsxIGY')
ON CONFLICT DO NOTHING;

-- Student records (migration 0007): 300 generated students spread over
-- every active department and the degrees it offers, with Taiwanese names,
-- plus the full record of student@demo.example.edu (linked to that login
-- by email). Personal data (national_id, birth_date, bank_account) is left
-- NULL here: it is sealed with AES-256-GCM by the API under
-- PII_ENCRYPTION_KEYS, which SQL does not know; `make run` then imports
-- schema/seed/demo-students.csv, which gives the demo student a full record.
-- Idempotent: existing student numbers are left as they are.
INSERT INTO students (student_number, name, name_en, email, gender, nationality, college_code,
                      department_code, degree, year_of_study, terms_enrolled, enrollment_status,
                      identity_category, gpa, class_rank_percent, advisor_email, source,
                      verified_at)
VALUES ('B11901001', '王小明', 'Wang Hsiao-Ming', 'student@demo.example.edu', 'M', 'TW', 'EE', 'EE',
        'bachelor', 3, 4, 'enrolled', 'general', 3.87, 8.5, 'reviewer@demo.example.edu', 'demo',
        now())
ON CONFLICT (student_number) DO NOTHING;

WITH dept AS (
    SELECT d.code, d.college_code, coalesce(d.degree_levels, ARRAY['bachelor']) AS levels,
           row_number() OVER (ORDER BY c.sort_order, d.sort_order, d.code) - 1 AS k,
           count(*) OVER () AS n
    FROM departments d JOIN colleges c ON c.code = d.college_code
    WHERE d.active AND c.active
), names AS (
    SELECT ARRAY['陳','林','黃','張','李','王','吳','劉','蔡','楊','許','鄭','謝','洪','郭','邱','曾','廖','賴','周'] AS sz,
           ARRAY['Chen','Lin','Huang','Chang','Li','Wang','Wu','Liu','Tsai','Yang','Hsu','Cheng','Hsieh','Hung','Kuo','Chiu','Tseng','Liao','Lai','Chou'] AS se,
           ARRAY['怡君','家豪','雅婷','冠宇','詩涵','承恩','宜蓁','柏翰','欣妤','宇軒','佳穎','彥廷','品妍','俊傑','思妤','建宏','郁婷','志明','婉婷','子軒','淑芬','宗翰','佩珊','冠廷'] AS gz,
           ARRAY['Yi-Chun','Chia-Hao','Ya-Ting','Kuan-Yu','Shih-Han','Cheng-En','Yi-Chen','Po-Han','Hsin-Yu','Yu-Hsuan','Chia-Ying','Yen-Ting','Pin-Yen','Chun-Chieh','Szu-Yu','Chien-Hung','Yu-Ting','Chih-Ming','Wan-Ting','Tzu-Hsuan','Shu-Fen','Tsung-Han','Pei-Shan','Kuan-Ting'] AS ge
), gen AS (
    SELECT i, d.code AS dept, d.college_code,
           d.levels[1 + (i / 7) % cardinality(d.levels)] AS degree
    FROM generate_series(1, 300) AS i
    JOIN dept d ON d.k = i % d.n
)
INSERT INTO students (student_number, name, name_en, email, gender, nationality, college_code,
                      department_code, degree, year_of_study, terms_enrolled, enrollment_status,
                      identity_category, gpa, class_rank_percent, advisor_email, source,
                      verified_at)
SELECT CASE g.degree WHEN 'bachelor' THEN 'B' WHEN 'master' THEN 'R' ELSE 'D' END
           || (110 + i % 4) || lpad(i::text, 5, '0'),
       n.sz[1 + i % 20] || n.gz[1 + (i * 7 + i / 20) % 24],
       n.se[1 + i % 20] || ' ' || n.ge[1 + (i * 7 + i / 20) % 24],
       lower(CASE g.degree WHEN 'bachelor' THEN 'b' WHEN 'master' THEN 'r' ELSE 'd' END
           || (110 + i % 4) || lpad(i::text, 5, '0')) || '@students.demo.example.edu',
       CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END,
       CASE WHEN i % 29 = 0 THEN 'MY' WHEN i % 31 = 0 THEN 'JP' ELSE 'TW' END,
       g.college_code, g.dept, g.degree,
       CASE g.degree WHEN 'bachelor' THEN 1 + i % 4 ELSE 1 + i % 2 END,
       CASE g.degree WHEN 'bachelor' THEN 2 * (i % 4) + 1 ELSE 2 * (i % 2) + 1 END,
       CASE WHEN i % 37 = 0 THEN 'leave' WHEN i % 53 = 0 THEN 'withdrawn' ELSE 'enrolled' END,
       CASE WHEN i % 29 = 0 OR i % 31 = 0 THEN 'international'
            WHEN i % 11 = 0 THEN 'low_income' WHEN i % 17 = 0 THEN 'indigenous'
            WHEN i % 19 = 0 THEN 'disability' ELSE 'general' END,
       round((2.2 + (i * 37 % 209) / 100.0)::numeric, 2),
       round(((i * 53) % 10000) / 100.0, 2),
       NULL, 'demo', now()
FROM gen g, names n
ON CONFLICT (student_number) DO NOTHING;
