/* SPDX-License-Identifier: MIT */
/* residency.c - what stays in memory and what may go: VirtualLock/VirtualUnlock,
 * PrefetchVirtualMemory, QueryWorkingSetEx, OfferVirtualMemory/ReclaimVirtualMemory/
 * DiscardVirtualMemory and VirtualAlloc's MEM_RESET/MEM_RESET_UNDO, over umm_lock/umm_unlock,
 * umm_prefetch, umm_query_pages and umm_offer/umm_reclaim/umm_discard. */
#include "win.h"

#include <stdlib.h>

/* The Windows code of a failed lock or unlock. */
static DWORD lock_error(int rc)
{
    switch (rc) {
    case UMM_E_QUOTA: return ERROR_WORKING_SET_QUOTA;
    case UMM_E_NOT_LOCKED: return ERROR_NOT_LOCKED;
    case UMM_E_ACCESS: case UMM_E_GUARD: return ERROR_NOACCESS;
    default: return win_error_of(rc);
    }
}

/* umm_lock or umm_unlock of the calling process's range, with Windows' result. */
static BOOL lock_call(int (*fn)(umm_process_t *, void *, size_t), LPVOID addr, SIZE_T size)
{
    umm_process_t *proc = win_process(GetCurrentProcess());
    if (!proc)
        return FALSE;
    int rc = fn(proc, addr, size);
    return rc == UMM_OK ? TRUE : WIN_FAIL(lock_error(rc), FALSE);
}

BOOL WINAPI VirtualLock(LPVOID lpAddress, SIZE_T dwSize)
{
    return lock_call(umm_lock, lpAddress, dwSize);
}

BOOL WINAPI VirtualUnlock(LPVOID lpAddress, SIZE_T dwSize)
{
    return lock_call(umm_unlock, lpAddress, dwSize);
}

BOOL WINAPI PrefetchVirtualMemory(HANDLE hProcess, ULONG_PTR NumberOfEntries,
                                  PWIN32_MEMORY_RANGE_ENTRY VirtualAddresses, ULONG Flags)
{
    umm_process_t *proc = win_process(hProcess);
    if (!proc)
        return FALSE;
    if (Flags != 0 || NumberOfEntries == 0 || !VirtualAddresses)
        return WIN_FAIL(ERROR_INVALID_PARAMETER, FALSE);
    umm_range_t *ranges = calloc(NumberOfEntries, sizeof *ranges);
    if (!ranges)
        return WIN_FAIL(ERROR_NOT_ENOUGH_MEMORY, FALSE);
    for (ULONG_PTR i = 0; i < NumberOfEntries; i++)
        ranges[i] = (umm_range_t){VirtualAddresses[i].VirtualAddress, VirtualAddresses[i].NumberOfBytes};
    int rc = umm_prefetch(proc, ranges, NumberOfEntries);
    free(ranges);
    return rc == UMM_OK ? TRUE : WIN_FAIL(win_error_of(rc), FALSE);
}

/* Windows' description of one page. */
static PSAPI_WORKING_SET_EX_BLOCK ws_block(const umm_page_info_t *p)
{
    PSAPI_WORKING_SET_EX_BLOCK b = {.Flags = 0};
    if (!p->valid) {
        b.Invalid.Shared = p->shared;
        return b;
    }
    b.Valid = 1;
    b.ShareCount = p->share_count > 7 ? 7 : p->share_count;
    b.Win32Protection = win_prot_from_umm(p->prot);
    b.Shared = p->shared;
    b.Locked = p->locked;
    b.Priority = p->priority;
    return b;
}

BOOL WINAPI QueryWorkingSetEx(HANDLE hProcess, PVOID pv, DWORD cb)
{
    umm_process_t *proc = win_process(hProcess);
    if (!proc)
        return FALSE;
    if (cb < sizeof(PSAPI_WORKING_SET_EX_INFORMATION))
        return WIN_FAIL(ERROR_BAD_LENGTH, FALSE);
    if (!pv)
        return WIN_FAIL(ERROR_NOACCESS, FALSE);
    PSAPI_WORKING_SET_EX_INFORMATION *info = pv;
    size_t n = cb / sizeof *info;
    umm_page_info_t pages[64];
    for (size_t i = 0; i < n; i += 64) { /* a chunk at a time: no allocation */
        size_t k = n - i < 64 ? n - i : 64;
        for (size_t j = 0; j < k; j++)
            pages[j] = (umm_page_info_t){.address = info[i + j].VirtualAddress};
        int rc = umm_query_pages(proc, pages, k);
        if (rc != UMM_OK)
            return WIN_FAIL(win_error_of(rc), FALSE);
        for (size_t j = 0; j < k; j++)
            info[i + j].VirtualAttributes = ws_block(&pages[j]);
    }
    return TRUE;
}

/* Offer, reclaim and discard take whole pages: a page-aligned address and size. */
static bool page_aligned(const void *addr, SIZE_T size)
{
    size_t page = win_page_size();
    return addr && size && ((uintptr_t)addr % page) == 0 && (size % page) == 0;
}

/* Return a DWORD error code and set it as the last error too. */
static DWORD result(DWORD err)
{
    SetLastError(err);
    return err;
}

/* umm's errors for offered memory: a view is refused as a bad parameter (as umm_decommit). */
static DWORD offer_error(int rc)
{
    return rc == UMM_E_ACCESS ? ERROR_INVALID_PARAMETER : win_error_of(rc);
}

DWORD WINAPI OfferVirtualMemory(PVOID VirtualAddress, SIZE_T Size, OFFER_PRIORITY Priority)
{
    umm_process_t *proc = win_process(GetCurrentProcess());
    if (!proc)
        return GetLastError();
    if (!page_aligned(VirtualAddress, Size) || Priority < VmOfferPriorityVeryLow ||
        Priority > VmOfferPriorityNormal)
        return result(ERROR_INVALID_PARAMETER);
    /* VeryLow..Normal are umm's priorities 1..4: below the default 5, above MEM_RESET's 0 */
    return result(offer_error(umm_offer(proc, VirtualAddress, Size, (unsigned)Priority)));
}

DWORD WINAPI ReclaimVirtualMemory(void const *VirtualAddress, SIZE_T Size)
{
    umm_process_t *proc = win_process(GetCurrentProcess());
    if (!proc)
        return GetLastError();
    if (!page_aligned(VirtualAddress, Size))
        return result(ERROR_INVALID_PARAMETER);
    int lost = 0;
    int rc = umm_reclaim(proc, (void *)(uintptr_t)VirtualAddress, Size, &lost);
    if (rc != UMM_OK)
        return result(offer_error(rc));
    return result(lost ? ERROR_BUSY : ERROR_SUCCESS); /* reclaimed, but some contents are gone */
}

DWORD WINAPI DiscardVirtualMemory(PVOID VirtualAddress, SIZE_T Size)
{
    umm_process_t *proc = win_process(GetCurrentProcess());
    if (!proc)
        return GetLastError();
    if (!page_aligned(VirtualAddress, Size))
        return result(ERROR_INVALID_PARAMETER);
    return result(offer_error(umm_discard(proc, VirtualAddress, Size)));
}

LPVOID win_reset(umm_process_t *proc, LPVOID addr, SIZE_T size, bool undo)
{
    uintptr_t start, end;
    win_page_range(addr, size, &start, &end);
    int lost = 0, rc = undo ? umm_reclaim(proc, (void *)start, end - start, &lost)
                            : umm_offer(proc, (void *)start, end - start, 0);
    if (rc != UMM_OK)
        return WIN_FAIL(offer_error(rc), NULL);
    /* MEM_RESET_UNDO fails when some contents were discarded meanwhile (they read as zeros) */
    return lost ? WIN_FAIL(ERROR_BUSY, NULL) : (LPVOID)start;
}
