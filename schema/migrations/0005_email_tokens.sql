-- 0005_email_tokens.sql -- single-use tokens carried by email links
-- (DESIGN §7): verification (24 h), password reset (1 h), invitation
-- (7 days). Only the SHA-256 of a token is stored; a token is spent by
-- setting used_at, in the same statement that checks it.
CREATE TABLE email_tokens (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('verify', 'reset', 'invite')),
    token_hash  text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (expires_at > created_at)
);
CREATE INDEX email_tokens_user_idx ON email_tokens (user_id, kind) WHERE used_at IS NULL;
CREATE INDEX email_tokens_expiry_idx ON email_tokens (expires_at);
