/* SPDX-License-Identifier: MIT */
/* unit_util.h - helpers for the unit suites of the building blocks (test_unit_*.c).
 * Header-only, static inline; builds on paging_util.h (its PRNG) and test_util.h.
 *
 *   ut_vad_*():        a hand-built page table: a VAD from mm_vad_alloc on a process of a real
 *                      system, never attached, whose PTEs a test sets one by one (ut_vad_set walks
 *                      legal transitions through mm_vad_pte_write, under the system lock)
 */
#ifndef UMM_UNIT_UTIL_H
#define UMM_UNIT_UTIL_H

#include "paging_util.h"

#include "lock.h"
#include "state.h"
#include "vad.h"
#include "vma.h"

/* ---- a hand-built page table ----------------------------------------------------------------
 * The VAD is not attached to its process: no fault, trim or umm_check ever walks it, so its PTEs
 * may name frames that are really on Zeroed. Only mm_vma_refresh reaches outside it (it adds its
 * boundaries to the process's and the system's vma_count), so ut_vad_free clears every PTE,
 * refreshes, and checks the counts are back where they started before umm_check runs. */

typedef struct ut_vad {
    umm_system_t *sys;
    umm_process_t *proc;
    mm_vad_t *vad;
    uint64_t proc_vma0, sys_vma0; /* the counts before the VAD added any boundary */
} ut_vad_t;

static inline void ut_vad_new(ut_vad_t *t, size_t npages) {
    umm_config_t c = tu_config(4 * TU_MIB, 16);
    c.flags = UMM_CFG_NO_WORKERS;
    tu_sys_new_cfg(&c, &t->sys, &t->proc);
    /* an address no reservation has: the VAD is never registered, nothing maps there */
    t->vad = mm_vad_alloc(t->proc, (uintptr_t)1 << 40, npages * t->sys->page_size, TU_RW);
    assert_non_null(t->vad);
    assert_int_equal(t->vad->npages, npages);
    t->proc_vma0 = t->proc->vma_count;
    t->sys_vma0 = t->sys->vma_count;
}

/* Bring PTE i to `to` along legal transitions (each step through mm_vad_pte_write, which asserts
 * legality in debug builds): first NONE, then DEMAND_ZERO -> VALID -> TRANSITION -> PAGEFILE as
 * far as needed, or straight to PROTOTYPE; DECOMMITTED through DEMAND_ZERO. */
static inline void ut_vad_set_locked(mm_vad_t *vad, size_t i, mm_pte_t to) {
    unsigned f = mm_pte_format(to);
    int prot = mm_pte_prot(to), plain = prot & ~UMM_PROT_GUARD; /* a VALID step cannot guard */
    mm_vad_pte_write(vad, i, 0);
    if (f == PTE_NONE)
        return;
    if (f == PTE_PROTOTYPE) {
        mm_vad_pte_write(vad, i, to);
        return;
    }
    mm_vad_pte_write(vad, i, f == PTE_DEMAND_ZERO ? to : mm_pte_make(PTE_DEMAND_ZERO, plain, 0));
    if (f == PTE_DEMAND_ZERO)
        return;
    if (f == PTE_DECOMMITTED) {
        mm_vad_pte_write(vad, i, to);
        return;
    }
    mm_vad_pte_write(vad, i, f == PTE_VALID ? to : mm_pte_make(PTE_VALID, plain, 1));
    if (f == PTE_VALID)
        return;
    mm_vad_pte_write(vad, i, f == PTE_TRANSITION ? to : mm_pte_make(PTE_TRANSITION, plain, 1));
    if (f == PTE_PAGEFILE)
        mm_vad_pte_write(vad, i, to);
}

static inline void ut_vad_set(ut_vad_t *t, size_t i, mm_pte_t to) {
    mm_lock(&t->sys->lock);
    ut_vad_set_locked(t->vad, i, to);
    mm_unlock(&t->sys->lock);
}

static inline void ut_vad_refresh(ut_vad_t *t, size_t a, size_t b) {
    mm_lock(&t->sys->lock);
    mm_vma_refresh(t->vad, a, b);
    mm_unlock(&t->sys->lock);
}

static inline void ut_vad_free(ut_vad_t *t) {
    mm_lock(&t->sys->lock);
    for (size_t i = 0; i < t->vad->npages; i++)
        mm_vad_pte_write(t->vad, i, 0);
    mm_vma_refresh(t->vad, 0, t->vad->npages);
    uint64_t left = t->vad->boundaries, pv = t->proc->vma_count, sv = t->sys->vma_count;
    mm_unlock(&t->sys->lock);
    assert_int_equal(left, 0);
    assert_int_equal(pv, t->proc_vma0);
    assert_int_equal(sv, t->sys_vma0);
    mm_vad_free(t->vad);
    tu_assert_consistent(t->sys);
    umm_system_destroy(t->sys);
}

#endif /* UMM_UNIT_UTIL_H */
