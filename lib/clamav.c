/*
 * clamav.c -- the clamd client of clamav.h.
 *
 * The protocol (clamd(8), "INSTREAM"): the command "zINSTREAM\0", then the
 * file in chunks, each a 4-byte big-endian length and that many bytes, then
 * a zero-length chunk; clamd answers one NUL-terminated line,
 * "stream: OK", "stream: <Signature> FOUND" or "<reason> ERROR". When the
 * stream grows past clamd's StreamMaxLength, clamd answers
 * "INSTREAM size limit exceeded. ERROR" at once and closes the connection,
 * possibly while we are still sending: so the send loop also watches for
 * the socket becoming readable, and a broken pipe is followed by an attempt
 * to read that reply, which then decides the error logged.
 *
 * Everything runs against one deadline. The connect is blocking with
 * SO_SNDTIMEO (a Unix socket connect only waits when clamd's backlog is
 * full, and Linux bounds that wait by the send timeout); after it the socket
 * is non-blocking and every wait is a poll() bounded by what is left.
 */
#include "clamav.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CLAMAV_CHUNK 65536 /* the one buffer: a chunk's header and data */
#define CLAMAV_REPLY 512

enum { SENT, REPLIED, FAILED }; /* what a send ended with */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before deadline, 0 when none. */
static int left(long long deadline)
{
	long long l = deadline - now_ms();

	return l > 0 ? (l > 0x7fffffff ? 0x7fffffff : (int)l) : 0;
}

/* A connected, non-blocking socket to clamd, or -1 (logged). */
static int dial(const char *socket_path, long long deadline)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv;
	int s, ms, fl;

	if (strlen(socket_path) >= sizeof(sa.sun_path)) {
		log_error("clamav: the socket path is too long: %s", socket_path);
		return -1;
	}
	memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		log_error("clamav: socket: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		if ((ms = left(deadline)) == 0) {
			errno = ETIMEDOUT;
			break;
		}
		tv.tv_sec = ms / 1000, tv.tv_usec = (ms % 1000) * 1000;
		setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EISCONN)
			goto connected;
		if (errno != EINTR)
			break;
	}
	log_error("clamav: cannot connect to %s: %s", socket_path,
	          errno == EAGAIN || errno == EINPROGRESS ? "timed out" : strerror(errno));
	close(s);
	return -1;
connected:
	if ((fl = fcntl(s, F_GETFL)) < 0 || fcntl(s, F_SETFL, fl | O_NONBLOCK) < 0) {
		log_error("clamav: fcntl: %s", strerror(errno));
		close(s);
		return -1;
	}
	return s;
}

/*
 * Send n bytes. SENT when all went; REPLIED when clamd spoke or hung up
 * first (the caller reads what it said); FAILED (logged) on a timeout or
 * another error.
 */
static int send_all(int s, const unsigned char *p, size_t n, long long deadline)
{
	while (n > 0) {
		struct pollfd pfd = {.fd = s, .events = POLLOUT | POLLIN};
		int rc = poll(&pfd, 1, left(deadline));
		ssize_t w;

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			log_error("clamav: poll: %s", strerror(errno));
			return FAILED;
		}
		if (rc == 0) {
			log_error("clamav: timed out sending to clamd");
			return FAILED;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			return REPLIED;
		w = send(s, p, n, MSG_NOSIGNAL);
		if (w < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
			return REPLIED;
		if (w <= 0) {
			log_error("clamav: sending to clamd: %s", strerror(errno));
			return FAILED;
		}
		p += w, n -= (size_t)w;
	}
	return SENT;
}

/* Read clamd's reply, up to its NUL, into out[cap]; its length, or -1
 * (logged) on a timeout, an error or no reply at all. */
static int read_reply(int s, char *out, size_t cap, long long deadline)
{
	size_t len = 0;

	while (len < cap - 1) {
		struct pollfd pfd = {.fd = s, .events = POLLIN};
		int rc = poll(&pfd, 1, left(deadline));
		ssize_t r;

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0) {
			log_error("clamav: %s waiting for clamd's reply",
			          rc == 0 ? "timed out" : strerror(errno));
			return -1;
		}
		r = recv(s, out + len, cap - 1 - len, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (r < 0 && len == 0) {
			log_error("clamav: reading clamd's reply: %s", strerror(errno));
			return -1;
		}
		if (r <= 0)
			break;
		if (memchr(out + len, '\0', (size_t)r) != NULL) {
			len += (size_t)r;
			break;
		}
		len += (size_t)r;
	}
	out[len] = '\0';
	len = strlen(out); /* up to the NUL */
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
		out[--len] = '\0';
	if (len == 0) {
		log_error("clamav: clamd closed the connection without a reply");
		return -1;
	}
	return (int)len;
}

/* Copy s[len] into out[n], every byte outside printable ASCII as '?'. */
static void printable(char *out, size_t n, const char *s, size_t len)
{
	size_t i;

	if (n == 0)
		return;
	for (i = 0; i < len && i < n - 1; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
}

/* Stream the file to clamd; SENT, REPLIED or FAILED (logged). */
static int stream_file(int s, int fd, const char *path, long long deadline)
{
	static const unsigned char cmd[] = "zINSTREAM"; /* with its NUL */
	static const unsigned char end[4];
	unsigned char buf[CLAMAV_CHUNK];
	int rc;

	if ((rc = send_all(s, cmd, sizeof(cmd), deadline)) != SENT)
		return rc;
	for (;;) {
		ssize_t r = read(fd, buf + 4, sizeof(buf) - 4);
		uint32_t len;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			log_error("clamav: reading %s: %s", path, strerror(errno));
			return FAILED;
		}
		if (r == 0)
			break;
		len = (uint32_t)r;
		buf[0] = (unsigned char)(len >> 24), buf[1] = (unsigned char)(len >> 16);
		buf[2] = (unsigned char)(len >> 8), buf[3] = (unsigned char)len;
		if ((rc = send_all(s, buf, 4 + (size_t)r, deadline)) != SENT)
			return rc;
	}
	return send_all(s, end, sizeof(end), deadline);
}

int clamav_scan_file(const char *socket_path, const char *path, char *signature, size_t n,
                     int timeout_ms)
{
	static const char prefix[] = "stream: ", found[] = " FOUND";
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	char reply[CLAMAV_REPLY], shown[CLAMAV_REPLY];
	int fd, s = -1, rc = -1, len;
	const char *body;
	size_t blen;

	if (n > 0)
		signature[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		log_error("clamav: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if ((s = dial(socket_path, deadline)) < 0)
		goto out;
	if (stream_file(s, fd, path, deadline) == FAILED)
		goto out;
	if ((len = read_reply(s, reply, sizeof(reply), deadline)) < 0)
		goto out;
	body = strncmp(reply, prefix, sizeof(prefix) - 1) == 0 ? reply + sizeof(prefix) - 1 : NULL;
	blen = body ? strlen(body) : 0;
	if (body != NULL && strcmp(body, "OK") == 0) {
		rc = 0;
	} else if (body != NULL && blen > sizeof(found) - 1 &&
	           strcmp(body + blen - (sizeof(found) - 1), found) == 0) {
		printable(signature, n, body, blen - (sizeof(found) - 1));
		rc = 1;
	} else {
		printable(shown, sizeof(shown), reply, (size_t)len);
		if (strstr(reply, "size limit exceeded") != NULL)
			log_error("clamav: %s is larger than clamd's StreamMaxLength: \"%s\"", path,
			          shown);
		else
			log_error("clamav: %s: clamd answered \"%s\"", path, shown);
	}
out:
	if (s >= 0)
		close(s);
	close(fd);
	return rc;
}
