/*
 * scholarships.h -- scholarships (DESIGN §8 "Scholarships and periods"):
 * the lasting scholarship type with its sub-types, and the pieces the
 * period routes (lib/periods.c) share with it: who the caller is on a
 * public route, the admin scope (DESIGN §7: scholarship_admins), If-Match,
 * keyset pages and PATCH merging.
 *
 *   GET   /api/v1/scholarships          list (active ones public; staff in scope more)
 *   POST  /api/v1/scholarships          create (admin: granted it; super admin)
 *   GET   /api/v1/scholarships/{id}     one (active public; drafts in scope)
 *   PATCH /api/v1/scholarships/{id}     merge (If-Match required; in scope)
 *
 * Out of scope is 404, never 403. All memory is the request arena's.
 */
#ifndef SCH_SCHOLARSHIPS_H
#define SCH_SCHOLARSHIPS_H

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "db.h"

struct ctx;
struct verrors;

/*
 * The scope conditions on a scholarship row alias s, with parameters $a
 * (boolean: the caller sees everything) and $u (uuid: the admin, or
 * NULL). EDITS: the caller administers it; SEES: that, or it is active.
 * scholarships_scope() is the one place that decides both values.
 */
#define SCH_EDITS(a, u, s)                                                                         \
	"($" #a                                                                                    \
	"::boolean OR EXISTS (SELECT 1 FROM scholarship_admins g WHERE g.scholarship_id = " s      \
	".id AND g.user_id = $" #u "::uuid))"
#define SCH_SEES(a, u, s) "(" s ".status = 'active' OR " SCH_EDITS(a, u, s) ")"

/* RFC 3339 UTC text of a timestamptz column. */
#define SCH_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

void scholarships_list(struct ctx *c);
void scholarships_create(struct ctx *c);
void scholarships_get(struct ctx *c);
void scholarships_update(struct ctx *c);

/*
 * On a public route: authenticate when an Authorization header is sent,
 * so staff see what is in their scope. 0, or -1 with 401/503 answered.
 */
int scholarships_caller(struct ctx *c);
/* The scope parameters of the caller: *all "true" for super admins, *uid
 * the admin's id for admins (else NULL). */
void scholarships_scope(const struct ctx *c, const char **all, const char **uid);

/*
 * If-Match is required on changes: 0 when it names version (strong
 * comparison, or "*"); else rolls back and answers 428 (absent) or 412.
 */
int scholarships_if_match(struct ctx *c, const char *version);

/* Roll back and answer the class of a failed statement (409/422/503/500). */
void scholarships_db_fail(struct ctx *c, enum db_err err, const char *conflict);
/* Roll back and answer status with detail. */
void scholarships_refuse(struct ctx *c, int status, const char *detail);

/*
 * Query of a list: only keys[] (NULL-terminated) are known; limit 1-100
 * (default 20); the cursor decoded back to the raw text it was made from
 * (*cursor NULL when absent). 0, or -1 with 400 answered.
 */
int scholarships_page_query(struct ctx *c, const char *const *keys, long *limit,
                            const char **cursor);
/* Answer {items, next_cursor} from up to limit + 1 rows: column 0 the
 * item's JSON text, column key_col the raw cursor text of the row. */
void scholarships_answer_page(struct ctx *c, const PGresult *r, long limit, int key_col);

/* Answer status with a JSON text and ETag "<version>". */
void scholarships_answer(struct ctx *c, int status, const char *json, const char *version);

/*
 * PATCH merge (DESIGN §6): every key of patch replaces base's (a null
 * stays null: the validator then refuses it where a value is required). A
 * key repeated in patch is an error added to e. 0, or -1 when out of
 * memory.
 */
int scholarships_merge(cJSON *base, const cJSON *patch, struct verrors *e);

/* Answer 422 with e's errors (or 500 when e ran out of memory). */
void scholarships_invalid(struct ctx *c, const struct verrors *e);

/* Is s made only of the characters of set, 1 to max bytes long? */
int scholarships_token_ok(const char *s, const char *set, size_t max);

#endif
