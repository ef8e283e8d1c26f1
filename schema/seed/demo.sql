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
