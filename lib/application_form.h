/*
 * application_form.h -- an application's answers checked against its
 * period's form_fields (DESIGN §8: {key, label, type text|textarea|number|
 * date|email|select|checkbox, required, max_length, min, max, pattern,
 * options}). Pure: no DB, no globals; messages in English or Chinese.
 *
 * Value types: text, textarea, email, date and select take a string
 * (date "YYYY-MM-DD", select one of options); number takes a JSON number;
 * checkbox a boolean, or with options an array of distinct options.
 * A pattern is a POSIX extended expression that must match the whole
 * value. max_length counts characters, not bytes.
 */
#ifndef SCH_APPLICATION_FORM_H
#define SCH_APPLICATION_FORM_H

#include <cjson/cJSON.h>

struct arena;
struct verrors;

/* The form field of form_fields named key, or NULL. */
const cJSON *appform_field(const cJSON *form_fields, const char *key);

/* NULL when value (not JSON null) suits field, else why not (static or
 * arena text). en: English messages, else Traditional Chinese. */
const char *appform_check(struct arena *a, const cJSON *field, const cJSON *value, int en);

/*
 * Every problem of answers as "answers.<key>" errors in e: keys that are
 * no field, values that do not suit theirs, and, when complete is set (at
 * submit), each required field without an answer (absent, null, "",
 * false or an empty list).
 */
void appform_validate(struct arena *a, const cJSON *form_fields, const cJSON *answers, int complete,
                      int en, struct verrors *e);

#endif
