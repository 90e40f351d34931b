/* SPDX-License-Identifier: MIT */
/* dirtypredict.h - whether a reservation's pages read back are soon written, so a read fault may
 * map them writable and dirty at once.
 *
 * umm emulates the dirty bit: a page read back (soft or hard fault) is mapped read-only, and its
 * first write costs a second fault (signal + mprotect). A program that writes most pages it reads
 * back (a sort, a hash join) pays that fault on almost every page. So each private VAD counts,
 * over windows of DIRTYPREDICT_WINDOW pages mapped clean by read faults, how many of those pages
 * then took a dirty-bit fault (a frame mark, PFN_F_READ_BACK, ties each such write to the read);
 * when at least three quarters did, its read faults map their pages dirty at once (the paging-file
 * copy becomes stale, as for a write fault), except one fault in DIRTYPREDICT_SAMPLE, which still
 * maps clean so the next window still measures. A wrong guess costs one write of a page that was
 * not changed, when it is trimmed; a right one saves a fault, so the bar is high (at one half, a
 * program writing its hot pages and seldom its cold ones turned eager and wrote twice the bytes:
 * docs/architecture.md section 15). Not for section views or prototypes (a shared frame),
 * write-watched VADs (the watch needs the write fault) nor a guest (mapping for write would break
 * its host's page sharing). All under the system lock. */
#ifndef UMM_DIRTYPREDICT_H
#define UMM_DIRTYPREDICT_H

#include "state.h"

#define DIRTYPREDICT_WINDOW 512u
#define DIRTYPREDICT_SAMPLE 8u

/* Should a read fault in vad map its pages dirty now? (Counts the fault for the sampling.) */
bool mm_dirtypredict_write(mm_vad_t *vad);
/* A read fault mapped n pages of vad clean (read-only until written). */
void mm_dirtypredict_mapped_clean(mm_vad_t *vad, size_t n);
/* A write faulted on a clean page of vad (the emulated dirty bit) whose frame is e: evidence
 * when a read fault brought it back (PFN_F_READ_BACK, cleared now). */
void mm_dirtypredict_dirtied(mm_vad_t *vad, mm_pfn_t *e);

#endif
