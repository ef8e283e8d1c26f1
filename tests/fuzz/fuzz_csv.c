/*
 * fuzz_csv.c -- fuzz target for the CSV reader (lib/csv.c) and the
 * student record field checks (lib/student_import.c) the import runs on
 * every cell. Beyond the sanitizers, the target aborts when reading does
 * not advance, when a good record holds a field that is not NUL-free
 * UTF-8 of its stated length, when a bad record has no reason, or when a
 * good record written back with csv_put_cell() does not read back as the
 * same fields (apostrophe-prefixed where a formula was neutralised).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "csv.h"
#include "json.h"
#include "student_import.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static const char *const names[] = {
    "student_number",
    "name",
    "email",
    "national_id",
    "birth_date",
    "bank_account",
    "gender",
    "college_code",
    "degree",
    "year_of_study",
    "gpa",
    "class_rank_percent",
    "enrollment_status",
    "advisor_email",
    "nope",
};

static void check_fields(struct arena *a, const struct csv_row *row)
{
	size_t i;

	for (i = 0; i < row->n; i++) {
		const struct csv_field *f = &row->fields[i];
		const char *norm = NULL, *why;

		CHECK(strlen(f->s) == f->len && json_utf8_valid(f->s, f->len));
		why = student_field_check(names[i % (sizeof(names) / sizeof(names[0]))], f->s, a,
		                          &norm);
		CHECK(why != NULL || norm != NULL || f->len == 0);
	}
}

/* Write the record back and read it again: the same fields. */
static void round_trip(struct arena *a, const struct csv_row *row)
{
	struct csv_reader *r = malloc(sizeof(*r));
	struct csv_row again;
	struct buf b;
	size_t i;

	CHECK(r != NULL);
	buf_init(&b, a);
	for (i = 0; i < row->n; i++) {
		if (i > 0)
			buf_putc(&b, ',');
		csv_put_cell(&b, row->fields[i].s, row->fields[i].len);
	}
	buf_putc(&b, '\n');
	CHECK(!b.oom);
	csv_init(r, a, b.data, b.len);
	if (row->n == 1 && row->fields[0].len == 0) {
		CHECK(csv_next(r, &again) == CSV_END); /* an empty line */
		free(r);
		return;
	}
	CHECK(csv_next(r, &again) == CSV_ROW && again.n == row->n);
	for (i = 0; i < row->n; i++) {
		const char *got = again.fields[i].s;

		if (csv_is_formula(row->fields[i].s, row->fields[i].len))
			CHECK(*got++ == '\'');
		CHECK(strcmp(got, row->fields[i].s) == 0);
	}
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_reader *r = malloc(sizeof(*r));
	struct arena a;
	struct csv_row row;
	enum csv_status st;
	const char *last = NULL;

	CHECK(r != NULL);
	arena_init(&a, 4096);
	csv_init(r, &a, (const char *)data, size);
	while ((st = csv_next(r, &row)) != CSV_END) {
		if (st == CSV_FATAL) {
			CHECK(row.error != NULL);
			break;
		}
		CHECK(r->p != last); /* progress */
		last = r->p;
		if (st == CSV_BAD) {
			CHECK(row.error != NULL);
			continue;
		}
		check_fields(&a, &row);
		round_trip(&a, &row);
	}
	arena_free(&a);
	free(r);
	return 0;
}
