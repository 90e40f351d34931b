/* SPDX-License-Identifier: MIT */
/* watch.c - GetWriteWatch / ResetWriteWatch over umm_write_watch_get / umm_write_watch_reset
 * (the reservation is made with MEM_WRITE_WATCH by VirtualAlloc: UMM_MEM_WRITE_WATCH). */
#include "win.h"

/* Both calls return 0 on success, non-zero on failure (the reason in GetLastError()). */
#define WATCH_FAILED (~0u)

/* Every failure of a write-watch call is a bad parameter in Windows: a region without
 * MEM_WRITE_WATCH, a range outside it, a bad flag or pointer. */
static UINT watch_fail(int rc)
{
    SetLastError(rc == UMM_E_HANDLE ? ERROR_INVALID_HANDLE : ERROR_INVALID_PARAMETER);
    return WATCH_FAILED;
}

UINT WINAPI GetWriteWatch(DWORD dwFlags, PVOID lpBaseAddress, SIZE_T dwRegionSize,
                          PVOID *lpAddresses, ULONG_PTR *lpdwCount, LPDWORD lpdwGranularity)
{
    umm_process_t *proc = win_process(GetCurrentProcess());
    if (!proc)
        return WATCH_FAILED;
    if ((dwFlags & ~WRITE_WATCH_FLAG_RESET) || !lpdwCount || (!lpAddresses && *lpdwCount))
        return watch_fail(UMM_E_INVAL);
    size_t count = *lpdwCount, granularity = 0;
    unsigned flags = dwFlags & WRITE_WATCH_FLAG_RESET ? UMM_WRITE_WATCH_RESET : 0;
    int rc = umm_write_watch_get(proc, lpBaseAddress, dwRegionSize, flags, lpAddresses, &count,
                                 &granularity);
    if (rc != UMM_OK)
        return watch_fail(rc);
    *lpdwCount = count;
    if (lpdwGranularity)
        *lpdwGranularity = (DWORD)granularity;
    return 0;
}

UINT WINAPI ResetWriteWatch(LPVOID lpBaseAddress, SIZE_T dwRegionSize)
{
    umm_process_t *proc = win_process(GetCurrentProcess());
    if (!proc)
        return WATCH_FAILED;
    int rc = umm_write_watch_reset(proc, lpBaseAddress, dwRegionSize);
    return rc == UMM_OK ? 0 : watch_fail(rc);
}
