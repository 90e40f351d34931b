/* SPDX-License-Identifier: MIT */
/* test_faults.c - the fault path: demand-zero and dirty-bit counters, clustered faults, working-set
 * trimming and soft (transition) faults, guard pages, access violations (umm exception handler and
 * chaining to the SIGSEGV handler installed before umm), foreign SIGSEGVs, and in-page errors
 * injected with failure points (handler and SIGBUS). Systems are created inside each test body. */
#include "test_util.h"


#define PG ((size_t)4096)

/* A first write to a committed page: one demand-zero fault, one frame from Zeroed to Active,
 * working set +1, no commit change, the rest of the page reads zero. A first read maps the page
 * (demand-zero) and a later write is a dirty-bit fault that takes no new frame. */
static void test_demand_zero_and_dirty_bit(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(8 * TU_MIB, 1, &sys, &proc);
    char *r = tu_alloc(proc, TU_GRAN);
    umm_stats_t s0 = tu_stats(sys);
    umm_process_stats_t p0 = tu_pstats(proc);
    assert_int_equal(s0.committed, 16);
    assert_int_equal(s0.active, 0);
    assert_int_equal(s0.working_set, 0);

    /* write first */
    r[100] = 'w';
    umm_stats_t s1 = tu_stats(sys);
    assert_int_equal(s1.faults_total, s0.faults_total + 1);
    assert_int_equal(s1.faults_demand_zero, s0.faults_demand_zero + 1);
    assert_int_equal(s1.active, s0.active + 1);
    assert_int_equal(s1.zeroed, s0.zeroed - 1);
    assert_int_equal(s1.working_set, s0.working_set + 1);
    assert_int_equal(s1.committed, s0.committed);
    assert_int_equal(s1.faults_dirty_bit, s0.faults_dirty_bit);
    umm_process_stats_t p1 = tu_pstats(proc);
    assert_int_equal(p1.working_set, p0.working_set + 1);
    assert_int_equal(p1.faults_demand_zero, p0.faults_demand_zero + 1);
    assert_int_equal(p1.faults_total, p0.faults_total + 1);
    assert_true(p1.working_set_peak >= 1);
    assert_int_equal(r[100], 'w');
    assert_true(tu_is_zero(r, 100));
    assert_true(tu_is_zero(r + 101, PG - 101));
    /* rewriting a valid dirty page does not fault */
    r[200] = 'x';
    assert_int_equal(tu_stats(sys).faults_total, s1.faults_total);
    tu_assert_consistent(sys);

    /* read first */
    char *q = r + 3 * PG;
    assert_int_equal(q[5], 0);
    umm_stats_t s2 = tu_stats(sys);
    assert_int_equal(s2.faults_total, s1.faults_total + 1);
    assert_int_equal(s2.faults_demand_zero, s1.faults_demand_zero + 1);
    assert_int_equal(s2.active, s1.active + 1);
    assert_int_equal(s2.working_set, s1.working_set + 1);
    assert_true(tu_is_zero(q, PG));
    assert_int_equal(tu_stats(sys).faults_total, s2.faults_total); /* more reads: no fault */
    q[6] = 'd';
    umm_stats_t s3 = tu_stats(sys);
    assert_int_equal(s3.faults_total, s2.faults_total + 1);
    assert_int_equal(s3.faults_dirty_bit, s2.faults_dirty_bit + 1);
    assert_int_equal(s3.faults_demand_zero, s2.faults_demand_zero);
    assert_int_equal(s3.active, s2.active);
    assert_int_equal(s3.zeroed, s2.zeroed);
    assert_int_equal(s3.working_set, s2.working_set);
    assert_int_equal(tu_pstats(proc).faults_dirty_bit, p1.faults_dirty_bit + 1);
    assert_int_equal(q[6], 'd');
    assert_int_equal(q[5], 0);
    q[7] = 'e';
    assert_int_equal(tu_stats(sys).faults_total, s3.faults_total);

    umm_region_info_t qi;
    assert_int_equal(umm_query(proc, r, &qi), UMM_OK);
    assert_int_equal(qi.resident_pages, 2);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* cluster_pages 16: one write into a fresh 64 KiB block makes all 16 pages valid in one fault
 * (faults_total +1, demand-zero +16); reading the neighbours faults no more. */
static void test_cluster_fault(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(8 * TU_MIB, 16, &sys, &proc);
    char *r = tu_alloc(proc, 2 * TU_GRAN);
    umm_stats_t s0 = tu_stats(sys);
    r[5 * PG + 3] = 1;
    umm_stats_t s1 = tu_stats(sys);
    assert_int_equal(s1.faults_total, s0.faults_total + 1);
    assert_int_equal(s1.faults_demand_zero, s0.faults_demand_zero + 16);
    assert_int_equal(s1.active, s0.active + 16);
    assert_int_equal(s1.working_set, s0.working_set + 16);
    assert_int_equal(s1.zeroed, s0.zeroed - 16);
    assert_int_equal(tu_pstats(proc).working_set, 16);
    for (size_t i = 0; i < 16; i++)
        if (i != 5)
            assert_true(tu_is_zero(r + i * PG, PG));
    assert_int_equal(tu_stats(sys).faults_total, s1.faults_total);
    umm_region_info_t qi;
    assert_int_equal(umm_query(proc, r, &qi), UMM_OK);
    assert_int_equal(qi.resident_pages, 16);
    /* the second block is still untouched */
    assert_int_equal(umm_query(proc, r + TU_GRAN, &qi), UMM_OK);
    assert_int_equal(qi.resident_pages, 0);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* umm_ws_empty: the working set drops to 0; written pages go to Modified, never-written pages
 * back to Zeroed (pages_trimmed_zero); touching a written page again is one soft fault per page
 * with data intact; re-touching a never-written page is demand-zero again. */
static void test_ws_empty_soft_fault(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(8 * TU_MIB, 1, &sys, &proc);
    char *r = tu_alloc(proc, TU_GRAN);
    for (size_t i = 0; i < 4; i++)
        tu_fill(r + i * PG, PG, i + 1);
    (void)*(volatile char *)(r + 4 * PG);
    (void)*(volatile char *)(r + 5 * PG);
    umm_stats_t s0 = tu_stats(sys);
    assert_int_equal(s0.working_set, 6);
    assert_int_equal(s0.active, 6);

    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    umm_stats_t s1 = tu_stats(sys);
    assert_int_equal(s1.working_set, 0);
    assert_int_equal(tu_pstats(proc).working_set, 0);
    assert_int_equal(s1.active, 0);
    assert_int_equal(s1.modified, 4);
    assert_int_equal(s1.standby, 0);
    assert_int_equal(s1.pages_trimmed, s0.pages_trimmed + 6);
    assert_int_equal(s1.pages_trimmed_zero, s0.pages_trimmed_zero + 2);
    assert_int_equal(s1.zeroed + s1.free, s1.total_frames - 4);
    assert_int_equal(s1.committed, s0.committed);
    assert_int_equal(tu_pstats(proc).pages_trimmed, 6);
    tu_assert_consistent(sys);
    umm_region_info_t qi;
    assert_int_equal(umm_query(proc, r, &qi), UMM_OK);
    assert_int_equal(qi.resident_pages, 0);

    /* soft faults, one page at a time */
    for (size_t i = 0; i < 4; i++) {
        umm_stats_t a = tu_stats(sys);
        tu_assert_pattern(r + i * PG, PG, i + 1);
        umm_stats_t b = tu_stats(sys);
        assert_int_equal(b.faults_transition, a.faults_transition + 1);
        assert_int_equal(b.faults_demand_zero, a.faults_demand_zero);
        assert_int_equal(b.faults_total, a.faults_total + 1);
        assert_int_equal(b.modified, a.modified - 1);
        assert_int_equal(b.working_set, a.working_set + 1);
        assert_int_equal(b.active, a.active + 1);
        tu_assert_consistent(sys);
    }
    assert_int_equal(tu_pstats(proc).faults_transition, 4);
    /* written-again pages keep working */
    r[0] = 0x7F;
    assert_int_equal(r[0], 0x7F);
    /* pages 4,5 were freed: demand-zero again, zero */
    umm_stats_t c = tu_stats(sys);
    assert_true(tu_is_zero(r + 4 * PG, 2 * PG));
    umm_stats_t d = tu_stats(sys);
    assert_int_equal(d.faults_demand_zero, c.faults_demand_zero + 2);
    assert_int_equal(d.faults_transition, c.faults_transition);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* umm_ws_trim(n) takes at most n pages out per call and at least one from a non-empty working
 * set; repeated calls empty it; trimmed data comes back intact. */
static void test_ws_trim(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(8 * TU_MIB, 1, &sys, &proc);
    char *r = tu_alloc(proc, 2 * TU_GRAN);
    for (size_t i = 0; i < 32; i++)
        tu_fill(r + i * PG, PG, 100 + i);
    assert_int_equal(tu_stats(sys).working_set, 32);

    int calls = 0;
    while (tu_stats(sys).working_set > 0) {
        umm_stats_t a = tu_stats(sys);
        assert_int_equal(umm_ws_trim(proc, 8), UMM_OK);
        umm_stats_t b = tu_stats(sys);
        assert_true(b.working_set < a.working_set);
        assert_true(a.working_set - b.working_set <= 8);
        assert_int_equal(b.pages_trimmed - a.pages_trimmed, a.working_set - b.working_set);
        assert_int_equal(tu_pstats(proc).working_set, b.working_set);
        tu_assert_consistent(sys);
        calls++;
        assert_true(calls <= 64);
    }
    assert_true(calls >= 4);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.modified + s.standby, 32);
    assert_int_equal(s.active, 0);
    /* trimming an empty working set is fine */
    assert_int_equal(umm_ws_trim(proc, 8), UMM_OK);
    assert_int_equal(tu_stats(sys).working_set, 0);
    for (size_t i = 0; i < 32; i++)
        tu_assert_pattern(r + i * PG, PG, 100 + i);
    s = tu_stats(sys);
    assert_int_equal(s.working_set, 32);
    assert_int_equal(s.faults_transition, 32);
    tu_assert_consistent(sys);

    /* one call with a big n on a full working set trims n pages */
    umm_stats_t a = tu_stats(sys);
    assert_int_equal(umm_ws_trim(proc, 4), UMM_OK);
    umm_stats_t b = tu_stats(sys);
    assert_true(a.working_set - b.working_set >= 1 && a.working_set - b.working_set <= 4);
    assert_int_equal(umm_ws_trim(proc, 1000), UMM_OK);
    assert_true(tu_stats(sys).working_set < b.working_set);
    for (size_t i = 0; i < 32; i++)
        tu_assert_pattern(r + i * PG, PG, 100 + i);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* The trim clock walks over several reservations of a process: every call takes 1..n pages, the
 * calls together empty the working set, and every reservation's data survives. */
static void test_ws_trim_many_reservations(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(8 * TU_MIB, 1, &sys, &proc);
    char *r[3];
    for (int k = 0; k < 3; k++) {
        r[k] = tu_alloc(proc, TU_GRAN);
        for (size_t i = 0; i < 10; i++)
            tu_fill(r[k] + i * PG, PG, 1 + (uint64_t)k * 100 + i);
    }
    assert_int_equal(tu_pstats(proc).working_set, 30);
    assert_int_equal(tu_pstats(proc).reservations, 3);
    int calls = 0;
    while (tu_pstats(proc).working_set > 0) {
        uint64_t before = tu_pstats(proc).working_set;
        assert_int_equal(umm_ws_trim(proc, 7), UMM_OK);
        uint64_t after = tu_pstats(proc).working_set;
        assert_true(after < before && before - after <= 7);
        assert_true(++calls <= 30);
    }
    assert_int_equal(tu_stats(sys).modified, 30);
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < 10; i++)
            tu_assert_pattern(r[k] + i * PG, PG, 1 + (uint64_t)k * 100 + i);
    assert_int_equal(tu_stats(sys).faults_transition, 30);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* Guard page: the first touch calls the handler with UMM_EXC_GUARD_PAGE (guard already cleared),
 * CONTINUE_EXECUTION retries and the access succeeds; the second touch calls nothing;
 * faults_guard == 1; umm_query shows the guard bit gone. */
static void test_guard_page(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(8 * TU_MIB, 16, &sys, &proc);
    int calls = 0;
    tu_exc_reset();
    assert_int_equal(umm_set_exception_handler(sys, tu_exc_handler, &calls), UMM_OK);
    char *r = tu_reserve(proc, TU_GRAN, TU_RW);
    assert_int_equal(umm_commit(proc, r, PG, TU_RW | UMM_PROT_GUARD), UMM_OK);
    assert_int_equal(umm_commit(proc, r + PG, PG, TU_RW), UMM_OK);
    umm_region_info_t qi;
    assert_int_equal(umm_query(proc, r, &qi), UMM_OK);
    assert_int_equal(qi.prot, TU_RW | UMM_PROT_GUARD);
    assert_int_equal(qi.size, PG);

    r[123] = 'g';
    assert_int_equal(tu_calls(&calls), 1);
    assert_int_equal(tu_exc.count_guard, 1);
    assert_int_equal(tu_exc.last.code, UMM_EXC_GUARD_PAGE);
    assert_ptr_equal(tu_exc.last.address, r + 123);
    assert_int_equal(tu_exc.last.is_write, 1);
    assert_ptr_equal(tu_exc.last.process, proc);
    assert_int_equal(r[123], 'g');
    r[124] = 'h';
    (void)*(volatile char *)(r + 2000);
    assert_int_equal(tu_calls(&calls), 1);
    assert_int_equal(r[124], 'h');
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.faults_guard, 1);
    assert_int_equal(tu_pstats(proc).faults_guard, 1);
    assert_int_equal(umm_query(proc, r, &qi), UMM_OK);
    assert_int_equal(qi.prot, TU_RW);
    assert_int_equal(qi.state, UMM_REGION_COMMITTED);
    /* now pages 0 and 1 form one run */
    assert_int_equal(qi.size, 2 * PG);

    /* a guard page read first: handler sees is_write 0 */
    assert_int_equal(umm_commit(proc, r + 4 * PG, PG, UMM_PROT_READ | UMM_PROT_GUARD), UMM_OK);
    assert_int_equal(*(volatile char *)(r + 4 * PG + 8), 0);
    assert_int_equal(tu_calls(&calls), 2);
    assert_int_equal(tu_exc.last.is_write, 0);
    assert_ptr_equal(tu_exc.last.address, r + 4 * PG + 8);
    assert_int_equal(tu_stats(sys).faults_guard, 2);
    /* protect can re-arm a guard */
    int old = -1;
    assert_int_equal(umm_protect(proc, r + PG, PG, TU_RW | UMM_PROT_GUARD, &old), UMM_OK);
    assert_int_equal(old, TU_RW);
    r[PG] = 1;
    assert_int_equal(tu_calls(&calls), 3);
    assert_int_equal(r[PG], 1);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* Unhandled guard page (no umm handler): goes to the previously installed SIGSEGV handler once,
 * the guard is cleared so the next access works. */
static void test_guard_page_unhandled_chains(void **state) {
    (void)state;
    tu_prev_install();
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(8 * TU_MIB, 16, &sys, &proc);
    char *r = tu_reserve(proc, TU_GRAN, TU_RW);
    assert_int_equal(umm_commit(proc, r, PG, TU_RW | UMM_PROT_GUARD), UMM_OK);
    assert_int_equal(tu_prev_try_write(r + 8, 5), SIGSEGV);
    assert_int_equal(tu_prev.hits, 1);
    assert_ptr_equal(tu_prev.addr, r + 8);
    assert_int_equal(tu_prev_try_write(r + 8, 6), 0);
    assert_int_equal(tu_prev.hits, 1);
    assert_int_equal(r[8], 6);
    assert_int_equal(tu_stats(sys).faults_guard, 1);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
    tu_prev_restore();
}

/* Access violations reported to the umm exception handler: reserved-uncommitted (read and write),
 * decommitted; the exception carries the address, is_write and process; counted in
 * faults_access_violation; no frame is consumed. */
static void test_access_violation_handler(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(8 * TU_MIB, 16, &sys, &proc);
    tu_exc_install(sys);
    char *r = tu_reserve(proc, 2 * TU_GRAN, TU_RW);
    umm_stats_t s0 = tu_stats(sys);

    assert_int_equal(tu_try_write(r + 3 * PG + 17, 1), UMM_EXC_ACCESS_VIOLATION);
    assert_ptr_equal(tu_exc.last.address, r + 3 * PG + 17);
    assert_int_equal(tu_exc.last.is_write, 1);
    assert_int_equal(tu_exc.last.error, 0);
    assert_ptr_equal(tu_exc.last.process, proc);
    assert_int_equal(tu_try_read(r + TU_GRAN, NULL), UMM_EXC_ACCESS_VIOLATION);
    assert_ptr_equal(tu_exc.last.address, r + TU_GRAN);
    assert_int_equal(tu_exc.last.is_write, 0);
    umm_stats_t s1 = tu_stats(sys);
    assert_int_equal(s1.faults_access_violation, s0.faults_access_violation + 2);
    assert_int_equal(tu_pstats(proc).faults_access_violation, 2);
    assert_int_equal(s1.active, s0.active);
    assert_int_equal(s1.committed, s0.committed);
    assert_int_equal(tu_exc.count_av, 2);

    /* decommitted */
    assert_int_equal(umm_commit(proc, r, TU_GRAN, TU_RW), UMM_OK);
    assert_int_equal(tu_try_write(r + 2 * PG, 1), 0);
    assert_int_equal(umm_decommit(proc, r + 2 * PG, PG), UMM_OK);
    assert_int_equal(tu_try_write(r + 2 * PG + 1, 1), UMM_EXC_ACCESS_VIOLATION);
    assert_ptr_equal(tu_exc.last.address, r + 2 * PG + 1);
    assert_int_equal(tu_try_write(r + 3 * PG, 1), 0); /* neighbour fine */

    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* Access violations that are not handled (no handler, or CONTINUE_SEARCH) reach the SIGSEGV handler
 * installed before umm_system_create, with si_addr = the faulting address. */
static void test_access_violation_chains_to_previous(void **state) {
    (void)state;
    tu_prev_install();
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(8 * TU_MIB, 16, &sys, &proc);
    char *r = tu_reserve(proc, TU_GRAN, TU_RW);

    /* no handler registered */
    assert_int_equal(tu_prev_try_write(r + 5 * PG + 9, 1), SIGSEGV);
    assert_int_equal(tu_prev.hits, 1);
    assert_ptr_equal(tu_prev.addr, r + 5 * PG + 9);
    assert_int_equal(tu_stats(sys).faults_access_violation, 1);

    /* handler returning CONTINUE_SEARCH: handler sees it, then the previous handler */
    int calls = 0;
    tu_exc_reset();
    assert_int_equal(umm_set_exception_handler(sys, tu_exc_handler, &calls), UMM_OK);
    assert_int_equal(tu_prev_try_read(r + 7 * PG), SIGSEGV);
    assert_int_equal(tu_calls(&calls), 1);
    assert_int_equal(tu_exc.last.code, UMM_EXC_ACCESS_VIOLATION);
    assert_ptr_equal(tu_exc.last.address, r + 7 * PG);
    assert_int_equal(tu_prev.hits, 2);
    assert_ptr_equal(tu_prev.addr, r + 7 * PG);

    /* unregistering the handler (NULL) works */
    assert_int_equal(umm_set_exception_handler(sys, NULL, NULL), UMM_OK);
    assert_int_equal(tu_prev_try_read(r), SIGSEGV);
    assert_int_equal(tu_calls(&calls), 1);
    assert_int_equal(tu_prev.hits, 3);

    /* the system still works */
    assert_int_equal(umm_commit(proc, r, PG, TU_RW), UMM_OK);
    assert_int_equal(tu_prev_try_write(r, 4), 0);
    assert_int_equal(r[0], 4);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
    tu_prev_restore();
}

/* A SIGSEGV that is not umm's (our own PROT_NONE mapping) goes to the previous handler untouched:
 * umm's handler and counters do not see it. After umm_system_destroy the previous handler is the
 * SIGSEGV disposition again. */
static void test_foreign_segv(void **state) {
    (void)state;
    tu_prev_install();
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(8 * TU_MIB, 16, &sys, &proc);
    int calls = 0;
    tu_exc_reset();
    assert_int_equal(umm_set_exception_handler(sys, tu_exc_handler, &calls), UMM_OK);
    char *r = tu_alloc(proc, TU_GRAN);
    r[0] = 1;
    umm_stats_t s0 = tu_stats(sys);

    char *mine = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(mine != MAP_FAILED);
    assert_int_equal(tu_prev_try_write(mine + 12, 1), SIGSEGV);
    assert_int_equal(tu_prev.hits, 1);
    assert_ptr_equal(tu_prev.addr, mine + 12);
    assert_int_equal(tu_prev_try_read(mine), SIGSEGV);
    assert_int_equal(tu_prev.hits, 2);
    umm_stats_t s1 = tu_stats(sys);
    assert_int_equal(s1.faults_access_violation, s0.faults_access_violation);
    assert_int_equal(s1.faults_total, s0.faults_total);
    assert_int_equal(tu_calls(&calls), 0);
    assert_int_equal(r[0], 1);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);

    /* after destroy: our handler is in place again */
    struct sigaction cur;
    assert_int_equal(sigaction(SIGSEGV, NULL, &cur), 0);
    assert_true((cur.sa_flags & SA_SIGINFO) != 0);
    assert_ptr_equal((void *)cur.sa_sigaction, (void *)tu_prev_handler);
    assert_int_equal(tu_prev_try_write(mine, 1), SIGSEGV);
    assert_int_equal(tu_prev.hits, 3);
    munmap(mine, PG);
    tu_prev_restore();
}

/* In-page error with a handler: with umm/frame/alloc failing, touching a fresh page calls the
 * handler with UMM_EXC_IN_PAGE_ERROR, error UMM_E_NO_FRAMES, the address; nothing else is lost and
 * after disabling the failure the same touch succeeds. */
static void test_in_page_error_handler(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(8 * TU_MIB, 16, &sys, &proc);
    tu_exc_install(sys);
    char *r = tu_alloc(proc, 2 * TU_GRAN);
    tu_fill(r, PG, 7);
    umm_stats_t s0 = tu_stats(sys);

    assert_int_equal(umm_failpoint_enable("umm/frame/alloc", 1.0, 0), 0);
    int rc = tu_try_write(r + TU_GRAN + 8, 1);
    umm_failpoint_disable("umm/frame/alloc");
    assert_int_equal(rc, UMM_EXC_IN_PAGE_ERROR);
    assert_int_equal(tu_exc.last.code, UMM_EXC_IN_PAGE_ERROR);
    assert_int_equal(tu_exc.last.error, UMM_E_NO_FRAMES);
    assert_ptr_equal(tu_exc.last.address, r + TU_GRAN + 8);
    assert_ptr_equal(tu_exc.last.process, proc);
    umm_stats_t s1 = tu_stats(sys);
    assert_true(s1.faults_in_page_error >= s0.faults_in_page_error + 1);
    assert_int_equal(s1.active, s0.active);
    assert_int_equal(s1.committed, s0.committed);
    tu_assert_consistent(sys);

    assert_int_equal(tu_try_write(r + TU_GRAN + 8, 2), 0);
    assert_int_equal(r[TU_GRAN + 8], 2);
    tu_assert_pattern(r, PG, 7);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* In-page error without a handler: SIGBUS on the faulting thread, si_code BUS_ADRERR,
 * si_addr = the address, si_errno = UMM_E_NO_FRAMES; the system keeps working. */
static void test_in_page_error_sigbus(void **state) {
    (void)state;
    tu_prev_install();
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(8 * TU_MIB, 1, &sys, &proc);
    char *r = tu_alloc(proc, TU_GRAN);
    tu_fill(r, PG, 3);
    umm_stats_t s0 = tu_stats(sys);

    assert_int_equal(umm_failpoint_enable("umm/frame/alloc", 1.0, 0), 0);
    int sig = tu_prev_try_read(r + 2 * PG + 40);
    umm_failpoint_disable("umm/frame/alloc");
    assert_int_equal(sig, SIGBUS);
    assert_int_equal(tu_prev.code, BUS_ADRERR);
    assert_ptr_equal(tu_prev.addr, r + 2 * PG + 40);
    assert_int_equal(tu_prev.err, UMM_E_NO_FRAMES);
    assert_true(tu_stats(sys).faults_in_page_error >= s0.faults_in_page_error + 1);
    tu_assert_consistent(sys);

    assert_int_equal(tu_prev_try_write(r + 2 * PG + 40, 9), 0);
    assert_int_equal(r[2 * PG + 40], 9);
    tu_assert_pattern(r, PG, 3);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
    tu_prev_restore();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demand_zero_and_dirty_bit),
        cmocka_unit_test(test_cluster_fault),
        cmocka_unit_test(test_ws_empty_soft_fault),
        cmocka_unit_test(test_ws_trim),
        cmocka_unit_test(test_ws_trim_many_reservations),
        cmocka_unit_test(test_guard_page),
        cmocka_unit_test(test_guard_page_unhandled_chains),
        cmocka_unit_test(test_access_violation_handler),
        cmocka_unit_test(test_access_violation_chains_to_previous),
        cmocka_unit_test(test_foreign_segv),
        cmocka_unit_test(test_in_page_error_handler),
        cmocka_unit_test(test_in_page_error_sigbus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
