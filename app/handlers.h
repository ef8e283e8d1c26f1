/*
 * handlers.h -- every header that declares route handlers, for the route
 * table. Each domain adds its header here.
 */
#ifndef SCH_HANDLERS_H
#define SCH_HANDLERS_H

#include "accounts.h"
#include "accounts_email.h"
#include "announcements.h"
#include "applications.h"
#include "document_requests.h"
#include "documents.h"
#include "period_terms.h"
#include "eligibility_api.h"
#include "mail_admin.h"
#include "notifications.h"
#include "ops.h"
#include "periods.h"
#include "reference.h"
#include "scholarships.h"
#include "student_import.h"
#include "students.h"
#include "users.h"

#endif
