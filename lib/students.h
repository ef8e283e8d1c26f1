/*
 * students.h -- the student record routes (DESIGN §8 "Students") and the
 * re-encryption of sealed personal data after a key rotation.
 *
 * Who sees what: a student their own record (linked by email, see
 * students_me); college staff the records of their college; admins and
 * super admins every record. The scope is decided in one place
 * (students.c: scope_of() and the SCOPE condition every staff query
 * carries); a record out of scope is 404, exactly like a missing one.
 *
 * Personal data (national_id, birth_date, bank_account) is masked in every
 * answer; only GET /students/{id}/pii (admins) returns one clear value,
 * and only after its audit row ("student.pii_read", field name only) is
 * written. Without PII_ENCRYPTION_KEYS the routes that seal or open
 * values answer 503.
 */
#ifndef SCH_STUDENTS_H
#define SCH_STUDENTS_H

#include <libpq-fe.h>

struct arena;
struct config;
struct ctx;
struct pii_keyring;

void students_me(struct ctx *c);        /* GET /students/me */
void students_update_me(struct ctx *c); /* PATCH /students/me */
void students_list(struct ctx *c);      /* GET /students */
void students_get(struct ctx *c);       /* GET /students/{id} */
void students_pii(struct ctx *c);       /* GET /students/{id}/pii?field= */
void students_import(struct ctx *c);    /* POST /students/import[?dry_run=true] */

/*
 * This process's keyring, parsed from cfg once; NULL when
 * PII_ENCRYPTION_KEYS is missing or malformed (logged once).
 */
const struct pii_keyring *students_keyring(const struct config *cfg);

struct students_reencrypt_result {
	long rows;   /* records re-sealed with the current key */
	long failed; /* values no configured key opens (left as they are) */
};

/*
 * Re-seal every value not sealed with kr's current key, in batches of one
 * transaction each (so a long run holds no lock for long), and write one
 * audit row. a is reset between batches. 0, or -1 (message on stderr).
 */
int students_reencrypt(PGconn *conn, const struct pii_keyring *kr, struct arena *a,
                       struct students_reencrypt_result *out);

#endif
