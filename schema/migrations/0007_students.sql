-- 0007_students.sql -- student records (DESIGN §8 "Students", §9): what
-- the registrar imports (POST /api/v1/students/import, scholarshipctl
-- import-students), keyed by student_number, plus two self-reported
-- fields (advisor_email, bank_account) the student edits.
--
-- Personal data: national_id, birth_date and bank_account are stored only
-- sealed (AES-256-GCM, lib/pii.c: "v<key version>:<base64>", never clear
-- text) in *_enc columns. What answers show is a mask computed when the
-- value is written (national_id_masked "A12****789", bank_account_masked
-- "****6789"; a birth date shows "****-**-**"), so listing students never
-- decrypts anything. The clear value is read only through the audited
-- GET /students/{id}/pii. The CHECKs below refuse anything in an *_enc
-- column that is not a sealed value.
--
-- A user is linked to the record whose email equals theirs
-- (case-insensitive); hence the unique index on lower(email).

-- The record's (department, college) pair is a foreign key, which needs
-- the pair unique on departments (code alone already is, so this adds no
-- rule, only the index).
ALTER TABLE departments ADD CONSTRAINT departments_code_college_key UNIQUE (code, college_code);

CREATE TABLE students (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    student_number      text NOT NULL UNIQUE CHECK (student_number ~ '^[A-Z0-9]{4,20}$'),
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    name_en             text CHECK (name_en IS NULL OR length(name_en) BETWEEN 1 AND 200),
    email               text NOT NULL
                        CHECK (length(email) BETWEEN 3 AND 254 AND email LIKE '_%@_%'),
    national_id_enc     text CHECK (national_id_enc IS NULL OR national_id_enc ~ '^v[0-9]{1,5}:[A-Za-z0-9+/=]+$'),
    national_id_masked  text CHECK (national_id_masked IS NULL OR length(national_id_masked) <= 20),
    birth_date_enc      text CHECK (birth_date_enc IS NULL OR birth_date_enc ~ '^v[0-9]{1,5}:[A-Za-z0-9+/=]+$'),
    bank_account_enc    text CHECK (bank_account_enc IS NULL OR bank_account_enc ~ '^v[0-9]{1,5}:[A-Za-z0-9+/=]+$'),
    bank_account_masked text CHECK (bank_account_masked IS NULL OR bank_account_masked ~ '^\*{4}[0-9]{0,4}$'),
    gender              text CHECK (gender IS NULL OR gender IN ('M', 'F', 'X')),
    nationality         text CHECK (nationality IS NULL OR nationality ~ '^[A-Z]{2}$'),
    college_code        text NOT NULL REFERENCES colleges (code) ON UPDATE CASCADE,
    department_code     text REFERENCES departments (code) ON UPDATE CASCADE,
    degree              text NOT NULL REFERENCES degrees (code),
    year_of_study       smallint CHECK (year_of_study IS NULL OR year_of_study BETWEEN 1 AND 10),
    terms_enrolled      smallint CHECK (terms_enrolled IS NULL OR terms_enrolled BETWEEN 0 AND 30),
    enrollment_status   text NOT NULL
                        CHECK (enrollment_status IN ('enrolled', 'leave', 'graduated', 'withdrawn')),
    identity_category   text CHECK (identity_category IS NULL OR identity_category IN
                        ('general', 'indigenous', 'low_income', 'middle_low_income', 'disability',
                         'overseas_chinese', 'international', 'mainland_chinese')),
    gpa                 numeric(3, 2) CHECK (gpa IS NULL OR gpa BETWEEN 0 AND 4.30),
    class_rank_percent  numeric(5, 2) CHECK (class_rank_percent IS NULL OR
                                             class_rank_percent BETWEEN 0 AND 100),
    advisor_email       text CHECK (advisor_email IS NULL OR
                                    (length(advisor_email) BETWEEN 3 AND 254 AND advisor_email LIKE '_%@_%')),
    -- Where the registrar fields came from: a CSV import (API or
    -- scholarshipctl), a student information system feed, or demo data.
    source              text NOT NULL DEFAULT 'import' CHECK (source IN ('import', 'sis', 'demo')),
    verified_at         timestamptz,
    -- When the student last changed a self-reported field.
    self_updated_at     timestamptz,
    version             integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    -- A department, when given, must belong to the record's college.
    FOREIGN KEY (department_code, college_code)
        REFERENCES departments (code, college_code) ON UPDATE CASCADE
);

-- One record per email, case-insensitively: the link to a user account.
CREATE UNIQUE INDEX students_email_key ON students (lower(email));
-- Scoped lists: college staff page through their college by student_number
-- (the keyset order); admins use the UNIQUE index on student_number.
CREATE INDEX students_college_idx ON students (college_code, student_number);
