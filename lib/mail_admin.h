/*
 * mail_admin.h -- the mail administration API (DESIGN §8 "Notifications",
 * issue 6): the templates mail is rendered from, the email test mode and
 * the email history. Admins and super admins; an admin sees and edits
 * only what belongs to the scholarships granted to them (out of scope is
 * 404); defaults, the test mode and retries are the super admin's.
 *
 * Templates (lib/mail_templates_api.c):
 *   GET    /api/v1/mail-templates/keys                    keys, purposes, placeholders
 *   GET    /api/v1/mail-templates?key=&locale=&scholarship_id=
 *   PUT    /api/v1/mail-templates/{key}/{locale}          replace a default, or
 *                                                         create/replace an override
 *   DELETE /api/v1/mail-templates/{key}/{locale}?scholarship_id=   an override
 *   POST   /api/v1/mail-templates/{key}/{locale}/preview  render with example values
 *
 * Test mode and history (lib/mail_admin.c):
 *   GET|PUT|DELETE /api/v1/mail/test-mode
 *   GET    /api/v1/mail/outbox?status=&template_key=&recipient=&since=&until=
 *   POST   /api/v1/mail/outbox/{id}/retry
 *
 * The history never shows a mail's body: bodies carry sign-in tokens.
 * All memory is the request arena's.
 */
#ifndef SCH_MAIL_ADMIN_H
#define SCH_MAIL_ADMIN_H

struct ctx;

void mailadm_template_keys(struct ctx *c);
void mailadm_templates_list(struct ctx *c);
void mailadm_template_put(struct ctx *c);
void mailadm_template_delete(struct ctx *c);
void mailadm_template_preview(struct ctx *c);

void mailadm_test_mode_get(struct ctx *c);
void mailadm_test_mode_put(struct ctx *c);
void mailadm_test_mode_delete(struct ctx *c);

void mailadm_outbox_list(struct ctx *c);
void mailadm_outbox_retry(struct ctx *c);

#endif
