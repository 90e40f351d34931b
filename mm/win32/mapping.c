/* SPDX-License-Identifier: MIT */
/* mapping.c - file mappings backed by the paging file or by a file (a handle made from a
 * descriptor by UmmWinFileHandle: umm_win has no CreateFile): CreateFileMapping (protection, name,
 * SEC_ flags), OpenFileMapping by name, MapViewOfFile(Ex, 2), UnmapViewOfFile(2),
 * FlushViewOfFile, over umm_section_create_ex / umm_section_open / umm_section_map_view /
 * umm_release. The section keeps its protection, name and SEC_RESERVE; a handle (win_mapping_t)
 * adds Windows' page protection as asked and the cache attributes. */
#include "win.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SEC_FLAGS (SEC_COMMIT | SEC_RESERVE | SEC_NOCACHE | SEC_WRITECOMBINE | SEC_LARGE_PAGES | SEC_IMAGE)

/* Is `protect` one of the page protections CreateFileMapping takes? */
static bool section_protect_ok(DWORD protect)
{
    switch (protect) {
    case PAGE_READONLY: case PAGE_READWRITE: case PAGE_WRITECOPY: case PAGE_EXECUTE_READ:
    case PAGE_EXECUTE_READWRITE: case PAGE_EXECUTE_WRITECOPY: return true;
    default: return false;
    }
}

/* The umm section protection of a mapping's (a copy-on-write one allows shared views to read). */
static int section_prot(DWORD protect)
{
    switch (protect) {
    case PAGE_READWRITE: return UMM_PROT_READ | UMM_PROT_WRITE;
    case PAGE_EXECUTE_READ: case PAGE_EXECUTE_WRITECOPY: return UMM_PROT_READ | UMM_PROT_EXEC;
    case PAGE_EXECUTE_READWRITE: return UMM_PROT_READ | UMM_PROT_WRITE | UMM_PROT_EXEC;
    default: return UMM_PROT_READ;
    }
}

/* The page protection an opened mapping reports, from the section's. */
static DWORD protect_of_section(int prot)
{
    bool write = prot & UMM_PROT_WRITE;
    if (prot & UMM_PROT_EXEC)
        return write ? PAGE_EXECUTE_READWRITE : PAGE_EXECUTE_READ;
    return write ? PAGE_READWRITE : PAGE_READONLY;
}

/* CloseHandle of a mapping: the name goes with the section's last handle. */
static void close_mapping(void *object)
{
    win_mapping_t *m = object;
    umm_section_close(m->sec);
    free(m);
}

/* A new handle to sec, whose handle (from create or open) it takes over: closed on failure. */
static HANDLE new_handle(umm_section_t *sec, DWORD protect, DWORD attributes, SIZE_T size)
{
    win_mapping_t *m = calloc(1, sizeof *m);
    HANDLE h = m ? win_handle_new(WIN_MAPPING, m, close_mapping) : NULL;
    if (!h) {
        free(m);
        umm_section_close(sec);
        return WIN_FAIL(m ? ERROR_NO_SYSTEM_RESOURCES : ERROR_NOT_ENOUGH_MEMORY, NULL);
    }
    *m = (win_mapping_t){.sec = sec, .protect = protect, .attributes = attributes, .size = size};
    return h;
}

/* A handle to the named section of sys with its attributes, or NULL with the last error set. */
static HANDLE open_named(umm_system_t *sys, const char *name)
{
    umm_section_t *sec;
    umm_section_info_t q;
    int rc = umm_section_open(sys, name, &sec);
    if (rc == UMM_OK && (rc = umm_section_query(sec, &q)) != UMM_OK)
        umm_section_close(sec);
    if (rc != UMM_OK)
        return WIN_FAIL(rc == UMM_E_NOT_FOUND ? ERROR_FILE_NOT_FOUND : win_error_of(rc), NULL);
    DWORD attributes = q.flags & UMM_SEC_RESERVE ? SEC_RESERVE : SEC_COMMIT;
    return new_handle(sec, protect_of_section(q.prot), attributes, q.bytes);
}

HANDLE WINAPI UmmWinFileHandle(int fd)
{
    if (fd < 0)
        return WIN_FAIL(ERROR_INVALID_HANDLE, NULL);
    return win_handle_new(WIN_FILE, (void *)(intptr_t)(fd + 1), NULL);
}

/* The umm protection of a file section created with `protect`: what the file must allow. */
static int file_prot(DWORD protect)
{
    bool write = protect == PAGE_READWRITE || protect == PAGE_EXECUTE_READWRITE;
    return UMM_PROT_READ | (write ? UMM_PROT_WRITE : 0);
}

/* A new section of `size` bytes: of the paging file (fd < 0) or of the file fd (size 0: the
 * whole file, file_size bytes). */
static int create_section(umm_system_t *sys, int fd, SIZE_T size, DWORD protect,
                          DWORD attributes, const char *name, umm_section_t **sec)
{
    if (fd >= 0)
        return umm_section_create_file_ex(sys, fd, size, file_prot(protect), name, sec);
    unsigned flags = attributes & SEC_RESERVE ? UMM_SEC_RESERVE : 0;
    return umm_section_create_ex(sys, size, section_prot(protect), flags, name, sec);
}

/* A new mapping, or (a name in use) a new handle to the existing one with ERROR_ALREADY_EXISTS,
 * whatever size was asked (as Windows). */
static HANDLE create_mapping(int fd, SIZE_T size, SIZE_T file_size, DWORD protect,
                             DWORD attributes, const char *name)
{
    umm_system_t *sys = win_system();
    if (!sys)
        return NULL;
    for (;;) {
        if (size != 0 || fd >= 0) {
            umm_section_t *sec;
            int rc = create_section(sys, fd, size, protect, attributes, name, &sec);
            if (rc == UMM_OK) {
                HANDLE h = new_handle(sec, protect, attributes, size ? size : file_size);
                return h ? (SetLastError(ERROR_SUCCESS), h) : NULL;
            }
            if (rc != UMM_E_EXISTS)
                return WIN_FAIL(win_error_of(rc), NULL);
        }
        HANDLE h = name ? open_named(sys, name) : WIN_FAIL(ERROR_FILE_NOT_FOUND, NULL);
        if (h)
            return SetLastError(ERROR_ALREADY_EXISTS), h;
        if (GetLastError() != ERROR_FILE_NOT_FOUND)
            return NULL;
        if (size == 0 && fd < 0) /* a new paging-file section needs its size */
            return WIN_FAIL(ERROR_INVALID_PARAMETER, NULL);
        /* its last handle was closed in between: create it again */
    }
}

/* A file-backed mapping over fd, after Windows' checks of the file's size. */
static HANDLE create_file_mapping(int fd, SIZE_T size, DWORD protect, DWORD attributes,
                                  const char *name)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return WIN_FAIL(ERROR_INVALID_HANDLE, NULL);
    if (size == 0 && st.st_size == 0) /* nothing to map */
        return WIN_FAIL(ERROR_FILE_INVALID, NULL);
    if (size > (SIZE_T)st.st_size && !(file_prot(protect) & UMM_PROT_WRITE))
        return WIN_FAIL(ERROR_NOT_ENOUGH_MEMORY, NULL); /* Windows: cannot grow a read-only file */
    return create_mapping(fd, size, (SIZE_T)st.st_size, protect, attributes, name);
}

HANDLE WINAPI CreateFileMappingA(HANDLE hFile, LPSECURITY_ATTRIBUTES lpAttributes, DWORD flProtect,
                                 DWORD dwMaximumSizeHigh, DWORD dwMaximumSizeLow, LPCSTR lpName)
{
    (void)lpAttributes;
    int fd = -1;
    if (hFile != INVALID_HANDLE_VALUE) { /* a file: a handle from UmmWinFileHandle */
        void *o = win_handle_get(hFile, WIN_FILE);
        if (!o)
            return WIN_FAIL(ERROR_INVALID_HANDLE, NULL);
        fd = (int)((intptr_t)o - 1);
    }
    DWORD attributes = flProtect & SEC_FLAGS, protect = flProtect & ~SEC_FLAGS;
    SIZE_T size = ((SIZE_T)dwMaximumSizeHigh << 32) | dwMaximumSizeLow;
    if (!section_protect_ok(protect) || (attributes & SEC_IMAGE) ||
        (attributes & (SEC_COMMIT | SEC_RESERVE)) == (SEC_COMMIT | SEC_RESERVE) ||
        (attributes & (SEC_NOCACHE | SEC_WRITECOMBINE)) == (SEC_NOCACHE | SEC_WRITECOMBINE) ||
        (lpName && (!lpName[0] || strlen(lpName) > UMM_SECTION_NAME_MAX)))
        return WIN_FAIL(ERROR_INVALID_PARAMETER, NULL);
    if (attributes & SEC_LARGE_PAGES)
        return WIN_FAIL(ERROR_NOT_SUPPORTED, NULL);
    return fd >= 0 ? create_file_mapping(fd, size, protect, attributes, lpName)
                   : create_mapping(-1, size, 0, protect, attributes, lpName);
}

/* Does a mapping created with `protect` allow views with desired access `access`? */
static bool access_allowed(DWORD protect, DWORD access)
{
    bool writable = protect == PAGE_READWRITE || protect == PAGE_EXECUTE_READWRITE;
    bool executable = protect == PAGE_EXECUTE_READ || protect == PAGE_EXECUTE_READWRITE ||
                      protect == PAGE_EXECUTE_WRITECOPY;
    if ((access & FILE_MAP_WRITE) && !writable)
        return false;
    return !(access & FILE_MAP_EXECUTE) || executable;
}

HANDLE WINAPI OpenFileMappingA(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCSTR lpName)
{
    (void)bInheritHandle;
    if (!lpName)
        return WIN_FAIL(ERROR_INVALID_PARAMETER, NULL);
    umm_system_t *sys = win_system();
    if (!sys)
        return NULL;
    if (!lpName[0] || strlen(lpName) > UMM_SECTION_NAME_MAX) /* no object can have that name */
        return WIN_FAIL(ERROR_FILE_NOT_FOUND, NULL);
    HANDLE h = open_named(sys, lpName);
    if (h && !access_allowed(((win_mapping_t *)win_handle_get(h, WIN_MAPPING))->protect,
                             dwDesiredAccess)) {
        CloseHandle(h);
        return WIN_FAIL(ERROR_ACCESS_DENIED, NULL);
    }
    return h;
}

/* The umm protection of a view with a given page protection, or -1. */
static int view_prot(DWORD page_protection)
{
    switch (page_protection) {
    case PAGE_READONLY: return UMM_PROT_READ;
    case PAGE_READWRITE: return UMM_PROT_READ | UMM_PROT_WRITE;
    case PAGE_EXECUTE_READ: return UMM_PROT_READ | UMM_PROT_EXEC;
    case PAGE_EXECUTE_READWRITE: return UMM_PROT_READ | UMM_PROT_WRITE | UMM_PROT_EXEC;
    case PAGE_WRITECOPY: return UMM_PROT_WRITECOPY;
    case PAGE_EXECUTE_WRITECOPY: return UMM_PROT_WRITECOPY | UMM_PROT_EXEC;
    default: return -1;
    }
}

/* A copy-on-write view needs only read access: its writes never reach the mapping (any
 * mapping protection allows FILE_MAP_COPY, as MapViewOfFile documents). */
static DWORD access_of_prot(int prot)
{
    return FILE_MAP_READ | (prot & UMM_PROT_WRITE ? FILE_MAP_WRITE : 0) |
           (prot & UMM_PROT_EXEC ? FILE_MAP_EXECUTE : 0);
}

PVOID WINAPI MapViewOfFile2(HANDLE FileMappingHandle, HANDLE ProcessHandle, ULONGLONG Offset,
                            PVOID BaseAddress, SIZE_T ViewSize, DWORD AllocationType,
                            DWORD PageProtection)
{
    win_mapping_t *m = win_handle_get(FileMappingHandle, WIN_MAPPING);
    if (!m)
        return WIN_FAIL(ERROR_INVALID_HANDLE, NULL);
    umm_process_t *proc = win_process(ProcessHandle);
    if (!proc)
        return NULL;
    int prot = view_prot(PageProtection);
    if (prot < 0 || (AllocationType & ~(DWORD)(MEM_RESERVE | MEM_LARGE_PAGES)))
        return WIN_FAIL(ERROR_INVALID_PARAMETER, NULL);
    if (Offset % UMM_RESERVE_GRANULARITY)
        return WIN_FAIL(ERROR_MAPPED_ALIGNMENT, NULL);
    if (Offset >= m->size || ViewSize > m->size - Offset)
        return WIN_FAIL(ERROR_ACCESS_DENIED, NULL);
    if (!access_allowed(m->protect, access_of_prot(prot)))
        return WIN_FAIL(ERROR_ACCESS_DENIED, NULL);
    if ((uintptr_t)BaseAddress % UMM_RESERVE_GRANULARITY) /* a view's base: the granularity */
        return WIN_FAIL(ERROR_INVALID_ADDRESS, NULL);
    void *out;
    int rc = umm_section_map_view(proc, m->sec, (size_t)Offset, ViewSize, BaseAddress, prot, &out);
    return rc == UMM_OK ? out : WIN_FAIL(win_error_of(rc), NULL);
}

LPVOID WINAPI MapViewOfFileEx(HANDLE hFileMappingObject, DWORD dwDesiredAccess, DWORD dwFileOffsetHigh,
                              DWORD dwFileOffsetLow, SIZE_T dwNumberOfBytesToMap, LPVOID lpBaseAddress)
{
    DWORD a = dwDesiredAccess;
    bool copy = (a & FILE_MAP_COPY) && !(a & FILE_MAP_WRITE); /* copy-on-write */
    if (!copy && !(a & (FILE_MAP_READ | FILE_MAP_WRITE)))
        return WIN_FAIL(ERROR_INVALID_PARAMETER, NULL);
    bool write = (a & FILE_MAP_WRITE) != 0, exec = (a & FILE_MAP_EXECUTE) != 0;
    DWORD protect = copy ? (exec ? PAGE_EXECUTE_WRITECOPY : PAGE_WRITECOPY)
                    : exec ? (write ? PAGE_EXECUTE_READWRITE : PAGE_EXECUTE_READ)
                           : (write ? PAGE_READWRITE : PAGE_READONLY);
    ULONGLONG offset = ((ULONGLONG)dwFileOffsetHigh << 32) | dwFileOffsetLow;
    return MapViewOfFile2(hFileMappingObject, GetCurrentProcess(), offset, lpBaseAddress,
                          dwNumberOfBytesToMap, 0, protect);
}

LPVOID WINAPI MapViewOfFile(HANDLE hFileMappingObject, DWORD dwDesiredAccess, DWORD dwFileOffsetHigh,
                            DWORD dwFileOffsetLow, SIZE_T dwNumberOfBytesToMap)
{
    return MapViewOfFileEx(hFileMappingObject, dwDesiredAccess, dwFileOffsetHigh, dwFileOffsetLow,
                           dwNumberOfBytesToMap, NULL);
}

/* The view of proc that starts at base, or an error code. */
static DWORD find_view(umm_process_t *proc, LPCVOID base)
{
    umm_region_info_t q;
    if (!base || umm_query(proc, base, &q) != UMM_OK || q.type != UMM_REGION_TYPE_MAPPED ||
        q.allocation_base != base)
        return ERROR_INVALID_ADDRESS;
    return ERROR_SUCCESS;
}

BOOL WINAPI UnmapViewOfFile2(HANDLE ProcessHandle, PVOID BaseAddress, DWORD UnmapFlags)
{
    umm_process_t *proc = win_process(ProcessHandle);
    if (!proc)
        return FALSE;
    if (UnmapFlags != 0)
        return WIN_FAIL(ERROR_INVALID_PARAMETER, FALSE);
    DWORD err = find_view(proc, BaseAddress);
    if (err != ERROR_SUCCESS)
        return WIN_FAIL(err, FALSE);
    int rc = umm_release(proc, BaseAddress);
    return rc == UMM_OK ? TRUE : WIN_FAIL(win_error_of(rc), FALSE);
}

BOOL WINAPI UnmapViewOfFile(LPCVOID lpBaseAddress)
{
    return UnmapViewOfFile2(GetCurrentProcess(), (PVOID)(uintptr_t)lpBaseAddress, 0);
}

BOOL WINAPI FlushViewOfFile(LPCVOID lpBaseAddress, SIZE_T dwNumberOfBytesToFlush)
{
    umm_process_t *proc = win_process(GetCurrentProcess());
    if (!proc)
        return FALSE;
    umm_region_info_t q; /* any address of a view; a paging-file section has no file to write */
    if (!lpBaseAddress || umm_query(proc, lpBaseAddress, &q) != UMM_OK ||
        q.type != UMM_REGION_TYPE_MAPPED)
        return WIN_FAIL(ERROR_INVALID_ADDRESS, FALSE);
    int rc = umm_view_flush(proc, (void *)(uintptr_t)lpBaseAddress, dwNumberOfBytesToFlush);
    return rc == UMM_OK ? TRUE : WIN_FAIL(win_error_of(rc), FALSE);
}
