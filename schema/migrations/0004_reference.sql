-- 0004_reference.sql -- reference data (DESIGN §8 "Reference data"):
-- colleges, their departments and the degree levels, served publicly by
-- GET /api/v1/reference/*. The rows themselves come from
-- schema/seed/reference.sql (loaded as scholarship_owner, idempotent); this
-- file only makes the tables and ties users.college_code to colleges.
--
-- Codes are short upper-case ASCII (^[A-Z0-9]{1,10}$): the API refuses any
-- other shape with 400 before a query is sent (lib/reference.c keeps the
-- same rule), so the two must change together.

CREATE TABLE colleges (
    code       text PRIMARY KEY CHECK (code ~ '^[A-Z0-9]{1,10}$'),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),     -- zh-TW
    name_en    text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
    active     boolean NOT NULL DEFAULT true,
    sort_order integer NOT NULL DEFAULT 0
);
CREATE INDEX colleges_order_idx ON colleges (sort_order, code) WHERE active;

CREATE TABLE departments (
    code          text PRIMARY KEY CHECK (code ~ '^[A-Z0-9]{1,10}$'),
    college_code  text NOT NULL REFERENCES colleges (code) ON UPDATE CASCADE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),  -- zh-TW
    name_en       text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
    -- Degree levels the department offers; NULL when not recorded.
    degree_levels text[] CHECK (degree_levels IS NULL OR
                                (cardinality(degree_levels) BETWEEN 1 AND 3 AND
                                 degree_levels <@ ARRAY['bachelor', 'master', 'phd'])),
    active        boolean NOT NULL DEFAULT true,
    sort_order    integer NOT NULL DEFAULT 0
);
CREATE INDEX departments_college_idx ON departments (college_code, sort_order, code);

CREATE TABLE degrees (
    code       text PRIMARY KEY CHECK (code IN ('bachelor', 'master', 'phd')),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),     -- zh-TW
    name_en    text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
    sort_order integer NOT NULL DEFAULT 0
);

-- Reference data changes through the seed (as the owner), never through
-- the API: the app role only reads it (0001's default privileges granted
-- it DML on every new table).
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON colleges, departments, degrees FROM scholarship_app;

-- Users may already name a college (a database that had demo data before
-- this migration). Keep those rows valid with inactive placeholders, which
-- the seed then names and activates; a code of another shape fails the
-- CHECK above and stops the migration, which is the right outcome.
INSERT INTO colleges (code, name, name_en, active, sort_order)
SELECT DISTINCT college_code, college_code, college_code, false, 1000
FROM users
WHERE college_code IS NOT NULL
ON CONFLICT (code) DO NOTHING;

ALTER TABLE users
    ADD CONSTRAINT users_college_code_fkey FOREIGN KEY (college_code)
    REFERENCES colleges (code) ON UPDATE CASCADE;
