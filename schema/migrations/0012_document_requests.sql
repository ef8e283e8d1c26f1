-- 0012_document_requests.sql -- document requests (補件, DESIGN §8
-- "Applications"): staff ask the student of a submitted application for
-- more files of the period's required_documents kinds, with a reason and a
-- due date; the application waits in pending_documents until every open
-- request of it is fulfilled or cancelled.
--
-- That the kinds are kinds of the period's required_documents is checked
-- by the API when the request is made (the period's list may change
-- later; the request keeps what was asked). due_on is a day in
-- INSTITUTION_TIMEZONE: a request is overdue while open after that day.

CREATE TABLE document_requests (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    kinds          text[] NOT NULL
                   CHECK (cardinality(kinds) BETWEEN 1 AND 10
                          AND array_ndims(kinds) = 1
                          AND array_position(kinds, NULL) IS NULL),
    reason         text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    due_on         date NOT NULL,
    status         text NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'fulfilled', 'cancelled')),
    requested_by   uuid REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    fulfilled_at   timestamptz,
    cancelled_at   timestamptz,
    cancelled_by   uuid REFERENCES users (id),
    CHECK ((status = 'fulfilled') = (fulfilled_at IS NOT NULL)),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
    CHECK (cancelled_by IS NULL OR status = 'cancelled')
);
-- An application's requests (the open ones at fulfil and cancel, its
-- list), newest first.
CREATE INDEX document_requests_application_idx
    ON document_requests (application_id, created_at, id);
-- Staff lists: by status, and the open ones by due date (overdue).
CREATE INDEX document_requests_status_idx ON document_requests (status, due_on);
-- Keyset pages of the whole list, newest first.
CREATE INDEX document_requests_created_idx ON document_requests (created_at, id);
