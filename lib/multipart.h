/*
 * multipart.h -- a streaming multipart/form-data parser (RFC 7578 over
 * RFC 2046) for upload bodies that must never be held in memory whole.
 *
 * The caller owns struct mp_parser (about 12 KiB, no heap behind it: no
 * malloc, no globals, no I/O) and feeds the body in whatever pieces it
 * arrives in, down to one byte at a time. The parser reports each part
 * through three callbacks: on_part with the part's validated name,
 * filename and content type, on_data with the part's body bytes in order
 * (in any chunking, never including a byte of a delimiter), and
 * on_part_end once the part's closing delimiter line has been read.
 * Between two feeds it holds back at most boundary length + 3 bytes: the
 * ones that might be the start of a delimiter. Bytes that looked like a
 * delimiter and were not are delivered as data as soon as that is known.
 *
 * Accepted syntax: a preamble before the first delimiter and an epilogue
 * after the close delimiter are ignored; the delimiter is CRLF "--"
 * boundary (the first one may open the body without the CRLF), followed by
 * optional spaces/tabs (transport padding) and CRLF, or by "--" for the
 * close. Part header lines end in CRLF (a bare CR or LF is an error;
 * folded lines are unfolded); field names are case-insensitive. Each part
 * needs "Content-Disposition: form-data" with a non-empty name parameter;
 * parameters are tokens or quoted strings, where a backslash escapes only
 * a following quote or backslash and is otherwise kept (old browsers send
 * unescaped Windows paths). filename*=UTF-8''percent-encoded (RFC 5987) is
 * decoded, must be valid UTF-8 without control characters, and wins over
 * filename. Filenames are passed on raw, paths included: stripping them is
 * the caller's business. Repeated parameters or headers are errors, since
 * two readers could pick different ones. Content-Type is the header value
 * with surrounding blanks trimmed. Other headers are ignored.
 *
 * Limits (each an MP_ERROR): a header block over MP_HEADER_MAX bytes, a
 * name, filename or content type over MP_FIELD_MAX bytes, more than
 * MP_PARTS_MAX parts, a NUL or other control byte (but tab) in headers.
 */
#ifndef SCH_MULTIPART_H
#define SCH_MULTIPART_H

#include <stddef.h>

#define MP_BOUNDARY_MAX 70
#define MP_HEADER_MAX 8192 /* one part's header block, its final empty line included */
#define MP_FIELD_MAX 1024  /* name / filename / content type, bytes */
#define MP_PARTS_MAX 32

enum mp_status { MP_OK = 0, MP_ERROR = -1, MP_ABORTED = -2 };

struct mp_part {                  /* valid during on_part only */
	const char *name;         /* form field name (never NULL, never empty) */
	const char *filename;     /* raw filename parameter as sent, or NULL */
	const char *content_type; /* the part's Content-Type header, or NULL */
};

/* Any callback may be NULL. A nonzero return stops the parser: mp_feed()
 * returns MP_ABORTED then and on every later call. */
struct mp_callbacks {
	int (*on_part)(void *ud, const struct mp_part *p);    /* a part begins */
	int (*on_data)(void *ud, const char *data, size_t n); /* body bytes, n > 0 */
	int (*on_part_end)(void *ud);                         /* the current part ended */
};

/*
 * The state of one parse; treat the members as private. The lookbehind
 * needs no buffer of its own: the held-back bytes always equal the first
 * `match` bytes of delim, so they are replayed from there.
 */
struct mp_parser {
	struct mp_callbacks cb;
	void *ud;
	int state;
	int status;        /* MP_OK until an error or an abort, then sticky */
	const char *error; /* static text */
	size_t dlen;       /* strlen(delim) */
	size_t match;      /* bytes of delim seen and held back */
	size_t hlen;       /* bytes in hdr */
	unsigned parts;    /* parts begun */
	int in_part;
	char delim[4 + MP_BOUNDARY_MAX + 1]; /* CRLF "--" boundary */
	char hdr[MP_HEADER_MAX + 1];
	char name[MP_FIELD_MAX + 1];
	char filename[MP_FIELD_MAX + 1];
	char content_type[MP_FIELD_MAX + 1];
};

/*
 * The boundary parameter of a Content-Type value whose media type is
 * multipart/form-data ("multipart/form-data; boundary=xyz", quoted or not,
 * case-insensitive type and parameter name). 0 with out filled, or -1 when
 * the type is another, the parameter is absent, repeated or invalid (RFC
 * 2046: 1-70 characters from bchars, not ending in a space), or out (of
 * outsz bytes, NUL included) is too small.
 */
int mp_boundary(const char *content_type, char *out, size_t outsz);

/* Start a parse. An invalid boundary makes every mp_feed() an MP_ERROR. */
void mp_init(struct mp_parser *p, const char *boundary, const struct mp_callbacks *cb, void *ud);

/* Feed the next n bytes (any split). MP_OK, MP_ERROR (malformed: see
 * mp_error) or MP_ABORTED (a callback returned nonzero); an error or an
 * abort is returned again by every later call, mp_finish() included. */
int mp_feed(struct mp_parser *p, const char *data, size_t n);

/* End of input: MP_OK only when the close delimiter (--boundary--) was
 * seen; otherwise MP_ERROR (truncated), or the earlier error. */
int mp_finish(struct mp_parser *p);

/* Why the parse failed: a short English reason, static text ("" while OK). */
const char *mp_error(const struct mp_parser *p);

#endif
