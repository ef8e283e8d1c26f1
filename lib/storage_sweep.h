/*
 * storage_sweep.h -- removes what failed uploads left in the storage
 * (DESIGN §8 "Documents": a failed request leaves neither row nor
 * object). The API removes an object itself when its row cannot be
 * written, but a worker killed between the two steps, or a failed unlink,
 * leaves an object with no row; scholarship-worker calls this every
 * STORAGE_SWEEP_EVERY_SECONDS to remove such objects, and temporary
 * files, older than STORAGE_SWEEP_AGE_SECONDS (an hour: never an upload
 * still in progress). Both backends: the fs tree, or the s3 bucket.
 */
#ifndef SCH_STORAGE_SWEEP_H
#define SCH_STORAGE_SWEEP_H

struct arena;
struct config;
struct db;

/* Objects and temporary files removed, or -1 when the database could not
 * be asked (nothing is removed then). */
long storage_sweep(const struct config *cfg, struct db *db, struct arena *a);

#endif
