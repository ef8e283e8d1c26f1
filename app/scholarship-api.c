/*
 * scholarship-api -- the FastCGI pool master and its workers.
 *
 * spawn-fcgi creates the listening socket, drops privileges and execs us
 * with the socket as fd 0. We read the configuration once, map the
 * metrics scoreboard, and hand over to the pool master (lib/pool.c), which
 * forks the workers. A worker opens its own PostgreSQL and Redis
 * connections, then loops: wait for a connection, parse, route, run the
 * handler, answer, log one line, reset the arena.
 *
 * Workers block SIGTERM/SIGQUIT except while waiting in epoll_pwait, so a
 * request in flight is never interrupted and a stop request is never
 * missed. The listening socket is non-blocking and watched with
 * EPOLLEXCLUSIVE, so one connection wakes one worker.
 */
#include <errno.h>
#include <fcntl.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_routes.h"
#include "accounts.h"
#include "arena.h"
#include "auth.h"
#include "config.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "pii.h"
#include "pool.h"
#include "router.h"
#include "storage.h"
#include "worker.h"

extern const char api_openapi_json[];
extern const char api_openapi_json_end[];

static volatile sig_atomic_t worker_quit;

static void on_quit(int sig)
{
	(void)sig;
	worker_quit = 1;
}

/* FastCGI stdin as an http_reader. */
static ssize_t fcgx_read(void *ctx, char *p, size_t n)
{
	int want = n > 65536 ? 65536 : (int)n;
	int got = FCGX_GetStr(p, want, ((FCGX_Request *)ctx)->in);

	return got < 0 ? -1 : got;
}

/* Discard what the client sent beyond what we read (so NGINX's write of
 * the body never fails when we answer early with 413/415). */
static void drain_body(FCGX_Request *fr)
{
	char sink[8192];
	long total = 0;

	while (total < 256L * 1024 * 1024) {
		int n = FCGX_GetStr(sink, sizeof(sink), fr->in);
		if (n <= 0)
			break;
		total += n;
	}
}

static void answer_status(struct ctx *c, int status)
{
	const char *detail = NULL;

	switch (status) {
	case 404:
		detail = "no such resource";
		break;
	case 413:
		detail = "the request body is too large for this route";
		break;
	case 415:
		detail = "this route does not accept that media type";
		break;
	case 414:
		detail = "the request URI is too long";
		break;
	case 431:
		detail = "the request headers are too large";
		break;
	case 400:
		detail = "the request is malformed";
		break;
	}
	resp_problem(c->resp, c->req, status, detail, NULL, 0);
}

/* Read and parse the body a route declared; 0, or an answered error. */
static int read_body(struct ctx *c, FCGX_Request *fr)
{
	const struct route *rt = c->route;
	const char *why;
	int st;

	if (rt->body == BODY_MULTIPART || rt->body == BODY_NONE)
		return 0;
	if (c->req->content_length <= 0 && c->req->content_type == NULL)
		return 0; /* action route with an empty body */
	st = http_read_body(c->req, fcgx_read, fr, route_body_max(rt));
	if (st != 0) {
		answer_status(c, st);
		return -1;
	}
	if (rt->body == BODY_CSV)
		return 0;
	c->body = json_parse(c->arena, c->req->body, c->req->body_len, &why);
	if (c->body == NULL) {
		resp_problem(c->resp, c->req, 400, why, NULL, 0);
		return -1;
	}
	return 0;
}

static void slot_note(struct metrics_slot *s, const char *field_route, const struct req *r)
{
	snprintf(s->route, sizeof(s->route), "%s", field_route);
	snprintf(s->method, sizeof(s->method), "%s", r->method ? r->method : "");
	snprintf(s->request_id, sizeof(s->request_id), "%s", r->request_id ? r->request_id : "");
}

/* Route and run one request; leaves the answer in c->resp. */
static int dispatch(struct ctx *c, FCGX_Request *fr, int parse_status)
{
	struct worker *w = c->w;
	struct buf allow;
	int idx, st;

	if (parse_status != 0) {
		answer_status(c, parse_status);
		return -1;
	}
	buf_init(&allow, c->arena);
	idx = route_match(w->routes, w->nroutes, c->req, &allow);
	if (idx == ROUTE_ERROR) {
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
		return -1;
	}
	if (idx == ROUTE_NOT_FOUND) {
		answer_status(c, 404);
		return -1;
	}
	if (idx == ROUTE_BAD_METHOD) {
		resp_problem(c->resp, c->req, 405, "this method is not allowed on this resource",
		             NULL, 0);
		resp_header(c->resp, "Allow", buf_cstr(&allow) ? buf_cstr(&allow) : "");
		return -1;
	}
	c->route = &w->routes[idx];
	slot_note(w->slot, c->route->pattern, c->req);
	if (c->route->roles != ROLES_PUBLIC) {
		if (auth_authenticate(c) < 0)
			return idx;
		if ((c->route->roles & c->role) == 0) {
			resp_problem(c->resp, c->req, 403, "your role may not do this", NULL, 0);
			return idx;
		}
	}
	/* Who may call comes first (401/403), then what may be sent (413/415). */
	if ((st = route_check_body(c->route, c->req)) != 0) {
		answer_status(c, st);
		return idx;
	}
	if (read_body(c, fr) < 0)
		return idx;
	c->route->handler(c);
	if (c->resp->status == 0)
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
	return idx;
}

static void write_response(struct ctx *c, FCGX_Request *fr)
{
	struct buf out;

	buf_init(&out, c->arena);
	http_resp_serialize(c->resp, c->req, &out);
	if (out.oom) {
		static const char oom[] =
		    "Status: 500 Internal Server Error\r\n"
		    "Content-Type: application/problem+json\r\n"
		    "Cache-Control: no-store\r\n\r\n"
		    "{\"type\":\"about:blank\",\"title\":\"Internal Server Error\","
		    "\"status\":500}";
		FCGX_PutStr(oom, sizeof(oom) - 1, fr->out);
		c->resp->status = 500;
		return;
	}
	FCGX_PutStr(out.data, (int)out.len, fr->out);
}

/* Fold the worker's error counters into its slot. */
static void slot_errors(struct worker *w, unsigned long *last_db, unsigned long *last_redis)
{
	w->slot->db_errors += w->db.errors - *last_db;
	w->slot->redis_errors += w->cache.errors - *last_redis;
	*last_db = w->db.errors;
	*last_redis = w->cache.errors;
}

/* Copy what the log line needs out of the FastCGI params, which die at
 * FCGX_Finish_r. */
static void keep_for_log(struct req *r)
{
	const char **fields[] = {&r->request_id, &r->method, &r->path};
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (*fields[i] != NULL)
			*fields[i] = arena_strdup(r->arena, *fields[i]);
}

static void serve_one(struct worker *w, struct arena *a, FCGX_Request *fr)
{
	static unsigned long last_db, last_redis;
	int64_t t0 = metrics_now_ns();
	struct req req;
	struct resp resp;
	struct ctx c = {
	    .w = w, .arena = a, .req = &req, .resp = &resp, .body_read = fcgx_read, .body_src = fr};
	int st, idx;
	double secs;

	w->slot->req_start_ns = t0;
	w->slot->state = SLOT_BUSY;
	resp_init(&resp, a);
	st = http_req_parse(&req, a, fr->envp);
	slot_note(w->slot, "unmatched", &req);
	idx = dispatch(&c, fr, st);
	if (req.body == NULL && req.content_length > 0)
		drain_body(fr);
	write_response(&c, fr);
	keep_for_log(&req);
	FCGX_Finish_r(fr); /* frees the FastCGI params req points into */
	secs = (double)(metrics_now_ns() - t0) / 1e9;
	metrics_observe(w->slot, idx, resp.status, secs); /* <0: "unmatched" */
	slot_errors(w, &last_db, &last_redis);
	log_request(&(struct log_request){.request_id = req.request_id,
	                                  .method = req.method,
	                                  .route = idx >= 0 ? w->routes[idx].pattern : NULL,
	                                  .path = req.path,
	                                  .status = resp.status,
	                                  .duration_ms = secs * 1000,
	                                  .user_id = c.user_id});
	w->slot->state = SLOT_IDLE;
	w->slot->req_start_ns = 0;
	arena_reset(a);
}

static int worker_setup_signals(sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_quit; /* no SA_RESTART: epoll_pwait must return */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGQUIT, &sa, NULL) < 0)
		return -1;
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &block, waitmask) < 0)
		return -1;
	sigdelset(waitmask, SIGTERM);
	sigdelset(waitmask, SIGQUIT);
	return 0;
}

struct api_args {
	const struct config *cfg;
	struct metrics_shm *shm;
};

static int worker_main(struct metrics_slot *slot, void *arg)
{
	const struct api_args *args = arg;
	const struct config *cfg = args->cfg;
	struct worker w = {.cfg = cfg,
	                   .slot = slot,
	                   .shm = args->shm,
	                   .routes = api_routes,
	                   .nroutes = api_nroutes};
	struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE};
	FCGX_Request fr;
	struct arena a;
	sigset_t waitmask;
	long served = 0;
	int ep;

#ifdef SCH_TEST_BUILD
	/* Test hook for the crash-loop guard: die at start while this file exists. */
	const char *crash = getenv("SCHOLARSHIP_TEST_CRASH_FILE");
	if (crash != NULL && access(crash, F_OK) == 0)
		abort();
#endif
	if (worker_setup_signals(&waitmask) < 0 || FCGX_Init() != 0 ||
	    FCGX_InitRequest(&fr, 0, 0) != 0)
		return POOL_EXIT_FATAL;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) < 0)
		return POOL_EXIT_FATAL;
	db_init(&w.db, cfg->database_url, 2);
	if (cache_init(&w.cache, cfg->redis_url, cfg->redis_password, 500) < 0 ||
	    accounts_init(cfg) < 0)
		return POOL_EXIT_FATAL;
	if (storage_check(cfg) < 0)
		log_error("worker: the document storage is not usable; uploads answer 503");
	w.openapi = api_openapi_json;
	w.openapi_len = (size_t)(api_openapi_json_end - api_openapi_json);
	arena_init(&a, 64 * 1024);
	log_set_batching(1);
	while (!worker_quit && (cfg->max_requests == 0 || served < cfg->max_requests)) {
		/* Ask without waiting first: only when no connection is ready do
		 * the batched log lines go out, then the worker sleeps. */
		int rc = epoll_pwait(ep, &ev, 1, 0, &waitmask);
		if (rc == 0) {
			log_flush();
			rc = epoll_pwait(ep, &ev, 1, -1, &waitmask);
		}
		if (rc <= 0 || worker_quit)
			continue;
		rc = FCGX_Accept_r(&fr);
		if (rc < 0)
			continue; /* EAGAIN: another worker took it */
		serve_one(&w, &a, &fr);
		served++;
	}
	log_set_batching(0); /* flushes */
	arena_free(&a);
	db_release(&w.db);
	cache_release(&w.cache);
	close(ep);
	return POOL_EXIT_RECYCLE;
}

/* "METHOD PATTERN ROLES" per route, for tests and operators; ROLES is
 * "public" or a comma-separated list. */
static void print_routes(void)
{
	static const char *const names[] = {"student", "reviewer", "college", "admin",
	                                    "super_admin"};
	size_t i, k;

	for (i = 0; i < api_nroutes; i++) {
		const char *sep = "";
		printf("%s %s ", api_routes[i].method, api_routes[i].pattern);
		if (api_routes[i].roles == ROLES_PUBLIC)
			printf("public");
		for (k = 0; k < 5; k++)
			if (api_routes[i].roles & (1u << k)) {
				printf("%s%s", sep, names[k]);
				sep = ",";
			}
		printf("\n");
	}
}

/* fd 0 must be the listening socket spawn-fcgi gave us. */
static int check_listen_fd(void)
{
	int listening = 0, flags;
	socklen_t len = sizeof(listening);
	struct stat st;

	if (fstat(0, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening) {
		fprintf(stderr, "scholarship-api: standard input is not a listening socket; "
		                "start me with spawn-fcgi\n");
		return -1;
	}
	flags = fcntl(0, F_GETFL);
	return flags < 0 || fcntl(0, F_SETFL, flags | O_NONBLOCK) < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	static struct config cfg; /* static: workers exit() while it is live */
	struct api_args args;
	struct pool_config pc;
	char err[2048];
	int rc;

	if (argc > 1 && strcmp(argv[1], "--routes") == 0) {
		print_routes();
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "usage: scholarship-api [--routes]  (started by spawn-fcgi)\n");
		return 2;
	}
	if (config_load_env(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "scholarship-api: configuration: %s\n", err);
		return 1;
	}
	log_set_level(cfg.log_level);
	if (pii_config_check(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "scholarship-api: configuration: %s\n", err);
		return 1;
	}
	if (cfg.secret_key == NULL) {
		fprintf(stderr, "scholarship-api: configuration: SECRET_KEY is required\n");
		return 1;
	}
	if (check_listen_fd() < 0)
		return 1;
	args.cfg = &cfg;
	args.shm = metrics_map((int)cfg.workers * 2 + 1);
	if (args.shm == NULL) {
		fprintf(stderr, "scholarship-api: cannot map the metrics region\n");
		return 1;
	}
	pc.workers = (int)cfg.workers;
	pc.max_requests = cfg.max_requests;
	pc.request_timeout = cfg.request_timeout;
	pc.stop_timeout = (double)cfg.request_timeout + 1;
	rc = pool_run(&pc, args.shm, worker_main, &args);
	metrics_unmap(args.shm);
	config_release(&cfg);
	return rc;
}
