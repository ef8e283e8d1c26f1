-- valgrind.sql -- what tests/valgrind.sh needs for the application routes:
-- a student record for vg@test.example.edu and an open period with a form
-- (a pattern, so regcomp and regfree run), a hard rule and a document
-- kind (so uploads run through the multipart parser). Prints the
-- period's id.
INSERT INTO students (student_number, name, email, college_code, department_code, degree,
                      enrollment_status, gpa, year_of_study)
VALUES ('B99000001', 'VG', 'vg@test.example.edu', 'EE', 'CSIE', 'bachelor', 'enrolled', 3.9, 3);
WITH s AS (INSERT INTO scholarships (code, name, status) VALUES ('VG', 'VG', 'active') RETURNING id)
INSERT INTO periods (scholarship_id, academic_year, term, label, opens_at, closes_at, status,
                     requires_reviewer_review, form_fields, eligibility_rules, required_documents)
SELECT id, 2099, 1, 'VG', now() - interval '1 day', now() + interval '1 day', 'open', false,
       '[{"key": "phone", "label": "P", "type": "text", "required": true, "pattern": "09[0-9]{8}"}]',
       '[{"field": "gpa", "operator": ">=", "value": 3.5, "hard": true, "message": "m"}]',
       '[{"kind": "doc", "label": "D", "accepted_types": ["application/pdf"], "max_mb": 1, "max_count": 20}]'
FROM s RETURNING id;
