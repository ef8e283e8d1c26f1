/*
 * mail_admin.h -- (being written; see issue 6).
 */
#ifndef SCH_MAIL_ADMIN_H
#define SCH_MAIL_ADMIN_H

#endif
