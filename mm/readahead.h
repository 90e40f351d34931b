/* SPDX-License-Identifier: MIT */
/* readahead.h - how many pages a hard fault reads: a window per VAD that adapts to whether the
 * pages read ahead get used, as Linux's VMA-based swap readahead does. A stream (a fault just past
 * the last read, or just before it, or past pages that all have frames, as a scan of a partly
 * resident range faults) doubles the window; otherwise the window follows the hits
 * since the last read (hits + 2, rounded up to a power of two, or 1 page when nothing was used
 * and the fault is not next to the last one) and never shrinks by more than half at a time. So a
 * sequential scan reads cluster_pages at a time and a random one settles on single pages, whose
 * neighbours would only be read for nothing.
 *
 * Hits are counted by the soft fault that maps a read-ahead page (PFN_F_READAHEAD), or by a
 * stream's hard fault that maps what it read (fault.c), misses when such a page is repurposed
 * unused. All under the system lock. */
#ifndef UMM_READAHEAD_H
#define UMM_READAHEAD_H

#include "state.h"

/* The aligned window of pages a hard fault on page i of vad may read (its clustering window),
 * and the VAD's state updated for it. */
size_t mm_readahead_window(mm_vad_t *vad, size_t i);

/* A long stream (MM_READAHEAD_LONG_STREAM hard faults in a row) leaves behind it pages the scan
 * will not touch again soon: the ones more than MM_READAHEAD_KEEP_BEHIND clusters behind page i,
 * MM_READAHEAD_DROP_SPAN clusters of them, go before pages the program touched long ago (Linux
 * drops behind a sequential file read the same way; the balancer's age order would take the
 * pages ahead of the scan first, the ones it is about to touch). A short stream does not count:
 * it is as often a burst the program returns to soon (a sort's partition scans, whose pages the
 * recursion touches again next: the swap case's sort ran 0.69-0.78x the kernel's time without
 * drop-behind, 0.75-0.91x from 8 faults, 0.82-0.91x from 16, while 80/20 gained as much from
 * 16). True, with [*lo, *hi), for the hard fault on page i that mm_readahead_window has just
 * placed. */
#define MM_READAHEAD_LONG_STREAM 16u
#define MM_READAHEAD_KEEP_BEHIND 2u
#define MM_READAHEAD_DROP_SPAN 4u
bool mm_readahead_passed(const mm_vad_t *vad, size_t i, size_t *lo, size_t *hi);

/* The read [lo, hi) of a hard fault on page i completed: its other frames are read-ahead pages. */
void mm_readahead_read_done(mm_vad_t *vad, size_t i, size_t lo, size_t hi, const mm_pfn_id_t *frames);

/* Another run [lo, hi) of the same fault's window was read: all its frames are read-ahead
 * pages, and the stream spans it too. After mm_readahead_read_done. */
void mm_readahead_read_more(mm_vad_t *vad, size_t lo, size_t hi, const mm_pfn_id_t *frames);

/* Frame f, named by page i of vad, is being made valid by a fault on page `faulting`: counts a
 * hit for the window when it was read ahead and unused and i is the page the program touched
 * (the caller passes i itself for pages the program is taken to use). */
void mm_readahead_use(mm_vad_t *vad, mm_pfn_id_t f, size_t i, size_t faulting);

/* A Standby frame of vad is being repurposed: a read-ahead page never used is a miss. */
void mm_readahead_repurposed(mm_vad_t *vad, mm_pfn_id_t f);

#endif
