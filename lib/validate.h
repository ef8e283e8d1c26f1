/*
 * validate.h -- declarative validation of JSON request bodies (after
 * kcgi's kvalid_*): a route declares a table of struct vfield; one call
 * checks the whole object and reports every bad field at once, with dotted
 * paths ("answers.phone", "sub_types.2"). Handlers then read only values
 * that passed.
 */
#ifndef SCH_VALIDATE_H
#define SCH_VALIDATE_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "http.h"

struct arena;

enum vtype {
	VT_STRING,
	VT_EMAIL,
	VT_UUID,
	VT_DATE,     /* YYYY-MM-DD */
	VT_DATETIME, /* RFC 3339 */
	VT_INT,
	VT_NUMBER,
	VT_BOOL,
	VT_ENUM,   /* string, one of options */
	VT_ARRAY,  /* items validated by item (a single field, name ignored) */
	VT_OBJECT, /* children validated recursively */
	VT__MAX
};

#define VF_REQUIRED 0x01u
#define VF_NULLABLE 0x02u

struct vfield {
	const char *name;
	enum vtype type;
	unsigned flags;
	long long min, max; /* string length in characters, number range, array size; 0,0 = none */
	const char *const *options;    /* VT_ENUM: NULL-terminated */
	const struct vfield *children; /* VT_OBJECT */
	size_t nchildren;
	const struct vfield *item; /* VT_ARRAY */
};

struct verrors {
	struct arena *arena;
	struct problem_field *items;
	size_t n, cap;
	int oom;
};

void verrors_init(struct verrors *e, struct arena *a);
/* Record an error at path (copied). */
void verrors_add(struct verrors *e, const char *path, const char *message);

/*
 * Check obj against fields[0..n). Unknown keys are errors too (they are
 * usually typos). prefix is the dotted path of obj ("" at the top).
 * Returns the number of errors added.
 */
size_t validate_object(const cJSON *obj, const struct vfield *fields, size_t n, const char *prefix,
                       struct verrors *e);

/* Single-value checks, also used by query parsing. */
int validate_email(const char *s);
int validate_date(const char *s);
int validate_datetime(const char *s);
/* Characters (code points) in a UTF-8 string. */
size_t validate_utf8_len(const char *s);

#endif
