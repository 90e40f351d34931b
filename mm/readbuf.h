/* SPDX-License-Identifier: MIT */
/* readbuf.h - warm buffers that hard-fault reads land in before the kernel copies them into the
 * frames of a memfd pool.
 *
 * Why: on a VM with shadow paging (docs/performance.md, "File-backed sections"), the first store
 * through a page-table entry the host has not seen lately costs 15-45 us per page, far more than
 * the 4 KiB copy: a preadv straight into frames through the physical view paid it once per frame
 * it had not filled lately (52 % of a sequential file read's samples in _copy_to_iter). A read
 * buffer is reused by every read, so its entries stay warm; pwrite into the memfd (the kernel's
 * own mapping of the frames) then costs a copy, not a host fault. A guest (sys->phys) has no
 * memfd pool and reads as before; so does an O_DIRECT paging file, whose device fills the frames
 * without any store of ours. Taken and given back under the system lock; the read and the
 * copy run with it dropped, the frames pinned (PFN_F_IO). */
#ifndef UMM_READBUF_H
#define UMM_READBUF_H

#include "state.h"

/* Make the buffers of a system with a memfd pool: MM_READBUF_COUNT of cluster_pages each,
 * touched once so they are warm. UMM_OK (also when there is nothing to make) or UMM_E_NOMEM. */
int mm_readbufs_create(umm_system_t *sys);
void mm_readbufs_destroy(umm_system_t *sys);

/* A free buffer of at least n pages, marked busy; NULL when none (all lent, a guest, a larger
 * read): the caller reads into the frames directly. System locked. */
uint8_t *mm_readbuf_take(umm_system_t *sys, size_t n);
/* Give back a buffer of mm_readbuf_take. System locked. */
void mm_readbuf_give(umm_system_t *sys, uint8_t *buf);

#endif
