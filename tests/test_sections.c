/* test_sections.c - sections: shared memory backed by the paging file (CreateFileMapping with
 * INVALID_HANDLE_VALUE + MapViewOfFile), implemented with prototype PTEs.
 *
 * Covered: argument checking and commit charge at creation (rounding, the commit limit), views
 * (query, protection, no second charge, the tail of the view's reservation), sharing between two
 * views of one process and of two processes (cluster 1 and 16), zero pages, working sets (a view's
 * pages count in the process's working set; emptying one process loses nothing and does not
 * disturb the other; emptying all + flush + purge brings the data back by hard faults, with the
 * dirty state of shared pages tracked), decommit/protect/release on views, the section's life
 * (it keeps its data with no views; it goes with its last view after close, giving back charge,
 * paging-file slots and frames), process and system destruction with views, paging I/O errors
 * (failure points), counters, guard pages and hard working-set maxima on views, two threads writing
 * through two views while working sets are trimmed, a random mix of sections/views/processes
 * checked against a model (UMM_SECTIONS_SEED=n tries another seed), a section three times the
 * RAM, and Windows rules beyond the header (no private commit in a view's tail, no upgrading a
 * read-only view, a growable paging file grows for a section's charge).
 *
 * tu_assert_consistent() is not used: its "working_set <= active" does not hold once a frame is
 * mapped by two views (sc_consistent() is the same check without it).
 *
 * Data in shared pages is keyed by the page index inside the section, not by the address, so
 * two views at different addresses can check each other. Systems are created inside each test
 * body (cmocka swaps the SIGSEGV handler between tests). */
#include "paging_util.h"

#include <pthread.h>

#define PG PU_PG
#define MIB TU_MIB
#define RW TU_RW

/* ---------------------------------------------------------------------------------------------
 * helpers
 * ------------------------------------------------------------------------------------------- */

static unsigned char *at(void *base, size_t page) { return (unsigned char *)base + page * PG; }

/* Value of word `w` of page `page` of a section, generation `gen` (gen 0: zero). */
static uint64_t kv(size_t page, size_t w, uint64_t gen) {
    if (gen == 0)
        return 0;
    return tu_mix(((uint64_t)page << 20 | (uint64_t)w) ^ (gen * 0x9e3779b97f4a7c15ULL)) | 1;
}

/* Fill a whole page of a view (all 512 words). */
static void fill_idx(void *view, size_t page, uint64_t gen) {
    volatile uint64_t *w = (volatile uint64_t *)at(view, page);
    for (size_t i = 0; i < PG / 8; i++)
        w[i] = kv(page, i, gen);
}

/* First word of the page that is wrong, or (size_t)-1. */
static size_t verify_idx(const void *view, size_t page, uint64_t gen) {
    const volatile uint64_t *w = (const volatile uint64_t *)at((void *)(uintptr_t)view, page);
    for (size_t i = 0; i < PG / 8; i++)
        if (w[i] != kv(page, i, gen))
            return i;
    return (size_t)-1;
}

#define assert_page_idx(view, page, gen)                                                        \
    do {                                                                                        \
        size_t bad_ = verify_idx((view), (page), (gen));                                        \
        if (bad_ != (size_t)-1)                                                                 \
            fail_msg("view %p page %zu word %zu: %016" PRIx64 ", want %016" PRIx64 " (gen %d)", \
                     (void *)(view), (size_t)(page), bad_,                                      \
                     ((const volatile uint64_t *)at((view), (page)))[bad_],                     \
                     kv((page), bad_, (gen)), (int)(gen));                                      \
    } while (0)

static void fill_all(void *view, size_t npages, uint64_t gen) {
    for (size_t i = 0; i < npages; i++)
        fill_idx(view, i, gen);
}

static void verify_all(void *view, size_t npages, uint64_t gen) {
    for (size_t i = 0; i < npages; i++)
        assert_page_idx(view, i, gen);
}

/* Three words per page (first, middle, last): cheap marking for the big tests. */
static const size_t mark_words[3] = {0, 219, PG / 8 - 1};

static void mark_idx(void *view, size_t page, uint64_t gen) {
    volatile uint64_t *w = (volatile uint64_t *)at(view, page);
    for (size_t k = 0; k < 3; k++)
        w[mark_words[k]] = kv(page, mark_words[k], gen);
}

static int check_mark_idx(const void *view, size_t page, uint64_t gen) {
    const volatile uint64_t *w = (const volatile uint64_t *)at((void *)(uintptr_t)view, page);
    for (size_t k = 0; k < 3; k++)
        if (w[mark_words[k]] != kv(page, mark_words[k], gen))
            return 0;
    return 1;
}

static umm_section_t *sec_new(umm_system_t *sys, size_t bytes) {
    umm_section_t *s = NULL;
    assert_int_equal(umm_section_create(sys, bytes, &s), UMM_OK);
    assert_non_null(s);
    return s;
}

static unsigned char *view_new(umm_process_t *proc, umm_section_t *sec, int prot) {
    void *v = NULL;
    assert_int_equal(umm_section_map(proc, sec, prot, &v), UMM_OK);
    assert_non_null(v);
    return v;
}

static umm_process_t *proc_new(umm_system_t *sys) {
    umm_process_t *p = NULL;
    assert_int_equal(umm_process_create(sys, &p), UMM_OK);
    assert_non_null(p);
    return p;
}

static umm_config_t cfg_nw(size_t ram, size_t pagefile, unsigned cluster) {
    umm_config_t c = pu_config(ram, pagefile, 0, UMM_CFG_NO_WORKERS);
    c.cluster_pages = cluster;
    return c;
}

/* tu_assert_consistent without "working_set <= active": a frame mapped by two views is one
 * Active frame but two valid pages (Windows' working sets add up past the RAM in use the same
 * way). Everything else, and umm_check, as there. */
static void sc_consistent(umm_system_t *sys) {
    umm_stats_t s = tu_stats(sys);
    uint64_t sum = s.zeroed + s.free + s.standby + s.modified + s.modified_nowrite + s.bad + s.active;
    assert_int_equal(sum, s.total_frames);
    assert_int_equal(s.available, s.zeroed + s.free + s.standby);
    assert_true(s.committed <= s.commit_limit);
    assert_true(s.commit_peak >= s.committed);
    assert_int_equal(umm_check(sys), UMM_OK);
}

/* The frames, charge and paging-file use of a system with nothing allocated. */
static void assert_baseline(umm_system_t *sys, const umm_stats_t *b) {
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.committed, b->committed);
    assert_int_equal(s.pagefile_used, b->pagefile_used);
    assert_int_equal(s.active, b->active);
    assert_int_equal(s.modified, b->modified);
    assert_int_equal(s.modified_nowrite, b->modified_nowrite);
    assert_int_equal(s.standby, b->standby);
    assert_int_equal(s.available, b->available);
    assert_int_equal(s.free + s.zeroed, b->free + b->zeroed);
    assert_int_equal(s.working_set, b->working_set);
    sc_consistent(sys);
}

/* Wait until the zero page thread has nothing to do, then check (it races with umm_check). */
static void check_quiet(umm_system_t *sys) {
    uint64_t t0 = pu_now_ms();
    while (tu_stats(sys).free != 0 && pu_now_ms() - t0 < 3000)
        pu_sleep_ms(5);
    sc_consistent(sys);
}

/* ============================================================================================
 * creation, charge, arguments
 * ========================================================================================== */

/* Bad arguments; bytes rounded up to pages; the charge is taken at creation and given back by a
 * close with no views, at once. */
static void test_create_args_and_charge(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(4 * MIB, 0, 1);
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_stats_t b = tu_stats(sys);
    umm_section_t *s = (umm_section_t *)(uintptr_t)0x1;

    assert_int_equal(umm_section_create(NULL, PG, &s), UMM_E_INVAL);
    assert_int_equal(umm_section_create(sys, PG, NULL), UMM_E_INVAL);
    s = NULL;
    assert_int_equal(umm_section_create(sys, 0, &s), UMM_E_RANGE);
    assert_null(s);
    int rc = umm_section_create(sys, SIZE_MAX, &s);
    assert_int_not_equal(rc, UMM_OK);
    assert_null(s);
    rc = umm_section_create(sys, SIZE_MAX - PG + 2, &s); /* rounding up overflows */
    assert_int_not_equal(rc, UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.committed);
    assert_int_equal(umm_section_close(NULL), UMM_E_INVAL);
    sc_consistent(sys);

    /* 1 byte: one page */
    umm_section_t *s1 = sec_new(sys, 1);
    assert_int_equal(tu_stats(sys).committed, b.committed + 1);
    sc_consistent(sys);
    /* one page and one byte: two pages */
    umm_section_t *s2 = sec_new(sys, PG + 1);
    assert_int_equal(tu_stats(sys).committed, b.committed + 3);
    /* exact pages */
    umm_section_t *s3 = sec_new(sys, 100 * PG);
    assert_int_equal(tu_stats(sys).committed, b.committed + 103);
    /* creation takes no frames (pages are demand-zero until touched) */
    umm_stats_t s_now = tu_stats(sys);
    assert_int_equal(s_now.active, b.active);
    assert_int_equal(s_now.available, b.available);
    assert_true(s_now.commit_peak >= b.committed + 103);
    sc_consistent(sys);

    /* close with no views: the charge comes back at once */
    assert_int_equal(umm_section_close(s2), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.committed + 101);
    sc_consistent(sys);
    assert_int_equal(umm_section_close(s1), UMM_OK);
    assert_int_equal(umm_section_close(s3), UMM_OK);
    assert_baseline(sys, &b);

    umm_system_destroy(sys);
}

/* The commit limit: a section past it fails and changes nothing; one exactly at it succeeds and
 * then ordinary commits fail until it is closed. */
static void test_create_commit_limit(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(4 * MIB, 0, 1);
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_stats_t b = tu_stats(sys);
    assert_int_equal(b.commit_limit, 1024); /* no paging file: the RAM */
    uint64_t room = b.commit_limit - b.committed;

    umm_section_t *s = NULL;
    assert_int_equal(umm_section_create(sys, (room + 1) * PG, &s), UMM_E_COMMIT_LIMIT);
    assert_null(s);
    assert_int_equal(tu_stats(sys).committed, b.committed);
    assert_int_equal(umm_section_create(sys, 64 * MIB, &s), UMM_E_COMMIT_LIMIT);
    assert_int_equal(tu_stats(sys).committed, b.committed);
    sc_consistent(sys);

    /* 1000 pages, then 100 more pages fail: sections and private commits share the limit */
    umm_section_t *big = sec_new(sys, 1000 * PG);
    assert_int_equal(tu_stats(sys).committed, b.committed + 1000);
    char *r = tu_reserve(proc, 1 * MIB, RW);
    if (b.committed + 1000 + 100 > b.commit_limit) {
        assert_int_equal(umm_commit(proc, r, 100 * PG, RW), UMM_E_COMMIT_LIMIT);
        assert_int_equal(umm_section_create(sys, 100 * PG, &s), UMM_E_COMMIT_LIMIT);
    }
    assert_int_equal(tu_stats(sys).committed, b.committed + 1000);
    sc_consistent(sys);

    /* exactly up to the limit works */
    umm_section_t *rest = sec_new(sys, (room - 1000) * PG);
    assert_int_equal(tu_stats(sys).committed, b.commit_limit);
    assert_int_equal(umm_section_create(sys, PG, &s), UMM_E_COMMIT_LIMIT);
    assert_int_equal(umm_commit(proc, r, PG, RW), UMM_E_COMMIT_LIMIT);
    /* a view charges nothing, so it can be made at the limit and used */
    unsigned char *v = view_new(proc, rest, RW);
    assert_int_equal(tu_stats(sys).committed, b.commit_limit);
    v[0] = 0x5a;
    assert_int_equal(v[0], 0x5a);
    sc_consistent(sys);

    assert_int_equal(umm_section_close(big), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.commit_limit - 1000);
    assert_int_equal(umm_commit(proc, r, 100 * PG, RW), UMM_OK);
    assert_int_equal(umm_decommit(proc, r, 100 * PG), UMM_OK);
    assert_int_equal(umm_section_close(rest), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.commit_limit - 1000); /* the view holds it */
    assert_int_equal(umm_release(proc, v), UMM_OK);
    assert_int_equal(umm_release(proc, r), UMM_OK);
    assert_baseline(sys, &b);

    umm_system_destroy(sys);
}

/* With a paging file the limit is larger; a section past it still fails. */
static void test_create_commit_limit_pagefile(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(4 * MIB, 8 * MIB, 1);
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_stats_t b = tu_stats(sys);
    assert_true(b.commit_limit > b.total_frames);
    uint64_t room = b.commit_limit - b.committed;
    umm_section_t *s = NULL;
    assert_int_equal(umm_section_create(sys, (room + 1) * PG, &s), UMM_E_COMMIT_LIMIT);
    assert_int_equal(tu_stats(sys).committed, b.committed);
    s = sec_new(sys, room * PG);
    assert_int_equal(tu_stats(sys).committed, b.commit_limit);
    sc_consistent(sys);
    assert_int_equal(umm_section_close(s), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* A growable paging file (4 MiB RAM, 4 MiB file growable to 16 MiB: limit 1920 pages, at most
 * 4992): a section's charge should grow it as a private commit does. Control: umm_commit of
 * 3000 pages succeeds by growing the file. */
static void test_create_commit_growth_control(void **state) {
    (void)state;
    umm_config_t c = pu_config(4 * MIB, 4 * MIB, 16 * MIB, UMM_CFG_NO_WORKERS);
    c.cluster_pages = 16;
    /* control: a private commit of 3000 pages succeeds by growing the file */
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_stats_t b = tu_stats(sys);
    assert_int_equal(b.commit_limit, 1920);
    assert_int_equal(b.pagefile_grows, 0);
    char *r = tu_reserve(proc, 16 * MIB, RW);
    assert_int_equal(umm_commit(proc, r, 3000 * PG, RW), UMM_OK);
    assert_true(tu_stats(sys).pagefile_grows >= 1);
    umm_system_destroy(sys);

}

/* As above: a section of 1800 pages (under the limit of 1920, past 90 % of it) grows the file as
 * an umm_commit of 1800 pages does (test_paging.c, test_commit_limit_pagefile_growth). */
static void test_create_commit_growth_90pct(void **state) {
    (void)state;
    umm_config_t c = pu_config(4 * MIB, 4 * MIB, 16 * MIB, UMM_CFG_NO_WORKERS);
    c.cluster_pages = 16;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_stats_t b = tu_stats(sys);
    umm_section_t *s1 = sec_new(sys, 1800 * PG);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.committed, b.committed + 1800);
    assert_true(s.pagefile_grows >= 1);
    assert_true(s.committed * 10 <= s.commit_limit * 9);
    sc_consistent(sys);
    assert_int_equal(umm_section_close(s1), UMM_OK);
    umm_system_destroy(sys);
}

/* As above: a section of 3000 pages (over the initial limit, under the maximum) succeeds, as an
 * umm_commit of 3000 pages does. */
static void test_create_commit_growth_over_initial(void **state) {
    (void)state;
    umm_config_t c = pu_config(4 * MIB, 4 * MIB, 16 * MIB, UMM_CFG_NO_WORKERS);
    c.cluster_pages = 16;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_stats_t b = tu_stats(sys), s;
    umm_section_t *s2 = NULL;
    int rc = umm_section_create(sys, 3000 * PG, &s2);
    if (rc != UMM_OK)
        fail_msg("umm_section_create(3000 pages) = %s with limit %" PRIu64 " growable to %" PRIu64
                 " (a private commit of the same size succeeds)", umm_error_name(rc),
                 tu_stats(sys).commit_limit, (uint64_t)(1024 + 4096 - 128));
    s = tu_stats(sys);
    assert_int_equal(s.committed, b.committed + 3000);
    assert_true(s.committed <= s.commit_limit);
    unsigned char *v = view_new(proc, s2, RW);
    for (size_t i = 0; i < 3000; i++)
        mark_idx(v, i, 1);
    for (size_t i = 0; i < 3000; i++)
        if (!check_mark_idx(v, i, 1))
            fail_msg("page %zu wrong", i);
    sc_consistent(sys);
    assert_int_equal(umm_section_close(s2), UMM_OK);
    assert_int_equal(umm_release(proc, v), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(s.committed, b.committed);
    assert_int_equal(s.pagefile_used, 0);
    sc_consistent(sys);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * views: arguments, query, charge
 * ========================================================================================== */

static void test_map_args_and_query(void **state) {
    (void)state;
    umm_system_t *sys, *sys2;
    umm_process_t *proc, *other;
    umm_config_t c = cfg_nw(4 * MIB, 0, 1);
    tu_sys_new_cfg(&c, &sys, &proc);
    tu_sys_new_cfg(&c, &sys2, &other);
    umm_stats_t b = tu_stats(sys);
    const size_t npages = 5;
    umm_section_t *sec = sec_new(sys, npages * PG - 100); /* 5 pages */
    assert_int_equal(tu_stats(sys).committed, b.committed + npages);

    void *v = (void *)(uintptr_t)0x1;
    assert_int_equal(umm_section_map(NULL, sec, RW, &v), UMM_E_INVAL);
    assert_int_equal(umm_section_map(proc, NULL, RW, &v), UMM_E_INVAL);
    assert_int_equal(umm_section_map(proc, sec, RW, NULL), UMM_E_INVAL);
    const int bad_prots[] = {UMM_PROT_NONE, UMM_PROT_WRITE, UMM_PROT_GUARD,
                             UMM_PROT_READ | UMM_PROT_GUARD, RW | UMM_PROT_GUARD, 0x4, 0x10, -1};
    for (size_t i = 0; i < sizeof bad_prots / sizeof bad_prots[0]; i++) {
        v = NULL;
        int rc = umm_section_map(proc, sec, bad_prots[i], &v);
        if (rc != UMM_E_INVAL)
            fail_msg("umm_section_map prot 0x%x: %s, want UMM_E_INVAL", bad_prots[i],
                     umm_error_name(rc));
        assert_null(v);
    }
    /* a process of another system */
    v = NULL;
    assert_int_equal(umm_section_map(other, sec, RW, &v), UMM_E_INVAL);
    assert_null(v);
    assert_int_equal(tu_pstats(proc).reservations, 0);
    assert_int_equal(tu_pstats(other).reservations, 0);
    sc_consistent(sys);
    sc_consistent(sys2);

    unsigned char *rw = view_new(proc, sec, RW);
    unsigned char *ro = view_new(proc, sec, UMM_PROT_READ);
    assert_ptr_not_equal(rw, ro);
    assert_int_equal((uintptr_t)rw % PG, 0);
    assert_int_equal((uintptr_t)ro % PG, 0);
    /* views charge nothing and take no frames until touched */
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.committed, b.committed + npages);
    assert_int_equal(s.active, b.active);
    assert_int_equal(tu_pstats(proc).reservations, 2);
    sc_consistent(sys);

    umm_region_info_t q;
    assert_int_equal(umm_query(proc, rw, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_COMMITTED);
    assert_ptr_equal(q.base, rw);
    assert_ptr_equal(q.allocation_base, rw);
    assert_true(q.allocation_size >= npages * PG);
    assert_true(q.size >= npages * PG);
    assert_int_equal(q.prot, RW);
    assert_int_equal(q.resident_pages, 0);
    size_t rw_alloc = q.allocation_size;
    assert_int_equal(umm_query(proc, rw + 3 * PG + 17, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_COMMITTED);
    assert_ptr_equal(q.base, rw + 3 * PG);
    assert_ptr_equal(q.allocation_base, rw);
    assert_int_equal(umm_query(proc, ro, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_COMMITTED);
    assert_ptr_equal(q.allocation_base, ro);
    assert_true(q.allocation_size >= npages * PG);
    assert_int_equal(q.prot, UMM_PROT_READ);
    /* the views do not overlap */
    assert_true(ro >= rw + rw_alloc || rw >= ro + q.allocation_size);

    /* touching pages: resident in the query */
    tu_exc_install(sys);
    rw[0] = 1;
    rw[2 * PG] = 2;
    assert_int_equal(umm_query(proc, rw, &q), UMM_OK);
    assert_int_equal(q.resident_pages, c.cluster_pages == 1 ? 2 : q.resident_pages);
    assert_int_equal(ro[0], 1);
    assert_int_equal(ro[2 * PG], 2);

    /* past the section's last page, inside the view's reservation: not accessible */
    if (rw_alloc > npages * PG) {
        assert_int_equal(umm_query(proc, rw + npages * PG, &q), UMM_OK);
        assert_int_not_equal(q.state, UMM_REGION_COMMITTED);
        assert_int_equal(tu_try_read(rw + npages * PG, NULL), UMM_EXC_ACCESS_VIOLATION);
        assert_int_equal(tu_try_write(rw + npages * PG, 1), UMM_EXC_ACCESS_VIOLATION);
    }
    sc_consistent(sys);

    assert_int_equal(umm_release(proc, ro), UMM_OK);
    assert_int_equal(umm_release(proc, rw), UMM_OK);
    assert_int_equal(umm_query(proc, rw, &q), UMM_E_NOT_RESERVED);
    assert_int_equal(q.state, UMM_REGION_FREE);
    assert_int_equal(tu_pstats(proc).reservations, 0);
    assert_int_equal(tu_stats(sys).committed, b.committed + npages); /* still open */
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys2);
    umm_system_destroy(sys);
}

/* The tail of a view's reservation (past the section's last page, up to 64 KiB) cannot be
 * committed as private memory (Windows: VirtualAlloc(MEM_COMMIT) inside a mapped view fails).
 * If it could, the view would hold pages that are not the section's. */
static void test_view_tail_not_committable(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(4 * MIB, 0, 1);
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_stats_t b = tu_stats(sys);
    const size_t npages = 5;
    umm_section_t *sec = sec_new(sys, npages * PG);
    unsigned char *v = view_new(proc, sec, RW);
    umm_region_info_t q;
    assert_int_equal(umm_query(proc, v, &q), UMM_OK);
    assert_true(q.allocation_size > npages * PG); /* 64 KiB granularity */
    int rc = umm_commit(proc, v + npages * PG, PG, RW);
    if (rc == UMM_OK)
        fail_msg("umm_commit of a page past the section inside its view succeeded (committed %"
                 PRIu64 " -> %" PRIu64 ", umm_check %s)", b.committed + npages,
                 tu_stats(sys).committed, umm_error_name(umm_check(sys)));
    assert_int_equal(tu_stats(sys).committed, b.committed + npages);
    sc_consistent(sys);
    assert_int_equal(umm_release(proc, v), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* A view mapped read-only cannot be made writable with umm_protect (Windows: VirtualProtect to
 * PAGE_READWRITE on a FILE_MAP_READ view fails); lowering it (NONE) is allowed. */
static void test_readonly_view_cannot_be_upgraded(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(4 * MIB, 0, 1);
    tu_sys_new_cfg(&c, &sys, &proc);
    tu_exc_install(sys);
    umm_stats_t b = tu_stats(sys);
    umm_section_t *sec = sec_new(sys, 4 * PG);
    unsigned char *rw = view_new(proc, sec, RW);
    unsigned char *ro = view_new(proc, sec, UMM_PROT_READ);
    rw[8] = 3;
    int rc = umm_protect(proc, ro, PG, RW, NULL);
    int wrc = tu_try_write(ro + 8, 7);
    if (rc == UMM_OK)
        fail_msg("umm_protect(read-only view, READ|WRITE) = UMM_OK; a write through it then %s "
                 "(byte now %d)", wrc == 0 ? "succeeded" : "faulted", rw[8]);
    assert_int_equal(wrc, UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(rw[8], 3);
    umm_region_info_t q;
    assert_int_equal(umm_query(proc, ro, &q), UMM_OK);
    assert_int_equal(q.prot, UMM_PROT_READ);
    sc_consistent(sys);
    assert_int_equal(umm_release(proc, ro), UMM_OK);
    assert_int_equal(umm_release(proc, rw), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * zero pages
 * ========================================================================================== */

/* Never-written pages read as zeros through any view; a page first read (zero) through one view
 * and then written through another is seen written by the first; a page written back to zeros
 * and trimmed from one process is not frozen at zero there. */
static void zero_pages(unsigned cluster) {
    umm_system_t *sys;
    umm_process_t *p1;
    umm_config_t c = cfg_nw(4 * MIB, 4 * MIB, cluster);
    tu_sys_new_cfg(&c, &sys, &p1);
    umm_process_t *p2 = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 48;
    umm_section_t *sec = sec_new(sys, n * PG);
    unsigned char *a = view_new(p1, sec, RW);
    unsigned char *r = view_new(p1, sec, UMM_PROT_READ);
    unsigned char *x = view_new(p2, sec, RW);

    /* all zero, through the read-only view first, then the others */
    for (size_t i = 0; i < n; i++)
        assert_true(tu_is_zero(at(r, i), PG));
    for (size_t i = 0; i < n; i += 3)
        assert_true(tu_is_zero(at(x, i), PG));
    for (size_t i = 0; i < n; i += 2)
        assert_true(tu_is_zero(at(a, i), PG));
    sc_consistent(sys);

    /* read first (zero) everywhere, then write through one view: every view sees it */
    for (size_t i = 0; i < n; i++)
        fill_idx(x, i, 1);
    for (size_t i = 0; i < n; i++) {
        assert_page_idx(r, i, 1);
        assert_page_idx(a, i, 1);
    }
    sc_consistent(sys);

    /* read zero through a view, trim it (a zero page "goes back to demand-zero"), write through
     * another view: the trimmed view must see the write */
    umm_section_t *sec2 = sec_new(sys, n * PG);
    unsigned char *a2 = view_new(p1, sec2, RW);
    unsigned char *x2 = view_new(p2, sec2, RW);
    for (size_t i = 0; i < n; i++)
        assert_true(tu_is_zero(at(a2, i), PG));
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    sc_consistent(sys);
    for (size_t i = 0; i < n; i++)
        fill_idx(x2, i, 7);
    for (size_t i = 0; i < n; i++)
        assert_page_idx(a2, i, 7);
    sc_consistent(sys);

    /* written with zeros through one view (so the page holds zeros), valid in the other; trim the
     * first: it must not keep a private zero page */
    for (size_t i = 0; i < n; i++)
        memset(at(a2, i), 0, PG);
    for (size_t i = 0; i < n; i++)
        assert_true(tu_is_zero(at(x2, i), PG)); /* valid in p2 now */
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    sc_consistent(sys);
    for (size_t i = 0; i < n; i++)
        fill_idx(x2, i, 9);
    for (size_t i = 0; i < n; i++)
        assert_page_idx(a2, i, 9);
    /* and both emptied with zeros in them, then written: still shared */
    for (size_t i = 0; i < n; i++)
        memset(at(x2, i), 0, PG);
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(umm_ws_empty(p2), UMM_OK);
    sc_consistent(sys);
    for (size_t i = 0; i < n; i++)
        assert_true(tu_is_zero(at(a2, i), PG));
    for (size_t i = 0; i < n; i++)
        fill_idx(x2, i, 11);
    for (size_t i = 0; i < n; i++)
        assert_page_idx(a2, i, 11);
    sc_consistent(sys);

    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(umm_section_close(sec2), UMM_OK);
    assert_int_equal(umm_release(p1, a), UMM_OK);
    assert_int_equal(umm_release(p1, r), UMM_OK);
    assert_int_equal(umm_release(p2, x), UMM_OK);
    assert_int_equal(umm_release(p1, a2), UMM_OK);
    assert_int_equal(umm_release(p2, x2), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

static void test_zero_pages_c1(void **state) {
    (void)state;
    zero_pages(1);
}

static void test_zero_pages_c16(void **state) {
    (void)state;
    zero_pages(16);
}

/* ============================================================================================
 * sharing
 * ========================================================================================== */

/* Two views in one process: a write through one is read through the other, both ways; the pages
 * count twice in the working set (two addresses) but use one frame each. */
static void shared_one_process(unsigned cluster) {
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(4 * MIB, 0, cluster);
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 64;
    umm_section_t *sec = sec_new(sys, n * PG);
    unsigned char *va = view_new(proc, sec, RW);
    unsigned char *vb = view_new(proc, sec, RW);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);

    uint64_t ws0 = tu_pstats(proc).working_set;
    for (size_t i = 0; i < n; i++)
        fill_idx(va, i, 1);
    umm_stats_t s1 = tu_stats(sys);
    uint64_t ws1 = tu_pstats(proc).working_set;
    assert_int_equal(s1.active - b.active, n); /* n pages touched, section of n pages */
    assert_int_equal(ws1 - ws0, n);
    assert_int_equal(s1.working_set - b.working_set, n);
    sc_consistent(sys);

    for (size_t i = 0; i < n; i++)
        assert_page_idx(vb, i, 1);
    umm_stats_t s2 = tu_stats(sys);
    uint64_t ws2 = tu_pstats(proc).working_set;
    assert_int_equal(s2.active, s1.active); /* the same frames */
    assert_int_equal(ws2 - ws1, n);         /* another n addresses */
    assert_int_equal(s2.committed, b.committed + n);
    umm_region_info_t q;
    assert_int_equal(umm_query(proc, vb, &q), UMM_OK);
    assert_int_equal(q.resident_pages, n);
    sc_consistent(sys);

    /* the other way, word by word in the middle of pages */
    for (size_t i = 0; i < n; i++) {
        volatile uint64_t *wb = (volatile uint64_t *)at(vb, i);
        volatile uint64_t *wa = (volatile uint64_t *)at(va, i);
        wb[100] = kv(i, 100, 2);
        assert_int_equal(wa[100], kv(i, 100, 2));
        wa[101] = kv(i, 101, 3);
        assert_int_equal(wb[101], kv(i, 101, 3));
    }
    sc_consistent(sys);

    /* release one view: its pages leave the working set, the other view keeps the data */
    assert_int_equal(umm_release(proc, va), UMM_OK);
    assert_int_equal(tu_pstats(proc).working_set, ws2 - n);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    sc_consistent(sys);
    for (size_t i = 0; i < n; i++) {
        volatile uint64_t *wb = (volatile uint64_t *)at(vb, i);
        assert_int_equal(wb[0], kv(i, 0, 1));
        assert_int_equal(wb[100], kv(i, 100, 2));
        assert_int_equal(wb[101], kv(i, 101, 3));
        assert_int_equal(wb[PG / 8 - 1], kv(i, PG / 8 - 1, 1));
    }
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    assert_int_equal(umm_release(proc, vb), UMM_OK);
    assert_baseline(sys, &b);
    assert_int_equal(tu_pstats(proc).working_set, ws0);
    umm_system_destroy(sys);
}

static void test_shared_one_process_c1(void **state) {
    (void)state;
    shared_one_process(1);
}

static void test_shared_one_process_c16(void **state) {
    (void)state;
    shared_one_process(16);
}

/* Two processes of one system, each with a view. */
static void shared_two_processes(unsigned cluster) {
    umm_system_t *sys;
    umm_process_t *p1;
    umm_config_t c = cfg_nw(4 * MIB, 0, cluster);
    tu_sys_new_cfg(&c, &sys, &p1);
    umm_process_t *p2 = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 80; /* not a multiple of 64 KiB */
    umm_section_t *sec = sec_new(sys, n * PG);
    unsigned char *v1 = view_new(p1, sec, RW);
    unsigned char *v2 = view_new(p2, sec, RW);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);

    for (size_t i = 0; i < n; i += 2)
        fill_idx(v1, i, 1);
    for (size_t i = 1; i < n; i += 2)
        fill_idx(v2, i, 2);
    umm_stats_t s1 = tu_stats(sys);
    assert_true(s1.active - b.active <= n);
    for (size_t i = 0; i < n; i++) {
        assert_page_idx(v2, i, (i & 1) ? 2 : 1);
        assert_page_idx(v1, i, (i & 1) ? 2 : 1);
    }
    umm_stats_t s2 = tu_stats(sys);
    assert_int_equal(s2.active - b.active, n); /* each page has one frame */
    assert_true(tu_pstats(p1).working_set >= n);
    assert_true(tu_pstats(p2).working_set >= n);
    if (cluster == 1) {
        assert_int_equal(tu_pstats(p1).working_set, n);
        assert_int_equal(tu_pstats(p2).working_set, n);
    }
    assert_int_equal(s2.working_set - b.working_set,
                     tu_pstats(p1).working_set + tu_pstats(p2).working_set);
    assert_int_equal(s2.committed, b.committed + n);
    sc_consistent(sys);

    /* rewrite everything from p2, read from p1 */
    for (size_t i = 0; i < n; i++)
        fill_idx(v2, i, 3);
    verify_all(v1, n, 3);
    sc_consistent(sys);

    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(umm_release(p1, v1), UMM_OK);
    assert_int_equal(tu_pstats(p1).working_set, 0);
    verify_all(v2, n, 3);
    sc_consistent(sys);
    assert_int_equal(umm_release(p2, v2), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

static void test_shared_two_processes_c1(void **state) {
    (void)state;
    shared_two_processes(1);
}

static void test_shared_two_processes_c16(void **state) {
    (void)state;
    shared_two_processes(16);
}

/* ============================================================================================
 * working sets and paging
 * ========================================================================================== */

/* Emptying one process's working set loses nothing and does not disturb the other process; the
 * emptied one reads back by soft fault even after flush + purge (the frames are still in use).
 * Emptying both + flush + purge: the data comes back from the paging file through both views,
 * and a later write through one view is not lost to the stale paging-file copy. */
static void ws_empty_paging(unsigned cluster) {
    umm_system_t *sys;
    umm_process_t *p1;
    umm_config_t c = cfg_nw(4 * MIB, 16 * MIB, cluster);
    tu_sys_new_cfg(&c, &sys, &p1);
    umm_process_t *p2 = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 64;
    umm_section_t *sec = sec_new(sys, n * PG);
    unsigned char *v1 = view_new(p1, sec, RW);
    unsigned char *v2 = view_new(p2, sec, RW);

    fill_all(v1, n, 1);
    verify_all(v2, n, 1);
    assert_int_equal(tu_pstats(p1).working_set, n);
    assert_int_equal(tu_pstats(p2).working_set, n);
    sc_consistent(sys);

    /* empty p1 only */
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(tu_pstats(p1).working_set, 0);
    assert_int_equal(tu_pstats(p2).working_set, n);
    umm_region_info_t q;
    assert_int_equal(umm_query(p1, v1, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_COMMITTED);
    assert_int_equal(q.resident_pages, 0);
    sc_consistent(sys);
    /* p2 still has every page valid: reading faults nothing */
    umm_process_stats_t p2a = tu_pstats(p2);
    verify_all(v2, n, 1);
    umm_process_stats_t p2b = tu_pstats(p2);
    assert_int_equal(p2b.faults_total, p2a.faults_total);
    assert_int_equal(p2b.working_set, n);

    /* flush + purge cannot take frames p2 maps: p1 reads back softly, nothing read from disk */
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    sc_consistent(sys);
    umm_stats_t sa = tu_stats(sys);
    umm_process_stats_t p1a = tu_pstats(p1);
    verify_all(v1, n, 1);
    umm_stats_t sb = tu_stats(sys);
    umm_process_stats_t p1b = tu_pstats(p1);
    assert_true(p1b.faults_total > p1a.faults_total);
    assert_int_equal(p1b.faults_hard, p1a.faults_hard);
    assert_int_equal(sb.faults_hard, sa.faults_hard);
    assert_int_equal(sb.pages_input, sa.pages_input);
    assert_int_equal(sb.active, sa.active);
    assert_int_equal(p1b.working_set, n);
    sc_consistent(sys);

    /* empty both: the pages leave RAM use (Modified), flush writes them, purge frees them */
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(umm_ws_empty(p2), UMM_OK);
    umm_stats_t e = tu_stats(sys);
    assert_int_equal(e.working_set, b.working_set);
    assert_int_equal(e.active, b.active);
    assert_int_equal(e.modified + e.modified_nowrite - b.modified - b.modified_nowrite, n);
    sc_consistent(sys);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    umm_stats_t f = tu_stats(sys);
    assert_int_equal(f.modified, b.modified);
    assert_int_equal(f.pagefile_used - b.pagefile_used, n);
    assert_true(f.pages_output - b.pages_output >= n);
    assert_int_equal(f.standby - b.standby, n);
    sc_consistent(sys);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    f = tu_stats(sys);
    assert_int_equal(f.standby, 0);
    assert_int_equal(f.available, f.total_frames - f.active - f.modified - f.modified_nowrite - f.bad);
    sc_consistent(sys);

    /* back through p2 (hard), then p1 (soft: the frames are in) */
    umm_stats_t h0 = tu_stats(sys);
    verify_all(v2, n, 1);
    umm_stats_t h1 = tu_stats(sys);
    assert_true(h1.faults_hard > h0.faults_hard);
    assert_true(h1.pages_input - h0.pages_input >= n);
    assert_true(tu_pstats(p2).faults_hard > p2b.faults_hard);
    verify_all(v1, n, 1);
    umm_stats_t h2 = tu_stats(sys);
    assert_int_equal(h2.pages_input, h1.pages_input);
    assert_int_equal(h2.active, h1.active);
    assert_int_equal(h2.active - b.active, n);
    sc_consistent(sys);

    /* the pages are clean now (their copy is in the file); write half of them through v2,
     * empty all, flush, purge, read through v1: the new data, not the old copy */
    for (size_t i = 0; i < n; i += 2)
        fill_idx(v2, i, 2);
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(umm_ws_empty(p2), UMM_OK);
    umm_stats_t m = tu_stats(sys);
    assert_int_equal(m.modified + m.modified_nowrite - b.modified - b.modified_nowrite, n / 2);
    assert_int_equal(m.standby - b.standby, n / 2);
    sc_consistent(sys);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    assert_int_equal(tu_stats(sys).pagefile_used - b.pagefile_used, n);
    sc_consistent(sys);
    for (size_t i = 0; i < n; i++)
        assert_page_idx(v1, i, (i % 2 == 0) ? 2 : 1);
    for (size_t i = 0; i < n; i++)
        assert_page_idx(v2, i, (i % 2 == 0) ? 2 : 1);
    sc_consistent(sys);

    /* and with p1 writing while the page is in p2's working set only */
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    for (size_t i = 1; i < n; i += 2)
        fill_idx(v1, i, 3);
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(umm_ws_empty(p2), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    sc_consistent(sys);
    for (size_t i = 0; i < n; i++)
        assert_page_idx(v2, i, (i % 2 == 0) ? 2 : 3);
    sc_consistent(sys);

    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(umm_release(p2, v2), UMM_OK);
    assert_int_equal(umm_release(p1, v1), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

static void test_ws_empty_paging_c1(void **state) {
    (void)state;
    ws_empty_paging(1);
}

static void test_ws_empty_paging_c16(void **state) {
    (void)state;
    ws_empty_paging(16);
}

/* Trimming view pages counts in pages_trimmed, process and system (they are taken out of a
 * working set, whatever the section then does with the frame). */
static void test_counters_trim(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1;
    umm_config_t c = cfg_nw(4 * MIB, 8 * MIB, 1);
    tu_sys_new_cfg(&c, &sys, &p1);
    umm_process_t *p2 = proc_new(sys);
    const size_t n = 32;
    umm_section_t *sec = sec_new(sys, n * PG);
    unsigned char *v1 = view_new(p1, sec, RW);
    unsigned char *v2 = view_new(p2, sec, RW);
    fill_all(v1, n, 1);
    verify_all(v2, n, 1);

    umm_stats_t s0 = tu_stats(sys);
    umm_process_stats_t a0 = tu_pstats(p1);
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    umm_stats_t s1 = tu_stats(sys);
    umm_process_stats_t a1 = tu_pstats(p1);
    assert_int_equal(a1.working_set, 0);
    assert_int_equal(a1.pages_trimmed - a0.pages_trimmed, n);
    assert_int_equal(s1.pages_trimmed - s0.pages_trimmed, n);

    /* ws_trim too */
    assert_int_equal(umm_ws_trim(p2, 8), UMM_OK);
    umm_process_stats_t b3 = tu_pstats(p2);
    assert_int_equal(b3.working_set, n - 8);
    assert_int_equal(b3.pages_trimmed, 8);
    assert_int_equal(tu_stats(sys).pages_trimmed - s1.pages_trimmed, 8);
    sc_consistent(sys);

    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(umm_release(p1, v1), UMM_OK);
    assert_int_equal(umm_release(p2, v2), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, 0);
    sc_consistent(sys);
    umm_system_destroy(sys);
}

/* A fault on a view page whose frame another view holds valid is a soft fault, counted as a
 * transition fault (Windows' "Transition Faults/sec": faults "resolved by recovering pages that
 * were being used by another process sharing the page, or were on the modified page list or the
 * standby list"). */
static void test_counters_soft_fault(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1;
    umm_config_t c = cfg_nw(4 * MIB, 8 * MIB, 1);
    tu_sys_new_cfg(&c, &sys, &p1);
    umm_process_t *p2 = proc_new(sys);
    const size_t n = 32;
    umm_section_t *sec = sec_new(sys, n * PG);
    unsigned char *v1 = view_new(p1, sec, RW);
    unsigned char *v2 = view_new(p2, sec, RW);
    fill_all(v1, n, 1);
    verify_all(v2, n, 1);
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    umm_stats_t s1 = tu_stats(sys);
    umm_process_stats_t a1 = tu_pstats(p1);
    /* p1 faults them back from p2's valid frames */
    verify_all(v1, n, 1);
    umm_process_stats_t a2 = tu_pstats(p1);
    umm_stats_t s2 = tu_stats(sys);
    assert_int_equal(a2.faults_hard, a1.faults_hard);
    assert_int_equal(a2.faults_demand_zero, a1.faults_demand_zero);
    assert_int_equal(a2.faults_transition - a1.faults_transition, n);
    assert_int_equal(s2.faults_transition - s1.faults_transition, n);
    sc_consistent(sys);

    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(umm_release(p1, v1), UMM_OK);
    assert_int_equal(umm_release(p2, v2), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, 0);
    sc_consistent(sys);
    umm_system_destroy(sys);
}

/* umm_ws_trim on views, a few pages at a time, with the same process holding two views. */
static void test_ws_trim_two_views(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(4 * MIB, 8 * MIB, 4);
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 128;
    umm_section_t *sec = sec_new(sys, n * PG);
    unsigned char *va = view_new(proc, sec, RW);
    unsigned char *vb = view_new(proc, sec, RW);
    for (int round = 1; round <= 6; round++) {
        unsigned char *w = (round & 1) ? va : vb, *r = (round & 1) ? vb : va;
        for (size_t i = 0; i < n; i++) {
            fill_idx(w, i, (uint64_t)round);
            if (i % 16 == 15)
                assert_int_equal(umm_ws_trim(proc, 24), UMM_OK);
        }
        sc_consistent(sys);
        if (round % 3 == 0) {
            assert_int_equal(umm_ws_empty(proc), UMM_OK);
            assert_int_equal(umm_flush_modified(sys), UMM_OK);
            assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
            sc_consistent(sys);
        }
        for (size_t i = 0; i < n; i++) {
            assert_page_idx(r, i, (uint64_t)round);
            if (i % 16 == 7)
                assert_int_equal(umm_ws_trim(proc, 40), UMM_OK);
        }
        sc_consistent(sys);
    }
    umm_stats_t s = tu_stats(sys); /* (pages_trimmed for views: test_counters) */
    assert_true(s.faults_transition + s.faults_hard > 0);
    assert_true(s.faults_hard > 0);
    assert_int_equal(umm_release(proc, va), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    verify_all(vb, n, 6);
    assert_int_equal(umm_release(proc, vb), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * decommit, protect, release on views
 * ========================================================================================== */

static void test_view_decommit_protect_release(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1;
    umm_config_t c = cfg_nw(4 * MIB, 0, 1);
    tu_sys_new_cfg(&c, &sys, &p1);
    umm_process_t *p2 = proc_new(sys);
    tu_exc_install(sys);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 16;
    umm_section_t *sec = sec_new(sys, n * PG);
    unsigned char *a = view_new(p1, sec, RW);
    unsigned char *bv = view_new(p1, sec, RW);
    unsigned char *ro = view_new(p2, sec, UMM_PROT_READ);
    fill_all(a, n, 1);

    /* decommit: refused on any part of a view, nothing changes */
    assert_int_equal(umm_decommit(p1, a, n * PG), UMM_E_ACCESS);
    assert_int_equal(umm_decommit(p1, a + 3 * PG, PG), UMM_E_ACCESS);
    assert_int_equal(umm_decommit(p2, ro, PG), UMM_E_ACCESS);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    umm_region_info_t q;
    assert_int_equal(umm_query(p1, a + 3 * PG, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_COMMITTED);
    verify_all(a, n, 1);
    verify_all(bv, n, 1);
    sc_consistent(sys);

    /* the read-only view reads and cannot write */
    verify_all(ro, n, 1);
    assert_int_equal(tu_try_write(ro + 5 * PG + 8, 0x77), UMM_EXC_ACCESS_VIOLATION);
    assert_ptr_equal(tu_exc.last.address, ro + 5 * PG + 8);
    assert_int_equal(tu_exc.last.is_write, 1);
    assert_ptr_equal(tu_exc.last.process, p2);
    assert_page_idx(a, 5, 1);
    sc_consistent(sys);

    /* protect one page of view a read-only: writing it is an access violation, view b still
     * writes and a reads what b wrote */
    int old = -1;
    assert_int_equal(umm_protect(p1, a + 2 * PG, PG, UMM_PROT_READ, &old), UMM_OK);
    assert_int_equal(old, RW);
    assert_int_equal(umm_query(p1, a + 2 * PG, &q), UMM_OK);
    assert_int_equal(q.prot, UMM_PROT_READ);
    assert_int_equal(q.size, PG);
    assert_int_equal(umm_query(p1, bv + 2 * PG, &q), UMM_OK);
    assert_int_equal(q.prot, RW);
    int avs = tu_exc.count_av;
    assert_int_equal(tu_try_write(a + 2 * PG + 16, 0x33), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(tu_exc.count_av, avs + 1);
    assert_ptr_equal(tu_exc.last.address, a + 2 * PG + 16);
    assert_int_equal(tu_exc.last.is_write, 1);
    assert_ptr_equal(tu_exc.last.process, p1);
    assert_page_idx(a, 2, 1);
    assert_page_idx(bv, 2, 1);
    assert_int_equal(tu_try_write(bv + 2 * PG + 16, 0x33), 0);
    assert_int_equal(a[2 * PG + 16], 0x33);
    assert_int_equal(ro[2 * PG + 16], 0x33);
    /* the neighbours of the protected page are still writable */
    assert_int_equal(tu_try_write(a + 1 * PG, 0x44), 0);
    assert_int_equal(tu_try_write(a + 3 * PG, 0x45), 0);
    assert_int_equal(bv[1 * PG], 0x44);
    assert_int_equal(bv[3 * PG], 0x45);
    sc_consistent(sys);
    /* the protection survives a trim */
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(tu_try_write(a + 2 * PG + 24, 0x35), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(a[2 * PG + 16], 0x33);
    sc_consistent(sys);

    /* the whole view read-only, then back to read-write */
    assert_int_equal(umm_protect(p1, a, n * PG, UMM_PROT_READ, NULL), UMM_OK);
    for (size_t i = 0; i < n; i += 5)
        assert_int_equal(tu_try_write(a + i * PG + 40, 1), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(tu_try_write(bv + 9 * PG + 40, 0x99), 0);
    assert_int_equal(a[9 * PG + 40], 0x99);
    assert_int_equal(umm_protect(p1, a, n * PG, RW, &old), UMM_OK);
    assert_int_equal(old, UMM_PROT_READ);
    assert_int_equal(tu_try_write(a + 2 * PG + 16, 0x66), 0);
    assert_int_equal(bv[2 * PG + 16], 0x66);
    assert_int_equal(ro[2 * PG + 16], 0x66);
    sc_consistent(sys);

    /* release: not the base, or by the wrong process: refused, nothing changes */
    assert_int_not_equal(umm_release(p1, a + PG), UMM_OK);
    assert_int_not_equal(umm_release(p2, a), UMM_OK);
    assert_int_equal(umm_query(p1, a, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_COMMITTED);
    assert_int_equal(a[2 * PG + 16], 0x66);
    sc_consistent(sys);

    /* release a: b and the read-only view keep the data; a's address is free */
    assert_int_equal(umm_release(p1, a), UMM_OK);
    assert_int_equal(umm_query(p1, a, &q), UMM_E_NOT_RESERVED);
    assert_int_equal(q.state, UMM_REGION_FREE);
    assert_int_equal(bv[2 * PG + 16], 0x66);
    assert_int_equal(ro[2 * PG + 16], 0x66);
    assert_page_idx(bv, 7, 1);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    assert_int_not_equal(umm_release(p1, a), UMM_OK); /* already released */
    sc_consistent(sys);

    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(umm_release(p1, bv), UMM_OK);
    assert_int_equal(ro[2 * PG + 16], 0x66);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    assert_int_equal(umm_release(p2, ro), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* Guard pages on a view (PAGE_GUARD works on views in Windows): the first access through that
 * view raises a guard-page exception and clears the guard; the other view has no guard. */
static void test_view_guard_page(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(4 * MIB, 0, 1);
    tu_sys_new_cfg(&c, &sys, &proc);
    tu_exc_install(sys);
    umm_stats_t b = tu_stats(sys);
    umm_section_t *sec = sec_new(sys, 8 * PG);
    unsigned char *v1 = view_new(proc, sec, RW);
    unsigned char *v2 = view_new(proc, sec, RW);
    fill_idx(v1, 3, 1);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(umm_protect(proc, v1 + 3 * PG, PG, RW | UMM_PROT_GUARD, NULL), UMM_OK);
    unsigned char x = 0;
    assert_int_equal(tu_try_read(v1 + 3 * PG + 8, &x), UMM_EXC_GUARD_PAGE);
    assert_ptr_equal(tu_exc.last.address, v1 + 3 * PG + 8);
    assert_int_equal(tu_try_read(v1 + 3 * PG + 8, &x), 0); /* one-shot */
    assert_page_idx(v1, 3, 1);
    umm_region_info_t q;
    assert_int_equal(umm_query(proc, v1 + 3 * PG, &q), UMM_OK);
    assert_int_equal(q.prot, RW);
    /* the other view: no guard */
    assert_int_equal(umm_protect(proc, v1 + 4 * PG, PG, RW | UMM_PROT_GUARD, NULL), UMM_OK);
    assert_int_equal(tu_try_write(v2 + 4 * PG, 0x11), 0);
    assert_int_equal(tu_try_read(v1 + 4 * PG, &x), UMM_EXC_GUARD_PAGE);
    assert_int_equal(tu_try_read(v1 + 4 * PG, &x), 0);
    assert_int_equal(x, 0x11);
    assert_int_equal(tu_exc.count_guard, 2);
    sc_consistent(sys);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(umm_release(proc, v1), UMM_OK);
    assert_int_equal(umm_release(proc, v2), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* A hard working-set maximum holds for view pages too; nothing is lost. */
static void test_view_ws_hard_max(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1;
    umm_config_t c = cfg_nw(4 * MIB, 8 * MIB, 1);
    tu_sys_new_cfg(&c, &sys, &p1);
    umm_process_t *p2 = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    assert_int_equal(umm_ws_set_limits(p1, 8, 16, UMM_WS_HARD_MAX), UMM_OK);
    const size_t n = 64;
    umm_section_t *sec = sec_new(sys, n * PG);
    unsigned char *v1 = view_new(p1, sec, RW);
    unsigned char *v2 = view_new(p2, sec, RW);
    for (size_t i = 0; i < n; i++) {
        fill_idx(v1, i, 1);
        assert_true(tu_pstats(p1).working_set <= 16);
    }
    assert_int_equal(tu_pstats(p1).working_set, 16);
    verify_all(v2, n, 1);
    assert_int_equal(tu_pstats(p2).working_set, n);
    verify_all(v1, n, 1);
    assert_true(tu_pstats(p1).working_set <= 16);
    sc_consistent(sys);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(umm_release(p1, v1), UMM_OK);
    assert_int_equal(umm_release(p2, v2), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * the section's life
 * ========================================================================================== */

/* A section with no views keeps its data while open (in RAM, and after being paged out); a view
 * mapped later, in any process, sees it. Closing it then gives everything back at once. */
static void test_section_without_views_keeps_data(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1;
    umm_config_t c = cfg_nw(4 * MIB, 8 * MIB, 1);
    tu_sys_new_cfg(&c, &sys, &p1);
    umm_process_t *p2 = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 40;
    umm_section_t *sec = sec_new(sys, n * PG);
    unsigned char *v = view_new(p1, sec, RW);
    fill_all(v, n, 1);
    assert_int_equal(umm_release(p1, v), UMM_OK);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.committed, b.committed + n);
    assert_int_equal(tu_pstats(p1).working_set, 0);
    assert_int_equal(s.working_set, b.working_set);
    sc_consistent(sys);

    /* remap in the other process: same data (from RAM) */
    unsigned char *w = view_new(p2, sec, UMM_PROT_READ);
    umm_stats_t s0 = tu_stats(sys);
    verify_all(w, n, 1);
    assert_int_equal(tu_stats(sys).pages_input, s0.pages_input);
    assert_int_equal(umm_release(p2, w), UMM_OK);
    sc_consistent(sys);

    /* no views: flush + purge sends every page to the paging file */
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(s.pagefile_used - b.pagefile_used, n);
    assert_int_equal(s.active, b.active);
    assert_int_equal(s.modified, b.modified);
    assert_int_equal(s.standby, 0);
    sc_consistent(sys);

    /* and a new view reads it back by hard faults */
    v = view_new(p1, sec, RW);
    s0 = tu_stats(sys);
    verify_all(v, n, 1);
    umm_stats_t s1 = tu_stats(sys);
    assert_true(s1.faults_hard > s0.faults_hard);
    assert_true(s1.pages_input - s0.pages_input >= n);
    sc_consistent(sys);
    /* write half, release, flush, purge, map again: the new data */
    for (size_t i = 0; i < n; i += 2)
        fill_idx(v, i, 2);
    assert_int_equal(umm_release(p1, v), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    sc_consistent(sys);
    w = view_new(p2, sec, RW);
    for (size_t i = 0; i < n; i++)
        assert_page_idx(w, i, (i % 2 == 0) ? 2 : 1);
    assert_int_equal(umm_release(p2, w), UMM_OK);
    sc_consistent(sys);

    /* close with no views: everything back now */
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* Close while views exist: the views keep working; a second close is refused; the section goes
 * with its last view, giving back the charge, the paging-file slots and the frames (some pages
 * valid, some Standby, some Modified, some only in the paging file). */
static void test_close_then_release_last_view(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1;
    umm_config_t c = cfg_nw(4 * MIB, 8 * MIB, 1);
    tu_sys_new_cfg(&c, &sys, &p1);
    umm_process_t *p2 = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 96;
    umm_section_t *sec = sec_new(sys, n * PG);
    unsigned char *v1 = view_new(p1, sec, RW);
    unsigned char *v2 = view_new(p2, sec, RW);
    fill_all(v1, n, 1);
    /* pages 0..31: paged out; 32..63: Standby; 64..79: Modified; 80..95: valid in p2 */
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.pagefile_used - b.pagefile_used, n);
    assert_int_equal(s.active - b.active, 0);
    sc_consistent(sys);
    /* every page is only in the paging file now; read 0..63 back (hard faults) and rewrite
     * 0..31, then page all of them out again (0..31 rewritten in the file) */
    verify_all(v1, 64, 1);
    for (size_t i = 0; i < 32; i++)
        fill_idx(v1, i, 2);
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK); /* 0..63 -> file only */
    for (size_t i = 32; i < 64; i++)
        assert_page_idx(v2, i, 1);
    for (size_t i = 64; i < 80; i++)
        fill_idx(v2, i, 3);
    for (size_t i = 80; i < 96; i++)
        fill_idx(v2, i, 4);
    /* empty p2 (32..63 clean -> Standby, 64..95 dirty -> Modified), then touch 80..95 again:
     * 0..31 in the file only, 32..63 Standby, 64..79 Modified, 80..95 valid in p2 */
    assert_int_equal(umm_ws_empty(p2), UMM_OK);
    for (size_t i = 80; i < 96; i++)
        assert_page_idx(v2, i, 4);
    s = tu_stats(sys);
    assert_true(s.standby > 0);
    assert_true(s.modified + s.modified_nowrite > 0);
    assert_true(s.active > b.active);
    assert_true(s.pagefile_used > b.pagefile_used);
    sc_consistent(sys);

    /* close with views: OK, everything still there */
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    int rc = umm_section_close(sec);
    print_message("    second umm_section_close (views alive): %s\n", umm_error_name(rc));
    assert_int_not_equal(rc, UMM_OK);
    assert_int_equal(rc, UMM_E_HANDLE);
    /* the handle is closed: no new views (the section lives on for the existing ones) */
    void *nv = NULL;
    rc = umm_section_map(p1, sec, RW, &nv);
    assert_int_equal(rc, UMM_E_HANDLE);
    assert_null(nv);
    assert_int_equal(tu_pstats(p1).reservations, 1);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    sc_consistent(sys);
    for (size_t i = 0; i < n; i++)
        assert_page_idx(v1, i, i < 32 ? 2 : i < 64 ? 1 : i < 80 ? 3 : 4);
    fill_idx(v2, 5, 5);
    assert_page_idx(v1, 5, 5);
    sc_consistent(sys);

    /* release v1: v2 keeps everything */
    assert_int_equal(umm_release(p1, v1), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    sc_consistent(sys);
    /* re-create the mix as seen by v2 only */
    assert_int_equal(umm_ws_empty(p2), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    for (size_t i = 0; i < n; i++)
        assert_page_idx(v2, i, i == 5 ? 5 : i < 32 ? 2 : i < 64 ? 1 : i < 80 ? 3 : 4);
    for (size_t i = 0; i < 16; i++)
        fill_idx(v2, i, 6);
    assert_int_equal(umm_ws_trim(p2, 48), UMM_OK);
    s = tu_stats(sys);
    assert_true(s.active > b.active);
    sc_consistent(sys);

    /* release the last view: all of it goes */
    assert_int_equal(umm_release(p2, v2), UMM_OK);
    assert_baseline(sys, &b);
    assert_int_equal(tu_stats(sys).available, tu_stats(sys).total_frames);
    umm_system_destroy(sys);
}

/* Destroying a process with a view leaves the other process's view working; destroying the
 * process with the last view of a closed section frees it. */
static void test_process_destroy_with_view(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1;
    umm_config_t c = cfg_nw(4 * MIB, 8 * MIB, 16);
    tu_sys_new_cfg(&c, &sys, &p1);
    umm_process_t *p2 = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 64;
    umm_section_t *sec = sec_new(sys, n * PG);
    unsigned char *v1 = view_new(p1, sec, RW);
    unsigned char *v1b = view_new(p1, sec, UMM_PROT_READ);
    unsigned char *v2 = view_new(p2, sec, RW);
    fill_all(v1, n, 1);
    verify_all(v1b, n, 1);
    for (size_t i = 0; i < n; i += 4)
        assert_page_idx(v2, i, 1);
    /* some pages paged out, some on the modified list */
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    sc_consistent(sys);

    umm_process_destroy(p1);
    sc_consistent(sys);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    assert_int_equal(tu_stats(sys).processes, 1);
    verify_all(v2, n, 1);
    fill_all(v2, n, 2);
    verify_all(v2, n, 2);
    sc_consistent(sys);

    /* a new process maps the (still open) section */
    umm_process_t *p3 = proc_new(sys);
    unsigned char *v3 = view_new(p3, sec, RW);
    verify_all(v3, n, 2);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    umm_process_destroy(p2);
    sc_consistent(sys);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    verify_all(v3, n, 2);
    assert_int_equal(umm_ws_empty(p3), UMM_OK);
    sc_consistent(sys);

    /* p3 had the last view of the closed section */
    umm_process_destroy(p3);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* Destroying a system with sections open and mapped frees everything (ASan/LSan checks). */
static void test_system_destroy_with_sections(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1;
    umm_config_t c = cfg_nw(4 * MIB, 8 * MIB, 1);
    tu_sys_new_cfg(&c, &sys, &p1);
    umm_process_t *p2 = proc_new(sys);
    umm_section_t *a = sec_new(sys, 32 * PG);
    umm_section_t *bs = sec_new(sys, 8 * PG); /* never mapped */
    umm_section_t *cs = sec_new(sys, 8 * PG); /* closed, mapped */
    (void)bs;
    unsigned char *v1 = view_new(p1, a, RW);
    unsigned char *v2 = view_new(p2, a, RW);
    unsigned char *v3 = view_new(p2, cs, RW);
    assert_int_equal(umm_section_close(cs), UMM_OK);
    fill_all(v1, 32, 1);
    verify_all(v2, 32, 1);
    fill_all(v3, 8, 2);
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(umm_ws_empty(p2), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    sc_consistent(sys);
    umm_system_destroy(sys);

    /* also: a process destroyed first, then the system */
    tu_sys_new_cfg(&c, &sys, &p1);
    a = sec_new(sys, 16 * PG);
    v1 = view_new(p1, a, RW);
    fill_all(v1, 16, 3);
    umm_process_destroy(p1);
    sc_consistent(sys);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * paging I/O errors (failure points)
 * ========================================================================================== */

/* The paging file refuses writes: a flush of section pages returns UMM_E_IO, they stay on
 * Modified, nothing is lost (read back softly through both views); once the writes work the
 * pages page out and in. */
static void test_io_write_error(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1;
    umm_config_t c = cfg_nw(4 * MIB, 8 * MIB, 1);
    tu_sys_new_cfg(&c, &sys, &p1);
    umm_process_t *p2 = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 48;
    umm_section_t *sec = sec_new(sys, n * PG);
    unsigned char *v1 = view_new(p1, sec, RW);
    unsigned char *v2 = view_new(p2, sec, RW);
    fill_all(v1, n, 1);
    verify_all(v2, n, 1);
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(umm_ws_empty(p2), UMM_OK);
    assert_int_equal(tu_stats(sys).modified - b.modified, n);

    assert_int_equal(umm_failpoint_enable("umm/pagefile/write", 1.0, 0), 0);
    int rc = umm_flush_modified(sys);
    umm_stats_t e = tu_stats(sys);
    umm_failpoint_disable("umm/pagefile/write");
    assert_int_equal(rc, UMM_E_IO);
    assert_true(e.writer_errors > b.writer_errors);
    assert_int_equal(e.modified - b.modified, n);
    assert_int_equal(e.pagefile_used, b.pagefile_used);
    sc_consistent(sys);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    verify_all(v2, n, 1);
    verify_all(v1, n, 1);
    assert_int_equal(tu_stats(sys).faults_hard, e.faults_hard);
    sc_consistent(sys);

    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(umm_ws_empty(p2), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    assert_int_equal(tu_stats(sys).pagefile_used - b.pagefile_used, n);
    verify_all(v1, n, 1);
    assert_true(tu_stats(sys).faults_hard > e.faults_hard);
    sc_consistent(sys);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(umm_release(p1, v1), UMM_OK);
    assert_int_equal(umm_release(p2, v2), UMM_OK);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

/* The paging file refuses reads: a view page that must be read gets UMM_EXC_IN_PAGE_ERROR with
 * UMM_E_IO (through either view), nothing leaks (frames, invariants); once reads work the data is
 * right. */
static void test_io_read_error(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1;
    umm_config_t c = cfg_nw(4 * MIB, 8 * MIB, 1);
    tu_sys_new_cfg(&c, &sys, &p1);
    umm_process_t *p2 = proc_new(sys);
    tu_exc_install(sys);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 16;
    umm_section_t *sec = sec_new(sys, n * PG);
    unsigned char *v1 = view_new(p1, sec, RW);
    unsigned char *v2 = view_new(p2, sec, RW);
    fill_all(v1, n, 1);
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    umm_stats_t s0 = tu_stats(sys);
    assert_int_equal(s0.pagefile_used - b.pagefile_used, n);

    assert_int_equal(umm_failpoint_enable("umm/pagefile/read", 1.0, 0), 0);
    unsigned char x = 0;
    int rc1 = tu_try_read(v1 + 3 * PG + 8, &x);
    umm_exception_t e1 = tu_exc.last;
    int rc2 = tu_try_write(v2 + 3 * PG + 8, 1);
    umm_exception_t e2 = tu_exc.last;
    umm_stats_t s1 = tu_stats(sys);
    umm_failpoint_disable("umm/pagefile/read");
    assert_int_equal(rc1, UMM_EXC_IN_PAGE_ERROR);
    assert_int_equal(e1.error, UMM_E_IO);
    assert_ptr_equal(e1.address, v1 + 3 * PG + 8);
    assert_ptr_equal(e1.process, p1);
    assert_int_equal(rc2, UMM_EXC_IN_PAGE_ERROR);
    assert_ptr_equal(e2.process, p2);
    assert_true(s1.read_errors >= s0.read_errors + 2);
    assert_int_equal(s1.active, s0.active);
    assert_int_equal(s1.available, s0.available);
    assert_int_equal(s1.pagefile_used, s0.pagefile_used);
    assert_int_equal(s1.working_set, s0.working_set);
    sc_consistent(sys);

    verify_all(v2, n, 1);
    verify_all(v1, n, 1);
    sc_consistent(sys);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(umm_release(p1, v1), UMM_OK);
    assert_int_equal(umm_release(p2, v2), UMM_OK);
    assert_baseline(sys, &b);
    umm_set_exception_handler(sys, NULL, NULL);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * threads
 * ========================================================================================== */

typedef struct thr_arg {
    unsigned char *view;
    umm_process_t *proc;
    size_t npages;
    int tid; /* writes words w with w % 2 == tid */
    int rounds;
    int rc;          /* first error of a umm call */
    size_t bad;      /* words found wrong */
    size_t bad_page; /* first wrong page */
} thr_arg_t;

static const size_t thr_words[] = {0, 1, 62, 63, 256, 257, 510, 511};
#define THR_NWORDS (sizeof thr_words / sizeof thr_words[0])

static void *thr_main(void *p) {
    thr_arg_t *a = p;
    for (int r = 1; r <= a->rounds; r++) {
        for (size_t i = 0; i < a->npages; i++) {
            volatile uint64_t *w = (volatile uint64_t *)at(a->view, i);
            for (size_t k = 0; k < THR_NWORDS; k++)
                if (thr_words[k] % 2 == (size_t)a->tid)
                    w[thr_words[k]] = kv(i, thr_words[k], (uint64_t)r);
            if (i % 64 == 63) {
                int rc = umm_ws_trim(a->proc, 32);
                if (rc != UMM_OK && !a->rc)
                    a->rc = rc;
            }
        }
        int rc = (r % 2) ? umm_ws_trim(a->proc, a->npages / 2) : umm_ws_empty(a->proc);
        if (rc != UMM_OK && !a->rc)
            a->rc = rc;
        for (size_t j = 0; j < a->npages; j++) {
            size_t i = (j * 7919) % a->npages; /* npages is not a multiple of 7919 */
            const volatile uint64_t *w = (const volatile uint64_t *)at(a->view, i);
            for (size_t k = 0; k < THR_NWORDS; k++)
                if (thr_words[k] % 2 == (size_t)a->tid && w[thr_words[k]] != kv(i, thr_words[k], (uint64_t)r)) {
                    if (!a->bad)
                        a->bad_page = i;
                    a->bad++;
                }
        }
    }
    return NULL;
}

static void threads_case(int two_processes) {
    umm_system_t *sys;
    umm_process_t *p1;
    umm_config_t c = pu_config(4 * MIB, 32 * MIB, 0, 0); /* workers on */
    c.balance_interval_ms = 20;
    c.cluster_pages = 8;
    tu_sys_new_cfg(&c, &sys, &p1);
    umm_process_t *p2 = two_processes ? proc_new(sys) : p1;
    umm_stats_t b = tu_stats(sys);
    const size_t n = 1536; /* 6 MiB: more than the RAM */
    umm_section_t *sec = sec_new(sys, n * PG);
    unsigned char *v1 = view_new(p1, sec, RW);
    unsigned char *v2 = view_new(p2, sec, RW);
    thr_arg_t args[2] = {
        {.view = v1, .proc = p1, .npages = n, .tid = 0, .rounds = 3},
        {.view = v2, .proc = p2, .npages = n, .tid = 1, .rounds = 3},
    };
    pthread_t th[2];
    for (int t = 0; t < 2; t++)
        assert_int_equal(pthread_create(&th[t], NULL, thr_main, &args[t]), 0);
    for (int t = 0; t < 2; t++)
        assert_int_equal(pthread_join(th[t], NULL), 0);
    for (int t = 0; t < 2; t++) {
        assert_int_equal(args[t].rc, UMM_OK);
        if (args[t].bad)
            fail_msg("thread %d: %zu words wrong, first in page %zu", t, args[t].bad,
                     args[t].bad_page);
    }
    /* every word of both threads, through both views */
    for (int v = 0; v < 2; v++) {
        unsigned char *view = v ? v2 : v1;
        for (size_t i = 0; i < n; i++) {
            const volatile uint64_t *w = (const volatile uint64_t *)at(view, i);
            for (size_t k = 0; k < THR_NWORDS; k++)
                if (w[thr_words[k]] != kv(i, thr_words[k], 3))
                    fail_msg("view %d page %zu word %zu wrong", v, i, thr_words[k]);
        }
    }
    umm_stats_t s = tu_stats(sys); /* (pages_trimmed for views: test_counters) */
    assert_true(s.faults_transition + s.faults_hard > 0);
    assert_true(s.pages_output > 0);
    check_quiet(sys);

    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(umm_release(p1, v1), UMM_OK);
    assert_int_equal(umm_release(p2, v2), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(s.committed, b.committed);
    assert_int_equal(s.pagefile_used, b.pagefile_used);
    assert_int_equal(s.active, b.active);
    assert_int_equal(s.modified + s.modified_nowrite, 0);
    assert_int_equal(s.standby, 0);
    assert_int_equal(s.available, s.total_frames);
    check_quiet(sys);
    umm_system_destroy(sys);
}

static void test_threads_one_process(void **state) {
    (void)state;
    threads_case(0);
}

static void test_threads_two_processes(void **state) {
    (void)state;
    threads_case(1);
}

/* ============================================================================================
 * a random mix of sections, views and processes, against a model
 * ========================================================================================== */

#define RM_NSEC 24
#define RM_NPROC 3
#define RM_MAXV 6

typedef struct rm_sec {
    umm_section_t *sec; /* NULL once closed and gone from the model's point of view */
    int closed;
    size_t npages;
    uint64_t *gen; /* per page; 0 = never written */
    struct {
        int proc;
        unsigned char *base;
        int prot;
    } views[RM_MAXV];
    int nviews;
} rm_sec_t;

static void rm_check_view(const rm_sec_t *m, const unsigned char *v, size_t page) {
    const volatile uint64_t *w = (const volatile uint64_t *)at((void *)(uintptr_t)v, page);
    for (size_t k = 0; k < 3; k++)
        if (w[mark_words[k]] != kv(page, mark_words[k], m->gen[page]))
            fail_msg("section page %zu word %zu: %016" PRIx64 ", want gen %" PRIu64, page,
                     mark_words[k], w[mark_words[k]], m->gen[page]);
}

static void random_mix(int workers) {
    umm_system_t *sys;
    umm_process_t *procs[RM_NPROC];
    umm_config_t c = cfg_nw(2 * MIB, 8 * MIB, 4); /* 512 frames: the sections page */
    if (workers) {
        c.flags = 0;
        c.balance_interval_ms = 10;
    }
    tu_sys_new_cfg(&c, &sys, &procs[0]);
    for (int i = 1; i < RM_NPROC; i++)
        procs[i] = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    rm_sec_t m[RM_NSEC];
    memset(m, 0, sizeof m);
    const char *seed_env = getenv("UMM_SECTIONS_SEED"); /* to try other seeds */
    pu_rng_t r = {seed_env ? strtoull(seed_env, NULL, 0) : 2024};
    uint64_t gen = 1, charged = 0;
    for (int op = 0; op < 4000; op++) {
        rm_sec_t *x = &m[pu_next(&r) % RM_NSEC];
        unsigned what = (unsigned)(pu_next(&r) % 100);
        if (!x->sec) { /* (re)create */
            x->npages = 1 + (size_t)(pu_next(&r) % 40);
            x->sec = sec_new(sys, x->npages * PG - (size_t)(pu_next(&r) % PG));
            x->closed = 0;
            x->nviews = 0;
            free(x->gen);
            x->gen = calloc(x->npages, sizeof *x->gen);
            assert_non_null(x->gen);
            charged += x->npages;
        } else if (what < 12 && !x->closed && x->nviews < RM_MAXV) { /* map */
            int pi = (int)(pu_next(&r) % RM_NPROC);
            int prot = pu_next(&r) % 4 == 0 ? UMM_PROT_READ : RW;
            x->views[x->nviews].proc = pi;
            x->views[x->nviews].prot = prot;
            x->views[x->nviews].base = view_new(procs[pi], x->sec, prot);
            x->nviews++;
        } else if (what < 20 && x->nviews > 0) { /* release a view */
            int vi = (int)(pu_next(&r) % (uint64_t)x->nviews);
            assert_int_equal(umm_release(procs[x->views[vi].proc], x->views[vi].base), UMM_OK);
            x->views[vi] = x->views[--x->nviews];
            if (x->closed && x->nviews == 0) {
                x->sec = NULL;
                charged -= x->npages;
            }
        } else if (what < 24 && !x->closed) { /* close */
            assert_int_equal(umm_section_close(x->sec), UMM_OK);
            x->closed = 1;
            if (x->nviews == 0) {
                x->sec = NULL;
                charged -= x->npages;
            }
        } else if (what < 60 && x->nviews > 0) { /* write some pages through a RW view */
            int vi = (int)(pu_next(&r) % (uint64_t)x->nviews);
            if (x->views[vi].prot == RW) {
                size_t n = 1 + (size_t)(pu_next(&r) % x->npages);
                for (size_t k = 0; k < n; k++) {
                    size_t pg = (size_t)(pu_next(&r) % x->npages);
                    x->gen[pg] = ++gen;
                    mark_idx(x->views[vi].base, pg, x->gen[pg]);
                }
            }
        } else if (what < 85 && x->nviews > 0) { /* read every page through a view */
            int vi = (int)(pu_next(&r) % (uint64_t)x->nviews);
            for (size_t pg = 0; pg < x->npages; pg++)
                rm_check_view(x, x->views[vi].base, pg);
        } else if (what < 92) {
            assert_int_equal(umm_ws_trim(procs[pu_next(&r) % RM_NPROC], 1 + pu_next(&r) % 64), UMM_OK);
        } else if (what < 96) {
            assert_int_equal(umm_ws_empty(procs[pu_next(&r) % RM_NPROC]), UMM_OK);
        } else if (what < 98) {
            assert_int_equal(umm_flush_modified(sys), UMM_OK);
            assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
        } else { /* destroy a process (its views go), make a new one */
            int pi = (int)(pu_next(&r) % RM_NPROC);
            umm_process_destroy(procs[pi]);
            procs[pi] = proc_new(sys);
            for (int si = 0; si < RM_NSEC; si++) {
                rm_sec_t *y = &m[si];
                for (int vi = 0; vi < y->nviews;)
                    if (y->views[vi].proc == pi)
                        y->views[vi] = y->views[--y->nviews];
                    else
                        vi++;
                if (y->sec && y->closed && y->nviews == 0) {
                    y->sec = NULL;
                    charged -= y->npages;
                }
            }
        }
        if (op % 100 == 99) {
            if (workers)
                check_quiet(sys);
            else
                sc_consistent(sys);
            assert_int_equal(tu_stats(sys).committed, b.committed + charged);
        }
    }
    /* every live view reads its section's data */
    for (int si = 0; si < RM_NSEC; si++)
        for (int vi = 0; vi < m[si].nviews; vi++)
            for (size_t pg = 0; pg < m[si].npages; pg++)
                rm_check_view(&m[si], m[si].views[vi].base, pg);
    umm_stats_t e = tu_stats(sys);
    print_message("    random mix: faults %" PRIu64 " (hard %" PRIu64 ", transition %" PRIu64
                  "), pages out %" PRIu64 ", committed %" PRIu64 "\n", e.faults_total,
                  e.faults_hard, e.faults_transition, e.pages_output, e.committed);
    assert_true(e.faults_hard > 0);
    /* tear down: close, release */
    for (int si = 0; si < RM_NSEC; si++) {
        rm_sec_t *y = &m[si];
        if (y->sec && !y->closed)
            assert_int_equal(umm_section_close(y->sec), UMM_OK);
        for (int vi = 0; vi < y->nviews; vi++)
            assert_int_equal(umm_release(procs[y->views[vi].proc], y->views[vi].base), UMM_OK);
        free(y->gen);
    }
    if (workers) {
        check_quiet(sys);
        umm_stats_t f = tu_stats(sys);
        assert_int_equal(f.committed, b.committed);
        assert_int_equal(f.pagefile_used, b.pagefile_used);
        assert_int_equal(f.available, f.total_frames);
    } else {
        assert_baseline(sys, &b);
    }
    umm_system_destroy(sys);
}

static void test_random_mix(void **state) {
    (void)state;
    random_mix(0);
}

/* The same with the workers running (balancer every 10 ms, writer, zero page thread). */
static void test_random_mix_workers(void **state) {
    (void)state;
    random_mix(1);
}

/* ============================================================================================
 * a section three times the RAM
 * ========================================================================================== */

static void big_section(int workers) {
    umm_system_t *sys;
    umm_process_t *p1;
    umm_config_t c = pu_config(8 * MIB, 64 * MIB, 0, workers ? 0 : UMM_CFG_NO_WORKERS);
    c.balance_interval_ms = 50;
    tu_sys_new_cfg(&c, &sys, &p1);
    umm_process_t *p2 = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    const size_t n = (24 * MIB) / PG;
    umm_section_t *sec = sec_new(sys, 24 * MIB);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    unsigned char *v1 = view_new(p1, sec, RW);
    unsigned char *v2 = view_new(p2, sec, RW);

    /* write every page through v1 (every 16th fully) */
    for (size_t i = 0; i < n; i++) {
        if (i % 16 == 0)
            fill_idx(v1, i, 1);
        else
            mark_idx(v1, i, 1);
    }
    umm_stats_t s = tu_stats(sys);
    assert_true(s.pages_output > 0);
    assert_true(s.pagefile_used > 0);
    if (!workers)
        sc_consistent(sys);
    assert_int_equal(umm_ws_empty(p1), UMM_OK);

    /* read every page through v2, in a shuffled order */
    size_t *ord = pu_order(n, 12345);
    size_t bad = 0, first_bad = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = ord[k];
        int ok = i % 16 == 0 ? verify_idx(v2, i, 1) == (size_t)-1 : check_mark_idx(v2, i, 1);
        if (!ok && bad++ == 0)
            first_bad = i;
    }
    if (bad)
        fail_msg("%zu of %zu pages wrong through the second view, first %zu", bad, n, first_bad);
    umm_stats_t s2 = tu_stats(sys);
    assert_true(s2.faults_hard > s.faults_hard);
    assert_true(s2.pages_input > s.pages_input);

    /* rewrite through v2 in that order, read through v1 in order */
    for (size_t k = 0; k < n; k++)
        mark_idx(v2, ord[k], 2);
    assert_int_equal(umm_ws_trim(p2, n / 2), UMM_OK);
    for (size_t i = 0; i < n; i++)
        if (!check_mark_idx(v1, i, 2) && bad++ == 0)
            first_bad = i;
    if (bad)
        fail_msg("%zu of %zu pages wrong through the first view, first %zu", bad, n, first_bad);
    /* the fully written pages keep their other words from generation 1 */
    for (size_t i = 0; i < n; i += 16) {
        const volatile uint64_t *w = (const volatile uint64_t *)at(v1, i);
        assert_int_equal(w[100], kv(i, 100, 1));
        assert_int_equal(w[300], kv(i, 300, 1));
    }
    free(ord);
    if (workers)
        check_quiet(sys);
    else
        sc_consistent(sys);

    assert_int_equal(umm_release(p1, v1), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    assert_int_equal(umm_release(p2, v2), UMM_OK);
    /* with workers, the zero page thread may hold a batch of the freed frames (Active, pinned)
     * for a moment: wait for it before counting frames */
    uint64_t t0 = pu_now_ms();
    while (workers && (tu_stats(sys).active != b.active || tu_stats(sys).free != 0) &&
           pu_now_ms() - t0 < 3000)
        pu_sleep_ms(5);
    s = tu_stats(sys);
    assert_int_equal(s.committed, b.committed);
    assert_int_equal(s.pagefile_used, b.pagefile_used);
    assert_int_equal(s.active, b.active);
    assert_int_equal(s.modified + s.modified_nowrite, 0);
    assert_int_equal(s.standby, 0);
    assert_int_equal(s.available, s.total_frames);
    if (workers)
        check_quiet(sys);
    else
        sc_consistent(sys);
    umm_system_destroy(sys);
}

static void test_big_section_no_workers(void **state) {
    (void)state;
    big_section(0);
}

static void test_big_section_workers(void **state) {
    (void)state;
    big_section(1);
}

/* A section far past the commit limit (16 TiB, 2^32 pages, under the 2^46-byte cap that gives
 * UMM_E_RANGE) is refused with UMM_E_COMMIT_LIMIT, like any charge past the limit, and without
 * first allocating host memory in proportion to its size. Last in the list: an ASan build aborts
 * on a 32 GiB calloc unless allocator_may_return_null (set below for this executable). */
static void test_create_huge_commit_limit(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = cfg_nw(4 * MIB, 0, 1);
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_stats_t b = tu_stats(sys);
    const size_t sizes[] = {(size_t)1 << 36, (size_t)1 << 40, (size_t)1 << 44, (size_t)1 << 46};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        umm_section_t *s = NULL;
        int rc = umm_section_create(sys, sizes[i], &s);
        if (rc != UMM_E_COMMIT_LIMIT)
            fail_msg("umm_section_create(%zu GiB) = %s, want UMM_E_COMMIT_LIMIT (limit %" PRIu64
                     " pages)", sizes[i] >> 30, umm_error_name(rc), b.commit_limit);
        assert_null(s);
        assert_int_equal(tu_stats(sys).committed, b.committed);
    }
    sc_consistent(sys);
    umm_system_destroy(sys);
}

/* ASan: let a huge calloc return NULL (the library's answer is then checked) instead of aborting
 * the whole executable. Unused without ASan. */
const char *__asan_default_options(void);
__attribute__((used, visibility("default"))) const char *__asan_default_options(void) {
    return "allocator_may_return_null=1";
}

int main(int argc, char **argv) {
    if (argc > 1) /* run only the tests matching a pattern: ./test_sections 'test_zero*' */
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_args_and_charge),
        cmocka_unit_test(test_create_commit_limit),
        cmocka_unit_test(test_create_commit_limit_pagefile),
        cmocka_unit_test(test_create_commit_growth_control),
        cmocka_unit_test(test_create_commit_growth_90pct),
        cmocka_unit_test(test_create_commit_growth_over_initial),
        cmocka_unit_test(test_map_args_and_query),
        cmocka_unit_test(test_view_tail_not_committable),
        cmocka_unit_test(test_readonly_view_cannot_be_upgraded),
        cmocka_unit_test(test_zero_pages_c1),
        cmocka_unit_test(test_zero_pages_c16),
        cmocka_unit_test(test_shared_one_process_c1),
        cmocka_unit_test(test_shared_one_process_c16),
        cmocka_unit_test(test_shared_two_processes_c1),
        cmocka_unit_test(test_shared_two_processes_c16),
        cmocka_unit_test(test_ws_empty_paging_c1),
        cmocka_unit_test(test_ws_empty_paging_c16),
        cmocka_unit_test(test_counters_trim),
        cmocka_unit_test(test_counters_soft_fault),
        cmocka_unit_test(test_ws_trim_two_views),
        cmocka_unit_test(test_view_decommit_protect_release),
        cmocka_unit_test(test_view_guard_page),
        cmocka_unit_test(test_view_ws_hard_max),
        cmocka_unit_test(test_section_without_views_keeps_data),
        cmocka_unit_test(test_close_then_release_last_view),
        cmocka_unit_test(test_process_destroy_with_view),
        cmocka_unit_test(test_system_destroy_with_sections),
        cmocka_unit_test(test_io_write_error),
        cmocka_unit_test(test_io_read_error),
        cmocka_unit_test(test_threads_one_process),
        cmocka_unit_test(test_threads_two_processes),
        cmocka_unit_test(test_random_mix),
        cmocka_unit_test(test_random_mix_workers),
        cmocka_unit_test(test_big_section_no_workers),
        cmocka_unit_test(test_big_section_workers),
        cmocka_unit_test(test_create_huge_commit_limit), /* last: see there */
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
