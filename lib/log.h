/*
 * log.h -- one JSON object per line on stderr (time, level, pid, message
 * and fields), for the journal or Docker's json-file driver.
 *
 * Never pass a token, password, JWT or national id to these functions.
 */
#ifndef SCH_LOG_H
#define SCH_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_LEVEL__MAX };

/* Messages below level are dropped. */
void log_set_level(enum log_level level);
/* Parse "debug|info|warn|warning|error"; -1 when unknown. */
int log_level_parse(const char *s);

/* A line {"time","level","pid","msg"}; printf-style message. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A line with extra string fields: key, value pairs ending with NULL. */
void log_fields(enum log_level level, const char *msg, ...) __attribute__((sentinel));

/* The request log line of DESIGN §10. */
struct log_request {
	const char *request_id;
	const char *method;
	const char *route;
	const char *path;
	int status;
	double duration_ms;
	const char *user_id;
};
void log_request(const struct log_request *r);

/*
 * Batching (workers under load): request lines gather in a 16 KiB buffer
 * and go out in one write; other lines flush it first. The caller flushes
 * before it waits for work, so an idle worker never holds lines back.
 */
void log_set_batching(int on);
void log_flush(void);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)

#endif
