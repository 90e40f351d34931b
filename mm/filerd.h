/* SPDX-License-Identifier: MIT */
/* filerd.h - the I/O threads that run file-backed sections' read-ahead (filemap.h: what is read,
 * when, and its rules): FILERD_THREADS threads per system, started by the first file-backed
 * section whose file takes a second O_DIRECT descriptor, stopped at the system's end. Each takes
 * the oldest queued piece and reads it (mm_fault_read_file_ahead) with the system lock dropped,
 * so up to FILERD_THREADS reads are in flight ahead of the program. */
#ifndef UMM_FILERD_H
#define UMM_FILERD_H

#include "state.h"

#define FILERD_THREADS 3 /* reads in flight at most */

/* Start the threads of sys unless they run. System unlocked. UMM_OK, UMM_E_NOMEM or UMM_E_OS. */
int mm_filerd_start(umm_system_t *sys);
/* Drop what is queued, let the reads in flight end, join the threads. System unlocked. */
void mm_filerd_stop(umm_system_t *sys);

#endif
