/*
 * log.c -- JSON-lines logging. Each line is built in a private arena and
 * written with one write(2) so lines from concurrent workers never
 * interleave (stderr is shared by the whole pool).
 */
#include "log.h"

#include "arena.h"
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;
static const char *const level_names[LOG_LEVEL__MAX] = {
    [LOG_DEBUG] = "debug",
    [LOG_INFO] = "info",
    [LOG_WARN] = "warn",
    [LOG_ERROR] = "error",
};

void log_set_level(enum log_level level)
{
	min_level = level;
}

int log_level_parse(const char *s)
{
	int i;

	if (s != NULL && strcasecmp(s, "warning") == 0)
		return LOG_WARN;
	for (i = 0; s != NULL && i < LOG_LEVEL__MAX; i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

/* One arena per process for building lines: reset after each line, so
 * logging does no malloc in a steady worker. (Forked children inherit a
 * copy, which is theirs from then on.) */
static struct arena *line_arena(void)
{
	static struct arena a;
	static int ready;

	if (!ready) {
		arena_init(&a, 4096);
		ready = 1;
	}
	return &a;
}

static void line_begin(struct buf *b, enum log_level level)
{
	static time_t last_sec = -1;
	static char ts[32];
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	if (tv.tv_sec != last_sec) { /* format the date once a second */
		gmtime_r(&tv.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		last_sec = tv.tv_sec;
	}
	buf_printf(b, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"pid\":%ld", ts,
	           (long)tv.tv_usec / 1000, level_names[level], (long)getpid());
}

/* Request lines may be gathered here and written together (see
 * log_set_batching): one write(2) for many lines under load. */
static char batch[16384];
static size_t batch_len;
static int batching;

static void write_all(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, s, n);
		if (w <= 0)
			return; /* nowhere to report a failing log */
		s += w;
		n -= (size_t)w;
	}
}

void log_flush(void)
{
	if (batch_len > 0)
		write_all(batch, batch_len);
	batch_len = 0;
}

void log_set_batching(int on)
{
	log_flush();
	batching = on;
}

/* Finish the line; batched lines wait in the buffer, others flush it
 * first so the order of lines is kept. */
static void line_end(struct buf *b, struct arena *a, int batchable)
{
	const char *s;

	buf_puts(b, "}\n");
	s = buf_cstr(b);
	if (s == NULL) {
		s = "{\"level\":\"error\",\"msg\":\"log: out of memory\"}\n";
		b->len = strlen(s);
		batchable = 0;
	}
	if (batchable && batching && b->len <= sizeof(batch)) {
		if (batch_len + b->len > sizeof(batch))
			log_flush();
		memcpy(batch + batch_len, s, b->len);
		batch_len += b->len;
	} else {
		log_flush();
		write_all(s, b->len);
	}
	arena_reset(a);
}

static void field(struct buf *b, const char *key, const char *val)
{
	buf_putc(b, ',');
	buf_json_str(b, key);
	buf_putc(b, ':');
	buf_json_str(b, val);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	struct arena *a = line_arena();
	struct buf b, msg;
	va_list ap;

	if (level < min_level)
		return;
	buf_init(&b, a);
	buf_init(&msg, a);
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	line_begin(&b, level);
	field(&b, "msg", buf_cstr(&msg) ? buf_cstr(&msg) : "");
	line_end(&b, a, 0);
}

void log_fields(enum log_level level, const char *msg, ...)
{
	struct arena *a = line_arena();
	struct buf b;
	const char *k, *v;
	va_list ap;

	if (level < min_level)
		return;
	buf_init(&b, a);
	line_begin(&b, level);
	field(&b, "msg", msg);
	va_start(ap, msg);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		field(&b, k, v ? v : "");
	}
	va_end(ap);
	line_end(&b, a, 0);
}

void log_request(const struct log_request *r)
{
	enum log_level level = r->status >= 500 ? LOG_ERROR : LOG_INFO;
	struct arena *a = line_arena();
	struct buf b;

	if (level < min_level)
		return;
	buf_init(&b, a);
	line_begin(&b, level);
	field(&b, "msg", "request");
	field(&b, "request_id", r->request_id ? r->request_id : "");
	field(&b, "method", r->method ? r->method : "");
	field(&b, "route", r->route ? r->route : "");
	field(&b, "path", r->path ? r->path : "");
	buf_printf(&b, ",\"status\":%d,\"duration_ms\":%.3f", r->status, r->duration_ms);
	buf_puts(&b, ",\"user_id\":");
	buf_json_str(&b, r->user_id);
	line_end(&b, a, 1);
}
