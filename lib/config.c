/*
 * config.c -- reads and validates DESIGN §5's environment variables.
 *
 * Every variable is declared once in vars[] with its kind and bounds, so
 * adding one is a table row; errors for all bad variables are collected
 * and reported together.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

enum var_kind { V_STR, V_LONG, V_BOOL };

struct var {
	const char *name;
	enum var_kind kind;
	size_t off;      /* offset of the field in struct config */
	const char *def; /* default as text, NULL = unset */
	long min, max;   /* for V_LONG */
};

#define S(n, f, d)                                                                                 \
	{                                                                                          \
		n, V_STR, offsetof(struct config, f), d, 0, 0                                      \
	}
#define L(n, f, d, lo, hi)                                                                         \
	{                                                                                          \
		n, V_LONG, offsetof(struct config, f), d, lo, hi                                   \
	}
#define B(n, f, d)                                                                                 \
	{                                                                                          \
		n, V_BOOL, offsetof(struct config, f), d, 0, 0                                     \
	}

static const struct var vars[] = {
    S("SECRET_KEY", secret_key, NULL),
    S("ALGORITHM", algorithm, "HS256"),
    L("ACCESS_TOKEN_EXPIRE_MINUTES", access_token_minutes, "30", 1, 1440),
    L("REFRESH_TOKEN_EXPIRE_DAYS", refresh_token_days, "7", 1, 365),
    S("DATABASE_URL", database_url, "postgresql:///scholarship"),
    S("DATABASE_URL_SYNC", database_url_sync, NULL),
    S("DATABASE_REPLICA_URL", database_replica_url, NULL),
    L("DB_POOL_SIZE", db_pool_size, "0", 0, 10000),
    S("REDIS_URL", redis_url, "redis://127.0.0.1:6379/0"),
    S("REDIS_PASSWORD", redis_password, NULL),
    S("MINIO_ENDPOINT", minio_endpoint, NULL),
    S("MINIO_PUBLIC_ENDPOINT", minio_public_endpoint, NULL),
    S("MINIO_ACCESS_KEY", minio_access_key, NULL),
    S("MINIO_SECRET_KEY", minio_secret_key, NULL),
    S("MINIO_BUCKET_NAME", minio_bucket, "scholarship-documents"),
    S("MINIO_REGION", minio_region, "us-east-1"),
    B("MINIO_USE_TLS", minio_use_tls, "false"),
    S("STORAGE_DIR", storage_dir, "/var/lib/scholarship/storage"),
    L("MAX_UPLOAD_MB", max_upload_mb, "10", 1, 1024),
    S("CLAMAV_SOCKET", clamav_socket, NULL),
    S("SMTP_HOST", smtp_host, NULL),
    L("SMTP_PORT", smtp_port, "587", 1, 65535),
    S("SMTP_USERNAME", smtp_username, NULL),
    S("SMTP_PASSWORD", smtp_password, NULL),
    B("SMTP_USE_TLS", smtp_use_tls, "true"),
    S("MAIL_FROM", mail_from, "Scholarships <no-reply@localhost>"),
    S("MAIL_DIR", mail_dir, "/var/lib/scholarship/mail"),
    S("PUBLIC_URL", public_url, "http://127.0.0.1:8080"),
    S("ALLOWED_EMAIL_DOMAINS", allowed_email_domains, NULL),
    S("PII_ENCRYPTION_KEYS", pii_encryption_keys, NULL),
    S("SENTRY_DSN", sentry_dsn, NULL),
    B("PROMETHEUS_ENABLED", prometheus_enabled, "true"),
    B("DEBUG", debug, "false"),
    L("SCHOLARSHIP_WORKERS", workers, "0", 0, 256),
    L("SCHOLARSHIP_MAX_REQUESTS", max_requests, "100000", 0, 100000000),
    L("SCHOLARSHIP_REQUEST_TIMEOUT", request_timeout, "30", 1, 3600),
    S("INSTITUTION_TIMEZONE", institution_timezone, "UTC"),
    L("PASSWORD_HASH_OPSLIMIT", password_hash_ops, "2", 1, 10),
    L("PASSWORD_HASH_MEMLIMIT_KIB", password_hash_mem_kib, "65536", 8, 1048576),
    L("REFRESH_REUSE_GRACE_SECONDS", refresh_reuse_grace, "10", 0, 300),
    L("MAIL_RETRY_BASE_SECONDS", mail_retry_base, "60", 1, 86400),
    L("STORAGE_SWEEP_AGE_SECONDS", storage_sweep_age, "3600", 1, 604800),
    L("STORAGE_SWEEP_EVERY_SECONDS", storage_sweep_every, "600", 1, 86400),
    L("MAIL_MAX_ATTEMPTS", mail_max_attempts, "8", 1, 100),
    L("MAIL_RETRY_MAX_SECONDS", mail_retry_max, "21600", 1, 604800),
    L("REMINDER_HOUR", reminder_hour, "9", 0, 23),
    L("RATE_LIMIT_LOGIN_FAILURES", rl_login_fail_email.count, "5", 1, 1000000),
    L("RATE_LIMIT_LOGIN_FAILURES_WINDOW", rl_login_fail_email.window, "900", 1, 86400),
    L("RATE_LIMIT_LOGIN_IP", rl_login_ip.count, "100", 1, 1000000),
    L("RATE_LIMIT_LOGIN_IP_WINDOW", rl_login_ip.window, "60", 1, 86400),
    L("RATE_LIMIT_REGISTER_IP", rl_register_ip.count, "30", 1, 1000000),
    L("RATE_LIMIT_REGISTER_IP_WINDOW", rl_register_ip.window, "3600", 1, 86400),
    L("RATE_LIMIT_EMAIL_IP", rl_email_ip.count, "5", 1, 1000000),
    L("RATE_LIMIT_EMAIL_IP_WINDOW", rl_email_ip.window, "3600", 1, 86400),
    L("RATE_LIMIT_REFRESH_IP", rl_refresh_ip.count, "60", 1, 1000000),
    L("RATE_LIMIT_REFRESH_IP_WINDOW", rl_refresh_ip.window, "60", 1, 86400),
};

/* Fragments of placeholder keys from example files and templates
 * ("your-secret-key-here", "CHANGE_ME_IN_PRODUCTION"...). A random key
 * never contains them by chance. */
static const char *const placeholder_parts[] = {
    "changeme",   "change-me",  "change_me", "your-secret",
    "secret-key", "secret_key", "example",   "placeholder",
};

/* Is key a placeholder, or one character repeated? */
static int is_default_key(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(placeholder_parts) / sizeof(placeholder_parts[0]); i++)
		if (strcasestr(key, placeholder_parts[i]) != NULL)
			return 1;
	for (i = 1; key[i] != '\0'; i++)
		if (key[i] != key[0])
			return 0;
	return 1;
}

int config_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

int config_pg_url(const char *in, char *out, size_t outlen)
{
	const char *colon = strstr(in, "://");
	const char *plus = strchr(in, '+');

	if (plus != NULL && colon != NULL && plus < colon) {
		/* scheme+driver://rest → scheme://rest */
		int n = snprintf(out, outlen, "%.*s%s", (int)(plus - in), in, colon);
		return n < 0 || (size_t)n >= outlen ? -1 : 0;
	}
	return snprintf(out, outlen, "%s", in) >= (int)outlen ? -1 : 0;
}

static void err_add(char *err, size_t errlen, const char *fmt, ...)
{
	size_t used = strlen(err);
	va_list ap;

	if (used + 2 >= errlen)
		return;
	if (used) {
		err[used++] = ';';
		err[used++] = ' ';
		err[used] = '\0';
	}
	va_start(ap, fmt);
	vsnprintf(err + used, errlen - used, fmt, ap);
	va_end(ap);
}

static int is_production(config_getenv_fn get, void *ctx)
{
	static const char *const names[] = {"ENVIRONMENT", "PYTHON_ENV", "NODE_ENV"};
	size_t i;

	for (i = 0; i < 3; i++) {
		const char *v = get(names[i], ctx);
		if (v != NULL && strcasecmp(v, "production") == 0)
			return 1;
	}
	return 0;
}

/* Copy every string value into one block owned by cfg. */
static int own_strings(struct config *cfg, config_getenv_fn get, void *ctx)
{
	size_t i, total = 0;
	char *p;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = get(vars[i].name, ctx);
		if (v == NULL)
			v = vars[i].def;
		if (v != NULL)
			total += strlen(v) + 1;
	}
	cfg->owned_ = p = malloc(total + 1);
	if (p == NULL)
		return -1;
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = get(vars[i].name, ctx);
		if (v == NULL)
			v = vars[i].def;
		if (vars[i].kind != V_STR)
			continue;
		*(const char **)((char *)cfg + vars[i].off) = NULL;
		if (v == NULL)
			continue;
		strcpy(p, v);
		*(const char **)((char *)cfg + vars[i].off) = p;
		p += strlen(v) + 1;
	}
	return 0;
}

static void check_values(struct config *cfg, config_getenv_fn get, void *ctx, char *err,
                         size_t errlen)
{
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const struct var *v = &vars[i];
		const char *s = get(v->name, ctx);
		char *field = (char *)cfg + v->off;
		if (s == NULL)
			s = v->def;
		if (v->kind == V_LONG &&
		    config_parse_long(s, v->min, v->max, (long *)(void *)field) < 0)
			err_add(err, errlen, "%s must be an integer from %ld to %ld", v->name,
			        v->min, v->max);
		if (v->kind == V_BOOL && parse_bool(s, (int *)(void *)field) < 0)
			err_add(err, errlen, "%s must be true or false", v->name);
	}
}

static void check_rules(struct config *cfg, config_getenv_fn get, void *ctx, char *err,
                        size_t errlen)
{
	const char *backend = get("STORAGE_BACKEND", ctx);
	const char *lvl = get("LOG_LEVEL", ctx);

	if (strcmp(cfg->algorithm, "HS256") && strcmp(cfg->algorithm, "HS384") &&
	    strcmp(cfg->algorithm, "HS512"))
		err_add(err, errlen, "ALGORITHM must be HS256, HS384 or HS512");
	if (backend == NULL || strcmp(backend, "fs") == 0)
		cfg->storage_backend = CFG_STORAGE_FS;
	else if (strcmp(backend, "s3") == 0)
		cfg->storage_backend = CFG_STORAGE_S3;
	else
		err_add(err, errlen, "STORAGE_BACKEND must be fs or s3");
	if (cfg->storage_backend == CFG_STORAGE_S3 &&
	    (cfg->minio_endpoint == NULL || cfg->minio_access_key == NULL ||
	     cfg->minio_secret_key == NULL))
		err_add(err, errlen,
		        "STORAGE_BACKEND=s3 needs MINIO_ENDPOINT, MINIO_ACCESS_KEY and "
		        "MINIO_SECRET_KEY");
	cfg->log_level = lvl == NULL ? LOG_INFO : log_level_parse(lvl);
	if (cfg->log_level < 0)
		err_add(err, errlen, "LOG_LEVEL must be debug, info, warn or error");
	if (strncmp(cfg->database_url, "postgres", 8) != 0)
		err_add(err, errlen, "DATABASE_URL must be a postgresql:// URL");
	if (strncmp(cfg->redis_url, "redis://", 8) != 0 &&
	    strncmp(cfg->redis_url, "unix://", 7) != 0)
		err_add(err, errlen, "REDIS_URL must be a redis:// or unix:// URL");
	if ((cfg->smtp_username == NULL) != (cfg->smtp_password == NULL))
		err_add(err, errlen, "SMTP_USERNAME and SMTP_PASSWORD must be set together");
	if (!cfg->production)
		return;
	if (cfg->secret_key == NULL || strlen(cfg->secret_key) < 32)
		err_add(err, errlen, "SECRET_KEY must be set to at least 32 bytes in production");
	if (cfg->secret_key != NULL && is_default_key(cfg->secret_key))
		err_add(err, errlen, "SECRET_KEY is a default value; generate a random one");
	if (cfg->debug)
		err_add(err, errlen, "DEBUG=true is not allowed in production");
}

int config_load(struct config *cfg, config_getenv_fn get, void *ctx, char *err, size_t errlen)
{
	char url[2048];

	memset(cfg, 0, sizeof(*cfg));
	err[0] = '\0';
	if (own_strings(cfg, get, ctx) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cfg->production = is_production(get, ctx);
	check_values(cfg, get, ctx, err, errlen);
	check_rules(cfg, get, ctx, err, errlen);
	if (config_pg_url(cfg->database_url, url, sizeof(url)) == 0)
		strcpy((char *)cfg->database_url, url); /* never longer than before */
	if (cfg->database_url_sync && config_pg_url(cfg->database_url_sync, url, sizeof(url)) == 0)
		strcpy((char *)cfg->database_url_sync, url);
	if (cfg->database_replica_url &&
	    config_pg_url(cfg->database_replica_url, url, sizeof(url)) == 0)
		strcpy((char *)cfg->database_replica_url, url);
	if (cfg->workers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		cfg->workers = n > 0 ? 2 * n : 4;
	}
	if (cfg->db_pool_size > 0 && cfg->workers > cfg->db_pool_size)
		cfg->workers = cfg->db_pool_size;
	if (err[0] != '\0') {
		config_release(cfg);
		return -1;
	}
	return 0;
}

static const char *env_get(const char *name, void *ctx)
{
	const char *v = getenv(name);
	(void)ctx;
	return v != NULL && *v != '\0' ? v : NULL;
}

int config_load_env(struct config *cfg, char *err, size_t errlen)
{
	return config_load(cfg, env_get, NULL, err, errlen);
}

void config_release(struct config *cfg)
{
	free(cfg->owned_);
	cfg->owned_ = NULL;
}
