/*
 * arena.h -- per-request memory: bump allocation in chunks, plus a list of
 * cleanup handlers (PQclear, cJSON_Delete, freeReplyObject...) run when
 * the arena is reset.
 *
 * Ownership: everything allocated from an arena, and every object
 * registered with arena_cleanup(), belongs to the arena and dies at
 * arena_reset()/arena_free(). Nothing allocated here may outlive the
 * request it was made for. Allocation failure returns NULL; callers map
 * that to a 500 (tests inject it with arena_fail_after()).
 */
#ifndef SCH_ARENA_H
#define SCH_ARENA_H

#include <stddef.h>

struct arena_chunk;
struct arena_cleanup;

struct arena {
	struct arena_chunk *head;       /* current chunk; older ones follow */
	struct arena_cleanup *cleanups; /* run in reverse order of registration */
	size_t chunk_size;              /* default size of a new chunk */
	size_t total;                   /* bytes handed out since the last reset */
	size_t limit;                   /* 0 = unlimited; else NULL beyond it */
	long fail_after;                /* fault injection: <0 off, else count down */
};

/* Initialise an arena whose chunks are chunk_size bytes (0: 16 KiB). */
void arena_init(struct arena *a, size_t chunk_size);

/* Memory for n bytes aligned for any type; NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t n);
/* Zeroed memory for nmemb * size bytes, overflow-checked. */
void *arena_calloc(struct arena *a, size_t nmemb, size_t size);
/* Copies of strings; arena_strndup copies at most n bytes and terminates. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* printf into the arena. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Register fn(ptr) to run at reset. Returns 0, or -1 (and runs fn(ptr) at
 * once) when the registration itself cannot be allocated. */
int arena_cleanup(struct arena *a, void (*fn)(void *), void *ptr);

/* Run the cleanups and forget all allocations; keeps the first chunk. */
void arena_reset(struct arena *a);
/* Reset and release every chunk. */
void arena_free(struct arena *a);

/* Test hook: make the n-th next allocation (0 = the next) fail. */
void arena_fail_after(struct arena *a, long n);

#endif
