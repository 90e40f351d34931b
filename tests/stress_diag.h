/* SPDX-License-Identifier: MIT */
/* stress_diag.h - when a stress test finds a page holding the wrong bytes: what umm's own tables
 * say about it (the PTE, its frame, the frame's list and slot), and where the expected bytes are
 * (a frame still holding them, the paging-file slot). Reads umm's internals (the tests link the
 * library's objects), under the system lock. Only on the failure path. */
#ifndef UMM_STRESS_DIAG_H
#define UMM_STRESS_DIAG_H

#include "stress_model.h"

#include "pte.h"
#include "registry.h"
#include "state.h"

#include <sys/uio.h>

static void st_diagnose(const char *page, uint64_t gen, char *out, size_t cap) {
    size_t n = 0;
    mm_vad_t *vad = mm_registry_lookup_lock((uintptr_t)page);
    if (!vad) {
        snprintf(out, cap, " [diag: no VAD]");
        return;
    }
    umm_system_t *sys = vad->proc->sys;
    size_t i = ((uintptr_t)page - vad->start) >> sys->page_shift;
    mm_pte_t p = vad->pte[i];
    n += (size_t)snprintf(out + n, cap - n, " [diag: PTE %s prot %d hw %d acc %d dirty %d num %" PRIu64,
                          mm_pte_format_name(mm_pte_format(p)), mm_pte_prot(p), !!(p & PTE_HW),
                          !!(p & PTE_ACCESSED), !!(p & PTE_DIRTY), mm_pte_num(p));
    if (mm_pte_has_frame(p) && n < cap) {
        const mm_pfn_t *e = mm_pfn_entry(&sys->pfn, (mm_pfn_id_t)mm_pte_num(p));
        n += (size_t)snprintf(out + n, cap - n, "; frame list %s flags %u slot %u owner %u/%u",
                              mm_pfn_list_name((enum mm_list_id)e->list), e->flags, e->slot, e->vad,
                              e->index);
    }
    /* where are the expected bytes? */
    uint64_t want = pu_word_value(page, gen);
    for (mm_pfn_id_t f = 0; f < sys->pfn.nframes && n < cap && sys->pool.view; f++) {
        const uint64_t *w = (const uint64_t *)(sys->pool.view + ((size_t)f << sys->page_shift));
        if (w[0] == want) {
            const mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
            n += (size_t)snprintf(out + n, cap - n, "; data in frame %u (list %s, owner %u/%u, slot %u)",
                                  f, mm_pfn_list_name((enum mm_list_id)e->list), e->vad, e->index,
                                  e->slot);
        }
    }
    for (uint64_t s = 0; s < sys->pf.nslots && n < cap && sys->pf.fd >= 0; s++) {
        uint64_t w0 = 0;
        struct iovec iov = {&w0, sizeof w0};
        if (preadv(sys->pf.fd, &iov, 1, (off_t)(s << sys->page_shift)) == (ssize_t)sizeof w0 &&
            w0 == want)
            n += (size_t)snprintf(out + n, cap - n, "; data in slot %" PRIu64 " (used %d)", s,
                                  (int)mm_pagefile_slot_used(&sys->pf, s));
    }
    if (n < cap)
        snprintf(out + n, cap - n, "]");
    mm_unlock(&sys->lock);
}

/* Which page of the region, written with which generation, a word-0 value comes from (threads
 * number their generations (t << 40) + k). Brute force, on the failure path only. */
static void st_identify(const char *base, size_t npages, size_t page_bytes, uint64_t value, char *out,
                        size_t cap) {
    for (size_t pg = 0; pg < npages; pg++)
        for (uint64_t t = 0; t < 8; t++)
            for (uint64_t k = 0; k < 16384; k++) {
                uint64_t gen = (t << 40) + k;
                if (gen && pu_word_value(base + pg * page_bytes, gen) == value) {
                    snprintf(out, cap, " [the value is page %zu's word 0 of gen %" PRIu64 "]", pg, gen);
                    return;
                }
            }
    snprintf(out, cap, " [the value is no page's word 0 of any generation]");
}

#endif
