/*
 * eligibility.h -- the eligibility engine (DESIGN §8 "Scholarships and
 * periods", issue 4): a period's rules, each {field, operator ==|!=|>|>=|
 * <|<=|in|not_in, value, hard, sub_type?, message, message_en}, evaluated
 * over a student record (a JSON object of the record's fields).
 *
 * Pure: no database, no globals; the caller passes JSON in and gets a
 * result whose memory belongs to the arena. The same function runs when
 * a student looks at GET /eligibility, at create and at submit (against
 * the record of that moment, frozen into the application).
 *
 * Rules:
 *   - a rule without sub_type applies to the whole scholarship; one with a
 *     sub_type only to that sub-type;
 *   - a hard rule that fails makes the student ineligible (for its
 *     sub-type, or for everything); a warning (hard false) never does;
 *   - a field that is missing or null fails the rule, with a "data
 *     unavailable" reason, whatever the operator;
 *   - numbers compare as numbers, strings as strings (dates in
 *     YYYY-MM-DD order correctly), a number and a string never match;
 *   - eligible = every applicable hard rule passes and, when the
 *     scholarship has sub-types, at least one sub-type is open.
 */
#ifndef SCH_ELIGIBILITY_H
#define SCH_ELIGIBILITY_H

#include <stddef.h>
#include <cjson/cJSON.h>

struct arena;

struct elig_rule_result {
	const char *field;
	const char *op;
	const char *sub_type; /* NULL: the whole scholarship */
	const char *message;  /* in the requested locale */
	int passed;
	int hard;
	int unavailable; /* the record has no value for field */
};

struct elig_result {
	int eligible;
	struct elig_rule_result *rules;
	size_t nrules;
	const char **open_sub_types; /* codes of the sub-types open to the student */
	size_t nopen;
};

/*
 * Evaluate rules (a JSON array, already validated) over record for the
 * scholarship's sub_types (a JSON array of {code, ...} objects, or NULL).
 * locale "en" picks message_en, anything else message (zh-TW), each
 * falling back to the other. 0, or -1 when out of memory.
 */
int eligibility_evaluate(struct arena *a, const cJSON *rules, const cJSON *record,
                         const cJSON *sub_types, const char *locale, struct elig_result *out);

/* The result as the JSON of GET /eligibility: {eligible, rules: [{field,
 * operator, passed, hard, sub_type, message}], sub_types: [codes]}. The
 * object is owned by the arena. */
cJSON *eligibility_to_json(struct arena *a, const struct elig_result *r);

/* Is op one of the eight operators? */
int eligibility_op_valid(const char *op);

#endif
