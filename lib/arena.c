/*
 * arena.c -- per-request bump allocator with cleanup handlers, after
 * nginx's ngx_palloc and PostgreSQL's memory contexts: a request allocates
 * freely and everything is released in one step after the response.
 * Large requests get a chunk of their own; the first chunk is kept across
 * resets so a steady worker does no malloc per request.
 */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16

struct arena_chunk {
	struct arena_chunk *next;
	size_t size; /* usable bytes in data[] */
	size_t used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct arena_cleanup {
	struct arena_cleanup *next;
	void (*fn)(void *);
	void *ptr;
};

void arena_init(struct arena *a, size_t chunk_size)
{
	memset(a, 0, sizeof(*a));
	a->chunk_size = chunk_size ? chunk_size : 16384;
	a->fail_after = -1;
}

static struct arena_chunk *chunk_new(size_t size)
{
	struct arena_chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		return NULL;
	c = malloc(sizeof(*c) + size);
	if (c == NULL)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t need;
	void *p;

	if (a->fail_after >= 0 && a->fail_after-- == 0)
		return NULL;
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (a->limit && (a->total > a->limit || need > a->limit - a->total))
		return NULL;
	if (c == NULL || c->size - c->used < need) {
		/* A big request gets its own chunk behind the current one, so
		 * the free space of the current chunk is not wasted. */
		if (need > a->chunk_size / 4 && c != NULL) {
			struct arena_chunk *big = chunk_new(need);
			if (big == NULL)
				return NULL;
			big->next = c->next;
			c->next = big;
			big->used = need;
			a->total += need;
			return big->data;
		}
		c = chunk_new(need > a->chunk_size ? need : a->chunk_size);
		if (c == NULL)
			return NULL;
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += need;
	a->total += need;
	return p;
}

void *arena_calloc(struct arena *a, size_t nmemb, size_t size)
{
	void *p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		return NULL;
	p = arena_alloc(a, nmemb * size);
	if (p != NULL)
		memset(p, 0, nmemb * size);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = arena_alloc(a, len + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = arena_alloc(a, (size_t)n + 1);
	if (p == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

int arena_cleanup(struct arena *a, void (*fn)(void *), void *ptr)
{
	struct arena_cleanup *c = arena_alloc(a, sizeof(*c));

	if (c == NULL) {
		fn(ptr);
		return -1;
	}
	c->fn = fn;
	c->ptr = ptr;
	c->next = a->cleanups;
	a->cleanups = c;
	return 0;
}

static void run_cleanups(struct arena *a)
{
	struct arena_cleanup *c = a->cleanups;

	a->cleanups = NULL;
	for (; c != NULL; c = c->next)
		c->fn(c->ptr);
}

void arena_reset(struct arena *a)
{
	struct arena_chunk *c, *next, *keep = NULL;

	run_cleanups(a);
	/* Keep the oldest default-sized chunk (big ones may sit behind it in
	 * the list); free every other chunk. */
	for (c = a->head; c != NULL; c = c->next)
		if (c->size == a->chunk_size)
			keep = c;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		if (c != keep)
			free(c);
	}
	a->head = keep;
	if (keep != NULL) {
		keep->next = NULL;
		keep->used = 0;
	}
	a->total = 0;
	a->fail_after = -1;
}

void arena_free(struct arena *a)
{
	arena_reset(a);
	free(a->head);
	a->head = NULL;
}

void arena_fail_after(struct arena *a, long n)
{
	a->fail_after = n;
}
