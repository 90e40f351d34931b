/* SPDX-License-Identifier: MIT */
/* virtual.c - VirtualAlloc/Free/Protect/Query (and their Ex forms) and Read/WriteProcessMemory,
 * with Windows' rounding, size rules and error codes, over umm_reserve_at, umm_commit,
 * umm_decommit, umm_release, umm_protect, umm_query and umm_process_read/write. */
#include "win.h"

#define GRANULARITY ((uintptr_t)UMM_RESERVE_GRANULARITY)
/* The highest user address GetSystemInfo reports (x86-64 and AArch64 with 47-bit user space). */
#define MAX_APP_ADDRESS ((uintptr_t)0x00007FFFFFFEFFFFull)

#define ALLOC_TYPES                                                                              \
    (MEM_COMMIT | MEM_RESERVE | MEM_TOP_DOWN | MEM_RESET | MEM_RESET_UNDO | MEM_WRITE_WATCH |     \
     MEM_LARGE_PAGES | MEM_PHYSICAL)

/* Reserve (and commit) a new region: Windows rounds the address down to the allocation
 * granularity and covers every page of [addr, addr + size). */
static LPVOID alloc_region(umm_process_t *proc, LPVOID addr, SIZE_T size, DWORD type, int prot)
{
    uintptr_t base = (uintptr_t)addr & ~(GRANULARITY - 1), start, end;
    win_page_range(addr, size, &start, &end);
    size_t bytes = addr ? end - base : size;
    void *out;
    unsigned flags = (type & MEM_TOP_DOWN ? UMM_RESERVE_TOP_DOWN : 0) |
                     (type & MEM_WRITE_WATCH ? UMM_MEM_WRITE_WATCH : 0);
    int rc = umm_reserve_at(proc, (void *)base, bytes, prot, flags, &out);
    if (rc == UMM_E_RANGE) /* larger than any address space umm hands out */
        return WIN_FAIL(addr ? ERROR_INVALID_ADDRESS : ERROR_NOT_ENOUGH_MEMORY, NULL);
    if (rc != UMM_OK)
        return WIN_FAIL(win_error_of(rc), NULL);
    if (type & MEM_COMMIT) {
        rc = umm_commit(proc, out, bytes, prot);
        if (rc != UMM_OK) {
            umm_release(proc, out);
            return WIN_FAIL(win_error_of(rc), NULL);
        }
    }
    return out;
}

/* Commit pages of an existing reservation: every page of [addr, addr + size) gets `prot`. */
static LPVOID commit_pages(umm_process_t *proc, LPVOID addr, SIZE_T size, int prot)
{
    uintptr_t start, end;
    win_page_range(addr, size, &start, &end);
    int rc = umm_commit(proc, (void *)start, end - start, prot);
    if (rc == UMM_E_INVAL) /* a protection above what the view allows */
        return WIN_FAIL(ERROR_INVALID_PARAMETER, NULL);
    if (rc == UMM_E_ACCESS) /* past the section, inside its view's reservation */
        return WIN_FAIL(ERROR_INVALID_ADDRESS, NULL);
    return rc == UMM_OK ? (LPVOID)start : WIN_FAIL(win_error_of(rc), NULL);
}

LPVOID WINAPI VirtualAllocEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType,
                             DWORD flProtect)
{
    umm_process_t *proc = win_process(hProcess);
    if (!proc)
        return NULL;
    DWORD t = flAllocationType;
    if (dwSize == 0 || (t & ~ALLOC_TYPES))
        return WIN_FAIL(ERROR_INVALID_PARAMETER, NULL);
    bool reset = t & (MEM_RESET | MEM_RESET_UNDO);
    if ((reset && t != MEM_RESET && t != MEM_RESET_UNDO) || /* alone, or not at all */
        ((t & MEM_WRITE_WATCH) && !(t & MEM_RESERVE)) || (reset && !lpAddress))
        return WIN_FAIL(ERROR_INVALID_PARAMETER, NULL);
    if (t & (MEM_LARGE_PAGES | MEM_PHYSICAL))
        return WIN_FAIL(ERROR_NOT_SUPPORTED, NULL);
    if (!reset && !(t & (MEM_COMMIT | MEM_RESERVE)))
        return WIN_FAIL(ERROR_INVALID_PARAMETER, NULL);
    int prot = win_prot_to_umm(flProtect);
    if (prot < 0) /* PAGE_WRITECOPY included: "not supported" by VirtualAlloc; MEM_RESET ignores
                     the protection but it must be a valid one */
        return WIN_FAIL(ERROR_INVALID_PARAMETER, NULL);
    if (reset)
        return win_reset(proc, lpAddress, dwSize, t == MEM_RESET_UNDO);
    if ((uintptr_t)lpAddress > MAX_APP_ADDRESS)
        return WIN_FAIL(ERROR_INVALID_ADDRESS, NULL);
    if ((t & MEM_RESERVE) || !lpAddress) /* MEM_COMMIT alone at NULL reserves too */
        return alloc_region(proc, lpAddress, dwSize, t, prot);
    return commit_pages(proc, lpAddress, dwSize, prot);
}

LPVOID WINAPI VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType, DWORD flProtect)
{
    return VirtualAllocEx(GetCurrentProcess(), lpAddress, dwSize, flAllocationType, flProtect);
}

BOOL WINAPI VirtualFreeEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType)
{
    umm_process_t *proc = win_process(hProcess);
    if (!proc)
        return FALSE;
    if (dwFreeType != MEM_RELEASE && dwFreeType != MEM_DECOMMIT)
        return WIN_FAIL(ERROR_INVALID_PARAMETER, FALSE); /* both, neither, or placeholders */
    if (!lpAddress || (dwFreeType == MEM_RELEASE && dwSize != 0))
        return WIN_FAIL(ERROR_INVALID_PARAMETER, FALSE); /* MEM_RELEASE takes size 0 */
    umm_region_info_t q;
    if (umm_query(proc, lpAddress, &q) != UMM_OK)
        return WIN_FAIL(ERROR_INVALID_ADDRESS, FALSE);
    if (q.type == UMM_REGION_TYPE_MAPPED) /* views go with UnmapViewOfFile */
        return WIN_FAIL(ERROR_INVALID_PARAMETER, FALSE);
    int rc;
    if (dwFreeType == MEM_RELEASE) {
        if (lpAddress != q.allocation_base)
            return WIN_FAIL(ERROR_INVALID_ADDRESS, FALSE);
        rc = umm_release(proc, lpAddress);
    } else {
        uintptr_t start, end, region_end = (uintptr_t)q.allocation_base + q.allocation_size;
        win_page_range(lpAddress, dwSize, &start, &end);
        if (dwSize == 0) /* size 0: to the end of the region */
            end = region_end;
        rc = umm_decommit(proc, (void *)start, end - start);
    }
    return rc == UMM_OK ? TRUE : WIN_FAIL(win_error_of(rc), FALSE);
}

BOOL WINAPI VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType)
{
    return VirtualFreeEx(GetCurrentProcess(), lpAddress, dwSize, dwFreeType);
}

BOOL WINAPI VirtualProtectEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect,
                             PDWORD lpflOldProtect)
{
    umm_process_t *proc = win_process(hProcess);
    if (!proc)
        return FALSE;
    if (!lpflOldProtect)
        return WIN_FAIL(ERROR_NOACCESS, FALSE);
    /* PAGE_(EXECUTE_)WRITECOPY: a view's pages become copy-on-write; umm_protect refuses it
       elsewhere (ERROR_INVALID_PARAMETER, as Windows for private memory) */
    int prot = flNewProtect == PAGE_WRITECOPY           ? UMM_PROT_WRITECOPY
               : flNewProtect == PAGE_EXECUTE_WRITECOPY ? UMM_PROT_WRITECOPY | UMM_PROT_EXEC
                                                        : win_prot_to_umm(flNewProtect);
    if (prot < 0 || dwSize == 0)
        return WIN_FAIL(ERROR_INVALID_PARAMETER, FALSE);
    uintptr_t start, end;
    win_page_range(lpAddress, dwSize, &start, &end);
    if (!start)
        return WIN_FAIL(ERROR_INVALID_ADDRESS, FALSE);
    int old = 0;
    int rc = umm_protect(proc, (void *)start, end - start, prot, &old);
    if (rc != UMM_OK) /* not committed, not reserved: ERROR_INVALID_ADDRESS; above a view's:
                         ERROR_INVALID_PARAMETER */
        return WIN_FAIL(win_error_of(rc), FALSE);
    *lpflOldProtect = win_prot_from_umm(old);
    return TRUE;
}

BOOL WINAPI VirtualProtect(LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect, PDWORD lpflOldProtect)
{
    return VirtualProtectEx(GetCurrentProcess(), lpAddress, dwSize, flNewProtect, lpflOldProtect);
}

SIZE_T WINAPI VirtualQueryEx(HANDLE hProcess, LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer,
                             SIZE_T dwLength)
{
    umm_process_t *proc = win_process(hProcess);
    if (!proc)
        return 0;
    if (!lpBuffer)
        return WIN_FAIL(ERROR_NOACCESS, 0);
    if (dwLength < sizeof *lpBuffer)
        return WIN_FAIL(ERROR_BAD_LENGTH, 0);
    if ((uintptr_t)lpAddress > MAX_APP_ADDRESS)
        return WIN_FAIL(ERROR_INVALID_PARAMETER, 0);
    umm_region_info_t q;
    bool ours = umm_query(proc, lpAddress, &q) == UMM_OK;
    *lpBuffer = (MEMORY_BASIC_INFORMATION){.BaseAddress = q.base, .RegionSize = q.size};
    if (!ours) { /* not umm's: one free page (umm does not track the free runs between) */
        lpBuffer->State = MEM_FREE;
        lpBuffer->Protect = PAGE_NOACCESS;
        return sizeof *lpBuffer;
    }
    lpBuffer->AllocationBase = q.allocation_base;
    lpBuffer->AllocationProtect = win_prot_from_umm(q.allocation_prot);
    lpBuffer->State = q.state == UMM_REGION_COMMITTED ? MEM_COMMIT : MEM_RESERVE;
    lpBuffer->Protect = q.state == UMM_REGION_COMMITTED ? win_prot_from_umm(q.prot) : 0;
    lpBuffer->Type = q.type == UMM_REGION_TYPE_MAPPED ? MEM_MAPPED : MEM_PRIVATE;
    return sizeof *lpBuffer;
}

SIZE_T WINAPI VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer, SIZE_T dwLength)
{
    return VirtualQueryEx(GetCurrentProcess(), lpAddress, lpBuffer, dwLength);
}

/* The code of a copy that stopped: a page that cannot be read or written, or nothing valid. */
static DWORD copy_error(int rc)
{
    switch (rc) {
    case UMM_E_INVAL: return ERROR_INVALID_PARAMETER;
    case UMM_E_HANDLE: return ERROR_INVALID_HANDLE;
    case UMM_E_RANGE: return ERROR_NOACCESS;
    default: return ERROR_PARTIAL_COPY; /* what Windows reports for an inaccessible page */
    }
}

/* Read/WriteProcessMemory: one copy through umm_process_read or _write, Windows' results. */
static BOOL process_copy(HANDLE hProcess, void *remote, void *local, SIZE_T nSize, SIZE_T *copied,
                         bool write)
{
    umm_process_t *proc = win_process(hProcess);
    if (!proc)
        return FALSE;
    size_t done = 0;
    int rc = write ? umm_process_write(proc, remote, local, nSize, &done)
                   : umm_process_read(proc, remote, local, nSize, &done);
    if (copied)
        *copied = done;
    return rc == UMM_OK ? TRUE : WIN_FAIL(copy_error(rc), FALSE);
}

BOOL WINAPI ReadProcessMemory(HANDLE hProcess, LPCVOID lpBaseAddress, LPVOID lpBuffer, SIZE_T nSize,
                              SIZE_T *lpNumberOfBytesRead)
{
    return process_copy(hProcess, (void *)(uintptr_t)lpBaseAddress, lpBuffer, nSize,
                        lpNumberOfBytesRead, false);
}

BOOL WINAPI WriteProcessMemory(HANDLE hProcess, LPVOID lpBaseAddress, LPCVOID lpBuffer, SIZE_T nSize,
                               SIZE_T *lpNumberOfBytesWritten)
{
    return process_copy(hProcess, lpBaseAddress, (void *)(uintptr_t)lpBuffer, nSize,
                        lpNumberOfBytesWritten, true);
}
