/*
 * migrate.c -- reads schema/migrations/NNNN_name.sql, compares with
 * schema_migrations and applies what is missing. A file is applied with
 * PQexec (several statements in one call) between BEGIN and COMMIT,
 * together with its schema_migrations row, so a failed migration leaves
 * nothing behind.
 */
#include "migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATE_LOCK_KEY "727272"

struct mfile {
	char name[256];
	char sha[65];
	char *sql;
};

static int is_migration_name(const char *n)
{
	size_t len = strlen(n);

	return len > 9 && isdigit((unsigned char)n[0]) && isdigit((unsigned char)n[1]) &&
	       isdigit((unsigned char)n[2]) && isdigit((unsigned char)n[3]) && n[4] == '_' &&
	       strcmp(n + len - 4, ".sql") == 0 && len < 256;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(((const struct mfile *)a)->name, ((const struct mfile *)b)->name);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (p = malloc((size_t)n + 1)) != NULL) {
		if (fread(p, 1, (size_t)n, f) != (size_t)n) {
			free(p);
			p = NULL;
		} else {
			p[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return p;
}

static void sha256_hex(const char *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	int i;

	EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void free_files(struct mfile *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(f[i].sql);
	free(f);
}

/* Load every migration file of dir, sorted. NULL on error. */
static struct mfile *load_files(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct mfile *files = NULL;
	size_t n = 0;
	char path[4096];

	if (d == NULL) {
		fprintf(stderr, "migrate: cannot open %s\n", dir);
		return NULL;
	}
	while ((e = readdir(d)) != NULL) {
		struct mfile *grown;
		size_t len;
		if (!is_migration_name(e->d_name))
			continue;
		grown = realloc(files, (n + 1) * sizeof(*files));
		if (grown == NULL)
			goto fail;
		files = grown;
		snprintf(files[n].name, sizeof(files[n].name), "%s", e->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		files[n].sql = read_file(path, &len);
		if (files[n].sql == NULL) {
			fprintf(stderr, "migrate: cannot read %s\n", path);
			goto fail;
		}
		sha256_hex(files[n].sql, len, files[n].sha);
		n++;
	}
	closedir(d);
	qsort(files, n, sizeof(*files), cmp_names);
	*count = n;
	return files ? files : calloc(1, sizeof(*files));
fail:
	closedir(d);
	free_files(files, n);
	return NULL;
}

static int exec_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "migrate: %s", PQerrorMessage(c));
	PQclear(r);
	return ok ? 0 : -1;
}

static const char create_table[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

/* Checksum recorded for name, "" when not applied; -1 on error. */
static int applied_sha(PGconn *c, const char *name, char out[65])
{
	const char *params[1] = {name};
	PGresult *r = PQexecParams(c, "SELECT checksum FROM schema_migrations WHERE name = $1", 1,
	                           NULL, params, NULL, NULL, 0);
	int rc = 0;

	out[0] = '\0';
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "migrate: %s", PQerrorMessage(c));
		rc = -1;
	} else if (PQntuples(r) == 1) {
		snprintf(out, 65, "%s", PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	return rc;
}

static int apply_one(PGconn *c, const struct mfile *f, FILE *out)
{
	char version[5];
	const char *params[3] = {version, f->name, f->sha};
	PGresult *r;

	memcpy(version, f->name, 4);
	version[4] = '\0';
	if (exec_ok(c, "BEGIN") < 0)
		return -1;
	if (exec_ok(c, f->sql) < 0) {
		fprintf(stderr, "migrate: %s failed; rolled back\n", f->name);
		exec_ok(c, "ROLLBACK");
		return -1;
	}
	r = PQexecParams(
	    c, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", 3,
	    NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "migrate: %s", PQerrorMessage(c));
		PQclear(r);
		exec_ok(c, "ROLLBACK");
		return -1;
	}
	PQclear(r);
	if (exec_ok(c, "COMMIT") < 0)
		return -1;
	fprintf(out, "applied %s\n", f->name);
	return 0;
}

/* Walk files; apply pending ones when apply is set, else list them. */
static int walk(PGconn *c, const char *dir, FILE *out, int apply, int *pending)
{
	struct mfile *files;
	size_t n, i;
	char sha[65];
	int rc = 0;

	*pending = 0;
	if (exec_ok(c, "SET client_min_messages = warning") < 0 || exec_ok(c, create_table) < 0)
		return -1;
	files = load_files(dir, &n);
	if (files == NULL)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		if (applied_sha(c, files[i].name, sha) < 0) {
			rc = -1;
		} else if (sha[0] != '\0' && strcmp(sha, files[i].sha) != 0) {
			fprintf(
			    stderr,
			    "migrate: %s was edited after it was applied (checksum %s, file %s); "
			    "write a new migration instead\n",
			    files[i].name, sha, files[i].sha);
			rc = -1;
		} else if (sha[0] != '\0') {
			if (!apply)
				fprintf(out, "applied  %s\n", files[i].name);
		} else if (apply) {
			rc = apply_one(c, &files[i], out);
		} else {
			fprintf(out, "pending  %s\n", files[i].name);
			(*pending)++;
		}
	}
	free_files(files, n);
	return rc;
}

int migrate_apply(PGconn *c, const char *dir, FILE *out)
{
	int pending, rc;

	if (exec_ok(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")") < 0)
		return -1;
	rc = walk(c, dir, out, 1, &pending);
	exec_ok(c, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")");
	return rc;
}

int migrate_status(PGconn *c, const char *dir, FILE *out, int *pending)
{
	return walk(c, dir, out, 0, pending);
}
