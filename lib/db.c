/*
 * db.c -- libpq done carefully: prepared statements only, parameters
 * always, results owned by the request arena, a broken connection dropped
 * and re-made with backoff. A worker never crashes or blocks long because
 * PostgreSQL is gone: connect_timeout bounds the attempt and the backoff
 * spaces them out.
 */
#include "db.h"

#include "arena.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double db_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void db_init(struct db *db, const char *url, int connect_timeout)
{
	memset(db, 0, sizeof(*db));
	db->url = strdup(url);
	db->connect_timeout = connect_timeout > 0 ? connect_timeout : 2;
	db->backoff_min = 0.05;
	db->backoff_max = 2.0;
}

static void drop(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	db->nprepared = 0;
	db->in_tx = 0;
}

void db_release(struct db *db)
{
	drop(db);
	free(db->url);
	db->url = NULL;
}

static void schedule_retry(struct db *db)
{
	db->backoff = db->backoff == 0 ? db->backoff_min : db->backoff * 2;
	if (db->backoff > db->backoff_max)
		db->backoff = db->backoff_max;
	db->next_attempt = db_now() + db->backoff;
}

/* libpq prints notices (and a server's FATAL on shutdown) raw on stderr;
 * keep the log one JSON object per line. */
static void on_notice(void *arg, const char *message)
{
	(void)arg;
	log_warn("db: %.*s", (int)strcspn(message, "\n"), message);
}

int db_ensure(struct db *db)
{
	const char *keys[4] = {"dbname", "connect_timeout", "application_name", NULL};
	const char *vals[4];
	char timeout[16];

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	drop(db);
	if (db_now() < db->next_attempt)
		return -1;
	snprintf(timeout, sizeof(timeout), "%d", db->connect_timeout);
	vals[0] = db->url;
	vals[1] = timeout;
	vals[2] = "scholarship";
	vals[3] = NULL;
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		db->errors++;
		log_warn("db: connect failed: %s",
		         db->conn ? strtok(PQerrorMessage(db->conn), "\n") : "out of memory");
		drop(db);
		schedule_retry(db);
		return -1;
	}
	PQsetNoticeProcessor(db->conn, on_notice, NULL);
	db->backoff = 0;
	db->next_attempt = 0;
	return 0;
}

enum db_err db_classify(const char *s)
{
	if (s == NULL)
		return DB_FAILED;
	if (strcmp(s, "23505") == 0 || strcmp(s, "23P01") == 0)
		return DB_CONFLICT;
	if (strncmp(s, "23", 2) == 0 || strcmp(s, "22001") == 0 || strcmp(s, "22P02") == 0 ||
	    strcmp(s, "22003") == 0 || strcmp(s, "22007") == 0 || strcmp(s, "22008") == 0)
		return DB_INVALID;
	if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0)
		return DB_RETRY;
	if (strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0 || strcmp(s, "57P02") == 0 ||
	    strcmp(s, "57P03") == 0 || strcmp(s, "53300") == 0)
		return DB_DOWN;
	return DB_FAILED;
}

int db_err_status(enum db_err e)
{
	static const int status[] = {
	    [DB_OK] = 200,      [DB_DOWN] = 503,  [DB_CONFLICT] = 409,
	    [DB_INVALID] = 422, [DB_RETRY] = 503, [DB_FAILED] = 500,
	};
	return status[e];
}

static int is_prepared(const struct db *db, const struct db_stmt *st)
{
	size_t i;

	for (i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == st)
			return 1;
	return 0;
}

/* Classify a failure; drop the connection when it is gone. */
static enum db_err fail(struct db *db, PGresult *res, char *sqlstate)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	enum db_err e;

	db->errors++;
	if (PQstatus(db->conn) != CONNECTION_OK) {
		drop(db);
		schedule_retry(db);
		e = DB_DOWN;
	} else {
		e = db_classify(st);
	}
	if (sqlstate != NULL)
		snprintf(sqlstate, 6, "%s", st ? st : "");
	if (e == DB_FAILED || e == DB_DOWN)
		log_error("db: %s", res ? strtok(PQresultErrorMessage(res), "\n") : "no result");
	return e;
}

static void pq_clear(void *p)
{
	PQclear(p);
}

static int prepare(struct db *db, const struct db_stmt *st, enum db_err *err, char *sqlstate)
{
	PGresult *res;

	if (is_prepared(db, st))
		return 0;
	if (db->nprepared == DB_MAX_PREPARED) {
		*err = DB_FAILED;
		return -1;
	}
	res = PQprepare(db->conn, st->name, st->sql, st->nparams, NULL);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		*err = fail(db, res, sqlstate);
		PQclear(res);
		return -1;
	}
	PQclear(res);
	db->prepared[db->nprepared++] = st;
	return 0;
}

PGresult *db_exec(struct db *db, struct arena *a, const struct db_stmt *st,
                  const char *const *params, enum db_err *err, char *sqlstate)
{
	PGresult *res;
	ExecStatusType s;

	*err = DB_OK;
	if (db_ensure(db) < 0) {
		*err = DB_DOWN;
		return NULL;
	}
	if (st->name == NULL)
		res = PQexecParams(db->conn, st->sql, st->nparams, NULL, params, NULL, NULL, 0);
	else if (prepare(db, st, err, sqlstate) < 0)
		return NULL;
	else
		res = PQexecPrepared(db->conn, st->name, st->nparams, params, NULL, NULL, 0);
	s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
		*err = fail(db, res, sqlstate);
		PQclear(res);
		return NULL;
	}
	if (arena_cleanup(a, pq_clear, res) < 0) {
		*err = DB_FAILED;
		return NULL;
	}
	return res;
}

static int simple(struct db *db, const char *sql)
{
	PGresult *res;
	int ok;

	if (db_ensure(db) < 0)
		return -1;
	res = PQexec(db->conn, sql);
	ok = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		fail(db, res, NULL);
	PQclear(res);
	return ok ? 0 : -1;
}

int db_begin(struct db *db)
{
	int had = db->conn != NULL;

	if (simple(db, "BEGIN") < 0) {
		/* A connection that died while idle (the server restarted) is
		 * only found out now. BEGIN changes nothing, so it is sent once
		 * more on a new connection rather than failing the request. */
		if (!had || db->conn != NULL)
			return -1;
		db->next_attempt = 0;
		if (simple(db, "BEGIN") < 0)
			return -1;
		log_info("db: reconnected after the connection was lost");
	}
	db->in_tx = 1;
	return 0;
}

int db_commit(struct db *db)
{
	int rc = simple(db, "COMMIT");

	db->in_tx = 0;
	return rc;
}

void db_rollback(struct db *db)
{
	if (db->conn != NULL && db->in_tx)
		(void)simple(db, "ROLLBACK");
	db->in_tx = 0;
}
