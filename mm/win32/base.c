/* SPDX-License-Identifier: MIT */
/* base.c - libumm_win's ground: the thread's last error, the default system and process (created
 * on first use from the environment), explicit processes, the handle table, CloseHandle and the
 * translations of flags and error codes (see win.h). */
#include "win.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>

/* ---- the thread's last error ---- */
static __thread DWORD last_error;

DWORD WINAPI GetLastError(void)
{
    return last_error;
}

void WINAPI SetLastError(DWORD dwErrCode)
{
    last_error = dwErrCode;
}

/* ---- the handle table ---- */
#define WIN_MAX_HANDLES 4096
typedef struct win_slot {
    enum win_kind kind;
    void *object;
    win_close_fn *close;
} win_slot_t;
static win_slot_t slots[WIN_MAX_HANDLES]; /* invariant in win.h */
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

static long slot_of(HANDLE h)
{
    uintptr_t v = (uintptr_t)h;
    if (v == 0 || (v & 3) || v / 4 > WIN_MAX_HANDLES)
        return -1;
    return (long)(v / 4 - 1);
}

HANDLE win_handle_new(enum win_kind kind, void *object, win_close_fn *close)
{
    pthread_mutex_lock(&slots_lock);
    HANDLE h = NULL;
    for (long i = 0; i < WIN_MAX_HANDLES && !h; i++)
        if (slots[i].kind == WIN_FREE) {
            slots[i] = (win_slot_t){kind, object, close};
            h = (HANDLE)(uintptr_t)((i + 1) * 4);
        }
    pthread_mutex_unlock(&slots_lock);
    if (!h)
        SetLastError(ERROR_NO_SYSTEM_RESOURCES);
    return h;
}

/* The object of handle h if it is of `kind`; `take` frees its slot. */
static void *handle_object(HANDLE h, enum win_kind kind, bool take)
{
    long i = slot_of(h);
    if (i < 0)
        return NULL;
    pthread_mutex_lock(&slots_lock);
    void *o = slots[i].kind == kind ? slots[i].object : NULL;
    if (o && take)
        slots[i] = (win_slot_t){WIN_FREE, NULL, NULL};
    pthread_mutex_unlock(&slots_lock);
    return o;
}

void *win_handle_get(HANDLE h, enum win_kind kind)
{
    return handle_object(h, kind, false);
}

void *win_handle_take(HANDLE h, enum win_kind kind)
{
    return handle_object(h, kind, true);
}

/* ---- the default system and process ---- */
static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;
static umm_system_t *_Atomic default_sys;
static umm_process_t *default_proc;
static __thread HANDLE attached; /* UmmWinAttachThread: this thread's current process */
static size_t default_page = 4096; /* the default system's page size */

/* A size from the environment: digits with an optional K, M or G suffix; `dflt` when unset. */
static size_t env_size(const char *name, size_t dflt)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end;
    unsigned long long n = strtoull(v, &end, 0);
    switch (toupper((unsigned char)*end)) {
    case 'G': n <<= 10; /* fall through */
    case 'M': n <<= 10; /* fall through */
    case 'K': n <<= 10; break;
    default: break;
    }
    return (size_t)n;
}

static int create_default(void)
{
    umm_config_t c = UMM_CONFIG_INIT;
    c.ram_bytes = env_size("UMM_WIN_RAM", (size_t)64 << 20);
    c.pagefile_bytes = env_size("UMM_WIN_PAGEFILE", (size_t)64 << 20);
    c.pagefile_max_bytes = env_size("UMM_WIN_PAGEFILE_MAX", 4 * c.pagefile_bytes);
    c.pagefile_path = getenv("UMM_WIN_PAGEFILE_PATH");
    c.cluster_pages = (unsigned)env_size("UMM_WIN_CLUSTER", 16);
    if (env_size("UMM_WIN_NO_WORKERS", 0))
        c.flags |= UMM_CFG_NO_WORKERS;
    umm_system_t *sys;
    int rc = umm_system_create(&c, &sys);
    if (rc != UMM_OK)
        return rc;
    if ((rc = umm_process_create(sys, &default_proc)) != UMM_OK) {
        umm_system_destroy(sys);
        return rc;
    }
    default_page = c.page_size;
    default_sys = sys;
    return UMM_OK;
}

umm_system_t *win_system(void)
{
    umm_system_t *sys = default_sys;
    if (sys)
        return sys;
    pthread_mutex_lock(&default_lock);
    int rc = default_sys ? UMM_OK : create_default();
    sys = default_sys;
    pthread_mutex_unlock(&default_lock);
    if (rc != UMM_OK)
        SetLastError(rc == UMM_E_INVAL ? ERROR_INVALID_PARAMETER : ERROR_NOT_ENOUGH_MEMORY);
    return sys;
}

umm_system_t *UmmWinSystem(void)
{
    return win_system();
}

HANDLE WINAPI GetCurrentProcess(void)
{
    return INVALID_HANDLE_VALUE; /* the pseudo-handle, (HANDLE)-1 as on Windows */
}

umm_process_t *win_process(HANDLE h)
{
    if (h == INVALID_HANDLE_VALUE && attached)
        h = attached;
    if (h == INVALID_HANDLE_VALUE)
        return win_system() ? default_proc : NULL;
    umm_process_t *p = win_handle_get(h, WIN_PROCESS);
    if (!p)
        SetLastError(ERROR_INVALID_HANDLE);
    return p;
}

umm_process_t *UmmWinProcess(HANDLE hProcess)
{
    return win_process(hProcess);
}

HANDLE WINAPI UmmWinCreateProcess(void)
{
    umm_system_t *sys = win_system();
    umm_process_t *p;
    if (!sys)
        return NULL;
    int rc = umm_process_create(sys, &p);
    if (rc != UMM_OK)
        return WIN_FAIL(win_error_of(rc), NULL);
    HANDLE h = win_handle_new(WIN_PROCESS, p, NULL);
    if (!h)
        umm_process_destroy(p);
    return h;
}

BOOL WINAPI UmmWinDestroyProcess(HANDLE hProcess)
{
    umm_process_t *p = win_handle_take(hProcess, WIN_PROCESS);
    if (!p)
        return WIN_FAIL(ERROR_INVALID_HANDLE, FALSE);
    if (attached == hProcess)
        attached = NULL;
    umm_process_destroy(p);
    return TRUE;
}

BOOL WINAPI UmmWinAttachThread(HANDLE hProcess)
{
    if (hProcess && hProcess != INVALID_HANDLE_VALUE && !win_handle_get(hProcess, WIN_PROCESS))
        return WIN_FAIL(ERROR_INVALID_HANDLE, FALSE);
    attached = hProcess == INVALID_HANDLE_VALUE ? NULL : hProcess;
    return TRUE;
}

/* Close every handle still open (mappings and notifications free what they hold). */
static void close_all_handles(void)
{
    for (long i = 0; i < WIN_MAX_HANDLES; i++) {
        pthread_mutex_lock(&slots_lock);
        bool used = slots[i].kind != WIN_FREE;
        pthread_mutex_unlock(&slots_lock);
        if (used)
            CloseHandle((HANDLE)(uintptr_t)((i + 1) * 4));
    }
}

void WINAPI UmmWinShutdown(void)
{
    close_all_handles();
    pthread_mutex_lock(&default_lock);
    umm_system_t *sys = default_sys;
    default_sys = NULL;
    default_proc = NULL;
    pthread_mutex_unlock(&default_lock);
    attached = NULL;
    if (sys)
        umm_system_destroy(sys);
}

/* Free handle h's slot whatever its kind; the slot as it was (kind WIN_FREE: h was none). */
static win_slot_t take_any(HANDLE h)
{
    long i = slot_of(h);
    win_slot_t s = {WIN_FREE, NULL, NULL};
    if (i < 0)
        return s;
    pthread_mutex_lock(&slots_lock);
    s = slots[i];
    slots[i] = (win_slot_t){WIN_FREE, NULL, NULL};
    pthread_mutex_unlock(&slots_lock);
    return s;
}

BOOL WINAPI CloseHandle(HANDLE hObject)
{
    win_slot_t s = take_any(hObject);
    if (s.kind == WIN_FREE)
        return WIN_FAIL(ERROR_INVALID_HANDLE, FALSE);
    if (s.close) /* a process lives on (UmmWinDestroyProcess ends it), a file stays the caller's */
        s.close(s.object);
    return TRUE;
}

/* ---- translations ---- */
int win_prot_to_umm(DWORD protect)
{
    DWORD mods = protect & (PAGE_GUARD | PAGE_NOCACHE | PAGE_WRITECOMBINE);
    int p;
    switch (protect & ~mods) {
    case PAGE_NOACCESS: p = UMM_PROT_NONE; break;
    case PAGE_READONLY: p = UMM_PROT_READ; break;
    case PAGE_READWRITE: p = UMM_PROT_READ | UMM_PROT_WRITE; break;
    case PAGE_EXECUTE: p = UMM_PROT_EXEC; break;
    case PAGE_EXECUTE_READ: p = UMM_PROT_READ | UMM_PROT_EXEC; break;
    case PAGE_EXECUTE_READWRITE: p = UMM_PROT_READ | UMM_PROT_WRITE | UMM_PROT_EXEC; break;
    default: return -1; /* no base, two, unknown bits, or WRITECOPY (VirtualAlloc refuses it;
                           VirtualProtect and MapViewOfFile2 take it themselves) */
    }
    if (p == UMM_PROT_NONE && mods) /* Windows: no modifier with PAGE_NOACCESS */
        return -1;
    return p | (mods & PAGE_GUARD ? UMM_PROT_GUARD : 0) | (mods & PAGE_NOCACHE ? UMM_PROT_NOCACHE : 0) |
           (mods & PAGE_WRITECOMBINE ? UMM_PROT_WRITECOMBINE : 0);
}

DWORD win_prot_from_umm(int prot)
{
    static const DWORD base[8] = {
        PAGE_NOACCESS,     PAGE_READONLY,     PAGE_READWRITE,         PAGE_READWRITE,
        PAGE_EXECUTE,      PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_READWRITE};
    DWORD b = !(prot & UMM_PROT_WRITECOPY) ? base[prot & 7]
              : prot & UMM_PROT_EXEC ? PAGE_EXECUTE_WRITECOPY : PAGE_WRITECOPY; /* a copy-on-write
                                                                   view's page not written yet */
    return b | (prot & UMM_PROT_GUARD ? PAGE_GUARD : 0) |
           (prot & UMM_PROT_NOCACHE ? PAGE_NOCACHE : 0) |
           (prot & UMM_PROT_WRITECOMBINE ? PAGE_WRITECOMBINE : 0);
}

DWORD win_error_of(int rc)
{
    switch (rc) {
    case UMM_OK: return ERROR_SUCCESS;
    case UMM_E_INVAL: case UMM_E_STATE: return ERROR_INVALID_PARAMETER;
    case UMM_E_NOMEM: case UMM_E_NO_FRAMES: return ERROR_NOT_ENOUGH_MEMORY;
    case UMM_E_COMMIT_LIMIT: return ERROR_COMMITMENT_LIMIT;
    case UMM_E_ACCESS: return ERROR_ACCESS_DENIED;
    case UMM_E_NOT_RESERVED: case UMM_E_NOT_COMMITTED: case UMM_E_RANGE: case UMM_E_ALIGN:
    case UMM_E_BUSY: return ERROR_INVALID_ADDRESS;
    case UMM_E_IO: return ERROR_NOACCESS;
    case UMM_E_VMA_LIMIT: case UMM_E_OS: return ERROR_NO_SYSTEM_RESOURCES;
    case UMM_E_NOT_SUPPORTED: return ERROR_NOT_SUPPORTED;
    case UMM_E_NOT_FOUND: return ERROR_FILE_NOT_FOUND;
    case UMM_E_EXISTS: return ERROR_ALREADY_EXISTS;
    case UMM_E_HANDLE: return ERROR_INVALID_HANDLE;
    default: return ERROR_INVALID_PARAMETER;
    }
}

size_t win_page_size(void)
{
    return default_page;
}

void win_page_range(const void *addr, SIZE_T size, uintptr_t *start, uintptr_t *end)
{
    uintptr_t page = default_page, a = (uintptr_t)addr;
    *start = a & ~(page - 1);
    *end = a + size < a ? UINTPTR_MAX & ~(page - 1) : (a + size + page - 1) & ~(page - 1);
}
