/*
 * application_status.c -- the transition table of application_status.h,
 * as data: one row per source status listing its staff targets.
 */
#include "application_status.h"

#include <stddef.h>
#include <string.h>

const char *const appstatus_names[] = {
    "draft",    "submitted",          "under_review", "pending_documents", "returned",
    "approved", "partially_approved", "rejected",     "withdrawn",         "cancelled",
    NULL};
const char *const appstage_names[] = {"student",      "reviewer", "college", "admin",
                                      "distribution", "awarded",  NULL};

struct move {
	const char *from;
	const char *to[7];
};

static const struct move staff_moves[] = {
    {"submitted", {"under_review", "pending_documents", "returned", "rejected", "cancelled"}},
    {"under_review",
     {"pending_documents", "returned", "approved", "partially_approved", "rejected", "cancelled"}},
    {"pending_documents", {"under_review", "returned", "rejected", "cancelled"}},
    {"returned", {"cancelled"}},
    {"approved", {"cancelled"}},
    {"partially_approved", {"cancelled"}},
};

static const char *const withdrawable[] = {
    "draft", "submitted", "under_review", "pending_documents", "returned", NULL};

static int listed(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

int appstatus_known(const char *s)
{
	return s != NULL && listed(appstatus_names, s);
}

int appstage_known(const char *s)
{
	return s != NULL && listed(appstage_names, s);
}

int appstatus_staff_may(const char *from, const char *to)
{
	size_t i;

	for (i = 0; i < sizeof(staff_moves) / sizeof(staff_moves[0]); i++)
		if (strcmp(staff_moves[i].from, from) == 0)
			return listed(staff_moves[i].to, to);
	return 0;
}

int appstatus_withdrawable(const char *s)
{
	return listed(withdrawable, s);
}

const char *appstatus_stage_after(const char *to)
{
	if (strcmp(to, "returned") == 0 || strcmp(to, "draft") == 0)
		return "student";
	return NULL;
}
