/* SPDX-License-Identifier: MIT */
/* ws.h - working sets: taking pages out of a process's working set (trimming) and aging them
 * with the emulated accessed bit. A trimmed page's frame goes to Standby (clean, has a
 * paging-file copy), Modified (dirty) or, when it holds only zeros, straight back to Zeroed with
 * the PTE returned to demand-zero. Every call asserts the system lock is held. */
#ifndef UMM_WS_H
#define UMM_WS_H

#include "state.h"

enum ws_trim_flags {
    WS_TRIM_ALL = 1u << 0,   /* ignore the accessed bit (EmptyWorkingSet) */
    WS_TRIM_UNMAP = 1u << 1, /* unmap instead of PROT_NONE: frees VMAs, costs the cheap soft fault */
};

/* Clock with second chance over the process's valid pages, from its clock hand: an accessed
 * page loses its accessed bit (one mprotect per run), a page not accessed since is trimmed.
 * Under UMM_TRIM_AGING only dirty pages get the second chance (and the pages of a scanned
 * cluster: ws.c, clock_takes); under UMM_TRIM_FIFO none (as WS_TRIM_ALL). At most two
 * revolutions. Returns the number of pages trimmed. */
size_t mm_ws_trim_locked(umm_process_t *proc, size_t want, unsigned flags);

/* Age the working set: accessed pages lose the bit and restart at age 0 (one mprotect per run),
 * the others grow one older (up to 7). Returns how many pages are aged (>= 1) afterwards. */
uint64_t mm_ws_age(umm_process_t *proc);
/* FIFO aging: every valid page grows one older whether it was accessed or not (no syscalls). */
uint64_t mm_ws_age_fifo(umm_process_t *proc);
/* hist[a]: valid pages of age a that may be trimmed (not accessed; any under FIFO). */
void mm_ws_age_histogram(umm_process_t *proc, uint64_t hist[8]);
/* What mm_ws_trim_aged may take besides pages not accessed (accessed too under FIFO). */
enum ws_aged_flags {
    WS_AGED_PRIVATE = 1u, /* only pages whose frame the backend does not share */
    WS_AGED_ANY = 2u,     /* accessed pages too */
};
/* Trim up to `want` valid pages at least min_age old and not accessed (accessed too under FIFO),
 * as `flags` (WS_AGED_*) narrow or widen that. */
size_t mm_ws_trim_aged(umm_process_t *proc, unsigned min_age, size_t want, unsigned flags);

/* Trim every valid page in [a, b) of the VAD. Returns pages trimmed. */
size_t mm_ws_trim_range(mm_vad_t *vad, size_t a, size_t b, unsigned flags);

/* Pages a scan has passed and will not touch again soon: trim [a, b) and put the frames that
 * reach Standby (a private page's, or a view's section page no other view maps) at the front of
 * their Standby lists, page a first, so that they are the next frames taken rather than those of
 * pages touched long ago. Dirty pages go to Modified as trimming puts them. Returns pages
 * trimmed. */
size_t mm_ws_drop_range(mm_vad_t *vad, size_t a, size_t b);

#endif
