/* SPDX-License-Identifier: MIT */
/* test_vma.c - the kernel-mapping (VMA) budget under random use. A reservation much larger than
 * RAM is committed, decommitted, written and trimmed at random; the number of /proc/self/maps lines
 * inside the reservation and umm's own vma_count estimate must stay within cfg.vma_budget, and every
 * page must keep exactly what was last written to it (or zero). */
#include "test_util.h"

#define PG ((size_t)4096)

static uint64_t rng_state;
static uint64_t rnd(void) {
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static int max_maps; /* most mappings seen inside the reservation by check_budget */

static void check_budget(umm_system_t *sys, char *res, size_t res_bytes, unsigned budget, int iter) {
    int maps = tu_count_maps((uintptr_t)res, (uintptr_t)res + res_bytes);
    if (maps > max_maps)
        max_maps = maps;
    assert_true(maps >= 1);
    if (maps > (int)budget)
        fail_msg("iteration %d: %d kernel mappings inside the reservation, budget %u", iter, maps, budget);
    umm_stats_t s = tu_stats(sys);
    if (s.vma_count > budget)
        fail_msg("iteration %d: stats.vma_count %" PRIu64 " > budget %u", iter, s.vma_count, budget);
    assert_int_equal(s.vma_budget, budget);
}

/* Random 64 KiB commits/decommits and page writes over 64 MiB (8x RAM), cluster 16, budget 256:
 * the kernel mapping count stays within budget, commit-limit failures change nothing, all data
 * survives trims and empties. */
static void test_vma_budget_random_chunks(void **state) {
    (void)state;
    enum { CHUNK_PAGES = 16, NCHUNK = 1024, ITERS = 4000 };
    const size_t res_bytes = (size_t)NCHUNK * TU_GRAN; /* 64 MiB */
    umm_config_t c = tu_config(8 * TU_MIB, 16);
    c.vma_budget = 256;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&c, &sys, &proc);
    tu_exc_install(sys);
    char *res = tu_reserve(proc, res_bytes, TU_RW);
    rng_state = 0x9E3779B97F4A7C15ULL;
    max_maps = 0;

    static unsigned char committed[NCHUNK];
    static uint32_t gen[NCHUNK * CHUNK_PAGES];
    static int list[NCHUNK]; /* committed chunk indices */
    memset(committed, 0, sizeof committed);
    memset(gen, 0, sizeof gen);
    int nlist = 0;
    uint32_t next_gen = 1;
    int limit_hits = 0, writes = 0;

    for (int it = 0; it < ITERS; it++) {
        uint64_t op = rnd() % 10;
        if (op < 3 || nlist == 0) {
            int ch = (int)(rnd() % NCHUNK);
            int rc = umm_commit(proc, res + (size_t)ch * TU_GRAN, TU_GRAN, TU_RW);
            if (rc == UMM_E_COMMIT_LIMIT) {
                limit_hits++;
                assert_int_equal(committed[ch], 0);
                umm_region_info_t qi;
                assert_int_equal(umm_query(proc, res + (size_t)ch * TU_GRAN, &qi), UMM_OK);
                assert_int_equal(qi.state, UMM_REGION_RESERVED);
                assert_int_equal(tu_stats(sys).committed, (uint64_t)nlist * CHUNK_PAGES);
                for (int k = 0; k < 8 && nlist > 0; k++) {
                    int li = (int)(rnd() % (uint64_t)nlist);
                    int dc = list[li];
                    assert_int_equal(umm_decommit(proc, res + (size_t)dc * TU_GRAN, TU_GRAN), UMM_OK);
                    committed[dc] = 0;
                    memset(&gen[dc * CHUNK_PAGES], 0, CHUNK_PAGES * sizeof gen[0]);
                    list[li] = list[--nlist];
                }
            } else {
                assert_int_equal(rc, UMM_OK);
                if (!committed[ch]) {
                    committed[ch] = 1;
                    list[nlist++] = ch;
                }
            }
        } else {
            int ch = list[rnd() % (uint64_t)nlist];
            int pg = (int)(rnd() % CHUNK_PAGES);
            size_t idx = (size_t)ch * CHUNK_PAGES + (size_t)pg;
            char *p = res + idx * PG;
            tu_assert_pattern(p, PG, gen[idx]);
            gen[idx] = next_gen++;
            tu_fill(p, PG, gen[idx]);
            writes++;
        }
        if (it % 50 == 49)
            assert_int_equal(umm_ws_trim(proc, 64), UMM_OK);
        if (it % 700 == 699)
            assert_int_equal(umm_ws_empty(proc), UMM_OK);
        if (it % 100 == 0)
            check_budget(sys, res, res_bytes, c.vma_budget, it);
        if (it % 500 == 0)
            tu_assert_consistent(sys);
    }
    assert_true(limit_hits > 0); /* the loop did exercise the commit limit */
    assert_true(max_maps > (int)c.vma_budget / 4); /* and got near the mapping budget */
    assert_true(writes > 1000);
    assert_int_equal(tu_stats(sys).committed, (uint64_t)nlist * CHUNK_PAGES);
    assert_int_equal(tu_pstats(proc).committed, (uint64_t)nlist * CHUNK_PAGES);

    /* verify everything: every committed page holds its last pattern or zero */
    for (int li = 0; li < nlist; li++) {
        int ch = list[li];
        for (int pg = 0; pg < CHUNK_PAGES; pg++) {
            size_t idx = (size_t)ch * CHUNK_PAGES + (size_t)pg;
            tu_assert_pattern(res + idx * PG, PG, gen[idx]);
        }
        if (li % 16 == 0)
            check_budget(sys, res, res_bytes, c.vma_budget, ITERS + li);
    }
    check_budget(sys, res, res_bytes, c.vma_budget, ITERS + nlist);
    {
        umm_stats_t st = tu_stats(sys);
        print_message("random chunks: %d limit hits, %d writes, max %d mappings, vma_count %" PRIu64
                      ", coalesce runs %" PRIu64 "\n", limit_hits, writes, max_maps, st.vma_count,
                      st.vma_coalesce_runs);
    }
    /* uncommitted chunks are still access violations */
    for (int ch = 0; ch < NCHUNK; ch += 97)
        if (!committed[ch])
            assert_int_equal(tu_try_read(res + (size_t)ch * TU_GRAN, NULL), UMM_EXC_ACCESS_VIOLATION);
    tu_assert_consistent(sys);
    assert_int_equal(umm_release(proc, res), UMM_OK);
    assert_int_equal(tu_count_maps((uintptr_t)res, (uintptr_t)res + res_bytes) <= 1, 1);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* Worst case for mappings: cluster 1 and isolated single committed pages scattered over 64 MiB, all
 * written and then read back in random order; budget 128 must hold and every page keeps its data. */
static void test_vma_budget_scattered_pages(void **state) {
    (void)state;
    enum { NPAGES = 600 };
    const size_t res_bytes = 64 * TU_MIB;
    const size_t slots = res_bytes / PG;
    umm_config_t c = tu_config(4 * TU_MIB, 1);
    c.vma_budget = 128;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&c, &sys, &proc);
    char *res = tu_reserve(proc, res_bytes, TU_RW);
    rng_state = 0xD1B54A32D192ED03ULL;
    max_maps = 0;

    static size_t pages[NPAGES];
    for (int i = 0; i < NPAGES; i++) {
        /* odd slots only: no two committed pages are neighbours */
        size_t slot;
        int dup;
        do {
            slot = (rnd() % (slots / 2)) * 2 + 1;
            dup = 0;
            for (int j = 0; j < i; j++)
                dup |= pages[j] == slot;
        } while (dup);
        pages[i] = slot;
        assert_int_equal(umm_commit(proc, res + slot * PG, PG, TU_RW), UMM_OK);
    }
    assert_int_equal(tu_stats(sys).committed, NPAGES);
    for (int i = 0; i < NPAGES; i++) {
        tu_fill(res + pages[i] * PG, PG, (uint64_t)i + 1);
        if (i % 50 == 0)
            check_budget(sys, res, res_bytes, c.vma_budget, i);
    }
    check_budget(sys, res, res_bytes, c.vma_budget, NPAGES);
    for (int k = 0; k < 2 * NPAGES; k++) {
        int i = (int)(rnd() % NPAGES);
        tu_assert_pattern(res + pages[i] * PG, PG, (uint64_t)i + 1);
        if (k % 100 == 0)
            check_budget(sys, res, res_bytes, c.vma_budget, NPAGES + k);
    }
    for (int i = 0; i < NPAGES; i++)
        tu_assert_pattern(res + pages[i] * PG, PG, (uint64_t)i + 1);
    check_budget(sys, res, res_bytes, c.vma_budget, 3 * NPAGES);
    umm_stats_t st = tu_stats(sys);
    print_message("scattered pages: max %d mappings, vma_count %" PRIu64 ", coalesce runs %" PRIu64
                  ", trimmed %" PRIu64 "\n", max_maps, st.vma_count, st.vma_coalesce_runs, st.pages_trimmed);
    /* 600 isolated valid pages would need ~1200 mappings: the budget must have made umm coalesce */
    assert_true(st.vma_coalesce_runs > 0);
    assert_true(st.pages_trimmed > 0);
    assert_true(max_maps > (int)c.vma_budget / 4); /* the test did get near the budget */
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vma_budget_random_chunks),
        cmocka_unit_test(test_vma_budget_scattered_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
