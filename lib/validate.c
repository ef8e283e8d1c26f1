/*
 * validate.c -- the field-table validator. Each check reports in plain
 * words what the client must change; nothing is echoed back from the
 * input except the field path.
 */
#include "validate.h"

#include "arena.h"
#include "router.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void verrors_init(struct verrors *e, struct arena *a)
{
	memset(e, 0, sizeof(*e));
	e->arena = a;
}

void verrors_add(struct verrors *e, const char *path, const char *message)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 8;
		struct problem_field *p = arena_calloc(e->arena, cap, sizeof(*p));
		if (p == NULL) {
			e->oom = 1;
			return;
		}
		if (e->n)
			memcpy(p, e->items, e->n * sizeof(*p));
		e->items = p;
		e->cap = cap;
	}
	e->items[e->n].field = arena_strdup(e->arena, path);
	e->items[e->n].message = arena_strdup(e->arena, message);
	if (e->items[e->n].field == NULL || e->items[e->n].message == NULL) {
		e->oom = 1;
		return;
	}
	e->n++;
}

size_t validate_utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

int validate_email(const char *s)
{
	const char *at = strchr(s, '@');
	const char *dot;
	size_t i, len = strlen(s);

	if (at == NULL || at == s || len > 254 || (size_t)(at - s) > 64 || strchr(at + 1, '@'))
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || strchr("()<>,;:\\\"[]", s[i]))
			return 0;
	dot = strrchr(at + 1, '.');
	return dot != NULL && dot > at + 1 && dot[1] != '\0' && at[1] != '.';
}

static int digits(const char *s, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Value of n digits already checked by digits(). */
static int num(const char *s, int n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

int validate_date(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d;

	if (strlen(s) != 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2))
		return 0;
	y = num(s, 4), m = num(s + 5, 2), d = num(s + 8, 2);
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 0;
	return y >= 1900 && y <= 2999;
}

int validate_datetime(const char *s)
{
	char date[11];
	const char *t = s + 10;

	if (strlen(s) < 20)
		return 0;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (!validate_date(date) || (*t != 'T' && *t != 't' && *t != ' '))
		return 0;
	t++;
	if (!digits(t, 2) || t[2] != ':' || !digits(t + 3, 2) || t[5] != ':' || !digits(t + 6, 2))
		return 0;
	if (num(t, 2) > 23 || num(t + 3, 2) > 59 || num(t + 6, 2) > 60)
		return 0;
	t += 8;
	if (*t == '.') {
		t++;
		if (!isdigit((unsigned char)*t))
			return 0;
		while (isdigit((unsigned char)*t))
			t++;
	}
	if (*t == 'Z' || *t == 'z')
		return t[1] == '\0';
	if ((*t == '+' || *t == '-') && digits(t + 1, 2) && t[3] == ':' && digits(t + 4, 2))
		return t[6] == '\0';
	return 0;
}

static const char *type_name[VT__MAX] = {
    [VT_STRING] = "a string",
    [VT_EMAIL] = "an email address",
    [VT_UUID] = "a UUID",
    [VT_DATE] = "a date (YYYY-MM-DD)",
    [VT_DATETIME] = "an RFC 3339 date-time",
    [VT_INT] = "an integer",
    [VT_NUMBER] = "a number",
    [VT_BOOL] = "true or false",
    [VT_ENUM] = "one of the allowed values",
    [VT_ARRAY] = "an array",
    [VT_OBJECT] = "an object",
};

static void check_value(const cJSON *v, const struct vfield *f, const char *path,
                        struct verrors *e);

static void check_string(const cJSON *v, const struct vfield *f, const char *path,
                         struct verrors *e)
{
	const char *s = v->valuestring;
	size_t len = validate_utf8_len(s);
	char msg[128];

	if ((f->min || f->max) && ((long long)len < f->min || (long long)len > f->max)) {
		snprintf(msg, sizeof(msg), "must be %lld to %lld characters long", f->min, f->max);
		verrors_add(e, path, msg);
		return;
	}
	if ((f->type == VT_EMAIL && !validate_email(s)) ||
	    (f->type == VT_UUID && !route_is_uuid(s, strlen(s))) ||
	    (f->type == VT_DATE && !validate_date(s)) ||
	    (f->type == VT_DATETIME && !validate_datetime(s))) {
		snprintf(msg, sizeof(msg), "must be %s", type_name[f->type]);
		verrors_add(e, path, msg);
		return;
	}
	if (f->type == VT_ENUM) {
		const char *const *o;
		for (o = f->options; o != NULL && *o != NULL; o++)
			if (strcmp(*o, s) == 0)
				return;
		verrors_add(e, path, "is not one of the allowed values");
	}
}

static void check_number(const cJSON *v, const struct vfield *f, const char *path,
                         struct verrors *e)
{
	double d = v->valuedouble;
	char msg[128];

	if (!isfinite(d)) {
		verrors_add(e, path, "must be a finite number");
		return;
	}
	if (f->type == VT_INT && (d != floor(d) || fabs(d) > 9007199254740991.0)) {
		verrors_add(e, path, "must be an integer");
		return;
	}
	if ((f->min || f->max) && (d < (double)f->min || d > (double)f->max)) {
		snprintf(msg, sizeof(msg), "must be from %lld to %lld", f->min, f->max);
		verrors_add(e, path, msg);
	}
}

static void check_array(const cJSON *v, const struct vfield *f, const char *path, struct verrors *e)
{
	int n = cJSON_GetArraySize(v), i = 0;
	const cJSON *it;
	char msg[128], sub[512];

	if ((f->min || f->max) && (n < f->min || n > f->max)) {
		snprintf(msg, sizeof(msg), "must have %lld to %lld items", f->min, f->max);
		verrors_add(e, path, msg);
		return;
	}
	if (f->item == NULL)
		return;
	cJSON_ArrayForEach(it, v)
	{
		snprintf(sub, sizeof(sub), "%s.%d", path, i++);
		check_value(it, f->item, sub, e);
	}
}

static int type_ok(const cJSON *v, enum vtype t)
{
	switch (t) {
	case VT_INT:
	case VT_NUMBER:
		return cJSON_IsNumber(v);
	case VT_BOOL:
		return cJSON_IsBool(v);
	case VT_ARRAY:
		return cJSON_IsArray(v);
	case VT_OBJECT:
		return cJSON_IsObject(v);
	default:
		return cJSON_IsString(v);
	}
}

static void check_value(const cJSON *v, const struct vfield *f, const char *path, struct verrors *e)
{
	char msg[128];

	if (cJSON_IsNull(v)) {
		if (!(f->flags & VF_NULLABLE))
			verrors_add(e, path, "must not be null");
		return;
	}
	if (!type_ok(v, f->type)) {
		snprintf(msg, sizeof(msg), "must be %s", type_name[f->type]);
		verrors_add(e, path, msg);
		return;
	}
	if (cJSON_IsString(v))
		check_string(v, f, path, e);
	else if (cJSON_IsNumber(v))
		check_number(v, f, path, e);
	else if (f->type == VT_ARRAY)
		check_array(v, f, path, e);
	else if (f->type == VT_OBJECT && f->children != NULL)
		validate_object(v, f->children, f->nchildren, path, e);
}

size_t validate_object(const cJSON *obj, const struct vfield *fields, size_t n, const char *prefix,
                       struct verrors *e)
{
	size_t before = e->n, i;
	const cJSON *it;
	char path[512];

	if (!cJSON_IsObject(obj)) {
		verrors_add(e, *prefix ? prefix : "body", "must be a JSON object");
		return e->n - before;
	}
	for (i = 0; i < n; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, fields[i].name);
		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", fields[i].name);
		if (v == NULL) {
			if (fields[i].flags & VF_REQUIRED)
				verrors_add(e, path, "is required");
			continue;
		}
		check_value(v, &fields[i], path, e);
	}
	cJSON_ArrayForEach(it, obj)
	{
		int known = 0;
		for (i = 0; i < n && !known; i++)
			known = it->string != NULL && strcmp(it->string, fields[i].name) == 0;
		snprintf(path, sizeof(path), "%s%s%.64s", prefix, *prefix ? "." : "",
		         it->string ? it->string : "");
		if (!known)
			verrors_add(e, path, "is not a known field");
		else if (cJSON_GetObjectItemCaseSensitive(obj, it->string) != it)
			verrors_add(e, path, "is repeated"); /* only the first was checked */
	}
	return e->n - before;
}
