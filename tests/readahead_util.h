/* SPDX-License-Identifier: MIT */
/* readahead_util.h - helpers of the read-ahead tests (test_paging_readahead.c,
 * test_threads_readahead.c): an 8x-RAM configuration, one word per page keyed by address and
 * generation with a model of generations, random operations that retry in-page errors (the
 * failure points inject them). */
#ifndef UMM_READAHEAD_UTIL_H
#define UMM_READAHEAD_UTIL_H

#include "paging_util.h"

#include <inttypes.h>
#include <stdbool.h>

#define PG PU_PG
#define RAM_PAGES 512u              /* 2 MiB of RAM ... */
#define DATA_PAGES (8 * RAM_PAGES) /* ... and 8 times that of data */

static inline uint64_t *word_of(char *r, size_t i) {
    return (uint64_t *)(void *)pu_at(r, i);
}

/* Load or store the word of page i, retrying while injected read errors (or a reclaim that a
 * failed write starved) raise in-page errors: the access itself runs under the exception probe,
 * since the workers may page it out again between any two accesses. Any other exception fails. */
static inline uint64_t word_access(char *r, size_t i, bool store, uint64_t v) {
    volatile uint64_t *w = word_of(r, i);
    for (volatile int tries = 0;; tries++) {
        if (sigsetjmp(tu_exc.env, 1) == 0) {
            tu_exc.armed = 1;
            if (store)
                *w = v;
            else
                v = *w;
            tu_exc.armed = 0;
            return v;
        }
        if (tu_exc.last.code != UMM_EXC_IN_PAGE_ERROR || tries > 10000)
            fail_msg("page %zu: exception %d after %d tries", i, (int)tu_exc.last.code, tries);
    }
}

/* n random operations over [0, npages) of r (half writes of generation `gen`), gens[] the model. */
static inline void random_ops(char *r, size_t npages, uint64_t *gens, size_t n, uint64_t seed, uint64_t gen) {
    pu_rng_t s = {seed};
    for (size_t k = 0; k < n; k++) {
        uint64_t x = pu_next(&s);
        size_t i = (size_t)(x % npages);
        uint64_t *w = word_of(r, i);
        if ((x >> 40) & 1) {
            word_access(r, i, true, pu_word_value(w, gen));
            gens[i] = gen;
        } else {
            uint64_t got = word_access(r, i, false, 0);
            if (got != (gens[i] ? pu_word_value(w, gens[i]) : 0))
                fail_msg("page %zu: %016" PRIx64 ", generation %" PRIu64 " expected", i, got, gens[i]);
        }
    }
}

static inline void verify_all(char *r, size_t npages, const uint64_t *gens) {
    for (size_t i = 0; i < npages; i++) {
        uint64_t *w = word_of(r, i), got = word_access(r, i, false, 0);
        if (got != (gens[i] ? pu_word_value(w, gens[i]) : 0))
            fail_msg("page %zu: %016" PRIx64 ", generation %" PRIu64 " expected", i, got, gens[i]);
    }
}

static inline umm_config_t ra_config(unsigned flags) {
    return pu_config(RAM_PAGES * PG, 2 * DATA_PAGES * PG, 0, flags);
}

/* A system of configuration c, 8x RAM of data, three seeds of random reads and writes (op_seed
 * times 1, 2, 3); with `inject`, 5 % of paging-file reads and writes fail (failure points seeded
 * with fp_seed). Nothing written is lost, the system stays consistent, it really paged, errors are
 * counted exactly when injected. Returns the system's final statistics. */
static inline umm_stats_t ra_random_8x_ram(const umm_config_t *c, int inject, uint64_t fp_seed,
                                           uint64_t op_seed) {
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(c, &sys, &proc);
    tu_exc_install(sys);
    char *r = tu_alloc(proc, DATA_PAGES * PG);
    uint64_t *gens = calloc(DATA_PAGES, sizeof *gens);
    assert_non_null(gens);
    if (inject) {
        assert_int_equal(umm_failpoint_seed(fp_seed), UMM_OK);
        assert_int_equal(umm_failpoint_enable("umm/pagefile/read", 0.05, 0), UMM_OK);
        assert_int_equal(umm_failpoint_enable("umm/pagefile/write", 0.05, 0), UMM_OK);
    }
    for (uint64_t seed = 1; seed <= 3; seed++) {
        random_ops(r, DATA_PAGES, gens, 2 * DATA_PAGES, seed * op_seed, seed);
        tu_assert_consistent(sys);
    }
    umm_failpoint_disable("umm/pagefile/*");
    umm_stats_t s = tu_stats(sys);
    assert_true(s.faults_hard > DATA_PAGES && s.pages_output > DATA_PAGES); /* it really paged */
    if (inject)
        assert_true(s.read_errors > 0 && s.writer_errors > 0);
    else
        assert_true(s.read_errors == 0 && s.writer_errors == 0);
    /* a read ahead page is used, wasted, or still waiting on Standby */
    assert_true(s.readahead_hits + s.readahead_wasted <= s.pages_read_ahead);
    verify_all(r, DATA_PAGES, gens);
    tu_assert_consistent(sys);
    assert_int_equal(umm_release(proc, r), UMM_OK);
    free(gens);
    umm_set_exception_handler(sys, NULL, NULL);
    umm_system_destroy(sys);
    return s;
}

#endif
