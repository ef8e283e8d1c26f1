/*
 * reference.h -- the public reference data routes (DESIGN §8 "Reference
 * data"): GET /api/v1/reference/colleges, /departments?college_code=,
 * /degrees. Answers are cacheable (Cache-Control: public, max-age=300,
 * a strong ETag, 304 on a matching If-None-Match) and each worker keeps
 * the rows in process memory for REFERENCE_CACHE_SECONDS, so most requests
 * send no query at all.
 *
 * The pure helpers below (code shape, JSON, ETag, If-None-Match) have no
 * DB and no globals; tests/unit/test_reference.c covers them.
 */
#ifndef SCH_REFERENCE_H
#define SCH_REFERENCE_H

#include <stddef.h>

struct buf;
struct ctx;

/* How long a worker serves its copy of the rows before asking again. */
#define REFERENCE_CACHE_SECONDS 60.0
/* Longest college or department code (the CHECK in 0004_reference.sql). */
#define REFERENCE_CODE_MAX 10
/* An ETag: '"', 16 hex digits, '"', NUL. */
#define REFERENCE_ETAG_LEN 19

void reference_colleges(struct ctx *c);
void reference_departments(struct ctx *c);
void reference_degrees(struct ctx *c);

/* One row of a reference table; parent is the college of a department,
 * NULL for colleges and degrees. */
struct reference_item {
	const char *code;
	const char *parent;
	const char *name;
	const char *name_en;
};

/* Is s a well-formed college or department code: 1 to REFERENCE_CODE_MAX
 * characters of [A-Z0-9]? */
int reference_code_valid(const char *s);

/*
 * Append {"items":[...]} for items[0..n) to b: {code,name,name_en}, with
 * college_code after code when with_parent is set. When parent_filter is
 * not NULL only items whose parent equals it are written. Strings are
 * escaped with buf_json_str; check b->oom afterwards.
 */
void reference_json(struct buf *b, const struct reference_item *items, size_t n, int with_parent,
                    const char *parent_filter);

/* The strong ETag of a body (FNV-1a 64, quoted hex) into out. A change
 * detector, not a secret: it only has to differ when the body does. */
void reference_etag(const char *body, size_t len, char out[REFERENCE_ETAG_LEN]);

/*
 * Does an If-None-Match header value match etag (RFC 9110 §13.1.2: "*",
 * or a comma-separated list of entity tags compared weakly, so W/"x"
 * matches "x")? A malformed list matches nothing from the first bad
 * element on.
 */
int reference_etag_match(const char *if_none_match, const char *etag);

/* Free the worker's cached rows (for leak checkers; the cache otherwise
 * lives as long as the process). */
void reference_cache_release(void);

#endif
