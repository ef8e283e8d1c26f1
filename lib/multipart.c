/*
 * multipart.c -- the streaming multipart/form-data parser of multipart.h.
 *
 * Body bytes (the preamble and each part's data) are scanned for the
 * delimiter CRLF "--" boundary, one state for "how many bytes of it have
 * been seen" (match). Since the delimiter starts with CR and a boundary
 * holds no CR, a mismatch can never leave a shorter partial match inside
 * the held bytes: they all become data and only the mismatching byte
 * itself (when it is a CR) may start a new match. That is why no KMP
 * table and no copy of the held bytes are needed. Data is delivered in
 * runs of the caller's buffer, so a chunk costs one on_data call unless a
 * CR in it starts a near-miss.
 *
 * The parse starts as if a CRLF had just been seen, so the first
 * delimiter may open the body. The lines after a delimiter and the part
 * headers are read byte by byte; a part's header block is collected in
 * p->hdr and parsed in place once its empty line arrives.
 */
#include "multipart.h"

#include "json.h"

#include <string.h>

enum {
	ST_PREAMBLE, /* before the first delimiter: discard */
	ST_AFTER,    /* just after a delimiter: "--", padding or CRLF */
	ST_CLOSE,    /* "-" seen after a delimiter; the second one closes */
	ST_PAD,      /* transport padding before CRLF */
	ST_LF,       /* CR seen after a delimiter */
	ST_HEADERS,  /* collecting a part's header block */
	ST_BODY,     /* a part's data */
	ST_EPILOGUE, /* after the close delimiter: discard */
	ST_FAILED,   /* p->status says why */
};

/* A (ptr, len) view into p->hdr, set when the parameter or header was seen. */
struct span {
	char *s;
	size_t n;
	int set;
};

struct fields {
	int disposition;
	struct span name, filename, filename_ext, content_type;
};

static int fail(struct mp_parser *p, const char *why)
{
	p->status = MP_ERROR;
	p->error = why;
	p->state = ST_FAILED;
	return MP_ERROR;
}

static int aborted(struct mp_parser *p)
{
	p->status = MP_ABORTED;
	p->error = "a callback stopped the parse";
	p->state = ST_FAILED;
	return MP_ABORTED;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* ASCII case-insensitive equality of s[0..n) and the lower-case word w
 * (no locale: a Turkish "I" must not change what a header means). */
static int word_eq(const char *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i] == '\0' || lower((unsigned char)s[i]) != w[i])
			return 0;
	return w[n] == '\0';
}

static int is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* RFC 2045 token characters; bytes >= 0x80 are let through. */
static int is_tchar(int c)
{
	return c > 0x20 && c != 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* RFC 2046 bchars ("bcharsnospace" plus space). */
static int is_bchar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("'()+_,-./:=? ", c) != NULL);
}

static int boundary_valid(const char *b, size_t n)
{
	size_t i;

	if (n == 0 || n > MP_BOUNDARY_MAX || b[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++)
		if (!is_bchar((unsigned char)b[i]))
			return 0;
	return 1;
}

static char *skip_blanks(char *s)
{
	while (is_blank((unsigned char)*s))
		s++;
	return s;
}

/*
 * Read a parameter value at *sp: a token, or a quoted string unescaped in
 * place (backslash escapes only '"' and '\'; any other backslash is kept,
 * as old browsers send "C:\dir\file" unescaped). 0, or -1 when malformed.
 */
static int read_value(char **sp, struct span *v)
{
	char *s = *sp, *w;

	if (*s != '"') {
		v->s = s;
		while (is_tchar((unsigned char)*s))
			s++;
		v->n = (size_t)(s - v->s);
		*sp = s;
		return v->n > 0 ? 0 : -1;
	}
	v->s = w = ++s;
	while (*s != '"') {
		if (*s == '\0')
			return -1;
		if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
			s++;
		*w++ = *s++;
	}
	v->n = (size_t)(w - v->s);
	*sp = s + 1;
	return 0;
}

/* Parse a NUL-terminated Content-Disposition value into f. */
static int parse_disposition(struct mp_parser *p, char *v, struct fields *f)
{
	char *s = v;

	while (is_tchar((unsigned char)*s))
		s++;
	if (!word_eq(v, (size_t)(s - v), "form-data"))
		return fail(p, "a part's Content-Disposition is not form-data");
	for (;;) {
		struct span key, val, *dst = NULL;

		s = skip_blanks(s);
		if (*s == '\0')
			return 0;
		if (*s != ';')
			return fail(p, "malformed Content-Disposition parameters");
		s = skip_blanks(s + 1);
		if (*s == '\0')
			return 0; /* a trailing semicolon */
		key.s = s;
		while (is_tchar((unsigned char)*s))
			s++;
		key.n = (size_t)(s - key.s);
		s = skip_blanks(s);
		if (key.n == 0 || *s != '=')
			return fail(p, "malformed Content-Disposition parameters");
		s = skip_blanks(s + 1);
		if (read_value(&s, &val) != 0)
			return fail(p, "malformed Content-Disposition parameter value");
		if (word_eq(key.s, key.n, "name"))
			dst = &f->name;
		else if (word_eq(key.s, key.n, "filename"))
			dst = &f->filename;
		else if (word_eq(key.s, key.n, "filename*"))
			dst = &f->filename_ext;
		if (dst == NULL)
			continue; /* another parameter: ignored */
		if (dst->set)
			return fail(p, "a Content-Disposition parameter is repeated");
		*dst = val;
		dst->set = 1;
	}
}

/* One unfolded, NUL-terminated header line. */
static int parse_line(struct mp_parser *p, char *line, struct fields *f)
{
	char *colon = strchr(line, ':'), *v, *end;
	size_t i, n;

	if (colon == NULL || colon == line)
		return fail(p, "a malformed part header line");
	n = (size_t)(colon - line);
	for (i = 0; i < n; i++)
		if (!is_tchar((unsigned char)line[i]))
			return fail(p, "a malformed part header line");
	v = skip_blanks(colon + 1);
	end = v + strlen(v);
	while (end > v && is_blank((unsigned char)end[-1]))
		end--;
	*end = '\0';
	if (word_eq(line, n, "content-disposition")) {
		if (f->disposition)
			return fail(p, "a part has two Content-Disposition headers");
		f->disposition = 1;
		return parse_disposition(p, v, f);
	}
	if (word_eq(line, n, "content-type")) {
		if (f->content_type.set)
			return fail(p, "a part has two Content-Type headers");
		f->content_type.s = v;
		f->content_type.n = (size_t)(end - v);
		f->content_type.set = 1;
	}
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode an RFC 5987 ext-value (charset'language'percent-encoded) into
 * out (MP_FIELD_MAX + 1 bytes). 0 or -1 with the error set. */
static int decode_ext(struct mp_parser *p, const struct span *v, char *out)
{
	const char *s = v->s, *end = v->s + v->n, *q1, *q2;
	size_t n = 0;

	q1 = memchr(s, '\'', v->n);
	q2 = q1 != NULL ? memchr(q1 + 1, '\'', (size_t)(end - q1 - 1)) : NULL;
	if (q2 == NULL)
		return fail(p, "a malformed filename* parameter");
	if (!word_eq(s, (size_t)(q1 - s), "utf-8"))
		return fail(p, "a filename* parameter not in UTF-8");
	for (s = q2 + 1; s < end; s++) {
		int c = (unsigned char)*s;

		if (c == '%') {
			int hi, lo;

			if (end - s < 3 || (hi = hexval((unsigned char)s[1])) < 0 ||
			    (lo = hexval((unsigned char)s[2])) < 0)
				return fail(p, "a malformed percent escape in filename*");
			c = hi * 16 + lo;
			s += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return fail(p, "a control character in filename*");
		if (n == MP_FIELD_MAX)
			return fail(p, "a part's name, filename or content type is too long");
		out[n++] = (char)c;
	}
	out[n] = '\0';
	if (!json_utf8_valid(out, n))
		return fail(p, "a filename* parameter that is not valid UTF-8");
	return 0;
}

/* Copy a span into a field of MP_FIELD_MAX + 1 bytes. */
static int copy_field(struct mp_parser *p, const struct span *v, char *out)
{
	if (v->n > MP_FIELD_MAX)
		return fail(p, "a part's name, filename or content type is too long");
	memcpy(out, v->s, v->n);
	out[v->n] = '\0';
	return 0;
}

/* The header block p->hdr[0..hlen) (ending in CRLF CRLF, or just CRLF when
 * empty) is complete: parse it and announce the part. */
static int begin_part(struct mp_parser *p)
{
	struct fields f;
	struct mp_part part;
	char *s = p->hdr, *end = p->hdr + p->hlen;
	size_t i;

	memset(&f, 0, sizeof(f));
	if (is_blank((unsigned char)p->hdr[0]))
		return fail(p, "a malformed part header line");
	/* Unfold: a CRLF followed by a blank continues the line. */
	for (i = 0; i + 2 < p->hlen; i++)
		if (p->hdr[i] == '\r' && is_blank((unsigned char)p->hdr[i + 2]))
			p->hdr[i] = p->hdr[i + 1] = ' ';
	for (;;) {
		char *crlf = memchr(s, '\r', (size_t)(end - s));

		/* Every CR in the block is followed by LF (checked on input). */
		if (crlf == s)
			break; /* the empty line */
		*crlf = '\0';
		if (parse_line(p, s, &f) != 0)
			return MP_ERROR;
		s = crlf + 2;
	}
	if (!f.disposition)
		return fail(p, "a part has no Content-Disposition header");
	if (!f.name.set || f.name.n == 0)
		return fail(p, "a part has no name");
	if (copy_field(p, &f.name, p->name) != 0)
		return MP_ERROR;
	part.name = p->name;
	part.filename = NULL;
	if (f.filename_ext.set) {
		if (decode_ext(p, &f.filename_ext, p->filename) != 0)
			return MP_ERROR;
		part.filename = p->filename;
	} else if (f.filename.set) {
		if (copy_field(p, &f.filename, p->filename) != 0)
			return MP_ERROR;
		part.filename = p->filename;
	}
	part.content_type = NULL;
	if (f.content_type.set && f.content_type.n > 0) {
		if (copy_field(p, &f.content_type, p->content_type) != 0)
			return MP_ERROR;
		part.content_type = p->content_type;
	}
	p->in_part = 1;
	if (p->cb.on_part != NULL && p->cb.on_part(p->ud, &part) != 0)
		return aborted(p);
	return MP_OK;
}

static int end_part(struct mp_parser *p)
{
	if (!p->in_part)
		return MP_OK;
	p->in_part = 0;
	if (p->cb.on_part_end != NULL && p->cb.on_part_end(p->ud) != 0)
		return aborted(p);
	return MP_OK;
}

/* Deliver n data bytes of the current part (preamble bytes are dropped). */
static int emit(struct mp_parser *p, const char *s, size_t n)
{
	if (n == 0 || p->state != ST_BODY || p->cb.on_data == NULL)
		return MP_OK;
	if (p->cb.on_data(p->ud, s, n) != 0)
		return aborted(p);
	return MP_OK;
}

/*
 * Scan body bytes [*sp, e) for the delimiter. Returns 1 with *sp just past
 * it, 0 when the chunk is used up (the bytes of a possible delimiter held
 * back in p->match), or an error status. `carried` counts held bytes from
 * earlier chunks: while it is nonzero every byte of this chunk has matched
 * too, so nothing of the chunk has been delivered and the carried bytes
 * (replayed from p->delim) come first.
 */
static int scan(struct mp_parser *p, const char **sp, const char *e)
{
	const char *s = *sp, *run = s;
	size_t carried = p->match;

	while (s < e) {
		if (p->match == 0) {
			const char *cr = memchr(s, '\r', (size_t)(e - s));

			if (cr == NULL) {
				s = e;
				break;
			}
			s = cr + 1;
			p->match = 1;
			continue;
		}
		if (*s == p->delim[p->match]) {
			s++;
			if (++p->match < p->dlen)
				continue;
			/* The delimiter: data ends where its bytes in this chunk begin. */
			p->match = 0;
			*sp = s;
			if (emit(p, run, (size_t)(s - (p->dlen - carried) - run)) != MP_OK)
				return MP_ABORTED;
			return 1;
		}
		/* A near miss: the held bytes are data; *s is looked at again. */
		if (carried > 0 && emit(p, p->delim, carried) != MP_OK)
			return MP_ABORTED;
		carried = 0;
		p->match = 0;
	}
	*sp = e;
	return emit(p, run, (size_t)(e - (p->match - carried) - run));
}

/* One byte of the line after a delimiter or of a header block. */
static int step(struct mp_parser *p, char c)
{
	switch (p->state) {
	case ST_AFTER:
		if (c == '-') {
			p->state = ST_CLOSE;
			return MP_OK;
		}
		/* fall through */
	case ST_PAD:
		if (is_blank((unsigned char)c)) {
			p->state = ST_PAD;
			return MP_OK;
		}
		if (c == '\r') {
			p->state = ST_LF;
			return MP_OK;
		}
		return fail(p, "a boundary followed by other text");
	case ST_CLOSE:
		if (c != '-')
			return fail(p, "a boundary followed by other text");
		p->state = ST_EPILOGUE;
		return end_part(p);
	case ST_LF:
		if (c != '\n')
			return fail(p, "a boundary followed by other text");
		if (end_part(p) != MP_OK)
			return MP_ABORTED;
		if (p->parts == MP_PARTS_MAX)
			return fail(p, "more than 32 parts");
		p->parts++;
		p->hlen = 0;
		p->state = ST_HEADERS;
		return MP_OK;
	case ST_HEADERS: {
		char prev = p->hlen > 0 ? p->hdr[p->hlen - 1] : '\0';

		if ((unsigned char)c < 0x20 && c != '\r' && c != '\n' && c != '\t')
			return fail(p, "a control character in part headers");
		if (c == 0x7f)
			return fail(p, "a control character in part headers");
		if ((prev == '\r') != (c == '\n'))
			return fail(p, "a part header line not ending in CRLF");
		if (p->hlen == MP_HEADER_MAX)
			return fail(p, "part headers longer than 8192 bytes");
		p->hdr[p->hlen++] = c;
		if (c != '\n' || (p->hlen != 2 && (p->hlen < 4 || p->hdr[p->hlen - 3] != '\n')))
			return MP_OK;
		p->hdr[p->hlen] = '\0';
		p->state = ST_BODY;
		p->match = 0;
		return begin_part(p);
	}
	default:
		return fail(p, "internal error: bad parser state");
	}
}

/* mp_boundary() but for clearing out on failure. */
static int boundary_param(const char *s, char *out, size_t outsz)
{
	const char *t;
	int found = 0;

	while (is_blank((unsigned char)*s))
		s++;
	for (t = s; is_tchar((unsigned char)*t) || *t == '/'; t++)
		;
	if (!word_eq(s, (size_t)(t - s), "multipart/form-data"))
		return -1;
	for (s = t;;) {
		const char *key;
		size_t keyn, n = 0;
		char val[MP_BOUNDARY_MAX + 1];

		while (is_blank((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		if (*s++ != ';')
			return -1;
		while (is_blank((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		for (key = s; is_tchar((unsigned char)*s); s++)
			;
		keyn = (size_t)(s - key);
		if (keyn == 0 || *s++ != '=')
			return -1;
		if (*s == '"') {
			for (s++; *s != '"'; s++) {
				if (*s == '\0')
					return -1;
				if (*s == '\\' && s[1] != '\0')
					s++;
				if (n == MP_BOUNDARY_MAX)
					return -1; /* too long for any boundary */
				val[n++] = *s;
			}
			s++;
		} else {
			for (; is_tchar((unsigned char)*s); s++) {
				if (n == MP_BOUNDARY_MAX)
					return -1;
				val[n++] = *s;
			}
			if (n == 0)
				return -1;
		}
		if (!word_eq(key, keyn, "boundary"))
			continue;
		if (found || !boundary_valid(val, n) || n + 1 > outsz)
			return -1;
		memcpy(out, val, n);
		out[n] = '\0';
		found = 1;
	}
	return found ? 0 : -1;
}

int mp_boundary(const char *content_type, char *out, size_t outsz)
{
	if (out == NULL || outsz == 0)
		return -1;
	if (content_type == NULL || boundary_param(content_type, out, outsz) != 0) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

void mp_init(struct mp_parser *p, const char *boundary, const struct mp_callbacks *cb, void *ud)
{
	size_t n = boundary != NULL ? strlen(boundary) : 0;

	memset(p, 0, sizeof(*p));
	if (cb != NULL)
		p->cb = *cb;
	p->ud = ud;
	p->error = "";
	if (!boundary_valid(boundary != NULL ? boundary : "", n)) {
		fail(p, "an invalid boundary");
		return;
	}
	memcpy(p->delim, "\r\n--", 4);
	memcpy(p->delim + 4, boundary, n + 1);
	p->dlen = 4 + n;
	p->state = ST_PREAMBLE;
	p->match = 2; /* as if after a CRLF: the first delimiter may open the body */
}

int mp_feed(struct mp_parser *p, const char *data, size_t n)
{
	const char *s = data, *e;
	int rc;

	if (p->status != MP_OK || n == 0)
		return p->status;
	e = data + n;
	while (s < e) {
		switch (p->state) {
		case ST_PREAMBLE:
		case ST_BODY:
			rc = scan(p, &s, e);
			if (rc < 0)
				return rc;
			if (rc == 1)
				p->state = ST_AFTER;
			break;
		case ST_EPILOGUE:
			s = e;
			break;
		default:
			if ((rc = step(p, *s++)) != MP_OK)
				return rc;
		}
	}
	return MP_OK;
}

int mp_finish(struct mp_parser *p)
{
	if (p->status != MP_OK)
		return p->status;
	if (p->state != ST_EPILOGUE)
		return fail(p, "truncated: the body ends before the closing boundary");
	return MP_OK;
}

const char *mp_error(const struct mp_parser *p)
{
	return p->error;
}
