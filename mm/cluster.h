/* SPDX-License-Identifier: MIT */
/* cluster.h - which neighbours a fault brings in with the faulting page, and which frame to give
 * them so their mappings merge. A fault resolves a cluster: the aligned window of cluster_pages
 * pages around the faulting page, clipped to the reservation and shrunk to the run of neighbours
 * in the same state (demand-zero with the same protection; transition with frames that continue
 * the faulting page's; paging-file slots that continue its slot), so one kernel call maps them
 * all and, for a hard fault, one read brings them in. */
#ifndef UMM_CLUSTER_H
#define UMM_CLUSTER_H

#include "state.h"

/* Does page k belong to page i's cluster? (Both in the same VAD.) */
typedef bool (*mm_cluster_same_fn)(const mm_vad_t *vad, size_t i, size_t k);
bool mm_cluster_same_demand_zero(const mm_vad_t *vad, size_t i, size_t k);
bool mm_cluster_same_transition(const mm_vad_t *vad, size_t i, size_t k);
bool mm_cluster_same_pagefile(const mm_vad_t *vad, size_t i, size_t k);

/* [*w0, *w1): the aligned window of `window` pages holding page i, clipped to the VAD. */
void mm_cluster_window(const mm_vad_t *vad, size_t i, size_t window, size_t *w0, size_t *w1);

/* [*lo, *hi): the pages around i, within its aligned window of `window` pages (clipped to the
 * VAD), that `same` accepts without a gap. */
void mm_cluster_around(const mm_vad_t *vad, size_t i, size_t window, mm_cluster_same_fn same,
                       size_t *lo, size_t *hi);

/* The frame that would continue the mapping of a neighbour (left of lo, or right of hi), so the
 * run [lo, hi) merges with it into one kernel mapping; PFN_NIL when neither neighbour is valid. */
mm_pfn_id_t mm_cluster_hint(const mm_vad_t *vad, size_t lo, size_t hi);

#endif
