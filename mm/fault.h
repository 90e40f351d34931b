/* SPDX-License-Identifier: MIT */
/* fault.h - resolving a page fault from the PTE, as Windows' MmAccessFault does: dispatch on the
 * PTE's format (valid with an emulated bit to set, transition, demand-zero, paging file, or a
 * section's prototype, resolved by the same code) or report an exception (guard page, access
 * violation, in-page error). Runs inside the SIGSEGV handler with the system locked:
 * async-signal-safe, no allocation; no lock is held across the I/O of a hard fault. */
#ifndef UMM_FAULT_H
#define UMM_FAULT_H

#include "state.h"

/* The largest fault cluster (cluster_pages): one fault's frame and PTE arrays live on the
 * signal stack, so this bounds the handler's stack use (about 2 KiB at 64 pages). */
#define FAULT_MAX_CLUSTER 64

/* FAULT_UNKNOWN: the platform cannot tell a write from a read (mm_os_fault_is_write() == -1).
 * FAULT_UNKNOWN_AGAIN: unknown too, and this thread's previous unknown fault was at the same address
 * (the handler remembers it): if the page is mapped readable now, the access was a write. */
/* FAULT_EXEC: an instruction fetch (resolved as a read where the page may be executed). */
enum fault_access { FAULT_READ = 0, FAULT_WRITE = 1, FAULT_EXEC = 2, FAULT_UNKNOWN = -1,
                    FAULT_UNKNOWN_AGAIN = -2 };

enum fault_result {
    FAULT_DONE,      /* the page is valid: retry the access */
    FAULT_BUSY,      /* another thread's I/O holds the page, or frames were just reclaimed:
                        retry the access after yielding the CPU */
    FAULT_EXCEPTION  /* *exc describes an exception to raise on the faulting thread */
};

/* Resolve a fault at addr inside vad. Called and returns with the system locked; a hard fault
 * or an emergency reclaim drops the lock while its I/O runs (the frames involved are pinned, and
 * the faulting VAD's io_pending keeps it from being released meanwhile). */
enum fault_result mm_fault_resolve(mm_vad_t *vad, uintptr_t addr, int access, umm_exception_t *exc);

/* Resolve a fault at addr for a read or a write as the SIGSEGV handler would, without a signal
 * and without touching the memory: takes the registry and system locks itself and retries while
 * the page is busy. Called with no umm lock held; returns UMM_OK once the fault is resolved (the
 * page may be trimmed again before the caller looks), or the error the exception stands for
 * (UMM_E_GUARD, UMM_E_ACCESS, an in-page error's cause; UMM_E_NOT_RESERVED outside umm). The
 * program's exception handler is not called: the caller reports the error. */
int mm_fault_touch(uintptr_t addr, bool write, umm_exception_t *exc);

/* A program's read filled pages [first, first + n) of vad whole with src's bytes (n pages): the
 * paged-out ones among them get new frames holding those bytes, without reading their old
 * contents back (their slots are freed, counted in io_reads_skipped); filled[k] is set for each
 * page first + k so filled. Pages in any other state are left as they are, for the probe. Not
 * on the fault path (the caller is a program's I/O). System locked; returns how many pages. */
/* Read-ahead of a file-backed section (filerd.h): read the run of pages from lo on in [lo, hi)
 * that have no frame yet (PAGEFILE), O_DIRECT straight into new frames speculation may take
 * (mm_frames_spare_for_speculation); they go to Standby at priority `prio` (the reader's).
 * Drops the lock for the read; the caller holds proto's io_pending. UMM_OK (read, or nothing to
 * read), UMM_E_NO_FRAMES (too few such frames: nothing done) or the read's error (the pages are
 * back to PAGEFILE). System locked. */
int mm_fault_read_file_ahead(mm_vad_t *proto, size_t lo, size_t hi, unsigned prio);
size_t mm_fault_overwrite(mm_vad_t *vad, size_t first, size_t n, const uint8_t *src, bool *filled);

#endif
