/* SPDX-License-Identifier: MIT */
/* test_hv_reclaim.c - host reclaim without waste (docs/hv.md): every cheap path the host takes
 * instead of writing a guest frame to its swap file, with every byte verified.
 *
 *   free frames      a guest frame on the guest's Free/Zeroed list is dropped, not written
 *   standby frames   a Standby frame (copy in the guest's paging file) is dropped and read back
 *                    from the guest's paging file by the guest's own hard fault
 *   hand-over        the guest's writer gets a host-swapped page disk to disk (no swap-in)
 *   skipped reads    a host-swapped frame the guest overwrites whole is not read back
 *   random runs      all of it under random guest workloads over several seeds, with and
 *                    without injected I/O errors on the host swap and the guests' paging files
 *
 * Host and guests without workers (deterministic); test_threads_hv runs them with workers. */
#include "hv_util.h"

#define PG HVU_PG
#define NOW UMM_CFG_NO_WORKERS
#define HOST_FLAGS (UMM_HV_NO_WORKERS | UMM_HV_NO_SHARING | HVU_NO_COMPRESSION)

/* A guest frees most of what it wrote (decommit: the frames go to its Free list); another
 * guest's writes then need host frames. The freed frames are dropped, not written: the host
 * writes fewer pages to its swap than it frees, and every surviving byte is intact. */
static void test_free_frames_dropped(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(24, 128, HOST_FLAGS);
    umm_process_t *pa, *pb;
    umm_hv_guest_t *ga = hvu_guest(h, 24, 32, NOW, UMM_HV_GUEST_NO_BALLOON, &pa);
    umm_hv_guest_t *gb = hvu_guest(h, 24, 32, NOW, UMM_HV_GUEST_NO_BALLOON, &pb);
    const size_t n = HVU_PAGES(16), keep = n / 4;
    unsigned char *a = hvu_alloc(pa, n);
    hvu_mark_range(a, n, 5);
    assert_int_equal(umm_decommit(pa, a + keep * PG, (n - keep) * PG), UMM_OK);
    unsigned char *b = hvu_alloc(pb, n);
    hvu_mark_range(b, n, 6);
    umm_hv_guest_stats_t s = hvu_gs(ga);
    umm_hv_host_stats_t hs = hvu_hs(h);
    print_message("  free: A victims free %" PRIu64 " active %" PRIu64 " dropped %" PRIu64
                  "; host swapped out %" PRIu64 "\n", s.victims_free, s.victims_active,
                  s.dropped, hs.swapped_out);
    assert_true(s.victims_free > 0);
    assert_int_equal(s.dropped, s.victims_free + s.victims_standby);
    /* the freed frames went first: A's kept data was not swapped for them */
    assert_true(s.victims_free >= (n - keep) / 2);
    hvu_assert_range(a, keep, 5);
    hvu_assert_range(b, n, 6);
    /* A's freed range reads zero again once recommitted (its frames read as zeros) */
    assert_int_equal(umm_commit(pa, a + keep * PG, (n - keep) * PG, TU_RW), UMM_OK);
    for (size_t i = keep; i < n; i += 7)
        assert_true(tu_is_zero(hvu_pg(a, i), PG));
    hvu_guest_consistent(ga);
    hvu_guest_consistent(gb);
    hvu_host_consistent(h);
    umm_hv_host_destroy(h);
}

/* A guest writes, empties its working set and flushes: its pages sit on Standby with copies in
 * its paging file. Host pressure drops them (the guest discards them through the door) instead
 * of writing them; reading them back is the guest's own hard fault from its paging file. */
static void test_standby_dropped_and_reread(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(24, 128, HOST_FLAGS);
    umm_process_t *pa, *pb;
    umm_hv_guest_t *ga = hvu_guest(h, 24, 64, NOW, UMM_HV_GUEST_NO_BALLOON, &pa);
    umm_hv_guest_t *gb = hvu_guest(h, 24, 32, NOW, UMM_HV_GUEST_NO_BALLOON, &pb);
    const size_t n = HVU_PAGES(14);
    unsigned char *a = hvu_alloc(pa, n);
    for (size_t i = 0; i < n; i++)
        tu_fill(hvu_pg(a, i), PG, 1000 + i);
    umm_system_t *sa = umm_hv_guest_system(ga);
    assert_int_equal(umm_ws_empty(pa), UMM_OK);
    assert_int_equal(umm_flush_modified(sa), UMM_OK);
    uint64_t hard0 = tu_stats(sa).faults_hard;
    unsigned char *b = hvu_alloc(pb, n);
    hvu_mark_range(b, n, 8);
    umm_hv_guest_stats_t s = hvu_gs(ga);
    print_message("  standby: A victims standby %" PRIu64 " free %" PRIu64 " active %" PRIu64
                  ", host-swapped %" PRIu64 "\n", s.victims_standby, s.victims_free,
                  s.victims_active, s.host_swapped);
    assert_true(s.victims_standby > 0);
    assert_true(s.dropped >= s.victims_standby);
    for (size_t i = 0; i < n; i++)
        tu_assert_pattern(hvu_pg(a, i), PG, 1000 + i);
    /* the dropped pages came back from A's own paging file */
    assert_true(tu_stats(sa).faults_hard - hard0 > 0);
    hvu_assert_range(b, n, 8);
    assert_int_equal(umm_check(sa), UMM_OK);
    hvu_guest_consistent(ga);
    hvu_guest_consistent(gb);
    umm_hv_host_destroy(h);
}

/* The host swaps A's pages while they are in use; A then frees and reuses its memory: each frame
 * it zeroes or reads into is overwritten whole, so the host does not read it back. */
static void test_overwrite_skips_read(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(16, 128, HOST_FLAGS);
    umm_process_t *pa, *pb;
    umm_hv_guest_t *ga = hvu_guest(h, 16, 32, NOW, UMM_HV_GUEST_NO_BALLOON, &pa);
    umm_hv_guest_t *gb = hvu_guest(h, 16, 32, NOW, UMM_HV_GUEST_NO_BALLOON, &pb);
    const size_t n = HVU_PAGES(12);
    unsigned char *a = hvu_alloc(pa, n);
    hvu_mark_range(a, n, 3);
    unsigned char *b = hvu_alloc(pb, n);
    hvu_mark_range(b, n, 4); /* pushes A's frames into the host swap */
    umm_hv_guest_stats_t s0 = hvu_gs(ga);
    assert_true(s0.host_swapped > 0);
    /* A frees it all and writes it again: its fresh pages are zeroed frames */
    assert_int_equal(umm_decommit(pa, a, n * PG), UMM_OK);
    assert_int_equal(umm_commit(pa, a, n * PG, TU_RW), UMM_OK);
    hvu_mark_range(a, n, 9);
    umm_hv_guest_stats_t s = hvu_gs(ga);
    print_message("  overwrite: host-swapped before %" PRIu64 ", reads skipped %" PRIu64
                  ", swap-ins access %" PRIu64 " writer %" PRIu64 "\n", s0.host_swapped,
                  s.reads_skipped, s.swapin_access, s.swapin_writer);
    assert_true(s.reads_skipped > 0);
    assert_int_equal(s.swapin_writer, 0);
    /* nothing A had swapped was read back to be overwritten */
    assert_true(s.swapped_in - s0.swapped_in <= s.swapin_access - s0.swapin_access);
    hvu_assert_range(a, n, 9);
    hvu_assert_range(b, n, 4);
    hvu_guest_consistent(ga);
    hvu_guest_consistent(gb);
    hvu_host_consistent(h);
    umm_hv_host_destroy(h);
}

/* ---- random workloads ---------------------------------------------------------------------- */

enum { RG = 2 };

typedef struct rguest {
    umm_hv_guest_t *g;
    umm_process_t *p;
    unsigned char *base;
    uint64_t *gen; /* per page: 0 = decommitted/never written (reads zero), else its generation */
    size_t n;
} rguest_t;

/* Touch page i until no in-page error stops it (injected errors are random). */
static void touch_until_ok(unsigned char *pg, int write, unsigned char v) {
    for (int tries = 0; tries < 10000; tries++) {
        unsigned char got;
        if ((write ? tu_try_write(pg, v) : tu_try_read(pg, &got)) == 0)
            return;
    }
    fail_msg("page %p: in-page errors do not stop", (void *)pg);
}

static void check_page(const rguest_t *r, size_t i, int k, const char *when) {
    unsigned char *pg = hvu_pg(r->base, i);
    if (r->gen[i] ? !hvu_marked(r->base, i, r->gen[i]) : *(volatile uint64_t *)(pg + hvu_woff(i) * 8) != 0)
        fail_msg("%s: guest %d page %zu gen %" PRIu64, when, k, i, r->gen[i]);
}

static void random_op(rguest_t *r, int k, uint64_t *seed, int faults) {
    *seed = tu_mix(*seed + 1);
    size_t i = (size_t)(*seed % r->n);
    unsigned what = (unsigned)((*seed >> 40) % 16);
    unsigned char *pg = hvu_pg(r->base, i);
    if (what < 6) { /* write: the next generation's word */
        uint64_t gen = r->gen[i] + 1;
        volatile uint64_t *w = (volatile uint64_t *)pg + hvu_woff(i);
        if (faults) /* resolve the write fault first, so the store below cannot fail */
            touch_until_ok((unsigned char *)(uintptr_t)w, 1, (unsigned char)hvu_word((const void *)w, gen));
        *w = hvu_word((const void *)w, gen);
        r->gen[i] = gen;
    } else if (what < 14) { /* read and check */
        if (faults)
            touch_until_ok(pg, 0, 0);
        check_page(r, i, k, "read");
    } else { /* free a small run: its frames go to the guest's Free list */
        size_t len = 1 + (size_t)((*seed >> 20) % 8);
        if (i + len > r->n)
            len = r->n - i;
        assert_int_equal(umm_decommit(r->p, pg, len * PG), UMM_OK);
        assert_int_equal(umm_commit(r->p, pg, len * PG, TU_RW), UMM_OK);
        for (size_t j = i; j < i + len; j++)
            r->gen[j] = 0;
    }
}

/* Two 24 MiB guests without balloons on a 16 MiB host, each with 12 MiB committed and written
 * (the host swaps pages in use), then random writes, reads and frees; every 2000 operations a
 * guest empties its working set and flushes (Standby frames, hand-overs) and the host steps.
 * With `faults`, the host swap and the guests' paging files fail 2 % of their I/O meanwhile. At
 * the end every page is checked. */
static void random_run(uint64_t seed0, int faults) {
    uint64_t seed = seed0;
    umm_hv_host_t *h = hvu_host(16, 128, HOST_FLAGS);
    rguest_t r[RG];
    for (int k = 0; k < RG; k++) {
        r[k].g = hvu_guest(h, 24, 64, NOW, UMM_HV_GUEST_NO_BALLOON, &r[k].p);
        r[k].n = HVU_PAGES(12);
        r[k].base = hvu_alloc(r[k].p, r[k].n);
        r[k].gen = calloc(r[k].n, sizeof *r[k].gen);
        assert_non_null(r[k].gen);
        tu_exc_install(umm_hv_guest_system(r[k].g));
        hvu_mark_range(r[k].base, r[k].n, 1);
        for (size_t i = 0; i < r[k].n; i++)
            r[k].gen[i] = 1;
    }
    (void)umm_failpoint_seed(seed);
    if (faults) {
        assert_int_equal(umm_failpoint_enable("umm/hv/swap/*", 0.02, 0), UMM_OK);
        assert_int_equal(umm_failpoint_enable("umm/pagefile/read", 0.02, 0), UMM_OK);
        assert_int_equal(umm_failpoint_enable("umm/pagefile/write", 0.02, 0), UMM_OK);
    }
    const int ops = 16000;
    for (int op = 0; op < ops; op++) {
        int k = (int)(tu_mix(seed + (uint64_t)op) % RG);
        random_op(&r[k], k, &seed, faults);
        if (op % 2000 == 1999) {
            umm_system_t *sys = umm_hv_guest_system(r[k].g);
            assert_int_equal(umm_ws_empty(r[k].p), UMM_OK);
            int rc = umm_flush_modified(sys);
            assert_true(rc == UMM_OK || (faults && rc == UMM_E_IO));
            hvu_steps(h, 1);
        }
    }
    umm_failpoint_disable("umm/hv/swap/*");
    umm_failpoint_disable("umm/pagefile/read");
    umm_failpoint_disable("umm/pagefile/write");
    uint64_t dropped = 0, handed = 0, skipped = 0, access = 0, writer = 0, active = 0;
    for (int k = 0; k < RG; k++) {
        for (size_t i = 0; i < r[k].n; i++)
            check_page(&r[k], i, k, "final");
        /* the rest of every page is zero (only one word is ever written) */
        for (size_t i = 0; i < r[k].n; i += 5) {
            volatile uint64_t *w = (volatile uint64_t *)hvu_pg(r[k].base, i);
            for (size_t x = 0; x < PG / 8; x++)
                if (x != hvu_woff(i) && w[x] != 0)
                    fail_msg("final: guest %d page %zu word %zu not zero", k, i, x);
        }
        umm_hv_guest_stats_t s = hvu_gs(r[k].g);
        dropped += s.dropped;
        handed += s.handed_over;
        skipped += s.reads_skipped;
        access += s.swapin_access;
        writer += s.swapin_writer;
        active += s.victims_active + s.victims_modified;
        assert_int_equal(umm_check(umm_hv_guest_system(r[k].g)), UMM_OK);
        hvu_guest_consistent(r[k].g);
        free(r[k].gen);
    }
    print_message("  seed %" PRIu64 "%s: dropped %" PRIu64 " written %" PRIu64 " handed over %"
                  PRIu64 " reads skipped %" PRIu64 " swap-ins access %" PRIu64 " writer %" PRIu64
                  "\n", seed0, faults ? " (I/O errors)" : "", dropped, active, handed, skipped,
                  access, writer);
    /* the cheap paths really ran */
    assert_true(dropped > 0);
    assert_true(handed > 0);
    assert_true(skipped > 0);
    hvu_host_consistent(h);
    umm_hv_host_destroy(h);
}

static void test_random_workloads(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++)
        random_run(seed * 7919, 0);
}

static void test_random_workloads_io_errors(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 2; seed++)
        random_run(seed * 104729, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_frames_dropped),
        cmocka_unit_test(test_standby_dropped_and_reread),
        cmocka_unit_test(test_overwrite_skips_read),
        cmocka_unit_test(test_random_workloads),
        cmocka_unit_test(test_random_workloads_io_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
