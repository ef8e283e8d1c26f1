-- 0009_applications.sql -- applications (DESIGN §8 "Applications", §9):
-- one student's request for one period, its human-readable number, and
-- the history of its status changes.
--
-- One live application per student and period: the partial unique index
-- leaves withdrawn and cancelled ones out, so a student may apply again
-- after withdrawing. app_no comes from app_no_sequences, one row per
-- academic year and term, bumped under its row lock by
-- INSERT ... ON CONFLICT DO UPDATE ... RETURNING (lib/applications.c), so
-- concurrent creates get consecutive, unique numbers.

CREATE TABLE app_no_sequences (
    academic_year integer NOT NULL CHECK (academic_year BETWEEN 2000 AND 2999),
    term          smallint NOT NULL CHECK (term IN (0, 1, 2)),
    last          integer NOT NULL CHECK (last BETWEEN 1 AND 99999),
    PRIMARY KEY (academic_year, term)
);

CREATE TABLE applications (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    app_no               text NOT NULL UNIQUE CHECK (app_no ~ '^APP-[0-9]{4}-[012]-[0-9]{5}$'),
    period_id            uuid NOT NULL REFERENCES periods (id),
    student_id           uuid NOT NULL REFERENCES students (id),
    user_id              uuid NOT NULL REFERENCES users (id),
    -- Sub-type codes in the student's order of preference.
    sub_types            text[] NOT NULL DEFAULT '{}',
    answers              jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(answers) = 'object'),
    status               text NOT NULL DEFAULT 'draft'
                         CHECK (status IN ('draft', 'submitted', 'under_review', 'pending_documents',
                                           'returned', 'approved', 'partially_approved', 'rejected',
                                           'withdrawn', 'cancelled')),
    stage                text NOT NULL DEFAULT 'student'
                         CHECK (stage IN ('student', 'reviewer', 'college', 'admin', 'distribution',
                                          'awarded')),
    -- The rules' results over the record at create, then at submit.
    eligibility_snapshot jsonb,
    version              integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    submitted_at         timestamptz
);
-- One live application per student and period (a duplicate is a 409).
CREATE UNIQUE INDEX applications_live_key ON applications (period_id, student_id)
    WHERE status NOT IN ('withdrawn', 'cancelled');
-- The lists the deployment guide names: by student, by status, by date.
CREATE INDEX applications_student_idx ON applications (student_id, created_at);
CREATE INDEX applications_status_idx ON applications (status, created_at);
CREATE INDEX applications_created_idx ON applications (created_at, id);
CREATE INDEX applications_period_idx ON applications (period_id, status);

CREATE TABLE application_status_history (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    from_status    text,
    to_status      text NOT NULL,
    actor_id       uuid REFERENCES users (id),
    reason         text CHECK (reason IS NULL OR length(reason) <= 2000),
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX application_status_history_app_idx ON application_status_history (application_id, at, id);
