/* SPDX-License-Identifier: MIT */
/* win_program.c - a small Windows-style program, written as for Windows (windows.h, psapi.h,
 * Win32 names and conventions only), compiled unchanged against umm_win.h and run by ctest:
 * a file mapping seen through two views, VirtualAlloc/VirtualProtect/VirtualQuery round trips,
 * a page-by-page walk of the address space, ReadProcessMemory, the system and process figures,
 * a stack that grows through guard pages under a vectored exception handler, and a write-watch
 * based collector that rescans only the pages written since its last collection. */
#include <windows.h>
#include <psapi.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            printf("FAILED line %d: %s (GetLastError() = %lu)\n", __LINE__, #cond,              \
                   (unsigned long)GetLastError());                                               \
            failures++;                                                                          \
        }                                                                                        \
    } while (0)

static void file_mapping_between_two_views(void)
{
    HANDLE map = CreateFileMapping(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 1 << 20,
                                   "Local\\umm_win_program");
    CHECK(map != NULL);
    char *writer = (char *)MapViewOfFile(map, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    const char *reader = (const char *)MapViewOfFile(map, FILE_MAP_READ, 0, 0, 0);
    CHECK(writer != NULL && reader != NULL && writer != reader);
    strcpy(writer + 12345, "written through one view");
    CHECK(strcmp(reader + 12345, "written through one view") == 0);
    MEMORY_BASIC_INFORMATION mbi;
    CHECK(VirtualQuery(reader, &mbi, sizeof mbi) == sizeof mbi);
    CHECK(mbi.Type == MEM_MAPPED && mbi.State == MEM_COMMIT && mbi.Protect == PAGE_READONLY);
    CHECK(FlushViewOfFile(writer, 0));
    HANDLE again = OpenFileMapping(FILE_MAP_READ, FALSE, "Local\\umm_win_program");
    CHECK(again != NULL);
    const char *third = (const char *)MapViewOfFile(again, FILE_MAP_READ, 0, 0, 4096 * 4);
    CHECK(third != NULL && strcmp(third + 12345, "written through one view") == 0);
    CHECK(UnmapViewOfFile(third));
    CHECK(UnmapViewOfFile(writer));
    CHECK(strcmp(reader + 12345, "written through one view") == 0); /* the other view lives */
    CHECK(UnmapViewOfFile(reader));
    CHECK(CloseHandle(again));
    CHECK(CloseHandle(map));
    printf("file mapping: two views share their pages\n");
}

static void alloc_protect_query_round_trips(void)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    SIZE_T page = si.dwPageSize;
    CHECK(page >= 4096 && si.dwAllocationGranularity == 65536);
    BYTE *region = (BYTE *)VirtualAlloc(NULL, 16 * page, MEM_RESERVE, PAGE_NOACCESS);
    CHECK(region != NULL);
    CHECK(VirtualAlloc(region + 2 * page, 4 * page, MEM_COMMIT, PAGE_READWRITE) == region + 2 * page);
    memset(region + 2 * page, 0x5a, 4 * page);
    DWORD old = 0;
    CHECK(VirtualProtect(region + 3 * page, page, PAGE_READONLY, &old) && old == PAGE_READWRITE);
    CHECK(region[3 * page] == 0x5a);

    /* walk the reservation: reserved, committed RW, RO, RW, reserved */
    static const DWORD states[] = {MEM_RESERVE, MEM_COMMIT, MEM_COMMIT, MEM_COMMIT, MEM_RESERVE};
    static const DWORD protects[] = {0, PAGE_READWRITE, PAGE_READONLY, PAGE_READWRITE, 0};
    static const SIZE_T pages[] = {2, 1, 1, 2, 10};
    BYTE *at = region;
    for (int i = 0; i < 5; i++) {
        MEMORY_BASIC_INFORMATION mbi;
        CHECK(VirtualQuery(at, &mbi, sizeof mbi) == sizeof mbi);
        CHECK(mbi.BaseAddress == at && mbi.AllocationBase == region);
        CHECK(mbi.AllocationProtect == PAGE_NOACCESS && mbi.Type == MEM_PRIVATE);
        CHECK(mbi.State == states[i] && mbi.Protect == protects[i]);
        CHECK(mbi.RegionSize == pages[i] * page);
        at += mbi.RegionSize;
    }
    CHECK(VirtualFree(region + 2 * page, 0, MEM_DECOMMIT)); /* size 0: to the region's end */
    MEMORY_BASIC_INFORMATION mbi;
    CHECK(VirtualQuery(region + 5 * page, &mbi, sizeof mbi) && mbi.State == MEM_RESERVE);
    CHECK(!VirtualFree(region, 16 * page, MEM_RELEASE) && GetLastError() == ERROR_INVALID_PARAMETER);
    CHECK(VirtualFree(region, 0, MEM_RELEASE));
    printf("VirtualAlloc/VirtualProtect/VirtualQuery: round trips as documented\n");
}

static void process_memory(void)
{
    char *p = (char *)VirtualAlloc(NULL, 1 << 20, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
    CHECK(p != NULL);
    strcpy(p + 70000, "read back");
    char buf[16] = {0};
    SIZE_T got = 0;
    CHECK(ReadProcessMemory(GetCurrentProcess(), p + 70000, buf, 10, &got) && got == 10);
    CHECK(strcmp(buf, "read back") == 0);
    CHECK(WriteProcessMemory(GetCurrentProcess(), p + 500000, "untouched page", 15, &got));
    CHECK(strcmp(p + 500000, "untouched page") == 0);

    PROCESS_MEMORY_COUNTERS pmc;
    CHECK(GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof pmc));
    CHECK(pmc.PagefileUsage >= (1 << 20) && pmc.WorkingSetSize > 0);
    CHECK(SetProcessWorkingSetSize(GetCurrentProcess(), (SIZE_T)-1, (SIZE_T)-1));
    CHECK(GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof pmc) && pmc.WorkingSetSize == 0);
    CHECK(strcmp(p + 70000, "read back") == 0); /* trimmed, not lost */

    MEMORYSTATUSEX ms;
    ms.dwLength = sizeof ms;
    CHECK(GlobalMemoryStatusEx(&ms));
    CHECK(ms.ullTotalPhys > 0 && ms.ullAvailPhys <= ms.ullTotalPhys);
    CHECK(ms.ullTotalPageFile >= ms.ullTotalPhys && ms.dwMemoryLoad <= 100);
    HANDLE low = CreateMemoryResourceNotification(LowMemoryResourceNotification);
    BOOL state = TRUE;
    CHECK(low != NULL && QueryMemoryResourceNotification(low, &state) && state == FALSE);
    CHECK(CloseHandle(low));
    CHECK(VirtualFree(p, 0, MEM_RELEASE));
    printf("process memory: copies, counters, working set, memory status\n");
}

/* ---- a guard-page stack: reserve 1 MiB, commit the top page with a guard page below it; the
 * vectored handler commits the next guard page on each guard-page exception (Windows' own thread
 * stacks grow this way) ---- */
static BYTE *stack_base, *stack_guard; /* the reservation; the current guard page */
static SIZE_T stack_page;
static volatile LONG stack_grows;

static LONG WINAPI grow_stack(PEXCEPTION_POINTERS info)
{
    PEXCEPTION_RECORD rec = info->ExceptionRecord;
    BYTE *addr = (BYTE *)rec->ExceptionInformation[1];
    if (rec->ExceptionCode != EXCEPTION_GUARD_PAGE || addr < stack_base || addr >= stack_guard + stack_page)
        return EXCEPTION_CONTINUE_SEARCH;
    stack_guard -= stack_page; /* the guard that fired is an ordinary page now */
    if (stack_guard >= stack_base &&
        !VirtualAlloc(stack_guard, stack_page, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD))
        return EXCEPTION_CONTINUE_SEARCH;
    stack_grows = stack_grows + 1;
    return EXCEPTION_CONTINUE_EXECUTION;
}

static void guard_page_stack(void)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    stack_page = si.dwPageSize;
    SIZE_T size = 1 << 20;
    stack_base = (BYTE *)VirtualAlloc(NULL, size, MEM_RESERVE, PAGE_READWRITE);
    CHECK(stack_base != NULL);
    BYTE *top = stack_base + size - stack_page;
    CHECK(VirtualAlloc(top, stack_page, MEM_COMMIT, PAGE_READWRITE) == top);
    stack_guard = top - stack_page;
    CHECK(VirtualAlloc(stack_guard, stack_page, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD) == stack_guard);
    PVOID handler = AddVectoredExceptionHandler(1, grow_stack);
    CHECK(handler != NULL);
    /* "push" downward over 1 MiB minus the last guard page */
    SIZE_T pages = size / stack_page - 1;
    for (SIZE_T i = 0; i < pages; i++)
        ((volatile BYTE *)top)[-(ptrdiff_t)(i * stack_page)] = (BYTE)i;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    CHECK(stack_grows == (LONG)(pages - 1));
    CHECK(top[-(ptrdiff_t)((pages - 1) * stack_page)] == (BYTE)(pages - 1));
    MEMORY_BASIC_INFORMATION mbi;
    CHECK(VirtualQuery(stack_base, &mbi, sizeof mbi) && mbi.Protect == (PAGE_READWRITE | PAGE_GUARD));
    CHECK(RemoveVectoredExceptionHandler(handler));
    CHECK(VirtualFree(stack_base, 0, MEM_RELEASE));
    printf("guard-page stack: grew %ld pages through a vectored handler\n", (long)stack_grows);
}

/* ---- a write-watch collector: objects in a MEM_WRITE_WATCH heap; after a full mark the watch
 * is reset, and the next collection rescans only the pages GetWriteWatch reports ---- */
static void write_watch_collector(void)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    SIZE_T page = si.dwPageSize, pages = 64, objects_per_page = page / 64;
    BYTE *heap = (BYTE *)VirtualAlloc(NULL, pages * page, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH,
                                      PAGE_READWRITE);
    CHECK(heap != NULL);
    for (SIZE_T i = 0; i < pages * objects_per_page; i++) /* allocate every object */
        heap[i * 64] = 1;
    CHECK(ResetWriteWatch(heap, pages * page) == 0); /* the full mark is done */
    static const SIZE_T mutated[] = {3, 17, 18, 40};
    for (SIZE_T i = 0; i < 4; i++)
        heap[mutated[i] * page + 128] = 2; /* the mutator writes a few objects */
    PVOID dirty[64];
    ULONG_PTR count = 64;
    DWORD granularity = 0;
    CHECK(GetWriteWatch(WRITE_WATCH_FLAG_RESET, heap, pages * page, dirty, &count, &granularity) == 0);
    CHECK(count == 4 && granularity == page);
    for (ULONG_PTR i = 0; i < count && i < 4; i++) /* rescan only these */
        CHECK(dirty[i] == heap + mutated[i] * page && ((BYTE *)dirty[i])[128] == 2);
    count = 64;
    CHECK(GetWriteWatch(0, heap, pages * page, dirty, &count, NULL) == 0 && count == 0);
    CHECK(VirtualFree(heap, 0, MEM_RELEASE));
    printf("write-watch collector: rescanned %lu of %lu pages\n", (unsigned long)4, (unsigned long)pages);
}

int main(void)
{
    file_mapping_between_two_views();
    alloc_protect_query_round_trips();
    process_memory();
    guard_page_stack();
    write_watch_collector();
    printf("%s\n", failures ? "FAILED" : "all checks passed");
    return failures ? 1 : 0;
}
