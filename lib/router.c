/*
 * router.c -- segment-by-segment matching of paths against the static
 * route table. Literal segments compare exactly; "{id}" and "{..._id}"
 * match one UUID segment; any other "{name}" ("{key}", "{locale}")
 * matches one token of 1 to 64 letters, digits, '_' and '-', so a name
 * can never smuggle a slash, a dot or an escape into a handler. Tables
 * are small (about a hundred routes) and scanned linearly: cheaper than
 * building anything at start.
 */
#include "router.h"

#include "buf.h"
#include "http.h"

#include <ctype.h>
#include <string.h>

int route_is_uuid(const char *s, size_t n)
{
	size_t i;

	if (n != 36)
		return 0;
	for (i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

/* Is s[0..n) a token segment: 1 to 64 of [A-Za-z0-9_-]? */
static int is_token(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

/* Does the pattern segment "{name}" (pl bytes) take a UUID: name is "id"
 * or ends in "_id"? */
static int wants_uuid(const char *pat, size_t pl)
{
	return (pl == 4 && memcmp(pat, "{id}", 4) == 0) ||
	       (pl > 5 && memcmp(pat + pl - 4, "_id}", 4) == 0);
}

/* Does path match pattern? Fills ids (up to 4) when it does. */
static int path_matches(const char *pat, const char *path, const char **ids, size_t *nids,
                        struct req *r)
{
	size_t k = 0;

	while (*pat && *path) {
		size_t pl, sl;
		if (*pat != '/' || *path != '/')
			return 0;
		pat++, path++;
		pl = strcspn(pat, "/");
		sl = strcspn(path, "/");
		if (pl > 2 && pat[0] == '{' && pat[pl - 1] == '}') {
			if (!(wants_uuid(pat, pl) ? route_is_uuid(path, sl) : is_token(path, sl)) ||
			    k >= 4)
				return 0;
			if (r != NULL) {
				ids[k] = http_pct_decode(r->arena, path, sl, 0);
				if (ids[k] == NULL)
					return 0;
			}
			k++;
		} else if (pl != sl || memcmp(pat, path, pl) != 0) {
			return 0;
		}
		pat += pl, path += sl;
	}
	if (*pat != '\0' || *path != '\0')
		return 0;
	*nids = k;
	return 1;
}

int route_match(const struct route *table, size_t n, struct req *r, struct buf *allow)
{
	const char *ids[4];
	size_t i, nids = 0;
	int path_seen = 0;

	for (i = 0; i < n; i++) {
		if (!path_matches(table[i].pattern, r->path, ids, &nids, NULL))
			continue;
		if (strcmp(table[i].method, r->method) == 0) {
			if (!path_matches(table[i].pattern, r->path, r->path_ids, &r->npath_ids, r))
				return ROUTE_ERROR;
			return (int)i;
		}
		if (allow != NULL) {
			if (path_seen)
				buf_puts(allow, ", ");
			buf_puts(allow, table[i].method);
		}
		path_seen = 1;
	}
	return path_seen ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}

size_t route_body_max(const struct route *rt)
{
	return rt->body_max ? rt->body_max : ROUTE_JSON_MAX;
}

static int is_json_type(const char *ct)
{
	return ct != NULL && (strcmp(ct, "application/json") == 0 ||
	                      strcmp(ct, "application/merge-patch+json") == 0);
}

int route_check_body(const struct route *rt, const struct req *r)
{
	int empty = r->content_length <= 0 && r->content_type == NULL;

	if (r->content_length > 0 && (size_t)r->content_length > route_body_max(rt))
		return 413;
	switch (rt->body) {
	case BODY_NONE:
		return r->content_length > 0 ? 415 : 0;
	case BODY_ACTION:
		return empty || is_json_type(r->content_type) ? 0 : 415;
	case BODY_JSON:
		return is_json_type(r->content_type) ? 0 : 415;
	case BODY_MULTIPART:
		return r->content_type && strcmp(r->content_type, "multipart/form-data") == 0 ? 0
		                                                                              : 415;
	case BODY_CSV:
		return r->content_type && strcmp(r->content_type, "text/csv") == 0 ? 0 : 415;
	}
	return 415;
}
