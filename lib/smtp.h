/*
 * smtp.h -- mail delivery to an SMTP relay through libcurl (DESIGN §2,
 * §5): SMTP_HOST, SMTP_PORT (587; 465 means implicit TLS, smtps://),
 * SMTP_USE_TLS (true: STARTTLS is required, a server without it is an
 * error), SMTP_USERNAME and SMTP_PASSWORD (AUTH; never logged), MAIL_FROM
 * (the envelope sender).
 *
 * Owns one CURL easy handle for the life of scholarship-worker, so the
 * connection to the relay is opened once and reused from message to
 * message (needed for hundreds of mails a second), and the transport
 * settings. Does not own the message (lib/mailfile.c renders it) nor the
 * queue (lib/outbox.c).
 *
 * What a failure reports: the relay's own reply when it refused something
 * ("550 5.1.1 mailbox unavailable (RCPT failed: 550)"), else libcurl's
 * reason ("Failed to connect to ..."), as printable ASCII, so it can go
 * into mail_outbox.last_error and the log. No reply, error or log line
 * carries the password.
 *
 * Memory: struct smtp is embedded in the caller's long-lived state;
 * smtp_release() frees what smtp_init() took. Not for use across fork().
 */
#ifndef SCH_SMTP_H
#define SCH_SMTP_H

#include <curl/curl.h>
#include <stddef.h>

#include "mailfile.h"

struct config;

#define SMTP_CONNECT_TIMEOUT 10 /* seconds to open the connection (TLS included) */
#define SMTP_TIMEOUT 60         /* seconds for one whole message */
#define SMTP_REPLY_MAX 256      /* bytes of a reply kept for last_error */

struct smtp {
	CURL *curl;
	char url[600];                    /* smtp[s]://host:port/ehlo-name */
	char from[MAILFILE_ADDR_MAX + 1]; /* bare envelope sender */
	char errbuf[CURL_ERROR_SIZE];     /* libcurl's reason, per message */
	char refusal[SMTP_REPLY_MAX];     /* first 4xx/5xx reply of the message */
	int replies;                      /* reply lines seen for this message */
	const char *data;                 /* the message being sent */
	size_t len, off;
	unsigned long messages, connections; /* totals, for the log */
};

/* What smtp_send() came to. */
enum smtp_result {
	SMTP_SENT,    /* the relay accepted the message (250 after DATA) */
	SMTP_REFUSED, /* the relay answered 4xx/5xx to this message */
	SMTP_DOWN,    /* no usable relay: connect, TLS, AUTH, time-out, 421 */
};

/*
 * The URL for host and port: "smtp://host:port/helo", "smtps://..." for
 * port 465; an IPv6 address is bracketed. 0, or -1 with a reason naming
 * SMTP_HOST when host is empty or holds anything but a host name or an
 * address (no '/', '@', white space...).
 */
int smtp_url(char *out, size_t outlen, const char *host, long port, const char *helo, char *err,
             size_t errlen);

/*
 * Set up from cfg (smtp_host must be set). 0, or -1 with a message naming
 * the variable in err. Connects nothing yet.
 */
int smtp_init(struct smtp *s, const struct config *cfg, char *err, size_t errlen);
void smtp_release(struct smtp *s);

/*
 * Send one rendered message (CRLF line ends; libcurl adds the dot
 * stuffing) to rcpt[0..nrcpt). On failure a reason goes into err. All
 * recipients are refused or none: one refused RCPT fails the message.
 */
enum smtp_result smtp_send(struct smtp *s, const char *const *rcpt, size_t nrcpt, const char *msg,
                           size_t len, char *err, size_t errlen);

#endif
