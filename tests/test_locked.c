/* SPDX-License-Identifier: MIT */
/* test_locked.c - locked pages (umm_lock / umm_unlock, VirtualLock): they stay resident and
 * mapped through umm_ws_empty, 8x RAM of pressure from another process, a standby purge, a
 * guest's balloon and its host's paging; unlocking lets them go; the counters return to zero;
 * the quota is the working-set minimum; decommit and release unlock. */
#include "hv_util.h"
#include "paging_util.h"

#define PG PU_PG
#define LOCKED 40

static void assert_locked_counts(umm_system_t *sys, umm_process_t *proc, uint64_t n)
{
    assert_int_equal(tu_stats(sys).locked_pages, n);
    assert_int_equal(tu_pstats(proc).locked_pages, n);
}

/* Read every locked page and count the faults that took: none while they are locked. */
static uint64_t faults_reading(umm_process_t *proc, unsigned char *base, size_t n, uint64_t gen)
{
    uint64_t before = tu_pstats(proc).faults_total;
    for (size_t i = 0; i < n; i++)
        tu_assert_pattern(pu_at(base, i), PG, gen + i);
    return tu_pstats(proc).faults_total - before;
}

static void test_locked_survive_pressure(void **state)
{
    (void)state;
    umm_config_t c = pu_config(8 * TU_MIB, 96 * TU_MIB, 0, UMM_CFG_NO_WORKERS);
    umm_system_t *sys;
    umm_process_t *proc, *hog;
    tu_sys_new_cfg(&c, &sys, &proc);
    assert_int_equal(umm_process_create(sys, &hog), UMM_OK);
    unsigned char *base = tu_alloc(proc, 64 * PG);
    for (size_t i = 0; i < 64; i++)
        tu_fill(pu_at(base, i), PG, 10 + i);
    assert_int_equal(umm_ws_empty(proc), UMM_OK); /* umm_lock faults them back in */
    assert_int_equal(umm_ws_set_limits(proc, 64, 345, 0), UMM_OK);
    assert_int_equal(umm_lock(proc, base + 100, LOCKED * PG - 200), UMM_OK); /* whole pages touched */
    assert_locked_counts(sys, proc, LOCKED);
    assert_true(tu_pstats(proc).working_set >= LOCKED); /* and their fault clusters */

    /* EmptyWorkingSet, a balance pass and a purge: the locked pages stay */
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(umm_balance(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    assert_int_equal(tu_pstats(proc).working_set, LOCKED);
    assert_int_equal(faults_reading(proc, base, LOCKED, 10), 0);

    /* 8x RAM of writes from another process: emergency reclaim and the balancer trim it all */
    size_t hog_pages = 8 * 8 * TU_MIB / PG;
    unsigned char *h = tu_alloc(hog, hog_pages * PG);
    for (size_t i = 0; i < hog_pages; i++) {
        h[i * PG] = (unsigned char)i;
        if (i % 512 == 0)
            assert_int_equal(umm_balance(sys), UMM_OK);
    }
    umm_stats_t s = tu_stats(sys);
    print_message("  pressure: pages_output %" PRIu64 ", trimmed %" PRIu64 ", locked %" PRIu64 "\n",
                  s.pages_output, s.pages_trimmed, s.locked_pages);
    assert_true(s.pages_output > hog_pages / 2);
    assert_int_equal(tu_pstats(proc).working_set, LOCKED);
    assert_int_equal(faults_reading(proc, base, LOCKED, 10), 0);
    tu_assert_consistent(sys);

    /* unlocked, they go like any other page, and the data survives paging */
    assert_int_equal(umm_unlock(proc, base, LOCKED * PG), UMM_OK);
    assert_locked_counts(sys, proc, 0);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(tu_pstats(proc).working_set, 0);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    assert_true(faults_reading(proc, base, 64, 10) > 0);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

static void test_lock_rules(void **state)
{
    (void)state;
    umm_config_t c = pu_config(8 * TU_MIB, 16 * TU_MIB, 0, UMM_CFG_NO_WORKERS);
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&c, &sys, &proc);
    unsigned char *base = tu_alloc(proc, 128 * PG);
    /* the quota is the working-set minimum (default 50): 51 pages are refused, nothing locked */
    assert_int_equal(umm_lock(proc, base, 51 * PG), UMM_E_QUOTA);
    assert_locked_counts(sys, proc, 0);
    assert_int_equal(umm_lock(proc, base, 30 * PG), UMM_OK);
    assert_int_equal(umm_lock(proc, base + 20 * PG, 20 * PG), UMM_OK); /* 10 new: 40 */
    assert_locked_counts(sys, proc, 40);
    assert_int_equal(umm_lock(proc, base + 40 * PG, 11 * PG), UMM_E_QUOTA);
    assert_locked_counts(sys, proc, 40);
    /* a lock is not counted: one unlock unlocks; unlocking an unlocked page says so */
    assert_int_equal(umm_unlock(proc, base + 30 * PG, 20 * PG), UMM_E_NOT_LOCKED);
    assert_locked_counts(sys, proc, 30);
    assert_int_equal(umm_unlock(proc, base + 30 * PG, PG), UMM_E_NOT_LOCKED);
    /* access rules, checked before anything changes */
    assert_int_equal(umm_protect(proc, base + 60 * PG, PG, TU_RW | UMM_PROT_GUARD, NULL), UMM_OK);
    assert_int_equal(umm_lock(proc, base + 55 * PG, 10 * PG), UMM_E_GUARD);
    assert_int_equal(umm_protect(proc, base + 60 * PG, PG, UMM_PROT_NONE, NULL), UMM_OK);
    assert_int_equal(umm_lock(proc, base + 55 * PG, 10 * PG), UMM_E_ACCESS);
    assert_int_equal(umm_decommit(proc, base + 60 * PG, PG), UMM_OK);
    assert_int_equal(umm_lock(proc, base + 55 * PG, 10 * PG), UMM_E_NOT_COMMITTED);
    assert_locked_counts(sys, proc, 30);
    /* a locked page cannot become a guard page */
    assert_int_equal(umm_protect(proc, base, PG, TU_RW | UMM_PROT_GUARD, NULL), UMM_E_ACCESS);
    /* decommit unlocks (the charge and the frames go back) */
    assert_int_equal(umm_decommit(proc, base, 10 * PG), UMM_OK);
    assert_locked_counts(sys, proc, 20);
    tu_assert_consistent(sys);
    /* release unlocks */
    assert_int_equal(umm_release(proc, base), UMM_OK);
    assert_locked_counts(sys, proc, 0);
    assert_int_equal(tu_stats(sys).pinned_frames, 0);
    /* bad input */
    assert_int_equal(umm_lock(proc, NULL, PG), UMM_E_INVAL);
    assert_int_equal(umm_lock(proc, base, 0), UMM_E_RANGE);
    assert_int_equal(umm_lock(proc, base, PG), UMM_E_NOT_RESERVED);
    assert_int_equal(umm_unlock(NULL, base, PG), UMM_E_INVAL);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* Views of a section are at different addresses: page i holds byte (i * 7 + gen). */
static uint64_t faults_reading_view(umm_process_t *proc, unsigned char *view, size_t n, unsigned gen)
{
    uint64_t before = tu_pstats(proc).faults_total;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < PG; k += 512)
            assert_int_equal(view[i * PG + k], (unsigned char)(i * 7 + gen));
    return tu_pstats(proc).faults_total - before;
}

/* Locked view pages of a section: shared frames stay while locked; releasing the view unlocks. */
static void test_locked_section_view(void **state)
{
    (void)state;
    umm_config_t c = pu_config(8 * TU_MIB, 16 * TU_MIB, 0, UMM_CFG_NO_WORKERS);
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_section_t *sec;
    assert_int_equal(umm_section_create(sys, 32 * PG, &sec), UMM_OK);
    unsigned char *v1, *v2;
    assert_int_equal(umm_section_map(proc, sec, TU_RW, (void **)&v1), UMM_OK);
    assert_int_equal(umm_section_map(proc, sec, UMM_PROT_READ, (void **)&v2), UMM_OK);
    for (size_t i = 0; i < 32; i++)
        memset(pu_at(v1, i), (unsigned char)(i * 7 + 40), PG);
    assert_int_equal(umm_lock(proc, v2, 16 * PG), UMM_OK);
    pu_page_out(sys, proc);
    assert_int_equal(tu_pstats(proc).working_set, 16);
    assert_int_equal(faults_reading_view(proc, v2, 16, 40), 0);
    tu_assert_consistent(sys);
    assert_int_equal(umm_release(proc, v2), UMM_OK);
    assert_locked_counts(sys, proc, 0);
    assert_true(faults_reading_view(proc, v1, 32, 40) > 0);
    tu_assert_consistent(sys);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    umm_system_destroy(sys);
}

/* A guest's locked pages: its balloon forces it to page, its host pages and shares; the locked
 * pages never fault. */
static void test_locked_in_guest(void **state)
{
    (void)state;
    umm_hv_host_t *h = hvu_host(40, 128, UMM_HV_NO_WORKERS);
    umm_process_t *p;
    umm_hv_guest_t *g = hvu_guest(h, 32, 64, UMM_CFG_NO_WORKERS, 0, &p);
    umm_system_t *sys = umm_hv_guest_system(g);
    const size_t used = HVU_PAGES(28);
    unsigned char *base = hvu_alloc(p, used);
    for (size_t i = 0; i < used; i++)
        tu_fill(pu_at(base, i), PG, 70 + i);
    assert_int_equal(umm_ws_set_limits(p, 64, 345, 0), UMM_OK);
    assert_int_equal(umm_lock(p, base, LOCKED * PG), UMM_OK);
    assert_int_equal(umm_hv_balloon_set_target(g, 4096), UMM_OK);
    for (int s = 0; s < 400 && hvu_gs(g).balloon_actual < 4096; s++)
        assert_int_equal(umm_hv_host_step(h), UMM_OK);
    umm_hv_host_stats_t hs = hvu_hs(h);
    umm_stats_t gs = tu_stats(sys);
    print_message("  guest: balloon %" PRIu64 ", guest pages_output %" PRIu64 ", host swapped %" PRIu64
                  ", merged %" PRIu64 "\n", hvu_gs(g).balloon_actual, gs.pages_output,
                  hs.swapped_out, hs.merged);
    assert_int_equal(hvu_gs(g).balloon_actual, 4096);
    assert_true(gs.pages_output > 0);
    assert_int_equal(tu_pstats(p).working_set >= LOCKED, 1);
    assert_int_equal(faults_reading(p, base, LOCKED, 70), 0);
    hvu_guest_consistent(g);
    assert_int_equal(umm_unlock(p, base, LOCKED * PG), UMM_OK);
    assert_locked_counts(sys, p, 0);
    for (size_t i = 0; i < used; i++)
        tu_assert_pattern(pu_at(base, i), PG, 70 + i);
    hvu_guest_consistent(g);
    hvu_host_consistent(h);
    umm_hv_host_destroy(h);
}

/* The host pages a guest (no balloon, a host smaller than the guest): the guest's locked pages
 * are never taken, unmapped or shared. */
static void test_locked_in_guest_host_paging(void **state)
{
    (void)state;
    umm_hv_host_t *h = hvu_host(20, 128, UMM_HV_NO_WORKERS);
    umm_process_t *p;
    umm_hv_guest_t *g = hvu_guest(h, 32, 0, UMM_CFG_NO_WORKERS, UMM_HV_GUEST_NO_BALLOON, &p);
    const size_t used = HVU_PAGES(28);
    unsigned char *base = hvu_alloc(p, used);
    assert_int_equal(umm_ws_set_limits(p, 64, 345, 0), UMM_OK);
    for (size_t i = 0; i < LOCKED; i++)
        tu_fill(pu_at(base, i), PG, 90 + i);
    assert_int_equal(umm_lock(p, base, LOCKED * PG), UMM_OK);
    for (size_t i = LOCKED; i < used; i++)
        tu_fill(pu_at(base, i), PG, 90 + i);
    hvu_steps(h, 5);
    hvu_scan_all(h, HVU_PAGES(20), 2);
    umm_hv_host_stats_t hs = hvu_hs(h);
    print_message("  host paging: swapped out %" PRIu64 ", compressed %" PRIu64 ", merged %" PRIu64 "\n",
                  hs.swapped_out, hs.compressed, hs.merged);
    assert_true(hs.swapped_out + hs.compressed > 0);
    assert_int_equal(faults_reading(p, base, LOCKED, 90), 0);
    assert_int_equal(umm_unlock(p, base, LOCKED * PG), UMM_OK);
    for (size_t i = 0; i < used; i++)
        tu_assert_pattern(pu_at(base, i), PG, 90 + i);
    hvu_guest_consistent(g);
    hvu_host_consistent(h);
    umm_hv_host_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_locked_survive_pressure),
        cmocka_unit_test(test_lock_rules),
        cmocka_unit_test(test_locked_section_view),
        cmocka_unit_test(test_locked_in_guest),
        cmocka_unit_test(test_locked_in_guest_host_paging),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
