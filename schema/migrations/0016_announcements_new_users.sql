-- 0016_announcements_new_users.sql -- an account created while an
-- announcement is still shown gets it too (issue 6): posting writes one
-- notification per existing user of the audience (lib/announcements.c),
-- and this trigger does the same for every user inserted afterwards,
-- whatever inserts it (registration, invitation, scholarshipctl, an
-- import). The notification keeps the announcement's time, so it sorts
-- where the announcement was posted.
CREATE FUNCTION announcements_for_new_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.active THEN
        INSERT INTO notifications (user_id, kind, title, body, link, announcement_id,
                                   expires_at, created_at)
        SELECT NEW.id, 'announcement',
               CASE WHEN NEW.locale = 'en' THEN a.title_en ELSE a.title END,
               CASE WHEN NEW.locale = 'en' THEN a.body_en ELSE a.body END,
               '/notifications.html', a.id, a.expires_at, a.created_at
        FROM announcements a
        WHERE a.expires_at > now()
          AND (a.audience = 'all' OR (a.audience = 'students') = (NEW.role = 'student'));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER users_announcements AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION announcements_for_new_user();
