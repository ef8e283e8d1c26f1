/*
 * test_arena.c -- unit tests of the per-request arena (lib/arena.c):
 * alignment, copies, overflow checks, large allocations, the byte limit,
 * fault injection with arena_fail_after(), cleanup handlers (run once, in
 * reverse order) and reset/free. Leaks show up under LeakSanitizer, which
 * fails the forked test.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "suites.h"

static struct arena A;

static void setup(void)
{
	arena_init(&A, 1024);
}

static void teardown(void)
{
	arena_free(&A);
}

START_TEST(alloc_is_aligned_and_distinct)
{
	char *p = arena_alloc(&A, 1);
	char *q = arena_alloc(&A, 3);
	long double *ld = arena_alloc(&A, sizeof(long double));

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(q);
	ck_assert_ptr_nonnull(ld);
	ck_assert_uint_eq((uintptr_t)p % 16, 0);
	ck_assert_uint_eq((uintptr_t)q % 16, 0);
	ck_assert_uint_eq((uintptr_t)ld % 16, 0);
	ck_assert_ptr_ne(p, q);
	*ld = 1.5L;
	ck_assert(*ld == 1.5L);
}
END_TEST

START_TEST(alloc_zero_bytes_gives_unique_memory)
{
	void *p = arena_alloc(&A, 0);
	void *q = arena_alloc(&A, 0);

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(q);
	ck_assert_ptr_ne(p, q);
}
END_TEST

/* Fill many small blocks spread over several chunks, then verify none
 * was overwritten by a later one. */
START_TEST(many_blocks_do_not_overlap)
{
	unsigned char *blocks[500];
	size_t i, k;

	for (i = 0; i < NELEM(blocks); i++) {
		blocks[i] = arena_alloc(&A, 100);
		ck_assert_ptr_nonnull(blocks[i]);
		memset(blocks[i], (int)(i & 0xff), 100);
	}
	for (i = 0; i < NELEM(blocks); i++)
		for (k = 0; k < 100; k++)
			ck_assert_uint_eq(blocks[i][k], i & 0xff);
}
END_TEST

START_TEST(total_counts_rounded_bytes)
{
	ck_assert_uint_eq(A.total, 0);
	arena_alloc(&A, 1);
	ck_assert_uint_eq(A.total, 16);
	arena_alloc(&A, 17);
	ck_assert_uint_eq(A.total, 48);
}
END_TEST

START_TEST(large_allocation_is_usable_in_full)
{
	size_t n = 1024 * 1024 + 3;
	unsigned char *small = arena_alloc(&A, 32);
	unsigned char *big = arena_alloc(&A, n);
	unsigned char *after = arena_alloc(&A, 32);

	ck_assert_ptr_nonnull(small);
	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_nonnull(after);
	memset(small, 0x11, 32);
	memset(after, 0x22, 32);
	memset(big, 0xab, n);
	ck_assert_uint_eq(big[0], 0xab);
	ck_assert_uint_eq(big[n - 1], 0xab);
	ck_assert_uint_eq(small[31], 0x11);
	ck_assert_uint_eq(after[0], 0x22);
}
END_TEST

START_TEST(first_allocation_larger_than_chunk)
{
	char *big = arena_alloc(&A, 5000);

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 5000);
	arena_reset(&A);
	big = arena_alloc(&A, 10);
	ck_assert_ptr_nonnull(big);
	memset(big, 'y', 10);
}
END_TEST

/* Sizes whose rounding or chunk header would overflow are refused before
 * malloc is asked. */
START_TEST(impossible_sizes_fail)
{
	ck_assert_ptr_null(arena_alloc(&A, SIZE_MAX));
	ck_assert_ptr_null(arena_alloc(&A, SIZE_MAX - 8));
	ck_assert_ptr_null(arena_alloc(&A, SIZE_MAX - 16));
	ck_assert_ptr_null(arena_calloc(&A, SIZE_MAX / 2, 3));
	ck_assert_ptr_null(arena_calloc(&A, 3, SIZE_MAX / 2));
	ck_assert_ptr_nonnull(arena_alloc(&A, 8));
}
END_TEST

START_TEST(calloc_zeroes_reused_memory)
{
	unsigned char *p = arena_alloc(&A, 64);
	size_t i;

	memset(p, 0xff, 64);
	arena_reset(&A);
	p = arena_calloc(&A, 8, 8);
	ck_assert_ptr_nonnull(p);
	for (i = 0; i < 64; i++)
		ck_assert_uint_eq(p[i], 0);
}
END_TEST

START_TEST(string_copies)
{
	const char src[] = "scholarship";
	char *d = arena_strdup(&A, src);
	char *n = arena_strndup(&A, src, 6);
	char *whole = arena_strndup(&A, "ab", 100);

	ck_assert_str_eq(d, "scholarship");
	ck_assert_ptr_ne(d, src);
	ck_assert_str_eq(n, "schola");
	ck_assert_str_eq(whole, "ab");
	ck_assert_str_eq(arena_strdup(&A, ""), "");
}
END_TEST

START_TEST(printf_formats_into_arena)
{
	char big[3000];
	char *s = arena_printf(&A, "%s-%d-%05.1f", "id", 42, 3.14159);

	ck_assert_str_eq(s, "id-42-003.1");
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	s = arena_printf(&A, "<%s>", big);
	ck_assert_uint_eq(strlen(s), sizeof(big) + 1);
	ck_assert_int_eq(s[0], '<');
	ck_assert_int_eq(s[sizeof(big)], '>');
}
END_TEST

START_TEST(limit_refuses_beyond_budget)
{
	A.limit = 1024;
	ck_assert_ptr_nonnull(arena_alloc(&A, 512));
	ck_assert_ptr_null(arena_alloc(&A, 600));
	ck_assert_ptr_nonnull(arena_alloc(&A, 512));
	ck_assert_ptr_null(arena_alloc(&A, 1));
}
END_TEST

START_TEST(fail_after_zero_fails_next_only)
{
	arena_fail_after(&A, 0);
	ck_assert_ptr_null(arena_alloc(&A, 8));
	ck_assert_ptr_nonnull(arena_alloc(&A, 8));
}
END_TEST

START_TEST(fail_after_n_counts_allocations)
{
	arena_fail_after(&A, 2);
	ck_assert_ptr_nonnull(arena_alloc(&A, 8));
	ck_assert_ptr_nonnull(arena_strdup(&A, "x"));
	ck_assert_ptr_null(arena_printf(&A, "%d", 3));
	ck_assert_ptr_nonnull(arena_printf(&A, "%d", 3));
}
END_TEST

START_TEST(fail_after_reaches_every_allocator)
{
	arena_fail_after(&A, 0);
	ck_assert_ptr_null(arena_calloc(&A, 2, 2));
	arena_fail_after(&A, 0);
	ck_assert_ptr_null(arena_strdup(&A, "abc"));
	arena_fail_after(&A, 0);
	ck_assert_ptr_null(arena_strndup(&A, "abc", 2));
}
END_TEST

static int order[8];
static int norder;

static void record(void *p)
{
	order[norder++] = *(int *)p;
}

START_TEST(cleanups_run_once_in_reverse_order)
{
	static int one = 1, two = 2, three = 3;

	norder = 0;
	ck_assert_int_eq(arena_cleanup(&A, record, &one), 0);
	ck_assert_int_eq(arena_cleanup(&A, record, &two), 0);
	ck_assert_int_eq(arena_cleanup(&A, record, &three), 0);
	ck_assert_int_eq(norder, 0);
	arena_reset(&A);
	ck_assert_int_eq(norder, 3);
	ck_assert_int_eq(order[0], 3);
	ck_assert_int_eq(order[1], 2);
	ck_assert_int_eq(order[2], 1);
	arena_reset(&A);
	arena_free(&A);
	ck_assert_int_eq(norder, 3);
}
END_TEST

START_TEST(free_runs_cleanups)
{
	static int seven = 7;

	norder = 0;
	arena_cleanup(&A, record, &seven);
	arena_free(&A);
	ck_assert_int_eq(norder, 1);
	ck_assert_int_eq(order[0], 7);
}
END_TEST

static void free_heap(void *p)
{
	free(p);
}

/* A failed registration must release the object at once, or it leaks
 * (LeakSanitizer fails this test if it does). */
START_TEST(failed_cleanup_registration_runs_handler)
{
	static int five = 5;

	norder = 0;
	arena_fail_after(&A, 0);
	ck_assert_int_eq(arena_cleanup(&A, record, &five), -1);
	ck_assert_int_eq(norder, 1);
	ck_assert_int_eq(order[0], 5);
	arena_fail_after(&A, 0);
	ck_assert_int_eq(arena_cleanup(&A, free_heap, malloc(100)), -1);
	arena_reset(&A);
	ck_assert_int_eq(norder, 1);
}
END_TEST

START_TEST(heap_objects_released_at_reset)
{
	int i;

	for (i = 0; i < 100; i++)
		ck_assert_int_eq(arena_cleanup(&A, free_heap, malloc(64)), 0);
	arena_reset(&A);
	ck_assert_ptr_null(A.cleanups);
}
END_TEST

START_TEST(reset_reuses_first_chunk)
{
	char *p = arena_alloc(&A, 64);
	char *q;
	int i;

	for (i = 0; i < 20; i++)
		arena_alloc(&A, 200); /* spans several chunks */
	arena_reset(&A);
	ck_assert_uint_eq(A.total, 0);
	q = arena_alloc(&A, 64);
	ck_assert_ptr_eq(p, q);
}
END_TEST

/* arena.h promises reset "keeps the first chunk"; a large block allocated
 * while the first chunk is the head is linked behind it, becomes the tail,
 * and reset keeps (then frees) that tail instead: the first chunk is
 * freed and a steady worker mallocs it again on every request. */
START_TEST(reset_keeps_first_chunk_after_large_block)
{
	char *p = arena_alloc(&A, 64);
	char *q;

	arena_alloc(&A, 4000);
	arena_reset(&A);
	q = arena_alloc(&A, 64);
	ck_assert_ptr_eq(p, q);
}
END_TEST

START_TEST(reset_disarms_fault_injection)
{
	ck_assert_ptr_nonnull(arena_alloc(&A, 8));
	arena_fail_after(&A, 1);
	arena_reset(&A);
	ck_assert_ptr_nonnull(arena_alloc(&A, 8));
	ck_assert_ptr_nonnull(arena_alloc(&A, 8));
}
END_TEST

START_TEST(default_chunk_size)
{
	struct arena a;

	arena_init(&a, 0);
	ck_assert_uint_eq(a.chunk_size, 16384);
	ck_assert_int_lt(a.fail_after, 0);
	ck_assert_ptr_nonnull(arena_alloc(&a, 10));
	arena_free(&a);
	ck_assert_ptr_null(a.head);
}
END_TEST

Suite *arena_suite(void)
{
	Suite *s = suite_create("arena");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, alloc_is_aligned_and_distinct);
	tcase_add_test(tc, alloc_zero_bytes_gives_unique_memory);
	tcase_add_test(tc, many_blocks_do_not_overlap);
	tcase_add_test(tc, total_counts_rounded_bytes);
	tcase_add_test(tc, large_allocation_is_usable_in_full);
	tcase_add_test(tc, first_allocation_larger_than_chunk);
	tcase_add_test(tc, impossible_sizes_fail);
	tcase_add_test(tc, calloc_zeroes_reused_memory);
	tcase_add_test(tc, string_copies);
	tcase_add_test(tc, printf_formats_into_arena);
	tcase_add_test(tc, limit_refuses_beyond_budget);
	tcase_add_test(tc, fail_after_zero_fails_next_only);
	tcase_add_test(tc, fail_after_n_counts_allocations);
	tcase_add_test(tc, fail_after_reaches_every_allocator);
	tcase_add_test(tc, cleanups_run_once_in_reverse_order);
	tcase_add_test(tc, free_runs_cleanups);
	tcase_add_test(tc, failed_cleanup_registration_runs_handler);
	tcase_add_test(tc, heap_objects_released_at_reset);
	tcase_add_test(tc, reset_reuses_first_chunk);

	tcase_add_test(tc, reset_keeps_first_chunk_after_large_block);
	tcase_add_test(tc, reset_disarms_fault_injection);
	tcase_add_test(tc, default_chunk_size);
	suite_add_tcase(s, tc);
	return s;
}
