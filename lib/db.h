/*
 * db.h -- one PostgreSQL connection per worker, opened after fork.
 *
 * Statements are static const struct db_stmt rows declared by each domain
 * file; db_exec() prepares a statement on first use on the current
 * connection and runs it with PQexecPrepared. When the connection breaks
 * it is dropped; the next call reconnects, with exponential backoff so a
 * dead server costs a 503 per request, not a connect storm, and every
 * statement is prepared again on the new connection.
 *
 * Results are registered with the request arena (PQclear at reset).
 */
#ifndef SCH_DB_H
#define SCH_DB_H

#include <libpq-fe.h>
#include <stddef.h>

struct arena;

struct db_stmt {
	/* Unique across the program; NULL: not prepared but planned for its
	 * parameters on every run (PQexecParams), for the few statements
	 * whose best plan depends on the values (a generic plan would be far
	 * worse). */
	const char *name;
	const char *sql;
	int nparams;
};

#define DB_MAX_PREPARED 512

struct db {
	PGconn *conn;
	char *url;
	double next_attempt; /* monotonic seconds; no connect before it */
	double backoff;      /* seconds, doubles up to backoff_max */
	double backoff_min, backoff_max;
	int connect_timeout;
	const struct db_stmt *prepared[DB_MAX_PREPARED];
	size_t nprepared;
	unsigned long errors; /* connection and query failures */
	int in_tx;
};

/* Error classes a failed call reports. */
enum db_err {
	DB_OK = 0,
	DB_DOWN,     /* no connection: 503 + Retry-After */
	DB_CONFLICT, /* unique violation and friends: 409 */
	DB_INVALID,  /* foreign key, check, not-null: 422 */
	DB_RETRY,    /* serialization failure, deadlock: retry the transaction */
	DB_FAILED,   /* anything else: 500 */
};

void db_init(struct db *db, const char *url, int connect_timeout);
void db_release(struct db *db);

/* Connect when needed (respecting the backoff). 0 when usable, else -1. */
int db_ensure(struct db *db);

/*
 * Run a prepared statement. Returns the result (owned by the arena) for
 * PGRES_TUPLES_OK/COMMAND_OK, else NULL with *err set (and the SQLSTATE in
 * sqlstate when given, 6 bytes).
 */
PGresult *db_exec(struct db *db, struct arena *a, const struct db_stmt *st,
                  const char *const *params, enum db_err *err, char *sqlstate);

/* BEGIN / COMMIT / ROLLBACK (simple statements). */
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);

/* Map a SQLSTATE to an error class (23505 → DB_CONFLICT ...). */
enum db_err db_classify(const char *sqlstate);
/* HTTP status for an error class. */
int db_err_status(enum db_err e);

/* Monotonic clock in seconds. */
double db_now(void);

#endif
