/*
 * notifications.h -- the caller's in-app notifications (DESIGN §8
 * "Notifications"). Rows are written elsewhere (lib/notify.c for events,
 * lib/announcements.c for broadcasts); this module only serves them to
 * their recipient and marks them read.
 *
 *   GET  /api/v1/notifications?unread=true|false&limit=&cursor=
 *        (any signed-in role) the caller's own, newest first, keyset
 *        pages {items, next_cursor}; unread=true only unread ones,
 *        unread=false only read ones, absent both
 *   GET  /api/v1/notifications/unread-count  {count}: own, unread,
 *        unexpired (one index probe; polled by every open page)
 *   POST /api/v1/notifications/{id}/read  200 the notification as it
 *        now is (idempotent: read_at keeps its first value); another
 *        user's, an expired or an unknown id is 404
 *   POST /api/v1/notifications/read-all  200 {count}: how many were
 *        marked now
 *
 * An item is {id, kind, title, body, link, announcement_id, read_at,
 * created_at}. A notification whose expires_at has passed is gone for
 * every route. All memory is the request arena's.
 */
#ifndef SCH_NOTIFICATIONS_H
#define SCH_NOTIFICATIONS_H

struct ctx;

void notif_list(struct ctx *c);
void notif_unread_count(struct ctx *c);
void notif_read(struct ctx *c);
void notif_read_all(struct ctx *c);

#endif
