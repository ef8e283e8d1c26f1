/*
 * eligibility.c -- rule evaluation for the eligibility engine. One table
 * of operators; comparisons in one function; the per-sub-type outcome
 * derived from the per-rule results.
 */
#include "eligibility.h"

#include "arena.h"
#include "json.h"

#include <math.h>
#include <string.h>

enum op { OP_EQ, OP_NE, OP_GT, OP_GE, OP_LT, OP_LE, OP_IN, OP_NOT_IN, OP__MAX };

static const char *const op_names[OP__MAX] = {
    [OP_EQ] = "==", [OP_NE] = "!=", [OP_GT] = ">",  [OP_GE] = ">=",
    [OP_LT] = "<",  [OP_LE] = "<=", [OP_IN] = "in", [OP_NOT_IN] = "not_in",
};

static const char unavailable_en[] = "data unavailable";
static const char unavailable_zh[] = "資料不足，無法判斷";

static int op_of(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < OP__MAX; i++)
		if (strcmp(op_names[i], s) == 0)
			return i;
	return -1;
}

int eligibility_op_valid(const char *op)
{
	return op_of(op) >= 0;
}

/* -1, 0, 1 like strcmp; 2 when a and b cannot be compared. */
static int compare(const cJSON *a, const cJSON *b)
{
	if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) {
		double x = a->valuedouble, y = b->valuedouble;
		if (fabs(x - y) < 1e-9)
			return 0;
		return x < y ? -1 : 1;
	}
	if (cJSON_IsString(a) && cJSON_IsString(b)) {
		int c = strcmp(a->valuestring, b->valuestring);
		return c < 0 ? -1 : c > 0;
	}
	if (cJSON_IsBool(a) && cJSON_IsBool(b))
		return cJSON_IsTrue(a) == cJSON_IsTrue(b) ? 0 : 2;
	return 2;
}

static int member(const cJSON *v, const cJSON *list)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, list)
	{
		if (compare(v, it) == 0)
			return 1;
	}
	return 0;
}

/* Does the record's value v pass op against the rule's value? */
static int passes(int op, const cJSON *v, const cJSON *want)
{
	int c;

	if (op == OP_IN || op == OP_NOT_IN)
		return cJSON_IsArray(want) && member(v, want) == (op == OP_IN);
	c = compare(v, want);
	if (c == 2)
		return 0; /* not comparable: fails, never passes by accident */
	switch (op) {
	case OP_EQ:
		return c == 0;
	case OP_NE:
		return c != 0;
	case OP_GT:
		return c > 0;
	case OP_GE:
		return c >= 0;
	case OP_LT:
		return c < 0;
	case OP_LE:
		return c <= 0;
	}
	return 0;
}

static const char *message_of(const cJSON *rule, int en, int unavailable)
{
	const char *zh = json_str(rule, "message"), *eng = json_str(rule, "message_en");

	if (unavailable)
		return en ? unavailable_en : unavailable_zh;
	if (en)
		return eng ? eng : zh;
	return zh ? zh : eng;
}

static void evaluate_rule(const cJSON *rule, const cJSON *record, int en,
                          struct elig_rule_result *out)
{
	const char *field = json_str(rule, "field");
	const cJSON *v = field ? cJSON_GetObjectItemCaseSensitive(record, field) : NULL;
	int op = op_of(json_str(rule, "operator"));

	out->field = field;
	out->op = op >= 0 ? op_names[op] : json_str(rule, "operator");
	out->sub_type = json_str(rule, "sub_type");
	out->hard = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rule, "hard"));
	out->unavailable = v == NULL || cJSON_IsNull(v);
	out->passed = !out->unavailable && op >= 0 &&
	              passes(op, v, cJSON_GetObjectItemCaseSensitive(rule, "value"));
	out->message = message_of(rule, en, out->unavailable);
}

/* Does every hard rule for sub_type (NULL: the whole scholarship) pass? */
static int hard_rules_pass(const struct elig_result *r, const char *sub_type)
{
	size_t i;

	for (i = 0; i < r->nrules; i++) {
		const struct elig_rule_result *x = &r->rules[i];
		int applies =
		    x->sub_type == NULL || (sub_type != NULL && strcmp(x->sub_type, sub_type) == 0);
		if (applies && x->hard && !x->passed)
			return 0;
	}
	return 1;
}

static int open_sub_types(struct arena *a, const cJSON *sub_types, struct elig_result *out)
{
	size_t n = sub_types ? (size_t)cJSON_GetArraySize(sub_types) : 0;
	const cJSON *st;

	out->open_sub_types = arena_calloc(a, n ? n : 1, sizeof(*out->open_sub_types));
	if (out->open_sub_types == NULL)
		return -1;
	cJSON_ArrayForEach(st, sub_types)
	{
		const char *code = json_str(st, "code");
		if (code != NULL && hard_rules_pass(out, code))
			out->open_sub_types[out->nopen++] = code;
	}
	return 0;
}

int eligibility_evaluate(struct arena *a, const cJSON *rules, const cJSON *record,
                         const cJSON *sub_types, const char *locale, struct elig_result *out)
{
	int en = locale != NULL && strcmp(locale, "en") == 0;
	size_t n = rules ? (size_t)cJSON_GetArraySize(rules) : 0;
	const cJSON *rule;

	memset(out, 0, sizeof(*out));
	out->rules = arena_calloc(a, n ? n : 1, sizeof(*out->rules));
	if (out->rules == NULL)
		return -1;
	cJSON_ArrayForEach(rule, rules)
	{
		evaluate_rule(rule, record, en, &out->rules[out->nrules++]);
	}
	if (open_sub_types(a, sub_types, out) < 0)
		return -1;
	out->eligible =
	    hard_rules_pass(out, NULL) && (cJSON_GetArraySize(sub_types) == 0 || out->nopen > 0);
	return 0;
}

static cJSON *rule_json(const struct elig_rule_result *x)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddItemToObject(o, "field",
	                      x->field ? cJSON_CreateString(x->field) : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "operator",
	                      x->op ? cJSON_CreateString(x->op) : cJSON_CreateNull());
	cJSON_AddBoolToObject(o, "passed", x->passed);
	cJSON_AddBoolToObject(o, "hard", x->hard);
	cJSON_AddItemToObject(o, "sub_type",
	                      x->sub_type ? cJSON_CreateString(x->sub_type) : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "message",
	                      x->message ? cJSON_CreateString(x->message) : cJSON_CreateNull());
	return o;
}

cJSON *eligibility_to_json(struct arena *a, const struct elig_result *r)
{
	cJSON *o = json_new_object(a), *rules, *subs;
	size_t i;

	if (o == NULL || (rules = cJSON_AddArrayToObject(o, "rules")) == NULL ||
	    (subs = cJSON_AddArrayToObject(o, "sub_types")) == NULL ||
	    cJSON_AddBoolToObject(o, "eligible", r->eligible) == NULL)
		return NULL;
	for (i = 0; i < r->nrules; i++) {
		cJSON *x = rule_json(&r->rules[i]);
		if (x == NULL)
			return NULL;
		cJSON_AddItemToArray(rules, x);
	}
	for (i = 0; i < r->nopen; i++)
		cJSON_AddItemToArray(subs, cJSON_CreateString(r->open_sub_types[i]));
	return o;
}
