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

-- ---- Scholarships, periods and applications (migrations 0008-0010) -------
-- Four active scholarships, each configured as the API would have written
-- it (every nested document passes the validators of lib/scholarships.c
-- and lib/periods.c, so the rows can be read and edited through the API),
-- and their rounds relative to today (Asia/Taipei midnights):
--   ACADEMIC-EXCELLENCE 2026-2  open: per-college quotas, budget, six rules
--                               (two warnings, one for a sub-type), a form
--                               of every field type, documents, rubric,
--                               regulations to accept. The demo student is
--                               eligible and has not applied: the demo
--                               shows applying.
--   ACADEMIC-EXCELLENCE 2026-1  closed: its decisions (the demo student's
--                               approved application among them).
--   RESEARCH-GRANT 2026-2       open, with a whitelist of student numbers.
--   FINANCIAL-AID 2026-1        closed; FINANCIAL-AID 2026-2 still a draft.
--   INTERNATIONAL 2026-2        open, without reviewer review.
-- Applications of other demo students in every status, each with its
-- status history, answers that fit the period's form, the eligibility
-- snapshot of its record, and an app_no; app_no_sequences is raised to
-- the highest number used, so the API numbers on from there. Those
-- students get accounts (their record's email, the demo password).
-- admin@demo.example.edu is granted every scholarship; the demo reviewer
-- is assigned to some applications of the open round.
-- Idempotent: rows are found by their natural keys (code, academic year
-- and term, app_no) and existing ones are left as they are.
BEGIN;

CREATE TEMP TABLE demo_clock ON COMMIT DROP AS
SELECT (date_trunc('day', now() AT TIME ZONE 'Asia/Taipei') AT TIME ZONE 'Asia/Taipei') AS d0;

INSERT INTO scholarships (code, name, name_en, description, description_en, sub_types,
                          sub_type_selection, currency, status, created_by)
SELECT v.code, v.name, v.name_en, v.description, v.description_en, v.sub_types::jsonb,
       v.selection, 'TWD', 'active', (SELECT id FROM users WHERE lower(email) = 'admin@demo.example.edu')
FROM (VALUES
    ('ACADEMIC-EXCELLENCE', '學業優異獎學金', 'Academic Excellence Scholarship',
     '獎勵學業表現優異之大學部及碩士班學生。可同時申請學雜費獎學金與生活助學金，由系所推薦、院級審查後核定。',
     'Rewards undergraduate and master''s students with outstanding grades. Students may apply for the tuition award and the living stipend at once; departments recommend, colleges review, the office decides.',
     '[{"code": "tuition", "name": "學雜費獎學金", "name_en": "Tuition award", "amount_cents": 2800000},
       {"code": "stipend", "name": "生活助學金", "name_en": "Living stipend", "amount_cents": 3600000}]',
     'multiple'),
    ('RESEARCH-GRANT', '研究生研究獎助學金', 'Graduate Research Grant',
     '支持碩、博士班學生專心投入研究。限經系所推薦列入名單之研究生申請。',
     'Supports master''s and doctoral students in their research. Open to graduate students nominated by their department.',
     '[{"code": "master", "name": "碩士班", "name_en": "Master''s", "amount_cents": 6000000},
       {"code": "phd", "name": "博士班", "name_en": "Doctoral", "amount_cents": 12000000}]',
     'single'),
    ('FINANCIAL-AID', '清寒助學金', 'Financial Need Grant',
     '協助低收入戶及中低收入戶學生安心就學。',
     'Helps students from low-income and middle-low-income households stay in school.',
     '[{"code": "low_income", "name": "低收入戶", "name_en": "Low-income household", "amount_cents": 2000000},
       {"code": "middle_low_income", "name": "中低收入戶", "name_en": "Middle-low-income household", "amount_cents": 1000000}]',
     'single'),
    ('INTERNATIONAL', '國際學生獎學金', 'International Student Scholarship',
     '提供學位國際學生每月生活補助。',
     'A monthly living allowance for international degree students.',
     '[{"code": "full", "name": "全額獎學金", "name_en": "Full award", "amount_cents": 4000000}]',
     'single')
) AS v (code, name, name_en, description, description_en, sub_types, selection)
ON CONFLICT DO NOTHING;

INSERT INTO scholarship_admins (user_id, scholarship_id, granted_by)
SELECT a.id, s.id, (SELECT id FROM users WHERE lower(email) = 'super@demo.example.edu')
FROM users a, scholarships s
WHERE lower(a.email) = 'admin@demo.example.edu'
  AND s.code IN ('ACADEMIC-EXCELLENCE', 'RESEARCH-GRANT', 'FINANCIAL-AID', 'INTERNATIONAL')
ON CONFLICT DO NOTHING;

-- The open round of ACADEMIC-EXCELLENCE, from 20 days ago to 60 days ahead.
INSERT INTO periods (scholarship_id, academic_year, term, label, opens_at, closes_at,
                     reviewer_review_ends_at, college_review_ends_at, requires_reviewer_review,
                     requires_college_review, quota_mode, quotas, budget_cents, disbursement_cycle,
                     whitelist, eligibility_rules, form_fields, required_documents, rubric,
                     terms_document, status)
SELECT s.id, 2026, 2, '115學年度第2學期 (2026-27 spring)',
       c.d0 - interval '20 days', c.d0 + interval '61 days',
       c.d0 + interval '82 days', c.d0 + interval '96 days', true, true, 'per_college',
       '{"tuition": {"colleges": {"LIB": 3, "SCI": 3, "SOC": 3, "MED": 3, "ENG": 4, "BIO": 3,
                                  "MGT": 3, "LAW": 2, "EE": 5, "DES": 2}},
         "stipend": {"colleges": {"LIB": 2, "SCI": 2, "SOC": 2, "MED": 2, "ENG": 3, "BIO": 2,
                                  "MGT": 2, "LAW": 1, "EE": 3, "DES": 1}}}',
       150000000, 'semester', NULL,
       '[{"field": "enrollment_status", "operator": "==", "value": "enrolled", "hard": true,
          "message": "申請時須為在學學生", "message_en": "You must be enrolled when you apply"},
         {"field": "gpa", "operator": ">=", "value": 3.5, "hard": true,
          "message": "前一學期學業平均成績須達 3.50", "message_en": "A GPA of at least 3.50 last term"},
         {"field": "degree", "operator": "in", "value": ["bachelor", "master"], "hard": true,
          "message": "限大學部及碩士班學生", "message_en": "For undergraduate and master''s students"},
         {"field": "year_of_study", "operator": ">=", "value": 2, "hard": true, "sub_type": "stipend",
          "message": "生活助學金限二年級以上", "message_en": "The living stipend is from the second year on"},
         {"field": "class_rank_percent", "operator": "<=", "value": 30, "hard": false,
          "message": "班排名前 30% 者優先錄取", "message_en": "Students in the top 30% of their class come first"},
         {"field": "identity_category", "operator": "in", "value": ["low_income", "middle_low_income"], "hard": false,
          "message": "經濟弱勢學生優先核給生活助學金", "message_en": "Students with financial need come first for the stipend"}]',
       '[{"key": "motivation", "label": "申請動機與學習計畫", "label_en": "Statement of purpose and study plan",
          "type": "textarea", "required": true, "max_length": 2000},
         {"key": "phone", "label": "手機號碼", "label_en": "Mobile phone", "type": "text", "required": true,
          "max_length": 10, "pattern": "^09[0-9]{8}$"},
         {"key": "family_income", "label": "家庭年收入（新臺幣元）", "label_en": "Annual household income (TWD)",
          "type": "number", "required": false, "min": 0, "max": 100000000},
         {"key": "plan", "label": "獎學金主要用途", "label_en": "Main use of the award", "type": "select",
          "required": true, "options": ["學雜費 / Tuition and fees", "生活費 / Living expenses",
                                        "研究或專題 / Research or projects", "海外交換 / Exchange abroad"]},
         {"key": "expected_graduation", "label": "預計畢業日期", "label_en": "Expected graduation date",
          "type": "date", "required": true},
         {"key": "advisor_email", "label": "導師電子郵件", "label_en": "Advisor''s email", "type": "email",
          "required": false, "max_length": 254},
         {"key": "other_scholarships", "label": "本學期另領有其他獎助學金", "label_en": "I receive another scholarship this term",
          "type": "checkbox", "required": false}]',
       '[{"kind": "transcript", "label": "歷年成績單", "label_en": "Academic transcript", "required": true,
          "accepted_types": ["application/pdf"], "max_mb": 5, "max_count": 1},
         {"kind": "recommendation", "label": "師長推薦信", "label_en": "Letter of recommendation", "required": true,
          "accepted_types": ["application/pdf"], "max_mb": 5, "max_count": 2},
         {"kind": "income_proof", "label": "家庭收入證明", "label_en": "Proof of household income", "required": false,
          "accepted_types": ["application/pdf", "image/png", "image/jpeg"], "max_mb": 10, "max_count": 3}]',
       '[{"key": "academic", "label": "學業表現", "label_en": "Academic performance", "weight": 50, "max_score": 100},
         {"key": "statement", "label": "申請動機與計畫", "label_en": "Statement and plan", "weight": 30, "max_score": 100},
         {"key": "recommendation", "label": "推薦信", "label_en": "Recommendation", "weight": 20, "max_score": 100}]',
       'academic-excellence-regulations-2026.pdf', 'open'
FROM scholarships s, demo_clock c WHERE s.code = 'ACADEMIC-EXCELLENCE'
ON CONFLICT DO NOTHING;

-- Its previous round (the same settings, as POST /periods/{id}/duplicate
-- makes them), closed 60 days ago and reviewed since.
INSERT INTO periods (scholarship_id, academic_year, term, label, opens_at, closes_at,
                     reviewer_review_ends_at, college_review_ends_at, requires_reviewer_review,
                     requires_college_review, quota_mode, quotas, budget_cents, disbursement_cycle,
                     whitelist, eligibility_rules, form_fields, required_documents, rubric,
                     terms_document, status)
SELECT o.scholarship_id, 2026, 1, '115學年度第1學期 (2026-27 fall)',
       c.d0 - interval '100 days', c.d0 - interval '60 days', c.d0 - interval '40 days',
       c.d0 - interval '25 days', o.requires_reviewer_review, o.requires_college_review,
       o.quota_mode, o.quotas, o.budget_cents, o.disbursement_cycle, o.whitelist,
       o.eligibility_rules, o.form_fields, o.required_documents, o.rubric, o.terms_document, 'closed'
FROM periods o JOIN scholarships s ON s.id = o.scholarship_id, demo_clock c
WHERE s.code = 'ACADEMIC-EXCELLENCE' AND o.academic_year = 2026 AND o.term = 2
ON CONFLICT DO NOTHING;

-- Open to the graduate students on the department's list only.
INSERT INTO periods (scholarship_id, academic_year, term, label, opens_at, closes_at,
                     reviewer_review_ends_at, college_review_ends_at, requires_reviewer_review,
                     requires_college_review, quota_mode, quotas, budget_cents, disbursement_cycle,
                     whitelist, eligibility_rules, form_fields, required_documents, rubric,
                     terms_document, status)
SELECT s.id, 2026, 2, '115學年度第2學期研究獎助 (2026-27 spring)',
       c.d0 - interval '7 days', c.d0 + interval '46 days', c.d0 + interval '70 days', NULL,
       true, false, 'total', '{"master": {"total": 10}, "phd": {"total": 6}}', 132000000, 'monthly',
       '["R11100005", "D11000056", "R11200050", "D11100101", "D11000288", "R11100197", "D11100141"]',
       '[{"field": "degree", "operator": "in", "value": ["master", "phd"], "hard": true,
          "message": "限碩、博士班學生", "message_en": "For master''s and doctoral students"},
         {"field": "gpa", "operator": ">=", "value": 3.6, "hard": true,
          "message": "學業平均成績須達 3.60", "message_en": "A GPA of at least 3.60"},
         {"field": "enrollment_status", "operator": "==", "value": "enrolled", "hard": true,
          "message": "申請時須為在學學生", "message_en": "You must be enrolled when you apply"},
         {"field": "degree", "operator": "==", "value": "master", "hard": true, "sub_type": "master",
          "message": "碩士班類別限碩士生", "message_en": "The master''s award is for master''s students"},
         {"field": "degree", "operator": "==", "value": "phd", "hard": true, "sub_type": "phd",
          "message": "博士班類別限博士生", "message_en": "The doctoral award is for doctoral students"},
         {"field": "class_rank_percent", "operator": "<=", "value": 50, "hard": false,
          "message": "成績排名前 50% 者優先", "message_en": "The top half of the class comes first"}]',
       '[{"key": "research_topic", "label": "研究題目", "label_en": "Research topic", "type": "text",
          "required": true, "max_length": 200},
         {"key": "advisor_name", "label": "指導教授", "label_en": "Thesis advisor", "type": "text",
          "required": true, "max_length": 100},
         {"key": "publications", "label": "近三年發表篇數", "label_en": "Publications in the last three years",
          "type": "number", "required": false, "min": 0, "max": 100},
         {"key": "abstract", "label": "研究計畫摘要", "label_en": "Research proposal abstract", "type": "textarea",
          "required": true, "max_length": 3000}]',
       '[{"kind": "research_proposal", "label": "研究計畫書", "label_en": "Research proposal", "required": true,
          "accepted_types": ["application/pdf"], "max_mb": 10, "max_count": 1},
         {"kind": "transcript", "label": "歷年成績單", "label_en": "Academic transcript", "required": true,
          "accepted_types": ["application/pdf"], "max_mb": 5, "max_count": 1}]',
       '[{"key": "research", "label": "研究計畫", "label_en": "Research proposal", "weight": 60, "max_score": 100},
         {"key": "record", "label": "學術表現", "label_en": "Academic record", "weight": 40, "max_score": 100}]',
       'research-grant-regulations-2026.pdf', 'open'
FROM scholarships s, demo_clock c WHERE s.code = 'RESEARCH-GRANT'
ON CONFLICT DO NOTHING;

-- FINANCIAL-AID: the fall round (closed) and the spring round (a draft
-- the office is still preparing).
INSERT INTO periods (scholarship_id, academic_year, term, label, opens_at, closes_at,
                     reviewer_review_ends_at, college_review_ends_at, requires_reviewer_review,
                     requires_college_review, quota_mode, quotas, budget_cents, disbursement_cycle,
                     whitelist, eligibility_rules, form_fields, required_documents, rubric,
                     terms_document, status)
SELECT s.id, 2026, v.term, v.label, c.d0 + v.opens, c.d0 + v.closes, c.d0 + v.reviewer,
       c.d0 + v.college, true, true, 'total',
       '{"low_income": {"total": 20}, "middle_low_income": {"total": 30}}', 70000000, 'semester', NULL,
       '[{"field": "identity_category", "operator": "in", "value": ["low_income", "middle_low_income"], "hard": true,
          "message": "限低收入戶或中低收入戶學生", "message_en": "For students from low-income or middle-low-income households"},
         {"field": "enrollment_status", "operator": "==", "value": "enrolled", "hard": true,
          "message": "申請時須為在學學生", "message_en": "You must be enrolled when you apply"},
         {"field": "identity_category", "operator": "==", "value": "low_income", "hard": true, "sub_type": "low_income",
          "message": "須具低收入戶資格", "message_en": "Requires low-income household status"},
         {"field": "identity_category", "operator": "==", "value": "middle_low_income", "hard": true,
          "sub_type": "middle_low_income",
          "message": "須具中低收入戶資格", "message_en": "Requires middle-low-income household status"},
         {"field": "gpa", "operator": ">=", "value": 2.0, "hard": false,
          "message": "學業平均成績 2.00 以上者優先", "message_en": "A GPA of 2.00 or more comes first"}]',
       '[{"key": "household_size", "label": "家庭人口數", "label_en": "Household size", "type": "number",
          "required": true, "min": 1, "max": 20},
         {"key": "hardship", "label": "家庭經濟狀況說明", "label_en": "Your financial circumstances",
          "type": "textarea", "required": true, "max_length": 1500},
         {"key": "certificate_no", "label": "證明文號", "label_en": "Certificate number", "type": "text",
          "required": false, "max_length": 40}]',
       '[{"kind": "income_certificate", "label": "低收入戶或中低收入戶證明", "label_en": "Household income status certificate",
          "required": true, "accepted_types": ["application/pdf", "image/png", "image/jpeg"], "max_mb": 10, "max_count": 2},
         {"kind": "household_register", "label": "戶籍謄本", "label_en": "Household registration transcript",
          "required": true, "accepted_types": ["application/pdf", "image/png", "image/jpeg"], "max_mb": 10, "max_count": 1}]',
       '[{"key": "need", "label": "經濟需求", "label_en": "Financial need", "weight": 70, "max_score": 100},
         {"key": "record", "label": "在校表現", "label_en": "Record at school", "weight": 30, "max_score": 100}]',
       'financial-aid-regulations-2026.pdf', v.status
FROM scholarships s, demo_clock c,
     (VALUES (1, '115學年度第1學期 (2026-27 fall)', interval '-110 days', interval '-70 days',
              interval '-50 days', interval '-35 days', 'closed'),
             (2, '115學年度第2學期 (2026-27 spring)', interval '14 days', interval '61 days',
              interval '81 days', interval '95 days', 'draft'))
         AS v (term, label, opens, closes, reviewer, college, status)
WHERE s.code = 'FINANCIAL-AID'
ON CONFLICT DO NOTHING;

-- No reviewer stage: submitted applications go straight to the office.
INSERT INTO periods (scholarship_id, academic_year, term, label, opens_at, closes_at,
                     reviewer_review_ends_at, college_review_ends_at, requires_reviewer_review,
                     requires_college_review, quota_mode, quotas, budget_cents, disbursement_cycle,
                     whitelist, eligibility_rules, form_fields, required_documents, rubric,
                     terms_document, status)
SELECT s.id, 2026, 2, '115學年度第2學期 (2026-27 spring)',
       c.d0 - interval '30 days', c.d0 + interval '31 days', NULL, NULL, false, false, 'none', NULL,
       80000000, 'monthly', NULL,
       '[{"field": "identity_category", "operator": "==", "value": "international", "hard": true,
          "message": "限學位國際學生", "message_en": "For international degree students"},
         {"field": "nationality", "operator": "!=", "value": "TW", "hard": true,
          "message": "限非本國籍學生", "message_en": "For students without Taiwanese nationality"},
         {"field": "gpa", "operator": ">=", "value": 3.0, "hard": true,
          "message": "學業平均成績須達 3.00", "message_en": "A GPA of at least 3.00"}]',
       '[{"key": "home_country", "label": "國籍", "label_en": "Home country", "type": "text",
          "required": true, "max_length": 60},
         {"key": "arrival_date", "label": "來臺日期", "label_en": "Date of arrival in Taiwan", "type": "date",
          "required": true},
         {"key": "mandarin", "label": "華語能力", "label_en": "Mandarin proficiency", "type": "select",
          "required": true, "options": ["TOCFL A", "TOCFL B", "TOCFL C", "None"]}]',
       '[{"kind": "passport", "label": "護照影本", "label_en": "Copy of passport", "required": true,
          "accepted_types": ["application/pdf", "image/png", "image/jpeg"], "max_mb": 5, "max_count": 1}]',
       '[{"key": "academic", "label": "學業表現", "label_en": "Academic performance", "weight": 100, "max_score": 100}]',
       NULL, 'open'
FROM scholarships s, demo_clock c WHERE s.code = 'INTERNATIONAL'
ON CONFLICT DO NOTHING;

-- The applications: number, round, student, status, stage, sub-types,
-- answers, and when (days before now) it was created and submitted.
CREATE TEMP TABLE demo_apps ON COMMIT DROP AS
SELECT * FROM (VALUES
    -- ACADEMIC-EXCELLENCE 2026-2 (open)
    ('APP-2026-2-00001', 'ACADEMIC-EXCELLENCE', 2026, 2, 'B11000084', 'submitted', 'reviewer', '{tuition}',
     '{"motivation": "我對電機領域充滿熱忱，希望以獎學金減輕學費負擔，專心投入課業與專題。", "phone": "0912345671",
       "family_income": 850000, "plan": "學雜費 / Tuition and fees", "expected_graduation": "2030-06-30",
       "other_scholarships": false}', 16.2, 15.1),
    ('APP-2026-2-00002', 'ACADEMIC-EXCELLENCE', 2026, 2, 'R11100089', 'under_review', 'reviewer', '{tuition,stipend}',
     '{"motivation": "My thesis on multimedia networking needs long lab hours; the stipend would let me stop tutoring.",
       "phone": "0922456782", "family_income": 620000, "plan": "研究或專題 / Research or projects",
       "expected_graduation": "2027-06-30", "advisor_email": "reviewer@demo.example.edu", "other_scholarships": false}',
     18.4, 17.3),
    ('APP-2026-2-00003', 'ACADEMIC-EXCELLENCE', 2026, 2, 'B11100021', 'submitted', 'reviewer', '{stipend,tuition}',
     '{"motivation": "家中經濟吃緊，希望申請生活助學金，讓我能減少打工時數，參與機械系專題研究。", "phone": "0933567893",
       "family_income": 540000, "plan": "生活費 / Living expenses", "expected_graduation": "2029-06-30",
       "other_scholarships": false}', 12.6, 10.2),
    ('APP-2026-2-00004', 'ACADEMIC-EXCELLENCE', 2026, 2, 'B11200214', 'pending_documents', 'reviewer', '{tuition}',
     '{"motivation": "希望赴海外交換一學期，研究森林碳匯。", "phone": "0944678904", "plan": "海外交換 / Exchange abroad",
       "expected_graduation": "2028-06-30", "other_scholarships": true}', 19.5, 18.2),
    ('APP-2026-2-00005', 'ACADEMIC-EXCELLENCE', 2026, 2, 'R11300179', 'returned', 'student', '{tuition,stipend}',
     '{"motivation": "需要經費。", "phone": "0955789015", "plan": "生活費 / Living expenses",
       "expected_graduation": "2027-06-30"}', 17.1, 14.3),
    ('APP-2026-2-00006', 'ACADEMIC-EXCELLENCE', 2026, 2, 'B11300191', 'draft', 'student', '{tuition}',
     '{"motivation": "（草稿）哲學系四年級，預計申請研究所，", "phone": "0966890126"}', 3.3, NULL),
    ('APP-2026-2-00007', 'ACADEMIC-EXCELLENCE', 2026, 2, 'R11200230', 'withdrawn', 'reviewer', '{tuition}',
     '{"motivation": "Working on network measurement; the award would cover tuition.", "phone": "0977901237",
       "plan": "學雜費 / Tuition and fees", "expected_graduation": "2028-06-30", "other_scholarships": false}',
     15.4, 13.2),
    ('APP-2026-2-00008', 'ACADEMIC-EXCELLENCE', 2026, 2, 'R11100197', 'under_review', 'reviewer', '{tuition,stipend}',
     '{"motivation": "研究臺灣東部地震地質，需長期野外調查。", "phone": "0988012348", "family_income": 720000,
       "plan": "研究或專題 / Research or projects", "expected_graduation": "2027-06-30", "other_scholarships": false}',
     14.2, 11.4),
    -- RESEARCH-GRANT 2026-2 (open, whitelist)
    ('APP-2026-2-00009', 'RESEARCH-GRANT', 2026, 2, 'R11100005', 'submitted', 'reviewer', '{master}',
     '{"research_topic": "日治時期臺灣文學雜誌的翻譯實踐", "advisor_name": "陳明哲 教授", "publications": 2,
       "abstract": "本研究以日治時期三份文學雜誌為對象，分析翻譯作品的選材與策略。"}', 6.2, 2.1),
    ('APP-2026-2-00010', 'RESEARCH-GRANT', 2026, 2, 'D11000056', 'draft', 'student', '{phd}',
     '{"research_topic": "花東縱谷斷層帶的地表變形監測", "advisor_name": "林信宏 教授"}', 1.3, NULL),
    -- INTERNATIONAL 2026-2 (open, no reviewer stage)
    ('APP-2026-2-00011', 'INTERNATIONAL', 2026, 2, 'B11200062', 'submitted', 'admin', '{full}',
     '{"home_country": "Japan", "arrival_date": "2024-09-01", "mandarin": "TOCFL B"}', 20.3, 19.2),
    -- ACADEMIC-EXCELLENCE 2026-1 (closed, decided)
    ('APP-2026-1-00001', 'ACADEMIC-EXCELLENCE', 2026, 1, 'B11901001', 'approved', 'distribution', '{tuition}',
     '{"motivation": "希望專心投入電機系的專題研究，減輕家中學費負擔。", "phone": "0912000111",
       "family_income": 900000, "plan": "學雜費 / Tuition and fees", "expected_graduation": "2028-06-30",
       "advisor_email": "reviewer@demo.example.edu", "other_scholarships": false}', 95.1, 90.2),
    ('APP-2026-1-00002', 'ACADEMIC-EXCELLENCE', 2026, 1, 'B11300067', 'approved', 'distribution', '{tuition,stipend}',
     '{"motivation": "土木系四年級，準備報考研究所，希望減少打工。", "phone": "0923111222", "family_income": 480000,
       "plan": "生活費 / Living expenses", "expected_graduation": "2027-06-30", "other_scholarships": false}', 92.2, 88.1),
    ('APP-2026-1-00003', 'ACADEMIC-EXCELLENCE', 2026, 1, 'B11200254', 'partially_approved', 'distribution', '{tuition,stipend}',
     '{"motivation": "物理治療系三年級，課業與實習繁重。", "phone": "0934222333", "family_income": 560000,
       "plan": "學雜費 / Tuition and fees", "expected_graduation": "2028-06-30", "other_scholarships": false}', 85.3, 80.4),
    ('APP-2026-1-00004', 'ACADEMIC-EXCELLENCE', 2026, 1, 'B11100237', 'rejected', 'admin', '{tuition}',
     '{"motivation": "歷史系二年級，希望參與口述歷史計畫。", "phone": "0945333444",
       "plan": "研究或專題 / Research or projects", "expected_graduation": "2029-06-30"}', 80.2, 70.1),
    ('APP-2026-1-00005', 'ACADEMIC-EXCELLENCE', 2026, 1, 'B11300027', 'cancelled', 'admin', '{tuition}',
     '{"motivation": "動物科學系四年級，規劃畢業專題。", "phone": "0956444555", "plan": "學雜費 / Tuition and fees",
       "expected_graduation": "2027-06-30", "other_scholarships": true}', 90.4, 86.3),
    ('APP-2026-1-00006', 'ACADEMIC-EXCELLENCE', 2026, 1, 'R11200202', 'withdrawn', 'reviewer', '{tuition}',
     '{"motivation": "社工所一年級，投入社區實務。", "phone": "0967555666", "plan": "學雜費 / Tuition and fees",
       "expected_graduation": "2028-06-30"}', 88.1, 84.2),
    -- FINANCIAL-AID 2026-1 (closed)
    ('APP-2026-1-00007', 'FINANCIAL-AID', 2026, 1, 'B11200022', 'approved', 'distribution', '{low_income}',
     '{"household_size": 4, "hardship": "父親失業，母親打零工，家中尚有兩位弟妹就學。", "certificate_no": "北市社助字第1150012345號"}',
     105.2, 100.1),
    ('APP-2026-1-00008', 'FINANCIAL-AID', 2026, 1, 'B11100253', 'rejected', 'admin', '{low_income}',
     '{"household_size": 3, "hardship": "單親家庭，母親獨力扶養。"}', 104.3, 98.2),
    ('APP-2026-1-00009', 'FINANCIAL-AID', 2026, 1, 'R11000220', 'under_review', 'college', '{low_income}',
     '{"household_size": 5, "hardship": "祖父母同住需照護，家庭收入有限。", "certificate_no": "新北社助字第1150067890號"}',
     100.4, 95.3)
) AS v (app_no, code, academic_year, term, student_number, status, stage, sub_types, answers,
        created_days, submitted_days);

-- Each status change after the first row (null -> draft at creation):
-- from, to, who (the student or the office), reason, days before now.
CREATE TEMP TABLE demo_history ON COMMIT DROP AS
SELECT * FROM (VALUES
    ('APP-2026-2-00001', 1, 'draft', 'submitted', 'student', NULL, 15.1),
    ('APP-2026-2-00002', 1, 'draft', 'submitted', 'student', NULL, 17.3),
    ('APP-2026-2-00002', 2, 'submitted', 'under_review', 'admin', NULL, 8.2),
    ('APP-2026-2-00003', 1, 'draft', 'submitted', 'student', NULL, 10.2),
    ('APP-2026-2-00004', 1, 'draft', 'submitted', 'student', NULL, 18.2),
    ('APP-2026-2-00004', 2, 'submitted', 'under_review', 'admin', NULL, 9.1),
    ('APP-2026-2-00004', 3, 'under_review', 'pending_documents', 'admin',
     '推薦信未簽名，請上傳簽名版本 / The recommendation letter is unsigned; please upload a signed copy', 6.3),
    ('APP-2026-2-00005', 1, 'draft', 'submitted', 'student', NULL, 14.3),
    ('APP-2026-2-00005', 2, 'submitted', 'returned', 'admin',
     '申請動機過於簡略，請補充學習計畫後重新送出 / The statement is too brief: add a study plan and resubmit', 5.2),
    ('APP-2026-2-00007', 1, 'draft', 'submitted', 'student', NULL, 13.2),
    ('APP-2026-2-00007', 2, 'submitted', 'withdrawn', 'student', '已獲其他獎學金 / I was awarded another scholarship', 4.1),
    ('APP-2026-2-00008', 1, 'draft', 'submitted', 'student', NULL, 11.4),
    ('APP-2026-2-00008', 2, 'submitted', 'under_review', 'admin', NULL, 7.3),
    ('APP-2026-2-00009', 1, 'draft', 'submitted', 'student', NULL, 2.1),
    ('APP-2026-2-00011', 1, 'draft', 'submitted', 'student', NULL, 19.2),
    ('APP-2026-1-00001', 1, 'draft', 'submitted', 'student', NULL, 90.2),
    ('APP-2026-1-00001', 2, 'submitted', 'under_review', 'admin', NULL, 58.1),
    ('APP-2026-1-00001', 3, 'under_review', 'approved', 'admin', NULL, 22.2),
    ('APP-2026-1-00002', 1, 'draft', 'submitted', 'student', NULL, 88.1),
    ('APP-2026-1-00002', 2, 'submitted', 'under_review', 'admin', NULL, 57.4),
    ('APP-2026-1-00002', 3, 'under_review', 'approved', 'admin', NULL, 22.1),
    ('APP-2026-1-00003', 1, 'draft', 'submitted', 'student', NULL, 80.4),
    ('APP-2026-1-00003', 2, 'submitted', 'under_review', 'admin', NULL, 57.3),
    ('APP-2026-1-00003', 3, 'under_review', 'partially_approved', 'admin',
     '生活助學金名額已滿，僅核給學雜費獎學金 / The stipend quota is full: the tuition award only', 21.3),
    ('APP-2026-1-00004', 1, 'draft', 'submitted', 'student', NULL, 70.1),
    ('APP-2026-1-00004', 2, 'submitted', 'under_review', 'admin', NULL, 56.2),
    ('APP-2026-1-00004', 3, 'under_review', 'rejected', 'admin',
     '書面審查分數未達核給標準 / The review score is below the award threshold', 21.2),
    ('APP-2026-1-00005', 1, 'draft', 'submitted', 'student', NULL, 86.3),
    ('APP-2026-1-00005', 2, 'submitted', 'under_review', 'admin', NULL, 55.4),
    ('APP-2026-1-00005', 3, 'under_review', 'approved', 'admin', NULL, 22.3),
    ('APP-2026-1-00005', 4, 'approved', 'cancelled', 'admin',
     '同學期已領取政府獎助學金，不得重複領取 / A government award was received for the same term', 12.2),
    ('APP-2026-1-00006', 1, 'draft', 'submitted', 'student', NULL, 84.2),
    ('APP-2026-1-00006', 2, 'submitted', 'withdrawn', 'student', NULL, 75.1),
    ('APP-2026-1-00007', 1, 'draft', 'submitted', 'student', NULL, 100.1),
    ('APP-2026-1-00007', 2, 'submitted', 'under_review', 'admin', NULL, 65.2),
    ('APP-2026-1-00007', 3, 'under_review', 'approved', 'admin', NULL, 30.1),
    ('APP-2026-1-00008', 1, 'draft', 'submitted', 'student', NULL, 98.2),
    ('APP-2026-1-00008', 2, 'submitted', 'under_review', 'admin', NULL, 64.3),
    ('APP-2026-1-00008', 3, 'under_review', 'rejected', 'admin',
     '所附低收入戶證明已逾有效期限 / The household certificate had expired', 30.2),
    ('APP-2026-1-00009', 1, 'draft', 'submitted', 'student', NULL, 95.3),
    ('APP-2026-1-00009', 2, 'submitted', 'under_review', 'admin', NULL, 60.2)
) AS v (app_no, step, from_status, to_status, actor, reason, at_days);

-- Accounts for those students: their record's email, the demo password.
INSERT INTO users (email, full_name, role, locale, college_code, email_verified, password_hash,
                   created_at, updated_at)
SELECT st.email, st.name, 'student', 'zh-TW', st.college_code, true,
       '$argon2id$v=19$m=65536,t=2,p=1$P5L8c/0HCEN8pY06qFZLvQ$ZATW3XdoUY5KY0NMSQTCXvWQ/L6cYkTfyOb0eWsxIGY',
       now() - interval '120 days', now() - interval '120 days'
FROM students st WHERE st.student_number IN (SELECT DISTINCT student_number FROM demo_apps)
ON CONFLICT DO NOTHING;

-- Each rule of the round evaluated on the student's record as the engine
-- of lib/eligibility.c does (a missing value fails; numbers compare as
-- numbers, strings as strings), in the student's locale (zh-TW).
CREATE TEMP TABLE demo_rules ON COMMIT DROP AS
SELECT d.app_no, r.ord, r.rule ->> 'field' AS field, r.rule ->> 'operator' AS op,
       (r.rule ->> 'hard')::boolean AS hard, r.rule ->> 'sub_type' AS sub_type,
       CASE WHEN x.v IS NULL OR jsonb_typeof(x.v) = 'null' THEN '資料不足，無法判斷'
            ELSE r.rule ->> 'message' END AS message,
       COALESCE(CASE
           WHEN x.v IS NULL OR jsonb_typeof(x.v) = 'null' THEN false
           WHEN r.rule ->> 'operator' = '==' THEN x.v = r.rule -> 'value'
           WHEN r.rule ->> 'operator' = '!=' THEN x.v <> r.rule -> 'value'
           WHEN r.rule ->> 'operator' = 'in' THEN r.rule -> 'value' @> jsonb_build_array(x.v)
           WHEN r.rule ->> 'operator' = 'not_in' THEN NOT r.rule -> 'value' @> jsonb_build_array(x.v)
           WHEN jsonb_typeof(x.v) = 'number' AND jsonb_typeof(r.rule -> 'value') = 'number' THEN
               CASE r.rule ->> 'operator'
                   WHEN '>' THEN (x.v #>> '{}')::numeric > (r.rule ->> 'value')::numeric
                   WHEN '>=' THEN (x.v #>> '{}')::numeric >= (r.rule ->> 'value')::numeric
                   WHEN '<' THEN (x.v #>> '{}')::numeric < (r.rule ->> 'value')::numeric
                   WHEN '<=' THEN (x.v #>> '{}')::numeric <= (r.rule ->> 'value')::numeric
               END
           WHEN jsonb_typeof(x.v) = 'string' AND jsonb_typeof(r.rule -> 'value') = 'string' THEN
               CASE r.rule ->> 'operator'
                   WHEN '>' THEN x.v #>> '{}' > r.rule ->> 'value'
                   WHEN '>=' THEN x.v #>> '{}' >= r.rule ->> 'value'
                   WHEN '<' THEN x.v #>> '{}' < r.rule ->> 'value'
                   WHEN '<=' THEN x.v #>> '{}' <= r.rule ->> 'value'
               END
       END, false) AS passed
FROM demo_apps d
JOIN students st ON st.student_number = d.student_number
JOIN scholarships s ON s.code = d.code
JOIN periods p ON p.scholarship_id = s.id AND p.academic_year = d.academic_year AND p.term = d.term
CROSS JOIN LATERAL jsonb_array_elements(p.eligibility_rules) WITH ORDINALITY AS r (rule, ord)
CROSS JOIN LATERAL (SELECT to_jsonb(st) -> (r.rule ->> 'field') AS v) AS x;

CREATE TEMP TABLE demo_new (id uuid, app_no text) ON COMMIT DROP;

WITH ins AS (
    INSERT INTO applications (app_no, period_id, student_id, user_id, sub_types, answers, status,
                              stage, eligibility_snapshot, version, created_at, updated_at,
                              submitted_at, terms_accepted_at)
    SELECT d.app_no, p.id, st.id, u.id, d.sub_types::text[], d.answers::jsonb, d.status, d.stage,
           jsonb_build_object(
               'rules', COALESCE((SELECT jsonb_agg(jsonb_build_object('field', r.field, 'operator', r.op,
                                      'passed', r.passed, 'hard', r.hard, 'sub_type', r.sub_type,
                                      'message', r.message) ORDER BY r.ord)
                                  FROM demo_rules r WHERE r.app_no = d.app_no), '[]'),
               'sub_types', COALESCE(o.open, '[]'),
               'eligible', NOT EXISTS (SELECT 1 FROM demo_rules r WHERE r.app_no = d.app_no AND r.hard
                                       AND NOT r.passed AND r.sub_type IS NULL)
                           AND (jsonb_array_length(s.sub_types) = 0 OR o.open IS NOT NULL)),
           1 + (SELECT count(*) FROM demo_history h WHERE h.app_no = d.app_no),
           now() - d.created_days * interval '1 day',
           now() - LEAST(d.created_days, COALESCE((SELECT min(h.at_days) FROM demo_history h
                                                    WHERE h.app_no = d.app_no), d.created_days))
                   * interval '1 day',
           now() - d.submitted_days * interval '1 day',
           CASE WHEN d.submitted_days IS NOT NULL AND p.terms_document IS NOT NULL
                THEN now() - d.submitted_days * interval '1 day' END
    FROM demo_apps d
    JOIN students st ON st.student_number = d.student_number
    JOIN users u ON lower(u.email) = lower(st.email)
    JOIN scholarships s ON s.code = d.code
    JOIN periods p ON p.scholarship_id = s.id AND p.academic_year = d.academic_year AND p.term = d.term
    LEFT JOIN LATERAL (
        SELECT jsonb_agg(t ->> 'code' ORDER BY k) AS open
        FROM jsonb_array_elements(s.sub_types) WITH ORDINALITY AS e (t, k)
        WHERE NOT EXISTS (SELECT 1 FROM demo_rules r WHERE r.app_no = d.app_no AND r.hard AND NOT r.passed
                          AND (r.sub_type IS NULL OR r.sub_type = t ->> 'code'))
    ) AS o ON true
    ON CONFLICT DO NOTHING
    RETURNING id, app_no
)
INSERT INTO demo_new SELECT id, app_no FROM ins;

-- History of the applications just inserted: the creation, then each change.
INSERT INTO application_status_history (application_id, from_status, to_status, actor_id, reason, at)
SELECT n.id, NULL, 'draft', a.user_id, NULL, a.created_at
FROM demo_new n JOIN applications a ON a.id = n.id;
INSERT INTO application_status_history (application_id, from_status, to_status, actor_id, reason, at)
SELECT n.id, h.from_status, h.to_status,
       CASE h.actor WHEN 'student' THEN a.user_id
                    ELSE (SELECT id FROM users WHERE lower(email) = 'admin@demo.example.edu') END,
       h.reason, now() - h.at_days * interval '1 day'
FROM demo_new n JOIN applications a ON a.id = n.id JOIN demo_history h ON h.app_no = n.app_no
ORDER BY n.app_no, h.step;

-- The demo reviewer reads some applications of the open round.
INSERT INTO application_reviewers (application_id, reviewer_id, assigned_by, assigned_at)
SELECT a.id, r.id, (SELECT id FROM users WHERE lower(email) = 'admin@demo.example.edu'),
       now() - interval '6 days'
FROM applications a, users r
WHERE a.app_no IN ('APP-2026-2-00001', 'APP-2026-2-00002', 'APP-2026-2-00003', 'APP-2026-2-00008')
  AND lower(r.email) = 'reviewer@demo.example.edu'
ON CONFLICT DO NOTHING;

-- The API numbers on from the highest app_no of each academic year and term.
INSERT INTO app_no_sequences AS q (academic_year, term, last)
SELECT split_part(app_no, '-', 2)::int, split_part(app_no, '-', 3)::smallint,
       max(split_part(app_no, '-', 4)::int)
FROM applications GROUP BY 1, 2
ON CONFLICT (academic_year, term) DO UPDATE SET last = GREATEST(q.last, EXCLUDED.last);

-- A welcome announcement (issue 6) for every demo account, unread, so the
-- bell has something to show; posted as the API would (one notification
-- per active user, in the user's locale).
INSERT INTO announcements (id, title, title_en, body, body_en, audience, expires_at, created_by,
                           created_at)
SELECT 'a0000000-0000-4000-8000-000000000001', '獎學金系統上線公告',
       'Welcome to the scholarship system',
       '本學期起，獎學金申請、審查與核定都在本系統進行。請留意各獎學金的申請截止日期。',
       'From this term on, scholarship applications, reviews and decisions all happen here. '
       'Please mind each scholarship''s closing date.',
       'all', now() + interval '90 days', u.id, now() - interval '1 day'
FROM users u WHERE lower(u.email) = 'admin@demo.example.edu'
ON CONFLICT (id) DO NOTHING;
INSERT INTO notifications (user_id, kind, title, body, link, announcement_id, expires_at,
                           created_at)
SELECT u.id, 'announcement', CASE u.locale WHEN 'en' THEN a.title_en ELSE a.title END,
       CASE u.locale WHEN 'en' THEN a.body_en ELSE a.body END, '/notifications.html', a.id,
       a.expires_at, a.created_at
FROM announcements a JOIN users u ON u.active
WHERE a.id = 'a0000000-0000-4000-8000-000000000001'
  AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.announcement_id = a.id AND n.user_id = u.id);

COMMIT;
