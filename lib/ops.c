/*
 * ops.c -- the operational routes. /health does no I/O at all; /health/ready
 * makes one PostgreSQL and one Redis round trip and names what is down.
 * /metrics is the pool's scoreboard plus scholarship-worker's mail counters
 * (one query; left out, not an error, while PostgreSQL is down).
 */
#include "ops.h"

#include "arena.h"
#include "buf.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "mail_metrics.h"
#include "metrics.h"
#include "worker.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const struct db_stmt ready_stmt = {"ops_ready", "SELECT 1", 0};

void ops_health(struct ctx *c)
{
	static const char body[] = "{\"status\":\"ok\"}";

	resp_json(c->resp, 200, body, sizeof(body) - 1);
}

void ops_ready(struct ctx *c)
{
	static const char *const ping[] = {"PING"};
	enum db_err err;
	int pg_ok, redis_ok;
	struct buf b;

	pg_ok = db_exec(&c->w->db, c->arena, &ready_stmt, NULL, &err, NULL) != NULL;
	redis_ok = cache_cmd(&c->w->cache, c->arena, 1, ping) != NULL;
	buf_init(&b, c->arena);
	buf_printf(&b, "{\"status\":\"%s\",\"checks\":{\"postgres\":\"%s\",\"redis\":\"%s\"}}",
	           pg_ok && redis_ok ? "ok" : "unavailable", pg_ok ? "ok" : "down",
	           redis_ok ? "ok" : "down");
	resp_json(c->resp, pg_ok && redis_ok ? 200 : 503, b.data, b.len);
	if (!(pg_ok && redis_ok))
		resp_header(c->resp, "Retry-After", "5");
}

void ops_metrics(struct ctx *c)
{
	struct resp *w = c->resp;

	metrics_render(c->w->shm, c->w->routes, c->w->nroutes, &w->body);
	mail_metrics_render(&c->w->db, c->arena, &w->body);
	w->status = 200;
	w->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

void ops_openapi(struct ctx *c)
{
	if (c->w->openapi == NULL) {
		resp_problem(c->resp, c->req, 503, "the API description is not installed", NULL, 0);
		return;
	}
	resp_json(c->resp, 200, c->w->openapi, c->w->openapi_len);
	resp_header(c->resp, "Cache-Control", "public, max-age=300");
}

#ifdef SCH_TEST_BUILD
void ops_test_sleep(struct ctx *c)
{
	const char *ms = http_query(c->req, "ms", NULL);
	long v = ms ? strtol(ms, NULL, 10) : 100;
	struct timespec ts;

	if (v < 0 || v > 600000)
		v = 100;
	ts.tv_sec = v / 1000;
	ts.tv_nsec = (v % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0)
		;
	resp_json(c->resp, 200, "{\"slept\":true}", 14);
}

void ops_test_echo(struct ctx *c)
{
	char *s = json_print(c->arena, c->body);

	if (s == NULL) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return;
	}
	resp_json(c->resp, 200, s, strlen(s));
}

void ops_test_crash(struct ctx *c)
{
	(void)c;
	abort(); /* SIGABRT: no sanitizer report, the master sees a crash */
}
#endif
