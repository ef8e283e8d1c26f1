/*
 * scholarship-worker -- background jobs. For now it only validates the
 * configuration and waits for a stop signal; the outbox sender arrives
 * with the accounts issue.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

int main(void)
{
	struct config cfg;
	char err[2048];

	if (config_load_env(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "scholarship-worker: configuration: %s\n", err);
		return 1;
	}
	log_set_level(cfg.log_level);
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGPIPE, SIG_IGN);
	log_info("worker: started");
	while (!stop)
		sleep(1);
	log_info("worker: stopped");
	config_release(&cfg);
	return 0;
}
