/* SPDX-License-Identifier: MIT */
/* writepool.h - the writer's I/O threads: a balance pass that writes the Modified list runs the
 * modified page writer (writer.h) on WRITEPOOL_HELPERS more threads beside its own, so several
 * writes are in flight at once. An in-place write of isolated pages is one synchronous 4 KiB
 * `pwritev` per page; one thread keeps one on the disk at a time, where the kernel's swap keeps
 * many. ext4 runs O_DIRECT overwrites of allocated blocks under a shared inode lock, so writes
 * from separate threads overlap on the device (io_uring's io-wq serialized them per inode:
 * docs/performance.md). Each helper takes whole clusters the way emergency reclaim does
 * (mm_writer_write_cluster_locked pins what it takes), so no page is written twice. */
#ifndef UMM_WRITEPOOL_H
#define UMM_WRITEPOOL_H

#include "state.h"

/* Helper threads per system (a build may set it; 0: the pass writes alone, as before the pool). */
#ifndef WRITEPOOL_HELPERS
#define WRITEPOOL_HELPERS 3
#endif


/* Start the helpers for `sys`. UMM_OK (*out set) or UMM_E_NOMEM / UMM_E_OS. */
int mm_writepool_start(umm_system_t *sys, mm_writepool_t **out);
/* Stop and join the helpers (none is writing once mm_writepool_write has returned). NULL: no-op. */
void mm_writepool_stop(mm_writepool_t *pool);
/* Write Modified down to `target` pages on the calling thread and every helper; returns when all
 * are done: UMM_OK or UMM_E_IO (a write failed; its pages stay Modified). Without a pool (NULL)
 * the calling thread writes alone (mm_writer_run). One caller at a time (the workers' loop). */
int mm_writepool_write(mm_writepool_t *pool, umm_system_t *sys, uint64_t target);

#endif
