-- 0010_application_workflow.sql -- the rest of the application lifecycle
-- (DESIGN §8 "Applications"): terms acceptance at submit, the due date of
-- a returned application, assigned reviewers, and the indexes the scoped
-- keyset lists need.
--
-- Every list pages newest first by (created_at, id); each scope has an
-- index that starts with its filter and ends with that key, so the 100th
-- page is an index seek like the first.

ALTER TABLE applications
    ADD COLUMN terms_accepted_at timestamptz,
    -- Set when staff return an application with a due date: the student
    -- may resubmit after closes_at until then.
    ADD COLUMN resubmit_until    timestamptz;

CREATE TABLE application_reviewers (
    application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    reviewer_id    uuid NOT NULL REFERENCES users (id),
    assigned_by    uuid REFERENCES users (id),
    assigned_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, reviewer_id)
);
-- A reviewer's list: what is assigned to them.
CREATE INDEX application_reviewers_reviewer_idx ON application_reviewers (reviewer_id, application_id);

-- Keyset lists, newest first: a student's own, by status, by period.
DROP INDEX applications_student_idx;
DROP INDEX applications_status_idx;
CREATE INDEX applications_user_idx ON applications (user_id, created_at, id);
CREATE INDEX applications_status_idx ON applications (status, created_at, id);
CREATE INDEX applications_period_created_idx ON applications (period_id, created_at, id);
-- College staff: their college's applications (the student's college).
CREATE INDEX students_college_id_idx ON students (college_code, id);
