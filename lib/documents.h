/*
 * documents.h -- the files of an application (DESIGN §8 "Documents").
 *
 *   POST   /api/v1/applications/{id}/documents  multipart/form-data: kind,
 *          file (the owner, while the application is a draft, returned or
 *          waiting for documents) 201 {id, kind, filename, content_type,
 *          size, sha256, created_at}; 413 above the kind's max_mb or
 *          MAX_UPLOAD_MB; 415 a file that is not a PDF, PNG or JPEG by
 *          its first bytes, or not a type the kind accepts; 422 an unknown
 *          kind or a missing file; 409 the kind's max_count reached
 *   GET    /api/v1/applications/{id}/documents  anyone whose scope holds
 *          the application: {items}
 *   GET    /api/v1/documents/{id}/content       the same people: NGINX
 *          sends the file (X-Accel-Redirect) as an attachment; audited
 *   DELETE /api/v1/documents/{id}                the owner, while editable: 204
 *
 * The body is streamed: multipart.h parses it, the file goes to a
 * temporary file of the storage with its SHA-256 computed on the way,
 * then it is stored under a generated key and its row written in one
 * transaction; any failure removes the object. Never whole in memory.
 */
#ifndef SCH_DOCUMENTS_H
#define SCH_DOCUMENTS_H

struct ctx;

void documents_upload(struct ctx *c);
void documents_list(struct ctx *c);
void documents_content(struct ctx *c);
void documents_delete(struct ctx *c);

/*
 * Answer with the stored object of key as an attachment named filename
 * of type type: fs, an empty 200 whose X-Accel-Redirect has NGINX send
 * the file; s3, a 302 to a URL presigned for 60 seconds. Also used for
 * terms documents (period_terms.c).
 */
void documents_send(struct ctx *c, const char *key, const char *filename, const char *type);

#endif
