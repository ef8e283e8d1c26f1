/*
 * migrate.h -- schema migrations: numbered SQL files applied in order,
 * each in its own transaction, recorded with their SHA-256 in
 * schema_migrations. An applied file whose checksum changed is refused.
 * Concurrent runs serialise on an advisory lock.
 */
#ifndef SCH_MIGRATE_H
#define SCH_MIGRATE_H

#include <libpq-fe.h>
#include <stdio.h>

/* Apply pending migrations from dir. Progress to out. 0 or -1 (message on stderr). */
int migrate_apply(PGconn *conn, const char *dir, FILE *out);
/* Print applied and pending migrations. 0, or -1 on error; *pending counts. */
int migrate_status(PGconn *conn, const char *dir, FILE *out, int *pending);

#endif
