/*
 * scholarshipctl -- administration: migrate, status, check-config,
 * create-admin. A static command table (after git.c) says which commands
 * need the database; each command is a short function.
 *
 * The database URL is DATABASE_URL_SYNC when set (migrations run as the
 * owner role), else DATABASE_URL. The schema directory is --schema DIR,
 * else SCHOLARSHIP_SCHEMA_DIR, else ./schema when present, else the
 * installed copy.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "migrate.h"
#include "password.h"
#include "validate.h"

#ifndef SCH_DATADIR
#define SCH_DATADIR "/usr/local/share/scholarship"
#endif

struct ctl {
	struct config cfg;
	PGconn *conn;
	const char *schema_dir;
	int argc;
	char **argv;
};

static int cmd_migrate(struct ctl *c);
static int cmd_status(struct ctl *c);
static int cmd_check_config(struct ctl *c);
static int cmd_create_admin(struct ctl *c);

static const struct command {
	const char *name;
	int (*fn)(struct ctl *c);
	int needs_db;
	const char *help;
} commands[] = {
    {"migrate", cmd_migrate, 1, "apply pending schema migrations"},
    {"status", cmd_status, 1, "list applied and pending migrations"},
    {"check-config", cmd_check_config, 0, "validate the environment configuration"},
    {"create-admin", cmd_create_admin, 1,
     "--email E --name N: create a super admin (password on stdin)"},
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: scholarshipctl [--schema DIR] COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].help);
}

static const char *schema_dir(const char *given)
{
	struct stat st;
	const char *env = getenv("SCHOLARSHIP_SCHEMA_DIR");

	if (given != NULL)
		return given;
	if (env != NULL && *env)
		return env;
	if (stat("schema/migrations", &st) == 0 && S_ISDIR(st.st_mode))
		return "schema";
	return SCH_DATADIR "/schema";
}

static int connect_db(struct ctl *c)
{
	const char *url = c->cfg.database_url_sync ? c->cfg.database_url_sync : c->cfg.database_url;

	c->conn = PQconnectdb(url);
	if (PQstatus(c->conn) != CONNECTION_OK) {
		fprintf(stderr, "scholarshipctl: cannot connect to the database: %s",
		        PQerrorMessage(c->conn));
		return -1;
	}
	return 0;
}

static int cmd_migrate(struct ctl *c)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/migrations", c->schema_dir);
	if (migrate_apply(c->conn, dir, stdout) < 0)
		return 1;
	printf("schema is up to date\n");
	return 0;
}

static int cmd_status(struct ctl *c)
{
	char dir[4096];
	int pending;

	snprintf(dir, sizeof(dir), "%s/migrations", c->schema_dir);
	if (migrate_status(c->conn, dir, stdout, &pending) < 0)
		return 1;
	printf("%d pending\n", pending);
	return pending ? 3 : 0;
}

static int cmd_check_config(struct ctl *c)
{
	printf("configuration OK (%s; %ld workers; storage %s)\n",
	       c->cfg.production ? "production" : "development", c->cfg.workers,
	       c->cfg.storage_backend == CFG_STORAGE_S3 ? "s3" : "fs");
	return 0;
}

static const char *arg_value(struct ctl *c, const char *flag)
{
	int i;

	for (i = 0; i + 1 < c->argc; i++)
		if (strcmp(c->argv[i], flag) == 0)
			return c->argv[i + 1];
	return NULL;
}

/* Read one line from stdin into pw (newline removed). 0 or -1. */
static int read_password(char *pw, size_t n)
{
	size_t len;

	if (isatty(0))
		fprintf(stderr, "password for the new super admin: ");
	if (fgets(pw, (int)n, stdin) == NULL)
		return -1;
	len = strcspn(pw, "\r\n");
	pw[len] = '\0';
	return 0;
}

static int cmd_create_admin(struct ctl *c)
{
	const char *email = arg_value(c, "--email"), *name = arg_value(c, "--name"), *why;
	struct password_cost cost = {(unsigned long long)c->cfg.password_hash_ops,
	                             (size_t)c->cfg.password_hash_mem_kib * 1024};
	char pw[512], hash[PASSWORD_HASH_LEN];
	const char *params[3];
	PGresult *r;
	int rc = 1;

	if (email == NULL || name == NULL || !validate_email(email) || strlen(name) > 200) {
		fprintf(stderr, "create-admin: give --email ADDRESS and --name \"FULL NAME\"\n");
		return 2;
	}
	if (read_password(pw, sizeof(pw)) < 0) {
		fprintf(stderr, "create-admin: give the password on standard input\n");
		return 2;
	}
	if ((why = password_check_policy(pw)) != NULL) {
		fprintf(stderr, "create-admin: the password %s\n", why);
		return 2;
	}
	if (password_init() < 0 || password_hash(&cost, pw, hash) < 0) {
		fprintf(stderr, "create-admin: cannot hash the password\n");
		return 1;
	}
	params[0] = email, params[1] = name, params[2] = hash;
	r = PQexecParams(
	    c->conn,
	    "INSERT INTO users (email, full_name, role, email_verified, password_hash, "
	    "locale) VALUES ($1, $2, 'super_admin', true, $3, 'en') RETURNING id",
	    3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		printf("created super admin %s (%s)\n", email, PQgetvalue(r, 0, 0));
		rc = 0;
	} else if (strcmp(PQresultErrorField(r, PG_DIAG_SQLSTATE) ?: "", "23505") == 0) {
		fprintf(stderr, "create-admin: a user with that email already exists\n");
	} else {
		fprintf(stderr, "create-admin: %s", PQerrorMessage(c->conn));
	}
	PQclear(r);
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

int main(int argc, char **argv)
{
	struct ctl c = {0};
	const char *given_schema = NULL;
	char err[2048];
	size_t i;
	int rc;

	if (argc > 2 && strcmp(argv[1], "--schema") == 0) {
		given_schema = argv[2];
		argc -= 2, argv += 2;
	}
	if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, argv[1]) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		fprintf(stderr, "scholarshipctl: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	if (config_load_env(&c.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "scholarshipctl: configuration: %s\n", err);
		return 1;
	}
	c.schema_dir = schema_dir(given_schema);
	c.argc = argc - 2;
	c.argv = argv + 2;
	if (commands[i].needs_db && connect_db(&c) < 0) {
		PQfinish(c.conn);
		config_release(&c.cfg);
		return 1;
	}
	rc = commands[i].fn(&c);
	PQfinish(c.conn);
	config_release(&c.cfg);
	return rc;
}
