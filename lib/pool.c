/*
 * pool.c -- the master loop. Signal handlers only write a byte to a
 * self-pipe; the loop wakes on it (or every 100 ms) and does all work:
 * reaping, respawning, timeouts, reload and stop.
 */
#include "pool.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct child {
	pid_t pid;
	int slot;
	int draining; /* told to leave (reload or stop) */
	int killed_for_timeout;
	int64_t started_ns;
};

static int sig_pipe[2] = {-1, -1};
static volatile sig_atomic_t got_term, got_int, got_hup, got_chld;

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;
	ssize_t n;

	switch (sig) {
	case SIGTERM:
	case SIGQUIT:
		got_term = 1;
		break;
	case SIGINT:
		got_int = 1;
		break;
	case SIGHUP:
		got_hup = 1;
		break;
	case SIGCHLD:
		got_chld = 1;
		break;
	}
	n = write(sig_pipe[1], &c, 1);
	(void)n;
	errno = saved;
}

static int install_signals(void)
{
	static const int sigs[] = {SIGTERM, SIGQUIT, SIGINT, SIGHUP, SIGCHLD};
	struct sigaction sa;
	size_t i;

	if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

struct master {
	const struct pool_config *pc;
	struct metrics_shm *shm;
	pool_worker_fn fn;
	void *arg;
	struct child *children; /* one per slot; pid 0 = free */
	int nslots;
	int stopping; /* 1 graceful, 2 fast */
	int64_t stop_deadline_ns;
	int fast_crashes;      /* consecutive crashes soon after start */
	int64_t next_spawn_ns; /* crash-loop guard */
	int fatal;             /* a worker reported it cannot run */
};

static void reset_child_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
}

static int spawn(struct master *m, int slot)
{
	struct metrics_slot *s = &m->shm->slots[slot];
	pid_t pid;

	s->state = SLOT_IDLE;
	s->req_start_ns = 0;
	pid = fork();
	if (pid < 0) {
		log_error("pool: fork failed: %s", strerror(errno));
		s->state = SLOT_FREE;
		return -1;
	}
	if (pid == 0) {
		close(sig_pipe[0]);
		close(sig_pipe[1]);
		reset_child_signals();
		prctl(PR_SET_PDEATHSIG, SIGQUIT);
		if (getppid() == 1)
			_exit(0);
		s->pid = getpid();
#ifdef SCH_TEST_BUILD
		exit(m->fn(s, m->arg)); /* run atexit: LeakSanitizer checks the worker */
#else
		_exit(m->fn(s, m->arg));
#endif
	}
	s->pid = pid;
	m->children[slot] =
	    (struct child){.pid = pid, .slot = slot, .started_ns = metrics_now_ns()};
	return 0;
}

static int active_count(const struct master *m)
{
	int i, n = 0;

	for (i = 0; i < m->nslots; i++)
		if (m->children[i].pid > 0 && !m->children[i].draining)
			n++;
	return n;
}

/* Start workers until `workers` non-draining ones run. */
static void fill(struct master *m)
{
	int i;

	if (m->stopping || m->fatal || metrics_now_ns() < m->next_spawn_ns)
		return;
	for (i = 0; i < m->nslots && active_count(m) < m->pc->workers; i++)
		if (m->children[i].pid == 0 && spawn(m, i) < 0)
			break;
}

static void note_exit(struct master *m, struct child *c, int status)
{
	int64_t lived = metrics_now_ns() - c->started_ns;
	enum restart_reason why;

	if (c->draining) {
		if (!m->stopping)
			m->shm->restarts[RESTART_RELOAD]++;
		return;
	}
	if (c->killed_for_timeout)
		why = RESTART_TIMEOUT;
	else if (WIFEXITED(status) && WEXITSTATUS(status) == POOL_EXIT_RECYCLE)
		why = RESTART_MAX_REQUESTS;
	else
		why = RESTART_CRASH;
	if (WIFEXITED(status) && WEXITSTATUS(status) == POOL_EXIT_FATAL) {
		log_error("pool: worker %ld cannot run; not respawning", (long)c->pid);
		m->fatal = 1;
	}
	m->shm->restarts[why]++;
	if (why == RESTART_MAX_REQUESTS)
		log_info("pool: worker %ld recycled after max_requests", (long)c->pid);
	if (why == RESTART_CRASH) {
		log_error("pool: worker %ld died (%s %d)", (long)c->pid,
		          WIFSIGNALED(status) ? "signal" : "exit",
		          WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		/* Crash-loop guard: back off when workers die right after start. */
		if (lived < 1000000000LL) {
			int64_t delay = 100000000LL << (m->fast_crashes < 6 ? m->fast_crashes : 6);
			m->fast_crashes++;
			m->next_spawn_ns = metrics_now_ns() + delay;
		} else {
			m->fast_crashes = 0;
		}
	}
}

static void reap(struct master *m)
{
	int status, i;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < m->nslots; i++) {
			struct child *c = &m->children[i];
			if (c->pid != pid)
				continue;
			note_exit(m, c, status);
			m->shm->slots[i].pid = 0;
			m->shm->slots[i].state = SLOT_FREE;
			c->pid = 0;
			break;
		}
	}
}

static void check_timeouts(struct master *m)
{
	int64_t now = metrics_now_ns(), limit = m->pc->request_timeout * 1000000000LL;
	int i;

	for (i = 0; i < m->nslots; i++) {
		struct child *c = &m->children[i];
		struct metrics_slot *s = &m->shm->slots[i];
		int64_t start = s->req_start_ns;
		if (c->pid <= 0 || c->killed_for_timeout || s->state != SLOT_BUSY || start == 0 ||
		    now - start <= limit)
			continue;
		log_fields(LOG_ERROR, "pool: request timed out; killing worker", "route", s->route,
		           "method", s->method, "request_id", s->request_id, NULL);
		c->killed_for_timeout = 1;
		kill(c->pid, SIGKILL);
	}
}

static void signal_all(struct master *m, int sig, int mark_draining)
{
	int i;

	for (i = 0; i < m->nslots; i++) {
		if (m->children[i].pid <= 0)
			continue;
		if (mark_draining)
			m->children[i].draining = 1;
		kill(m->children[i].pid, sig);
	}
}

static void reload(struct master *m)
{
	int i;

	log_info("pool: reload: replacing workers");
	/* Old workers keep serving until the new ones are up; then they are
	 * told to leave once their current request is done. */
	for (i = 0; i < m->nslots; i++)
		if (m->children[i].pid > 0)
			m->children[i].draining = 1;
	m->next_spawn_ns = 0;
	m->fatal = 0;
	fill(m);
	for (i = 0; i < m->nslots; i++)
		if (m->children[i].pid > 0 && m->children[i].draining)
			kill(m->children[i].pid, SIGQUIT);
}

static int live_children(const struct master *m)
{
	int i, n = 0;

	for (i = 0; i < m->nslots; i++)
		if (m->children[i].pid > 0)
			n++;
	return n;
}

static void handle_signals(struct master *m)
{
	char drain[64];

	while (read(sig_pipe[0], drain, sizeof(drain)) > 0)
		;
	if (got_chld) {
		got_chld = 0;
		reap(m);
	}
	if (got_int && m->stopping < 2) {
		got_int = 0;
		log_info("pool: fast stop");
		m->stopping = 2;
		signal_all(m, SIGKILL, 1);
	}
	if (got_term && !m->stopping) {
		got_term = 0;
		log_info("pool: graceful stop");
		m->stopping = 1;
		m->stop_deadline_ns = metrics_now_ns() + (int64_t)(m->pc->stop_timeout * 1e9);
		signal_all(m, SIGQUIT, 1);
	}
	if (got_hup) {
		got_hup = 0;
		if (!m->stopping)
			reload(m);
	}
}

int pool_run(const struct pool_config *pc, struct metrics_shm *shm, pool_worker_fn fn, void *arg)
{
	struct master m = {.pc = pc, .shm = shm, .fn = fn, .arg = arg, .nslots = shm->nslots};
	struct pollfd pfd;
	int rc = 0;

	m.children = calloc((size_t)m.nslots, sizeof(*m.children));
	if (m.children == NULL || install_signals() < 0) {
		log_error("pool: cannot set up: %s", strerror(errno));
		free(m.children);
		return 1;
	}
	log_info("pool: starting %d workers", pc->workers);
	fill(&m);
	pfd.fd = sig_pipe[0];
	pfd.events = POLLIN;
	for (;;) {
		(void)poll(&pfd, 1, 100);
		handle_signals(&m);
		reap(&m);
		if (m.fatal && live_children(&m) == 0) {
			log_error("pool: no worker can run; exiting");
			rc = 1;
			break;
		}
		if (m.stopping) {
			if (live_children(&m) == 0)
				break;
			if (m.stopping == 1 && metrics_now_ns() > m.stop_deadline_ns) {
				log_warn("pool: stop timeout; killing remaining workers");
				signal_all(&m, SIGKILL, 1);
				m.stopping = 2;
			}
			continue;
		}
		check_timeouts(&m);
		fill(&m);
	}
	log_info("pool: stopped");
	free(m.children);
	return rc;
}
