-- 0011_documents.sql -- the files of an application (DESIGN §8
-- "Documents", §10): one row per stored object.
--
-- The object is written first under a generated key
-- (applications/{application_id}/{id}), the row after it in one
-- transaction; a failure removes the object, and scholarship-worker
-- removes objects that have no row and are older than an hour. The
-- display filename is the client's basename with control characters
-- removed; it never names a path or a key.

CREATE TABLE documents (
    id             uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
    filename       text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    -- Decided by magic bytes, never by the name or the client's header.
    content_type   text NOT NULL
                   CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    size           bigint NOT NULL CHECK (size >= 0),
    sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    storage_key    text NOT NULL UNIQUE CHECK (storage_key ~ '^applications/[0-9a-f-]{36}/[0-9a-f-]{36}$'),
    uploaded_by    uuid REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_application_idx ON documents (application_id, kind, created_at);
