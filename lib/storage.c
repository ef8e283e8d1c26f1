/*
 * storage.c -- the fs backend of storage.h, and the dispatch to the s3
 * backend (storage_s3.c) when STORAGE_BACKEND=s3.
 *
 * Objects are files under STORAGE_DIR named by their key; keys have the
 * fixed shapes applications/<uuid>/<uuid> and periods/<uuid>/<uuid>,
 * checked here again so that no caller can turn a key into a path outside
 * the storage. Temporary files
 * live in STORAGE_DIR/tmp, on the same file system, so that storing is a
 * rename. The s3 backend streams its uploads from the same temporary
 * directory, so storage_tmp_open is shared; keys are checked here for
 * both backends.
 */
#include "storage.h"

#include "arena.h"
#include "config.h"
#include "log.h"
#include "storage_s3.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Is c a character of a UUID's text form? */
static int uuid_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-';
}

/*
 * The length of key's first segment with its '/' when key has one of the
 * two shapes keys have, else 0: applications/<uuid>/<uuid> (documents)
 * and periods/<uuid>/<uuid> (terms documents; lib/period_terms.c).
 */
static size_t key_ok(const char *key)
{
	static const char *const prefixes[] = {"applications/", "periods/"};
	size_t i, k, n;

	for (k = 0; k < sizeof(prefixes) / sizeof(prefixes[0]); k++) {
		n = strlen(prefixes[k]);
		if (strncmp(key, prefixes[k], n) != 0 || strlen(key) != n + 73 ||
		    key[n + 36] != '/')
			continue;
		for (i = n; key[i]; i++)
			if (i != n + 36 && !uuid_char(key[i]))
				return 0;
		return n;
	}
	return 0;
}

static int mkdir_one(const char *path)
{
	if (mkdir(path, 0750) == 0 || errno == EEXIST)
		return 0;
	log_error("storage: mkdir %s: %s", path, strerror(errno));
	return -1;
}

static int fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int storage_tmp_open(const struct config *cfg, char *path, size_t n)
{
	int fd, len = snprintf(path, n, "%s/tmp", cfg->storage_dir);

	if (len < 0 || (size_t)len >= n || mkdir_one(path) < 0)
		return -1;
	len = snprintf(path, n, "%s/tmp/upload.XXXXXX", cfg->storage_dir);
	if (len < 0 || (size_t)len >= n)
		return -1;
	/* NGINX reads objects as a member of the files' group. */
	if ((fd = mkostemp(path, O_CLOEXEC)) >= 0 && fchmod(fd, 0640) < 0) {
		close(fd);
		unlink(path);
		fd = -1;
	}
	if (fd < 0)
		log_error("storage: cannot create a temporary file in %s/tmp: %s", cfg->storage_dir,
		          strerror(errno));
	return fd;
}

int storage_check(const struct config *cfg)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/tmp", cfg->storage_dir);

	if (n < 0 || (size_t)n >= sizeof(path) || mkdir_one(cfg->storage_dir) < 0 ||
	    mkdir_one(path) < 0)
		return -1;
	if (cfg->storage_backend == CFG_STORAGE_S3)
		return s3_check(cfg);
	snprintf(path, sizeof(path), "%s/applications", cfg->storage_dir);
	return mkdir_one(path);
}

int storage_put(const struct config *cfg, const char *tmp, const char *key, long long size,
                const char *sha256_hex, const char *content_type)
{
	char dir[4096], dst[4096];
	size_t prefix = key_ok(key);
	int fd, n, m;

	if (cfg->storage_backend == CFG_STORAGE_S3) {
		if (key_ok(key))
			return s3_put(cfg, tmp, key, size, sha256_hex, content_type);
		log_error("storage: refusing key %.100s", key);
		unlink(tmp);
		return -1;
	}
	n = snprintf(dir, sizeof(dir), "%s/%.*s", cfg->storage_dir, (int)(prefix + 36), key);
	m = snprintf(dst, sizeof(dst), "%s/%s", cfg->storage_dir, key);
	if (prefix == 0 || n < 0 || (size_t)n >= sizeof(dir) || m < 0 || (size_t)m >= sizeof(dst)) {
		log_error("storage: refusing key %.100s", key);
		unlink(tmp);
		return -1;
	}
	snprintf(dst, sizeof(dst), "%s/%.*s", cfg->storage_dir, (int)(prefix - 1), key);
	if (mkdir_one(dst) < 0 || mkdir_one(dir) < 0)
		goto fail;
	snprintf(dst, sizeof(dst), "%s/%s", cfg->storage_dir, key);
	if ((fd = open(tmp, O_RDONLY | O_CLOEXEC)) < 0 || fsync(fd) < 0) {
		log_error("storage: fsync %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	close(fd);
	if (rename(tmp, dst) < 0) {
		log_error("storage: rename to %s: %s", dst, strerror(errno));
		goto fail;
	}
	if (fsync_dir(dir) < 0) {
		log_error("storage: fsync %s: %s", dir, strerror(errno));
		unlink(dst);
		return -1;
	}
	return 0;
fail:
	unlink(tmp);
	return -1;
}

int storage_remove(const struct config *cfg, const char *key)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", cfg->storage_dir, key);

	if (!key_ok(key) || n < 0 || (size_t)n >= sizeof(path))
		return -1;
	if (cfg->storage_backend == CFG_STORAGE_S3)
		return s3_remove(cfg, key);
	if (unlink(path) == 0 || errno == ENOENT)
		return 0;
	log_error("storage: unlink %s: %s", path, strerror(errno));
	return -1;
}

char *storage_accel_uri(struct arena *a, const char *key)
{
	return arena_printf(a, "/_protected/%s", key);
}

char *storage_presign(const struct config *cfg, struct arena *a, const char *key,
                      const char *disposition, const char *content_type)
{
	if (cfg->storage_backend != CFG_STORAGE_S3)
		return NULL; /* the fs backend has no URLs of its own */
	if (!key_ok(key)) {
		log_error("storage: refusing key %.100s", key);
		return NULL;
	}
	return s3_presign(cfg, a, key, disposition, content_type);
}
