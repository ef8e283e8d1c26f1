/*
 * scholarshipctl -- administration: migrate, status, check-config,
 * create-admin, import-students, seed-load (benchmark data; the admin it
 * grants defaults to admin@demo.example.edu). A static command table
 * (after git.c) says which commands need the database; each command is a
 * short function.
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

#include "arena.h"
#include "config.h"
#include "log.h"
#include "migrate.h"
#include "password.h"
#include "pii.h"
#include "seed_load.h"
#include "student_import.h"
#include "students.h"
#include "token.h"
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
static int cmd_user_add(struct ctl *c);
static int cmd_mint_token(struct ctl *c);
static int cmd_import_students(struct ctl *c);
static int cmd_reencrypt_pii(struct ctl *c);
static int cmd_seed_load(struct ctl *c);

static const struct command {
	const char *name;
	int (*fn)(struct ctl *c);
	int needs_db;
	const char *help;
} commands[] = {
    {"migrate", cmd_migrate, 1, "apply pending schema migrations"},
    {"status", cmd_status, 1, "list applied and pending migrations"},
    {"check-config", cmd_check_config, 0, "validate the environment configuration"},
    {"user-add", cmd_user_add, 1,
     "--email E --name N --role R [--college C] [--unverified]: add a user (password on stdin)"},
    {"mint-token", cmd_mint_token, 1,
     "--email E: print an access token for benchmarks (refused in production)"},
    {"create-admin", cmd_create_admin, 1,
     "--email E --name N: create a super admin (password on stdin)"},
    {"import-students", cmd_import_students, 1,
     "FILE [--dry-run]: import student records from CSV (all or nothing)"},
    {"reencrypt-pii", cmd_reencrypt_pii, 1,
     "re-seal personal data with the newest PII_ENCRYPTION_KEYS version"},
    {"seed-load", cmd_seed_load, 1,
     "--students N --applications M [--admin E] [--tokens FILE]: add benchmark data (COPY)"},
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
	char err[512];

	if (pii_config_check(&c->cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "scholarshipctl: configuration: %s\n", err);
		return 1;
	}
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

static int has_flag(struct ctl *c, const char *flag)
{
	int i;

	for (i = 0; i < c->argc; i++)
		if (strcmp(c->argv[i], flag) == 0)
			return 1;
	return 0;
}

/* Insert a user with a password read from stdin. */
static int create_user(struct ctl *c, const char *cmd, const char *role, int verified)
{
	const char *email = arg_value(c, "--email"), *name = arg_value(c, "--name"), *why;
	struct password_cost cost = {(unsigned long long)c->cfg.password_hash_ops,
	                             (size_t)c->cfg.password_hash_mem_kib * 1024};
	char pw[512], hash[PASSWORD_HASH_LEN];
	const char *params[6];
	PGresult *r;
	int rc = 1;

	if (email == NULL || name == NULL || !validate_email(email) || strlen(name) > 200) {
		fprintf(stderr, "%s: give --email ADDRESS and --name \"FULL NAME\"\n", cmd);
		return 2;
	}
	if (read_password(pw, sizeof(pw)) < 0) {
		fprintf(stderr, "%s: give the password on standard input\n", cmd);
		return 2;
	}
	if ((why = password_check_policy(pw)) != NULL) {
		fprintf(stderr, "%s: the password %s\n", cmd, why);
		return 2;
	}
	if (password_init() < 0 || password_hash(&cost, pw, hash) < 0) {
		fprintf(stderr, "%s: cannot hash the password\n", cmd);
		return 1;
	}
	params[0] = email, params[1] = name, params[2] = hash, params[3] = role;
	params[4] = verified ? "true" : "false", params[5] = arg_value(c, "--college");
	r = PQexecParams(
	    c->conn,
	    "INSERT INTO users (email, full_name, password_hash, role, email_verified, "
	    "college_code, locale) VALUES ($1, $2, $3, $4, $5, $6, 'en') RETURNING id",
	    6, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		printf("created %s %s (%s)\n", role, email, PQgetvalue(r, 0, 0));
		rc = 0;
	} else if (strcmp(PQresultErrorField(r, PG_DIAG_SQLSTATE) ?: "", "23505") == 0) {
		fprintf(stderr, "%s: a user with that email already exists\n", cmd);
	} else {
		fprintf(stderr, "%s: %s", cmd, PQerrorMessage(c->conn));
	}
	PQclear(r);
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

static int cmd_create_admin(struct ctl *c)
{
	return create_user(c, "create-admin", "super_admin", 1);
}

static int cmd_user_add(struct ctl *c)
{
	const char *role = arg_value(c, "--role");

	if (role == NULL) {
		fprintf(stderr,
		        "user-add: give --role student|reviewer|college|admin|super_admin\n");
		return 2;
	}
	return create_user(c, "user-add", role, !has_flag(c, "--unverified"));
}

/* Mint an access token for benchmarks and tests; never in production. */
static int cmd_mint_token(struct ctl *c)
{
	const char *email = arg_value(c, "--email");
	const char *params[1] = {email};
	struct token_claims claims;
	struct arena a;
	char *tok;
	PGresult *r;
	int rc = 1;

	if (c->cfg.production) {
		fprintf(stderr, "mint-token: refused in production\n");
		return 1;
	}
	if (email == NULL || c->cfg.secret_key == NULL) {
		fprintf(stderr, "mint-token: give --email ADDRESS (and set SECRET_KEY)\n");
		return 2;
	}
	r = PQexecParams(c->conn, "SELECT id, role FROM users WHERE lower(email) = lower($1)", 1,
	                 NULL, params, NULL, NULL, 0);
	arena_init(&a, 4096);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    (tok = token_mint_access(&a, &c->cfg, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
	                             token_now_ms(), &claims)) != NULL) {
		printf("%s\n", tok);
		rc = 0;
	} else {
		fprintf(stderr, "mint-token: no such user\n");
	}
	arena_free(&a);
	PQclear(r);
	return rc;
}

/* The keyring from PII_ENCRYPTION_KEYS; 0 or -1 with a message. */
static int load_keyring(const char *cmd, struct ctl *c, struct pii_keyring *kr)
{
	char err[256];

	if (pii_keyring_parse(kr, c->cfg.pii_encryption_keys, err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr, "%s: %s\n", cmd, err);
	return -1;
}

/* Read a whole file of at most max bytes into *data (malloc'd). */
static int read_file(const char *path, size_t max, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0, got;

	*data = NULL;
	if (f == NULL)
		return -1;
	*data = malloc(max + 1);
	while (*data != NULL && n <= max && (got = fread(*data + n, 1, max + 1 - n, f)) > 0)
		n += got;
	fclose(f);
	*len = n;
	return *data != NULL && n <= max ? 0 : -1;
}

static void print_import(const struct student_import_report *r, int dry_run)
{
	size_t i;

	for (i = 0; i < r->nkept; i++)
		fprintf(stderr, "row %zu%s%s: %s\n", r->errors[i].row,
		        r->errors[i].field ? ", " : "",
		        r->errors[i].field ? r->errors[i].field : "", r->errors[i].message);
	if (r->nerrors > 0)
		fprintf(stderr, "%zu error(s); nothing was imported\n", r->nerrors);
	else
		printf("%s%zu rows: %zu inserted, %zu updated, %zu unchanged\n",
		       dry_run ? "dry run (nothing written): " : "", r->rows, r->inserted,
		       r->updated, r->unchanged);
}

static int cmd_import_students(struct ctl *c)
{
	struct student_import_opts o = {.dry_run = has_flag(c, "--dry-run")};
	const char *path = c->argc > 0 && c->argv[0][0] != '-' ? c->argv[0] : NULL;
	struct student_import_report rep;
	struct pii_keyring kr;
	enum student_import_status st;
	struct arena a;
	char *data;
	size_t len;

	if (path == NULL) {
		fprintf(stderr, "import-students: give FILE [--dry-run]\n");
		return 2;
	}
	if (read_file(path, STUDENT_IMPORT_MAX_BYTES, &data, &len) < 0) {
		fprintf(stderr, "import-students: cannot read %s (or it is over 20 MB)\n", path);
		free(data);
		return 1;
	}
	if (load_keyring("import-students", c, &kr) < 0) {
		free(data);
		return 1;
	}
	arena_init(&a, 1024 * 1024);
	st = student_import_run(c->conn, &a, &kr, data, len, &o, &rep);
	if (st == SI_OK || st == SI_INVALID)
		print_import(&rep, o.dry_run);
	else
		fprintf(stderr, "import-students: %s\n",
		        st == SI_TOO_MANY ? "the file has more than 100000 rows"
		                          : "the database failed; nothing was imported");
	arena_free(&a);
	pii_keyring_wipe(&kr);
	free(data);
	return st == SI_OK && rep.nerrors == 0 ? 0 : 1;
}

static int cmd_reencrypt_pii(struct ctl *c)
{
	struct students_reencrypt_result r;
	struct pii_keyring kr;
	struct arena a;
	int rc;

	if (load_keyring("reencrypt-pii", c, &kr) < 0)
		return 1;
	arena_init(&a, 64 * 1024);
	rc = students_reencrypt(c->conn, &kr, &a, &r);
	if (rc == 0)
		printf("re-sealed %ld record(s) with key version %u; %ld value(s) no key opens\n",
		       r.rows, kr.current, r.failed);
	arena_free(&a);
	pii_keyring_wipe(&kr);
	return rc == 0 && r.failed == 0 ? 0 : 1;
}

/* Benchmark data: one more batch on every run (lib/seed_load.h). */
static int cmd_seed_load(struct ctl *c)
{
	static const char password[] = "load-password-2026";
	struct seed_load_opts o = {
	    .password = password,
	    .cost = {(unsigned long long)c->cfg.password_hash_ops,
	             (size_t)c->cfg.password_hash_mem_kib * 1024},
	    .admin_email =
	        arg_value(c, "--admin") ? arg_value(c, "--admin") : "admin@demo.example.edu",
	    .tokens_path = arg_value(c, "--tokens"),
	    .cfg = &c->cfg,
	    .progress = stdout,
	};
	const char *n = arg_value(c, "--students"), *m = arg_value(c, "--applications");
	struct seed_load_report r;
	char err[512];

	if (c->cfg.production) {
		fprintf(stderr, "seed-load: refused in production\n");
		return 1;
	}
	if (n == NULL || m == NULL ||
	    config_parse_long(n, 1, SEED_LOAD_MAX_STUDENTS, &o.students) < 0 ||
	    config_parse_long(m, 0, SEED_LOAD_MAX_STUDENTS * SEED_LOAD_MAX_PERIODS,
	                      &o.applications) < 0) {
		fprintf(stderr, "seed-load: give --students N (1-%ld) --applications M\n",
		        SEED_LOAD_MAX_STUDENTS);
		return 2;
	}
	if (seed_load_run(c->conn, &o, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "seed-load: %s\n", err);
		return 1;
	}
	printf("loaded %ld students (load-%ld..load-%ld@load.example.edu, password %s) and %ld "
	       "applications over %ld open period(s) of scholarship %s (%s) in %.2f s "
	       "(users %.2f s, applications %.2f s, analyze %.2f s)%s%s\n",
	       o.students, r.first_n, r.last_n, password, o.applications, r.periods, r.code,
	       r.scholarship_id, r.seconds_total, r.seconds_users, r.seconds_applications,
	       r.seconds_analyze, r.admin_granted ? "; granted to " : "",
	       r.admin_granted ? o.admin_email : "");
	if (o.tokens_path != NULL)
		printf("access tokens of the loaded students: %s\n", o.tokens_path);
	return 0;
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
