/* SPDX-License-Identifier: MIT */
/* test_paging_large.c - 4 GiB committed with 64 MiB of RAM: one word in each of ~150k random
 * pages spread over the whole range, written and read back in another random order. Data must be
 * intact, and the kernel mappings inside the reservation (/proc/self/maps) and umm's VMA estimate
 * must stay below the configured budget all along. Kept under ~30 s: not every page is written. */
#include "paging_util.h"

#define PG PU_PG
#define GIB ((size_t)1 << 30)

static const unsigned budget = 4096;

/* The word of page i: at an offset derived from i, keyed by its address. The next word must
 * stay zero (the rest of the page was never written). */
static uint64_t *word_of(char *base, size_t i) {
    size_t off = (size_t)(tu_mix(i) % (PG / 8 - 1));
    return (uint64_t *)(base + i * PG) + off;
}

static void sample_vmas(umm_system_t *sys, char *base, size_t bytes, int *max_maps,
                        uint64_t *max_est, size_t done) {
    int maps = tu_count_maps((uintptr_t)base, (uintptr_t)base + bytes);
    umm_stats_t s = tu_stats(sys);
    assert_true(maps > 0);
    if (maps > *max_maps)
        *max_maps = maps;
    if (s.vma_count > *max_est)
        *max_est = s.vma_count;
    if ((unsigned)maps >= budget || s.vma_count >= budget)
        fail_msg("after %zu touches: %d mappings in the reservation, estimate %" PRIu64
                 ", budget %u", done, maps, s.vma_count, budget);
}

static void test_random_4gib(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    const size_t bytes = 4 * GIB;
    /* buffered: this test is about the VMA budget; 150,000 random O_DIRECT reads and writes
       would make it a disk benchmark minutes long */
    umm_config_t c = pu_config(64 * TU_MIB, 4 * GIB + 64 * TU_MIB, 5 * GIB,
                               UMM_CFG_NO_WORKERS | UMM_CFG_PAGEFILE_BUFFERED);
    c.vma_budget = budget;
    tu_sys_new_cfg(&c, &sys, &proc);
    char *r = tu_reserve(proc, bytes, TU_RW);
    assert_int_equal(umm_commit(proc, r, bytes, TU_RW), UMM_OK);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.committed, bytes / PG);
    assert_true(s.committed <= s.commit_limit);
    assert_true(s.pagefile_grows >= 1); /* 4 GiB passes 90 % of the initial limit */

    const size_t npages = bytes / PG, ntouch = 150000;
    size_t *ord = pu_order(npages, 0xA11CE);
    size_t *pick = malloc(ntouch * sizeof *pick);
    assert_non_null(pick);
    memcpy(pick, ord, ntouch * sizeof *pick);
    free(ord);

    int max_maps = 0;
    uint64_t max_est = 0;
    uint64_t t0 = pu_now_ms();
    for (size_t k = 0; k < ntouch; k++) {
        uint64_t *w = word_of(r, pick[k]);
        *w = pu_word_value(w, 1);
        if (k % 10000 == 9999)
            sample_vmas(sys, r, bytes, &max_maps, &max_est, k + 1);
    }
    uint64_t t1 = pu_now_ms();
    s = tu_stats(sys);
    assert_true(s.pages_output > 0);
    assert_true(s.pagefile_used > 0);
    assert_int_equal(umm_check(sys), UMM_OK);

    pu_shuffle(pick, ntouch, 0xB0B);
    for (size_t k = 0; k < ntouch; k++) {
        uint64_t *w = word_of(r, pick[k]);
        if (*w != pu_word_value(w, 1))
            fail_msg("page %zu (%p): %016" PRIx64 " read back", pick[k], (void *)w, *w);
        if (w[1] != 0)
            fail_msg("page %zu: the word after the mark is %016" PRIx64, pick[k], w[1]);
        if (k % 10000 == 9999)
            sample_vmas(sys, r, bytes, &max_maps, &max_est, ntouch + k + 1);
    }
    uint64_t t2 = pu_now_ms();
    s = tu_stats(sys);
    assert_true(s.faults_hard > 0);
    assert_true(s.page_reads <= s.pages_input);
    print_message("      write %" PRIu64 " ms, read %" PRIu64 " ms; max mappings %d, max estimate %"
                  PRIu64 ", coalesce runs %" PRIu64 ", pages out %" PRIu64 " in %" PRIu64
                  ", hard faults %" PRIu64 "\n",
                  t1 - t0, t2 - t1, max_maps, max_est, s.vma_coalesce_runs, s.pages_output,
                  s.pagefile_peak, s.faults_hard);
    tu_assert_consistent(sys);

    assert_int_equal(umm_release(proc, r), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(s.committed, 0);
    assert_int_equal(s.pagefile_used, 0);
    assert_int_equal(s.working_set, 0);
    tu_assert_consistent(sys);
    free(pick);
    umm_system_destroy(sys);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_4gib),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
