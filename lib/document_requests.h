/*
 * document_requests.h -- document requests (補件, DESIGN §8
 * "Applications"): staff ask the student for more files.
 *
 *   POST /api/v1/applications/{id}/document-requests {kinds[], reason,
 *        due_on} (admin in scope, super admin) 201 the request; the
 *        application (submitted, under_review or pending_documents, else
 *        409) is now pending_documents; 422 a kind the period does not
 *        ask for ("kinds.<i>"), a repeated kind or a past due_on
 *   GET  /api/v1/document-requests?status=&application_id=&overdue=true
 *        the caller's scope as for applications (DESIGN §7), newest
 *        first, keyset pages {items, next_cursor}; overdue: open and due
 *        before today in INSTITUTION_TIMEZONE
 *   POST /api/v1/document-requests/{id}/fulfil (the owning student; the
 *        request open, else 409) 200 fulfilled; 422 "kinds.<kind>" for
 *        each kind with no file uploaded since the request was made; when
 *        no other request of it is open, the application is back to
 *        under_review
 *   POST /api/v1/document-requests/{id}/cancel {reason?} (admin in
 *        scope, super admin; the request open, else 409) 200 cancelled;
 *        the application back to under_review as for fulfil
 *
 * Out of scope is 404. Every change is one transaction with its audit
 * rows (the request's, and the application's when its status moves, with
 * its status history row). All memory is the request arena's.
 */
#ifndef SCH_DOCUMENT_REQUESTS_H
#define SCH_DOCUMENT_REQUESTS_H

struct ctx;

void docreq_create(struct ctx *c);
void docreq_list(struct ctx *c);
void docreq_fulfil(struct ctx *c);
void docreq_cancel(struct ctx *c);

#endif
