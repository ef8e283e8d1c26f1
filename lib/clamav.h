/*
 * clamav.h -- a clamd client: one file streamed to clamd over its Unix
 * socket with zINSTREAM, and the verdict.
 *
 * It owns one connection per call and nothing else: no globals, no DB,
 * no allocation. The file is read through a fixed 64 KiB buffer, never
 * whole.
 */
#ifndef SCH_CLAMAV_H
#define SCH_CLAMAV_H

#include <stddef.h>

/* How long an upload's scan may take, all included: under the pool's
 * request timeout (30 s by default), so a hung clamd is a 503, not a kill. */
#define CLAMAV_TIMEOUT_MS 20000

/*
 * Scan the file at path with the clamd listening on socket_path, all of it
 * within timeout_ms (connect, send and reply).
 *
 * Returns 0 when clamd answers "stream: OK"; 1 when it answers
 * "stream: <Signature> FOUND", with the signature's name in signature[n]
 * (printable ASCII only, truncated, always NUL-terminated when n > 0);
 * -1 for anything else (a connect or I/O error, the timeout, an unreadable
 * file, "INSTREAM size limit exceeded", any other reply), logged.
 */
int clamav_scan_file(const char *socket_path, const char *path, char *signature, size_t n,
                     int timeout_ms);

#endif
