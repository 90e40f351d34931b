/* SPDX-License-Identifier: MIT */
/* test_faultinj.c - every failure point of umm (docs/fault-injection.md): turned on, the
 * documented error reaches the caller, data written before is intact, the counters stay consistent
 * (umm_check, commit charge) and the system works again once the point is off. Then a long random
 * run with several points failing at random at once. Systems are created inside each test body. */
#include "paging_util.h"


#define PG PU_PG

static umm_config_t cfg_nw(size_t ram, size_t pf, size_t pf_max) {
    return pu_config(ram, pf, pf_max, UMM_CFG_NO_WORKERS);
}

static const char *const all_points[] = {
    "umm/frame/alloc", "umm/os/map", "umm/os/protect", "umm/os/unmap", "umm/os/reserve",
    "umm/os/user_io", "umm/commit/charge",
    "umm/pagefile/open", "umm/pagefile/grow", "umm/pagefile/write", "umm/pagefile/read",
    "umm/worker/start",
};

/* Every point off: a test that failed halfway must not leave one on. */
static void fi_setup(void) {
    for (size_t k = 0; k < sizeof all_points / sizeof all_points[0]; k++)
        umm_failpoint_disable(all_points[k]);
}

/* Write gen into page i of base (3 marked words). */
static void mark(char *base, size_t i, uint64_t gen) {
    pu_mark_page(base + i * PG, PG, gen);
}

/* Marked words of a page: gen 0 means never written (all zero). */
static int page_holds(const char *base, size_t i, uint64_t gen) {
    const volatile uint64_t *w = (const volatile uint64_t *)(base + i * PG);
    if (gen == 0) {
        for (size_t k = 0; k < PU_NWORDS; k++)
            if (w[pu_word_off(k, PG)] != 0)
                return 0;
        return 1;
    }
    return pu_check_page(base + i * PG, PG, gen);
}

/* Try to write gen into a page: 0 when done, else the umm exception code (nothing written). */
static int try_mark(char *base, size_t i, uint64_t gen) {
    if (sigsetjmp(tu_exc.env, 1) != 0)
        return (int)tu_exc.last.code;
    tu_exc.armed = 1;
    mark(base, i, gen);
    tu_exc.armed = 0;
    return 0;
}

/* Try to read a page: 0 and *ok = whether it holds gen, else the umm exception code. */
static int try_check(const char *base, size_t i, uint64_t gen, int *ok) {
    if (sigsetjmp(tu_exc.env, 1) != 0)
        return (int)tu_exc.last.code;
    tu_exc.armed = 1;
    int r = page_holds(base, i, gen);
    tu_exc.armed = 0;
    *ok = r;
    return 0;
}

/* ---- umm/commit/charge --------------------------------------------------------------------- */
static void test_commit_charge(void **state) {
    (void)state;
    fi_setup();
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(8 * TU_MIB, 0, 0);
    tu_sys_new_cfg(&c, &sys, &proc);
    char *r = tu_reserve(proc, TU_MIB, TU_RW);
    assert_int_equal(umm_commit(proc, r, 4 * PG, TU_RW), UMM_OK);
    for (size_t i = 0; i < 4; i++)
        mark(r, i, 7);
    uint64_t before = tu_stats(sys).committed;

    assert_int_equal(umm_failpoint_enable("umm/commit/charge", 1.0, 0), 0);
    assert_int_equal(umm_commit(proc, r, TU_MIB, TU_RW), UMM_E_COMMIT_LIMIT);
    assert_int_equal(umm_commit(proc, r + 8 * PG, PG, TU_RW), UMM_E_COMMIT_LIMIT);
    assert_int_equal(tu_stats(sys).committed, before);
    assert_int_equal(tu_pstats(proc).committed, before);
    /* (the point fires in mm_commit_charge before the amount is looked at, so even a commit of
     * pages that are all committed already, which charges nothing, fails while it is on) */
    assert_int_equal(umm_commit(proc, r, 4 * PG, TU_RW), UMM_E_COMMIT_LIMIT);
    umm_region_info_t qi;
    assert_int_equal(umm_query(proc, r + 8 * PG, &qi), UMM_OK);
    assert_int_equal(qi.state, UMM_REGION_RESERVED);
    for (size_t i = 0; i < 4; i++)
        pu_assert_page(r + i * PG, PG, 7);
    tu_assert_consistent(sys);
    umm_failpoint_disable("umm/commit/charge");

    assert_int_equal(umm_commit(proc, r, TU_MIB, TU_RW), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, TU_MIB / PG);
    mark(r, 100, 8);
    pu_assert_page(r + 100 * PG, PG, 8);
    assert_int_equal(umm_decommit(proc, r + 4 * PG, TU_MIB - 4 * PG), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, before);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* ---- umm/pagefile/open --------------------------------------------------------------------- */
static void test_pagefile_open(void **state) {
    (void)state;
    fi_setup();
    umm_system_t *sys = NULL;
    umm_config_t c = cfg_nw(4 * TU_MIB, 8 * TU_MIB, 0);
    umm_config_t nopf = cfg_nw(4 * TU_MIB, 0, 0);
    pu_tmpdir_t t;
    pu_tmpdir_new(&t);
    umm_config_t named = c;
    named.pagefile_path = t.file;

    assert_int_equal(umm_failpoint_enable("umm/pagefile/open", 1.0, 0), 0);
    assert_int_equal(umm_system_create(&c, &sys), UMM_E_IO);
    assert_null(sys);
    assert_int_equal(umm_system_create(&named, &sys), UMM_E_IO);
    assert_null(sys);
    assert_false(pu_file_exists(t.file, NULL)); /* failed before creating anything */
    /* a system without a paging file does not open one */
    assert_int_equal(umm_system_create(&nopf, &sys), UMM_OK);
    umm_system_destroy(sys);
    sys = NULL;
    umm_failpoint_disable("umm/pagefile/open");

    umm_process_t *proc;
    tu_sys_new_cfg(&named, &sys, &proc);
    assert_true(pu_file_exists(t.file, NULL));
    assert_int_equal(tu_stats(sys).pagefile_slots, 8 * TU_MIB / PG);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
    pu_tmpdir_free(&t);
}

/* ---- umm/pagefile/grow --------------------------------------------------------------------- */
static void test_pagefile_grow(void **state) {
    (void)state;
    fi_setup();
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(4 * TU_MIB, 4 * TU_MIB, 16 * TU_MIB);
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_stats_t s0 = tu_stats(sys);
    uint64_t limit = s0.commit_limit; /* 1024 + 1024 - slack */
    assert_true(limit > 1024 && limit < 2048);
    char *r = tu_reserve(proc, 32 * TU_MIB, TU_RW);
    /* 80 %: no growth needed */
    size_t first = (size_t)(limit * 8 / 10);
    assert_int_equal(umm_commit(proc, r, first * PG, TU_RW), UMM_OK);
    for (size_t i = 0; i < first; i += 37)
        mark(r, i, 3);

    assert_int_equal(umm_failpoint_enable("umm/pagefile/grow", 1.0, 0), 0);
    /* past the old limit: growth fails, so the charge does not fit */
    size_t over = (size_t)(limit - first) + 10;
    assert_int_equal(umm_commit(proc, r + first * PG, over * PG, TU_RW), UMM_E_COMMIT_LIMIT);
    umm_stats_t s1 = tu_stats(sys);
    assert_int_equal(s1.committed, first);
    assert_int_equal(s1.commit_limit, limit);
    assert_int_equal(s1.pagefile_slots, s0.pagefile_slots);
    assert_int_equal(s1.pagefile_grows, 0);
    /* past 90 % but under the old limit: growth is attempted, fails, the commit still fits */
    size_t fits = (size_t)(limit - first) - 2;
    assert_int_equal(umm_commit(proc, r + first * PG, fits * PG, TU_RW), UMM_OK);
    assert_int_equal(tu_stats(sys).commit_limit, limit);
    assert_int_equal(tu_stats(sys).pagefile_grows, 0);
    tu_assert_consistent(sys);
    umm_failpoint_disable("umm/pagefile/grow");

    assert_int_equal(umm_commit(proc, r + (first + fits) * PG, over * PG, TU_RW), UMM_OK);
    umm_stats_t s2 = tu_stats(sys);
    assert_true(s2.pagefile_grows >= 1);
    assert_true(s2.commit_limit > limit);
    assert_true(s2.pagefile_slots > s0.pagefile_slots);
    for (size_t i = 0; i < first; i += 37)
        pu_assert_page(r + i * PG, PG, 3);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* ---- umm/frame/alloc and umm/os/map: in-page errors on the fault path ---------------------- */
/* want_errno: the exception's os_error (0 when the failure is not the kernel's). */
static void in_page_point(const char *point, int want_error, int want_errno) {
    fi_setup();
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(8 * TU_MIB, 16 * TU_MIB, 0);
    tu_sys_new_cfg(&c, &sys, &proc);
    tu_exc_install(sys);
    char *r = tu_reserve(proc, TU_MIB, TU_RW);
    assert_int_equal(umm_commit(proc, r, TU_MIB, TU_RW), UMM_OK);
    for (size_t i = 0; i < 64; i++)
        mark(r, i, 5);
    umm_stats_t s0 = tu_stats(sys);

    assert_int_equal(umm_failpoint_enable(point, 1.0, 0), 0);
    /* a fresh (demand-zero) page */
    assert_int_equal(try_mark(r, 200, 6), UMM_EXC_IN_PAGE_ERROR);
    assert_int_equal(tu_exc.last.error, want_error);
    assert_int_equal(tu_exc.last.os_error, want_errno);
    assert_ptr_equal(tu_exc.last.address, r + 200 * PG);
    assert_ptr_equal(tu_exc.last.process, proc);
    int ok = 0;
    assert_int_equal(try_check(r, 201, 0, &ok), UMM_EXC_IN_PAGE_ERROR);
    /* pages already valid are not affected */
    for (size_t i = 0; i < 64; i++)
        pu_assert_page(r + i * PG, PG, 5);
    umm_stats_t s1 = tu_stats(sys);
    assert_int_equal(s1.committed, s0.committed);
    assert_true(s1.faults_in_page_error >= s0.faults_in_page_error + 2);
    assert_int_equal(s1.working_set, s0.working_set);
    tu_assert_consistent(sys);
    umm_failpoint_disable(point);

    assert_int_equal(try_mark(r, 200, 6), 0);
    pu_assert_page(r + 200 * PG, PG, 6);
    assert_true(page_holds(r, 201, 0));
    for (size_t i = 0; i < 64; i++)
        pu_assert_page(r + i * PG, PG, 5);
    tu_assert_consistent(sys);
    assert_int_equal(umm_set_exception_handler(sys, NULL, NULL), UMM_OK);
    umm_system_destroy(sys);
}

static void test_frame_alloc(void **state) {
    (void)state;
    in_page_point("umm/frame/alloc", UMM_E_NO_FRAMES, 0);
}

static void test_os_map(void **state) {
    (void)state;
    /* a mapping call's ENOMEM is the kernel's mapping limit, and the errno is kept */
    in_page_point("umm/os/map", UMM_E_VMA_LIMIT, ENOMEM);
}

/* umm/os/map sits in mm_hw_map (mmap of a frame). A trimmed page keeps its kernel mapping (made
 * inaccessible with mprotect), so its soft fault only calls mprotect and does not pass the point:
 * with the point on, the soft fault still succeeds and the data is intact. */
static void test_os_map_soft_fault_keeps_mapping(void **state) {
    (void)state;
    fi_setup();
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(8 * TU_MIB, 16 * TU_MIB, 0);
    tu_sys_new_cfg(&c, &sys, &proc);
    tu_exc_install(sys);
    char *r = tu_alloc(proc, 512 * TU_KIB);
    for (size_t i = 0; i < 64; i++)
        mark(r, i, 9);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    umm_stats_t s0 = tu_stats(sys);
    assert_int_equal(s0.modified, 64);
    assert_int_equal(umm_failpoint_enable("umm/os/map", 1.0, 0), 0);
    int ok = 0;
    assert_int_equal(try_check(r, 10, 9, &ok), 0);
    assert_true(ok);
    assert_true(tu_stats(sys).faults_transition > s0.faults_transition);
    /* while a fresh page still cannot be mapped */
    assert_int_equal(try_mark(r, 100, 1), UMM_EXC_IN_PAGE_ERROR);
    tu_assert_consistent(sys);
    umm_failpoint_disable("umm/os/map");
    for (size_t i = 0; i < 64; i++)
        pu_assert_page(r + i * PG, PG, 9);
    tu_assert_consistent(sys);
    assert_int_equal(umm_set_exception_handler(sys, NULL, NULL), UMM_OK);
    umm_system_destroy(sys);
}

/* ---- umm/os/protect and umm/os/unmap: the other two MMU operations -------------------------- */
/* mprotect refused: trimming falls back to unmapping (pages still leave the working set and come
 * back intact by soft fault), umm_protect reports UMM_E_VMA_LIMIT; with the point off, all works. */
static void test_os_protect(void **state) {
    (void)state;
    fi_setup();
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(8 * TU_MIB, 0, 0);
    tu_sys_new_cfg(&c, &sys, &proc);
    char *r = tu_alloc(proc, 256 * TU_KIB);
    for (size_t i = 0; i < 64; i++)
        mark(r, i, 3);
    assert_int_equal(umm_failpoint_enable("umm/os/protect", 1.0, 0), 0);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(tu_stats(sys).working_set, 0);
    int old = -1;
    assert_int_equal(umm_protect(proc, r, 64 * PG, UMM_PROT_READ, &old), UMM_OK); /* nothing mapped */
    for (size_t i = 0; i < 64; i++)
        assert_true(page_holds(r, i, 3));
    assert_int_equal(umm_protect(proc, r, 64 * PG, TU_RW, &old), UMM_E_VMA_LIMIT);
    tu_assert_consistent(sys);
    umm_failpoint_disable("umm/os/protect");
    assert_int_equal(umm_protect(proc, r, 64 * PG, TU_RW, &old), UMM_OK);
    for (size_t i = 0; i < 64; i++) {
        assert_true(page_holds(r, i, 3));
        mark(r, i, 4);
    }
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* The anonymous remap refused: decommit of mapped pages fails and changes nothing; with both
 * protect and unmap refused, trimming trims nothing. Data intact; with the points off, all works. */
static void test_os_unmap(void **state) {
    (void)state;
    fi_setup();
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(8 * TU_MIB, 0, 0);
    tu_sys_new_cfg(&c, &sys, &proc);
    char *r = tu_alloc(proc, 256 * TU_KIB);
    for (size_t i = 0; i < 64; i++)
        mark(r, i, 5);
    umm_stats_t s0 = tu_stats(sys);
    assert_int_equal(umm_failpoint_enable("umm/os/unmap", 1.0, 0), 0);
    assert_int_equal(umm_decommit(proc, r, 64 * PG), UMM_E_VMA_LIMIT);
    assert_int_equal(umm_last_os_error(), ENOMEM); /* the errno behind it is kept */
    assert_int_equal(tu_stats(sys).committed, s0.committed);
    assert_int_equal(umm_failpoint_enable("umm/os/protect", 1.0, 0), 0);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(tu_stats(sys).working_set, s0.working_set);
    for (size_t i = 0; i < 64; i++)
        assert_true(page_holds(r, i, 5));
    tu_assert_consistent(sys);
    umm_failpoint_disable("umm/os/protect");
    umm_failpoint_disable("umm/os/unmap");
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(tu_stats(sys).working_set, 0);
    for (size_t i = 0; i < 64; i++)
        assert_true(page_holds(r, i, 5));
    assert_int_equal(umm_decommit(proc, r, 64 * PG), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, s0.committed - 64);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* Hook: fail the check that brings *ctx to 0 (the nth one), pass every other. */
static int fail_nth(const char *name, void *ctx) {
    (void)name;
    int *left = ctx;
    return --*left == 0;
}

/* A soft fault brings a cluster back in two kernel calls (pages from Modified read-write, pages
 * from Standby read-only); the second call is refused and so is the unmap that would undo the
 * first. The access is retried and the pages stay valid and dirty, the first run mapped
 * read-write. Trimming must then take that access away: a write after the trim faults and is
 * kept through the paging file, and no frame given to another page stays reachable from these.
 * (Seen once in test_stress as a page reading zeros through a mapping of a repurposed frame.) */
static void test_soft_fault_refused_twice(void **state) {
    (void)state;
    fi_setup();
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(1 * TU_MIB, 4 * TU_MIB, 0);
    c.cluster_pages = 8;
    tu_sys_new_cfg(&c, &sys, &proc);
    tu_exc_install(sys);
    char *r = tu_alloc(proc, 8 * PG);
    int ok = 0;
    for (size_t i = 0; i < 8; i++)
        mark(r, i, 1);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(try_check(r, 0, 1, &ok), 0); /* the cluster comes back clean */
    for (size_t i = 0; i < 4; i++)
        mark(r, i, 2);
    assert_int_equal(umm_ws_empty(proc), UMM_OK); /* 0-3 to Modified, 4-7 to Standby */
    umm_stats_t s0 = tu_stats(sys);
    assert_int_equal(s0.modified, 4);
    int protect_left = 2, unmap_left = 1;
    assert_int_equal(umm_failpoint_set_hook("umm/os/protect", fail_nth, &protect_left), UMM_OK);
    assert_int_equal(umm_failpoint_set_hook("umm/os/unmap", fail_nth, &unmap_left), UMM_OK);
    assert_int_equal(try_check(r, 0, 2, &ok), 0);
    umm_failpoint_disable("umm/os/protect");
    umm_failpoint_disable("umm/os/unmap");
    assert_true(ok);
    assert_true(protect_left <= 0 && unmap_left <= 0); /* both refusals happened */
    tu_assert_consistent(sys);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    umm_stats_t s1 = tu_stats(sys);
    assert_int_equal(try_mark(r, 1, 3), 0); /* must fault: the page is out of the working set */
    assert_true(tu_stats(sys).faults_transition > s1.faults_transition);
    pu_page_out(sys, proc);
    /* every free frame to other pages: a mapping left on one of ours would show their data */
    umm_stats_t s2 = tu_stats(sys);
    size_t other = (size_t)(s2.zeroed + s2.free);
    char *o = tu_alloc(proc, other * PG);
    for (size_t i = 0; i < other; i++)
        mark(o, i, 100 + i);
    static const uint64_t want[8] = {2, 3, 2, 2, 1, 1, 1, 1};
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(try_check(r, i, want[i], &ok), 0);
        if (!ok)
            fail_msg("page %zu does not hold gen %" PRIu64, i, want[i]);
    }
    tu_assert_consistent(sys);
    assert_int_equal(umm_set_exception_handler(sys, NULL, NULL), UMM_OK);
    umm_system_destroy(sys);
}

/* ---- umm/pagefile/write -------------------------------------------------------------------- */
static void test_pagefile_write(void **state) {
    (void)state;
    fi_setup();
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(8 * TU_MIB, 16 * TU_MIB, 0);
    tu_sys_new_cfg(&c, &sys, &proc);
    char *r = tu_alloc(proc, TU_MIB);
    for (size_t i = 0; i < 256; i++)
        mark(r, i, 11);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    umm_stats_t s0 = tu_stats(sys);
    assert_int_equal(s0.modified, 256);

    assert_int_equal(umm_failpoint_enable("umm/pagefile/write", 1.0, 0), 0);
    assert_int_equal(umm_flush_modified(sys), UMM_E_IO);
    umm_stats_t s1 = tu_stats(sys);
    assert_int_equal(s1.modified, 256);
    assert_int_equal(s1.pages_output, 0);
    assert_int_equal(s1.pagefile_used, 0); /* the slots were given back */
    assert_true(s1.writer_errors >= 1);
    /* a balance pass writes too: it fails the same way and loses nothing */
    assert_int_equal(umm_balance(sys), UMM_OK);
    assert_int_equal(tu_stats(sys).modified, 256);
    tu_assert_consistent(sys);
    for (size_t i = 0; i < 256; i += 5) /* soft faults bring them back */
        pu_assert_page(r + i * PG, PG, 11);
    tu_assert_consistent(sys);
    umm_failpoint_disable("umm/pagefile/write");

    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    umm_stats_t s2 = tu_stats(sys);
    assert_int_equal(s2.modified, 0);
    assert_true(s2.pages_output >= 256);
    uint64_t purged = 0;
    assert_int_equal(umm_standby_purge(sys, 7, &purged), UMM_OK);
    assert_true(purged >= 256);
    for (size_t i = 0; i < 256; i++)
        pu_assert_page(r + i * PG, PG, 11);
    assert_true(tu_stats(sys).faults_hard > 0);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* ---- umm/pagefile/read --------------------------------------------------------------------- */
static void test_pagefile_read(void **state) {
    (void)state;
    fi_setup();
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(8 * TU_MIB, 16 * TU_MIB, 0);
    tu_sys_new_cfg(&c, &sys, &proc);
    tu_exc_install(sys);
    char *r = tu_alloc(proc, TU_MIB);
    for (size_t i = 0; i < 256; i++)
        mark(r, i, 13);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    uint64_t purged = 0;
    assert_int_equal(umm_standby_purge(sys, 7, &purged), UMM_OK);
    assert_int_equal(purged, 256);
    umm_stats_t s0 = tu_stats(sys);

    assert_int_equal(umm_failpoint_enable("umm/pagefile/read", 1.0, 0), 0);
    int ok = 0;
    assert_int_equal(try_check(r, 17, 13, &ok), UMM_EXC_IN_PAGE_ERROR);
    assert_int_equal(tu_exc.last.error, UMM_E_IO);
    assert_ptr_equal(tu_exc.last.address, r + 17 * PG);
    assert_int_equal(try_mark(r, 18, 14), UMM_EXC_IN_PAGE_ERROR);
    umm_stats_t s1 = tu_stats(sys);
    assert_true(s1.read_errors >= s0.read_errors + 2);
    assert_int_equal(s1.pages_input, s0.pages_input);
    assert_int_equal(s1.pagefile_used, s0.pagefile_used); /* the slots still hold the pages */
    assert_int_equal(s1.available, s0.available);         /* the frames went back */
    assert_int_equal(s1.committed, s0.committed);
    tu_assert_consistent(sys);
    umm_failpoint_disable("umm/pagefile/read");

    for (size_t i = 0; i < 256; i++)
        pu_assert_page(r + i * PG, PG, 13);
    assert_true(tu_stats(sys).faults_hard > s0.faults_hard);
    tu_assert_consistent(sys);
    assert_int_equal(umm_set_exception_handler(sys, NULL, NULL), UMM_OK);
    umm_system_destroy(sys);
}

/* ---- umm/worker/start ---------------------------------------------------------------------- */
static void test_worker_start(void **state) {
    (void)state;
    fi_setup();
    umm_system_t *sys = NULL;
    umm_config_t c = pu_config(4 * TU_MIB, 8 * TU_MIB, 0, 0);
    umm_config_t nw = cfg_nw(4 * TU_MIB, 8 * TU_MIB, 0);
    assert_int_equal(umm_failpoint_enable("umm/worker/start", 1.0, 0), 0);
    assert_int_equal(umm_system_create(&c, &sys), UMM_E_OS);
    assert_null(sys);
    assert_int_equal(umm_system_create(&nw, &sys), UMM_OK); /* no workers: not affected */
    umm_system_destroy(sys);
    sys = NULL;
    umm_failpoint_disable("umm/worker/start");
    umm_process_t *proc;
    tu_sys_new_cfg(&c, &sys, &proc);
    char *r = tu_alloc(proc, TU_GRAN);
    mark(r, 0, 1);
    pu_assert_page(r, PG, 1);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* ---- a long random run with several points failing at random ------------------------------- */
static const char *const random_points[] = {
    "umm/frame/alloc", "umm/os/map", "umm/commit/charge", "umm/pagefile/grow",
    "umm/pagefile/write", "umm/pagefile/read",
};
#define NRANDOM (sizeof random_points / sizeof random_points[0])

#define RR_PAGES 2048 /* 8 MiB of address space over 4 MiB of RAM */
#define RR_STEPS 20000

static void test_random_run(void **state) {
    (void)state;
    fi_setup();
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(4 * TU_MIB, 8 * TU_MIB, 24 * TU_MIB);
    c.cluster_pages = 8;
    tu_sys_new_cfg(&c, &sys, &proc);
    tu_exc_install(sys);
    char *r = tu_reserve(proc, RR_PAGES * PG, TU_RW);
    static uint64_t gen[RR_PAGES];    /* expected contents; 0 = zero page */
    static unsigned char com[RR_PAGES]; /* committed? */
    memset(gen, 0, sizeof gen);
    memset(com, 0, sizeof com);
    uint64_t ncommitted = 0, next_gen = 1;
    unsigned long ops[10] = {0}, inpage = 0, failed_calls = 0;
    pu_rng_t rng = {0x5eed};

    for (size_t k = 0; k < NRANDOM; k++)
        assert_int_equal(umm_failpoint_enable(random_points[k], 0.05, 0), 0);

    uint64_t t0 = pu_now_ms();
    for (int step = 0; step < RR_STEPS; step++) {
        unsigned op = (unsigned)(pu_next(&rng) % 100);
        size_t i = (size_t)(pu_next(&rng) % RR_PAGES);
        size_t n = 1 + (size_t)(pu_next(&rng) % 32);
        if (i + n > RR_PAGES)
            n = RR_PAGES - i;
        if (op < 12) { /* commit */
            ops[0]++;
            int rc = umm_commit(proc, r + i * PG, n * PG, TU_RW);
            if (rc == UMM_OK) {
                for (size_t k = i; k < i + n; k++)
                    if (!com[k]) {
                        com[k] = 1;
                        gen[k] = 0;
                        ncommitted++;
                    }
            } else {
                assert_int_equal(rc, UMM_E_COMMIT_LIMIT);
                failed_calls++;
            }
        } else if (op < 17) { /* decommit */
            ops[1]++;
            assert_int_equal(umm_decommit(proc, r + i * PG, n * PG), UMM_OK);
            for (size_t k = i; k < i + n; k++)
                if (com[k]) {
                    com[k] = 0;
                    ncommitted--;
                }
        } else if (op < 55) { /* write a page */
            ops[2]++;
            if (!com[i])
                continue;
            uint64_t g = next_gen++;
            int e = try_mark(r, i, g);
            if (e == 0) {
                gen[i] = g;
            } else {
                assert_int_equal(e, UMM_EXC_IN_PAGE_ERROR);
                inpage++;
            }
        } else if (op < 85) { /* read a page */
            ops[3]++;
            if (!com[i])
                continue;
            int ok = 0;
            int e = try_check(r, i, gen[i], &ok);
            if (e == 0) {
                if (!ok)
                    fail_msg("step %d: page %zu does not hold gen %" PRIu64, step, i, gen[i]);
            } else {
                assert_int_equal(e, UMM_EXC_IN_PAGE_ERROR);
                inpage++;
            }
        } else if (op < 90) { /* trim */
            ops[4]++;
            assert_int_equal(umm_ws_trim(proc, n * 4), UMM_OK);
        } else if (op < 92) {
            ops[5]++;
            assert_int_equal(umm_ws_empty(proc), UMM_OK);
        } else if (op < 96) { /* flush */
            ops[6]++;
            int rc = umm_flush_modified(sys);
            if (rc != UMM_OK) {
                assert_int_equal(rc, UMM_E_IO);
                failed_calls++;
            }
        } else if (op < 98) {
            ops[7]++;
            uint64_t purged;
            assert_int_equal(umm_standby_purge(sys, (unsigned)(pu_next(&rng) % 8), &purged),
                             UMM_OK);
        } else {
            ops[8]++;
            assert_int_equal(umm_balance(sys), UMM_OK);
        }
        assert_int_equal(umm_check(sys), UMM_OK);
        assert_int_equal(tu_stats(sys).committed, ncommitted);
    }
    for (size_t k = 0; k < NRANDOM; k++)
        umm_failpoint_disable(random_points[k]);

    umm_stats_t s = tu_stats(sys);
    print_message("random run: %lu commits %lu decommits %lu writes %lu reads %lu trims, "
                  "%lu in-page errors, %lu failed calls, %" PRIu64 " hard faults, %" PRIu64
                  " writer errors, %" PRIu64 " read errors, %" PRIu64 " ms\n",
                  ops[0], ops[1], ops[2], ops[3], ops[4] + ops[5], inpage, failed_calls,
                  s.faults_hard, s.writer_errors, s.read_errors, pu_now_ms() - t0);
    assert_true(inpage > 0);
    assert_true(failed_calls > 0);

    /* everything off: every committed page holds what its last successful write stored, also
     * after a full round trip through the paging file */
    for (int round = 0; round < 2; round++) {
        for (size_t k = 0; k < RR_PAGES; k++) {
            if (!com[k])
                continue;
            int ok = 0;
            assert_int_equal(try_check(r, k, gen[k], &ok), 0);
            if (!ok)
                fail_msg("round %d: page %zu does not hold gen %" PRIu64, round, k, gen[k]);
        }
        assert_int_equal(umm_ws_empty(proc), UMM_OK);
        assert_int_equal(umm_flush_modified(sys), UMM_OK);
        uint64_t purged;
        assert_int_equal(umm_standby_purge(sys, 7, &purged), UMM_OK);
        tu_assert_consistent(sys);
    }
    assert_int_equal(tu_stats(sys).committed, ncommitted);
    assert_int_equal(umm_decommit(proc, r, RR_PAGES * PG), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, 0);
    tu_assert_consistent(sys);
    assert_int_equal(umm_set_exception_handler(sys, NULL, NULL), UMM_OK);
    umm_system_destroy(sys);
}

/* The kernel refuses address space: umm_reserve fails cleanly, with the errno kept. */
static void test_os_reserve(void **state) {
    (void)state;
    fi_setup();
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(8 * TU_MIB, 0, 0);
    tu_sys_new_cfg(&c, &sys, &proc);
    void *p = NULL;
    assert_int_equal(umm_failpoint_enable("umm/os/reserve", 1.0, 0), UMM_OK);
    assert_int_equal(umm_reserve(proc, TU_GRAN, TU_RW, &p), UMM_E_NOMEM);
    assert_int_equal(umm_last_os_error(), ENOMEM);
    assert_null(p);
    assert_int_equal(tu_pstats(proc).reservations, 0);
    umm_failpoint_disable("umm/os/reserve");
    assert_int_equal(umm_reserve(proc, TU_GRAN, TU_RW, &p), UMM_OK);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_charge),
        cmocka_unit_test(test_pagefile_open),
        cmocka_unit_test(test_pagefile_grow),
        cmocka_unit_test(test_frame_alloc),
        cmocka_unit_test(test_os_map),
        cmocka_unit_test(test_os_map_soft_fault_keeps_mapping),
        cmocka_unit_test(test_os_protect),
        cmocka_unit_test(test_os_unmap),
        cmocka_unit_test(test_soft_fault_refused_twice),
        cmocka_unit_test(test_os_reserve),
        cmocka_unit_test(test_pagefile_write),
        cmocka_unit_test(test_pagefile_read),
        cmocka_unit_test(test_worker_start),
        cmocka_unit_test(test_random_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
