/*
 * notifications.h -- (being written; see issue 6).
 */
#ifndef SCH_NOTIFICATIONS_H
#define SCH_NOTIFICATIONS_H

#endif
