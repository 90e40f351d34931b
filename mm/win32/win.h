/* SPDX-License-Identifier: MIT */
/* win.h - what the files of libumm_win share: the thread's last error, the default system and
 * process, the handle table, and the translations between Windows' and umm's flags and codes.
 * libumm_win sits above the public API: it includes umm.h and umm_win.h only, never mm/. */
#ifndef UMM_WIN_INTERNAL_H
#define UMM_WIN_INTERNAL_H

#include "umm_win.h"

#include <stdbool.h>

/* Fail a call: set the thread's last error, return `ret` (NULL, FALSE, 0). */
#define WIN_FAIL(err, ret) (SetLastError(err), (ret))

/* ---- handles ----
 * A handle is (slot + 1) * 4, as Windows' are multiples of 4, so NULL, INVALID_HANDLE_VALUE and
 * the pseudo-handle are never one. Invariant: a slot's kind is WIN_FREE exactly when its object
 * pointer is NULL; a mapping object belongs to one slot (and holds one handle of its section). */
enum win_kind { WIN_FREE = 0, WIN_PROCESS, WIN_MAPPING, WIN_NOTIFICATION, WIN_FILE };
/* What CloseHandle does with a handle's object, given when the handle is made (as a Windows
 * object type's close procedure): NULL when the object outlives its handles. */
typedef void win_close_fn(void *object);
/* A WIN_FILE handle's object is the descriptor + 1 (UmmWinFileHandle): never NULL. */

/* A handle to a file mapping: one handle of a umm section (which keeps the name, the protection
 * and SEC_RESERVE, so a second handle, from OpenFileMapping, opens the same section). */
typedef struct win_mapping {
    umm_section_t *sec;
    DWORD protect;       /* the page protection given to CreateFileMapping (no SEC_ flags) */
    DWORD attributes;    /* SEC_COMMIT / SEC_RESERVE / SEC_NOCACHE / SEC_WRITECOMBINE */
    SIZE_T size;         /* bytes, as asked (opened: the section's whole pages) */
} win_mapping_t;

HANDLE win_handle_new(enum win_kind kind, void *object, win_close_fn *close);
/* The object of a handle of that kind, or NULL (ERROR_INVALID_HANDLE is then the caller's). */
void *win_handle_get(HANDLE h, enum win_kind kind);
/* Free the slot; returns its object (NULL when h was no handle of that kind). */
void *win_handle_take(HANDLE h, enum win_kind kind);

/* The default system (created on first use), or NULL with the last error set. */
umm_system_t *win_system(void);
/* The process a process handle names (the pseudo-handle: the thread's current process), or NULL
 * with ERROR_INVALID_HANDLE set. */
umm_process_t *win_process(HANDLE h);

/* ---- residency.c ---- */
/* VirtualAlloc(MEM_RESET) (undo false) or MEM_RESET_UNDO of every page [addr, addr + size)
 * touches: the first page, or NULL with the last error set. */
LPVOID win_reset(umm_process_t *proc, LPVOID addr, SIZE_T size, bool undo);

/* ---- translations ---- */
/* Windows page protection (one base value, GUARD/NOCACHE/WRITECOMBINE modifiers) to umm's, or -1
 * when it is not one Windows accepts here (no base, two bases, unknown bits, NOACCESS|GUARD, the
 * WRITECOPY values: VirtualAlloc/VirtualProtect refuse them; views take them in mapping.c). */
int win_prot_to_umm(DWORD protect);
DWORD win_prot_from_umm(int prot);
/* The Windows code for a umm error of a memory call. */
DWORD win_error_of(int umm_rc);
/* Round [addr, addr + size) out to pages of the system. */
void win_page_range(const void *addr, SIZE_T size, uintptr_t *start, uintptr_t *end);
/* The default system's page size. */
size_t win_page_size(void);

#endif
