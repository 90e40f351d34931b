/* SPDX-License-Identifier: MIT */
/* test_sections_paging.c - sections: working sets and paging.
 *
 * Covered: emptying one process's working set loses nothing and does not disturb the other;
 * emptying all + flush + purge brings the data back by hard faults through both views, with the
 * dirty state of shared pages tracked (cluster 1 and 16); trim and soft-fault counters for view
 * pages; umm_ws_trim on two views of one process; a hard working-set maximum on views; a random
 * mix of sections, views and processes checked against a model (UMM_SECTIONS_SEED=n tries another
 * seed), with and without the workers; a section three times the RAM. Helpers: section_util.h. */
#include "section_util.h"

/* ============================================================================================
 * working sets and paging
 * ========================================================================================== */

/* Emptying one process's working set loses nothing and does not disturb the other process; the
 * emptied one reads back by soft fault even after flush + purge (the frames are still in use).
 * Emptying both + flush + purge: the data comes back from the paging file through both views,
 * and a later write through one view is not lost to the stale paging-file copy. */
static void ws_empty_paging(unsigned cluster) {
    umm_system_t *sys;
    umm_process_t *p1 = sys_nw(&sys, 4 * MIB, 16 * MIB, cluster);
    umm_process_t *p2 = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 64;
    unsigned char *v1, *v2;
    umm_section_t *sec = sec_two_views_filled(sys, n, p1, &v1, p2, &v2);
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
    pu_page_out(sys, p2);
    sc_consistent(sys);
    for (size_t i = 0; i < n; i++)
        assert_page_idx(v2, i, (i % 2 == 0) ? 2 : 3);
    sc_consistent(sys);

    close_and_release(sec, p2, v2, p1, v1);
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
    umm_process_t *p1 = sys_nw(&sys, 4 * MIB, 8 * MIB, 1);
    umm_process_t *p2 = proc_new(sys);
    const size_t n = 32;
    unsigned char *v1, *v2;
    umm_section_t *sec = sec_two_views_filled(sys, n, p1, &v1, p2, &v2);

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

    close_and_release(sec, p1, v1, p2, v2);
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
    umm_process_t *p1 = sys_nw(&sys, 4 * MIB, 8 * MIB, 1);
    umm_process_t *p2 = proc_new(sys);
    const size_t n = 32;
    unsigned char *v1, *v2;
    umm_section_t *sec = sec_two_views_filled(sys, n, p1, &v1, p2, &v2);
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

    close_and_release(sec, p1, v1, p2, v2);
    assert_int_equal(tu_stats(sys).committed, 0);
    sc_consistent(sys);
    umm_system_destroy(sys);
}

/* umm_ws_trim on views, a few pages at a time, with the same process holding two views. */
static void test_ws_trim_two_views(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc = sys_nw(&sys, 4 * MIB, 8 * MIB, 4);
    umm_stats_t b = tu_stats(sys);
    const size_t n = 128;
    unsigned char *va, *vb;
    umm_section_t *sec = sec_two_views(sys, n, proc, &va, proc, &vb);
    for (int round = 1; round <= 6; round++) {
        unsigned char *w = (round & 1) ? va : vb, *r = (round & 1) ? vb : va;
        for (size_t i = 0; i < n; i++) {
            fill_idx(w, i, (uint64_t)round);
            if (i % 16 == 15)
                assert_int_equal(umm_ws_trim(proc, 24), UMM_OK);
        }
        sc_consistent(sys);
        if (round % 3 == 0) {
            pu_page_out(sys, proc);
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

/* A hard working-set maximum holds for view pages too; nothing is lost. */
static void test_view_ws_hard_max(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1 = sys_nw(&sys, 4 * MIB, 8 * MIB, 1);
    umm_process_t *p2 = proc_new(sys);
    umm_stats_t b = tu_stats(sys);
    assert_int_equal(umm_ws_set_limits(p1, 8, 16, UMM_WS_HARD_MAX), UMM_OK);
    const size_t n = 64;
    unsigned char *v1, *v2;
    umm_section_t *sec = sec_two_views(sys, n, p1, &v1, p2, &v2);
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
    close_and_release(sec, p1, v1, p2, v2);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
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
            check_quiet_if(sys, workers);
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
    check_quiet_if(sys, workers);

    assert_int_equal(umm_release(p1, v1), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, b.committed + n);
    assert_int_equal(umm_release(p2, v2), UMM_OK);
    /* with workers, the zero page thread may hold a batch of the freed frames (Active, pinned)
     * for a moment: wait for it before counting frames (up to 10 s: a loaded machine may not run
     * it for seconds) */
    uint64_t t0 = pu_now_ms();
    while (workers && (tu_stats(sys).active != b.active || tu_stats(sys).free != 0) &&
           pu_now_ms() - t0 < 10000)
        pu_sleep_ms(5);
    assert_all_given_back(sys, &b);
    check_quiet_if(sys, workers);
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

int main(int argc, char **argv) {
    if (argc > 1) /* run only the tests matching a pattern: ./test_sections_paging 'test_*' */
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ws_empty_paging_c1),
        cmocka_unit_test(test_ws_empty_paging_c16),
        cmocka_unit_test(test_counters_trim),
        cmocka_unit_test(test_counters_soft_fault),
        cmocka_unit_test(test_ws_trim_two_views),
        cmocka_unit_test(test_view_ws_hard_max),
        cmocka_unit_test(test_random_mix),
        cmocka_unit_test(test_random_mix_workers),
        cmocka_unit_test(test_big_section_no_workers),
        cmocka_unit_test(test_big_section_workers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
