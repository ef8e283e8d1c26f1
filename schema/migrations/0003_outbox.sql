-- 0003_outbox.sql -- the email outbox (DESIGN §2, scholarship-worker).
-- The API inserts a row in the same transaction as the change the mail is
-- about (a verification token, an award...), so a mail is queued if and
-- only if that change commits. scholarship-worker claims pending rows with
-- FOR UPDATE SKIP LOCKED, delivers them (a file under MAIL_DIR without
-- SMTP_HOST) and marks them sent, or retries them with backoff, or gives
-- up (status failed, last_error says why).
--
-- The CHECKs are the first line against header injection: an address or
-- a subject can never hold CR, LF or any other control character, and an
-- address holds no white space or RFC 5322 specials that could smuggle a
-- second recipient into a header. The worker checks again before writing.
CREATE TABLE mail_outbox (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    to_address      text NOT NULL
                    CHECK (length(to_address) BETWEEN 3 AND 254
                           AND to_address ~ '^[^@[:space:][:cntrl:]<>()\[\],;:"\\]+@[^@[:space:][:cntrl:]<>()\[\],;:"\\]+$'),
    subject         text NOT NULL
                    CHECK (length(subject) BETWEEN 1 AND 300 AND subject !~ '[[:cntrl:]]'),
    body_text       text NOT NULL CHECK (length(body_text) <= 1000000),
    body_html       text CHECK (body_html IS NULL OR length(body_html) <= 1000000),
    template_key    text CHECK (template_key IS NULL OR length(template_key) BETWEEN 1 AND 64),
    locale          text CHECK (locale IS NULL OR locale IN ('en', 'zh-TW')),
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claimed_at      timestamptz,   -- when a worker took it ('sending')
    last_error      text CHECK (last_error IS NULL OR length(last_error) <= 1000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    CHECK (status <> 'sending' OR claimed_at IS NOT NULL)
);
-- What the worker's claim reads: due pending rows, oldest first.
CREATE INDEX mail_outbox_pending_idx ON mail_outbox (next_attempt_at) WHERE status = 'pending';
-- Rows a crashed worker left behind.
CREATE INDEX mail_outbox_sending_idx ON mail_outbox (claimed_at) WHERE status = 'sending';
CREATE INDEX mail_outbox_created_idx ON mail_outbox (created_at);

-- Wake the worker at once (it LISTENs on mail_outbox). The notification
-- is delivered when the inserting transaction commits, never before; one
-- per statement is enough because the worker drains the whole queue.
CREATE FUNCTION mail_outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('mail_outbox', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER mail_outbox_wake AFTER INSERT ON mail_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION mail_outbox_notify();
