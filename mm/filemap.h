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

typedef struct mm_filemap {
    mm_pagefile_t store; /* fd, page size, failure points (umm/file/read, umm/file/write) */
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
