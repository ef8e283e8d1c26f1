/*
 * seed_load.h -- bulk synthetic data for benchmarks (`scholarshipctl
 * seed-load --students N --applications M`): N student accounts with
 * their records and M applications, written with COPY in one transaction.
 *
 * Each run is a new batch and adds to what is there; it never changes
 * existing rows:
 *   - a scholarship LOAD (the first batch), LOAD-2, LOAD-3... (active,
 *     one sub-type "general", no rules), with ceil(M / N) open periods
 *     (one per academic year and term, going back from the current year);
 *   - N users with role student, verified, emails load-<n>@load.example.edu
 *     and records with student numbers L<n as 9 digits>, n continuing after
 *     the highest load-<n> already there, spread over the active
 *     departments of the reference data (which must be loaded), all with
 *     one argon2id hash of opts->password at the configured cost;
 *   - M applications: the k-th goes to period k / N and student k % N (one
 *     live application per period and student, as the partial unique index
 *     wants), statuses mixed (mostly submitted and under_review, some of
 *     every status) with a consistent stage, submitted_at, version and the
 *     status history the transition table allows; app_no blocks are
 *     reserved in app_no_sequences under their row locks, so numbers stay
 *     unique next to the API's and it numbers on after them;
 *   - a grant of the scholarship to opts->admin_email when that user is an
 *     admin; one audit row (action seed.load) summarising the batch.
 * Concurrent runs queue on an advisory lock. Any error rolls the whole
 * batch back. Afterwards the loaded tables are ANALYZEd (the owner role
 * may; for another role that step is skipped with a warning).
 */
#ifndef SCH_SEED_LOAD_H
#define SCH_SEED_LOAD_H

#include <libpq-fe.h>
#include <stdio.h>

#include "password.h"

struct config;

/* Per run: at most this many students (one app_no sequence holds 99999)
 * and this many periods (applications per student). */
#define SEED_LOAD_MAX_STUDENTS 99999L
#define SEED_LOAD_MAX_PERIODS 60L

struct seed_load_opts {
	long students;        /* 1..SEED_LOAD_MAX_STUDENTS */
	long applications;    /* 0..students * SEED_LOAD_MAX_PERIODS */
	const char *password; /* of every loaded account (policy-checked) */
	struct password_cost cost;
	const char *admin_email; /* granted the scholarship if an admin; may be NULL */
	/* When not NULL, every loaded student gets a line there, in load
	 * order: the user id, a space, an access token (cfg supplies the key
	 * and the lifetime, ACCESS_TOKEN_EXPIRE_MINUTES). */
	const char *tokens_path;
	const struct config *cfg;
	FILE *progress; /* one line per step, or NULL */
};

struct seed_load_report {
	char code[32];           /* the scholarship's */
	char scholarship_id[37]; /* UUID */
	long first_n, last_n;    /* load-<first_n> .. load-<last_n> */
	long periods;
	int admin_granted;
	int analyzed;
	double seconds_total, seconds_users, seconds_applications, seconds_analyze;
};

/*
 * Load one batch on conn (not in a transaction). 0, or -1 with a message
 * for the operator in err (nothing written). rep is filled on success.
 */
int seed_load_run(PGconn *conn, const struct seed_load_opts *o, struct seed_load_report *rep,
                  char *err, size_t errlen);

#endif
