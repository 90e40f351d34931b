/* SPDX-License-Identifier: MIT */
/* writer.h - the modified page writer: dirty pages on the Modified list are written to the
 * paging file in writes of up to 16 pages into contiguous slots: runs of pages that are neighbours
 * in their reservation (so a later hard fault reads a run back in one I/O), gathered around the
 * oldest Modified frames until the write is full, and then move to Standby. The frames are pinned
 * (PFN_F_IO) while the system lock is dropped for the write. A failed write leaves every page on
 * Modified with its data; the error is counted and retried later. */
#ifndef UMM_WRITER_H
#define UMM_WRITER_H

#include "state.h"

#define WRITER_CLUSTER_PAGES 16

/* Write one cluster. Called with the system locked; drops it during the write and retakes it.
 * Returns pages written, 0 when nothing could be written (nothing modified, paging file full),
 * -1 when the write failed. */
long mm_writer_write_cluster_locked(umm_system_t *sys);

/* Is another thread writing some Modified frame right now (the lock dropped)? System locked. */
bool mm_writer_in_flight(umm_system_t *sys);

/* Write clusters until at most `target` pages are modified, nothing more can be written, or a
 * write fails. Takes the lock itself. Returns UMM_OK or UMM_E_IO. */
int mm_writer_run(umm_system_t *sys, uint64_t target);

#endif
