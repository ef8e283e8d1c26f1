/*
 * mailfile.h -- turns one outgoing mail into an RFC 5322 message, and
 * (with no SMTP_HOST) writes it as MAIL_DIR/<created-time>-<id>.eml.
 *
 * Owns: the message format (headers, RFC 2047 encoded words, 8bit or
 * quoted-printable bodies, multipart/alternative when there is HTML) and
 * the atomic file write (temp file in the same directory, fsync, rename,
 * fsync of the directory), so a reader never sees half a mail. Does not
 * own: the queue (outbox.c), retries, or SMTP.
 *
 * Header injection is impossible by construction: an address with CR, LF,
 * white space, a control byte, a non-ASCII byte or an RFC 5322 special is
 * refused, and so is a subject with CR or LF; every other subject that is
 * not plain printable ASCII is written as encoded words. A refusal is
 * permanent (MAILFILE_INVALID): retrying the same message cannot succeed.
 *
 * The email test mode (a redirect list) is applied here, so the .eml files
 * and SMTP carry the same message: To: names the test addresses, the real
 * recipient goes into X-Original-To:, X-Test-Mode: on is added and the
 * subject starts with "[TEST] ".
 *
 * Memory: the rendered message and the file name come from the caller's
 * arena. No globals; safe to call from any process.
 */
#ifndef SCH_MAILFILE_H
#define SCH_MAILFILE_H

#include <stddef.h>

struct arena;
struct buf;

struct mailfile_msg {
	const char *id; /* outbox id (uuid): Message-ID and file name */
	const char *to;
	const char *subject;
	const char *body_text;
	const char *body_html; /* NULL: a text/plain message */
	long long created;     /* seconds since the epoch: Date and file name */
	long created_usec;     /* 0..999999, for the file name */
	/* Email test mode: when nredirect > 0 the message is addressed to
	 * redirect[0..nredirect) instead of to (which goes into
	 * X-Original-To:), and the subject is marked "[TEST] ". */
	const char *const *redirect;
	size_t nredirect;
	/* Bodies never go out as 8bit (SMTP through libcurl, which cannot
	 * announce BODY=8BITMIME): non-ASCII text is quoted-printable. */
	int seven_bit;
};

enum mailfile_err {
	MAILFILE_OK = 0,
	MAILFILE_INVALID, /* the message can never be written: give up */
	MAILFILE_IO,      /* the directory or disk failed: try again later */
	MAILFILE_NOMEM,   /* out of memory: try again later */
};

/* Longest accepted address (RFC 5321 path limit) and subject, in bytes. */
#define MAILFILE_ADDR_MAX 254
#define MAILFILE_SUBJECT_MAX 1200
/* Most test-mode addresses (the CHECK of mail_test_mode allows 20). */
#define MAILFILE_REDIRECT_MAX 20
/* What the test mode puts before a subject. */
#define MAILFILE_TEST_PREFIX "[TEST] "

/*
 * 0 when addr is a bare address safe to put in a header: local@domain,
 * printable ASCII only, no white space and none of <>()[],;:"\ (so one
 * recipient, no comments, no quoting); else -1.
 */
int mailfile_check_addr(const char *addr);

/*
 * 0 when from (MAIL_FROM) can head every message: "addr" or
 * "Display Name <addr>" with a valid addr and no control bytes; the
 * display name may be UTF-8 (it is encoded). Else -1 with a reason in err.
 */
int mailfile_check_from(const char *from, char *err, size_t errlen);

/*
 * The bare address of MAIL_FROM (for the SMTP envelope) into out. 0, or
 * -1 when from is not valid (mailfile_check_from) or out is too small.
 */
int mailfile_from_addr(const char *from, char *out, size_t outlen);

/*
 * Append the whole message (headers, blank line, body; CRLF line ends) to
 * out. Returns MAILFILE_OK, MAILFILE_INVALID with a reason in err, or
 * MAILFILE_NOMEM.
 */
enum mailfile_err mailfile_render(struct buf *out, const char *from, const struct mailfile_msg *m,
                                  char *err, size_t errlen);

/* The file name "20250301T101530.123456Z-<id>.eml" (UTC), from the arena;
 * NULL when the id is not a safe file-name part or memory runs out. */
char *mailfile_name(struct arena *a, const struct mailfile_msg *m);

/*
 * Render m and write it atomically into dir. On MAILFILE_OK *name (when
 * name is not NULL) is the file name inside dir, from the arena. A file
 * of the same name is replaced, so writing a message twice (a retry after
 * a crash) leaves one file. No temporary file is left behind on failure.
 */
enum mailfile_err mailfile_write(const char *dir, const char *from, const struct mailfile_msg *m,
                                 struct arena *a, const char **name, char *err, size_t errlen);

#endif
