/*
 * smtp.c -- one libcurl easy handle that sends rendered messages to the
 * SMTP relay (see smtp.h for the contract).
 *
 * Why these choices:
 *  - One handle for the life of the worker: libcurl keeps the connection
 *    in the handle's cache after each message and sends the next MAIL
 *    FROM on it, so a burst costs one TCP (and TLS, and AUTH) set-up, not
 *    one per mail. CURLOPT_MAXAGE_CONN drops a connection idle for long
 *    enough that the relay may have closed it; if a kept connection still
 *    turns out dead before the relay said anything, the message is tried
 *    once more at once on a fresh one (nothing can have been accepted).
 *  - The relay's replies come through the header callback (libcurl hands
 *    every SMTP reply line to it); the first 4xx/5xx line of a message is
 *    kept, because it says why better than libcurl's "RCPT failed: 550".
 *  - SMTP_USE_TLS=true means CURLUSESSL_ALL: without STARTTLS the message
 *    is not sent, never silently in clear. Port 465 is implicit TLS.
 *    Certificates are verified (the system's CA store).
 *  - Credentials go to libcurl as CURLOPT_USERNAME/PASSWORD, never in the
 *    URL, and nothing here prints them; the replies kept are the relay's,
 *    which never echo them.
 *  - Time limits (SMTP_CONNECT_TIMEOUT, SMTP_TIMEOUT) bound one message;
 *    the worker's stale-row re-queue waits longer than a batch can take.
 */
#include "smtp.h"

#include "config.h"
#include "log.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAXAGE_CONN 30L /* seconds an idle connection is kept for the next mail */

static int bad(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Printable ASCII only (a reply or a reason may hold anything). */
static void sanitize(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

static int host_byte_ok(unsigned char c)
{
	return isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':';
}

int smtp_url(char *out, size_t outlen, const char *host, long port, const char *helo, char *err,
             size_t errlen)
{
	const char *h = host;
	size_t n, i;
	int v6, rc;

	if (host == NULL || *host == '\0')
		return bad(err, errlen, "SMTP_HOST is empty");
	n = strlen(host);
	if (n > 2 && host[0] == '[' && host[n - 1] == ']')
		h = host + 1, n -= 2;
	if (n > 253)
		return bad(err, errlen, "SMTP_HOST is too long");
	for (i = 0; i < n; i++)
		if (!host_byte_ok((unsigned char)h[i]))
			return bad(err, errlen, "SMTP_HOST must be a host name or an IP address");
	if (port < 1 || port > 65535)
		return bad(err, errlen, "SMTP_PORT must be an integer from 1 to 65535");
	v6 = memchr(h, ':', n) != NULL;
	rc = snprintf(out, outlen, "%s://%s%.*s%s:%ld/%s", port == 465 ? "smtps" : "smtp",
	              v6 ? "[" : "", (int)n, h, v6 ? "]" : "", port, helo ? helo : "localhost");
	if (rc < 0 || (size_t)rc >= outlen)
		return bad(err, errlen, "SMTP_HOST is too long");
	return 0;
}

/* The name to greet with (EHLO): this host's name when it is a plain DNS
 * name, else "localhost" (what libcurl would say). */
static void ehlo_name(char *out, size_t outlen)
{
	size_t i;

	memset(out, 0, outlen);
	if (gethostname(out, outlen - 1) < 0 || out[0] == '\0')
		goto fallback;
	for (i = 0; out[i] != '\0'; i++)
		if (!isalnum((unsigned char)out[i]) && out[i] != '.' && out[i] != '-')
			goto fallback;
	return;
fallback:
	snprintf(out, outlen, "localhost");
}

static int is_loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
	       strcmp(host, "::1") == 0 || strcmp(host, "[::1]") == 0;
}

static size_t read_message(char *p, size_t size, size_t nmemb, void *ud)
{
	struct smtp *s = ud;
	size_t n = size * nmemb, left = s->len - s->off;

	if (n > left)
		n = left;
	memcpy(p, s->data + s->off, n);
	s->off += n;
	return n;
}

/* Every reply line of the relay; keep the first refusal of the message. */
static size_t on_reply(char *p, size_t size, size_t nmemb, void *ud)
{
	struct smtp *s = ud;
	size_t n = size * nmemb, k = n;

	s->replies++;
	if (s->refusal[0] != '\0' || n < 3 || (p[0] != '4' && p[0] != '5') ||
	    !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
		return n;
	if (k >= sizeof(s->refusal))
		k = sizeof(s->refusal) - 1;
	memcpy(s->refusal, p, k);
	s->refusal[k] = '\0';
	sanitize(s->refusal);
	return n;
}

static int set_options(struct smtp *s, const struct config *cfg)
{
	char from[MAILFILE_ADDR_MAX + 3];
	CURL *c = s->curl;
	int rc = 0;

	snprintf(from, sizeof(from), "<%s>", s->from);
	rc |= curl_easy_setopt(c, CURLOPT_URL, s->url);
	rc |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	rc |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)SMTP_CONNECT_TIMEOUT);
	rc |= curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)SMTP_TIMEOUT);
	rc |= curl_easy_setopt(c, CURLOPT_MAXAGE_CONN, MAXAGE_CONN);
	if (cfg->smtp_port != 465)
		rc |=
		    curl_easy_setopt(c, CURLOPT_USE_SSL,
		                     (long)(cfg->smtp_use_tls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
	rc |= curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	rc |= curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	rc |= curl_easy_setopt(c, CURLOPT_READFUNCTION, read_message);
	rc |= curl_easy_setopt(c, CURLOPT_READDATA, s);
	rc |= curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_reply);
	rc |= curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
	rc |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
	if (cfg->smtp_username != NULL) {
		rc |= curl_easy_setopt(c, CURLOPT_USERNAME, cfg->smtp_username);
		rc |= curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->smtp_password);
	}
	return rc == 0 ? 0 : -1;
}

int smtp_init(struct smtp *s, const struct config *cfg, char *err, size_t errlen)
{
	char helo[256];
	int tls = cfg->smtp_port == 465 || cfg->smtp_use_tls;

	memset(s, 0, sizeof(*s));
	ehlo_name(helo, sizeof(helo));
	if (smtp_url(s->url, sizeof(s->url), cfg->smtp_host, cfg->smtp_port, helo, err, errlen) < 0)
		return -1;
	if (mailfile_check_from(cfg->mail_from, err, errlen) < 0 ||
	    mailfile_from_addr(cfg->mail_from, s->from, sizeof(s->from)) < 0)
		return -1;
	s->curl = curl_easy_init();
	if (s->curl == NULL)
		return bad(err, errlen, "SMTP_HOST: libcurl cannot be initialised");
	if (set_options(s, cfg) < 0) {
		smtp_release(s);
		return bad(err, errlen, "SMTP_HOST: this libcurl lacks SMTP support");
	}
	if (cfg->smtp_username != NULL && !tls && !is_loopback(cfg->smtp_host))
		log_warn("smtp: SMTP_USERNAME and SMTP_PASSWORD go to %s without TLS "
		         "(SMTP_USE_TLS=false)",
		         cfg->smtp_host);
	log_info("smtp: relay %s:%ld, %s%s", cfg->smtp_host, cfg->smtp_port,
	         cfg->smtp_port == 465 ? "implicit TLS"
	         : tls                 ? "STARTTLS required"
	                               : "no TLS",
	         cfg->smtp_username != NULL ? ", AUTH" : "");
	return 0;
}

void smtp_release(struct smtp *s)
{
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl); /* QUIT on the kept connection */
	s->curl = NULL;
}

/* rcpt as libcurl's list of "<addr>"; NULL when out of memory. */
static struct curl_slist *rcpt_list(const char *const *rcpt, size_t nrcpt)
{
	char a[MAILFILE_ADDR_MAX + 3];
	struct curl_slist *list = NULL, *n;
	size_t i;

	for (i = 0; i < nrcpt; i++) {
		snprintf(a, sizeof(a), "<%s>", rcpt[i]);
		n = curl_slist_append(list, a);
		if (n == NULL) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = n;
	}
	return list;
}

/* One try on the handle; the number of new connections it made. */
static CURLcode perform(struct smtp *s, const char *msg, size_t len, long fresh, long *conns)
{
	CURLcode rc;

	s->data = msg;
	s->len = len;
	s->off = 0;
	s->errbuf[0] = '\0';
	s->refusal[0] = '\0';
	s->replies = 0;
	curl_easy_setopt(s->curl, CURLOPT_FRESH_CONNECT, fresh);
	rc = curl_easy_perform(s->curl);
	*conns = 0;
	curl_easy_getinfo(s->curl, CURLINFO_NUM_CONNECTS, conns);
	s->connections += (unsigned long)*conns;
	return rc;
}

static enum smtp_result outcome(struct smtp *s, CURLcode rc, char *err, size_t errlen)
{
	const char *why = s->errbuf[0] != '\0' ? s->errbuf : curl_easy_strerror(rc);

	if (rc == CURLE_OK) {
		s->messages++;
		return SMTP_SENT;
	}
	if (s->refusal[0] != '\0')
		snprintf(err, errlen, "%s (%s)", s->refusal, why);
	else
		snprintf(err, errlen, "%s", why);
	sanitize(err);
	if (s->refusal[0] == '\0' || strncmp(s->refusal, "421", 3) == 0 || rc == CURLE_LOGIN_DENIED)
		return SMTP_DOWN;
	return SMTP_REFUSED;
}

enum smtp_result smtp_send(struct smtp *s, const char *const *rcpt, size_t nrcpt, const char *msg,
                           size_t len, char *err, size_t errlen)
{
	struct curl_slist *list;
	CURLcode rc;
	long conns;

	if (s->curl == NULL || nrcpt == 0) {
		snprintf(err, errlen, "no SMTP transport or no recipient");
		return SMTP_DOWN;
	}
	list = rcpt_list(rcpt, nrcpt);
	if (list == NULL) {
		snprintf(err, errlen, "out of memory");
		return SMTP_DOWN;
	}
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, list);
	curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	rc = perform(s, msg, len, 0L, &conns);
	/* A kept connection the relay had closed fails before any reply:
	 * nothing was accepted, so try once more on a new connection. */
	if (rc != CURLE_OK && conns == 0 && s->replies == 0)
		rc = perform(s, msg, len, 1L, &conns);
	curl_easy_setopt(s->curl, CURLOPT_FRESH_CONNECT, 0L);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(list);
	s->data = NULL;
	return outcome(s, rc, err, errlen);
}
