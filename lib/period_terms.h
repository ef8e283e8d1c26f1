/*
 * period_terms.h -- a period's regulations PDF (DESIGN §8, issue 5).
 *
 *   POST /api/v1/periods/{id}/terms-document  multipart: file (a PDF by
 *        its content, at most MAX_UPLOAD_MB; admins in scope, super
 *        admins; not once the period is finalized or archived) 201
 *        {period_id, filename, size, sha256, uploaded_at}; replaces the
 *        previous one and sets the period's terms_document
 *   GET  /api/v1/periods/{id}/terms-document  whoever can see the period
 *        (public for open periods of active scholarships): the file, as
 *        documents are sent (X-Accel-Redirect, or a presigned URL)
 */
#ifndef SCH_PERIOD_TERMS_H
#define SCH_PERIOD_TERMS_H

struct ctx;

void period_terms_upload(struct ctx *c);
void period_terms_download(struct ctx *c);

#endif
