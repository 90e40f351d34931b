/* SPDX-License-Identifier: MIT */
/* filemap.h - the file-backed store of a section (CreateFileMapping over a real file): the
 * section's page k lives at byte k * page of the user's file instead of in a paging-file slot.
 *
 * The fault, trim and writer paths treat such a section like a paging-file-backed one with one
 * difference: its "slots" are not allocated, they are its page numbers. A prototype PTE that is
 * not resident is PAGEFILE with num = k (reads cluster as consecutive slots do); a frame of the
 * section records slot k + 1 exactly while the file holds its bytes (clean), and 0 once it is
 * written (dirty: the file is stale). Nothing is freed in a bitmap for it and no commit is
 * charged (Windows charges none for file-backed sections).
 *
 * Invariant: store.fd is umm's own descriptor (a dup of the caller's), store.bitmap is NULL,
 * the file is at least npages * page bytes long and open for writing when the section's
 * protection (umm_section_t.prot, the bound of its views) has UMM_PROT_WRITE. The system lock protects the section's pages; the I/O calls run
 * unlocked on pinned frames. */
#ifndef UMM_FILEMAP_H
#define UMM_FILEMAP_H

#include "state.h"

#define FILEMAP_RUN_PAGES 16 /* pages per write, as the writer's clusters */

/* Read-ahead of file-backed sections (filerd.h runs it): a read fault through a view that
 * continues a sequential stream (mm_filemap_stream_t) queues the section's next pages,
 * FILEMAP_AHEAD_FIRST pages at first and twice as many each time up to FILEMAP_AHEAD_MAX, as the
 * kernel's read-ahead grows from 128 KiB to its device's maximum. I/O threads take the queue in
 * pieces of at most FILEMAP_AHEAD_PIECE pages and read each with one O_DIRECT preadv straight into
 * consecutive frames (the device stores, not the CPU: on a PVM guest a CPU store through a cold
 * page-table entry costs a host fault per page, docs/performance.md), several in flight. The
 * pages wait in transition (PFN_F_IO) while their read runs, then on Standby, so the view's faults
 * find them resident and map whole windows in one call.
 *
 * Rules: only pages with no frame (PAGEFILE: the file holds their newest bytes) are read; frames
 * come from Zeroed and Free, then from Standby of no higher priority than the reader's, and only
 * while FILEMAP_AHEAD_RESERVE more remain and no page read ahead and unused would be repurposed
 * (mm_frames_spare_for_speculation: read-ahead never evicts read-ahead); the pages wait on
 * Standby at the reader's priority. A stream short of free frames moves the pages it has passed
 * (more than FILEMAP_AROUND_MAX behind, up to FILEMAP_PASSED_SPAN at a time) out of its view's
 * working set to the front of Standby, as Windows does with a sequential-only file's cache views
 * (FrontOfList) and Linux with use-once pages: they are repurposed before what was read ahead.
 * Without that, the passed pages stayed Active while the read-ahead waited on Standby, first in
 * line for the next fault that needed a frame: a 256 MiB scan in 32 MiB of RAM read 19 % more
 * pages than the file has. A piece that finds too few frames goes back to its stream, which
 * queues it again at its next fault (mm_filemap_unqueue); a piece the stream has passed is not
 * read. A read that fails puts its
 * pages back to PAGEFILE (the fault reads them itself and reports the error); a section with no
 * view left is not read; O_DIRECT reads whole pages, so a partial last page is left to the
 * fault. A queued piece holds its prototype VAD's io_pending, so the section's end waits for it.
 * Where the file refuses O_DIRECT (tmpfs, POSIX) none of this runs (file_direct_refused). */
#define FILEMAP_AHEAD_FIRST 64    /* 256 KiB at 4 KiB pages: the first request of a stream */
#define FILEMAP_AHEAD_MAX 2048    /* 8 MiB: the largest (vda's read_ahead_kb here) */
#define FILEMAP_AHEAD_PIECE 256   /* 1 MiB a read */
#define FILEMAP_AHEAD_QUEUE 64    /* queued pieces at most: 64 MiB */
#define FILEMAP_AHEAD_RESERVE 64  /* free frames a piece leaves for demand */
#define FILEMAP_PASSED_SPAN 512   /* passed pages a stream's fault moves to Standby at most */
#define FILEMAP_AROUND_MAX 256    /* pages a read fault of a stream maps at most: one piece */

typedef struct mm_filemap_piece {
    mm_vad_t *proto; /* its io_pending counts this piece */
    size_t lo, hi;
    unsigned prio;   /* the standby priority of the process whose read queued it */
} mm_filemap_piece_t;

/* The system's read-ahead queue (sys->file_queue, while its threads run). Invariant (system
 * lock): count <= FILEMAP_AHEAD_QUEUE pieces from q[head], each of at most FILEMAP_AHEAD_PIECE
 * pages and counted in its prototype's io_pending; stopping goes only from false to true, and
 * once true nothing is queued. wake changes with every queueing: the futex word idle threads
 * sleep on. */
typedef struct mm_filemap_queue {
    mm_filemap_piece_t q[FILEMAP_AHEAD_QUEUE];
    size_t head, count;
    bool stopping;
    _Atomic int wake;
    unsigned inflight; /* pieces a thread is reading now */
    _Atomic int done;  /* changes as each piece ends: the futex word faults wait on */
} mm_filemap_queue_t;

/* A read fault made page i of a view of a file-backed section resident: follow the stream, queue
 * what it needs next (read at the view's process's priority) and wake a thread; short of free
 * frames, move the pages the stream passed to the front of Standby. System locked.
 * [signal-safe] (no I/O, no allocation; the passed pages' kernel calls are async-signal-safe). */
void mm_filemap_stream(mm_vad_t *view, size_t i);
/* The stream's read-ahead from section page lo on found too few frames: the stream queues it
 * again from there at its next fault, after it has moved its passed pages to Standby. System
 * locked. */
void mm_filemap_unqueue(umm_section_t *sec, size_t lo);
/* The pages a read fault through a view on section page k maps with it (fault-around), given
 * its cluster of w pages: FILEMAP_AROUND_MAX while the fault continues a sequential stream the
 * I/O threads read ahead of (each fault then maps what they read: one signal and one kernel call
 * per piece, where a cluster's window took eight), else w. System locked. [signal-safe] */
size_t mm_filemap_around_pages(const umm_section_t *sec, size_t k, size_t w);
/* A read fault through view on section page k finds it pinned while read-ahead pieces are being
 * read: sleep until one of them ends (the view's io_pending keeps it meanwhile) and return true,
 * so the fault retries once, where it would spin on sched_yield. False (nothing done) otherwise.
 * System locked; drops it while asleep. [signal-safe] */
bool mm_filemap_wait_ahead(mm_vad_t *view, size_t k);
/* A thread starts reading a piece, or ends it (waking every fault waiting). System locked. */
void mm_filemap_piece_begin(mm_filemap_queue_t *q);
void mm_filemap_piece_end(mm_filemap_queue_t *q);
/* The oldest queued piece into *out; false when none. System locked. */
bool mm_filemap_queue_pop(mm_filemap_queue_t *q, mm_filemap_piece_t *out);

/* A sequential stream through the section's views, as the read-ahead threads follow it
 * (filerd.h). Invariant: chunk is 0 (no stream) or FILEMAP_AHEAD_FIRST..FILEMAP_AHEAD_MAX, a
 * power of two times the first; next is the first page not yet queued. */
typedef struct mm_filemap_stream {
    size_t last;  /* the section page of the last read fault through a view */
    size_t next;
    size_t chunk; /* pages the next request queues */
} mm_filemap_stream_t;

typedef struct mm_filemap {
    mm_pagefile_t store;  /* fd, page size, failure points (umm/file/read, umm/file/write) */
    mm_pagefile_t direct; /* the same file read O_DIRECT (fd -1: none); read-ahead only */
    bool refused;         /* the file refused O_DIRECT (else none: UMM_CFG_FILE_BUFFERED) */
    mm_filemap_stream_t stream;
} mm_filemap_t;

/* Write the section's Modified frames [lo, hi) of its prototype VAD (TRANSITION on Modified,
 * not pinned: mm_filemap_writable; at most FILEMAP_RUN_PAGES) to the file with the lock dropped, pinned with PFN_F_IO; then
 * they go to Standby with their copy, or back to Modified on an error. Returns the pages
 * written, or -1 on an error (writer_errors counted). System locked. */
long mm_filemap_write_run(umm_system_t *sys, mm_vad_t *proto, size_t lo, size_t hi);
/* Is page k of the prototype VAD a frame on Modified that no I/O holds (one the writer may take)? */
bool mm_filemap_writable(umm_system_t *sys, const mm_vad_t *proto, size_t k);

/* Write every page of the section in [first, first + n) that is newer than the file: the pages
 * views map are trimmed from them first (they come back by a soft fault). Waits for I/O in
 * progress. UMM_OK, or UMM_E_IO (the pages that failed stay dirty: nothing lost). Locked;
 * drops the lock while writing. */
int mm_filemap_flush_locked(umm_section_t *sec, size_t first, size_t n);

/* The store of a file section over the caller's fd (umm keeps a descriptor of its own) for
 * *bytes bytes (0: the file's size; *bytes gets the size), `prot` what views may do: grows the
 * file to *bytes when writable. UMM_OK, UMM_E_HANDLE (fd), UMM_E_ACCESS (READ|WRITE over a file
 * not open for writing), UMM_E_RANGE, UMM_E_IO, UMM_E_NOMEM. Not locked. */
int mm_filemap_open(umm_system_t *sys, int fd, uint64_t *bytes, int prot, mm_filemap_t **out);
/* Release the store (closes umm's descriptor; the user's file stays). */
void mm_filemap_close(mm_filemap_t *fm);

#endif
