/* SPDX-License-Identifier: MIT */
/* info.c - GetSystemInfo, GlobalMemoryStatusEx, GetProcessMemoryInfo, the working-set calls and
 * memory resource notifications, over umm's statistics, working-set limits and notifications. */
#include "win.h"

#include <unistd.h>

#define MIN_APP_ADDRESS ((uintptr_t)0x10000)
#define MAX_APP_ADDRESS ((uintptr_t)0x00007FFFFFFEFFFFull)

void WINAPI GetSystemInfo(LPSYSTEM_INFO lpSystemInfo)
{
    if (!lpSystemInfo || !win_system())
        return;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        cpus = 1;
    *lpSystemInfo = (SYSTEM_INFO){0};
#if defined(__x86_64__)
    lpSystemInfo->wProcessorArchitecture = PROCESSOR_ARCHITECTURE_AMD64;
    lpSystemInfo->dwProcessorType = 8664; /* PROCESSOR_AMD_X8664 */
#elif defined(__aarch64__)
    lpSystemInfo->wProcessorArchitecture = PROCESSOR_ARCHITECTURE_ARM64;
#else
    lpSystemInfo->wProcessorArchitecture = PROCESSOR_ARCHITECTURE_UNKNOWN;
#endif
    lpSystemInfo->dwPageSize = (DWORD)win_page_size();
    lpSystemInfo->lpMinimumApplicationAddress = (LPVOID)MIN_APP_ADDRESS;
    lpSystemInfo->lpMaximumApplicationAddress = (LPVOID)MAX_APP_ADDRESS;
    lpSystemInfo->dwNumberOfProcessors = (DWORD)cpus;
    lpSystemInfo->dwActiveProcessorMask =
        cpus >= (long)(8 * sizeof(DWORD_PTR)) ? ~(DWORD_PTR)0 : ((DWORD_PTR)1 << cpus) - 1;
    lpSystemInfo->dwAllocationGranularity = (DWORD)UMM_RESERVE_GRANULARITY;
}

BOOL WINAPI GlobalMemoryStatusEx(LPMEMORYSTATUSEX lpBuffer)
{
    if (!lpBuffer || lpBuffer->dwLength != sizeof *lpBuffer)
        return WIN_FAIL(ERROR_INVALID_PARAMETER, FALSE);
    umm_system_t *sys = win_system();
    umm_stats_t s;
    if (!sys)
        return FALSE;
    int rc = umm_stats_get(sys, &s);
    if (rc != UMM_OK)
        return WIN_FAIL(win_error_of(rc), FALSE);
    uint64_t page = s.page_size, total = s.total_frames * page, avail = s.available * page;
    lpBuffer->dwMemoryLoad = total ? (DWORD)(100 * (total - avail) / total) : 0;
    lpBuffer->ullTotalPhys = total;
    lpBuffer->ullAvailPhys = avail;
    lpBuffer->ullTotalPageFile = s.commit_limit * page;
    lpBuffer->ullAvailPageFile = (s.commit_limit - s.committed) * page;
    lpBuffer->ullTotalVirtual = MAX_APP_ADDRESS + 1 - MIN_APP_ADDRESS;
    lpBuffer->ullAvailVirtual = lpBuffer->ullTotalVirtual; /* umm does not count free space */
    lpBuffer->ullAvailExtendedVirtual = 0;
    return TRUE;
}

BOOL WINAPI GetProcessMemoryInfo(HANDLE Process, PPROCESS_MEMORY_COUNTERS ppsmemCounters, DWORD cb)
{
    umm_process_t *proc = win_process(Process);
    if (!proc)
        return FALSE;
    if (!ppsmemCounters || cb < sizeof(PROCESS_MEMORY_COUNTERS))
        return WIN_FAIL(ERROR_INVALID_PARAMETER, FALSE); /* ERROR_INSUFFICIENT_BUFFER on Windows 7 */
    umm_process_stats_t s;
    int rc = umm_process_stats_get(proc, &s);
    if (rc != UMM_OK)
        return WIN_FAIL(win_error_of(rc), FALSE);
    SIZE_T page = win_page_size();
    PROCESS_MEMORY_COUNTERS c = {.cb = (DWORD)sizeof c};
    c.PageFaultCount = (DWORD)s.faults_total;
    c.WorkingSetSize = s.working_set * page;
    c.PeakWorkingSetSize = s.working_set_peak * page;
    c.PagefileUsage = c.PeakPagefileUsage = s.committed * page;
    if (cb >= sizeof(PROCESS_MEMORY_COUNTERS_EX)) {
        PROCESS_MEMORY_COUNTERS_EX *x = (PROCESS_MEMORY_COUNTERS_EX *)ppsmemCounters;
        *(PROCESS_MEMORY_COUNTERS *)x = c;
        x->cb = (DWORD)sizeof *x;
        x->PrivateUsage = s.committed * page;
    } else {
        *ppsmemCounters = c;
    }
    return TRUE;
}

BOOL WINAPI SetProcessWorkingSetSizeEx(HANDLE hProcess, SIZE_T dwMinimumWorkingSetSize,
                                       SIZE_T dwMaximumWorkingSetSize, DWORD Flags)
{
    umm_process_t *proc = win_process(hProcess);
    if (!proc)
        return FALSE;
    if (dwMinimumWorkingSetSize == (SIZE_T)-1 && dwMaximumWorkingSetSize == (SIZE_T)-1) {
        int rc = umm_ws_empty(proc); /* both -1: trim as much as possible */
        return rc == UMM_OK ? TRUE : WIN_FAIL(win_error_of(rc), FALSE);
    }
    DWORD known = QUOTA_LIMITS_HARDWS_MIN_ENABLE | QUOTA_LIMITS_HARDWS_MIN_DISABLE |
                  QUOTA_LIMITS_HARDWS_MAX_ENABLE | QUOTA_LIMITS_HARDWS_MAX_DISABLE;
    if ((Flags & ~known) ||
        (Flags & QUOTA_LIMITS_HARDWS_MIN_ENABLE && Flags & QUOTA_LIMITS_HARDWS_MIN_DISABLE) ||
        (Flags & QUOTA_LIMITS_HARDWS_MAX_ENABLE && Flags & QUOTA_LIMITS_HARDWS_MAX_DISABLE) ||
        dwMinimumWorkingSetSize > dwMaximumWorkingSetSize)
        return WIN_FAIL(ERROR_INVALID_PARAMETER, FALSE);
    SIZE_T page = win_page_size();
    size_t min = dwMinimumWorkingSetSize / page, max = dwMaximumWorkingSetSize / page;
    size_t omin, omax;
    unsigned flags = 0;
    int rc = umm_ws_get_limits(proc, &omin, &omax, &flags);
    if (Flags & QUOTA_LIMITS_HARDWS_MAX_ENABLE)
        flags |= UMM_WS_HARD_MAX;
    if (Flags & QUOTA_LIMITS_HARDWS_MAX_DISABLE)
        flags &= ~(unsigned)UMM_WS_HARD_MAX;
    if (rc == UMM_OK)
        rc = umm_ws_set_limits(proc, min, max, flags);
    if (rc == UMM_E_NO_FRAMES) /* a minimum larger than RAM */
        return WIN_FAIL(ERROR_NO_SYSTEM_RESOURCES, FALSE);
    return rc == UMM_OK ? TRUE : WIN_FAIL(win_error_of(rc), FALSE);
}

BOOL WINAPI SetProcessWorkingSetSize(HANDLE hProcess, SIZE_T dwMinimumWorkingSetSize,
                                     SIZE_T dwMaximumWorkingSetSize)
{
    return SetProcessWorkingSetSizeEx(hProcess, dwMinimumWorkingSetSize, dwMaximumWorkingSetSize, 0);
}

BOOL WINAPI GetProcessWorkingSetSizeEx(HANDLE hProcess, PSIZE_T lpMinimumWorkingSetSize,
                                       PSIZE_T lpMaximumWorkingSetSize, PDWORD Flags)
{
    umm_process_t *proc = win_process(hProcess);
    if (!proc)
        return FALSE;
    if (!lpMinimumWorkingSetSize || !lpMaximumWorkingSetSize)
        return WIN_FAIL(ERROR_NOACCESS, FALSE);
    size_t min, max;
    unsigned flags;
    int rc = umm_ws_get_limits(proc, &min, &max, &flags);
    if (rc != UMM_OK)
        return WIN_FAIL(win_error_of(rc), FALSE);
    SIZE_T page = win_page_size();
    *lpMinimumWorkingSetSize = min * page;
    *lpMaximumWorkingSetSize = max * page;
    if (Flags)
        *Flags = QUOTA_LIMITS_HARDWS_MIN_DISABLE |
                 (flags & UMM_WS_HARD_MAX ? QUOTA_LIMITS_HARDWS_MAX_ENABLE
                                          : QUOTA_LIMITS_HARDWS_MAX_DISABLE);
    return TRUE;
}

BOOL WINAPI GetProcessWorkingSetSize(HANDLE hProcess, PSIZE_T lpMinimumWorkingSetSize,
                                     PSIZE_T lpMaximumWorkingSetSize)
{
    return GetProcessWorkingSetSizeEx(hProcess, lpMinimumWorkingSetSize, lpMaximumWorkingSetSize, NULL);
}

BOOL WINAPI EmptyWorkingSet(HANDLE hProcess)
{
    umm_process_t *proc = win_process(hProcess);
    if (!proc)
        return FALSE;
    int rc = umm_ws_empty(proc);
    return rc == UMM_OK ? TRUE : WIN_FAIL(win_error_of(rc), FALSE);
}

static void close_notification(void *n)
{
    umm_notification_destroy(n);
}

HANDLE WINAPI CreateMemoryResourceNotification(MEMORY_RESOURCE_NOTIFICATION_TYPE NotificationType)
{
    if (NotificationType != LowMemoryResourceNotification &&
        NotificationType != HighMemoryResourceNotification)
        return WIN_FAIL(ERROR_INVALID_PARAMETER, NULL);
    umm_system_t *sys = win_system();
    if (!sys)
        return NULL;
    umm_notification_t *n;
    int rc = umm_notification_create(sys,
                                     NotificationType == LowMemoryResourceNotification
                                         ? UMM_NOTIFY_LOW_MEMORY : UMM_NOTIFY_HIGH_MEMORY,
                                     NULL, NULL, &n);
    if (rc != UMM_OK)
        return WIN_FAIL(win_error_of(rc), NULL);
    HANDLE h = win_handle_new(WIN_NOTIFICATION, n, close_notification);
    if (!h)
        umm_notification_destroy(n);
    return h;
}

BOOL WINAPI QueryMemoryResourceNotification(HANDLE ResourceNotificationHandle, BOOL *ResourceState)
{
    umm_notification_t *n = win_handle_get(ResourceNotificationHandle, WIN_NOTIFICATION);
    if (!n)
        return WIN_FAIL(ERROR_INVALID_HANDLE, FALSE);
    if (!ResourceState)
        return WIN_FAIL(ERROR_INVALID_PARAMETER, FALSE);
    int signaled = 0;
    int rc = umm_notification_query(n, &signaled);
    if (rc != UMM_OK)
        return WIN_FAIL(win_error_of(rc), FALSE);
    *ResourceState = signaled ? TRUE : FALSE;
    return TRUE;
}
