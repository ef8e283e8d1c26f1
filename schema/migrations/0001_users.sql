-- 0001_users.sql -- privileges for the app and monitoring roles, and the
-- users table (DESIGN §7–§8: the user object, roles, sessions).

-- The app role gets DML on everything the owner creates, never DDL.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO scholarship_app, scholarship_monitoring;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO scholarship_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO scholarship_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT ON TABLES TO scholarship_monitoring;
GRANT SELECT ON schema_migrations TO scholarship_monitoring;

CREATE TABLE users (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email                text NOT NULL
                         CHECK (length(email) BETWEEN 3 AND 254 AND email LIKE '_%@_%'),
    full_name            text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    role                 text NOT NULL
                         CHECK (role IN ('student', 'reviewer', 'college', 'admin', 'super_admin')),
    locale               text NOT NULL DEFAULT 'zh-TW' CHECK (locale IN ('en', 'zh-TW')),
    phone                text CHECK (phone IS NULL OR length(phone) BETWEEN 3 AND 40),
    college_code         text CHECK (college_code IS NULL OR length(college_code) BETWEEN 1 AND 20),
    active               boolean NOT NULL DEFAULT true,
    email_verified       boolean NOT NULL DEFAULT false,
    password_hash        text,
    sessions_valid_after timestamptz NOT NULL DEFAULT now(),
    version              integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
-- Emails are unique case-insensitively.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_role_idx ON users (role) WHERE active;
CREATE INDEX users_college_idx ON users (college_code) WHERE college_code IS NOT NULL;
