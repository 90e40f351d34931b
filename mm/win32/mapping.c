/* SPDX-License-Identifier: MIT */
/* mapping.c - file mappings backed by the paging file or by a file (a handle made from a
 * descriptor by UmmWinFileHandle: umm_win has no CreateFile): CreateFileMapping (protection, name,
 * SEC_ flags), OpenFileMapping by name, MapViewOfFile(Ex, 2), UnmapViewOfFile(2),
 * FlushViewOfFile, over umm_section_create / umm_section_map / umm_release. The names and the
 * section's own protection live here (win_mapping_t); umm's section is the memory. */
#include "win.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SEC_FLAGS (SEC_COMMIT | SEC_RESERVE | SEC_NOCACHE | SEC_WRITECOMBINE | SEC_LARGE_PAGES | SEC_IMAGE)

/* Named mappings, and every mapping's refs: guarded by names_lock. */
static win_mapping_t *named;
static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;

static win_mapping_t *find_named(const char *name)
{
    for (win_mapping_t *m = named; m; m = m->next)
        if (strcmp(m->name, name) == 0)
            return m;
    return NULL;
}

/* A new handle to m (names_lock held). */
static HANDLE open_handle(win_mapping_t *m)
{
    HANDLE h = win_handle_new(WIN_MAPPING, m);
    if (h)
        m->refs++;
    return h;
}

/* Is `protect` one of the page protections CreateFileMapping takes? */
static bool section_protect_ok(DWORD protect)
{
    switch (protect) {
    case PAGE_READONLY: case PAGE_READWRITE: case PAGE_WRITECOPY: case PAGE_EXECUTE_READ:
    case PAGE_EXECUTE_READWRITE: case PAGE_EXECUTE_WRITECOPY: return true;
    default: return false;
    }
}

HANDLE WINAPI UmmWinFileHandle(int fd)
{
    if (fd < 0)
        return WIN_FAIL(ERROR_INVALID_HANDLE, NULL);
    return win_handle_new(WIN_FILE, (void *)(intptr_t)(fd + 1));
}

/* The umm protection of a file section created with `protect`: what the file must allow. */
static int file_prot(DWORD protect)
{
    bool write = protect == PAGE_READWRITE || protect == PAGE_EXECUTE_READWRITE;
    return UMM_PROT_READ | (write ? UMM_PROT_WRITE : 0);
}

/* A mapping over a new section of `size` bytes: of the paging file (fd < 0) or of the file fd
 * (size 0: the whole file, file_size bytes). */
static win_mapping_t *create_mapping(int fd, SIZE_T size, SIZE_T file_size, DWORD protect,
                                     DWORD attributes, const char *name)
{
    umm_system_t *sys = win_system();
    if (!sys)
        return NULL;
    win_mapping_t *m = calloc(1, sizeof *m);
    char *copy = name ? strdup(name) : NULL;
    int rc = !m || (name && !copy) ? UMM_E_NOMEM
             : fd < 0 ? umm_section_create(sys, size, &m->sec)
                      : umm_section_create_file(sys, fd, size, file_prot(protect), &m->sec);
    if (rc != UMM_OK) {
        free(copy);
        free(m);
        return WIN_FAIL(win_error_of(rc), NULL);
    }
    m->name = copy;
    m->protect = protect;
    m->attributes = attributes;
    m->size = size ? size : file_size;
    return m;
}

/* A file-backed mapping over fd, after Windows' checks of the file's size. */
static win_mapping_t *create_file_mapping(int fd, SIZE_T size, DWORD protect, DWORD attributes,
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
        (attributes & (SEC_NOCACHE | SEC_WRITECOMBINE)) == (SEC_NOCACHE | SEC_WRITECOMBINE))
        return WIN_FAIL(ERROR_INVALID_PARAMETER, NULL);
    if (attributes & SEC_LARGE_PAGES)
        return WIN_FAIL(ERROR_NOT_SUPPORTED, NULL);
    pthread_mutex_lock(&names_lock);
    win_mapping_t *m = lpName ? find_named(lpName) : NULL;
    HANDLE h = NULL;
    if (m) { /* the existing object, whatever size was asked (as Windows) */
        if ((h = open_handle(m)))
            SetLastError(ERROR_ALREADY_EXISTS);
    } else if (size == 0 && fd < 0) { /* a paging-file section needs its size */
        SetLastError(ERROR_INVALID_PARAMETER);
    } else if ((m = fd >= 0 ? create_file_mapping(fd, size, protect, attributes, lpName)
                            : create_mapping(-1, size, 0, protect, attributes, lpName))) {
        if ((h = open_handle(m))) {
            if (lpName) {
                m->next = named;
                named = m;
            }
            SetLastError(ERROR_SUCCESS);
        } else {
            umm_section_close(m->sec);
            free(m->name);
            free(m);
        }
    }
    pthread_mutex_unlock(&names_lock);
    return h;
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
    pthread_mutex_lock(&names_lock);
    win_mapping_t *m = find_named(lpName);
    HANDLE h = NULL;
    if (!m)
        SetLastError(ERROR_FILE_NOT_FOUND);
    else if (!access_allowed(m->protect, dwDesiredAccess))
        SetLastError(ERROR_ACCESS_DENIED);
    else
        h = open_handle(m);
    pthread_mutex_unlock(&names_lock);
    return h;
}

bool win_mapping_close(HANDLE h)
{
    pthread_mutex_lock(&names_lock);
    win_mapping_t *m = win_handle_take(h, WIN_MAPPING);
    bool last = m && --m->refs == 0;
    if (last && m->name) /* the name goes with the last handle; views keep the section */
        for (win_mapping_t **pp = &named; *pp; pp = &(*pp)->next)
            if (*pp == m) {
                *pp = m->next;
                break;
            }
    pthread_mutex_unlock(&names_lock);
    if (last) {
        umm_section_close(m->sec);
        free(m->name);
        free(m);
    }
    return m != NULL;
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
