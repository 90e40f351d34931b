/* SPDX-License-Identifier: MIT */
/* test_vm_win.c - the calls and semantics issue 18 adds for Windows programs, through umm.h:
 * execute protections (PROT_EXEC on the mapping, DEP faults), cache attributes reported back,
 * reserving at an address, the region type, copies between processes (ReadProcessMemory-style)
 * that fault pages in on both sides. */
#include "test_util.h"

#define PG ((size_t)4096)
#define RW TU_RW

static umm_config_t cfg_pf(size_t ram, size_t pagefile)
{
    umm_config_t c = tu_config(ram, 16);
    c.pagefile_bytes = pagefile;
    c.flags = UMM_CFG_NO_WORKERS;
    return c;
}

/* A system with 4 MiB of RAM, a 16 MiB paging file, no workers, two processes, the probe handler. */
static void two_processes_with_pagefile(umm_system_t **sys, umm_process_t **p1, umm_process_t **p2)
{
    umm_config_t c = cfg_pf(4 * TU_MIB, 16 * TU_MIB);
    tu_sys_new_cfg(&c, sys, p1);
    assert_int_equal(umm_process_create(*sys, p2), UMM_OK);
    tu_exc_install(*sys);
}

#if defined(__x86_64__)
/* mov eax, 42; ret */
static const unsigned char ret42[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3};
#define HAVE_CODE 1
#elif defined(__aarch64__)
/* mov w0, #42; ret */
static const unsigned char ret42[] = {0x40, 0x05, 0x80, 0x52, 0xc0, 0x03, 0x5f, 0xd6};
#define HAVE_CODE 1
#endif

#ifdef HAVE_CODE
/* Call the code at addr; 0 when it returned 42, else the umm exception that stopped it. */
static int try_call(void *addr)
{
    int (*volatile fn)(void) = (int (*)(void))addr;
    if (sigsetjmp(tu_exc.env, 1) != 0)
        return (int)tu_exc.last.code;
    tu_exc.armed = 1;
    int v = fn();
    tu_exc.armed = 0;
    return v == 42 ? 0 : -1;
}

static void put_code(void *page)
{
    memcpy(page, ret42, sizeof ret42);
    __builtin___clear_cache((char *)page, (char *)page + sizeof ret42);
}
#endif

/* Execute protections are real: code runs from READ|EXEC pages (as mapped, after trimming, and
 * after a protection change), and an instruction fetch from a page without EXEC is an access
 * violation whose is_write is UMM_EXC_EXECUTE (DEP). A read of an EXEC-only page is one too. */
static void test_execute_protection(void **state)
{
    (void)state;
#ifndef HAVE_CODE
    skip();
#else
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(8 * TU_MIB, 16, &sys, &proc);
    tu_exc_install(sys);
    char *r = tu_reserve(proc, TU_GRAN, RW);
    assert_int_equal(umm_commit(proc, r, 4 * PG, RW), UMM_OK);
    put_code(r);
    put_code(r + PG);

    /* data page: fetch refused, and the exception says it was a fetch */
    assert_int_equal(try_call(r), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(tu_exc.last.is_write, UMM_EXC_EXECUTE);
    assert_ptr_equal(tu_exc.last.address, r);

    int old = -1;
    assert_int_equal(umm_protect(proc, r, 2 * PG, UMM_PROT_READ | UMM_PROT_EXEC, &old), UMM_OK);
    assert_int_equal(old, RW);
    assert_int_equal(try_call(r), 0);
    umm_region_info_t q;
    assert_int_equal(umm_query(proc, r, &q), UMM_OK);
    assert_int_equal(q.prot, UMM_PROT_READ | UMM_PROT_EXEC);
    assert_int_equal(q.size, 2 * PG);

    /* trimmed: the fetch itself is the fault that brings the page back, executable */
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(try_call(r + PG), 0);
    assert_int_equal(try_call(r), 0);

    /* write to a READ|EXEC page: an ordinary write violation */
    assert_int_equal(tu_try_write(r + 100, 1), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(tu_exc.last.is_write, 1);

    /* back to read-only: DEP again */
    assert_int_equal(umm_protect(proc, r, PG, UMM_PROT_READ, NULL), UMM_OK);
    assert_int_equal(try_call(r), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(tu_exc.last.is_write, UMM_EXC_EXECUTE);

    /* READ|WRITE|EXEC committed at once (PAGE_EXECUTE_READWRITE): write code, run it */
    assert_int_equal(umm_commit(proc, r + 2 * PG, PG, RW | UMM_PROT_EXEC), UMM_OK);
    put_code(r + 2 * PG);
    assert_int_equal(try_call(r + 2 * PG), 0);

    /* EXEC alone (PAGE_EXECUTE): a data read is an access violation */
    assert_int_equal(umm_commit(proc, r + 3 * PG, PG, UMM_PROT_EXEC), UMM_OK);
    unsigned char v;
    assert_int_equal(tu_try_read(r + 3 * PG, &v), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(tu_exc.last.is_write, 0);

    tu_assert_consistent(sys);
    umm_system_destroy(sys);
#endif
}

/* A view mapped with EXEC runs code written through a writable view; a view without it may not
 * be raised to EXEC (Windows: FILE_MAP_EXECUTE is needed). */
static void test_execute_view(void **state)
{
    (void)state;
#ifndef HAVE_CODE
    skip();
#else
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(8 * TU_MIB, 16, &sys, &proc);
    tu_exc_install(sys);
    umm_section_t *sec;
    assert_int_equal(umm_section_create(sys, PG, &sec), UMM_OK);
    void *w, *x, *ro;
    assert_int_equal(umm_section_map(proc, sec, RW, &w), UMM_OK);
    assert_int_equal(umm_section_map(proc, sec, UMM_PROT_READ | UMM_PROT_EXEC, &x), UMM_OK);
    assert_int_equal(umm_section_map(proc, sec, UMM_PROT_READ, &ro), UMM_OK);
    assert_int_equal(umm_section_map(proc, sec, UMM_PROT_EXEC, &ro), UMM_E_INVAL);
    put_code(w);
    assert_int_equal(try_call(x), 0);
    assert_int_equal(try_call(ro), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(tu_exc.last.is_write, UMM_EXC_EXECUTE);
    assert_int_equal(umm_protect(proc, ro, PG, UMM_PROT_READ | UMM_PROT_EXEC, NULL), UMM_E_INVAL);
    assert_int_equal(umm_commit(proc, ro, PG, UMM_PROT_READ | UMM_PROT_EXEC), UMM_E_INVAL);
    umm_region_info_t q;
    assert_int_equal(umm_query(proc, x, &q), UMM_OK);
    assert_int_equal(q.type, UMM_REGION_TYPE_MAPPED);
    assert_int_equal(q.prot, UMM_PROT_READ | UMM_PROT_EXEC);
    assert_int_equal(umm_release(proc, w), UMM_OK);
    assert_int_equal(umm_release(proc, x), UMM_OK);
    assert_int_equal(umm_release(proc, ro), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
#endif
}

/* PAGE_NOCACHE / PAGE_WRITECOMBINE: accepted with an access protection, reported back by query
 * (a separate run), refused in the combinations Windows refuses; memory works as usual. */
static void test_cache_attributes(void **state)
{
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(8 * TU_MIB, 16, &sys, &proc);
    tu_exc_install(sys);
    char *r = tu_reserve(proc, TU_GRAN, RW);
    assert_int_equal(umm_commit(proc, r, 2 * PG, RW | UMM_PROT_NOCACHE), UMM_OK);
    assert_int_equal(umm_commit(proc, r + 2 * PG, PG, RW | UMM_PROT_WRITECOMBINE), UMM_OK);
    assert_int_equal(umm_commit(proc, r + 3 * PG, PG, RW), UMM_OK);
    r[0] = 5;
    r[2 * PG] = 6;
    assert_int_equal(r[0] + r[2 * PG], 11);
    umm_region_info_t q;
    assert_int_equal(umm_query(proc, r, &q), UMM_OK);
    assert_int_equal(q.prot, RW | UMM_PROT_NOCACHE);
    assert_int_equal(q.size, 2 * PG);
    assert_int_equal(umm_query(proc, r + 2 * PG, &q), UMM_OK);
    assert_int_equal(q.prot, RW | UMM_PROT_WRITECOMBINE);
    assert_int_equal(q.size, PG);
    int old = 0;
    assert_int_equal(umm_protect(proc, r, PG, UMM_PROT_READ, &old), UMM_OK);
    assert_int_equal(old, RW | UMM_PROT_NOCACHE);
    assert_int_equal(umm_protect(proc, r, PG, RW | UMM_PROT_NOCACHE | UMM_PROT_WRITECOMBINE, NULL),
                     UMM_E_INVAL);
    assert_int_equal(umm_protect(proc, r, PG, RW | UMM_PROT_NOCACHE | UMM_PROT_GUARD, NULL),
                     UMM_E_INVAL);
    assert_int_equal(umm_protect(proc, r, PG, UMM_PROT_NOCACHE, NULL), UMM_E_INVAL);
    assert_int_equal(umm_commit(proc, r + 4 * PG, PG, UMM_PROT_WRITECOMBINE), UMM_E_INVAL);
    assert_int_equal(umm_commit(proc, r, PG, 0x40), UMM_E_INVAL);
    assert_int_equal(r[0], 5); /* nothing refused changed anything */
    assert_int_equal(umm_query(proc, r, &q), UMM_OK);
    assert_int_equal(q.prot, UMM_PROT_READ);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* umm_reserve_at: exactly the address asked for; UMM_E_BUSY over a reservation or unmanaged
 * memory; UMM_E_ALIGN off the 64 KiB grid; the region type of private memory. */
static void test_reserve_at(void **state)
{
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new(8 * TU_MIB, 16, &sys, &proc);
    void *a = NULL, *b = NULL, *low = NULL, *td = NULL;
    assert_int_equal(umm_reserve(proc, 8 * TU_GRAN, RW, &low), UMM_OK);
    assert_int_equal(umm_reserve_at(proc, NULL, 4 * TU_GRAN, RW, UMM_RESERVE_TOP_DOWN, &a), UMM_OK);
    assert_int_equal((uintptr_t)a % TU_GRAN, 0);
    assert_true((uintptr_t)low + 8 * TU_GRAN <= (uintptr_t)a); /* top-down: above the others */
    assert_int_equal(umm_reserve_ex(proc, TU_GRAN, 4 * TU_GRAN, RW, UMM_RESERVE_TOP_DOWN, &td), UMM_OK);
    assert_int_equal((uintptr_t)td % (4 * TU_GRAN), 0);
    assert_true((uintptr_t)low + 8 * TU_GRAN <= (uintptr_t)td && (uintptr_t)td < (uintptr_t)a);
    assert_int_equal(umm_release(proc, td), UMM_OK);
    assert_int_equal(umm_release(proc, low), UMM_OK);
    assert_int_equal(umm_release(proc, a), UMM_OK);
    assert_int_equal(umm_reserve_at(proc, a, 2 * TU_GRAN, RW, 0, &b), UMM_OK);
    assert_ptr_equal(a, b);
    umm_region_info_t q;
    assert_int_equal(umm_query(proc, b, &q), UMM_OK);
    assert_int_equal(q.type, UMM_REGION_TYPE_PRIVATE);
    assert_int_equal(q.state, UMM_REGION_RESERVED);
    assert_int_equal(q.allocation_size, 2 * TU_GRAN);
    void *c = NULL;
    assert_int_equal(umm_reserve_at(proc, (char *)a + TU_GRAN, TU_GRAN, RW, 0, &c), UMM_E_BUSY);
    assert_int_equal(umm_reserve_at(proc, (char *)a + 2 * TU_GRAN, TU_GRAN, RW, 0, &c), UMM_OK);
    assert_ptr_equal(c, (char *)a + 2 * TU_GRAN);
    assert_int_equal(umm_reserve_at(proc, (char *)a + 4096, TU_GRAN, RW, 0, &c), UMM_E_ALIGN);
    assert_int_equal(umm_reserve_at(proc, a, TU_GRAN, RW, 0x80, &c), UMM_E_INVAL);
    assert_int_equal(umm_reserve_at(proc, a, 0, RW, 0, &c), UMM_E_RANGE);
    void *unmanaged = mmap(NULL, 2 * TU_GRAN, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(unmanaged != MAP_FAILED);
    void *ua = (void *)(((uintptr_t)unmanaged + TU_GRAN - 1) & ~(uintptr_t)(TU_GRAN - 1));
    assert_int_equal(umm_reserve_at(proc, ua, PG, RW, 0, &c), UMM_E_BUSY);
    munmap(unmanaged, 2 * TU_GRAN);
    assert_int_equal(umm_query(proc, ua, &q), UMM_E_NOT_RESERVED);
    assert_int_equal(q.type, UMM_REGION_TYPE_NONE);
    assert_int_equal(umm_commit(proc, b, PG, RW), UMM_OK);
    ((char *)b)[0] = 1;
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* umm_process_read/write between two processes: pages untouched (demand-zero), trimmed (soft),
 * paged out (hard) and a section's view are copied without a signal and never EFAULT; the buffer
 * may itself be managed memory that is not resident; refusals stop at the first bad page and say
 * how much was copied; a guard page stays armed. */
static void test_process_copy(void **state)
{
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1, *p2;
    two_processes_with_pagefile(&sys, &p1, &p2);
    size_t n = 64;
    unsigned char *src = tu_alloc(p1, n * PG);
    unsigned char *dst = tu_alloc(p2, n * PG);
    for (size_t i = 0; i < n / 2; i++)
        memset(src + i * PG, (int)(i + 1), PG);
    /* pages 0..15 paged out, 16..31 trimmed (standby), 32..63 never touched */
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    for (size_t i = 16; i < 32; i++)
        assert_int_equal(src[i * PG], i + 1);
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    umm_stats_t b = tu_stats(sys);
    unsigned char *buf = malloc(n * PG);
    assert_non_null(buf);
    size_t done = 1;
    assert_int_equal(umm_process_read(p1, src + 10, buf, n * PG - 20, &done), UMM_OK);
    assert_int_equal(done, n * PG - 20);
    for (size_t k = 0; k < n * PG - 20; k++) {
        size_t i = (k + 10) / PG;
        assert_int_equal(buf[k], i < n / 2 ? i + 1 : 0);
    }
    umm_stats_t a = tu_stats(sys);
    assert_true(a.faults_hard > b.faults_hard);
    assert_true(a.faults_transition > b.faults_transition);
    assert_true(a.faults_demand_zero > b.faults_demand_zero);

    /* write into p2's untouched pages from a managed, non-resident buffer of p1 */
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(umm_process_write(p2, dst + 3, src + PG, 2 * PG, &done), UMM_OK);
    assert_int_equal(done, 2 * PG);
    assert_int_equal(dst[3], 2);
    assert_int_equal(dst[3 + PG], 3);
    assert_int_equal(dst[2 * PG + 2], 3);
    assert_int_equal(dst[2 * PG + 3], 0);
    /* the written pages are dirty: they survive a trip through the paging file */
    assert_int_equal(umm_ws_empty(p2), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    assert_int_equal(dst[3 + PG], 3);
    assert_int_equal(dst[2 * PG + 2], 3);

    /* refusals */
    assert_int_equal(umm_protect(p1, src + 4 * PG, PG, UMM_PROT_NONE, NULL), UMM_OK);
    assert_int_equal(umm_process_read(p1, src + 3 * PG + 100, buf, 2 * PG, &done), UMM_E_ACCESS);
    assert_int_equal(done, PG - 100);
    assert_int_equal(umm_protect(p1, src + 5 * PG, PG, UMM_PROT_READ, NULL), UMM_OK);
    assert_int_equal(umm_process_read(p1, src + 5 * PG, buf, PG, &done), UMM_OK);
    assert_int_equal(umm_process_write(p1, src + 5 * PG, buf, 1, &done), UMM_E_ACCESS);
    assert_int_equal(done, 0);
    assert_int_equal(umm_protect(p1, src + 6 * PG, PG, RW | UMM_PROT_GUARD, NULL), UMM_OK);
    assert_int_equal(umm_process_read(p1, src + 6 * PG, buf, 1, &done), UMM_E_ACCESS);
    assert_int_equal(tu_try_read(src + 6 * PG, buf), UMM_EXC_GUARD_PAGE); /* still armed */
    assert_int_equal(umm_decommit(p1, src + 8 * PG, PG), UMM_OK);
    assert_int_equal(umm_process_write(p1, src + 7 * PG, buf, 2 * PG, &done), UMM_E_NOT_COMMITTED);
    assert_int_equal(done, PG);
    assert_int_equal(umm_process_read(p2, src, buf, 1, &done), UMM_E_NOT_RESERVED);
    assert_int_equal(umm_process_read(p1, src, NULL, 1, &done), UMM_E_INVAL);
    assert_int_equal(umm_process_read(NULL, src, buf, 1, &done), UMM_E_INVAL);
    assert_int_equal(umm_process_read(p1, (void *)(UINTPTR_MAX - 8), buf, 64, &done), UMM_E_RANGE);
    assert_int_equal(umm_process_read(p1, src, buf, 0, &done), UMM_OK);
    assert_int_equal(done, 0);

    /* a section's view, read from the other process's side */
    umm_section_t *sec;
    assert_int_equal(umm_section_create(sys, 2 * PG, &sec), UMM_OK);
    void *v1, *v2;
    assert_int_equal(umm_section_map(p1, sec, RW, &v1), UMM_OK);
    assert_int_equal(umm_section_map(p2, sec, UMM_PROT_READ, &v2), UMM_OK);
    assert_int_equal(umm_process_write(p1, (char *)v1 + PG, "hello", 6, &done), UMM_OK);
    assert_string_equal((char *)v2 + PG, "hello");
    assert_int_equal(umm_process_read(p2, (char *)v2 + PG, buf, 6, &done), UMM_OK);
    assert_string_equal((char *)buf, "hello");
    assert_int_equal(umm_release(p1, v1), UMM_OK);
    assert_int_equal(umm_release(p2, v2), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    free(buf);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* umm_section_map_view: views of part of a section, at an offset, of a size, at an address. Two
 * views at different offsets share the frames of the pages both map; a view's pages past its
 * size are its uncommitted tail; data survives trimming and the paging file through them; the
 * errors for a bad offset, size or address. */
static void test_section_partial_views(void **state)
{
    (void)state;
    umm_system_t *sys;
    umm_process_t *p1, *p2;
    two_processes_with_pagefile(&sys, &p1, &p2);
    size_t g = TU_GRAN, npages = 4 * g / PG;
    umm_section_t *sec;
    assert_int_equal(umm_section_create(sys, 4 * g, &sec), UMM_OK);
    unsigned char *whole, *mid, *tail;
    assert_int_equal(umm_section_map_view(p1, sec, 0, 0, NULL, RW, (void **)&whole), UMM_OK);
    for (size_t i = 0; i < npages; i++)
        whole[i * PG] = (unsigned char)(i + 1);
    /* pages 16..31 of the section, in another process */
    assert_int_equal(umm_section_map_view(p2, sec, g, g, NULL, UMM_PROT_READ, (void **)&mid), UMM_OK);
    for (size_t i = 0; i < g / PG; i++)
        assert_int_equal(mid[i * PG], g / PG + i + 1);
    /* the last 2 pages, at a chosen address */
    void *hole;
    assert_int_equal(umm_reserve(p1, g, RW, &hole), UMM_OK);
    assert_int_equal(umm_release(p1, hole), UMM_OK);
    assert_int_equal(umm_section_map_view(p1, sec, 3 * g, 0, hole, RW, (void **)&tail), UMM_OK);
    assert_ptr_equal(tail, hole);
    assert_int_equal(tail[0], 3 * g / PG + 1);
    tail[PG + 5] = 0xee;
    assert_int_equal(whole[3 * g + PG + 5], 0xee);
    umm_region_info_t q;
    assert_int_equal(umm_query(p2, mid, &q), UMM_OK);
    assert_int_equal(q.type, UMM_REGION_TYPE_MAPPED);
    assert_int_equal(q.size, g);
    assert_int_equal(q.state, UMM_REGION_COMMITTED);
    /* a view of 1 page + 1 byte: 2 pages, the rest of its 64 KiB uncommitted */
    unsigned char *small;
    assert_int_equal(umm_section_map_view(p1, sec, 2 * g, PG + 1, NULL, UMM_PROT_READ,
                                          (void **)&small), UMM_OK);
    assert_int_equal(small[PG], 2 * g / PG + 2);
    assert_int_equal(umm_query(p1, small + 2 * PG, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_RESERVED);
    unsigned char v;
    assert_int_equal(tu_try_read(small + 2 * PG, &v), UMM_EXC_ACCESS_VIOLATION);
    assert_int_equal(umm_commit(p1, small + 2 * PG, PG, UMM_PROT_READ), UMM_E_ACCESS);
    assert_int_equal(umm_check(sys), UMM_OK); /* a frame in two views counts twice in working_set */

    /* through the paging file and back, read through the partial views */
    assert_int_equal(umm_ws_empty(p1), UMM_OK);
    assert_int_equal(umm_ws_empty(p2), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    assert_int_equal(mid[5 * PG], g / PG + 6);
    assert_int_equal(tail[PG + 5], 0xee);
    assert_int_equal(small[0], 2 * g / PG + 1);
    for (size_t i = 0; i < npages; i++)
        assert_int_equal(whole[i * PG], i + 1);
    assert_int_equal(umm_check(sys), UMM_OK);

    /* errors */
    void *o;
    assert_int_equal(umm_section_map_view(p1, sec, PG, 0, NULL, RW, &o), UMM_E_ALIGN);
    assert_int_equal(umm_section_map_view(p1, sec, 0, 0, (char *)hole + PG, RW, &o), UMM_E_ALIGN);
    assert_int_equal(umm_section_map_view(p1, sec, 4 * g, 0, NULL, RW, &o), UMM_E_RANGE);
    assert_int_equal(umm_section_map_view(p1, sec, 3 * g, g + 1, NULL, RW, &o), UMM_E_RANGE);
    assert_int_equal(umm_section_map_view(p1, sec, 0, 0, hole, RW, &o), UMM_E_BUSY);
    assert_int_equal(umm_section_map_view(p1, sec, 0, 0, NULL, UMM_PROT_WRITE, &o), UMM_E_INVAL);
    assert_int_equal(umm_section_map_view(p1, sec, 0, 0, NULL, RW, NULL), UMM_E_INVAL);

    assert_int_equal(umm_release(p1, whole), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(mid[0], g / PG + 1); /* the other views keep the section */
    assert_int_equal(umm_release(p2, mid), UMM_OK);
    assert_int_equal(umm_release(p1, small), UMM_OK);
    assert_int_equal(umm_check(sys), UMM_OK);
    assert_int_equal(umm_release(p1, tail), UMM_OK);
    assert_int_equal(umm_check(sys), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, 0);
    umm_system_destroy(sys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_execute_protection), cmocka_unit_test(test_execute_view),
        cmocka_unit_test(test_cache_attributes),   cmocka_unit_test(test_reserve_at),
        cmocka_unit_test(test_process_copy),       cmocka_unit_test(test_section_partial_views),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
