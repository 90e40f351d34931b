/* SPDX-License-Identifier: MIT */
/* hv_util.h - helpers for the hypervisor suites (test_hv*.c, test_threads_hv.c). Header-only,
 * static inline; builds on test_util.h (read-only).
 *
 *   hvu_host_cfg()/hvu_host():     a host config / host (asserts success)
 *   hvu_guest_cfg()/hvu_guest():   a guest config / guest + one process in it
 *   hvu_gs()/hvu_hs():             guest / host statistics (asserting the call succeeds)
 *   hvu_steps(), hvu_scan_all():   drive the host by hand (UMM_HV_NO_WORKERS)
 *   word patterns:  one 64-bit word per page keyed by ADDRESS and generation (unique content)
 *   index patterns: a whole page keyed by an INDEX and generation only (identical wherever the
 *                   same index is written: what page sharing can merge)
 *
 * Rule: hosts and guests are created INSIDE test bodies (cmocka swaps SIGSEGV handlers). */
#ifndef UMM_HV_UTIL_H
#define UMM_HV_UTIL_H

#include "test_util.h"

#include "umm_hv.h"

#include <time.h>

#define HVU_PG ((size_t)4096)

/* Memory compression (a tier before host swapping) is newer than the rest of the API: tests
 * that are about host SWAPPING turn it off when the library has it. */
#ifdef UMM_HV_NO_COMPRESSION
#define HVU_NO_COMPRESSION UMM_HV_NO_COMPRESSION
#define HVU_COMPRESSED(s) ((s).compressed)
#else
#define HVU_NO_COMPRESSION 0u
#define HVU_COMPRESSED(s) ((uint64_t)0)
#endif
#define HVU_MIB TU_MIB
#define HVU_PAGES(mib) ((size_t)(mib) * HVU_MIB / HVU_PG)

static inline umm_hv_host_config_t hvu_host_cfg(size_t ram_mib, size_t swap_mib, unsigned flags) {
    umm_hv_host_config_t c = UMM_HV_HOST_CONFIG_INIT;
    c.ram_bytes = ram_mib * HVU_MIB;
    c.page_size = HVU_PG;
    c.swap_bytes = swap_mib * HVU_MIB;
    c.flags = flags;
    return c;
}

static inline umm_hv_host_t *hvu_host(size_t ram_mib, size_t swap_mib, unsigned flags) {
    umm_hv_host_config_t c = hvu_host_cfg(ram_mib, swap_mib, flags);
    umm_hv_host_t *h = NULL;
    assert_int_equal(umm_hv_host_create(&c, &h), UMM_OK);
    assert_non_null(h);
    return h;
}

static inline umm_hv_guest_config_t hvu_guest_cfg(size_t ram_mib, size_t pagefile_mib,
                                                  unsigned sys_flags, unsigned hv_flags) {
    umm_hv_guest_config_t g;
    memset(&g, 0, sizeof g);
    umm_config_t s = UMM_CONFIG_INIT;
    s.ram_bytes = ram_mib * HVU_MIB;
    s.page_size = HVU_PG;
    s.pagefile_bytes = pagefile_mib * HVU_MIB;
    s.flags = sys_flags;
    g.sys = s;
    g.flags = hv_flags;
    return g;
}

/* Create a guest from cfg and one process in it (proc may be NULL). */
static inline umm_hv_guest_t *hvu_guest_from(umm_hv_host_t *h, const umm_hv_guest_config_t *cfg,
                                             umm_process_t **proc) {
    umm_hv_guest_t *g = NULL;
    assert_int_equal(umm_hv_guest_create(h, cfg, &g), UMM_OK);
    assert_non_null(g);
    assert_non_null(umm_hv_guest_system(g));
    if (proc) {
        *proc = NULL;
        assert_int_equal(umm_process_create(umm_hv_guest_system(g), proc), UMM_OK);
        assert_non_null(*proc);
    }
    return g;
}

static inline umm_hv_guest_t *hvu_guest(umm_hv_host_t *h, size_t ram_mib, size_t pagefile_mib,
                                        unsigned sys_flags, unsigned hv_flags,
                                        umm_process_t **proc) {
    umm_hv_guest_config_t c = hvu_guest_cfg(ram_mib, pagefile_mib, sys_flags, hv_flags);
    return hvu_guest_from(h, &c, proc);
}

static inline umm_hv_guest_stats_t hvu_gs(umm_hv_guest_t *g) {
    umm_hv_guest_stats_t s;
    memset(&s, 0xA5, sizeof s);
    assert_int_equal(umm_hv_guest_stats(g, &s), UMM_OK);
    return s;
}

static inline umm_hv_host_stats_t hvu_hs(umm_hv_host_t *h) {
    umm_hv_host_stats_t s;
    memset(&s, 0xA5, sizeof s);
    assert_int_equal(umm_hv_host_stats(h, &s), UMM_OK);
    return s;
}

/* Host-wide invariants visible from outside. */
static inline void hvu_host_consistent(umm_hv_host_t *h) {
    umm_hv_host_stats_t s = hvu_hs(h);
    assert_true(s.free_frames <= s.host_frames);
    assert_true(s.swap_used <= s.swap_slots);
    assert_true((unsigned)s.state <= UMM_HV_STATE_LOW);
}

/* The guest system's lists, charge and deep check (tu_assert_consistent's checks; commit_peak
 * is also asserted on its own in test_hv_balloon.c: test_balloon_commit_peak). */
static inline void hvu_sys_consistent(umm_system_t *sys) {
    umm_stats_t s = tu_stats(sys);
    uint64_t sum = s.zeroed + s.free + s.standby + s.modified + s.modified_nowrite + s.bad + s.active;
    assert_int_equal(sum, s.total_frames);
    assert_int_equal(s.available, s.zeroed + s.free + s.standby);
    assert_true(s.committed <= s.commit_limit);
    assert_true(s.commit_peak >= s.committed);
    assert_true(s.working_set <= s.active);
    assert_int_equal(umm_check(sys), UMM_OK);
}

/* Guest-side invariants: the guest system's own deep check plus the p2m counters adding up. */
static inline void hvu_guest_consistent(umm_hv_guest_t *g) {
    hvu_sys_consistent(umm_hv_guest_system(g));
    umm_hv_guest_stats_t s = hvu_gs(g);
    assert_int_equal(s.granted, s.private_frames + s.shared);
    assert_true(s.shared_zero <= s.shared);
    assert_true(s.granted + s.host_swapped + HVU_COMPRESSED(s) + s.balloon_actual <= s.guest_frames);
    assert_true(s.balloon_actual <= s.guest_frames);
    assert_true(s.consumed <= s.granted);
}

static inline void hvu_steps(umm_hv_host_t *h, int n) {
    for (int i = 0; i < n; i++)
        assert_int_equal(umm_hv_host_step(h), UMM_OK);
}

/* `passes` scans over `frames` guest frames each; returns the total merged. */
static inline uint64_t hvu_scan_all(umm_hv_host_t *h, size_t frames, int passes) {
    uint64_t total = 0;
    for (int p = 0; p < passes; p++) {
        uint64_t m = 0;
        assert_int_equal(umm_hv_share_scan(h, frames, &m), UMM_OK);
        total += m;
    }
    return total;
}

static inline void *hvu_alloc(umm_process_t *proc, size_t npages) {
    return tu_alloc(proc, npages * HVU_PG);
}

static inline unsigned char *hvu_pg(void *base, size_t i) {
    return (unsigned char *)base + i * HVU_PG;
}

/* ---- one word per page, keyed by address and generation -------------------------------- */

static inline uint64_t hvu_word(const void *addr, uint64_t gen) {
    return tu_mix((uint64_t)(uintptr_t)addr ^ (gen * 0x9e3779b97f4a7c15ULL)) | 1;
}

/* Word offset used in page i (spread over the page so clusters of pages differ in place). */
static inline size_t hvu_woff(size_t i) { return (i * 37) % (HVU_PG / 8); }

static inline void hvu_mark(void *base, size_t i, uint64_t gen) {
    volatile uint64_t *w = (volatile uint64_t *)hvu_pg(base, i) + hvu_woff(i);
    *w = hvu_word((const void *)w, gen);
}

static inline int hvu_marked(const void *base, size_t i, uint64_t gen) {
    const volatile uint64_t *w = (const volatile uint64_t *)hvu_pg((void *)(uintptr_t)base, i) + hvu_woff(i);
    return *w == hvu_word((const void *)w, gen);
}

static inline void hvu_mark_range(void *base, size_t npages, uint64_t gen) {
    for (size_t i = 0; i < npages; i++)
        hvu_mark(base, i, gen);
}

/* First page of [0, npages) whose word is wrong, or (size_t)-1. */
static inline size_t hvu_check_range(const void *base, size_t npages, uint64_t gen) {
    for (size_t i = 0; i < npages; i++)
        if (!hvu_marked(base, i, gen))
            return i;
    return (size_t)-1;
}

#define hvu_assert_range(base, npages, gen)                                                     \
    do {                                                                                        \
        size_t hvu_bad_ = hvu_check_range((base), (npages), (gen));                             \
        if (hvu_bad_ != (size_t)-1)                                                             \
            fail_msg("word pattern mismatch: page %zu of %p (gen %" PRIu64 ")", hvu_bad_,       \
                     (void *)(base), (uint64_t)(gen));                                          \
    } while (0)

/* ---- whole pages keyed by an index (shareable content) ----------------------------------- */

static inline uint64_t hvu_iword(uint64_t key, size_t w) {
    return tu_mix(key * 0x100000001b3ULL + w + 0x51ed) | 1;
}

static inline void hvu_ifill(void *page, uint64_t key) {
    volatile uint64_t *w = page;
    for (size_t k = 0; k < HVU_PG / 8; k++)
        w[k] = hvu_iword(key, k);
}

static inline int hvu_ichecks(const void *page, uint64_t key) {
    const volatile uint64_t *w = page;
    for (size_t k = 0; k < HVU_PG / 8; k++)
        if (w[k] != hvu_iword(key, k))
            return 0;
    return 1;
}

#define hvu_assert_ipage(page, key)                                                             \
    do {                                                                                        \
        if (!hvu_ichecks((page), (key)))                                                        \
            fail_msg("index pattern mismatch at %p (key %" PRIu64 ")", (void *)(page),          \
                     (uint64_t)(key));                                                          \
    } while (0)

static inline double hvu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif /* UMM_HV_UTIL_H */
