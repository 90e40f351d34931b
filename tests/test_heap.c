/* SPDX-License-Identifier: MIT */
/* test_heap.c - umm_heap: a jemalloc arena on umm memory (include/umm_heap.h, docs/heap.md).
 *
 * jemalloc is dlopen'ed with RTLD_LOCAL; its initial-exec TLS only fits in glibc's static TLS when
 * the process starts with GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096. main() therefore
 * probes umm_heap_init() and, if loading failed and the tunable is not set yet, re-executes the
 * test with it added. If jemalloc still cannot be loaded, every test is reported SKIPPED with the
 * reason (never silently passed). Every system is created inside the test body. */
#include "paging_util.h"
#include "umm_heap.h"

#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#define PG ((size_t)4096)

static const char *skip_reason; /* set in main when jemalloc cannot be loaded */

#define HEAP_REQUIRED()                                                                          \
    do {                                                                                         \
        if (skip_reason) {                                                                       \
            print_message("skipped: %s\n", skip_reason);                                         \
            skip();                                                                              \
        }                                                                                        \
    } while (0)

/* ---- helpers ---------------------------------------------------------------------------- */

/* The system and process of a heap test (skipped where the heap cannot load): RAM and paging
 * file bytes, umm_config_t flags. */
static void heap_system(size_t ram, size_t pagefile, unsigned flags, umm_system_t **sys,
                        umm_process_t **proc)
{
    HEAP_REQUIRED();
    umm_config_t c = pu_config(ram, pagefile, 0, flags);
    tu_sys_new_cfg(&c, sys, proc);
}

static umm_heap_t *heap_new(umm_process_t *proc)
{
    umm_heap_t *h = NULL;
    int rc = umm_heap_create(proc, &h);
    if (rc != UMM_OK)
        fail_msg("umm_heap_create: %s (%s)", umm_strerror(rc),
                 umm_heap_load_error() ? umm_heap_load_error() : "-");
    assert_non_null(h);
    return h;
}

static umm_heap_stats_t hstats(umm_heap_t *h)
{
    umm_heap_stats_t s;
    memset(&s, 0xA5, sizeof s);
    assert_int_equal(umm_heap_stats(h, &s), UMM_OK);
    return s;
}

/* Bytes keyed by their address and a generation: whole words, then the tail bytes. */
static void obj_fill(void *p, size_t size, uint64_t gen)
{
    size_t words = size / 8;
    tu_fill(p, words * 8, gen);
    unsigned char *c = (unsigned char *)p;
    for (size_t i = words * 8; i < size; i++)
        c[i] = (unsigned char)(pu_word_value(&c[i], gen) >> 8);
}

static int obj_ok(const void *p, size_t size, uint64_t gen)
{
    size_t words = size / 8;
    if (tu_verify(p, words * 8, gen) != (size_t)-1)
        return 0;
    const unsigned char *c = (const unsigned char *)p;
    for (size_t i = words * 8; i < size; i++)
        if (c[i] != (unsigned char)(pu_word_value(&c[i], gen) >> 8))
            return 0;
    return 1;
}

#define assert_obj(p, size, gen)                                                                 \
    do {                                                                                         \
        if (!obj_ok((p), (size), (gen)))                                                         \
            fail_msg("object %p (%zu bytes, gen %" PRIu64 ") lost its contents", (void *)(p),    \
                     (size_t)(size), (uint64_t)(gen));                                           \
    } while (0)

/* The heap is the only user of proc: umm's charge for proc equals the heap's committed bytes. */
static void assert_heap_is_proc(umm_heap_t *h, umm_process_t *proc)
{
    umm_heap_stats_t s = hstats(h);
    umm_process_stats_t ps = tu_pstats(proc);
    assert_int_equal(s.committed, ps.committed * PG);
    assert_int_equal(s.reservations, ps.reservations);
}

/* Every heap of proc is gone: no reservation and no commit charge left. */
static void assert_proc_empty(umm_process_t *proc)
{
    umm_process_stats_t ps = tu_pstats(proc);
    assert_int_equal(ps.reservations, 0);
    assert_int_equal(ps.committed, 0);
}

static void assert_in_heap(umm_heap_t *h, umm_process_t *proc, const void *p)
{
    assert_true(umm_heap_owns(h, p));
    umm_region_info_t info;
    assert_int_equal(umm_query(proc, p, &info), UMM_OK);
    assert_int_equal(info.state, UMM_REGION_COMMITTED);
    assert_int_equal(info.prot, TU_RW);
}

/* ---- tests ------------------------------------------------------------------------------- */

/* Creating a heap does not change the program's allocator: jemalloc is not in the global symbol
 * scope, malloc/free/realloc/malloc_usable_size are glibc's (or the sanitizer's), and their
 * pointers are outside every umm reservation; heap pointers are inside the heap's. */
static void test_glibc_malloc_untouched(void **state)
{
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    heap_system(32 * TU_MIB, 0, UMM_CFG_NO_WORKERS, &sys, &proc);
    umm_heap_t *h = heap_new(proc);

    /* the jemalloc instance is loaded, but privately */
    void *jh = dlopen("libjemalloc.so.2", RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    assert_non_null(jh);
    void *je_malloc = dlsym(jh, "malloc");
    assert_non_null(je_malloc);
    assert_null(dlsym(RTLD_DEFAULT, "mallocx"));
    assert_null(dlsym(RTLD_DEFAULT, "mallctl"));
    assert_true(dlsym(RTLD_DEFAULT, "malloc") != je_malloc);
    assert_true(dlsym(RTLD_DEFAULT, "free") != dlsym(jh, "free"));
    assert_true((void *)&malloc != je_malloc);
    dlclose(jh); /* drops the reference RTLD_NOLOAD took */

    void *heap_obj = umm_heap_malloc(h, 100);
    assert_non_null(heap_obj);
    assert_in_heap(h, proc, heap_obj);

    size_t sizes[] = {1, 100, 4000, 100000, (size_t)4 << 20}; /* 4 MiB: glibc's mmap path */
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *p = malloc(sizes[i]);
        assert_non_null(p);
        assert_true(malloc_usable_size(p) >= sizes[i]);
        memset(p, 0x5A, sizes[i]);
        assert_false(umm_heap_owns(h, p));
        umm_region_info_t info;
        assert_int_equal(umm_query(proc, p, &info), UMM_E_NOT_RESERVED);
        assert_int_equal(info.state, UMM_REGION_FREE);
        assert_null(info.allocation_base);
        p = realloc(p, sizes[i] * 2);
        assert_non_null(p);
        assert_int_equal(p[sizes[i] - 1], 0x5A);
        assert_int_equal(umm_query(proc, p, &info), UMM_E_NOT_RESERVED);
        assert_int_equal(info.state, UMM_REGION_FREE);
        free(p);
    }
    void *q = calloc(10, 10);
    assert_non_null(q);
    assert_true(tu_is_zero(q, 100));
    free(q);

    umm_heap_free(h, heap_obj);
    tu_assert_consistent(sys);
    umm_heap_destroy(h);
    umm_system_destroy(sys);
}

/* Objects from 8 B to 64 MiB (powers of two and odd sizes between): every one is inside a
 * committed read-write page of the heap, 16-byte aligned, usable size >= asked, and keeps an
 * address-keyed pattern while the others are written; stats.allocated covers them and is back to
 * 0 after freeing. Aligned allocations (64 B .. 2 MiB) are aligned. */
static void test_sizes(void **state)
{
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    /* about 224 MiB live: more than RAM, so this pages too */
    heap_system(64 * TU_MIB, 320 * TU_MIB, UMM_CFG_NO_WORKERS, &sys, &proc);
    umm_heap_t *h = heap_new(proc);
    assert_ptr_equal(umm_heap_process(h), proc);

    enum { N = 48 };
    void *p[N];
    size_t sz[N];
    size_t n = 0, total = 0;
    for (size_t s = 8; s <= (size_t)64 << 20 && n + 2 <= N; s *= 2) {
        sz[n++] = s;
        if (s + s / 2 + 3 < (size_t)64 << 20)
            sz[n++] = s + s / 2 + 3; /* odd, between classes */
    }
    for (size_t i = 0; i < n; i++) {
        p[i] = umm_heap_malloc(h, sz[i]);
        if (!p[i])
            fail_msg("umm_heap_malloc(%zu) failed", sz[i]);
        assert_int_equal((uintptr_t)p[i] % 16, 0);
        assert_true(umm_heap_malloc_usable_size(h, p[i]) >= sz[i]);
        assert_in_heap(h, proc, p[i]);
        assert_in_heap(h, proc, (char *)p[i] + sz[i] - 1);
        obj_fill(p[i], sz[i], i + 1);
        total += sz[i];
    }
    for (size_t i = 0; i < n; i++)
        assert_obj(p[i], sz[i], i + 1);
    umm_heap_stats_t s = hstats(h);
    assert_true(s.allocated >= total);
    assert_true(s.active >= s.allocated);
    assert_true(s.mapped >= s.active);
    assert_true(s.committed >= s.active);
    assert_true(s.reserved >= s.committed);
    assert_heap_is_proc(h, proc);
    tu_assert_consistent(sys);

    size_t aligns[] = {64, 4096, (size_t)64 << 10, (size_t)2 << 20};
    void *ap[4];
    for (size_t i = 0; i < 4; i++) {
        ap[i] = umm_heap_aligned_alloc(h, aligns[i], 3 * aligns[i] / 2 + 1);
        assert_non_null(ap[i]);
        assert_int_equal((uintptr_t)ap[i] % aligns[i], 0);
        obj_fill(ap[i], 3 * aligns[i] / 2 + 1, 99);
    }
    for (size_t i = 0; i < 4; i++) {
        assert_obj(ap[i], 3 * aligns[i] / 2 + 1, 99);
        umm_heap_free(h, ap[i]);
    }

    for (size_t i = 0; i < n; i += 2)
        umm_heap_free(h, p[i]);
    for (size_t i = 1; i < n; i += 2)
        assert_obj(p[i], sz[i], i + 1);
    for (size_t i = 1; i < n; i += 2)
        umm_heap_free(h, p[i]);
    assert_int_equal(umm_heap_purge(h), UMM_OK);
    assert_heap_is_proc(h, proc);
    s = hstats(h);
    assert_int_equal(s.allocated, 0);
    assert_int_equal(s.active, 0);
    void *z = umm_heap_malloc(h, 0); /* a unique minimal object */
    assert_non_null(z);
    umm_heap_free(h, z);
    umm_heap_free(h, NULL);
    assert_int_equal(umm_heap_malloc_usable_size(h, NULL), 0);
    tu_assert_consistent(sys);
    umm_heap_destroy(h);
    assert_proc_empty(proc);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* calloc returns zeroed memory even where the heap reuses memory that held data (small slabs,
 * large extents kept dirty), and refuses count * size overflow. */
static void test_calloc_zeroes(void **state)
{
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    heap_system(64 * TU_MIB, 0, UMM_CFG_NO_WORKERS, &sys, &proc);
    umm_heap_t *h = heap_new(proc);

    size_t sizes[] = {8, 24, 100, 1000, 5000, 20000, 100000, (size_t)1 << 20, (size_t)6 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        enum { K = 8 };
        unsigned char *d[K];
        for (int k = 0; k < K; k++) {
            d[k] = umm_heap_malloc(h, sizes[i]);
            assert_non_null(d[k]);
            memset(d[k], 0xEE, sizes[i]);
        }
        for (int k = 0; k < K; k++)
            umm_heap_free(h, d[k]);
        for (int k = 0; k < K; k++) {
            d[k] = umm_heap_calloc(h, 1, sizes[i]);
            assert_non_null(d[k]);
            if (!tu_is_zero(d[k], sizes[i]))
                fail_msg("calloc(%zu) not zeroed", sizes[i]);
            memset(d[k], 0x11, sizes[i]);
        }
        for (int k = 0; k < K; k++)
            umm_heap_free(h, d[k]);
    }
    void *q = umm_heap_calloc(h, 1000, 1000);
    assert_non_null(q);
    assert_true(tu_is_zero(q, 1000000));
    umm_heap_free(h, q);
    errno = 0;
    assert_null(umm_heap_calloc(h, SIZE_MAX / 2, 3));
    assert_int_equal(errno, ENOMEM);
    q = umm_heap_calloc(h, 0, 5);
    assert_non_null(q);
    umm_heap_free(h, q);
    tu_assert_consistent(sys);
    umm_heap_destroy(h);
    umm_system_destroy(sys);
}

/* realloc growing from 16 B to 32 MiB and shrinking back keeps the common prefix at every step
 * (small -> large -> huge and back, in place or moved); realloc(NULL, n) allocates and
 * realloc(p, 0) frees. */
static void test_realloc_keeps_contents(void **state)
{
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    heap_system(128 * TU_MIB, 0, UMM_CFG_NO_WORKERS, &sys, &proc);
    umm_heap_t *h = heap_new(proc);

    /* the content is a byte function of the offset, so it survives moves */
    size_t size = 16;
    unsigned char *p = umm_heap_realloc(h, NULL, size);
    assert_non_null(p);
    for (size_t i = 0; i < size; i++)
        p[i] = (unsigned char)(i * 7 + 3);
    while (size < (size_t)32 << 20) {
        size_t next = size * 2 + (size & 1 ? 0 : 5);
        if (next > (size_t)32 << 20)
            next = (size_t)32 << 20;
        p = umm_heap_realloc(h, p, next);
        assert_non_null(p);
        assert_in_heap(h, proc, p + next - 1);
        for (size_t i = 0; i < size; i += (size > 65536 ? 61 : 1))
            if (p[i] != (unsigned char)(i * 7 + 3))
                fail_msg("grow %zu -> %zu: byte %zu lost", size, next, i);
        for (size_t i = size; i < next; i++)
            p[i] = (unsigned char)(i * 7 + 3);
        size = next;
    }
    while (size > 16) {
        size_t next = size / 3 > 16 ? size / 3 : 16;
        p = umm_heap_realloc(h, p, next);
        assert_non_null(p);
        for (size_t i = 0; i < next; i += (next > 65536 ? 61 : 1))
            if (p[i] != (unsigned char)(i * 7 + 3))
                fail_msg("shrink %zu -> %zu: byte %zu lost", size, next, i);
        size = next;
    }
    assert_null(umm_heap_realloc(h, p, 0)); /* frees */
    umm_heap_stats_t s = hstats(h);
    assert_int_equal(s.allocated, 0);
    assert_heap_is_proc(h, proc);
    tu_assert_consistent(sys);
    umm_heap_destroy(h);
    umm_system_destroy(sys);
}

/* ---- threads ---- */

typedef struct thr_arg {
    umm_heap_t *heap;
    unsigned id;
    int errors;
    size_t ops;
} thr_arg_t;

static void *thr_main(void *v)
{
    thr_arg_t *a = v;
    enum { SLOTS = 64 };
    void *slot[SLOTS] = {0};
    size_t size[SLOTS] = {0};
    uint64_t gen[SLOTS] = {0};
    pu_rng_t r = {.s = 0x1234 + a->id};
    for (size_t op = 0; op < 6000; op++) {
        size_t i = pu_next(&r) % SLOTS;
        if (slot[i]) {
            if (!obj_ok(slot[i], size[i], gen[i]))
                a->errors++;
            if (pu_next(&r) & 1) {
                umm_heap_free(a->heap, slot[i]);
                slot[i] = NULL;
                continue;
            }
            size_t ns = 8 + pu_next(&r) % (pu_next(&r) & 7 ? 2048 : 300000);
            void *q = umm_heap_realloc(a->heap, slot[i], ns);
            if (!q) {
                a->errors++;
                continue;
            }
            size_t keep = ns < size[i] ? ns : size[i];
            /* the prefix moved with the object: its pattern was keyed by the old address, so
             * only check it is still intact where the address did not change */
            if (q == slot[i] && !obj_ok(q, keep / 8 * 8, gen[i]))
                a->errors++;
            slot[i] = q;
            size[i] = ns;
        } else {
            size[i] = 8 + pu_next(&r) % (pu_next(&r) & 7 ? 2048 : 300000);
            slot[i] = (pu_next(&r) & 3) ? umm_heap_malloc(a->heap, size[i])
                                        : umm_heap_calloc(a->heap, 1, size[i]);
            if (!slot[i]) {
                a->errors++;
                continue;
            }
        }
        gen[i] = ((uint64_t)a->id << 32) + op + 1;
        obj_fill(slot[i], size[i], gen[i]);
        a->ops++;
    }
    for (size_t i = 0; i < SLOTS; i++)
        if (slot[i]) {
            if (!obj_ok(slot[i], size[i], gen[i]))
                a->errors++;
            umm_heap_free(a->heap, slot[i]);
        }
    return NULL;
}

/* Four threads allocate, reallocate, fill, verify and free through one heap at once (sizes
 * 8 B .. 300 KB, so slabs and large extents; workers on, so the balancer trims meanwhile): no
 * object is ever corrupted, every call succeeds, and at the end nothing is allocated. */
static void test_threads_one_heap(void **state)
{
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    heap_system(64 * TU_MIB, 0, 0, &sys, &proc);
    umm_heap_t *h = heap_new(proc);
    enum { T = 4 };
    pthread_t t[T];
    thr_arg_t a[T];
    for (unsigned i = 0; i < T; i++) {
        a[i] = (thr_arg_t){.heap = h, .id = i + 1};
        assert_int_equal(pthread_create(&t[i], NULL, thr_main, &a[i]), 0);
    }
    for (unsigned i = 0; i < T; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (unsigned i = 0; i < T; i++) {
        assert_int_equal(a[i].errors, 0);
        assert_true(a[i].ops > 1000);
    }
    umm_heap_stats_t s = hstats(h);
    assert_int_equal(s.allocated, 0);
    assert_int_equal(umm_heap_purge(h), UMM_OK);
    tu_assert_consistent(sys);
    umm_heap_destroy(h);
    assert_proc_empty(proc);
    umm_system_destroy(sys);
}

/* ---- thread caches ---- */

/* TC_HEAPS: more heaps than the per-thread fast table has entries (MM_TCACHE_TLS_SLOTS, 8) */
enum { TC_THREADS = 3, TC_OBJS = 200, TC_HEAPS = 10 };

typedef struct tc_arg {
    umm_heap_t *h1, *h2, *later[TC_HEAPS];
    pthread_barrier_t *phase; /* 1: caches filled; 2: h1 destroyed, later[] created */
    unsigned id;
    int errors;
} tc_arg_t;

/* Allocate, fill, check and free n small objects of h; every object must be h's. */
static void tc_churn(tc_arg_t *a, umm_heap_t *h, uint64_t gen)
{
    void *p[TC_OBJS];
    for (int i = 0; i < TC_OBJS; i++) {
        size_t n = 8 + (size_t)(i * 37 % 1000);
        p[i] = umm_heap_malloc(h, n);
        if (!p[i] || !umm_heap_owns(h, p[i])) {
            a->errors++;
            p[i] = NULL;
            continue;
        }
        obj_fill(p[i], n, gen + (uint64_t)i);
    }
    for (int i = 0; i < TC_OBJS; i++)
        if (p[i]) {
            if (!obj_ok(p[i], 8 + (size_t)(i * 37 % 1000), gen + (uint64_t)i))
                a->errors++;
            umm_heap_free(h, p[i]);
        }
}

static void *tc_main(void *v)
{
    tc_arg_t *a = v;
    uint64_t gen = (uint64_t)a->id << 40;
    tc_churn(a, a->h1, gen);
    tc_churn(a, a->h2, gen + 1000);
    pthread_barrier_wait(a->phase); /* the freed objects now sit in this thread's tcaches */
    pthread_barrier_wait(a->phase); /* main destroyed h1 and made later[] meanwhile */
    for (int round = 0; round < 3; round++) /* more heaps than the per-thread fast table holds */
        for (int k = 0; k < TC_HEAPS; k++)
            tc_churn(a, a->later[k], gen + 5000 + (uint64_t)(round * TC_HEAPS + k) * 1000);
    tc_churn(a, a->h2, gen + 90000);
    return NULL; /* thread exit flushes and destroys this thread's remaining tcaches */
}

/* Each thread has its own tcache per heap. Objects freed by threads stay cached (and count as
 * allocated) until the thread exits; a heap can be destroyed while threads that cached its
 * objects are still alive, and those threads go on with other heaps (never given memory of the
 * destroyed one, even when more heaps are in use than the fast per-thread table holds); at their
 * exit everything they cached goes back, and the process is left with no reservation. */
static void test_tcache_threads_and_destroy(void **state)
{
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    heap_system(128 * TU_MIB, 0, UMM_CFG_NO_WORKERS, &sys, &proc);
    pthread_barrier_t phase;
    assert_int_equal(pthread_barrier_init(&phase, NULL, TC_THREADS + 1), 0);
    umm_heap_t *h1 = heap_new(proc), *h2 = heap_new(proc);
    pthread_t t[TC_THREADS];
    tc_arg_t a[TC_THREADS];
    for (unsigned i = 0; i < TC_THREADS; i++) {
        a[i] = (tc_arg_t){.h1 = h1, .h2 = h2, .phase = &phase, .id = i + 1};
        assert_int_equal(pthread_create(&t[i], NULL, tc_main, &a[i]), 0);
    }
    pthread_barrier_wait(&phase);
    /* every object was freed, but the threads' tcaches still hold some */
    assert_true(hstats(h1).allocated > 0);
    assert_true(hstats(h2).allocated > 0);
    umm_heap_destroy(h1); /* destroys the live threads' tcaches of h1 first */
    umm_heap_t *later[TC_HEAPS];
    for (int k = 0; k < TC_HEAPS; k++)
        later[k] = heap_new(proc);
    for (unsigned i = 0; i < TC_THREADS; i++)
        memcpy(a[i].later, later, sizeof later);
    pthread_barrier_wait(&phase);
    for (unsigned i = 0; i < TC_THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (unsigned i = 0; i < TC_THREADS; i++)
        assert_int_equal(a[i].errors, 0);
    /* the threads are gone and so are their tcaches: nothing is cached any more */
    assert_int_equal(hstats(h2).allocated, 0);
    for (int k = 0; k < TC_HEAPS; k++) {
        assert_int_equal(hstats(later[k]).allocated, 0);
        umm_heap_destroy(later[k]);
    }
    umm_heap_destroy(h2);
    assert_proc_empty(proc);
    tu_assert_consistent(sys);
    pthread_barrier_destroy(&phase);
    umm_system_destroy(sys);
}

/* ---- arenas per thread ---- */

enum { AR_THREADS = 4, AR_OBJS = 256, AR_OBJ_SIZE = 64 };

typedef struct ar_arg {
    umm_heap_t *h;
    pthread_barrier_t *phase; /* 1: every thread holds its objects; 2: main has looked */
    uintptr_t page[AR_OBJS];  /* the page of each object */
    bool big;                 /* also allocate, write and free a 4 MiB object first */
    unsigned id;
    int errors;
} ar_arg_t;

/* Hold AR_OBJS small objects while every other thread holds its own, then free them. */
static void *ar_main(void *v)
{
    ar_arg_t *a = v;
    void *p[AR_OBJS];
    uint64_t gen = (uint64_t)a->id << 40;
    if (a->big) {
        void *b = umm_heap_malloc(a->h, 4 * TU_MIB);
        a->errors += b == NULL;
        if (b)
            memset(b, 0x5A, 4 * TU_MIB);
        umm_heap_free(a->h, b); /* large: straight back to the thread's arena */
    }
    for (int i = 0; i < AR_OBJS; i++) {
        p[i] = umm_heap_malloc(a->h, AR_OBJ_SIZE);
        if (!p[i]) {
            a->errors++;
            continue;
        }
        obj_fill(p[i], AR_OBJ_SIZE, gen + (uint64_t)i);
        a->page[i] = (uintptr_t)p[i] / PG;
    }
    pthread_barrier_wait(a->phase);
    pthread_barrier_wait(a->phase);
    for (int i = 0; i < AR_OBJS; i++)
        if (p[i]) {
            a->errors += !obj_ok(p[i], AR_OBJ_SIZE, gen + (uint64_t)i);
            umm_heap_free(a->h, p[i]);
        }
    return NULL;
}

/* Run AR_THREADS threads on h at once; while they all hold their objects, return the stats. */
static umm_heap_stats_t ar_round(umm_heap_t *h, ar_arg_t *a, bool big)
{
    pthread_barrier_t phase;
    pthread_t t[AR_THREADS];
    assert_int_equal(pthread_barrier_init(&phase, NULL, AR_THREADS + 1), 0);
    for (unsigned i = 0; i < AR_THREADS; i++) {
        a[i] = (ar_arg_t){.h = h, .phase = &phase, .big = big, .id = i + 1};
        assert_int_equal(pthread_create(&t[i], NULL, ar_main, &a[i]), 0);
    }
    pthread_barrier_wait(&phase);
    umm_heap_stats_t s = hstats(h);
    pthread_barrier_wait(&phase);
    for (unsigned i = 0; i < AR_THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(a[i].errors, 0);
    }
    pthread_barrier_destroy(&phase);
    return s;
}

/* Is some page holding objects of two different threads? */
static bool ar_pages_shared(const ar_arg_t *a)
{
    for (unsigned i = 0; i < AR_THREADS; i++)
        for (unsigned j = i + 1; j < AR_THREADS; j++)
            for (int x = 0; x < AR_OBJS; x++)
                for (int y = 0; y < AR_OBJS; y++)
                    if (a[i].page[x] == a[j].page[y])
                        return true;
    return false;
}

/* A heap has one arena per thread using it at once, up to 4 x CPUs (jemalloc's own default):
 * a heap used by one thread has one arena; threads using it together get their own arenas, so
 * their objects never share a page (nor a cache line); when they exit, later threads reuse those
 * arenas instead of making more. Stats sum over the arenas (committed is still the process's
 * charge); the decay set on the heap holds for arenas made after it; destroy returns all. */
static void test_arenas_per_thread(void **state)
{
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    heap_system(64 * TU_MIB, 0, UMM_CFG_NO_WORKERS, &sys, &proc);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t max = cpus > 0 ? (uint64_t)(4 * cpus) : 4;
    if (max > 16)
        max = 16;
    uint64_t want = max < 1 + AR_THREADS ? max : 1 + AR_THREADS; /* main's arena + theirs */

    umm_heap_t *h = heap_new(proc);
    void *mine = umm_heap_malloc(h, 100);
    assert_non_null(mine);
    umm_heap_stats_t s1 = hstats(h);
    assert_int_equal(s1.arenas, 1);

    ar_arg_t a[AR_THREADS];
    umm_heap_stats_t s = ar_round(h, a, false);
    assert_int_equal(s.arenas, want);
    assert_true(s.allocated >= 100 + AR_THREADS * AR_OBJS * AR_OBJ_SIZE);
    assert_true(s.metadata > s1.metadata); /* each arena has its own */
    assert_heap_is_proc(h, proc);
    if (want == 1 + AR_THREADS)
        assert_false(ar_pages_shared(a));
    /* the threads are gone: the next ones take their arenas */
    s = ar_round(h, a, false);
    assert_int_equal(s.arenas, want);
    if (want == 1 + AR_THREADS)
        assert_false(ar_pages_shared(a));
    umm_heap_free(h, mine);
    assert_int_equal(hstats(h).allocated, 0);
    umm_heap_destroy(h);

    /* decay 0, set before the threads came, holds in the arenas made for them: each thread's
     * freed 4 MiB object is decommitted at once (with jemalloc's default it would stay dirty) */
    umm_heap_t *h2 = heap_new(proc);
    assert_int_equal(umm_heap_set_decay(h2, 0), UMM_OK);
    s = ar_round(h2, a, true); /* main does not use h2: one thread takes arena 0 */
    assert_int_equal(s.arenas, max < AR_THREADS ? max : AR_THREADS);
    assert_int_equal(s.dirty, 0);
    assert_heap_is_proc(h2, proc);
    umm_heap_destroy(h2);
    assert_proc_empty(proc);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* ---- paging ---- */

typedef struct obj {
    void *p;
    size_t size;
    uint64_t gen;
} obj_t;

/* RAM 16 MiB, paging file 128 MiB: 64 MiB of live objects (64 B .. 1 MiB) with address-keyed
 * patterns. Emptying the working set, writing every modified page and purging Standby sends the
 * whole heap, jemalloc's metadata included, to the paging file; every object reads back intact
 * (hard faults, some inside jemalloc's own code on free/malloc), then again after freeing half,
 * allocating more and paging out once more. */
static void test_paging_integrity(void **state)
{
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    heap_system(16 * TU_MIB, 128 * TU_MIB, UMM_CFG_NO_WORKERS, &sys, &proc);
    umm_heap_t *h = heap_new(proc);

    size_t cap = 8192, n = 0, live = 0;
    obj_t *o = calloc(cap, sizeof *o); /* bookkeeping in glibc memory, not in the heap */
    assert_non_null(o);
    pu_rng_t r = {.s = 42};
    uint64_t gen = 1;
    while (live < (size_t)64 << 20) {
        assert_true(n < cap);
        uint64_t x = pu_next(&r);
        size_t s = (x & 15) == 0 ? ((size_t)256 << 10) + x % ((size_t)768 << 10)
                                 : 64 + (x >> 8) % 16384;
        o[n].p = umm_heap_malloc(h, s);
        if (!o[n].p)
            fail_msg("malloc(%zu) failed with %zu live", s, live);
        o[n].size = s;
        o[n].gen = gen++;
        obj_fill(o[n].p, s, o[n].gen);
        live += s;
        n++;
    }
    umm_heap_stats_t hs = hstats(h);
    assert_true(hs.allocated >= live);
    assert_true(hs.committed > 16 * TU_MIB);

    for (int round = 0; round < 2; round++) {
        umm_stats_t before = tu_stats(sys);
        pu_page_out(sys, proc);
        assert_int_equal(tu_pstats(proc).working_set, 0);
        tu_assert_consistent(sys);
        for (size_t i = 0; i < n; i++)
            if (o[i].p)
                assert_obj(o[i].p, o[i].size, o[i].gen);
        umm_stats_t after = tu_stats(sys);
        assert_true(after.faults_hard > before.faults_hard);
        assert_true(after.pages_output > 0);
        tu_assert_consistent(sys);
        if (round == 1)
            break;
        /* free every other object (jemalloc reads its metadata back from the paging file),
         * allocate replacements, page everything out again */
        for (size_t i = 0; i < n; i += 2) {
            umm_heap_free(h, o[i].p);
            o[i].p = NULL;
        }
        pu_page_out(sys, proc);
        for (size_t i = 0; i < n; i += 2) {
            size_t s = 32 + (size_t)(pu_next(&r) % 65536);
            o[i].p = umm_heap_malloc(h, s);
            assert_non_null(o[i].p);
            o[i].size = s;
            o[i].gen = gen++;
            obj_fill(o[i].p, s, o[i].gen);
        }
    }
    assert_heap_is_proc(h, proc);
    for (size_t i = 0; i < n; i++)
        umm_heap_free(h, o[i].p);
    free(o);
    assert_int_equal(hstats(h).allocated, 0);
    tu_assert_consistent(sys);
    umm_heap_destroy(h);
    assert_int_equal(tu_pstats(proc).committed, 0);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* Freeing returns commit: freeing a huge object (above jemalloc's 8 MiB oversize threshold)
 * decommits it at once; freed large objects stay committed as "dirty" until umm_heap_purge, which
 * decommits them, or are decommitted at free with umm_heap_set_decay(h, 0). stats.committed always equals umm's charge for the process, and destroying the
 * heap releases every reservation and the rest of the charge. */
static void test_commit_returned(void **state)
{
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    heap_system(128 * TU_MIB, 0, UMM_CFG_NO_WORKERS, &sys, &proc);
    umm_heap_t *h = heap_new(proc);
    umm_heap_stats_t s0 = hstats(h);
    assert_true(s0.committed > 0); /* the arena's metadata block */
    assert_int_equal(s0.allocated, 0);
    assert_heap_is_proc(h, proc);

    unsigned char *huge = umm_heap_malloc(h, 48 * TU_MIB);
    assert_non_null(huge);
    memset(huge, 0x77, 48 * TU_MIB);
    enum { L = 16 };
    unsigned char *large[L];
    for (int i = 0; i < L; i++) {
        large[i] = umm_heap_malloc(h, TU_MIB);
        assert_non_null(large[i]);
        memset(large[i], i + 1, TU_MIB);
    }
    void *small[1000];
    for (int i = 0; i < 1000; i++) {
        small[i] = umm_heap_malloc(h, 200);
        assert_non_null(small[i]);
        memset(small[i], 3, 200);
    }
    umm_heap_stats_t s1 = hstats(h);
    assert_true(s1.committed >= s0.committed + 64 * TU_MIB);
    assert_heap_is_proc(h, proc);
    umm_stats_t u1 = tu_stats(sys);

    umm_heap_free(h, huge);
    umm_heap_stats_t s2 = hstats(h);
    assert_true(s2.committed <= s1.committed - 48 * TU_MIB);
    assert_heap_is_proc(h, proc);
    umm_stats_t u2 = tu_stats(sys);
    assert_true(u2.committed <= u1.committed - 48 * TU_MIB / PG);
    assert_true(u2.available >= u1.available + 48 * TU_MIB / PG); /* the frames came back too */

    for (int i = 0; i < L; i++)
        umm_heap_free(h, large[i]);
    umm_heap_stats_t s3 = hstats(h);
    assert_true(s3.dirty > 0 || s3.committed <= s2.committed - 16 * TU_MIB);
    assert_int_equal(umm_heap_purge(h), UMM_OK);
    umm_heap_stats_t s4 = hstats(h);
    assert_int_equal(s4.dirty, 0);
    assert_true(s4.committed <= s2.committed - 16 * TU_MIB);
    assert_heap_is_proc(h, proc);

    for (int i = 0; i < 1000; i++)
        umm_heap_free(h, small[i]);
    assert_int_equal(umm_heap_purge(h), UMM_OK);
    umm_heap_stats_t s5 = hstats(h);
    assert_int_equal(s5.allocated, 0);
    assert_int_equal(s5.active, 0);
    /* only jemalloc's metadata stays committed */
    assert_true(s5.committed <= s0.committed + s5.metadata + 256 * TU_KIB);
    assert_heap_is_proc(h, proc);
    tu_assert_consistent(sys);

    /* with dirty_decay_ms = 0 a free decommits at once, no purge needed */
    assert_int_equal(umm_heap_set_decay(h, -2), UMM_E_INVAL);
    assert_int_equal(umm_heap_set_decay(h, 0), UMM_OK);
    for (int i = 0; i < L; i++) {
        large[i] = umm_heap_malloc(h, TU_MIB);
        assert_non_null(large[i]);
        memset(large[i], i + 1, TU_MIB);
    }
    assert_true(hstats(h).committed >= s5.committed + 16 * TU_MIB);
    for (int i = 0; i < L; i++)
        umm_heap_free(h, large[i]);
    umm_heap_stats_t s6 = hstats(h);
    assert_int_equal(s6.dirty, 0);
    assert_true(s6.committed <= s5.committed + 256 * TU_KIB);
    assert_heap_is_proc(h, proc);
    assert_int_equal(umm_heap_set_decay(h, -1), UMM_OK);
    assert_int_equal(umm_heap_set_decay(h, 10000), UMM_OK);

    /* the retained address space is reused: a new large object commits again */
    unsigned char *again = umm_heap_calloc(h, 1, 8 * TU_MIB);
    assert_non_null(again);
    assert_true(tu_is_zero(again, 8 * TU_MIB));
    assert_true(hstats(h).committed >= s5.committed + 8 * TU_MIB);
    umm_heap_free(h, again);

    umm_heap_destroy(h);
    umm_process_stats_t ps = tu_pstats(proc);
    assert_int_equal(ps.committed, 0);
    assert_int_equal(ps.reservations, 0);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* At the commit limit (RAM 16 MiB, no paging file: 4096 pages) the heap's allocations return
 * NULL with errno ENOMEM, for every size and for calloc/realloc/aligned (realloc leaves the object
 * intact), nothing crashes and umm stays consistent; freeing makes allocation work again. The
 * limit is also reached through another umm user in the same process (direct commits), and
 * dirty pages of the heap are purged to satisfy a request when that lets it succeed. */
static void test_commit_limit(void **state)
{
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    heap_system(16 * TU_MIB, 0, UMM_CFG_NO_WORKERS, &sys, &proc);
    umm_heap_t *h = heap_new(proc);

    /* large objects until the limit */
    enum { MAXB = 64 };
    void *big[MAXB];
    int nb = 0;
    while (nb < MAXB && (big[nb] = umm_heap_malloc(h, TU_MIB)) != NULL) {
        memset(big[nb], nb, TU_MIB);
        nb++;
    }
    assert_true(nb > 4 && nb < 16);
    /* then small ones until the limit */
    enum { MAXS = 20000 };
    void **sm = calloc(MAXS, sizeof *sm);
    assert_non_null(sm);
    int ns = 0;
    while (ns < MAXS && (sm[ns] = umm_heap_malloc(h, 512)) != NULL) {
        memset(sm[ns], 0xAB, 512);
        ns++;
    }
    assert_true(ns < MAXS);
    umm_stats_t u = tu_stats(sys);
    assert_true(u.committed + 256 > u.commit_limit); /* within 1 MiB of the limit */
    errno = 0;
    assert_null(umm_heap_malloc(h, 64 * TU_MIB));
    assert_int_equal(errno, ENOMEM);
    assert_null(umm_heap_malloc(h, 4 * TU_MIB));
    assert_null(umm_heap_calloc(h, 1, 2 * TU_MIB));
    assert_null(umm_heap_aligned_alloc(h, 2 * TU_MIB, TU_MIB));
    assert_null(umm_heap_realloc(h, big[0], 8 * TU_MIB));
    for (size_t i = 0; i < TU_MIB; i += 4096)
        assert_int_equal(((unsigned char *)big[0])[i], 0); /* untouched by the failed realloc */
    tu_assert_consistent(sys);

    /* free the large objects: without an explicit purge, the next request that does not fit
     * makes the heap purge its dirty pages and retry */
    for (int i = 0; i < nb; i++)
        umm_heap_free(h, big[i]);
    unsigned char *p = umm_heap_malloc(h, 4 * TU_MIB);
    assert_non_null(p);
    memset(p, 0xCD, 4 * TU_MIB);
    for (int i = 0; i < ns; i++)
        assert_int_equal(((unsigned char *)sm[i])[511], 0xAB);
    tu_assert_consistent(sys);
    umm_heap_free(h, p);
    for (int i = 0; i < ns; i++)
        umm_heap_free(h, sm[i]);
    free(sm);
    assert_int_equal(umm_heap_purge(h), UMM_OK);

    /* another user of the process takes all the remaining charge */
    umm_stats_t u2 = tu_stats(sys);
    size_t rest = (size_t)(u2.commit_limit - u2.committed) * PG;
    void *other = tu_reserve(proc, rest, TU_RW);
    assert_int_equal(umm_commit(proc, other, rest, TU_RW), UMM_OK);
    assert_null(umm_heap_malloc(h, 256 * TU_KIB));
    void *tiny[200];
    int nt = 0; /* small objects may still fit in the slab pages already committed */
    while (nt < 200 && (tiny[nt] = umm_heap_malloc(h, 16)) != NULL)
        nt++;
    assert_true(nt < 200);
    tu_assert_consistent(sys);
    assert_int_equal(umm_release(proc, other), UMM_OK);
    void *ok = umm_heap_malloc(h, 8 * TU_MIB);
    assert_non_null(ok);
    memset(ok, 1, 8 * TU_MIB);
    umm_heap_free(h, ok);
    for (int i = 0; i < nt; i++)
        umm_heap_free(h, tiny[i]);
    assert_int_equal(hstats(h).allocated, 0);
    tu_assert_consistent(sys);
    umm_heap_destroy(h);
    assert_int_equal(tu_pstats(proc).committed, 0);
    umm_system_destroy(sys);
}

/* Two heaps in one process: separate reservations, data independent; destroying one leaves the
 * other intact; destroying both leaves no reservation and no charge. A heap with the whole
 * commit already taken cannot be created and says so. */
static void test_two_heaps_and_destroy(void **state)
{
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    heap_system(64 * TU_MIB, 0, UMM_CFG_NO_WORKERS, &sys, &proc);
    umm_heap_t *a = heap_new(proc);
    umm_heap_t *b = heap_new(proc);
    void *pa[100], *pb[100];
    for (int i = 0; i < 100; i++) {
        size_t s = 100 + (size_t)i * 3000;
        pa[i] = umm_heap_malloc(a, s);
        pb[i] = umm_heap_malloc(b, s);
        assert_non_null(pa[i]);
        assert_non_null(pb[i]);
        assert_true(umm_heap_owns(a, pa[i]) && !umm_heap_owns(b, pa[i]));
        assert_true(umm_heap_owns(b, pb[i]) && !umm_heap_owns(a, pb[i]));
        obj_fill(pa[i], s, 1);
        obj_fill(pb[i], s, 2);
    }
    umm_heap_destroy(a); /* discards pa[] */
    for (int i = 0; i < 100; i++)
        assert_obj(pb[i], 100 + (size_t)i * 3000, 2);
    assert_heap_is_proc(b, proc);
    tu_assert_consistent(sys);
    for (int i = 0; i < 100; i++)
        umm_heap_free(b, pb[i]);
    umm_heap_destroy(b);
    assert_proc_empty(proc);

    /* no charge left: the arena's first metadata block cannot be committed */
    umm_stats_t u = tu_stats(sys);
    size_t all = (size_t)(u.commit_limit - u.committed) * PG;
    void *other = tu_reserve(proc, all, TU_RW);
    assert_int_equal(umm_commit(proc, other, all, TU_RW), UMM_OK);
    umm_heap_t *h = (umm_heap_t *)(uintptr_t)1;
    assert_int_equal(umm_heap_create(proc, &h), UMM_E_COMMIT_LIMIT);
    assert_null(h);
    assert_int_equal(tu_pstats(proc).reservations, 1);
    assert_int_equal(umm_release(proc, other), UMM_OK);
    h = heap_new(proc);
    umm_heap_destroy(h);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* Bad arguments are refused without crashing; a system whose page size is not jemalloc's
 * (8 KiB) cannot have a heap. */
static void test_bad_args(void **state)
{
    (void)state;
    HEAP_REQUIRED();
    umm_heap_t *h = NULL;
    assert_int_equal(umm_heap_create(NULL, &h), UMM_E_INVAL);
    assert_null(umm_heap_malloc(NULL, 10));
    assert_null(umm_heap_calloc(NULL, 1, 10));
    assert_null(umm_heap_realloc(NULL, NULL, 10));
    assert_null(umm_heap_aligned_alloc(NULL, 16, 10));
    assert_int_equal(umm_heap_purge(NULL), UMM_E_INVAL);
    assert_int_equal(umm_heap_set_decay(NULL, 0), UMM_E_INVAL);
    umm_heap_stats_t s;
    assert_int_equal(umm_heap_stats(NULL, &s), UMM_E_INVAL);
    assert_null(umm_heap_process(NULL));
    assert_int_equal(umm_heap_owns(NULL, &s), 0);
    umm_heap_destroy(NULL);
    assert_null(umm_heap_load_error());
    assert_int_equal(umm_heap_init(), UMM_OK);

    umm_config_t c = pu_config(16 * TU_MIB, 0, 0, UMM_CFG_NO_WORKERS);
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&c, &sys, &proc);
    assert_int_equal(umm_heap_create(proc, NULL), UMM_E_INVAL);
    h = heap_new(proc);
    assert_int_equal(umm_heap_stats(h, NULL), UMM_E_INVAL);
    errno = 0;
    assert_null(umm_heap_aligned_alloc(h, 24, 10));
    assert_int_equal(errno, EINVAL);
    assert_null(umm_heap_malloc(h, SIZE_MAX - 4096));
    assert_int_equal(errno, ENOMEM);
    umm_heap_destroy(h);
    umm_system_destroy(sys);

    c.page_size = 2 * PG;
    tu_sys_new_cfg(&c, &sys, &proc);
    h = (umm_heap_t *)(uintptr_t)1;
    assert_int_equal(umm_heap_create(proc, &h), UMM_E_NOT_SUPPORTED);
    assert_null(h);
    umm_system_destroy(sys);
}

/* The calling thread's fast table stands for the handle check once it has used a heap: after
 * umm_heap_destroy the same thread's calls on that heap must still be refused (NULL, EINVAL; free
 * and usable_size do nothing), and a heap made next is served, not confused with the old one. */
static void test_destroyed_heap_refused(void **state)
{
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    heap_system(16 * TU_MIB, 0, UMM_CFG_NO_WORKERS, &sys, &proc);
    umm_heap_t *h = heap_new(proc);
    void *p = umm_heap_malloc(h, 100); /* fills this thread's entry for h */
    assert_non_null(p);
    umm_heap_free(h, p);
    umm_heap_destroy(h);
    errno = 0;
    assert_null(umm_heap_malloc(h, 100));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(umm_heap_calloc(h, 1, 100));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(umm_heap_realloc(h, NULL, 100));
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_null(umm_heap_aligned_alloc(h, 64, 100));
    assert_int_equal(errno, EINVAL);
    umm_heap_free(h, p); /* refused: nothing happens */
    assert_int_equal(umm_heap_malloc_usable_size(h, p), 0);
    assert_proc_empty(proc);
    umm_heap_t *h2 = heap_new(proc);
    char *q = umm_heap_malloc(h2, 100);
    assert_non_null(q);
    assert_true(umm_heap_owns(h2, q));
    memset(q, 0x5A, 100);
    umm_heap_free(h2, q);
    umm_heap_destroy(h2);
    assert_proc_empty(proc);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

int main(int argc, char **argv)
{
    (void)argc;
    if (umm_heap_init() != UMM_OK) {
        /* glibc's default optional static TLS is too small for libjemalloc's initial-exec TLS
         * when it is dlopen'ed: start again with more, once */
        const char *t = getenv("GLIBC_TUNABLES");
        if (!t || !strstr(t, "glibc.rtld.optional_static_tls")) {
            char buf[1024];
            snprintf(buf, sizeof buf, "%s%sglibc.rtld.optional_static_tls=4096", t ? t : "",
                     t && *t ? ":" : "");
            setenv("GLIBC_TUNABLES", buf, 1);
            execv("/proc/self/exe", argv);
            fprintf(stderr, "test_heap: re-exec with GLIBC_TUNABLES failed: %s\n", strerror(errno));
        }
        skip_reason = umm_heap_load_error();
        fprintf(stderr, "test_heap: jemalloc cannot be loaded, every test is SKIPPED: %s\n",
                skip_reason);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glibc_malloc_untouched),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_calloc_zeroes),
        cmocka_unit_test(test_realloc_keeps_contents),
        cmocka_unit_test(test_threads_one_heap),
        cmocka_unit_test(test_tcache_threads_and_destroy),
        cmocka_unit_test(test_arenas_per_thread),
        cmocka_unit_test(test_paging_integrity),
        cmocka_unit_test(test_commit_returned),
        cmocka_unit_test(test_commit_limit),
        cmocka_unit_test(test_two_heaps_and_destroy),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_destroyed_heap_refused),
    };
    return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
