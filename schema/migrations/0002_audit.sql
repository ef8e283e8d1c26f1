-- 0002_audit.sql -- the audit log: append-only. A trigger rejects UPDATE,
-- DELETE and TRUNCATE for every role, the owner included; the app role
-- has no UPDATE or DELETE privilege on it either.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid REFERENCES users (id),
    actor_ip    inet,
    request_id  text CHECK (request_id IS NULL OR length(request_id) <= 64),
    action      text NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    entity_type text NOT NULL CHECK (length(entity_type) BETWEEN 1 AND 64),
    entity_id   text CHECK (entity_id IS NULL OR length(entity_id) <= 64),
    before      jsonb,
    after       jsonb
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, at DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);

REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM scholarship_app;

CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only'
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
