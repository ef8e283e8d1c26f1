/*
 * storage_sweep.c -- the orphan sweep of storage_sweep.h over the fs
 * backend's tree: STORAGE_DIR/tmp/<file> and
 * STORAGE_DIR/applications/<uuid>/<uuid>, and over the s3 backend's
 * bucket (listed by s3_list; temporary files are local for both). An
 * object is removed only when it is older than the age limit and the
 * database, asked at that moment, has no row naming its key; a row
 * written in between keeps it, since uploads write the row after the
 * object and never touch an old object.
 */
#include "storage_sweep.h"

#include "arena.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "storage.h"
#include "storage_s3.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const struct db_stmt q_known = {"sweep_known",
                                       "SELECT 1 FROM documents WHERE storage_key = $1", 1};

/* Is path a regular file last written before cutoff? */
static int old_file(const char *path, time_t cutoff)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime < cutoff;
}

static long sweep_tmp(const struct config *cfg, time_t cutoff)
{
	char dir[4096], path[4096 + 256];
	struct dirent *e;
	long n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tmp", cfg->storage_dir);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (old_file(path, cutoff) && unlink(path) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* The objects of one application directory; -1 when the database fails. */
static long sweep_app(const struct config *cfg, struct db *db, struct arena *a, const char *app,
                      time_t cutoff)
{
	char dir[4096], path[4096 + 256], key[256];
	struct dirent *e;
	enum db_err err;
	const char *p[1] = {key};
	PGresult *r;
	long n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/applications/%s", cfg->storage_dir, app);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(key, sizeof(key), "applications/%.64s/%.64s", app, e->d_name);
		if (!old_file(path, cutoff))
			continue;
		if ((r = db_exec(db, a, &q_known, p, &err, NULL)) == NULL) {
			n = -1;
			break;
		}
		if (PQntuples(r) == 0 && storage_remove(cfg, key) == 0) {
			log_info("storage: removed %s, an object without a row", key);
			n++;
		}
	}
	closedir(d);
	return n; /* an empty directory stays: an upload may be about to use it */
}

/* The s3 backend: each listed object is weighed as sweep_app weighs a
 * file. */
struct s3_sweep {
	const struct config *cfg;
	struct db *db;
	struct arena *a;
	time_t cutoff;
	long n;
	int db_failed;
};

static int sweep_s3_one(const char *key, long long last_modified, void *ctx)
{
	struct s3_sweep *s = ctx;
	const char *p[1] = {key};
	enum db_err err;
	PGresult *r;

	if (last_modified >= (long long)s->cutoff)
		return 0;
	if ((r = db_exec(s->db, s->a, &q_known, p, &err, NULL)) == NULL) {
		s->db_failed = 1;
		return 1;
	}
	if (PQntuples(r) == 0 && storage_remove(s->cfg, key) == 0) {
		log_info("storage: removed %s, an object without a row", key);
		s->n++;
	}
	return 0;
}

/* Objects removed, or -1 when the database fails; a listing that fails
 * (logged) counts what was removed before it. */
static long sweep_s3(const struct config *cfg, struct db *db, struct arena *a, time_t cutoff)
{
	struct s3_sweep s = {
	    .cfg = cfg, .db = db, .a = a, .cutoff = cutoff, .n = 0, .db_failed = 0};

	s3_list(cfg, sweep_s3_one, &s);
	return s.db_failed ? -1 : s.n;
}

long storage_sweep(const struct config *cfg, struct db *db, struct arena *a)
{
	time_t cutoff = time(NULL) - cfg->storage_sweep_age;
	char root[4096];
	struct dirent *e;
	long n = 0, k;
	DIR *d;

	/* Both backends stream uploads through STORAGE_DIR/tmp. */
	n += sweep_tmp(cfg, cutoff);
	if (cfg->storage_backend == CFG_STORAGE_S3)
		return (k = sweep_s3(cfg, db, a, cutoff)) < 0 ? -1 : n + k;
	if (cfg->storage_backend != CFG_STORAGE_FS)
		return n;
	snprintf(root, sizeof(root), "%s/applications", cfg->storage_dir);
	if ((d = opendir(root)) == NULL)
		return n;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if ((k = sweep_app(cfg, db, a, e->d_name, cutoff)) < 0) {
			n = -1;
			break;
		}
		n += k;
	}
	closedir(d);
	return n;
}
