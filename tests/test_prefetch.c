/* SPDX-License-Identifier: MIT */
/* test_prefetch.c - umm_prefetch (PrefetchVirtualMemory): several ranges of paged-out pages read
 * ahead, asynchronously by the workers or at once without them; later touches take no hard
 * fault and see the data; pages outside the ranges stay on disk; bad ranges queue nothing. */
#include "paging_util.h"

#include <stdbool.h>

#define PG PU_PG
#define NPAGES 4096 /* 16 MiB: twice the RAM */

static bool all_resident(umm_process_t *proc, unsigned char *base, size_t a, size_t b)
{
    umm_page_info_t q;
    for (size_t i = a; i < b; i++) {
        q = (umm_page_info_t){.address = base + i * PG};
        assert_int_equal(umm_query_pages(proc, &q, 1), UMM_OK);
        if (!q.resident)
            return false;
    }
    return true;
}

static void run(unsigned flags)
{
    umm_config_t c = pu_config(8 * TU_MIB, 48 * TU_MIB, 0, flags);
    c.balance_interval_ms = 60000; /* the workers must not trim meanwhile: only prefetch */
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&c, &sys, &proc);
    unsigned char *base = tu_alloc(proc, NPAGES * PG);
    for (size_t i = 0; i < NPAGES; i++)
        tu_fill(pu_at(base, i), PG, 5 + i);
    pu_page_out(sys, proc);
    assert_false(all_resident(proc, base, 0, 1));
    /* two ranges, unaligned, 1 MiB + 2 MiB */
    umm_range_t r[2] = {{base + 100, 256 * PG - 200}, {base + 1024 * PG, 512 * PG}};
    assert_int_equal(umm_prefetch(proc, r, 2), UMM_OK);
    uint64_t t0 = pu_now_ms();
    while (!(all_resident(proc, base, 0, 256) && all_resident(proc, base, 1024, 1536))) {
        assert_true(pu_now_ms() - t0 < 60000);
        pu_sleep_ms(5);
    }
    print_message("  %s: resident after %" PRIu64 " ms\n", flags ? "no workers" : "workers",
                  pu_now_ms() - t0);
    assert_false(all_resident(proc, base, 600, 601)); /* outside: still on disk */
    uint64_t hard = tu_pstats(proc).faults_hard;
    pu_rng_t rng = {flags + 1};
    for (size_t k = 0; k < 768; k++) {
        size_t i = pu_next(&rng) % 768;
        i = i < 256 ? i : 1024 + (i - 256);
        tu_assert_pattern(pu_at(base, i), PG, 5 + i);
    }
    assert_int_equal(tu_pstats(proc).faults_hard, hard); /* soft faults only */
    for (size_t i = 0; i < NPAGES; i += 7)
        tu_assert_pattern(pu_at(base, i), PG, 5 + i);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

static void test_prefetch_async(void **state)
{
    (void)state;
    run(0);
}

static void test_prefetch_without_workers(void **state)
{
    (void)state;
    run(UMM_CFG_NO_WORKERS);
}

static void test_prefetch_bad_ranges(void **state)
{
    (void)state;
    umm_config_t c = pu_config(8 * TU_MIB, 16 * TU_MIB, 0, UMM_CFG_NO_WORKERS);
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&c, &sys, &proc);
    unsigned char *base = tu_alloc(proc, 64 * PG), plain[16];
    umm_range_t ok = {base, PG}, out = {plain, sizeof plain}, past = {base, 1000 * PG}, empty = {base, 0};
    umm_range_t two[2] = {ok, out};
    assert_int_equal(umm_prefetch(proc, two, 2), UMM_E_NOT_RESERVED);
    assert_int_equal(umm_prefetch(proc, &past, 1), UMM_E_RANGE);
    assert_int_equal(umm_prefetch(proc, &empty, 1), UMM_E_RANGE);
    assert_int_equal(umm_prefetch(proc, NULL, 1), UMM_E_INVAL);
    assert_int_equal(umm_prefetch(proc, NULL, 0), UMM_OK);
    assert_int_equal(umm_prefetch(NULL, &ok, 1), UMM_E_INVAL);
    /* not paged out, not committed: skipped, not an error */
    assert_int_equal(umm_decommit(proc, base + 32 * PG, 32 * PG), UMM_OK);
    umm_range_t all = {base, 64 * PG};
    assert_int_equal(umm_prefetch(proc, &all, 1), UMM_OK);
    assert_int_equal(tu_pstats(proc).faults_hard, 0);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefetch_async),
        cmocka_unit_test(test_prefetch_without_workers),
        cmocka_unit_test(test_prefetch_bad_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
