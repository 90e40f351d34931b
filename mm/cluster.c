/* SPDX-License-Identifier: MIT */
/* cluster.c - fault clusters (see cluster.h). */
#include "cluster.h"

bool mm_cluster_same_demand_zero(const mm_vad_t *vad, size_t i, size_t k)
{
    return mm_pte_format(vad->pte[k]) == PTE_DEMAND_ZERO &&
           mm_pte_prot(vad->pte[k]) == mm_pte_prot(vad->pte[i]);
}

bool mm_cluster_same_transition(const mm_vad_t *vad, size_t i, size_t k)
{
    mm_pte_t p = vad->pte[i], q = vad->pte[k];
    mm_pfn_id_t f = (mm_pfn_id_t)mm_pte_num(q);
    return mm_pte_format(q) == PTE_TRANSITION && mm_pte_prot(q) == mm_pte_prot(p) &&
           (q & PTE_HW) == (p & PTE_HW) && mm_pte_num(q) == mm_pte_num(p) + (k - i) &&
           !(vad->proc->sys->pfn.e[f].flags & PFN_F_IO);
}

bool mm_cluster_same_pagefile(const mm_vad_t *vad, size_t i, size_t k)
{
    mm_pte_t p = vad->pte[i], q = vad->pte[k];
    return mm_pte_format(q) == PTE_PAGEFILE && mm_pte_prot(q) == mm_pte_prot(p) &&
           mm_pte_num(q) == mm_pte_num(p) + (k - i);
}

void mm_cluster_window(const mm_vad_t *vad, size_t i, size_t window, size_t *w0, size_t *w1)
{
    *w0 = i - i % window;
    *w1 = *w0 + window < vad->npages ? *w0 + window : vad->npages;
}

void mm_cluster_around(const mm_vad_t *vad, size_t i, size_t window, mm_cluster_same_fn same,
                       size_t *lo, size_t *hi)
{
    size_t w0, w1;
    mm_cluster_window(vad, i, window, &w0, &w1);
    size_t a = i, b = i + 1;
    while (a > w0 && same(vad, i, a - 1))
        a--;
    while (b < w1 && same(vad, i, b))
        b++;
    *lo = a;
    *hi = b;
}

mm_pfn_id_t mm_cluster_hint(const mm_vad_t *vad, size_t lo, size_t hi)
{
    if (lo > 0 && mm_pte_format(vad->pte[lo - 1]) == PTE_VALID)
        return (mm_pfn_id_t)mm_pte_num(vad->pte[lo - 1]) + 1;
    if (hi < vad->npages && mm_pte_format(vad->pte[hi]) == PTE_VALID && mm_pte_num(vad->pte[hi]) >= hi - lo)
        return (mm_pfn_id_t)(mm_pte_num(vad->pte[hi]) - (hi - lo));
    return PFN_NIL;
}
