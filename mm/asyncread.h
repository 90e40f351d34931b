/* SPDX-License-Identifier: MIT */
/* asyncread.h - asynchronous read-ahead of a sequential stream's next window, on an I/O thread.
 * A hard fault waits for its own read; on a stream (the VAD's read window doubling,
 * mm/readahead.h) the disk then idles while the program works through what was read. So the fault
 * that reads window W also queues the read of window W + 1, and the first use of a page read that
 * way queues the window after it (Linux's PG_readahead marker): a scan finds its pages on Standby
 * (soft faults, `async_read_hits`) or in flight, where a fault waits as a collided fault does.
 *
 * The faulting thread only pins: frames allocated, owned, PFN_F_IO, PTEs TRANSITION, the VAD's
 * io_pending raised (releasing or decommitting it waits), all under the system lock, no I/O. The
 * I/O thread reads with the lock dropped, then, locked again, puts the frames on Standby as
 * read-ahead pages, or on a failed read gives the pages back their slots (PAGEFILE) and the frames
 * to Free: nothing is lost (`async_read_errors`). Never when free + standby frames would fall
 * below the low-memory threshold: speculation must not push out pages in use. */
#ifndef UMM_ASYNCREAD_H
#define UMM_ASYNCREAD_H

#include "state.h"

/* The build switch: 0 reads nothing ahead asynchronously (mm_asyncread_start makes no thread). */
#ifndef ASYNCREAD
#define ASYNCREAD 1
#endif

/* Reads queued or in flight at most (each one cluster). */
#define ASYNCREAD_QUEUE 4

/* Start the I/O thread of `sys` (with the workers). UMM_OK (*out set; NULL when ASYNCREAD is 0),
 * UMM_E_NOMEM or UMM_E_OS. */
int mm_asyncread_start(umm_system_t *sys, mm_asyncread_t **out);
/* Finish every queued read, then stop and join the thread. Called without the system lock;
 * clears sys->asyncread. NULL: no-op. */
void mm_asyncread_stop(umm_system_t *sys);
/* Queue the read of the paged-out run of private VAD `vad` starting at page `first` (at most
 * cluster_pages pages with consecutive slots), when the system has an I/O thread, a queue entry
 * and frames to spare. Returns the page after the run queued, or `first` when nothing was.
 * System locked; async-signal-safe (the fault path). */
size_t mm_asyncread_queue(mm_vad_t *vad, size_t first);

/* Frame f of a page of fault_vad is pinned by an asynchronous read (PFN_F_IO with PFN_F_ASYNC):
 * sleep until a read completes, with the system lock dropped (fault_vad's io_pending keeps it
 * from being released meanwhile), as a fault that collides with the kernel's read-ahead sleeps
 * on the page. Returns with the lock held: the caller retries (FAULT_BUSY). For any other frame,
 * returns at once. System locked; async-signal-safe. */
void mm_asyncread_wait(mm_vad_t *fault_vad, mm_pfn_id_t f);

#endif
