/* SPDX-License-Identifier: MIT */
/* test_unit_cluster.c - unit tests of fault clusters (mm/cluster.h) on hand-built page tables
 * (unit_util.h's ut_vad).
 *
 * Covered: mm_cluster_around's window (aligned to its size, clipped at both ends of the VAD, a
 * window of 1, a window larger than the VAD) and, with each mm_cluster_same_* predicate, where a
 * cluster stops: another format, another protection, a frame or slot that does not continue the
 * faulting page's, another HW bit (transition), a frame pinned by I/O (transition); what does not
 * stop it (a stale HW bit on demand-zero and paging-file pages). mm_cluster_hint: the frame after
 * a valid left neighbour's, the frame before a valid right neighbour's, the left one first, none,
 * a right neighbour whose frame is too small to have the run below it, the VAD's ends. */
#include "unit_util.h"

#include "cluster.h"

#define NPAGES 40
#define W 16

static mm_pte_t dz(int prot) { return mm_pte_make(PTE_DEMAND_ZERO, prot, 0); }
static mm_pte_t tr(uint64_t frame, int prot) { return mm_pte_make(PTE_TRANSITION, prot, frame) | PTE_HW; }
static mm_pte_t pf(uint64_t slot, int prot) { return mm_pte_make(PTE_PAGEFILE, prot, slot); }
static mm_pte_t valid(uint64_t frame) { return mm_pte_make(PTE_VALID, TU_RW, frame) | PTE_ACCESSED | PTE_HW; }

static void fill(ut_vad_t *t, size_t a, size_t b, mm_pte_t (*make)(size_t i)) {
    for (size_t i = a; i < b; i++)
        ut_vad_set(t, i, make(i));
}

static mm_pte_t dz_rw(size_t i) { return (void)i, dz(TU_RW); }
static mm_pte_t tr_run(size_t i) { return tr(200 + i, TU_RW); } /* frames continue along pages */
static mm_pte_t pf_run(size_t i) { return pf(1000 + i, TU_RW); } /* slots continue along pages */

/* [lo, hi) of page i's cluster. */
#define ASSERT_CLUSTER(t, i, window, same, want_lo, want_hi)                                       \
    do {                                                                                           \
        size_t lo_ = 999, hi_ = 999;                                                               \
        mm_cluster_around((t)->vad, (i), (window), (same), &lo_, &hi_);                            \
        if (lo_ != (size_t)(want_lo) || hi_ != (size_t)(want_hi))                                  \
            fail_msg("page %zu, window %zu, %s: [%zu, %zu), want [%zu, %zu)", (size_t)(i),         \
                     (size_t)(window), #same, lo_, hi_, (size_t)(want_lo), (size_t)(want_hi));     \
    } while (0)

static void test_window_alignment_and_clipping(void **state) {
    (void)state;
    ut_vad_t t;
    ut_vad_new(&t, NPAGES);
    fill(&t, 0, NPAGES, dz_rw);
    mm_cluster_same_fn same = mm_cluster_same_demand_zero;
    ASSERT_CLUSTER(&t, 0, W, same, 0, 16);
    ASSERT_CLUSTER(&t, 5, W, same, 0, 16);
    ASSERT_CLUSTER(&t, 15, W, same, 0, 16);
    ASSERT_CLUSTER(&t, 16, W, same, 16, 32);   /* aligned: never [8, 24) */
    ASSERT_CLUSTER(&t, 20, W, same, 16, 32);
    ASSERT_CLUSTER(&t, 37, W, same, 32, NPAGES); /* the last window is clipped to the VAD */
    ASSERT_CLUSTER(&t, NPAGES - 1, W, same, 32, NPAGES);
    ASSERT_CLUSTER(&t, 37, 8, same, 32, NPAGES);
    ASSERT_CLUSTER(&t, 21, 8, same, 16, 24);
    ASSERT_CLUSTER(&t, 21, 1, same, 21, 22);   /* cluster_pages = 1: the page alone */
    ASSERT_CLUSTER(&t, 21, 64, same, 0, NPAGES); /* a window past both ends */
    ut_vad_free(&t);
}

static void test_demand_zero_stops(void **state) {
    (void)state;
    ut_vad_t t;
    ut_vad_new(&t, NPAGES);
    fill(&t, 0, NPAGES, dz_rw);
    mm_cluster_same_fn same = mm_cluster_same_demand_zero;
    ut_vad_set(&t, 35, mm_pte_make(PTE_DECOMMITTED, 0, 0));
    ut_vad_set(&t, 38, valid(7));
    ASSERT_CLUSTER(&t, 36, W, same, 36, 38);
    ut_vad_set(&t, 34, dz(UMM_PROT_READ));
    ASSERT_CLUSTER(&t, 33, W, same, 32, 34);   /* another protection */
    ASSERT_CLUSTER(&t, 34, W, same, 34, 35);   /* the READ page alone: its neighbours are RW */
    ut_vad_set(&t, 18, dz(TU_RW | UMM_PROT_GUARD));
    ASSERT_CLUSTER(&t, 20, W, same, 19, 32);   /* a guard page is another protection */
    ut_vad_set(&t, 25, 0);
    ASSERT_CLUSTER(&t, 20, W, same, 19, 25);   /* never committed */
    ut_vad_set(&t, 3, dz(TU_RW) | PTE_HW);     /* a stale mapping is still demand-zero */
    ut_vad_set(&t, 9, pf(4, TU_RW));
    ASSERT_CLUSTER(&t, 5, W, same, 0, 9);
    ut_vad_free(&t);
}

static void test_transition_stops(void **state) {
    (void)state;
    ut_vad_t t;
    ut_vad_new(&t, NPAGES);
    fill(&t, 0, NPAGES, tr_run);
    mm_cluster_same_fn same = mm_cluster_same_transition;
    ASSERT_CLUSTER(&t, 20, W, same, 16, 32);
    ASSERT_CLUSTER(&t, 37, W, same, 32, NPAGES);

    ut_vad_set(&t, 18, tr(500, TU_RW));        /* a frame that does not continue the run */
    ASSERT_CLUSTER(&t, 20, W, same, 19, 32);
    ut_vad_set(&t, 26, tr(200 + 25, TU_RW));   /* the previous frame again: not consecutive */
    ASSERT_CLUSTER(&t, 20, W, same, 19, 26);
    ut_vad_set(&t, 25, tr(225, UMM_PROT_READ)); /* another protection */
    ASSERT_CLUSTER(&t, 20, W, same, 19, 25);
    ut_vad_set(&t, 23, tr(223, TU_RW) & ~PTE_HW); /* not mapped while the faulting page is */
    ASSERT_CLUSTER(&t, 20, W, same, 19, 23);
    ASSERT_CLUSTER(&t, 23, W, same, 23, 24);   /* and the other way round */
    ut_vad_set(&t, 22, valid(222));            /* the right frame, but valid */
    ASSERT_CLUSTER(&t, 20, W, same, 19, 22);

    /* a frame pinned by paging I/O stops the cluster on either side */
    mm_lock(&t.sys->lock);
    t.sys->pfn.e[221].flags |= PFN_F_IO;
    t.sys->pfn.e[219].flags |= PFN_F_IO;
    mm_unlock(&t.sys->lock);
    ASSERT_CLUSTER(&t, 20, W, same, 20, 21);
    mm_lock(&t.sys->lock);
    t.sys->pfn.e[221].flags &= (uint16_t)~PFN_F_IO;
    t.sys->pfn.e[219].flags &= (uint16_t)~PFN_F_IO;
    mm_unlock(&t.sys->lock);
    ASSERT_CLUSTER(&t, 20, W, same, 19, 22);
    ut_vad_free(&t);
}

static void test_pagefile_stops(void **state) {
    (void)state;
    ut_vad_t t;
    ut_vad_new(&t, NPAGES);
    fill(&t, 0, NPAGES, pf_run);
    mm_cluster_same_fn same = mm_cluster_same_pagefile;
    ASSERT_CLUSTER(&t, 4, W, same, 0, 16);
    ASSERT_CLUSTER(&t, 36, W, same, 32, NPAGES);
    ut_vad_set(&t, 2, pf(1002, TU_RW) | PTE_HW); /* a stale mapping does not matter */
    ASSERT_CLUSTER(&t, 4, W, same, 0, 16);
    ut_vad_set(&t, 1, pf(7, TU_RW));             /* another slot */
    ut_vad_set(&t, 9, pf(1009, UMM_PROT_READ));  /* another protection */
    ASSERT_CLUSTER(&t, 4, W, same, 2, 9);
    ut_vad_set(&t, 6, tr(206, TU_RW));           /* read in already */
    ASSERT_CLUSTER(&t, 4, W, same, 2, 6);
    ASSERT_CLUSTER(&t, 8, W, same, 7, 9);
    ut_vad_free(&t);
}

/* ---------------------------------------------------------------------------------------------
 * mm_cluster_hint
 * ------------------------------------------------------------------------------------------- */

static void test_hint(void **state) {
    (void)state;
    ut_vad_t t;
    ut_vad_new(&t, NPAGES);
    fill(&t, 0, NPAGES, dz_rw);
    /* the cluster is [10, 14) */
    assert_int_equal(mm_cluster_hint(t.vad, 10, 14), PFN_NIL); /* no valid neighbour */
    ut_vad_set(&t, 9, tr(300, TU_RW));
    ut_vad_set(&t, 14, pf(3, TU_RW));
    assert_int_equal(mm_cluster_hint(t.vad, 10, 14), PFN_NIL); /* only valid neighbours count */

    ut_vad_set(&t, 9, valid(300));
    assert_int_equal(mm_cluster_hint(t.vad, 10, 14), 301);     /* continue the left one */
    ut_vad_set(&t, 14, valid(500));
    assert_int_equal(mm_cluster_hint(t.vad, 10, 14), 301);     /* the left one first */
    ut_vad_set(&t, 9, dz(TU_RW));
    assert_int_equal(mm_cluster_hint(t.vad, 10, 14), 496);     /* end just below the right one */
    ut_vad_set(&t, 14, valid(4));
    assert_int_equal(mm_cluster_hint(t.vad, 10, 14), 0);       /* frames 0-3: exactly fits */
    ut_vad_set(&t, 14, valid(3));
    assert_int_equal(mm_cluster_hint(t.vad, 10, 14), PFN_NIL); /* no room below frame 3 */
    ut_vad_set(&t, 14, valid(1)); /* (3 - 4 would truncate to PFN_NIL anyway; 1 - 4 would not) */
    assert_int_equal(mm_cluster_hint(t.vad, 10, 14), PFN_NIL);

    /* the ends: nothing left of page 0 or right of the last page */
    ut_vad_set(&t, NPAGES - 1, valid(600));
    assert_int_equal(mm_cluster_hint(t.vad, 0, NPAGES - 1), 600 - (NPAGES - 1));
    ut_vad_set(&t, NPAGES - 1, dz(TU_RW));
    ut_vad_set(&t, 0, valid(700));
    assert_int_equal(mm_cluster_hint(t.vad, 1, NPAGES), 701);
    assert_int_equal(mm_cluster_hint(t.vad, 0, NPAGES), PFN_NIL);
    ut_vad_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_alignment_and_clipping),
        cmocka_unit_test(test_demand_zero_stops),
        cmocka_unit_test(test_transition_stops),
        cmocka_unit_test(test_pagefile_stops),
        cmocka_unit_test(test_hint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
