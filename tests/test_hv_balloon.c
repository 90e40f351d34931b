/* SPDX-License-Identifier: MIT */
/* test_hv_balloon.c - ballooning: inflating to a target from the guest's free memory (the host
 * gets the frames back), deflating, refusals, a balloon that forces the guest to page, and
 * deflate-on-pressure in a guest without a paging file, and a guest's pass writing all of its
 * Modified pages for the balloon. Host and guests without workers; the host is driven with
 * umm_hv_host_step(). */
#include "hv_util.h"

#define PG HVU_PG
#define MIB HVU_MIB
#define NOW UMM_CFG_NO_WORKERS

/* Step until the guest's balloon reaches `want` or `max` steps; returns steps taken. */
static int steps_until_actual(umm_hv_host_t *h, umm_hv_guest_t *g, uint64_t want, int max) {
    int s = 0;
    while (s < max && hvu_gs(g).balloon_actual != want) {
        assert_int_equal(umm_hv_host_step(h), UMM_OK);
        s++;
    }
    return s;
}

/* Inflate from free memory, then deflate. The guest first writes (so its frames have host
 * frames) and decommits, so that what the balloon takes is host memory the host gets back. */
static void test_balloon_inflate_deflate(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(128, 0, UMM_HV_NO_WORKERS);
    umm_process_t *p;
    umm_hv_guest_t *g = hvu_guest(h, 32, 0, NOW, 0, &p);
    umm_system_t *sys = umm_hv_guest_system(g);
    const size_t frames = HVU_PAGES(32), used = HVU_PAGES(31);
    unsigned char *base = hvu_alloc(p, used);
    hvu_mark_range(base, used, 1);
    assert_int_equal(umm_decommit(p, base, used * PG), UMM_OK);
    /* a small live region that must survive everything */
    unsigned char *live = hvu_alloc(p, 128);
    for (size_t i = 0; i < 128; i++)
        tu_fill(hvu_pg(live, i), PG, 2);

    umm_hv_guest_stats_t g0 = hvu_gs(g);
    assert_true(g0.private_frames >= used);
    uint64_t hfree0 = hvu_hs(h).free_frames;
    uint64_t avail0 = tu_stats(sys).available;

    const size_t N = 4096;
    assert_int_equal(umm_hv_balloon_set_target(g, N), UMM_OK);
    assert_int_equal(hvu_gs(g).balloon_target, N);
    int steps = steps_until_actual(h, g, N, 100);
    umm_hv_guest_stats_t g1 = hvu_gs(g);
    print_message("  inflate: %d steps, actual %" PRIu64 " private %" PRIu64 " -> %" PRIu64 "\n",
                  steps, g1.balloon_actual, g0.private_frames, g1.private_frames);
    assert_int_equal(g1.balloon_actual, N);
    assert_int_equal(g1.balloon_target, N); /* manual: the policy does not move it */
    assert_true(g1.balloon_inflated >= N);
    /* the guest lost N pages of available memory */
    uint64_t avail1 = tu_stats(sys).available;
    assert_int_equal(avail0 - avail1, N);
    /* the host got the frames that backed them: at most 256 untouched (zeroed) frames were not
     * backed, so at least N - 256 host frames came back, exactly as many as the guest lost */
    uint64_t hfree1 = hvu_hs(h).free_frames;
    assert_true(hfree1 > hfree0);
    assert_int_equal(hfree1 - hfree0, g0.private_frames - g1.private_frames);
    assert_true(hfree1 - hfree0 + 256 + 16 >= N);
    hvu_guest_consistent(g);

    /* the live data is intact */
    for (size_t i = 0; i < 128; i++)
        tu_assert_pattern(hvu_pg(live, i), PG, 2);

    /* more steps do not move it beyond the target */
    hvu_steps(h, 5);
    assert_int_equal(hvu_gs(g).balloon_actual, N);

    /* the whole RAM is a legal target, one page more is not */
    assert_int_equal(umm_hv_balloon_set_target(g, frames + 1), UMM_E_RANGE);
    assert_int_equal(hvu_gs(g).balloon_target, N);

    /* deflate */
    assert_int_equal(umm_hv_balloon_set_target(g, 0), UMM_OK);
    steps = steps_until_actual(h, g, 0, 100);
    umm_hv_guest_stats_t g2 = hvu_gs(g);
    assert_int_equal(g2.balloon_actual, 0);
    assert_true(g2.balloon_deflated >= N);
    assert_int_equal(g2.balloon_deflate_on_pressure, 0);
    assert_int_equal(tu_stats(sys).available, avail0);
    /* deflated frames come back untouched: they cost the host nothing until written */
    assert_int_equal(hvu_hs(h).free_frames, hfree1);
    /* and they work: the guest can use all its memory again */
    unsigned char *again = hvu_alloc(p, used - 128);
    hvu_mark_range(again, used - 128, 3);
    hvu_assert_range(again, used - 128, 3);
    for (size_t i = 0; i < 128; i++)
        tu_assert_pattern(hvu_pg(live, i), PG, 2);
    hvu_guest_consistent(g);
    hvu_host_consistent(h);
    umm_hv_host_destroy(h);
}

static void test_balloon_refusals(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(64, 0, UMM_HV_NO_WORKERS);
    umm_hv_guest_t *g = hvu_guest(h, 16, 0, NOW, 0, NULL);
    umm_hv_guest_t *nb = hvu_guest(h, 16, 0, NOW, UMM_HV_GUEST_NO_BALLOON, NULL);
    assert_int_equal(umm_hv_balloon_set_target(g, HVU_PAGES(16) + 1), UMM_E_RANGE);
    assert_int_equal(umm_hv_balloon_set_target(g, HVU_PAGES(16)), UMM_OK);
    assert_int_equal(umm_hv_balloon_set_target(nb, 1), UMM_E_NOT_SUPPORTED);
    assert_int_equal(umm_hv_balloon_set_target(nb, 0), UMM_E_NOT_SUPPORTED);
    assert_int_equal(umm_hv_balloon_set_target(NULL, 0), UMM_E_INVAL);
    /* a target of all its RAM: the balloon stops at what the guest can give (it keeps its
     * low-memory reserve) and never goes beyond its RAM */
    hvu_steps(h, 80);
    umm_hv_guest_stats_t s = hvu_gs(g);
    assert_true(s.balloon_actual > 0);
    assert_true(s.balloon_actual < HVU_PAGES(16));
    assert_int_equal(hvu_gs(nb).balloon_actual, 0);
    assert_int_equal(umm_hv_balloon_auto(g), UMM_OK);
    hvu_guest_consistent(g);
    hvu_guest_consistent(nb);
    umm_hv_host_destroy(h);
}

/* The guest has a paging file and most of its memory written: to reach the target its memory
 * manager must trim and page out. */
static void test_balloon_forces_guest_paging(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(128, 0, UMM_HV_NO_WORKERS);
    umm_process_t *p;
    umm_hv_guest_t *g = hvu_guest(h, 32, 64, NOW, 0, &p);
    umm_system_t *sys = umm_hv_guest_system(g);
    const size_t used = HVU_PAGES(28);
    unsigned char *base = hvu_alloc(p, used);
    for (size_t i = 0; i < used; i++)
        hvu_mark(base, i, 5);
    umm_stats_t s0 = tu_stats(sys);
    assert_true(s0.available < 4096); /* the balloon cannot be served from free memory */
    const size_t N = 4096;
    assert_int_equal(umm_hv_balloon_set_target(g, N), UMM_OK);
    int steps = steps_until_actual(h, g, N, 400);
    umm_hv_guest_stats_t gs = hvu_gs(g);
    umm_stats_t s1 = tu_stats(sys);
    print_message("  forced paging: %d steps, actual %" PRIu64 ", pages_output %" PRIu64
                  ", trimmed %" PRIu64 "\n", steps, gs.balloon_actual, s1.pages_output,
                  s1.pages_trimmed);
    assert_int_equal(gs.balloon_actual, N);
    assert_true(s1.pages_output > 0);
    assert_true(s1.pages_trimmed > 0);
    assert_true(s1.pagefile_used > 0);
    hvu_guest_consistent(g);
    /* the data is intact (read back through hard faults) */
    hvu_assert_range(base, used, 5);
    umm_stats_t s2 = tu_stats(sys);
    assert_true(s2.faults_hard > s1.faults_hard);
    gs = hvu_gs(g);
    print_message("  after verify: actual %" PRIu64 " deflate_on_pressure %" PRIu64 "\n",
                  gs.balloon_actual, gs.balloon_deflate_on_pressure);
    hvu_guest_consistent(g);
    hvu_host_consistent(h);
    umm_hv_host_destroy(h);
}

/* A guest's balance pass writes every Modified page (a native system's stops at a quarter of
 * RAM, test_paging_policy): its dirty frames are frames the balloon could not take. 3,840 pages
 * written and trimmed at once in a 16 MiB guest: one pass leaves Modified empty, data intact. */
static void test_guest_pass_writes_all_modified(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(64, 0, UMM_HV_NO_WORKERS);
    umm_process_t *p;
    umm_hv_guest_t *g = hvu_guest(h, 16, 32, NOW, 0, &p);
    umm_system_t *sys = umm_hv_guest_system(g);
    const size_t n = 3840;
    unsigned char *base = hvu_alloc(p, n);
    hvu_mark_range(base, n, 9);
    assert_int_equal(umm_ws_empty(p), UMM_OK);
    assert_true(tu_stats(sys).modified > 1024);
    assert_int_equal(umm_balance(sys), UMM_OK);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.modified, 0);
    assert_true(s.pages_output >= n - 16); /* a few may be zero pages, never written */
    hvu_assert_range(base, n, 9);
    hvu_guest_consistent(g);
    hvu_host_consistent(h);
    umm_hv_host_destroy(h);
}

/* No paging file; the balloon holds most of the guest's frames; the guest then commits and
 * touches more than is left. It must not fail: the balloon gives frames back. */
static void test_balloon_deflate_on_pressure(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(128, 0, UMM_HV_NO_WORKERS);
    umm_process_t *p;
    umm_hv_guest_t *g = hvu_guest(h, 32, 0, NOW, 0, &p);
    umm_system_t *sys = umm_hv_guest_system(g);
    tu_exc_install(sys); /* records any exception on this thread (none expected) */
    const size_t first = HVU_PAGES(8);
    unsigned char *a = hvu_alloc(p, first);
    for (size_t i = 0; i < first; i++)
        hvu_mark(a, i, 7);
    /* as much as the balloon can take */
    const size_t N = HVU_PAGES(32) - first - 600;
    assert_int_equal(umm_hv_balloon_set_target(g, N), UMM_OK);
    int steps = steps_until_actual(h, g, N, 200);
    umm_hv_guest_stats_t g1 = hvu_gs(g);
    assert_int_equal(g1.balloon_actual, N);
    assert_int_equal(g1.balloon_deflate_on_pressure, 0);
    umm_stats_t s1 = tu_stats(sys);
    print_message("  on pressure: %d steps, balloon %" PRIu64 ", available %" PRIu64 "\n", steps,
                  g1.balloon_actual, s1.available);
    assert_true(s1.available < 1024);

    /* 16 MiB more: only possible if the balloon gives back */
    const size_t more = HVU_PAGES(16);
    unsigned char *b = tu_reserve(p, more * PG, TU_RW);
    assert_int_equal(umm_commit(p, b, more * PG, TU_RW), UMM_OK);
    for (size_t i = 0; i < more; i++) {
        int r = tu_try_write(hvu_pg(b, i), 1);
        if (r != 0)
            fail_msg("page %zu of the new region: exception %d (error %d)", i, r, tu_exc.last.error);
        hvu_mark(b, i, 8);
    }
    assert_int_equal(tu_exc.count, 0);
    assert_int_equal(tu_exc.count_inpage, 0);
    umm_hv_guest_stats_t g2 = hvu_gs(g);
    print_message("  on pressure: deflate_on_pressure %" PRIu64 ", balloon %" PRIu64 "\n",
                  g2.balloon_deflate_on_pressure, g2.balloon_actual);
    assert_true(g2.balloon_deflate_on_pressure > 0);
    assert_true(g2.balloon_actual < N);
    assert_true(g2.balloon_actual + more + first <= HVU_PAGES(32));
    /* the target followed (the balloon does not immediately re-inflate into the guest) */
    assert_true(g2.balloon_target <= g2.balloon_actual);
    hvu_steps(h, 3);
    assert_true(hvu_gs(g).balloon_actual <= g2.balloon_actual);
    hvu_assert_range(a, first, 7);
    hvu_assert_range(b, more, 8);
    assert_int_equal(tu_exc.count, 0);
    hvu_guest_consistent(g);
    hvu_host_consistent(h);
    umm_hv_host_destroy(h);
}

/* Regression (this test found the library bug it describes; fixed since): a guest WITH a paging file gives its balloon
 * back as soon as it faults. design.md 6: "Deflate-on-pressure inside a guest if it would
 * otherwise fail"; a guest with a paging file would not fail (it can trim and page), yet
 * mm/reclaim.c mm_reclaim_for_fault() calls the balloon's deflate before writing or trimming, and
 * hv_balloon_deflate_locked lowers the target to what is left. The guest (32 MiB, 28 MiB
 * written, paging file) is ballooned to 4096 pages, then reads its data back. Observed: the
 * balloon falls to ~1024 and deflate_on_pressure ~3072: the host loses the memory it
 * reclaimed (this is what breaks the busy policy tests in test_hv_policy.c). */
static void test_balloon_holds_with_pagefile(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(128, 0, UMM_HV_NO_WORKERS);
    umm_process_t *p;
    umm_hv_guest_t *g = hvu_guest(h, 32, 64, NOW, 0, &p);
    const size_t used = HVU_PAGES(28);
    unsigned char *base = hvu_alloc(p, used);
    hvu_mark_range(base, used, 5);
    const size_t N = 4096;
    assert_int_equal(umm_hv_balloon_set_target(g, N), UMM_OK);
    steps_until_actual(h, g, N, 400);
    assert_int_equal(hvu_gs(g).balloon_actual, N);
    hvu_assert_range(base, used, 5); /* through hard faults */
    umm_hv_guest_stats_t gs = hvu_gs(g);
    print_message("  balloon after the guest read its data back: actual %" PRIu64 " target %" PRIu64
                  " deflate_on_pressure %" PRIu64 "\n", gs.balloon_actual, gs.balloon_target,
                  gs.balloon_deflate_on_pressure);
    hvu_guest_consistent(g);
    umm_hv_host_destroy(h);
    assert_int_equal(gs.balloon_deflate_on_pressure, 0);
    assert_int_equal(gs.balloon_actual, N);
}

/* Regression (this test found the library bug it describes; fixed since): the balloon's frames are charged to the guest's
 * commit (sys->committed += take in inflate_locked) but commit_peak is not raised with it, so
 * umm_stats_get reports committed > commit_peak, an invariant every other path keeps
 * (tu_assert_consistent checks it). */
static void test_balloon_commit_peak(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(64, 0, UMM_HV_NO_WORKERS);
    umm_process_t *p;
    umm_hv_guest_t *g = hvu_guest(h, 16, 0, NOW, 0, &p);
    umm_system_t *sys = umm_hv_guest_system(g);
    unsigned char *a = hvu_alloc(p, 256);
    hvu_mark_range(a, 256, 1);
    umm_stats_t s0 = tu_stats(sys);
    assert_int_equal(s0.committed, 256);
    assert_int_equal(umm_hv_balloon_set_target(g, 2048), UMM_OK);
    hvu_steps(h, 20);
    assert_int_equal(hvu_gs(g).balloon_actual, 2048);
    umm_stats_t s1 = tu_stats(sys);
    print_message("  commit peak: committed %" PRIu64 " commit_peak %" PRIu64 "\n", s1.committed,
                  s1.commit_peak);
    assert_int_equal(s1.committed, 256 + 2048); /* the balloon is charged */
    assert_true(s1.commit_peak >= s1.committed);
    umm_hv_host_destroy(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_balloon_inflate_deflate),
        cmocka_unit_test(test_balloon_refusals),
        cmocka_unit_test(test_balloon_forces_guest_paging),
        cmocka_unit_test(test_guest_pass_writes_all_modified),
        cmocka_unit_test(test_balloon_deflate_on_pressure),
        cmocka_unit_test(test_balloon_holds_with_pagefile),
        cmocka_unit_test(test_balloon_commit_peak),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
