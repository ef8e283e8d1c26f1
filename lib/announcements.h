/*
 * announcements.h -- broadcast, bilingual announcements (DESIGN §8
 * "Notifications"). Posting one writes, in the same transaction, an
 * in-app notification (kind "announcement") for every active user of
 * its audience, in that user's locale; the notifications expire with it
 * and go with it when it is deleted (ON DELETE CASCADE).
 *
 *   POST   /api/v1/announcements {title, title_en, body, body_en,
 *          audience?: all|students|staff, expires_at} (admin, super
 *          admin) 201 the announcement with recipients (how many
 *          notifications were written); expires_at in the future and at
 *          most a year ahead, else 422; audited announcement.created
 *   GET    /api/v1/announcements?active=true|false&limit=&cursor=
 *          admins and super admins see every one; other roles only the
 *          active ones of their audience (students: all, students;
 *          reviewers and college staff: all, staff); newest first, keyset
 *          pages {items, next_cursor}
 *   GET    /api/v1/announcements/{id}  one, under the list's visibility
 *          (else 404)
 *   DELETE /api/v1/announcements/{id}  (super admin, or the admin who
 *          posted it; any other admin 404) 204; audited
 *          announcement.deleted
 *
 * An announcement is {id, title, title_en, body, body_en, audience,
 * expires_at, active, created_by, created_at}. All memory is the request
 * arena's.
 */
#ifndef SCH_ANNOUNCEMENTS_H
#define SCH_ANNOUNCEMENTS_H

struct ctx;

void announce_create(struct ctx *c);
void announce_list(struct ctx *c);
void announce_get(struct ctx *c);
void announce_delete(struct ctx *c);

#endif
