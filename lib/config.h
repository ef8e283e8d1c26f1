/*
 * config.h -- the environment variables of DESIGN §5, read once at start
 * into one immutable struct config.
 *
 * config_load() validates every variable: a malformed or out-of-range value
 * is an error naming the variable, and in production a missing, default or
 * short SECRET_KEY, or DEBUG=true, is an error too. Strings point into a
 * private copy owned by the struct; config_release() frees it.
 */
#ifndef SCH_CONFIG_H
#define SCH_CONFIG_H

#include <stddef.h>

enum cfg_storage { CFG_STORAGE_FS, CFG_STORAGE_S3 };

struct config {
	int production;
	int debug;
	const char *secret_key;
	const char *algorithm; /* HS256 | HS384 | HS512 */
	long access_token_minutes;
	long refresh_token_days;
	const char *database_url; /* libpq form: "+driver" removed */
	const char *database_url_sync;
	const char *database_replica_url;
	long db_pool_size;
	const char *redis_url;
	const char *redis_password;
	const char *minio_endpoint;
	const char *minio_public_endpoint;
	const char *minio_access_key;
	const char *minio_secret_key;
	const char *minio_bucket;
	const char *minio_region;
	int minio_use_tls;
	enum cfg_storage storage_backend;
	const char *storage_dir;
	long max_upload_mb;
	const char *clamav_socket;
	const char *smtp_host;
	long smtp_port;
	const char *smtp_username;
	const char *smtp_password;
	int smtp_use_tls;
	const char *mail_from;
	const char *mail_dir; /* where mail goes without SMTP_HOST */
	const char *public_url;
	const char *allowed_email_domains;
	const char *pii_encryption_keys;
	const char *sentry_dsn;
	int prometheus_enabled;
	long workers;
	long max_requests;
	long request_timeout; /* seconds */
	int log_level;
	const char *institution_timezone;
	long password_hash_ops; /* argon2id opslimit (tests use the minimum) */
	long password_hash_mem_kib;
	long refresh_reuse_grace; /* seconds a used refresh token still rotates */
	long mail_retry_base;     /* seconds before a failed mail is retried; doubles */
	long storage_sweep_age;   /* an object with no row this old is removed (s) */
	long storage_sweep_every; /* seconds between sweeps (scholarship-worker) */
	long mail_max_attempts;   /* after this many failures a mail is 'failed' */
	long mail_retry_max;      /* cap on one retry delay, seconds */
	long reminder_hour;       /* 0..23: daily reminders run from this hour
	                           * (INSTITUTION_TIMEZONE) */
	/* Rate limits (DESIGN §7): count per window seconds. */
	struct cfg_limit {
		long count, window;
	} rl_login_fail_email, rl_login_ip, rl_register_ip, rl_email_ip, rl_refresh_ip;

	char *owned_; /* backing store of the strings above */
};

/* Look-up function: getenv, or a table in tests. */
typedef const char *(*config_getenv_fn)(const char *name, void *ctx);

/*
 * Fill *cfg from the environment. Returns 0, or -1 with a message naming
 * the offending variable(s) in err (errlen bytes).
 */
int config_load(struct config *cfg, config_getenv_fn get, void *ctx, char *err, size_t errlen);
/* config_load over getenv(3). */
int config_load_env(struct config *cfg, char *err, size_t errlen);
void config_release(struct config *cfg);

/* Turn "postgresql+asyncpg://..." into "postgresql://..." in out. */
int config_pg_url(const char *in, char *out, size_t outlen);

/* Bounded integer parse (strtonum-like): 0 and *out, or -1. */
int config_parse_long(const char *s, long min, long max, long *out);

#endif
