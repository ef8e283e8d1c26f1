/*
 * accounts_email.h -- account flows that go through an email link
 * (DESIGN §7–§8): registration, verification, password reset, invitation
 * acceptance; and the caller's own profile and password.
 */
#ifndef SCH_ACCOUNTS_EMAIL_H
#define SCH_ACCOUNTS_EMAIL_H

struct ctx;

void accounts_register(struct ctx *c);
void accounts_verify_email(struct ctx *c);
void accounts_resend_verification(struct ctx *c);
void accounts_forgot_password(struct ctx *c);
void accounts_reset_password(struct ctx *c);
void accounts_accept_invitation(struct ctx *c);
void accounts_update_me(struct ctx *c);
void accounts_change_password(struct ctx *c);

/*
 * Store a new single-use token of kind ("verify", "reset", "invite") for
 * user_id valid for interval ("24 hours") and queue its mail (the
 * template of the kind, in the user's locale, to the user's address;
 * role fills {{role}} and may be NULL), inside the caller's transaction.
 * 0 or -1 (DB error, logged).
 */
int accounts_send_link(struct ctx *c, const char *user_id, const char *kind, const char *interval,
                       const char *role);

#endif
