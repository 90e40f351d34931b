/* SPDX-License-Identifier: MIT */
/* test_win_conformance.c - the Win32 memory API of umm_win.h checked against Microsoft's
 * documentation: each call, each documented flag and combination, each documented error code, and
 * what VirtualQuery reports after each step. Every test starts with no default system (it is
 * created on first use inside the test body) and ends with UmmWinShutdown(). Behaviour that
 * arrives with other branches is checked to fail cleanly with ERROR_NOT_SUPPORTED until then. */
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "umm_win.h"

#include "../skip_store.h"

static SIZE_T PG;

static void start(void)
{
    SYSTEM_INFO si;
    GetSystemInfo(&si); /* creates the default system */
    PG = si.dwPageSize;
    assert_true(PG >= 4096);
}

static void finish(void)
{
    assert_int_equal(umm_check(UmmWinSystem()), UMM_OK);
    UmmWinShutdown();
}

/* A call that must fail with `err`. */
#define FAILS_WITH(call, err)                                                                    \
    do {                                                                                         \
        SetLastError(0xdeadbeef);                                                                \
        assert_false((uintptr_t)(call));                                                         \
        assert_int_equal(GetLastError(), (err));                                                 \
    } while (0)

/* ---- access probes: umm's exception handler on the default system (umm_win.h's vectored
 * handlers are tested in test_vectored_handlers) ---- */
static __thread sigjmp_buf probe_env;
static __thread volatile int probe_armed;
static __thread volatile int probe_code;

static umm_exception_action_t probe_handler(const umm_exception_t *e, void *ctx)
{
    (void)ctx;
    if (!probe_armed)
        return e->code == UMM_EXC_GUARD_PAGE ? UMM_EXC_CONTINUE_EXECUTION : UMM_EXC_CONTINUE_SEARCH;
    probe_armed = 0;
    probe_code = e->code;
    siglongjmp(probe_env, 1);
}

static void probes_on(void)
{
    assert_int_equal(umm_set_exception_handler(UmmWinSystem(), probe_handler, NULL), UMM_OK);
}

/* 0 when the access completed, else the umm exception code. */
static int try_access(volatile BYTE *p, int write)
{
    if (sigsetjmp(probe_env, 1))
        return probe_code;
    probe_armed = 1;
    if (write)
        *p = 1;
    else
        (void)*p;
    probe_armed = 0;
    return 0;
}

static MEMORY_BASIC_INFORMATION query(const void *addr)
{
    MEMORY_BASIC_INFORMATION m;
    memset(&m, 0xa5, sizeof m);
    assert_int_equal(VirtualQuery(addr, &m, sizeof m), sizeof m);
    return m;
}

static void assert_region(const void *addr, const void *base, const void *alloc_base, SIZE_T size,
                          DWORD state, DWORD protect, DWORD type)
{
    MEMORY_BASIC_INFORMATION m = query(addr);
    assert_ptr_equal(m.BaseAddress, base);
    assert_ptr_equal(m.AllocationBase, alloc_base);
    assert_int_equal(m.RegionSize, size);
    assert_int_equal(m.State, state);
    assert_int_equal(m.Protect, protect);
    assert_int_equal(m.Type, type);
}

/* ---- GetLastError / SetLastError: per thread ---- */
static void *other_thread(void *arg)
{
    (void)arg;
    assert_int_equal(GetLastError(), 0); /* a new thread starts at 0 */
    SetLastError(ERROR_INVALID_ADDRESS);
    return (void *)(uintptr_t)GetLastError();
}

static void test_last_error_per_thread(void **state)
{
    (void)state;
    SetLastError(ERROR_COMMITMENT_LIMIT);
    pthread_t t;
    void *r;
    assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
    assert_int_equal(pthread_join(t, &r), 0);
    assert_int_equal((uintptr_t)r, ERROR_INVALID_ADDRESS);
    assert_int_equal(GetLastError(), ERROR_COMMITMENT_LIMIT);
    SetLastError(0);
    assert_int_equal(GetLastError(), 0);
}

/* ---- GetSystemInfo ---- */
static void test_get_system_info(void **state)
{
    (void)state;
    SYSTEM_INFO si;
    memset(&si, 0, sizeof si);
    GetSystemInfo(&si);
    assert_int_equal(si.dwPageSize, 4096);
    assert_int_equal(si.dwAllocationGranularity, 65536);
    assert_true((uintptr_t)si.lpMinimumApplicationAddress == 0x10000);
    assert_true((uintptr_t)si.lpMaximumApplicationAddress > (uintptr_t)1 << 40);
    assert_true(si.dwNumberOfProcessors >= 1);
    assert_true(si.dwActiveProcessorMask != 0);
#if defined(__x86_64__)
    assert_int_equal(si.wProcessorArchitecture, PROCESSOR_ARCHITECTURE_AMD64);
#endif
    UmmWinShutdown();
}

/* ---- VirtualAlloc ---- */
static void test_virtual_alloc_reserve_and_commit(void **state)
{
    (void)state;
    start();
    /* MEM_RESERVE: a granularity-aligned base; the pages are reserved, Protect 0 */
    BYTE *r = VirtualAlloc(NULL, 10 * PG, MEM_RESERVE, PAGE_READWRITE);
    assert_non_null(r);
    assert_int_equal((uintptr_t)r % 65536, 0);
    MEMORY_BASIC_INFORMATION m = query(r + 5);
    assert_ptr_equal(m.BaseAddress, r);
    assert_ptr_equal(m.AllocationBase, r);
    assert_int_equal(m.AllocationProtect, PAGE_READWRITE);
    assert_int_equal(m.State, MEM_RESERVE);
    assert_int_equal(m.Protect, 0);
    assert_int_equal(m.Type, MEM_PRIVATE);
    assert_true(m.RegionSize >= 10 * PG);

    /* MEM_COMMIT of an unaligned range: every page it touches, the page-aligned start returned */
    assert_ptr_equal(VirtualAlloc(r + PG + 100, PG, MEM_COMMIT, PAGE_READONLY), r + PG);
    assert_region(r + PG, r + PG, r, 2 * PG, MEM_COMMIT, PAGE_READONLY, MEM_PRIVATE);
    assert_region(r, r, r, PG, MEM_RESERVE, 0, MEM_PRIVATE);
    assert_int_equal(r[PG], 0); /* committed pages read as zeros */
    assert_int_equal(r[3 * PG - 1], 0);

    /* committing committed pages sets the new protection (and keeps the contents) */
    assert_ptr_equal(VirtualAlloc(r + PG, 3 * PG, MEM_COMMIT, PAGE_READWRITE), r + PG);
    r[PG] = 7;
    assert_region(r + PG, r + PG, r, 3 * PG, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE);
    assert_ptr_equal(VirtualAlloc(r + PG, PG, MEM_COMMIT, PAGE_READONLY), r + PG);
    assert_int_equal(r[PG], 7);
    assert_region(r + PG, r + PG, r, PG, MEM_COMMIT, PAGE_READONLY, MEM_PRIVATE);

    /* MEM_COMMIT alone at NULL reserves too */
    BYTE *c = VirtualAlloc(NULL, 3 * PG, MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(c);
    c[3 * PG - 1] = 1;
    assert_region(c, c, c, 3 * PG, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE);

    /* reserve at an address: rounded down to the granularity */
    BYTE *hole = VirtualAlloc(NULL, 4 * 65536, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(hole);
    assert_true(VirtualFree(hole, 0, MEM_RELEASE));
    assert_ptr_equal(VirtualAlloc(hole + 65536 + 0x1234, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                     hole + 65536);
    /* committed: from the base to the page holding the last byte (0x1234 + one page: 3 pages) */
    assert_region(hole + 65536, hole + 65536, hole + 65536, 3 * PG, MEM_COMMIT, PAGE_READWRITE,
                  MEM_PRIVATE);
    /* ... and refused where something is already reserved */
    FAILS_WITH(VirtualAlloc(hole + 65536, PG, MEM_RESERVE, PAGE_READWRITE), ERROR_INVALID_ADDRESS);
    FAILS_WITH(VirtualAlloc(r, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE), ERROR_INVALID_ADDRESS);
    /* MEM_TOP_DOWN: above every reservation made without it, before and after; the next one
     * top-down is below it (the highest free range left) */
    BYTE *bu[4];
    for (int i = 0; i < 4; i++)
        assert_non_null(bu[i] = VirtualAlloc(NULL, 4 * 65536, MEM_RESERVE, PAGE_READWRITE));
    BYTE *td = VirtualAlloc(NULL, PG, MEM_RESERVE | MEM_TOP_DOWN, PAGE_READWRITE);
    assert_non_null(td);
    assert_int_equal((uintptr_t)td % 65536, 0);
    BYTE *td2 = VirtualAlloc(NULL, 3 * 65536, MEM_RESERVE | MEM_COMMIT | MEM_TOP_DOWN, PAGE_READWRITE);
    assert_non_null(td2);
    BYTE *later = VirtualAlloc(NULL, PG, MEM_RESERVE, PAGE_READWRITE);
    assert_non_null(later);
    assert_true(td2 + 3 * 65536 <= td);
    for (int i = 0; i < 4; i++)
        assert_true(bu[i] + 4 * 65536 <= td2);
    assert_true(later + 65536 <= td2);
    assert_region(td2, td2, td2, 3 * 65536, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE);
    td2[3 * 65536 - 1] = 7;
    assert_int_equal(td2[3 * 65536 - 1], 7);
    assert_true(VirtualFree(td2, 0, MEM_RELEASE));
    for (int i = 0; i < 4; i++)
        assert_true(VirtualFree(bu[i], 0, MEM_RELEASE));
    assert_true(VirtualFree(later, 0, MEM_RELEASE));

    /* commit outside any reservation, or across its end */
    FAILS_WITH(VirtualAlloc(hole, PG, MEM_COMMIT, PAGE_READWRITE), ERROR_INVALID_ADDRESS);
    FAILS_WITH(VirtualAlloc(r + 65536 - PG, 2 * PG, MEM_COMMIT, PAGE_READWRITE), ERROR_INVALID_ADDRESS);

    /* parameters */
    FAILS_WITH(VirtualAlloc(NULL, 0, MEM_RESERVE, PAGE_READWRITE), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualAlloc(NULL, PG, 0, PAGE_READWRITE), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualAlloc(NULL, PG, MEM_DECOMMIT, PAGE_READWRITE), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualAlloc(NULL, PG, MEM_RELEASE, PAGE_READWRITE), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualAlloc(NULL, PG, MEM_RESERVE | 0x40, PAGE_READWRITE), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualAlloc(NULL, PG, MEM_COMMIT | MEM_RESERVE | MEM_TOP_DOWN, 0), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualAlloc(NULL, PG, MEM_COMMIT, PAGE_READONLY | PAGE_READWRITE), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualAlloc(NULL, PG, MEM_COMMIT, PAGE_WRITECOPY), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualAlloc(NULL, PG, MEM_COMMIT, PAGE_EXECUTE_WRITECOPY), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualAlloc(NULL, PG, MEM_COMMIT, PAGE_NOACCESS | PAGE_GUARD), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualAlloc(NULL, PG, MEM_COMMIT, PAGE_NOACCESS | PAGE_NOCACHE), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualAlloc(NULL, PG, MEM_COMMIT, PAGE_READWRITE | PAGE_NOCACHE | PAGE_WRITECOMBINE),
               ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualAlloc(NULL, PG, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD | PAGE_NOCACHE),
               ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualAlloc(NULL, PG, MEM_COMMIT, 0x800), ERROR_INVALID_PARAMETER);
    /* the commit limit (16 MiB of RAM, a paging file of at most 128 MiB here) */
    FAILS_WITH(VirtualAlloc(NULL, (SIZE_T)8 << 30, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE),
               ERROR_COMMITMENT_LIMIT);
    /* write watch and MEM_RESET: test_write_watch, test_reset_and_offer; never here: large
     * pages, AWE */
    assert_non_null(VirtualAlloc(NULL, PG, MEM_RESERVE | MEM_WRITE_WATCH, PAGE_READWRITE));
    FAILS_WITH(VirtualAlloc(NULL, PG, MEM_RESERVE | MEM_PHYSICAL, PAGE_READWRITE), ERROR_NOT_SUPPORTED);
    assert_int_equal(r[PG], 7); /* no failed call changed anything */
    finish();
}

/* Each documented protection, with each modifier, is accepted and reported back. */
static void test_virtual_alloc_every_protection(void **state)
{
    (void)state;
    start();
    static const DWORD bases[] = {PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_EXECUTE,
                                  PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE};
    static const DWORD mods[] = {0, PAGE_GUARD, PAGE_NOCACHE, PAGE_WRITECOMBINE};
    for (size_t b = 0; b < sizeof bases / sizeof *bases; b++)
        for (size_t k = 0; k < sizeof mods / sizeof *mods; k++) {
            DWORD p = bases[b] | mods[k];
            BYTE *a = VirtualAlloc(NULL, 2 * PG, MEM_RESERVE | MEM_COMMIT, p);
            if (bases[b] == PAGE_NOACCESS && mods[k]) { /* no modifier with PAGE_NOACCESS */
                assert_null(a);
                assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
                continue;
            }
            assert_non_null(a);
            assert_region(a, a, a, 2 * PG, MEM_COMMIT, p, MEM_PRIVATE);
            assert_int_equal(query(a).AllocationProtect, p);
            DWORD old = 0;
            assert_true(VirtualProtect(a + PG, PG, PAGE_READONLY, &old));
            assert_int_equal(old, p);
            assert_true(VirtualFree(a, 0, MEM_RELEASE));
        }
    finish();
}

/* ---- VirtualFree ---- */
static void test_virtual_free(void **state)
{
    (void)state;
    start();
    BYTE *r = VirtualAlloc(NULL, 16 * PG, MEM_RESERVE, PAGE_READWRITE);
    assert_non_null(r);
    assert_non_null(VirtualAlloc(r, 16 * PG, MEM_COMMIT, PAGE_READWRITE));
    memset(r, 3, 16 * PG);

    FAILS_WITH(VirtualFree(r, PG, MEM_RELEASE), ERROR_INVALID_PARAMETER); /* size must be 0 */
    FAILS_WITH(VirtualFree(r + PG, 0, MEM_RELEASE), ERROR_INVALID_ADDRESS); /* not the base */
    FAILS_WITH(VirtualFree(NULL, 0, MEM_RELEASE), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualFree(r, 0, MEM_RELEASE | MEM_DECOMMIT), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualFree(r, 0, 0), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualFree(r, PG, MEM_RESERVE), ERROR_INVALID_PARAMETER);
    assert_int_equal(r[0], 3);

    /* MEM_DECOMMIT of an unaligned range: every page it touches */
    assert_true(VirtualFree(r + PG + 10, PG, MEM_DECOMMIT));
    assert_region(r + PG, r + PG, r, 2 * PG, MEM_RESERVE, 0, MEM_PRIVATE);
    assert_region(r, r, r, PG, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE);
    assert_int_equal(r[3 * PG], 3);
    /* decommitting reserved pages is not an error */
    assert_true(VirtualFree(r + PG, PG, MEM_DECOMMIT));
    /* MEM_DECOMMIT with size 0: from the page to the end of the region */
    assert_true(VirtualFree(r + 8 * PG, 0, MEM_DECOMMIT));
    assert_region(r + 3 * PG, r + 3 * PG, r, 5 * PG, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE);
    MEMORY_BASIC_INFORMATION m = query(r + 8 * PG);
    assert_int_equal(m.State, MEM_RESERVE);
    assert_true(m.RegionSize >= 8 * PG);
    /* a recommitted page is zero again */
    assert_non_null(VirtualAlloc(r + PG, PG, MEM_COMMIT, PAGE_READWRITE));
    assert_int_equal(r[PG], 0);
    /* across the end, or outside any reservation */
    FAILS_WITH(VirtualFree(r + 65536 - PG, 2 * PG, MEM_DECOMMIT), ERROR_INVALID_ADDRESS);

    assert_true(VirtualFree(r, 0, MEM_RELEASE));
    m = query(r);
    assert_int_equal(m.State, MEM_FREE);
    assert_int_equal(m.Protect, PAGE_NOACCESS);
    assert_null(m.AllocationBase);
    assert_int_equal(m.Type, 0);
    FAILS_WITH(VirtualFree(r, 0, MEM_RELEASE), ERROR_INVALID_ADDRESS);
    FAILS_WITH(VirtualFree(r, PG, MEM_DECOMMIT), ERROR_INVALID_ADDRESS);
    finish();
}

/* ---- VirtualProtect ---- */
static void test_virtual_protect(void **state)
{
    (void)state;
    start();
    probes_on();
    BYTE *r = VirtualAlloc(NULL, 8 * PG, MEM_RESERVE, PAGE_NOACCESS);
    assert_non_null(VirtualAlloc(r, 4 * PG, MEM_COMMIT, PAGE_READWRITE));
    r[0] = 9;
    DWORD old = 0;
    FAILS_WITH(VirtualProtect(r, PG, PAGE_READONLY, NULL), ERROR_NOACCESS);
    FAILS_WITH(VirtualProtect(r, PG, 0, &old), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualProtect(r, PG, PAGE_WRITECOPY, &old), ERROR_INVALID_PARAMETER); /* private */
    FAILS_WITH(VirtualProtect(r, PG, PAGE_EXECUTE_WRITECOPY, &old), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualProtect(r, PG, PAGE_READONLY | PAGE_EXECUTE, &old), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualProtect(r + 3 * PG, 2 * PG, PAGE_READONLY, &old), ERROR_INVALID_ADDRESS);
    FAILS_WITH(VirtualProtect(r + 5 * PG, PG, PAGE_READONLY, &old), ERROR_INVALID_ADDRESS);
    FAILS_WITH(VirtualProtect(r + 65536, PG, PAGE_READONLY, &old), ERROR_INVALID_ADDRESS);
    assert_int_equal(query(r).Protect, PAGE_READWRITE);

    /* the old protection is the first page's; unaligned ranges cover their pages */
    assert_true(VirtualProtect(r + PG + 1, PG, PAGE_READONLY, &old));
    assert_int_equal(old, PAGE_READWRITE);
    assert_region(r + PG, r + PG, r, 2 * PG, MEM_COMMIT, PAGE_READONLY, MEM_PRIVATE);
    assert_true(VirtualProtect(r + PG, 3 * PG, PAGE_NOACCESS, &old));
    assert_int_equal(old, PAGE_READONLY);
    assert_region(r + PG, r + PG, r, 3 * PG, MEM_COMMIT, PAGE_NOACCESS, MEM_PRIVATE);
    assert_int_equal(try_access(r + PG, 0), UMM_EXC_ACCESS_VIOLATION);
    assert_true(VirtualProtect(r, PG, PAGE_READONLY, &old));
    assert_int_equal(try_access(r, 1), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(try_access(r, 0), 0);
    assert_int_equal(r[0], 9);
    /* PAGE_GUARD: one exception on the first access, then the page is plain again */
    assert_true(VirtualProtect(r, PG, PAGE_READWRITE | PAGE_GUARD, &old));
    assert_region(r, r, r, PG, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD, MEM_PRIVATE);
    assert_int_equal(try_access(r, 0), UMM_EXC_GUARD_PAGE);
    assert_region(r, r, r, PG, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE);
    assert_int_equal(try_access(r, 1), 0);
#if defined(__x86_64__)
    /* PAGE_EXECUTE_READ runs code; PAGE_READWRITE does not (DEP) */
    static const BYTE ret42[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3};
    assert_true(VirtualProtect(r + 2 * PG, PG, PAGE_READWRITE, &old));
    memcpy(r + 2 * PG, ret42, sizeof ret42);
    assert_true(VirtualProtect(r + 2 * PG, PG, PAGE_EXECUTE_READ, &old));
    assert_int_equal(old, PAGE_READWRITE);
    assert_int_equal(((int (*)(void))(void *)(r + 2 * PG))(), 42);
    assert_region(r + 2 * PG, r + 2 * PG, r, PG, MEM_COMMIT, PAGE_EXECUTE_READ, MEM_PRIVATE);
#endif
    finish();
}

/* ---- VirtualQuery ---- */
static void test_virtual_query(void **state)
{
    (void)state;
    start();
    MEMORY_BASIC_INFORMATION m;
    BYTE *r = VirtualAlloc(NULL, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    FAILS_WITH(VirtualQuery(r, &m, sizeof m - 1), ERROR_BAD_LENGTH);
    FAILS_WITH(VirtualQuery(r, NULL, sizeof m), ERROR_NOACCESS);
    FAILS_WITH(VirtualQuery((void *)(uintptr_t)0xffff800000000000ull, &m, sizeof m),
               ERROR_INVALID_PARAMETER);
    static int not_managed;
    m = query(&not_managed);
    assert_int_equal(m.State, MEM_FREE);
    assert_int_equal(m.Type, 0);
    assert_null(m.AllocationBase);
    /* the rest of a reservation after its committed page: reserved, to the 64 KiB end */
    m = query(r + PG);
    assert_int_equal(m.State, MEM_RESERVE);
    assert_ptr_equal(m.AllocationBase, r);
    assert_int_equal(m.RegionSize, 65536 - PG);
    finish();
}

/* ---- file mappings ---- */
static void test_create_file_mapping(void **state)
{
    (void)state;
    start();
    FAILS_WITH(CreateFileMapping(NULL, NULL, PAGE_READWRITE, 0, PG, NULL), ERROR_INVALID_HANDLE);
    FAILS_WITH(CreateFileMapping((HANDLE)(uintptr_t)64, NULL, PAGE_READWRITE, 0, PG, NULL),
               ERROR_INVALID_HANDLE); /* no file handle */
    FAILS_WITH(CreateFileMapping(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 0, NULL),
               ERROR_INVALID_PARAMETER);
    FAILS_WITH(CreateFileMapping(INVALID_HANDLE_VALUE, NULL, PAGE_NOACCESS, 0, PG, NULL),
               ERROR_INVALID_PARAMETER);
    FAILS_WITH(CreateFileMapping(INVALID_HANDLE_VALUE, NULL, PAGE_EXECUTE, 0, PG, NULL),
               ERROR_INVALID_PARAMETER);
    FAILS_WITH(CreateFileMapping(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE | SEC_COMMIT | SEC_RESERVE,
                                 0, PG, NULL), ERROR_INVALID_PARAMETER);
    FAILS_WITH(CreateFileMapping(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE | SEC_IMAGE, 0, PG, NULL),
               ERROR_INVALID_PARAMETER);
    FAILS_WITH(CreateFileMapping(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 64, 0, NULL),
               ERROR_COMMITMENT_LIMIT);

    /* a named one: a second create opens it (ERROR_ALREADY_EXISTS), whatever the size */
    SetLastError(77);
    HANDLE a = CreateFileMapping(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE | SEC_COMMIT, 0,
                                 3 * PG, "umm-test-section");
    assert_non_null(a);
    assert_int_equal(GetLastError(), ERROR_SUCCESS);
    HANDLE b = CreateFileMapping(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, PG, "umm-test-section");
    assert_non_null(b);
    assert_true(a != b);
    assert_int_equal(GetLastError(), ERROR_ALREADY_EXISTS);
    char *va = MapViewOfFile(a, FILE_MAP_WRITE, 0, 0, 0);
    char *vb = MapViewOfFile(b, FILE_MAP_READ, 0, 0, 3 * PG);
    assert_non_null(va);
    assert_non_null(vb);
    strcpy(va + 2 * PG, "one object");
    assert_string_equal(vb + 2 * PG, "one object");

    /* OpenFileMapping: by name, with access checked against the protection */
    FAILS_WITH(OpenFileMapping(FILE_MAP_READ, FALSE, "no-such-section"), ERROR_FILE_NOT_FOUND);
    FAILS_WITH(OpenFileMapping(FILE_MAP_READ, FALSE, NULL), ERROR_INVALID_PARAMETER);
    HANDLE ro = CreateFileMapping(INVALID_HANDLE_VALUE, NULL, PAGE_READONLY, 0, PG, "umm-ro");
    assert_non_null(ro);
    FAILS_WITH(OpenFileMapping(FILE_MAP_WRITE, FALSE, "umm-ro"), ERROR_ACCESS_DENIED);
    FAILS_WITH(OpenFileMapping(FILE_MAP_EXECUTE | FILE_MAP_READ, FALSE, "umm-ro"), ERROR_ACCESS_DENIED);
    HANDLE ro2 = OpenFileMapping(FILE_MAP_READ, FALSE, "umm-ro");
    assert_non_null(ro2);
    FAILS_WITH(MapViewOfFile(ro, FILE_MAP_WRITE, 0, 0, 0), ERROR_ACCESS_DENIED);
    const char *rv = MapViewOfFile(ro2, FILE_MAP_READ, 0, 0, 0);
    assert_non_null(rv);
    assert_int_equal(rv[0], 0);
    assert_true(UnmapViewOfFile(rv));

    /* the name goes with the last handle; the views keep the memory */
    assert_true(CloseHandle(a));
    assert_non_null(OpenFileMapping(FILE_MAP_READ, FALSE, "umm-test-section")); /* b still open */
    assert_true(CloseHandle(b));
    FAILS_WITH(CloseHandle(b), ERROR_INVALID_HANDLE);
    assert_string_equal(vb + 2 * PG, "one object");
    assert_true(UnmapViewOfFile(va));
    assert_true(UnmapViewOfFile(vb));
    FAILS_WITH(CloseHandle(NULL), ERROR_INVALID_HANDLE);
    FAILS_WITH(CloseHandle((HANDLE)(uintptr_t)3), ERROR_INVALID_HANDLE);
    finish();
}

/* SEC_RESERVE: the mapping's pages are reserved (nothing charged) until VirtualAlloc(MEM_COMMIT)
 * through a view commits them, for every view; VirtualFree on a view fails either way; a view
 * may not commit above its protection. */
static ULONGLONG avail_page_file(void)
{
    MEMORYSTATUSEX s;
    s.dwLength = sizeof s;
    assert_true(GlobalMemoryStatusEx(&s));
    return s.ullAvailPageFile;
}

static void test_sec_reserve(void **state)
{
    (void)state;
    start();
    probes_on();
    ULONGLONG a0 = avail_page_file();
    HANDLE h = CreateFileMapping(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE | SEC_RESERVE, 0, 16 * PG,
                                 "umm-reserve");
    assert_non_null(h);
    assert_int_equal(avail_page_file(), a0); /* reserved: not charged */
    BYTE *v = MapViewOfFile(h, FILE_MAP_WRITE, 0, 0, 0);
    HANDLE h2 = OpenFileMapping(FILE_MAP_READ, FALSE, "umm-reserve");
    assert_non_null(h2);
    const BYTE *r = MapViewOfFile(h2, FILE_MAP_READ, 0, 0, 0);
    assert_non_null(v);
    assert_non_null(r);
    MEMORY_BASIC_INFORMATION m = query(v);
    assert_int_equal(m.State, MEM_RESERVE);
    assert_int_equal(m.Protect, 0);
    assert_int_equal(m.Type, MEM_MAPPED);
    assert_int_equal(m.AllocationProtect, PAGE_READWRITE);
    assert_int_equal(m.RegionSize, 16 * PG);
    assert_int_equal(try_access(v, 0), UMM_EXC_ACCESS_VIOLATION);

    FAILS_WITH(VirtualAlloc((LPVOID)r, PG, MEM_COMMIT, PAGE_READWRITE), ERROR_INVALID_PARAMETER);
    assert_ptr_equal(VirtualAlloc(v + PG + 5, 2 * PG, MEM_COMMIT, PAGE_READWRITE), v + PG);
    assert_int_equal(avail_page_file(), a0 - 3 * PG); /* the three pages it touches, charged now */
    assert_region(v + PG, v + PG, v, 3 * PG, MEM_COMMIT, PAGE_READWRITE, MEM_MAPPED);
    assert_region(r + PG, r + PG, r, 3 * PG, MEM_COMMIT, PAGE_READONLY, MEM_MAPPED);
    assert_region(r + 4 * PG, r + 4 * PG, r, 12 * PG, MEM_RESERVE, 0, MEM_MAPPED);
    strcpy((char *)v + 2 * PG, "committed later");
    assert_string_equal((const char *)r + 2 * PG, "committed later");
    assert_int_equal(try_access((volatile BYTE *)r + 4 * PG, 0), UMM_EXC_ACCESS_VIOLATION);
    FAILS_WITH(VirtualFree(v + PG, PG, MEM_DECOMMIT), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualFree(v, 0, MEM_RELEASE), ERROR_INVALID_PARAMETER);

    assert_true(UnmapViewOfFile(v));
    assert_true(UnmapViewOfFile(r));
    assert_true(CloseHandle(h2));
    assert_true(CloseHandle(h));
    assert_int_equal(avail_page_file(), a0);
    finish();
}

static void test_map_view_of_file(void **state)
{
    (void)state;
    start();
    probes_on();
    HANDLE h = CreateFileMapping(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4 * PG, NULL);
    assert_non_null(h);
    FAILS_WITH(MapViewOfFile(NULL, FILE_MAP_READ, 0, 0, 0), ERROR_INVALID_HANDLE);
    FAILS_WITH(MapViewOfFile(h, 0, 0, 0, 0), ERROR_INVALID_PARAMETER);
    FAILS_WITH(MapViewOfFile(h, FILE_MAP_READ, 0, 4096, 0), ERROR_MAPPED_ALIGNMENT);
    FAILS_WITH(MapViewOfFile(h, FILE_MAP_READ, 0, 0, 5 * PG), ERROR_ACCESS_DENIED);
    FAILS_WITH(MapViewOfFile(h, FILE_MAP_READ | FILE_MAP_EXECUTE, 0, 0, 0), ERROR_ACCESS_DENIED);
    BYTE *w = MapViewOfFile(h, FILE_MAP_ALL_ACCESS, 0, 0, 0);
    BYTE *r = MapViewOfFile(h, FILE_MAP_READ, 0, 0, PG);
    assert_non_null(w);
    assert_non_null(r);
    assert_region(w, w, w, 4 * PG, MEM_COMMIT, PAGE_READWRITE, MEM_MAPPED);
    assert_region(r, r, r, PG, MEM_COMMIT, PAGE_READONLY, MEM_MAPPED); /* the size asked */
    assert_int_equal(query(r).AllocationProtect, PAGE_READONLY);
    w[PG] = 11;
    w[0] = 10;
    assert_int_equal(r[0], 10);
    assert_int_equal(try_access(r, 1), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(try_access(r + PG, 0), UMM_EXC_ACCESS_VIOLATION); /* past the view's size */

    /* FILE_MAP_COPY: reads share, the first write of a page copies it for this view alone */
    BYTE *c = MapViewOfFile(h, FILE_MAP_COPY, 0, 0, 0);
    assert_non_null(c);
    assert_region(c, c, c, 4 * PG, MEM_COMMIT, PAGE_WRITECOPY, MEM_MAPPED);
    assert_int_equal(query(c).AllocationProtect, PAGE_WRITECOPY);
    assert_int_equal(c[0], 10);
    c[0] = 20;
    assert_int_equal(w[0], 10);
    assert_int_equal(r[0], 10);
    assert_int_equal(c[0], 20);
    assert_int_equal(c[PG], 11); /* unwritten: still the mapping's page */
    assert_region(c, c, c, PG, MEM_COMMIT, PAGE_READWRITE, MEM_MAPPED);
    assert_region(c + PG, c + PG, c, 3 * PG, MEM_COMMIT, PAGE_WRITECOPY, MEM_MAPPED);
    assert_true(UnmapViewOfFile(c));
    FAILS_WITH(MapViewOfFile2(h, GetCurrentProcess(), 0, NULL, 0, 0, PAGE_EXECUTE_WRITECOPY),
               ERROR_ACCESS_DENIED); /* the mapping is not executable */

    /* a read-only view stays read-only: VirtualProtect and VirtualAlloc(MEM_COMMIT) refuse */
    DWORD old;
    FAILS_WITH(VirtualProtect(r, PG, PAGE_READWRITE, &old), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualAlloc(r, PG, MEM_COMMIT, PAGE_READWRITE), ERROR_INVALID_PARAMETER);
    assert_ptr_equal(VirtualAlloc(r, PG, MEM_COMMIT, PAGE_READONLY), r);
    assert_true(VirtualProtect(w, PG, PAGE_READONLY, &old));
    assert_int_equal(old, PAGE_READWRITE);
    assert_int_equal(try_access(w, 1), UMM_EXC_ACCESS_VIOLATION);
    /* VirtualProtect(PAGE_WRITECOPY) on a view: the pages become copy-on-write, charged now; the
     * first write copies, the mapping keeps its bytes */
    MEMORYSTATUSEX ms0 = {.dwLength = sizeof ms0}, ms1 = {.dwLength = sizeof ms1};
    assert_true(GlobalMemoryStatusEx(&ms0));
    assert_true(VirtualProtect(w + 2 * PG, 2 * PG, PAGE_WRITECOPY, &old));
    assert_int_equal(old, PAGE_READWRITE);
    assert_true(GlobalMemoryStatusEx(&ms1));
    assert_int_equal(ms0.ullAvailPageFile - ms1.ullAvailPageFile, 2 * PG); /* commit charged */
    assert_region(w + 2 * PG, w + 2 * PG, w, 2 * PG, MEM_COMMIT, PAGE_WRITECOPY, MEM_MAPPED);
    w[2 * PG] = 30;
    assert_int_equal(w[2 * PG], 30);
    assert_region(w + 2 * PG, w + 2 * PG, w, PG, MEM_COMMIT, PAGE_READWRITE, MEM_MAPPED);
    assert_region(w + 3 * PG, w + 3 * PG, w, PG, MEM_COMMIT, PAGE_WRITECOPY, MEM_MAPPED);
    BYTE *w2 = MapViewOfFile(h, FILE_MAP_READ, 0, 0, 0);
    assert_non_null(w2);
    assert_int_equal(w2[2 * PG], 0); /* the mapping's page did not see the write */
    assert_true(UnmapViewOfFile(w2));
    FAILS_WITH(VirtualProtect(w, PG, PAGE_EXECUTE_WRITECOPY, &old), ERROR_INVALID_PARAMETER);
    assert_true(VirtualProtect(r, PG, PAGE_WRITECOPY, &old)); /* a read-only view: allowed */
    assert_int_equal(old, PAGE_READONLY);
    r[1] = 5;
    assert_int_equal(r[0], 10);
    assert_int_equal(r[1], 5);
    assert_int_equal(w[1], 0);
    /* a view is not VirtualFree's */
    FAILS_WITH(VirtualFree(w, 0, MEM_RELEASE), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualFree(w, PG, MEM_DECOMMIT), ERROR_INVALID_PARAMETER);
    /* UnmapViewOfFile: the base only, once */
    FAILS_WITH(UnmapViewOfFile(w + PG), ERROR_INVALID_ADDRESS);
    FAILS_WITH(UnmapViewOfFile(NULL), ERROR_INVALID_ADDRESS);
    BYTE *priv = VirtualAlloc(NULL, PG, MEM_COMMIT, PAGE_READWRITE);
    FAILS_WITH(UnmapViewOfFile(priv), ERROR_INVALID_ADDRESS);
    assert_true(FlushViewOfFile(w + 10, 20));
    FAILS_WITH(FlushViewOfFile(priv, 0), ERROR_INVALID_ADDRESS);
    assert_true(UnmapViewOfFile(w));
    FAILS_WITH(UnmapViewOfFile(w), ERROR_INVALID_ADDRESS);
    assert_int_equal(query(w).State, MEM_FREE);
    assert_int_equal(r[0], 10);
    assert_true(UnmapViewOfFile(r));
    assert_true(CloseHandle(h));

    /* views of part of a mapping, at an offset and at a chosen address: a ring buffer's two
     * adjacent views of the same pages */
    HANDLE big = CreateFileMapping(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 4 * 65536, NULL);
    BYTE *whole = MapViewOfFile(big, FILE_MAP_WRITE, 0, 0, 0);
    assert_non_null(whole);
    for (int i = 0; i < 4; i++)
        whole[i * 65536] = (BYTE)(0x40 + i);
    BYTE *part = MapViewOfFile(big, FILE_MAP_READ, 0, 2 * 65536, 65536 + PG);
    assert_non_null(part);
    assert_int_equal(part[0], 0x42);
    assert_int_equal(part[65536], 0x43);
    assert_region(part, part, part, 65536 + PG, MEM_COMMIT, PAGE_READONLY, MEM_MAPPED);
    assert_int_equal(try_access(part + 65536 + PG, 0), UMM_EXC_ACCESS_VIOLATION);
    BYTE *ring = VirtualAlloc(NULL, 2 * 65536, MEM_RESERVE, PAGE_NOACCESS); /* find a hole */
    assert_true(VirtualFree(ring, 0, MEM_RELEASE));
    BYTE *r1 = MapViewOfFileEx(big, FILE_MAP_WRITE, 0, 65536, 65536, ring);
    BYTE *r2 = MapViewOfFileEx(big, FILE_MAP_WRITE, 0, 65536, 65536, ring + 65536);
    assert_ptr_equal(r1, ring);
    assert_ptr_equal(r2, ring + 65536);
    r1[65536 - 1] = 0x77; /* the last byte of the first copy is the last byte of the second */
    assert_int_equal(r2[65536 - 1], 0x77);
    assert_int_equal(whole[2 * 65536 - 1], 0x77);
    FAILS_WITH(MapViewOfFileEx(big, FILE_MAP_READ, 0, 0, 0, ring), ERROR_INVALID_ADDRESS); /* in use */
    FAILS_WITH(MapViewOfFileEx(big, FILE_MAP_READ, 0, 0, 0, ring + PG), ERROR_INVALID_ADDRESS);
    FAILS_WITH(MapViewOfFile(big, FILE_MAP_READ, 0, 4 * 65536, 0), ERROR_ACCESS_DENIED);
    FAILS_WITH(MapViewOfFile(big, FILE_MAP_READ, 0, 3 * 65536, 65536 + 1), ERROR_ACCESS_DENIED);
    assert_true(UnmapViewOfFile(r1));
    assert_true(UnmapViewOfFile(r2));
    assert_true(UnmapViewOfFile(part));
    assert_true(UnmapViewOfFile(whole));
    assert_true(CloseHandle(big));

    /* an executable section: code written through one view runs through another */
    HANDLE x = CreateFileMapping(INVALID_HANDLE_VALUE, NULL, PAGE_EXECUTE_READWRITE, 0, PG, NULL);
    BYTE *xw = MapViewOfFile(x, FILE_MAP_WRITE, 0, 0, 0);
    BYTE *xr = MapViewOfFile(x, FILE_MAP_READ | FILE_MAP_EXECUTE, 0, 0, 0);
    assert_non_null(xw);
    assert_non_null(xr);
    assert_int_equal(query(xr).Protect, PAGE_EXECUTE_READ);
#if defined(__x86_64__)
    static const BYTE ret42[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3};
    memcpy(xw, ret42, sizeof ret42);
    assert_int_equal(((int (*)(void))(void *)xr)(), 42);
#endif
    assert_true(UnmapViewOfFile(xw));
    assert_true(UnmapViewOfFile(xr));
    assert_true(CloseHandle(x));
    finish();
}

/* ---- a second process: views by name, MapViewOfFile2, Read/WriteProcessMemory ---- */
struct attach_arg {
    HANDLE proc;
    BYTE *view;
};

/* CreateFileMapping over a file: views read it, FlushViewOfFile writes it back, a read-only
 * file refuses PAGE_READWRITE and write views; an empty file maps nothing. */
static void test_file_mapping(void **state)
{
    (void)state;
    start();
    char path[] = "/tmp/umm-win-file-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    HANDLE hf = UmmWinFileHandle(fd);
    assert_non_null(hf);
    FAILS_WITH(CreateFileMapping(hf, NULL, PAGE_READONLY, 0, 0, NULL), ERROR_FILE_INVALID);
    char buf[3 * 4096];
    memset(buf, 'a', sizeof buf);
    assert_int_equal(pwrite(fd, buf, sizeof buf, 0), (ssize_t)sizeof buf);
    HANDLE m = CreateFileMapping(hf, NULL, PAGE_READWRITE, 0, 0, NULL);
    assert_non_null(m);
    char *v = MapViewOfFile(m, FILE_MAP_WRITE, 0, 0, 0);
    assert_non_null(v);
    assert_int_equal(v[5000], 'a');
    v[5000] = 'b';
    assert_true(FlushViewOfFile(v + 4096, 10));
    char c = 0;
    assert_int_equal(pread(fd, &c, 1, 5000), 1);
    assert_int_equal(c, 'b');
    assert_true(UnmapViewOfFile(v));
    assert_true(CloseHandle(m));
    assert_true(CloseHandle(hf));
    int ro = open(path, O_RDONLY);
    hf = UmmWinFileHandle(ro);
    FAILS_WITH(CreateFileMapping(hf, NULL, PAGE_READWRITE, 0, 0, NULL), ERROR_ACCESS_DENIED);
    FAILS_WITH(CreateFileMapping(hf, NULL, PAGE_READONLY, 0, 65536, NULL), ERROR_NOT_ENOUGH_MEMORY);
    m = CreateFileMapping(hf, NULL, PAGE_READONLY, 0, 0, NULL);
    assert_non_null(m);
    FAILS_WITH(MapViewOfFile(m, FILE_MAP_WRITE, 0, 0, 0), ERROR_ACCESS_DENIED);
    v = MapViewOfFile(m, FILE_MAP_READ, 0, 0, 0);
    assert_non_null(v);
    assert_int_equal(v[5000], 'b');
    assert_true(UnmapViewOfFile(v));
    assert_true(CloseHandle(m));
    assert_true(CloseHandle(hf));
    FAILS_WITH(UmmWinFileHandle(-1), ERROR_INVALID_HANDLE);
    close(ro);
    close(fd);
    unlink(path);
    finish();
}

static void *as_second_process(void *p)
{
    struct attach_arg *a = p;
    if (!UmmWinAttachThread(a->proc))
        return NULL;
    HANDLE h = OpenFileMapping(FILE_MAP_READ, FALSE, "umm-shared");
    if (h)
        a->view = MapViewOfFile(h, FILE_MAP_READ, 0, 0, 0); /* in the second process */
    if (h)
        CloseHandle(h);
    return NULL;
}

static void test_second_process(void **state)
{
    (void)state;
    start();
    HANDLE p2 = UmmWinCreateProcess();
    assert_non_null(p2);
    HANDLE h = CreateFileMapping(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 2 * PG, "umm-shared");
    BYTE *mine = MapViewOfFile(h, FILE_MAP_WRITE, 0, 0, 0);
    assert_non_null(mine);
    memcpy(mine + PG, "shared", 7);

    /* a thread acting as the second process opens the mapping by name */
    struct attach_arg arg = {p2, NULL};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, as_second_process, &arg), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_non_null(arg.view);
    MEMORY_BASIC_INFORMATION m;
    assert_int_equal(VirtualQueryEx(p2, arg.view, &m, sizeof m), sizeof m);
    assert_int_equal(m.Type, MEM_MAPPED);
    assert_int_equal(m.Protect, PAGE_READONLY);
    assert_int_equal(query(arg.view).State, MEM_FREE); /* not this process's */
    char buf[8];
    SIZE_T n = 0;
    assert_true(ReadProcessMemory(p2, arg.view + PG, buf, 7, &n));
    assert_int_equal(n, 7);
    assert_string_equal(buf, "shared");
    /* a read-only view refuses WriteProcessMemory */
    FAILS_WITH(WriteProcessMemory(p2, arg.view, "x", 1, &n), ERROR_PARTIAL_COPY);
    assert_int_equal(n, 0);
    assert_true(UnmapViewOfFile2(p2, arg.view, 0));
    FAILS_WITH(UnmapViewOfFile2(p2, arg.view, 0), ERROR_INVALID_ADDRESS);

    /* MapViewOfFile2 straight into the second process */
    BYTE *theirs = MapViewOfFile2(h, p2, 0, NULL, 0, 0, PAGE_READWRITE);
    assert_non_null(theirs);
    BYTE *copy = MapViewOfFile2(h, p2, 0, NULL, 0, 0, PAGE_WRITECOPY);
    assert_non_null(copy);
    assert_true(WriteProcessMemory(p2, copy, "mine", 5, &n)); /* a copy: not seen by `theirs` */
    assert_true(ReadProcessMemory(p2, theirs, buf, 5, &n));
    assert_string_not_equal(buf, "mine");
    assert_true(UnmapViewOfFile2(p2, copy, 0));
    FAILS_WITH(MapViewOfFile2(h, (HANDLE)(uintptr_t)8000, 0, NULL, 0, 0, PAGE_READONLY),
               ERROR_INVALID_HANDLE);
    assert_true(WriteProcessMemory(p2, theirs, "back", 5, &n));
    assert_string_equal((char *)mine, "back");

    /* private memory of the second process: allocated, written and read from here */
    BYTE *priv = VirtualAllocEx(p2, NULL, 64 * PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(priv);
    assert_int_equal(query(priv).State, MEM_FREE);
    static BYTE big[16 * 4096];
    memset(big, 0x42, sizeof big);
    assert_true(WriteProcessMemory(p2, priv + 100, big, sizeof big, &n));
    assert_int_equal(n, sizeof big);
    memset(big, 0, sizeof big);
    assert_true(ReadProcessMemory(p2, priv + 100, big, sizeof big, &n));
    assert_int_equal(big[0], 0x42);
    assert_int_equal(big[sizeof big - 1], 0x42);
    DWORD old;
    assert_true(VirtualProtectEx(p2, priv + 4 * PG, PG, PAGE_NOACCESS, &old));
    FAILS_WITH(ReadProcessMemory(p2, priv + 3 * PG, big, 2 * PG, &n), ERROR_PARTIAL_COPY);
    assert_int_equal(n, PG);
    FAILS_WITH(ReadProcessMemory(p2, mine, big, 1, &n), ERROR_PARTIAL_COPY); /* not p2's */
    FAILS_WITH(ReadProcessMemory(p2, priv, NULL, 1, &n), ERROR_INVALID_PARAMETER);
    FAILS_WITH(ReadProcessMemory((HANDLE)(uintptr_t)8000, priv, big, 1, &n), ERROR_INVALID_HANDLE);
    assert_true(VirtualFreeEx(p2, priv, 0, MEM_RELEASE));
    FAILS_WITH(VirtualFree(priv, 0, MEM_RELEASE), ERROR_INVALID_ADDRESS); /* not ours */

    assert_true(UnmapViewOfFile2(p2, theirs, 0));
    assert_true(UnmapViewOfFile(mine));
    assert_true(CloseHandle(h));
    assert_true(UmmWinDestroyProcess(p2));
    FAILS_WITH(UmmWinDestroyProcess(p2), ERROR_INVALID_HANDLE);
    finish();
}

/* ---- working set, process counters, memory status, notifications ---- */
static void test_working_set_and_counters(void **state)
{
    (void)state;
    start();
    HANDLE me = GetCurrentProcess();
    SIZE_T mn = 0, mx = 0;
    DWORD flags = 0;
    assert_true(GetProcessWorkingSetSizeEx(me, &mn, &mx, &flags));
    assert_int_equal(mn, 50 * PG); /* Windows' defaults: 50 and 345 pages */
    assert_int_equal(mx, 345 * PG);
    assert_int_equal(flags, QUOTA_LIMITS_HARDWS_MIN_DISABLE | QUOTA_LIMITS_HARDWS_MAX_DISABLE);
    FAILS_WITH(SetProcessWorkingSetSize(me, 100 * PG, 10 * PG), ERROR_INVALID_PARAMETER);
    FAILS_WITH(SetProcessWorkingSetSizeEx(me, PG, 100 * PG, QUOTA_LIMITS_HARDWS_MAX_ENABLE |
                                                                QUOTA_LIMITS_HARDWS_MAX_DISABLE),
               ERROR_INVALID_PARAMETER);
    FAILS_WITH(SetProcessWorkingSetSizeEx(me, PG, 100 * PG, 0x100), ERROR_INVALID_PARAMETER);
    FAILS_WITH(SetProcessWorkingSetSize((HANDLE)(uintptr_t)8000, PG, 2 * PG), ERROR_INVALID_HANDLE);
    FAILS_WITH(GetProcessWorkingSetSize(me, NULL, &mx), ERROR_NOACCESS);
    assert_true(SetProcessWorkingSetSizeEx(me, 20 * PG, 64 * PG, QUOTA_LIMITS_HARDWS_MAX_ENABLE));
    assert_true(GetProcessWorkingSetSizeEx(me, &mn, &mx, &flags));
    assert_int_equal(mn, 20 * PG);
    assert_int_equal(mx, 64 * PG);
    assert_true(flags & QUOTA_LIMITS_HARDWS_MAX_ENABLE);

    PROCESS_MEMORY_COUNTERS_EX c0, c1;
    FAILS_WITH(GetProcessMemoryInfo(me, (PPROCESS_MEMORY_COUNTERS)&c0, 8), ERROR_INVALID_PARAMETER);
    assert_true(GetProcessMemoryInfo(me, (PPROCESS_MEMORY_COUNTERS)&c0, sizeof c0));
    assert_int_equal(c0.cb, sizeof c0);
    BYTE *a = VirtualAlloc(NULL, 256 * PG, MEM_COMMIT, PAGE_READWRITE);
    for (SIZE_T i = 0; i < 256; i++)
        a[i * PG] = 1;
    assert_true(GetProcessMemoryInfo(me, (PPROCESS_MEMORY_COUNTERS)&c1, sizeof c1));
    assert_int_equal(c1.PagefileUsage - c0.PagefileUsage, 256 * PG);
    assert_int_equal(c1.PrivateUsage, c1.PagefileUsage);
    assert_true(c1.PageFaultCount > c0.PageFaultCount);
    assert_true(c1.WorkingSetSize <= 64 * PG); /* the hard maximum holds */
    assert_true(c1.PeakWorkingSetSize >= c1.WorkingSetSize);
    assert_true(SetProcessWorkingSetSize(me, (SIZE_T)-1, (SIZE_T)-1)); /* empty it */
    assert_true(GetProcessMemoryInfo(me, (PPROCESS_MEMORY_COUNTERS)&c1, sizeof(PROCESS_MEMORY_COUNTERS)));
    assert_int_equal(c1.WorkingSetSize, 0);
    assert_true(EmptyWorkingSet(me));
    for (SIZE_T i = 0; i < 256; i++)
        assert_int_equal(a[i * PG], 1);

    MEMORYSTATUSEX s0, s1;
    s0.dwLength = sizeof s0 - 1;
    FAILS_WITH(GlobalMemoryStatusEx(&s0), ERROR_INVALID_PARAMETER);
    s0.dwLength = s1.dwLength = sizeof s0;
    assert_true(GlobalMemoryStatusEx(&s0));
    assert_int_equal(s0.ullTotalPhys, 16 << 20);
    assert_true(s0.ullAvailPhys <= s0.ullTotalPhys && s0.dwMemoryLoad <= 100);
    assert_true(s0.ullTotalPageFile >= s0.ullTotalPhys);
    assert_true(s0.ullAvailPageFile <= s0.ullTotalPageFile);
    assert_non_null(VirtualAlloc(NULL, 100 * PG, MEM_COMMIT, PAGE_READWRITE));
    assert_true(GlobalMemoryStatusEx(&s1));
    assert_int_equal(s0.ullAvailPageFile - s1.ullAvailPageFile, 100 * PG);

    FAILS_WITH(CreateMemoryResourceNotification((MEMORY_RESOURCE_NOTIFICATION_TYPE)2),
               ERROR_INVALID_PARAMETER);
    HANDLE low = CreateMemoryResourceNotification(LowMemoryResourceNotification);
    HANDLE high = CreateMemoryResourceNotification(HighMemoryResourceNotification);
    BOOL st = 7;
    assert_true(QueryMemoryResourceNotification(low, &st));
    assert_int_equal(st, FALSE);
    FAILS_WITH(QueryMemoryResourceNotification(low, NULL), ERROR_INVALID_PARAMETER);
    FAILS_WITH(QueryMemoryResourceNotification(NULL, &st), ERROR_INVALID_HANDLE);
    assert_true(QueryMemoryResourceNotification(high, &st));
    assert_true(st == TRUE || st == FALSE);
    assert_true(CloseHandle(low));
    assert_true(CloseHandle(high));
    FAILS_WITH(QueryMemoryResourceNotification(low, &st), ERROR_INVALID_HANDLE);
    finish();
}

/* ---- VirtualLock / VirtualUnlock, QueryWorkingSetEx, PrefetchVirtualMemory ---- */
static PSAPI_WORKING_SET_EX_BLOCK ws_of(const void *addr)
{
    PSAPI_WORKING_SET_EX_INFORMATION w = {.VirtualAddress = (PVOID)(uintptr_t)addr};
    assert_true(QueryWorkingSetEx(GetCurrentProcess(), &w, sizeof w));
    return w.VirtualAttributes;
}

static void test_lock_query_prefetch(void **state)
{
    (void)state;
    start();
    BYTE *a = VirtualAlloc(NULL, 64 * PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    assert_non_null(a);
    assert_int_equal(ws_of(a).Valid, 0); /* never touched */
    assert_true(VirtualLock(a + 10, 3 * PG)); /* every page it touches: 4 */
    PSAPI_WORKING_SET_EX_BLOCK b = ws_of(a + 3 * PG);
    assert_int_equal(b.Valid, 1);
    assert_int_equal(b.Locked, 1);
    assert_int_equal(b.Win32Protection, PAGE_READWRITE);
    assert_int_equal(ws_of(a + 40 * PG).Valid, 0); /* outside the 16-page fault cluster */
    assert_true(EmptyWorkingSet(GetCurrentProcess()));
    assert_int_equal(ws_of(a).Valid, 1); /* locked pages stay */
    assert_true(VirtualUnlock(a, 4 * PG));
    FAILS_WITH(VirtualUnlock(a, PG), ERROR_NOT_LOCKED);
    assert_int_equal(ws_of(a).Locked, 0);
    DWORD old;
    assert_true(VirtualProtect(a + 8 * PG, PG, PAGE_NOACCESS, &old));
    FAILS_WITH(VirtualLock(a + 8 * PG, PG), ERROR_NOACCESS);
    FAILS_WITH(VirtualLock(a + 60 * PG, 8 * PG), ERROR_INVALID_ADDRESS); /* past the region */
    FAILS_WITH(VirtualLock(a + 9 * PG, 51 * PG), ERROR_WORKING_SET_QUOTA); /* minimum: 50 pages */
    BYTE *r = VirtualAlloc(NULL, PG, MEM_RESERVE, PAGE_READWRITE);
    FAILS_WITH(VirtualLock(r, PG), ERROR_INVALID_ADDRESS); /* reserved only */

    PSAPI_WORKING_SET_EX_INFORMATION w[2] = {{.VirtualAddress = a}, {.VirtualAddress = r}};
    FAILS_WITH(QueryWorkingSetEx(GetCurrentProcess(), w, sizeof w[0] - 1), ERROR_BAD_LENGTH);
    FAILS_WITH(QueryWorkingSetEx(GetCurrentProcess(), NULL, sizeof w), ERROR_NOACCESS);
    FAILS_WITH(QueryWorkingSetEx((HANDLE)(uintptr_t)8000, w, sizeof w), ERROR_INVALID_HANDLE);
    a[0] = 5;
    assert_true(QueryWorkingSetEx(GetCurrentProcess(), w, sizeof w));
    assert_int_equal(w[0].VirtualAttributes.Valid, 1);
    assert_int_equal(w[1].VirtualAttributes.Valid, 0);

    /* prefetch: paged-out pages come back without faults (a hint: TRUE, data intact) */
    for (SIZE_T i = 0; i < 8; i++)
        a[(16 + i) * PG] = (BYTE)(i + 1);
    assert_true(EmptyWorkingSet(GetCurrentProcess()));
    assert_int_equal(umm_flush_modified(UmmWinSystem()), UMM_OK);
    assert_int_equal(umm_standby_purge(UmmWinSystem(), 7, NULL), UMM_OK);
    umm_stats_t s0, s1;
    assert_int_equal(umm_stats_get(UmmWinSystem(), &s0), UMM_OK);
    WIN32_MEMORY_RANGE_ENTRY e = {a + 16 * PG, 8 * PG};
    FAILS_WITH(PrefetchVirtualMemory(GetCurrentProcess(), 1, &e, 1), ERROR_INVALID_PARAMETER);
    FAILS_WITH(PrefetchVirtualMemory(GetCurrentProcess(), 1, NULL, 0), ERROR_INVALID_PARAMETER);
    FAILS_WITH(PrefetchVirtualMemory(GetCurrentProcess(), 0, &e, 0), ERROR_INVALID_PARAMETER);
    assert_true(PrefetchVirtualMemory(GetCurrentProcess(), 1, &e, 0));
    for (int tries = 0; tries < 500; tries++) { /* the worker reads them */
        assert_int_equal(umm_stats_get(UmmWinSystem(), &s1), UMM_OK);
        if (s1.pages_input >= s0.pages_input + 8)
            break;
        usleep(2000);
    }
    assert_true(s1.pages_input >= s0.pages_input + 8);
    for (SIZE_T i = 0; i < 8; i++)
        assert_int_equal(a[(16 + i) * PG], i + 1);
    finish();
}

/* ---- GetWriteWatch / ResetWriteWatch, MEM_WRITE_WATCH ---- */
static void test_write_watch(void **state)
{
    (void)state;
    start();
    FAILS_WITH(VirtualAlloc(NULL, 16 * PG, MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE),
               ERROR_INVALID_PARAMETER); /* MEM_WRITE_WATCH needs MEM_RESERVE */
    BYTE *a = VirtualAlloc(NULL, 16 * PG, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
    assert_non_null(a);
    a[PG] = 1;
    a[5 * PG + 7] = 2;
    (void)*(volatile BYTE *)(a + 9 * PG); /* a read is no write */
    PVOID addrs[16];
    ULONG_PTR count = 16;
    DWORD gran = 0;
    assert_int_equal(GetWriteWatch(0, a, 16 * PG, addrs, &count, &gran), 0);
    assert_int_equal(count, 2);
    assert_ptr_equal(addrs[0], a + PG);
    assert_ptr_equal(addrs[1], a + 5 * PG);
    assert_int_equal(gran, PG);
    count = 1; /* room for one: the first, more may follow */
    assert_int_equal(GetWriteWatch(0, a, 16 * PG, addrs, &count, &gran), 0);
    assert_int_equal(count, 1);
    count = 16;
    assert_int_equal(GetWriteWatch(WRITE_WATCH_FLAG_RESET, a, 16 * PG, addrs, &count, NULL), 0);
    assert_int_equal(count, 2);
    count = 16;
    assert_int_equal(GetWriteWatch(0, a, 16 * PG, addrs, &count, NULL), 0);
    assert_int_equal(count, 0);
    a[3 * PG] = 3;
    assert_int_equal(ResetWriteWatch(a, 16 * PG), 0);
    count = 16;
    assert_int_equal(GetWriteWatch(0, a, 16 * PG, addrs, &count, NULL), 0);
    assert_int_equal(count, 0);
    assert_int_equal(a[3 * PG], 3); /* reset forgets the write, not the data */

    /* errors: every one ERROR_INVALID_PARAMETER, the call returning non-zero */
    BYTE *plain = VirtualAlloc(NULL, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    SetLastError(0);
    assert_int_not_equal(GetWriteWatch(0, plain, PG, addrs, &count, NULL), 0);
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(0);
    assert_int_not_equal(GetWriteWatch(2, a, PG, addrs, &count, NULL), 0);
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(0);
    assert_int_not_equal(GetWriteWatch(0, a, PG, addrs, NULL, NULL), 0);
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(0);
    assert_int_not_equal(ResetWriteWatch(plain, PG), 0);
    assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);

    /* MEM_WRITE_WATCH at an address */
    BYTE *at = a + 16 * PG + UMM_RESERVE_GRANULARITY * 16;
    at = (BYTE *)((uintptr_t)at & ~(uintptr_t)(UMM_RESERVE_GRANULARITY - 1));
    BYTE *b = VirtualAlloc(at, 4 * PG, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE);
    if (b) { /* the address may be taken by something else: then nothing to check here */
        b[2 * PG] = 1;
        count = 4;
        assert_int_equal(GetWriteWatch(0, b, 4 * PG, addrs, &count, NULL), 0);
        assert_int_equal(count, 1);
        assert_ptr_equal(addrs[0], b + 2 * PG);
    }
    finish();
}

/* ---- MEM_RESET / MEM_RESET_UNDO, Offer / Reclaim / DiscardVirtualMemory ---- */
static void test_reset_and_offer(void **state)
{
    (void)state;
    start();
    BYTE *a = VirtualAlloc(NULL, 16 * PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    for (SIZE_T i = 0; i < 16; i++)
        a[i * PG] = (BYTE)(i + 1);
    FAILS_WITH(VirtualAlloc(a, 8 * PG, MEM_RESET | MEM_COMMIT, PAGE_READWRITE), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualAlloc(a, 8 * PG, MEM_RESET | MEM_RESET_UNDO, PAGE_READWRITE), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualAlloc(NULL, 8 * PG, MEM_RESET, PAGE_READWRITE), ERROR_INVALID_PARAMETER);
    FAILS_WITH(VirtualAlloc(a, 8 * PG, MEM_RESET, 0x3), ERROR_INVALID_PARAMETER); /* two bases */
    assert_ptr_equal(VirtualAlloc(a + 5, 8 * PG, MEM_RESET, PAGE_NOACCESS), a);
    assert_ptr_equal(VirtualAlloc(a, 8 * PG, MEM_RESET_UNDO, PAGE_READWRITE), a); /* nothing lost yet */
    for (SIZE_T i = 0; i < 16; i++)
        assert_int_equal(a[i * PG], i + 1);
    assert_ptr_equal(VirtualAlloc(a, 8 * PG, MEM_RESET, PAGE_READWRITE), a);
    assert_int_equal(umm_standby_purge(UmmWinSystem(), 7, NULL), UMM_OK);
    FAILS_WITH(VirtualAlloc(a, 8 * PG, MEM_RESET_UNDO, PAGE_READWRITE), ERROR_BUSY);
    assert_int_equal(a[0], 0); /* the contents were discarded */

    assert_int_equal(OfferVirtualMemory(a + 8 * PG, 4 * PG, (OFFER_PRIORITY)0), ERROR_INVALID_PARAMETER);
    assert_int_equal(OfferVirtualMemory(a + 8 * PG, 4 * PG, (OFFER_PRIORITY)5), ERROR_INVALID_PARAMETER);
    assert_int_equal(OfferVirtualMemory(a + 8 * PG + 1, 4 * PG, VmOfferPriorityLow), ERROR_INVALID_PARAMETER);
    assert_int_equal(OfferVirtualMemory(a + 8 * PG, 4 * PG + 1, VmOfferPriorityLow), ERROR_INVALID_PARAMETER);
    assert_int_equal(OfferVirtualMemory(a + 8 * PG, 4 * PG, VmOfferPriorityLow), ERROR_SUCCESS);
    assert_int_equal(ReclaimVirtualMemory(a + 8 * PG, 4 * PG), ERROR_SUCCESS);
    assert_int_equal(a[8 * PG], 9);
    assert_int_equal(OfferVirtualMemory(a + 8 * PG, 4 * PG, VmOfferPriorityNormal), ERROR_SUCCESS);
    assert_int_equal(umm_standby_purge(UmmWinSystem(), 7, NULL), UMM_OK);
    assert_int_equal(ReclaimVirtualMemory(a + 8 * PG, 4 * PG), ERROR_BUSY);
    assert_int_equal(GetLastError(), ERROR_BUSY);
    assert_int_equal(a[8 * PG], 0);
    assert_int_equal(a[12 * PG], 13); /* outside the offer */
    assert_int_equal(DiscardVirtualMemory(a + 12 * PG, 4 * PG), ERROR_SUCCESS);
    assert_int_equal(a[12 * PG], 0);
    assert_int_equal(DiscardVirtualMemory(a + 12 * PG, 0), ERROR_INVALID_PARAMETER);
    HANDLE h = CreateFileMapping(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, PG, NULL);
    BYTE *v = MapViewOfFile(h, FILE_MAP_WRITE, 0, 0, 0);
    assert_int_equal(OfferVirtualMemory(v, PG, VmOfferPriorityLow), ERROR_INVALID_PARAMETER);
    assert_true(UnmapViewOfFile(v));
    assert_true(CloseHandle(h));
    finish();
}

/* ---- AddVectoredExceptionHandler / RemoveVectoredExceptionHandler ---- */
/* Written by the handlers in the middle of a load or store, which the compiler may move past a
 * plain read: volatile, and a signal fence after each faulting access (as tu_calls does). */
static volatile int veh_order[8], veh_calls;
static EXCEPTION_RECORD veh_last;
#define AFTER_FAULT() __atomic_signal_fence(__ATOMIC_SEQ_CST)

static LONG WINAPI veh_observe(PEXCEPTION_POINTERS ep)
{
    veh_order[veh_calls & 7] = 1;
    veh_calls = veh_calls + 1;
    veh_last = *ep->ExceptionRecord;
    return EXCEPTION_CONTINUE_SEARCH;
}

/* Commits the page that faulted (an API call, malloc and stdio inside the handler) and goes on. */
static LONG WINAPI veh_commit(PEXCEPTION_POINTERS ep)
{
    veh_order[veh_calls & 7] = 2;
    veh_calls = veh_calls + 1;
    if (ep->ExceptionRecord->ExceptionCode == EXCEPTION_GUARD_PAGE)
        return EXCEPTION_CONTINUE_EXECUTION; /* the guard is gone: the access goes through */
    if (ep->ExceptionRecord->ExceptionCode != EXCEPTION_ACCESS_VIOLATION)
        return EXCEPTION_CONTINUE_SEARCH;
    char *note = malloc(64);
    snprintf(note, 64, "commit %p", (void *)ep->ExceptionRecord->ExceptionInformation[1]);
    free(note);
    void *page = (void *)ep->ExceptionRecord->ExceptionInformation[1];
    return VirtualAlloc(page, 1, MEM_COMMIT, PAGE_READWRITE) ? EXCEPTION_CONTINUE_EXECUTION
                                                              : EXCEPTION_CONTINUE_SEARCH;
}

#if defined(__x86_64__)
/* Skips the faulting store and sets the register the next instruction adds to. */
static LONG WINAPI veh_skip(PEXCEPTION_POINTERS ep)
{
    ep->ContextRecord->Rip += SKIP_LEN;
    ep->ContextRecord->Rax = 100;
    return EXCEPTION_CONTINUE_EXECUTION;
}
#elif defined(__aarch64__)
static LONG WINAPI veh_skip(PEXCEPTION_POINTERS ep)
{
    ep->ContextRecord->Pc += SKIP_LEN;
    ep->ContextRecord->X[2] = 100;
    return EXCEPTION_CONTINUE_EXECUTION;
}
#endif

static void test_vectored_handlers(void **state)
{
    (void)state;
    start();
    veh_calls = 0;
    FAILS_WITH(AddVectoredExceptionHandler(0, NULL), ERROR_INVALID_PARAMETER);
    PVOID last = AddVectoredExceptionHandler(0, veh_commit);
    PVOID first = AddVectoredExceptionHandler(1, veh_observe);
    assert_non_null(last);
    assert_non_null(first);
    /* an access violation on a reserved page: the first handler observes, the last commits */
    BYTE *r = VirtualAlloc(NULL, 4 * PG, MEM_RESERVE, PAGE_READWRITE);
    r[PG + 3] = 7;
    AFTER_FAULT();
    assert_int_equal(r[PG + 3], 7);
    assert_int_equal(veh_calls, 2);
    assert_int_equal(veh_order[0], 1);
    assert_int_equal(veh_order[1], 2);
    assert_int_equal(veh_last.ExceptionCode, EXCEPTION_ACCESS_VIOLATION);
    assert_int_equal(veh_last.NumberParameters, 2);
    assert_int_equal(veh_last.ExceptionInformation[0], 1); /* a write */
    assert_ptr_equal((void *)veh_last.ExceptionInformation[1], r + PG + 3);
    assert_non_null(veh_last.ExceptionAddress);
    assert_int_equal(query(r + PG).State, MEM_COMMIT);
    /* a guard page: reported, then the access completes */
    BYTE *g = VirtualAlloc(NULL, PG, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD);
    veh_calls = 0;
    assert_int_equal(((volatile BYTE *)g)[10], 0);
    AFTER_FAULT();
    assert_int_equal(veh_calls, 2);
    assert_int_equal(veh_last.ExceptionCode, EXCEPTION_GUARD_PAGE);
    assert_int_equal(veh_last.ExceptionInformation[0], 0); /* a read */
    assert_int_equal(query(g).Protect, PAGE_READWRITE);

    assert_true(RemoveVectoredExceptionHandler(first));
    assert_false(RemoveVectoredExceptionHandler(first)); /* removed already */
    assert_true(RemoveVectoredExceptionHandler(last));
#ifdef SKIP_LEN
    /* a handler that changes the context: skip the store, set the register it feeds */
    PVOID skip = AddVectoredExceptionHandler(1, veh_skip);
    assert_int_equal(store_then_add(r + 3 * PG), 101);
    assert_int_equal(query(r + 3 * PG).State, MEM_RESERVE); /* nothing was stored */
    assert_true(RemoveVectoredExceptionHandler(skip));
#endif
    finish();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_last_error_per_thread),
        cmocka_unit_test(test_get_system_info),
        cmocka_unit_test(test_virtual_alloc_reserve_and_commit),
        cmocka_unit_test(test_virtual_alloc_every_protection),
        cmocka_unit_test(test_virtual_free),
        cmocka_unit_test(test_virtual_protect),
        cmocka_unit_test(test_virtual_query),
        cmocka_unit_test(test_create_file_mapping),
        cmocka_unit_test(test_file_mapping),
        cmocka_unit_test(test_sec_reserve),
        cmocka_unit_test(test_map_view_of_file),
        cmocka_unit_test(test_second_process),
        cmocka_unit_test(test_working_set_and_counters),
        cmocka_unit_test(test_lock_query_prefetch),
        cmocka_unit_test(test_write_watch),
        cmocka_unit_test(test_reset_and_offer),
        cmocka_unit_test(test_vectored_handlers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
