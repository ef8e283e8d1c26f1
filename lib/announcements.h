/*
 * announcements.h -- (being written; see issue 6).
 */
#ifndef SCH_ANNOUNCEMENTS_H
#define SCH_ANNOUNCEMENTS_H

#endif
