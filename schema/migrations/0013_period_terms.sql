-- 0013_period_terms.sql -- a period's regulations PDF (DESIGN §8 "terms
-- document"; issue 5): uploaded by the scholarship's admins, downloaded
-- by students before they accept the terms at submit. The object lives
-- under periods/{period_id}/{id}; periods.terms_document carries its
-- display name, which is what submit checks.
CREATE TABLE period_terms (
    period_id   uuid PRIMARY KEY REFERENCES periods (id) ON DELETE CASCADE,
    filename    text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    size        bigint NOT NULL CHECK (size >= 0),
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    storage_key text NOT NULL UNIQUE CHECK (storage_key ~ '^periods/[0-9a-f-]{36}/[0-9a-f-]{36}$'),
    uploaded_by uuid REFERENCES users (id),
    uploaded_at timestamptz NOT NULL DEFAULT now()
);
