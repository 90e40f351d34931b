/* SPDX-License-Identifier: MIT */
/* test_system.c - systems and processes: fresh statistics, the frame-list invariant through a whole
 * lifecycle, two processes in one system (isolation, per-process stats, destroy returns frames and
 * charge), two systems in one program, and page_size = 2 x OS page. */
#include "test_util.h"

#define PG ((size_t)4096)

/* A fresh system: every frame zeroed and available, no commit, limit = RAM, no working set. */
static void test_fresh_stats(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_config_t c = tu_config(8 * TU_MIB, 16);
    c.vma_budget = 1000;
    tu_sys_new_cfg(&c, &sys, NULL);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.page_size, PG);
    assert_int_equal(s.total_frames, 2048);
    assert_int_equal(s.zeroed, 2048);
    assert_int_equal(s.free, 0);
    assert_int_equal(s.standby, 0);
    assert_int_equal(s.modified, 0);
    assert_int_equal(s.modified_nowrite, 0);
    assert_int_equal(s.bad, 0);
    assert_int_equal(s.active, 0);
    assert_int_equal(s.available, 2048);
    assert_int_equal(s.committed, 0);
    assert_int_equal(s.commit_limit, 2048);
    assert_int_equal(s.commit_peak, 0);
    assert_int_equal(s.working_set, 0);
    assert_int_equal(s.processes, 0);
    assert_int_equal(s.faults_total, 0);
    assert_int_equal(s.faults_demand_zero, 0);
    assert_int_equal(s.vma_budget, 1000);
    for (int i = 0; i < 8; i++)
        assert_int_equal(s.standby_by_priority[i], 0);
    tu_assert_consistent(sys);

    umm_process_t *p1, *p2;
    assert_int_equal(umm_process_create(sys, &p1), UMM_OK);
    assert_int_equal(umm_process_create(sys, &p2), UMM_OK);
    assert_true(p1 != p2);
    assert_int_equal(tu_stats(sys).processes, 2);
    umm_process_stats_t ps = tu_pstats(p1);
    assert_int_equal(ps.working_set, 0);
    assert_int_equal(ps.committed, 0);
    assert_int_equal(ps.reservations, 0);
    assert_int_equal(ps.faults_total, 0);
    umm_process_destroy(p2);
    assert_int_equal(tu_stats(sys).processes, 1);
    tu_assert_consistent(sys);
    umm_system_destroy(sys); /* destroys p1 too */
}

/* The list counts add up and umm_check passes after every kind of operation. */
static void test_invariants_lifecycle(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(4 * TU_MIB, 4, &sys, &proc);
    tu_assert_consistent(sys);
    char *r = tu_reserve(proc, 2 * TU_MIB, TU_RW);
    tu_assert_consistent(sys);
    assert_int_equal(umm_commit(proc, r, TU_MIB, TU_RW), UMM_OK);
    tu_assert_consistent(sys);
    for (size_t i = 0; i < 256; i += 3)
        tu_fill(r + i * PG, PG, i + 1);
    tu_assert_consistent(sys);
    for (size_t i = 1; i < 256; i += 3)
        (void)*(volatile char *)(r + i * PG);
    tu_assert_consistent(sys);
    assert_int_equal(umm_ws_trim(proc, 50), UMM_OK);
    tu_assert_consistent(sys);
    assert_int_equal(umm_protect(proc, r, 64 * PG, UMM_PROT_READ, NULL), UMM_OK);
    tu_assert_consistent(sys);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    tu_assert_consistent(sys);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.working_set, 0);
    assert_int_equal(s.modified + s.standby, (256 + 2) / 3);
    for (size_t i = 0; i < 256; i += 3)
        tu_assert_pattern(r + i * PG, PG, i + 1);
    tu_assert_consistent(sys);
    assert_int_equal(umm_decommit(proc, r + 32 * PG, 64 * PG), UMM_OK);
    tu_assert_consistent(sys);
    assert_int_equal(umm_commit(proc, r + TU_MIB, TU_MIB, TU_RW), UMM_OK);
    tu_assert_consistent(sys);
    memset(r + TU_MIB, 0xEE, TU_MIB);
    tu_assert_consistent(sys);
    s = tu_stats(sys);
    assert_int_equal(s.committed, 512 - 64);
    assert_int_equal(umm_release(proc, r), UMM_OK);
    tu_assert_consistent(sys);
    s = tu_stats(sys);
    assert_int_equal(s.committed, 0);
    assert_int_equal(s.active, 0);
    assert_int_equal(s.modified, 0);
    assert_int_equal(s.available, s.total_frames);
    assert_int_equal(s.commit_peak, 512 - 64);
    umm_system_destroy(sys);
}

/* Two processes: separate reservations, neither can commit/decommit/release/protect the other's
 * addresses, each has its own working set and commit charge, destroying one returns its frames and
 * charge and leaves the other's data intact. */
static void test_two_processes(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *a, *b;
    tu_sys_new(8 * TU_MIB, 1, &sys, &a);
    assert_int_equal(umm_process_create(sys, &b), UMM_OK);
    char *ra = tu_alloc(a, 2 * TU_GRAN); /* 32 pages */
    char *rb = tu_reserve(b, TU_GRAN, TU_RW);
    assert_int_equal(umm_commit(b, rb, 10 * PG, TU_RW), UMM_OK);
    for (size_t i = 0; i < 20; i++)
        tu_fill(ra + i * PG, PG, 1000 + i);
    for (size_t i = 0; i < 5; i++)
        tu_fill(rb + i * PG, PG, 2000 + i);

    assert_int_equal(umm_commit(b, ra, PG, TU_RW), UMM_E_NOT_RESERVED);
    assert_int_equal(umm_commit(a, rb + 10 * PG, PG, TU_RW), UMM_E_NOT_RESERVED);
    assert_int_equal(umm_decommit(b, ra, PG), UMM_E_NOT_RESERVED);
    assert_int_equal(umm_release(b, ra), UMM_E_NOT_RESERVED);
    assert_int_equal(umm_release(a, rb), UMM_E_NOT_RESERVED);
    assert_int_equal(umm_protect(a, rb, PG, UMM_PROT_READ, NULL), UMM_E_NOT_RESERVED);
    umm_region_info_t qi;
    assert_int_equal(umm_query(b, ra, &qi), UMM_E_NOT_RESERVED);
    assert_int_equal(qi.state, UMM_REGION_FREE);
    assert_int_equal(umm_query(a, rb, &qi), UMM_E_NOT_RESERVED);
    assert_int_equal(qi.state, UMM_REGION_FREE);

    umm_process_stats_t pa = tu_pstats(a), pb = tu_pstats(b);
    assert_int_equal(pa.working_set, 20);
    assert_int_equal(pa.committed, 32);
    assert_int_equal(pa.reservations, 1);
    assert_int_equal(pb.working_set, 5);
    assert_int_equal(pb.committed, 10);
    assert_int_equal(pb.reservations, 1);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.working_set, 25);
    assert_int_equal(s.committed, 42);
    assert_int_equal(s.active, 25);
    assert_int_equal(s.processes, 2);
    tu_assert_consistent(sys);

    /* trimming one process leaves the other's working set alone */
    assert_int_equal(umm_ws_empty(b), UMM_OK);
    assert_int_equal(tu_pstats(b).working_set, 0);
    assert_int_equal(tu_pstats(a).working_set, 20);
    assert_int_equal(tu_stats(sys).modified, 5);

    umm_process_destroy(b);
    s = tu_stats(sys);
    assert_int_equal(s.committed, 32);
    assert_int_equal(s.working_set, 20);
    assert_int_equal(s.active, 20);
    assert_int_equal(s.modified, 0);
    assert_int_equal(s.processes, 1);
    assert_int_equal(s.zeroed + s.free, s.total_frames - 20);
    for (size_t i = 0; i < 20; i++)
        tu_assert_pattern(ra + i * PG, PG, 1000 + i);
    tu_assert_consistent(sys);

    umm_process_destroy(a);
    s = tu_stats(sys);
    assert_int_equal(s.committed, 0);
    assert_int_equal(s.active, 0);
    assert_int_equal(s.working_set, 0);
    assert_int_equal(s.available, s.total_frames);
    assert_int_equal(s.processes, 0);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* Two systems in one program: pages of each touched alternately fault into their own system,
 * statistics are independent, destroying the first leaves the second fully working (new faults). */
static void test_two_systems(void **state) {
    (void)state;
    umm_system_t *s1, *s2;
    umm_process_t *p1, *p2;
    tu_sys_new(4 * TU_MIB, 1, &s1, &p1);
    tu_sys_new(8 * TU_MIB, 16, &s2, &p2);
    char *r1 = tu_alloc(p1, 4 * TU_GRAN);
    char *r2 = tu_alloc(p2, 4 * TU_GRAN);
    for (size_t i = 0; i < 64; i++) {
        tu_fill(r1 + i * PG, PG, 10 + i);
        tu_fill(r2 + i * PG, PG, 500 + i);
    }
    umm_stats_t a = tu_stats(s1), b = tu_stats(s2);
    assert_int_equal(a.total_frames, 1024);
    assert_int_equal(b.total_frames, 2048);
    assert_int_equal(a.faults_demand_zero, 64);
    assert_int_equal(a.working_set, 64);
    assert_int_equal(b.faults_demand_zero, 64);
    assert_int_equal(b.working_set, 64);
    assert_int_equal(a.committed, 64);
    assert_int_equal(b.committed, 64);
    /* a process of one system cannot use the other's addresses */
    assert_int_equal(umm_commit(p1, r2, PG, TU_RW), UMM_E_NOT_RESERVED);
    /* each system reports exceptions to its own handler */
    int calls1 = 0, calls2 = 0;
    tu_exc_reset();
    assert_int_equal(umm_set_exception_handler(s1, tu_exc_handler, &calls1), UMM_OK);
    assert_int_equal(umm_set_exception_handler(s2, tu_exc_handler, &calls2), UMM_OK);
    char *u1 = tu_reserve(p1, TU_GRAN, TU_RW), *u2 = tu_reserve(p2, TU_GRAN, TU_RW);
    assert_int_equal(tu_try_write(u1 + 8, 1), UMM_EXC_ACCESS_VIOLATION);
    assert_ptr_equal(tu_exc.last.process, p1);
    assert_int_equal(calls1, 1);
    assert_int_equal(calls2, 0);
    assert_int_equal(tu_try_read(u2 + 8, NULL), UMM_EXC_ACCESS_VIOLATION);
    assert_ptr_equal(tu_exc.last.process, p2);
    assert_ptr_equal(tu_exc.last.address, u2 + 8);
    assert_int_equal(calls1, 1);
    assert_int_equal(calls2, 1);
    assert_int_equal(tu_stats(s1).faults_access_violation, 1);
    assert_int_equal(tu_stats(s2).faults_access_violation, 1);
    tu_assert_consistent(s1);
    tu_assert_consistent(s2);

    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(tu_stats(s1).working_set, 0);
    assert_int_equal(tu_stats(s2).working_set, 64);
    for (size_t i = 0; i < 64; i++) {
        tu_assert_pattern(r1 + i * PG, PG, 10 + i);
        tu_assert_pattern(r2 + i * PG, PG, 500 + i);
    }
    assert_int_equal(tu_stats(s1).faults_transition, 64);
    assert_int_equal(tu_stats(s2).faults_transition, 0);

    umm_system_destroy(s1);
    /* s2 keeps handling faults, old and new */
    char *r3 = tu_alloc(p2, 4 * TU_GRAN);
    for (size_t i = 0; i < 64; i++)
        tu_fill(r3 + i * PG, PG, 900 + i);
    assert_int_equal(umm_ws_empty(p2), UMM_OK);
    for (size_t i = 0; i < 64; i++) {
        tu_assert_pattern(r2 + i * PG, PG, 500 + i);
        tu_assert_pattern(r3 + i * PG, PG, 900 + i);
    }
    tu_assert_consistent(s2);
    umm_system_destroy(s2);

    /* and a new system after both are gone still works (handler re-installed) */
    umm_system_t *s3;
    umm_process_t *p3;
    tu_sys_new(4 * TU_MIB, 16, &s3, &p3);
    char *r4 = tu_alloc(p3, TU_GRAN);
    r4[77] = 77;
    assert_int_equal(r4[77], 77);
    assert_int_equal(tu_stats(s3).faults_demand_zero, 16);
    tu_assert_consistent(s3);
    umm_system_destroy(s3);
}

/* page_size = 2 x OS page: frames of 8 KiB, one fault maps both halves, empty + soft fault keep
 * data; counts are in 8 KiB pages. */
static void test_page_size_2x(void **state) {
    (void)state;
    size_t ps = 2 * tu_os_page();
    umm_config_t c = tu_config(8 * TU_MIB, 1);
    c.page_size = ps;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.page_size, ps);
    assert_int_equal(s.total_frames, 8 * TU_MIB / ps);
    assert_int_equal(s.zeroed, s.total_frames);

    char *r = tu_reserve(proc, TU_GRAN, TU_RW);
    assert_int_equal(umm_commit(proc, r + tu_os_page(), PG, TU_RW), UMM_E_ALIGN);
    assert_int_equal(umm_commit(proc, r, 1, TU_RW), UMM_OK); /* rounds to one 8 KiB page */
    assert_int_equal(tu_stats(sys).committed, 1);
    assert_int_equal(umm_commit(proc, r, 4 * ps, TU_RW), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, 4);
    umm_region_info_t qi;
    assert_int_equal(umm_query(proc, r + ps + 5000, &qi), UMM_OK);
    assert_ptr_equal(qi.base, r + ps);
    assert_int_equal(qi.size, 3 * ps);

    umm_stats_t s0 = tu_stats(sys);
    r[10] = 1;
    umm_stats_t s1 = tu_stats(sys);
    assert_int_equal(s1.faults_total, s0.faults_total + 1);
    assert_int_equal(s1.faults_demand_zero, s0.faults_demand_zero + 1);
    assert_int_equal(s1.active, 1);
    r[ps - 10] = 2; /* second OS page of the same umm page: no fault */
    assert_int_equal(tu_stats(sys).faults_total, s1.faults_total);
    for (size_t i = 1; i < 4; i++)
        tu_fill(r + i * ps, ps, 40 + i);
    assert_int_equal(tu_stats(sys).active, 4);
    tu_assert_consistent(sys);

    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(s.working_set, 0);
    assert_int_equal(s.modified, 4);
    umm_stats_t s2 = tu_stats(sys);
    assert_int_equal(r[ps - 10], 2);
    assert_int_equal(r[10], 1);
    umm_stats_t s3 = tu_stats(sys);
    assert_int_equal(s3.faults_transition, s2.faults_transition + 1);
    for (size_t i = 1; i < 4; i++)
        tu_assert_pattern(r + i * ps, ps, 40 + i);
    assert_int_equal(tu_stats(sys).faults_transition, s2.faults_transition + 4);
    assert_int_equal(tu_stats(sys).faults_demand_zero, s2.faults_demand_zero);
    tu_assert_consistent(sys);
    assert_int_equal(umm_decommit(proc, r, 4 * ps), UMM_OK);
    assert_int_equal(tu_stats(sys).available, tu_stats(sys).total_frames);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fresh_stats),
        cmocka_unit_test(test_invariants_lifecycle),
        cmocka_unit_test(test_two_processes),
        cmocka_unit_test(test_two_systems),
        cmocka_unit_test(test_page_size_2x),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
