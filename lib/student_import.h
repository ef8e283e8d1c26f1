/*
 * student_import.h -- importing student records from CSV (DESIGN §8
 * "Students"): the field table every record value is checked against,
 * and the all-or-nothing upsert keyed by student_number that both
 * POST /api/v1/students/import and `scholarshipctl import-students` run.
 *
 * The file: UTF-8 (a BOM is skipped), RFC 4180, a header row naming record
 * fields (any order; student_number, name, email, college_code, degree and
 * enrollment_status are required columns; source and verified_at are set
 * by the system), at most STUDENT_IMPORT_MAX_ROWS data rows. An empty cell
 * is NULL: on update it clears that field; a column absent from the header
 * leaves the field as it is. Rows are numbered as a spreadsheet shows
 * them: the header is row 1, the first record row 2.
 *
 * The run: every row is parsed and checked (per row, per field), then in
 * one transaction the good rows are COPYed into a temporary table, checked
 * against the database (known college, department of that college, email
 * not used by another record, no repeated student_number or email in the
 * file), and upserted. Any error anywhere: ROLLBACK, nothing written, every
 * error reported. A dry run goes all the way (so its counts are exact) and
 * then rolls back. Importing the same file twice reports every row
 * unchanged the second time: sealed values are compared by decrypting the
 * stored ones, and reused when equal.
 *
 * Works on a plain PGconn (the API passes its worker's connection) and the
 * caller's arena; writes one audit row per real import.
 */
#ifndef SCH_STUDENT_IMPORT_H
#define SCH_STUDENT_IMPORT_H

#include <libpq-fe.h>
#include <stddef.h>

struct arena;
struct buf;
struct pii_keyring;

#define STUDENT_IMPORT_MAX_BYTES (20u * 1024u * 1024u)
#define STUDENT_IMPORT_MAX_ROWS 100000u
#define STUDENT_IMPORT_MAX_ERRORS 1000u /* kept and reported; all are counted */

struct student_import_opts {
	int dry_run;
	size_t max_rows; /* 0: STUDENT_IMPORT_MAX_ROWS */
	/* For the audit row; any may be NULL (scholarshipctl has no actor). */
	const char *actor_id, *actor_ip, *request_id;
};

struct student_import_error {
	size_t row;          /* 1: the header */
	const char *field;   /* NULL: the row as a whole */
	const char *message; /* for the client; never holds a cell's value */
};

struct student_import_report {
	size_t rows; /* data rows read */
	size_t inserted, updated, unchanged;
	size_t nerrors; /* every error found */
	struct student_import_error *errors;
	size_t nkept; /* errors[0..nkept), at most STUDENT_IMPORT_MAX_ERRORS */
};

enum student_import_status {
	SI_OK,       /* imported, or dry run complete (errors may be listed) */
	SI_INVALID,  /* errors: nothing written */
	SI_TOO_MANY, /* more data rows than allowed: nothing written */
	SI_DB_DOWN,  /* the database is unreachable */
	SI_FAILED,   /* anything else (logged) */
};

/* Check, and for a real import write, data[0..len). */
enum student_import_status student_import_run(PGconn *conn, struct arena *a,
                                              const struct pii_keyring *kr, const char *data,
                                              size_t len, const struct student_import_opts *o,
                                              struct student_import_report *rep);

/* The report as JSON: {dry_run, rows, inserted, updated, unchanged,
 * error_count, errors: [{row, field, message}]}. */
void student_import_report_json(struct buf *b, const struct student_import_report *rep,
                                int dry_run);

/*
 * Check one value of a record field by name, as the import does (the PATCH
 * of self-reported fields uses it too). NULL when valid, with *norm set to
 * the normalised value (arena, e.g. upper-cased ids); else the reason.
 */
const char *student_field_check(const char *field, const char *value, struct arena *a,
                                const char **norm);

/* The additional authenticated data sealing field of a record binds to:
 * "students.<field>:<student_number>". */
char *student_pii_aad(struct arena *a, const char *field, const char *student_number);

#endif
