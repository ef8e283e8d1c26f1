-- 0014_notifications.sql -- notifications (DESIGN §8 "Notifications",
-- issue 6): mail templates per key and locale with per-scholarship
-- overrides, in-app notifications and announcements, the email test mode,
-- draft-deadline reminders, the worker's mail counters, and what the
-- outbox needs for the email history.
--
-- Template text is checked by the API (lib/mail_template.c: placeholders
-- must be ones the key knows); the CHECKs below are the last line. A
-- subject can never hold a control character, so a template cannot put a
-- header break into a mail.

CREATE TABLE mail_templates (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    key            text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{1,63}$'),
    locale         text NOT NULL CHECK (locale IN ('en', 'zh-TW')),
    -- NULL: the default; else an override for one scholarship's mail.
    scholarship_id uuid REFERENCES scholarships (id) ON DELETE CASCADE,
    subject        text NOT NULL CHECK (length(subject) BETWEEN 1 AND 300 AND subject !~ '[[:cntrl:]]'),
    body_text      text NOT NULL CHECK (length(body_text) BETWEEN 1 AND 100000),
    -- NULL: the HTML part is made from body_text (escaped, paragraphs, links).
    body_html      text CHECK (body_html IS NULL OR length(body_html) BETWEEN 1 AND 200000),
    version        integer NOT NULL DEFAULT 1 CHECK (version > 0),
    updated_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX mail_templates_default_key ON mail_templates (key, locale)
    WHERE scholarship_id IS NULL;
CREATE UNIQUE INDEX mail_templates_override_key ON mail_templates (scholarship_id, key, locale)
    WHERE scholarship_id IS NOT NULL;

-- Broadcast announcements, bilingual, shown until they expire. Posting one
-- writes a notification for every active user of its audience.
CREATE TABLE announcements (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    title_en   text NOT NULL CHECK (length(title_en) BETWEEN 1 AND 200),
    body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    body_en    text NOT NULL CHECK (length(body_en) BETWEEN 1 AND 5000),
    audience   text NOT NULL DEFAULT 'all' CHECK (audience IN ('all', 'students', 'staff')),
    expires_at timestamptz NOT NULL,
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (expires_at > created_at)
);
CREATE INDEX announcements_created_idx ON announcements (created_at, id);

-- In-app notifications: one row per recipient, in the recipient's locale
-- when it was written. link is a path inside the web UI.
CREATE TABLE notifications (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]{1,63}$'),
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    body            text NOT NULL DEFAULT '' CHECK (length(body) <= 5000),
    link            text CHECK (link IS NULL OR (link ~ '^/[^/\\]' AND length(link) <= 500)),
    announcement_id uuid REFERENCES announcements (id) ON DELETE CASCADE,
    expires_at      timestamptz,
    read_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
-- A user's list, newest first (keyset), and the unread count.
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);
-- The unread count (polled by every open page) reads this index only.
CREATE INDEX notifications_unread_idx ON notifications (user_id, expires_at) WHERE read_at IS NULL;
CREATE INDEX notifications_announcement_idx ON notifications (announcement_id)
    WHERE announcement_id IS NOT NULL;

-- The email test mode: one row. While expires_at is in the future and
-- addresses is not empty, the worker sends every mail to addresses
-- instead of its recipients (who are named in a header), subject marked.
CREATE TABLE mail_test_mode (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    addresses  text[] NOT NULL DEFAULT '{}'
               CHECK (cardinality(addresses) <= 20 AND array_position(addresses, NULL) IS NULL),
    expires_at timestamptz,
    updated_by uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO mail_test_mode (id) VALUES (true);

-- What the email history shows and filters on, and where a mail really
-- went while the test mode was on.
ALTER TABLE mail_outbox
    ADD COLUMN user_id        uuid REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN scholarship_id uuid REFERENCES scholarships (id) ON DELETE SET NULL,
    ADD COLUMN redirected_to  text[];
CREATE INDEX mail_outbox_history_idx ON mail_outbox (created_at DESC, id DESC);
CREATE INDEX mail_outbox_scholarship_idx ON mail_outbox (scholarship_id, created_at DESC)
    WHERE scholarship_id IS NOT NULL;

-- Draft-deadline reminders: how many days before closes_at (NULL: none),
-- and which applications were reminded (once each).
ALTER TABLE periods ADD COLUMN reminder_days_before integer DEFAULT 3
    CHECK (reminder_days_before IS NULL OR reminder_days_before BETWEEN 1 AND 60);
CREATE TABLE application_reminders (
    application_id uuid NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (kind IN ('draft_deadline', 'offer_expiring')),
    sent_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, kind)
);

-- Daily jobs of scholarship-worker: the local day each last ran, so one
-- worker of several runs it once a day (UPDATE ... WHERE last_run_on <).
CREATE TABLE worker_jobs (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{1,63}$'),
    last_run_on date,
    last_run_at timestamptz
);
INSERT INTO worker_jobs (name) VALUES ('draft_reminders');

-- The workers' mail counters, summed over every scholarship-worker and
-- read by /metrics. Each worker adds its deltas every few seconds.
-- latency_buckets counts deliveries by duration: <= 0.05, 0.1, 0.25, 0.5,
-- 1, 2.5, 5, 10 s, and above (the last).
CREATE TABLE mail_metrics (
    id              boolean PRIMARY KEY DEFAULT true CHECK (id),
    sent            bigint NOT NULL DEFAULT 0,
    failed          bigint NOT NULL DEFAULT 0,
    retries         bigint NOT NULL DEFAULT 0,
    latency_sum     double precision NOT NULL DEFAULT 0,
    latency_buckets bigint[] NOT NULL DEFAULT '{0,0,0,0,0,0,0,0,0}'
                    CHECK (cardinality(latency_buckets) = 9)
);
INSERT INTO mail_metrics (id) VALUES (true);
