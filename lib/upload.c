/*
 * upload.c -- the streamed file upload of upload.h: multipart callbacks
 * that write the file part to a temporary file, and the scan by clamd.
 */
#include "upload.h"

#include "arena.h"
#include "audit.h"
#include "buf.h"
#include "clamav.h"
#include "config.h"
#include "handler.h"
#include "http.h"
#include "log.h"
#include "storage.h"
#include "worker.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { PART_NONE, PART_KIND, PART_FILE };

static int stop(struct upload *u, int status, const char *why)
{
	u->status = status, u->refusal = why;
	return -1;
}

static int on_part(void *ud, const struct mp_part *p)
{
	struct upload *u = ud;

	if (u->takes_kind && strcmp(p->name, "kind") == 0) {
		u->part = PART_KIND, u->kind_len = 0;
		return 0;
	}
	if (strcmp(p->name, "file") != 0)
		return stop(u, 422,
		            u->takes_kind ? "only the fields kind and file are accepted"
		                          : "only the field file is accepted");
	if (u->files++ > 0)
		return stop(u, 422, "send one file per request");
	u->part = PART_FILE;
	u->filename = docfile_display_name(u->c->arena, p->filename ? p->filename : "");
	if (u->filename == NULL)
		return stop(u, 500, NULL);
	if ((u->fd = storage_tmp_open(u->c->w->cfg, u->tmp, sizeof(u->tmp))) < 0)
		return stop(u, 503, "the document storage is unavailable; try again");
	crypto_hash_sha256_init(&u->sha);
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w, n -= (size_t)w;
	}
	return 0;
}

static int on_data(void *ud, const char *data, size_t n)
{
	struct upload *u = ud;

	if (u->part == PART_KIND) {
		if (u->kind_len + n >= sizeof(u->kind))
			return stop(u, 422, "kind is too long");
		memcpy(u->kind + u->kind_len, data, n);
		u->kind[u->kind_len += n] = '\0';
		return 0;
	}
	if (u->part != PART_FILE)
		return 0;
	if ((u->size += n) > u->max)
		return stop(u, 413, "the file is larger than this deployment accepts");
	if (u->head_len < DOCFILE_HEAD) {
		size_t k = n < DOCFILE_HEAD - u->head_len ? n : DOCFILE_HEAD - u->head_len;

		memcpy(u->head + u->head_len, data, k);
		u->head_len += k;
	}
	crypto_hash_sha256_update(&u->sha, (const unsigned char *)data, n);
	if (write_all(u->fd, data, n) < 0) {
		log_error("upload: writing %s: %s", u->tmp, strerror(errno));
		return stop(u, 503, "the document storage is unavailable; try again");
	}
	return 0;
}

static int on_part_end(void *ud)
{
	struct upload *u = ud;

	u->part = PART_NONE;
	return 0;
}

int upload_begin(struct ctx *c, struct upload *u, unsigned long long max, int takes_kind)
{
	const char *ct = http_param(c->req, "CONTENT_TYPE");

	memset(u, 0, sizeof(*u));
	u->c = c, u->fd = -1, u->max = max, u->takes_kind = takes_kind;
	if (ct == NULL || mp_boundary(ct, u->boundary, sizeof(u->boundary)) < 0) {
		resp_problem(c->resp, c->req, 400, "multipart/form-data needs a valid boundary",
		             NULL, 0);
		return -1;
	}
	/* Room for the multipart framing around the file. */
	if (c->req->content_length > 0 &&
	    (unsigned long long)c->req->content_length > max + 65536) {
		resp_problem(c->resp, c->req, 413,
		             "the file is larger than this deployment accepts", NULL, 0);
		return -1;
	}
	return 0;
}

int upload_read(struct upload *u)
{
	static const struct mp_callbacks cb = {on_part, on_data, on_part_end};
	struct ctx *c = u->c;
	struct mp_parser mp;
	char buf[65536];
	ssize_t n;
	int rc = MP_OK;

	mp_init(&mp, u->boundary, &cb, u);
	while (rc == MP_OK && (n = c->body_read(c->body_src, buf, sizeof(buf))) > 0)
		rc = mp_feed(&mp, buf, (size_t)n);
	if (rc == MP_OK)
		rc = mp_finish(&mp);
	if (rc == MP_OK)
		return 0;
	upload_discard(u);
	if (rc == MP_ABORTED && u->status == 500)
		resp_problem(c->resp, c->req, 500, NULL, NULL, 0);
	else if (rc == MP_ABORTED && u->status == 503)
		handler_unavailable(c, u->refusal);
	else if (rc == MP_ABORTED)
		resp_problem(c->resp, c->req, u->status, u->refusal, NULL, 0);
	else
		resp_problem(
		    c->resp, c->req, 400,
		    arena_printf(c->arena, "the multipart body is malformed: %s", mp_error(&mp)),
		    NULL, 0);
	return -1;
}

/* A finding: its audit row, then 422 (or 503 when it cannot be audited:
 * a finding is never answered without its row). */
static void infected(struct upload *u, const char *sig, const char *entity_type,
                     const char *entity_id)
{
	struct ctx *c = u->c;
	struct buf j;

	buf_init(&j, c->arena);
	buf_puts(&j, "{\"signature\":");
	buf_json_str(&j, sig);
	buf_puts(&j, ",\"filename\":");
	buf_json_str(&j, u->filename);
	buf_putc(&j, '}');
	if (j.oom ||
	    audit_record(c, NULL, "document.infected", entity_type, entity_id, NULL, j.data) < 0)
		handler_unavailable(c, "the audit log is unavailable; try again");
	else
		handler_invalid(c, "file",
		                arena_printf(c->arena, "%s found: the file was not stored", sig));
}

int upload_scan(struct upload *u, const char *entity_type, const char *entity_id)
{
	const struct config *cfg = u->c->w->cfg;
	char sig[128];
	int found;

	if (cfg->clamav_socket == NULL || u->fd < 0)
		return 0;
	found = clamav_scan_file(cfg->clamav_socket, u->tmp, sig, sizeof(sig), CLAMAV_TIMEOUT_MS);
	if (found == 0)
		return 0;
	if (found < 0)
		handler_unavailable(u->c, "the virus scanner is unavailable; try again");
	else
		infected(u, sig, entity_type, entity_id);
	upload_discard(u);
	return -1;
}

void upload_finish(struct upload *u, char out[65])
{
	unsigned char md[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_final(&u->sha, md);
	sodium_bin2hex(out, 65, md, sizeof(md));
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
}

void upload_discard(struct upload *u)
{
	if (u->fd >= 0)
		close(u->fd);
	if (u->fd >= 0 || u->tmp[0] != '\0')
		unlink(u->tmp);
	u->fd = -1;
	u->tmp[0] = '\0';
}

void upload_new_uuid(char out[37])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
}
