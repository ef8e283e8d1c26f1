/*
 * application_form.c -- answers against form fields (application_form.h).
 *
 * Each check is one small function per field type; appform_check picks
 * it by the field's type. Patterns were compiled once already when the
 * period was saved (lib/periods.c refuses bad and explosive ones); here
 * they are compiled again per check, anchored as ^(pattern)$ so that a
 * pattern means what HTML's pattern attribute means.
 */
#include "application_form.h"

#include "arena.h"
#include "json.h"
#include "validate.h"

#include <math.h>
#include <regex.h>
#include <string.h>

static int is_string_type(const char *type)
{
	return strcmp(type, "text") == 0 || strcmp(type, "textarea") == 0 ||
	       strcmp(type, "email") == 0 || strcmp(type, "date") == 0 ||
	       strcmp(type, "select") == 0;
}

static int in_options(const cJSON *opts, const char *s)
{
	const cJSON *o;

	cJSON_ArrayForEach(o,
	                   opts) if (cJSON_IsString(o) && strcmp(o->valuestring, s) == 0) return 1;
	return 0;
}

/* 1 when s matches pat as a whole, 0 when not, -1 when pat is unusable. */
static int pattern_matches(struct arena *a, const char *pat, const char *s)
{
	regex_t re;
	const char *anchored = arena_printf(a, "^(%s)$", pat);
	int rc;

	if (anchored == NULL || regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB) != 0)
		return -1;
	rc = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return rc;
}

static const char *check_string(struct arena *a, const cJSON *f, const char *type, const char *s,
                                int en)
{
	const cJSON *ml = cJSON_GetObjectItemCaseSensitive(f, "max_length");
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(f, "options");
	const char *pat = json_str(f, "pattern");

	if (strcmp(type, "date") == 0 && !validate_date(s))
		return en ? "must be a date (YYYY-MM-DD)" : "須為日期（YYYY-MM-DD）";
	if (strcmp(type, "email") == 0 && *s != '\0' && !validate_email(s))
		return en ? "must be an email address" : "須為電子郵件地址";
	if (strcmp(type, "select") == 0 && *s != '\0' && !in_options(opts, s))
		return en ? "must be one of the options" : "須為選項之一";
	if (cJSON_IsNumber(ml) && validate_utf8_len(s) > (size_t)ml->valuedouble)
		return arena_printf(a, en ? "must be at most %d characters" : "最多 %d 個字",
		                    (int)ml->valuedouble);
	if (strcmp(type, "textarea") != 0 && strchr(s, '\n') != NULL)
		return en ? "must be one line" : "須為單行";
	if (pat != NULL && *s != '\0' && pattern_matches(a, pat, s) != 1)
		return en ? "does not have the required format" : "格式不符";
	return NULL;
}

static const char *check_number(struct arena *a, const cJSON *f, const cJSON *v, int en)
{
	const cJSON *min = cJSON_GetObjectItemCaseSensitive(f, "min");
	const cJSON *max = cJSON_GetObjectItemCaseSensitive(f, "max");

	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return en ? "must be a number" : "須為數字";
	if (cJSON_IsNumber(min) && v->valuedouble < min->valuedouble)
		return arena_printf(a, en ? "must be at least %g" : "不得小於 %g",
		                    min->valuedouble);
	if (cJSON_IsNumber(max) && v->valuedouble > max->valuedouble)
		return arena_printf(a, en ? "must be at most %g" : "不得大於 %g", max->valuedouble);
	return NULL;
}

static const char *check_checkbox(const cJSON *f, const cJSON *v, int en)
{
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(f, "options"), *it, *jt;

	if (!cJSON_IsArray(opts))
		return cJSON_IsBool(v) ? NULL : en ? "must be true or false" : "須為是或否";
	if (!cJSON_IsArray(v))
		return en ? "must be a list of options" : "須為選項清單";
	cJSON_ArrayForEach(it, v)
	{
		if (!cJSON_IsString(it) || !in_options(opts, it->valuestring))
			return en ? "must list options only" : "只能列出選項";
		for (jt = v->child; jt != it; jt = jt->next)
			if (strcmp(jt->valuestring, it->valuestring) == 0)
				return en ? "lists an option twice" : "選項重複";
	}
	return NULL;
}

const cJSON *appform_field(const cJSON *form_fields, const char *key)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, form_fields)
	{
		const char *k = json_str(f, "key");

		if (k != NULL && strcmp(k, key) == 0)
			return f;
	}
	return NULL;
}

const char *appform_check(struct arena *a, const cJSON *field, const cJSON *value, int en)
{
	const char *type = json_str(field, "type");

	if (type == NULL)
		return en ? "cannot be answered" : "無法作答";
	if (strcmp(type, "number") == 0)
		return check_number(a, field, value, en);
	if (strcmp(type, "checkbox") == 0)
		return check_checkbox(field, value, en);
	if (!is_string_type(type))
		return en ? "cannot be answered" : "無法作答";
	if (!cJSON_IsString(value))
		return en ? "must be text" : "須為文字";
	return check_string(a, field, type, value->valuestring, en);
}

/* Is v no answer at all? */
static int blank(const cJSON *v)
{
	return v == NULL || cJSON_IsNull(v) || cJSON_IsFalse(v) ||
	       (cJSON_IsString(v) && v->valuestring[0] == '\0') ||
	       (cJSON_IsArray(v) && v->child == NULL);
}

void appform_validate(struct arena *a, const cJSON *form_fields, const cJSON *answers, int complete,
                      int en, struct verrors *e)
{
	const cJSON *v, *f;
	const char *why;

	cJSON_ArrayForEach(v, answers)
	{
		const char *path = arena_printf(a, "answers.%.64s", v->string);

		if ((f = appform_field(form_fields, v->string)) == NULL)
			verrors_add(e, path,
			            en ? "is not a field of this form" : "不是此表單的欄位");
		else if (!cJSON_IsNull(v) && (why = appform_check(a, f, v, en)) != NULL)
			verrors_add(e, path, why);
	}
	if (!complete)
		return;
	cJSON_ArrayForEach(f, form_fields)
	{
		const char *key = json_str(f, "key");

		if (key != NULL && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "required")) &&
		    blank(cJSON_GetObjectItemCaseSensitive(answers, key)))
			verrors_add(e, arena_printf(a, "answers.%s", key),
			            en ? "is required" : "為必填");
	}
}
