/* SPDX-License-Identifier: MIT */
/* bench_alloc.c - allocator workloads (in the spirit of mimalloc-bench, written here): jemalloc on
 * umm memory (umm_heap_*) against jemalloc and glibc on plain memory.
 *
 * WHICH ALLOCATOR IS WHICH. umm-bench links libjemalloc directly, so the program's malloc/free
 * ARE jemalloc's. No figure here calls malloc/free:
 *   umm         umm_heap_malloc/umm_heap_free: jemalloc arenas (one per thread at once) whose
 *               extents are umm memory, an explicit tcache per thread (docs/heap.md). jemalloc is the instance the
 *               program already has loaded (umm's dlopen returns it).
 *   je_tcache   (the baseline of the target) mallocx(n, 0)/dallocx(p, 0): jemalloc's defaults
 *               (automatic arenas, one per thread up to 4 x CPUs, thread cache).
 *   jemalloc    mallocx/dallocx on ONE arena made with "arenas.create" and jemalloc's default
 *               extent hooks (plain mmap memory), MALLOCX_TCACHE_NONE: what the heap was before
 *               it had thread caches. Information row.
 *   glibc       __libc_malloc/__libc_free, glibc's own allocator (ptmalloc), called by its
 *               exported internal names because malloc is jemalloc in this program. Info row.
 *
 * Workloads (each thread its own slots and random stream; ns/op = wall time / all threads' ops):
 *   small   alloc/free churn of 16..512 B objects (uniform) over a live set of 8192 slots per
 *           thread: each op frees the slot's object (after checking its tag) and allocates a new
 *           one, writing its first and last 8 bytes; 1, 2 and 4 threads on one allocator.
 *   large   the same with 64 KiB..4 MiB objects (log-uniform) over 16 slots, one word written
 *           per 4 KiB page of each new object (so its pages are really used); 1 thread.
 * Rows: wall time per operation against jemalloc's default (the target), jemalloc with one arena
 * and no tcache, glibc; and `<case>_cpu`, the threads' CPU time per operation against jemalloc's
 * default (information: what the allocators cost when the machine has more runnable threads than
 * CPUs and the wall time is mostly waiting). Every allocator runs one untimed warm-up pass, then
 * timed passes (9 in full mode: 400,000 small or 2,500 large operations per thread each) in
 * rotating order; medians are reported. The heap's system has RAM to spare (no paging). */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jemalloc/jemalloc.h>

#include "umm.h"
#include "umm_heap.h"

#define PG ((size_t)4096)
#define MiB BENCH_MiB

/* glibc's allocator under its exported internal names (malloc itself is jemalloc here) */
extern void *__libc_malloc(size_t size);
extern void __libc_free(void *ptr);

void bench_alloc_prepare(char **argv)
{
    if (umm_heap_init() == UMM_OK)
        return;
    const char *t = getenv("GLIBC_TUNABLES");
    if (t && strstr(t, "glibc.rtld.optional_static_tls"))
        return; /* already tried: the cases report why */
    char buf[1024];
    snprintf(buf, sizeof buf, "%s%sglibc.rtld.optional_static_tls=4096", t ? t : "",
             t && *t ? ":" : "");
    setenv("GLIBC_TUNABLES", buf, 1);
    execv("/proc/self/exe", argv);
    fprintf(stderr, "bench: re-exec with GLIBC_TUNABLES failed: %s\n", strerror(errno));
}

/* ------------------------------------------------------------------ allocators */
enum { A_UMM, A_JE, A_JE_TCACHE, A_GLIBC, A_COUNT };
static const char *const k_alloc_name[A_COUNT] = {"umm heap", "jemalloc 1 arena no tcache",
                                                  "jemalloc default (tcache)", "glibc"};

typedef struct allocator {
    int kind;
    umm_heap_t *heap;
    unsigned arena;
} allocator_t;

static inline void *a_malloc(const allocator_t *a, size_t n)
{
    switch (a->kind) {
    case A_UMM: return umm_heap_malloc(a->heap, n);
    case A_JE: return mallocx(n, MALLOCX_ARENA(a->arena) | MALLOCX_TCACHE_NONE);
    case A_JE_TCACHE: return mallocx(n, 0);
    default: return __libc_malloc(n);
    }
}

static inline void a_free(const allocator_t *a, void *p)
{
    switch (a->kind) {
    case A_UMM: umm_heap_free(a->heap, p); break;
    case A_JE: dallocx(p, MALLOCX_TCACHE_NONE); break;
    case A_JE_TCACHE: dallocx(p, 0); break;
    default: __libc_free(p); break;
    }
}

static unsigned g_je_arena = UINT32_MAX; /* one plain-memory arena for the whole run */

static int je_arena(unsigned *out)
{
    if (g_je_arena == UINT32_MAX) {
        unsigned ind;
        size_t sz = sizeof ind;
        if (mallctl("arenas.create", &ind, &sz, NULL, 0) != 0) {
            fprintf(stderr, "bench: jemalloc arenas.create failed\n");
            return 1;
        }
        g_je_arena = ind;
    }
    *out = g_je_arena;
    return 0;
}

/* a umm system (RAM `ram`, paging file `pagefile`) with one process and one heap */
typedef struct heap_env {
    umm_system_t *sys;
    umm_process_t *proc;
    umm_heap_t *heap;
} heap_env_t;

static void heap_close(heap_env_t *h)
{
    if (h->heap)
        umm_heap_destroy(h->heap);
    if (h->proc)
        umm_process_destroy(h->proc);
    if (h->sys)
        umm_system_destroy(h->sys);
    memset(h, 0, sizeof *h);
}

static int heap_open(const bench_opts_t *o, size_t ram, size_t pagefile, unsigned flags,
                     heap_env_t *h)
{
    umm_config_t c = UMM_CONFIG_INIT;
    char path[4096];
    int rc;
    memset(h, 0, sizeof *h);
    c.ram_bytes = ram;
    c.page_size = PG;
    c.flags = flags;
    if (pagefile) {
        if (bench_scratch_path(o, "heap.pagefile", path, sizeof path))
            return 1;
        c.pagefile_path = path;
        c.pagefile_bytes = c.pagefile_max_bytes = pagefile;
    }
    bench_prewarm(ram);
    if ((rc = umm_system_create(&c, &h->sys)) != UMM_OK ||
        (rc = bench_guard_install(h->sys)) != UMM_OK ||
        (rc = umm_process_create(h->sys, &h->proc)) != UMM_OK ||
        (rc = umm_heap_create(h->proc, &h->heap)) != UMM_OK) {
        fprintf(stderr, "bench: umm heap set-up: %s%s%s\n", umm_strerror(rc),
                umm_heap_load_error() ? ": " : "",
                umm_heap_load_error() ? umm_heap_load_error() : "");
        heap_close(h);
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ workloads */
typedef struct wl {
    const allocator_t *a;
    int large;
    size_t slots, ops;
    uint64_t seed;
    size_t bad, nulls;
    uint64_t cpu_ns; /* the thread's CPU time over the workload */
} wl_t;

static inline uint64_t xs(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

typedef struct obj {
    char *p;
    size_t n;
    uint64_t tag;
} obj_t;

static size_t wl_size(wl_t *w, uint64_t r)
{
    if (!w->large)
        return 16 + (size_t)((r >> 24) % 497);
    /* log-uniform 64 KiB .. 4 MiB */
    double u = (double)((r >> 11) & 0xFFFFF) / (double)0x100000;
    return (size_t)(65536.0 * pow(64.0, u));
}

static void wl_body(void *arg)
{
    wl_t *w = arg;
    obj_t *s = calloc(w->slots, sizeof *s); /* bookkeeping: jemalloc (the program's malloc) */
    if (!s) {
        w->nulls++;
        return;
    }
    for (size_t i = 0; i < w->ops; i++) {
        uint64_t r = xs(&w->seed);
        obj_t *o = &s[r % w->slots];
        if (o->p) {
            w->bad += *(uint64_t *)(void *)o->p != o->tag ||
                      *(uint64_t *)(void *)(o->p + o->n - 8) != ~o->tag;
            a_free(w->a, o->p);
        }
        o->n = wl_size(w, r);
        o->p = a_malloc(w->a, o->n);
        if (!o->p) {
            w->nulls++;
            continue;
        }
        o->tag = r;
        *(uint64_t *)(void *)o->p = r;
        if (w->large)
            for (size_t k = PG; k + 8 <= o->n; k += PG)
                *(volatile uint64_t *)(void *)(o->p + k) = r;
        *(uint64_t *)(void *)(o->p + o->n - 8) = ~r;
    }
    for (size_t k = 0; k < w->slots; k++)
        if (s[k].p) {
            w->bad += *(uint64_t *)(void *)s[k].p != s[k].tag;
            a_free(w->a, s[k].p);
        }
    free(s);
}

static void *wl_thread(void *arg)
{
    wl_t *w = arg;
    uint64_t c0 = bench_thread_cpu_ns();
    if (bench_guarded(wl_body, w))
        w->nulls++;
    w->cpu_ns = bench_thread_cpu_ns() - c0;
    return NULL;
}

/* one pass of the workload on allocator a with `threads` threads: ns per operation, wall time
 * and the threads' CPU time (cpu_per_op may be NULL) */
static int wl_pass(const allocator_t *a, int large, int threads, size_t ops, uint64_t seed,
                   double *ns_per_op, double *cpu_per_op, size_t *bad)
{
    wl_t w[8];
    pthread_t th[8];
    int started = 0, rc = 0;
    for (int t = 0; t < threads; t++)
        w[t] = (wl_t){.a = a, .large = large, .slots = large ? 16 : 8192, .ops = ops,
                      .seed = (seed + (uint64_t)t) * 0x9E3779B97F4A7C15ull | 1};
    uint64_t t0 = bench_now_ns();
    for (int t = 0; t < threads; t++)
        if (pthread_create(&th[t], NULL, wl_thread, &w[t]) == 0)
            started++;
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    uint64_t t1 = bench_now_ns(), cpu = 0;
    for (int t = 0; t < threads; t++) {
        cpu += w[t].cpu_ns;
        *bad += w[t].bad;
        if (w[t].nulls)
            rc = 1;
    }
    if (started < threads)
        rc = 1;
    if (rc)
        fprintf(stderr, "bench: allocator workload on %s failed (allocation failure or "
                        "exception)\n", k_alloc_name[a->kind]);
    *ns_per_op = (double)(t1 - t0) / ((double)ops * threads);
    if (cpu_per_op)
        *cpu_per_op = (double)cpu / ((double)ops * threads);
    return rc;
}

static int alloc_case(const bench_opts_t *o, const char *name, int large, int threads,
                      bench_result_t *rows, int max)
{
    heap_env_t h;
    allocator_t a[A_COUNT];
    double v[A_COUNT][BENCH_MAX_REPS], cpu[A_COUNT][BENCH_MAX_REPS];
    size_t bad = 0;
    /* full mode: many short passes (the machine's speed drifts between seconds; a median of
     * nine interleaved passes is steadier than five long ones) */
    int reps = o->quick ? o->reps : (o->reps < 9 ? 9 : o->reps), rc = 0;
    size_t ops = large ? (o->quick ? 100 : 2500) : (o->quick ? 10000 : 400000);
    bench_check_t chk = {1, ""};
    if (max < 4)
        return 0;
    if (heap_open(o, o->quick ? 32 * MiB : 512 * MiB, 0, 0, &h))
        return 0;
    for (int k = 0; k < A_COUNT; k++)
        a[k] = (allocator_t){.kind = k, .heap = h.heap};
    if (je_arena(&a[A_JE].arena)) {
        heap_close(&h);
        return 0;
    }
    umm_stats_t s0, s1;
    umm_stats_get(h.sys, &s0);
    for (int k = 0; k < A_COUNT && !rc; k++) { /* warm-up */
        double x;
        rc = wl_pass(&a[k], large, threads, ops / 4 + 1, 99, &x, NULL, &bad);
    }
    for (int r = 0; r < reps && !rc; r++)
        for (int j = 0; j < A_COUNT && !rc; j++) {
            int k = (j + r) % A_COUNT;
            rc = wl_pass(&a[k], large, threads, ops, (uint64_t)r + 1, &v[k][r], &cpu[k][r], &bad);
        }
    if (bad)
        bench_check_fail(&chk, "%s: %zu objects lost their contents", name, bad);
    if (!rc && umm_stats_get(h.sys, &s1) == UMM_OK)
        printf("#   %s: umm heap faults over the case: %" PRIu64 " (demand-zero %" PRIu64
               " pages, access-bit %" PRIu64 ", dirty-bit %" PRIu64 ", soft %" PRIu64
               "), balancer passes %" PRIu64 ", pages aged %" PRIu64 "\n",
               name, s1.faults_total - s0.faults_total,
               s1.faults_demand_zero - s0.faults_demand_zero,
               s1.faults_access_bit - s0.faults_access_bit,
               s1.faults_dirty_bit - s0.faults_dirty_bit,
               s1.faults_transition - s0.faults_transition, s1.balancer_passes - s0.balancer_passes,
               s1.pages_aged - s0.pages_aged);
    umm_heap_stats_t hs;
    if (!rc && umm_heap_stats(h.heap, &hs) == UMM_OK && o->verbose)
        printf("#   %s: umm heap after: allocated %" PRIu64 ", committed %" PRIu64
               " B, reserved %" PRIu64 " B in %" PRIu64 " reservations\n",
               name, hs.allocated, hs.committed, hs.reserved, hs.reservations);
    int crc = umm_check(h.sys);
    if (crc != UMM_OK)
        bench_check_fail(&chk, "%s: umm_check returned %s", name, umm_error_name(crc));
    heap_close(&h);
    double m[A_COUNT] = {0}, mc[A_COUNT] = {0};
    if (!rc)
        for (int k = 0; k < A_COUNT; k++) {
            m[k] = bench_median(v[k], reps);
            mc[k] = bench_median(cpu[k], reps);
        }
    rows[0] = bench_row(name, "ns/op", m[A_UMM], m[A_JE_TCACHE], 1.10, 0, 0, !rc, chk.ok);
    rows[1] = bench_row(bench_strf("%s_vs_jemalloc_1arena_notcache", name), "ns/op", m[A_UMM],
                        m[A_JE], 0, 0, 0, !rc, chk.ok);
    rows[2] = bench_row(bench_strf("%s_vs_glibc", name), "ns/op", m[A_UMM], m[A_GLIBC], 0, 0, 0,
                        !rc, chk.ok);
    /* the threads' CPU time per operation: on a machine with more runnable threads than CPUs the
     * wall time is mostly waiting for a CPU, and this is what the allocator itself costs */
    rows[3] = bench_row(bench_strf("%s_cpu", name), "cpu ns/op", mc[A_UMM], mc[A_JE_TCACHE], 0, 0,
                        0, !rc, chk.ok);
    return 4;
}

int alloc_small_1t(const bench_opts_t *o, bench_result_t *rows, int max)
{
    return alloc_case(o, "alloc_small_1t", 0, 1, rows, max);
}
int alloc_small_2t(const bench_opts_t *o, bench_result_t *rows, int max)
{
    return alloc_case(o, "alloc_small_2t", 0, 2, rows, max);
}
int alloc_small_4t(const bench_opts_t *o, bench_result_t *rows, int max)
{
    return alloc_case(o, "alloc_small_4t", 0, 4, rows, max);
}
int alloc_large(const bench_opts_t *o, bench_result_t *rows, int max)
{
    return alloc_case(o, "alloc_large", 1, 1, rows, max);
}

/* ------------------------------------------------------------------ larger than RAM */
/* A heap of L = 4 x RAM live bytes (RAM 64 MiB, L 256 MiB; quick 4/16) in objects of 64 KiB..1 MiB,
 * every page tagged, then two passes over all objects in random order that check every page's
 * tag and rewrite it: umm with a paging file of 2 L pages it in and out. Baseline: the same
 * program on the plain jemalloc arena, which needs L of real memory (more than the budget).
 * Information: time (ms) and umm's fault breakdown. */
typedef struct big {
    const allocator_t *a;
    size_t live, nobj;
    char **p;
    size_t *n;
    size_t bad, nulls;
} big_t;

static void big_body(void *arg)
{
    big_t *b = arg;
    uint64_t s = 12345;
    size_t total = 0;
    for (b->nobj = 0; total < b->live; b->nobj++) {
        size_t n = (64 << 10) + (size_t)(xs(&s) % (960 << 10));
        n &= ~(PG - 1);
        b->n[b->nobj] = n;
        b->p[b->nobj] = a_malloc(b->a, n);
        if (!b->p[b->nobj]) {
            b->nulls++;
            return;
        }
        for (size_t k = 0; k < n; k += PG)
            *(uint64_t *)(void *)(b->p[b->nobj] + k) = (b->nobj << 20) + k / PG;
        total += n;
    }
    for (int pass = 1; pass <= 2; pass++)
        for (size_t j = 0; j < b->nobj; j++) {
            size_t i = (size_t)(xs(&s) % b->nobj);
            for (size_t k = 0; k < b->n[i]; k += PG) {
                uint64_t *w = (uint64_t *)(void *)(b->p[i] + k);
                uint64_t want = (i << 20) + k / PG;
                b->bad += (*w & 0xFFFFFFFFFFull) != want;
                *w = want | ((uint64_t)pass << 48) | (*w & 0xFFFF000000000000ull);
            }
        }
    for (size_t i = 0; i < b->nobj; i++)
        a_free(b->a, b->p[i]);
}

static int big_run(const allocator_t *a, size_t live, double *ms, size_t *bad)
{
    size_t cap = live / (64 << 10) + 2;
    big_t b = {.a = a, .live = live, .p = calloc(cap, sizeof(char *)),
               .n = calloc(cap, sizeof(size_t))};
    int rc = 1;
    if (b.p && b.n) {
        uint64_t t0 = bench_now_ns();
        rc = bench_guarded(big_body, &b) || b.nulls;
        *ms = (double)(bench_now_ns() - t0) / 1e6;
        *bad += b.bad;
    }
    free(b.p);
    free(b.n);
    return rc;
}

int alloc_larger_than_ram(const bench_opts_t *o, bench_result_t *rows, int max)
{
    const char *name = "alloc_larger_than_ram";
    size_t ram = o->quick ? 4 * MiB : 64 * MiB, live = 4 * ram;
    heap_env_t h;
    allocator_t a = {.kind = A_UMM}, j = {.kind = A_JE};
    double ms_u = 0, ms_j = 0;
    size_t bad = 0;
    bench_check_t chk = {1, ""};
    umm_stats_t s0, s1;
    if (max < 1 || je_arena(&j.arena))
        return 0;
    if (heap_open(o, ram, 2 * live, 0, &h))
        return 0;
    a.heap = h.heap;
    long long rss0 = bench_status_bytes("VmRSS");
    int rc = umm_stats_get(h.sys, &s0) != UMM_OK || big_run(&a, live, &ms_u, &bad) ||
             umm_stats_get(h.sys, &s1) != UMM_OK;
    long long rss1 = bench_status_bytes("VmRSS");
    if (!rc) {
#define D(f) (s1.f - s0.f)
        printf("#   %s: %zu MiB live in %zu MiB of RAM: %.0f ms; faults %" PRIu64
               ": demand-zero %" PRIu64 " pages, soft %" PRIu64 ", hard %" PRIu64
               " (pages in %" PRIu64 " in %" PRIu64 " reads), access-bit %" PRIu64
               ", dirty-bit %" PRIu64 "; pages out %" PRIu64 " in %" PRIu64
               " writes; paging file peak %" PRIu64 " MiB\n",
               name, live / MiB, ram / MiB, ms_u, D(faults_total), D(faults_demand_zero),
               D(faults_transition), D(faults_hard), D(pages_input), D(page_reads),
               D(faults_access_bit), D(faults_dirty_bit), D(pages_output), D(page_writes),
               s1.pagefile_peak * PG / MiB);
#undef D
        if (s1.faults_hard == s0.faults_hard)
            bench_check_fail(&chk, "%s: no hard faults with 4x RAM", name);
        if (s1.read_errors || s1.writer_errors || s1.faults_in_page_error)
            bench_check_fail(&chk, "%s: paging errors", name);
    }
    int crc = umm_check(h.sys);
    if (crc != UMM_OK)
        bench_check_fail(&chk, "%s: umm_check returned %s", name, umm_error_name(crc));
    heap_close(&h);
    if (!rc) {
        long long r0 = bench_status_bytes("VmRSS");
        rc = big_run(&j, live, &ms_j, &bad);
        long long r1 = bench_status_bytes("VmRSS");
        printf("#   %s: plain jemalloc arena: %.0f ms, VmRSS %+.0f MiB after the run (needs "
               "%zu MiB live: %zux the %zu MiB budget); umm run VmRSS %+.0f MiB\n",
               name, ms_j, (double)(r1 - r0) / MiB, live / MiB, live / ram, ram / MiB,
               (double)(rss1 - rss0) / MiB);
    }
    if (bad)
        bench_check_fail(&chk, "%s: %zu pages with a wrong tag", name, bad);
    rows[0] = bench_row(name, "ms", ms_u, ms_j, 0, 0, 0, !rc, chk.ok);
    return 1;
}
