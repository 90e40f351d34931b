/* SPDX-License-Identifier: MIT */
/* bench_hv.c - the hypervisor cases: nested demand-zero faults, ballooning, page sharing and a
 * short overcommitted run of three guests.
 *
 * Sizes: B = --mib (64 MiB; 4 in --quick), R = the RAM budget (4 B). Deterministic cases run the
 * host with UMM_HV_NO_WORKERS and the guests with UMM_CFG_NO_WORKERS, so that every counter
 * delta is exact and checked; the overcommit case runs everything with its workers. Guest paging
 * files and the host swap file live in the paging cases' scratch directory (a real disk). */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "umm.h"
#include "umm_hv.h"

#define PG ((size_t)4096)
#define RW (UMM_PROT_READ | UMM_PROT_WRITE)
#define MiB BENCH_MiB

static volatile uint64_t g_sink;

static long minor_faults(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : 0;
}

static int fail(const char *what, int rc)
{
    fprintf(stderr, "bench: %s: %s (%s)\n", what, umm_strerror(rc),
            umm_error_name(rc) ? umm_error_name(rc) : "?");
    return rc ? rc : 1;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

/* a whole page of words that depend only on `key` (never zero, not compressible) */
static void fill_page(uint64_t *p, uint64_t key)
{
    uint64_t s = mix64(key + 0x9E3779B97F4A7C15ull) | 1;
    for (size_t i = 0; i < PG / 8; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        p[i] = s;
    }
}

static int page_ok(const uint64_t *p, uint64_t key)
{
    uint64_t s = mix64(key + 0x9E3779B97F4A7C15ull) | 1;
    for (size_t i = 0; i < PG / 8; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        if (p[i] != s)
            return 0;
    }
    return 1;
}

static void expect_eq(bench_check_t *chk, const char *what, const char *counter, uint64_t got,
                      uint64_t want)
{
    if (got != want)
        bench_check_fail(chk, "%s: %s = %" PRIu64 ", expected %" PRIu64, what, counter, got, want);
}

/* ------------------------------------------------------------------ host and guests */
typedef struct hv_env {
    umm_hv_host_t *host;
    int n;
    umm_hv_guest_t *g[4];
    umm_system_t *sys[4];
    umm_process_t *proc[4];
    char *base[4];
    size_t bytes[4]; /* committed per guest */
} hv_env_t;

typedef struct hv_host_spec {
    size_t ram, swap;
    unsigned flags, policy_ms;
    const char *swap_name; /* scratch file for the host swap (NULL with swap 0) */
} hv_host_spec_t;

typedef struct hv_guest_spec {
    size_t ram, pagefile, commit;
    unsigned cluster, sys_flags, hv_flags, balance_ms;
} hv_guest_spec_t;

static void hv_close(hv_env_t *e)
{
    for (int i = e->n - 1; i >= 0; i--)
        if (e->g[i])
            umm_hv_guest_destroy(e->g[i]);
    if (e->host)
        umm_hv_host_destroy(e->host);
    memset(e, 0, sizeof *e);
}

static int hv_open_host(const bench_opts_t *o, const hv_host_spec_t *h, hv_env_t *e)
{
    umm_hv_host_config_t c = UMM_HV_HOST_CONFIG_INIT;
    char path[4096];
    memset(e, 0, sizeof *e);
    c.ram_bytes = h->ram;
    c.page_size = PG;
    c.swap_bytes = h->swap;
    c.flags = h->flags;
    if (h->policy_ms)
        c.policy_interval_ms = h->policy_ms;
    if (h->swap && h->swap_name) {
        if (bench_scratch_path(o, h->swap_name, path, sizeof path))
            return 1;
        c.swap_path = path;
    }
    bench_prewarm(h->ram);
    int rc = umm_hv_host_create(&c, &e->host);
    return rc == UMM_OK ? 0 : fail("umm_hv_host_create", rc);
}

/* a guest with one process holding `commit` bytes reserved and committed read-write */
static int hv_add_guest(const bench_opts_t *o, hv_env_t *e, const hv_guest_spec_t *s)
{
    umm_hv_guest_config_t c;
    umm_config_t sc = UMM_CONFIG_INIT;
    char path[4096], name[32];
    int i = e->n, rc;
    memset(&c, 0, sizeof c);
    sc.ram_bytes = s->ram;
    sc.page_size = PG;
    sc.cluster_pages = s->cluster ? s->cluster : 16;
    sc.flags = s->sys_flags;
    if (s->balance_ms)
        sc.balance_interval_ms = s->balance_ms;
    if (s->pagefile) {
        snprintf(name, sizeof name, "guest%d.pagefile", i);
        if (bench_scratch_path(o, name, path, sizeof path))
            return 1;
        sc.pagefile_path = path;
        sc.pagefile_bytes = sc.pagefile_max_bytes = s->pagefile;
    }
    snprintf(name, sizeof name, "g%d", i);
    c.sys = sc;
    c.flags = s->hv_flags;
    c.name = name;
    if ((rc = umm_hv_guest_create(e->host, &c, &e->g[i])) != UMM_OK)
        return fail("umm_hv_guest_create", rc);
    e->n++;
    e->sys[i] = umm_hv_guest_system(e->g[i]);
    e->bytes[i] = s->commit;
    if ((rc = bench_guard_install(e->sys[i])) != UMM_OK ||
        (rc = umm_process_create(e->sys[i], &e->proc[i])) != UMM_OK)
        return fail("guest process", rc);
    if (s->commit &&
        ((rc = umm_reserve(e->proc[i], s->commit, RW, (void **)&e->base[i])) != UMM_OK ||
         (rc = umm_commit(e->proc[i], e->base[i], s->commit, RW)) != UMM_OK))
        return fail("guest reserve/commit", rc);
    return 0;
}

static int gstats(umm_hv_guest_t *g, umm_hv_guest_stats_t *s)
{
    int rc = umm_hv_guest_stats(g, s);
    return rc == UMM_OK ? 0 : fail("umm_hv_guest_stats", rc);
}

static int hstats(umm_hv_host_t *h, umm_hv_host_stats_t *s)
{
    int rc = umm_hv_host_stats(h, s);
    return rc == UMM_OK ? 0 : fail("umm_hv_host_stats", rc);
}

static int sstats(umm_system_t *sys, umm_stats_t *s)
{
    int rc = umm_stats_get(sys, s);
    return rc == UMM_OK ? 0 : fail("umm_stats_get", rc);
}

static void check_sys(bench_check_t *chk, const char *what, umm_system_t *sys)
{
    int rc = umm_check(sys);
    if (rc != UMM_OK)
        bench_check_fail(chk, "%s: umm_check returned %s", what, umm_error_name(rc));
}

/* ---- guarded memory operations ---- */
typedef struct mem_op {
    char *base;
    size_t lo, hi;  /* pages */
    uint64_t salt;  /* content key: page index + salt */
    size_t bad;
} mem_op_t;

static void op_touch(void *arg)
{
    mem_op_t *m = arg;
    for (size_t i = m->lo; i < m->hi; i++)
        ((volatile char *)m->base)[i * PG] = 1;
}

static void op_fill(void *arg)
{
    mem_op_t *m = arg;
    for (size_t i = m->lo; i < m->hi; i++)
        fill_page((uint64_t *)(void *)(m->base + i * PG), i + m->salt);
}

static void op_verify(void *arg)
{
    mem_op_t *m = arg;
    for (size_t i = m->lo; i < m->hi; i++)
        m->bad += !page_ok((const uint64_t *)(const void *)(m->base + i * PG), i + m->salt);
}

/* ================================================================== 1. nested demand-zero */
/* A guest (host: UMM_HV_NO_WORKERS, guest: UMM_CFG_NO_WORKERS, RAM R) touches B of committed
 * memory, one byte per page, sequentially: each guest fault takes a zeroed guest frame and the
 * backend gives it a zero-filled host frame (nested_zero_fill; the host is fresh, so its frames
 * are zero without a memset: a guest's first touches). Baseline: the same in a plain umm
 * system with the same configuration. */
static int nested_dz(const bench_opts_t *o, unsigned cluster, int nested, double *ns_per_page,
                     bench_check_t *chk)
{
    const char *what = nested ? (cluster == 1 ? "hv_nested_demand_zero_single"
                                              : "hv_nested_demand_zero_clustered")
                              : (cluster == 1 ? "hv_nested_demand_zero_single (plain)"
                                              : "hv_nested_demand_zero_clustered (plain)");
    size_t n = o->bytes / PG;
    umm_stats_t a, b;
    umm_hv_guest_stats_t ga, gb;
    uint64_t t0 = 0, t1 = 0;
    int rc;
    hv_env_t e;
    umm_system_t *sys = NULL;
    umm_process_t *proc = NULL;
    char *base = NULL;
    memset(&e, 0, sizeof e);
    if (nested) {
        hv_host_spec_t h = {.ram = o->ram_bytes + 16 * MiB, .flags = UMM_HV_NO_WORKERS};
        hv_guest_spec_t g = {.ram = o->ram_bytes, .commit = o->bytes, .cluster = cluster,
                             .sys_flags = UMM_CFG_NO_WORKERS};
        if (hv_open_host(o, &h, &e) || hv_add_guest(o, &e, &g)) {
            hv_close(&e);
            return 1;
        }
        sys = e.sys[0];
        base = e.base[0];
        bench_prewarm(o->bytes);
    } else {
        umm_config_t c = UMM_CONFIG_INIT;
        c.ram_bytes = o->ram_bytes;
        c.page_size = PG;
        c.cluster_pages = cluster;
        c.flags = UMM_CFG_NO_WORKERS;
        bench_prewarm(o->ram_bytes + o->bytes);
        if ((rc = umm_system_create(&c, &sys)) != UMM_OK)
            return fail("umm_system_create", rc);
        if ((rc = bench_guard_install(sys)) != UMM_OK ||
            (rc = umm_process_create(sys, &proc)) != UMM_OK ||
            (rc = umm_reserve(proc, o->bytes, RW, (void **)&base)) != UMM_OK ||
            (rc = umm_commit(proc, base, o->bytes, RW)) != UMM_OK) {
            umm_system_destroy(sys);
            return fail("umm setup", rc);
        }
    }
    mem_op_t m = {.base = base, .lo = 0, .hi = n};
    rc = sstats(sys, &a) || (nested && gstats(e.g[0], &ga));
    long mf0 = minor_faults(), mf1 = 0;
    if (!rc) {
        t0 = bench_now_ns();
        rc = bench_guarded(op_touch, &m);
        t1 = bench_now_ns();
        mf1 = minor_faults();
    }
    if (!rc && !(rc = sstats(sys, &b) || (nested && gstats(e.g[0], &gb)))) {
        expect_eq(chk, what, "faults_demand_zero", b.faults_demand_zero - a.faults_demand_zero, n);
        expect_eq(chk, what, "faults_total", b.faults_total - a.faults_total,
                  (n + cluster - 1) / cluster);
        if (o->verbose)
            printf("#   %s: %ld kernel minor faults for %zu pages\n", what, mf1 - mf0, n);
        if (nested) {
            expect_eq(chk, what, "nested_zero_fill", gb.nested_zero_fill - ga.nested_zero_fill, n);
            if (o->verbose)
                printf("#   %s: nested zero_fill %" PRIu64 " remap %" PRIu64 " swap_in %" PRIu64
                       " cow_break %" PRIu64 "\n",
                       what, gb.nested_zero_fill - ga.nested_zero_fill,
                       gb.nested_remap - ga.nested_remap, gb.nested_swap_in - ga.nested_swap_in,
                       gb.nested_cow_break - ga.nested_cow_break);
        }
    }
    check_sys(chk, what, sys);
    if (nested) {
        hv_close(&e);
    } else {
        umm_process_destroy(proc);
        umm_system_destroy(sys);
    }
    *ns_per_page = (double)(t1 - t0) / (double)n;
    return rc;
}

int hv_nested_dz_single(const bench_opts_t *o, double *v, bench_check_t *c)
{
    return nested_dz(o, 1, 1, v, c);
}
int hv_nested_dz_clustered(const bench_opts_t *o, double *v, bench_check_t *c)
{
    return nested_dz(o, 16, 1, v, c);
}
int hv_plain_dz_single(const bench_opts_t *o, double *v, bench_check_t *c)
{
    return nested_dz(o, 1, 0, v, c);
}
int hv_plain_dz_clustered(const bench_opts_t *o, double *v, bench_check_t *c)
{
    return nested_dz(o, 16, 0, v, c);
}

/* ================================================================== 2. ballooning */
/* Free memory: guest RAM R (host R + 16 MiB, no sharing, no workers), R/8 written; the balloon
 * target set to half the guest's frames, then umm_hv_host_step until balloon_actual == target,
 * GiB/s of balloon growth (2^30 bytes). Baseline: what a KVM host does to discard ballooned guest
 * memory, madvise(MADV_DONTNEED) of each 4 KiB page of populated anonymous memory (QEMU discards
 * page by page), the same number of pages. */
static int balloon_until(hv_env_t *e, size_t target, uint64_t *ns, const char *what,
                         uint64_t *steps)
{
    umm_hv_guest_stats_t s;
    uint64_t t0 = bench_now_ns(), t1;
    *steps = 0;
    for (;;) {
        int rc = umm_hv_host_step(e->host);
        ++*steps;
        if (rc != UMM_OK)
            return fail("umm_hv_host_step", rc);
        if (gstats(e->g[0], &s))
            return 1;
        t1 = bench_now_ns();
        if (s.balloon_actual == target)
            break;
        if (t1 - t0 > 30000000000ull) {
            fprintf(stderr, "bench: %s: balloon at %" PRIu64 " of %zu pages after 30 s\n", what,
                    s.balloon_actual, target);
            return 1;
        }
    }
    *ns = t1 - t0;
    return 0;
}

int hv_balloon_inflate(const bench_opts_t *o, double *gibps, bench_check_t *chk)
{
    const char *what = "hv_balloon_inflate_GiBps";
    hv_env_t e;
    hv_host_spec_t h = {.ram = o->ram_bytes + 16 * MiB,
                        .flags = UMM_HV_NO_WORKERS | UMM_HV_NO_SHARING};
    hv_guest_spec_t g = {.ram = o->ram_bytes, .commit = o->ram_bytes / 8,
                         .sys_flags = UMM_CFG_NO_WORKERS};
    umm_hv_guest_stats_t a, b;
    uint64_t ns = 0, steps = 0;
    if (hv_open_host(o, &h, &e) || hv_add_guest(o, &e, &g)) {
        hv_close(&e);
        return 1;
    }
    mem_op_t m = {.base = e.base[0], .lo = 0, .hi = g.commit / PG, .salt = 1};
    size_t target = o->ram_bytes / PG / 2;
    int rc = bench_guarded(op_fill, &m) || gstats(e.g[0], &a);
    if (!rc && (rc = umm_hv_balloon_set_target(e.g[0], target)) != UMM_OK)
        rc = fail("umm_hv_balloon_set_target", rc);
    if (!rc)
        rc = balloon_until(&e, target, &ns, what, &steps);
    if (!rc && !(rc = gstats(e.g[0], &b))) {
        expect_eq(chk, what, "balloon_inflated", b.balloon_inflated - a.balloon_inflated, target);
        expect_eq(chk, what, "private_frames after", b.private_frames, g.commit / PG);
        if (o->verbose)
            printf("#   %s: %zu pages in %" PRIu64 " host steps, %.2f ms\n", what, target, steps,
                   (double)ns / 1e6);
        rc = bench_guarded(op_verify, &m);
        expect_eq(chk, what, "pages with wrong contents", m.bad, 0);
    }
    check_sys(chk, what, e.sys[0]);
    hv_close(&e);
    *gibps = ns ? (double)target * PG / (double)(1u << 30) / ((double)ns / 1e9) : 0;
    return rc;
}

int raw_madv_dontneed_pages(const bench_opts_t *o, double *gibps, bench_check_t *chk)
{
    size_t n = o->ram_bytes / PG / 2, bytes = n * PG;
    (void)chk;
    bench_prewarm(bytes);
    char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 1;
    madvise(p, bytes, MADV_NOHUGEPAGE);
    memset(p, 1, bytes);
    uint64_t t0 = bench_now_ns();
    for (size_t i = 0; i < n; i++)
        if (madvise(p + i * PG, PG, MADV_DONTNEED) != 0) {
            fprintf(stderr, "bench: madvise: %s\n", strerror(errno));
            munmap(p, bytes);
            return 1;
        }
    uint64_t t1 = bench_now_ns();
    munmap(p, bytes);
    *gibps = (double)bytes / (double)(1u << 30) / ((double)(t1 - t0) / 1e9);
    return 0;
}

/* Memory in use: guest RAM G = R/2 with a paging file of G, 7/8 of G written (unique, not
 * compressible), then the balloon target half the guest's frames: the guest must trim and write
 * about 7/16 of G to its paging file first (the balloon step runs the guest's balance pass when
 * it finds no free frames). MB/s (10^6) of balloon growth. Baseline (the guest's own paging
 * bandwidth): the same guest set-up, then umm_ws_empty + umm_flush_modified of all of it, MB/s of
 * pages written. Host and guest without workers. */
static int paging_setup(const bench_opts_t *o, hv_env_t *e, mem_op_t *m, size_t *gram)
{
    size_t g = o->ram_bytes / 2 < 16 * MiB ? 16 * MiB : o->ram_bytes / 2;
    hv_host_spec_t h = {.ram = g + 16 * MiB, .flags = UMM_HV_NO_WORKERS | UMM_HV_NO_SHARING};
    hv_guest_spec_t s = {.ram = g, .pagefile = g, .commit = g / 8 * 7,
                         .sys_flags = UMM_CFG_NO_WORKERS};
    *gram = g;
    if (hv_open_host(o, &h, e) || hv_add_guest(o, e, &s))
        return 1;
    *m = (mem_op_t){.base = e->base[0], .lo = 0, .hi = s.commit / PG, .salt = 7};
    return bench_guarded(op_fill, m);
}

int hv_balloon_inflate_paging(const bench_opts_t *o, double *mbps, bench_check_t *chk)
{
    const char *what = "hv_balloon_inflate_paging_MBps";
    hv_env_t e;
    mem_op_t m;
    size_t g = 0;
    uint64_t ns = 0, steps = 0;
    umm_stats_t a, b;
    int rc = paging_setup(o, &e, &m, &g);
    size_t target = g / PG / 2;
    if (!rc)
        rc = sstats(e.sys[0], &a);
    if (!rc && (rc = umm_hv_balloon_set_target(e.g[0], target)) != UMM_OK)
        rc = fail("umm_hv_balloon_set_target", rc);
    if (!rc)
        rc = balloon_until(&e, target, &ns, what, &steps);
    if (!rc && !(rc = sstats(e.sys[0], &b))) {
        uint64_t out = b.pages_output - a.pages_output;
        printf("#   %s: %zu pages ballooned in %.1f ms (%" PRIu64 " host steps); the guest wrote "
               "%" PRIu64 " pages (%.0f MB/s) in %" PRIu64 " writes, trimmed %" PRIu64 "\n",
               what, target, (double)ns / 1e6, steps, out,
               (double)out * PG / 1e6 / ((double)ns / 1e9), b.page_writes - a.page_writes,
               b.pages_trimmed - a.pages_trimmed);
        if (out == 0)
            bench_check_fail(chk, "%s: the guest paged nothing out", what);
        expect_eq(chk, what, "writer_errors", b.writer_errors - a.writer_errors, 0);
        rc = bench_guarded(op_verify, &m);
        expect_eq(chk, what, "pages with wrong contents", m.bad, 0);
    }
    if (e.host)
        check_sys(chk, what, e.sys[0]);
    hv_close(&e);
    *mbps = ns ? (double)target * PG / 1e6 / ((double)ns / 1e9) : 0;
    return rc;
}

int hv_guest_paging(const bench_opts_t *o, double *mbps, bench_check_t *chk)
{
    const char *what = "hv_balloon_inflate_paging_MBps (guest paging)";
    hv_env_t e;
    mem_op_t m;
    size_t g = 0;
    umm_stats_t a, b;
    uint64_t t0 = 0, t1 = 0;
    int rc = paging_setup(o, &e, &m, &g);
    if (!rc && !(rc = sstats(e.sys[0], &a))) {
        t0 = bench_now_ns();
        int r1 = umm_ws_empty(e.proc[0]), r2 = r1 == UMM_OK ? umm_flush_modified(e.sys[0]) : r1;
        t1 = bench_now_ns();
        if (r2 != UMM_OK)
            rc = fail("umm_ws_empty/umm_flush_modified", r2);
    }
    if (!rc && !(rc = sstats(e.sys[0], &b))) {
        expect_eq(chk, what, "pages_output", b.pages_output - a.pages_output, m.hi);
        *mbps = (double)(b.pages_output - a.pages_output) * PG / 1e6 / ((double)(t1 - t0) / 1e9);
    }
    if (e.host)
        check_sys(chk, what, e.sys[0]);
    hv_close(&e);
    return rc;
}

/* ================================================================== 3. sharing */
/* Scan rate: one guest of RAM R/2 with 3/4 of it written with distinct pages, one
 * umm_hv_share_scan over all its frames on this thread (nothing merges: every written page is
 * hashed, checked for zero and entered as a candidate), GiB of scanned pages per CPU-second of
 * the calling thread. Baseline: XXH3_64bits of the same pages (through the guest's mapping),
 * per CPU-second, right after. */
int hv_share_scan_rate(const bench_opts_t *o, double *umm_gibps, double *xxh3_gibps,
                       bench_check_t *chk)
{
    const char *what = "hv_share_scan_GiBps";
    size_t g = o->ram_bytes / 2 < 16 * MiB ? 16 * MiB : o->ram_bytes / 2;
    hv_env_t e;
    hv_host_spec_t h = {.ram = g + 16 * MiB, .flags = UMM_HV_NO_WORKERS};
    hv_guest_spec_t s = {.ram = g, .commit = g / 4 * 3, .sys_flags = UMM_CFG_NO_WORKERS};
    umm_hv_host_stats_t a, b;
    uint64_t merged = 0, c0 = 0, c1 = 0, c2 = 0, c3 = 0;
    if (hv_open_host(o, &h, &e) || hv_add_guest(o, &e, &s)) {
        hv_close(&e);
        return 1;
    }
    size_t n = s.commit / PG;
    mem_op_t m = {.base = e.base[0], .lo = 0, .hi = n, .salt = 11};
    int rc = bench_guarded(op_fill, &m) || hstats(e.host, &a);
    if (!rc) {
        c0 = bench_thread_cpu_ns();
        int r = umm_hv_share_scan(e.host, g / PG, &merged);
        c1 = bench_thread_cpu_ns();
        if (r != UMM_OK)
            rc = fail("umm_hv_share_scan", r);
    }
    if (!rc && !(rc = hstats(e.host, &b))) {
        expect_eq(chk, what, "scanned", b.scanned - a.scanned, n);
        expect_eq(chk, what, "merged", merged, 0);
        uint64_t x = 0;
        c2 = bench_thread_cpu_ns();
        for (size_t i = 0; i < n; i++)
            x += XXH3_64bits(e.base[0] + i * PG, PG);
        c3 = bench_thread_cpu_ns();
        g_sink += x;
        *umm_gibps = (double)n * PG / (double)(1u << 30) / ((double)(c1 - c0) / 1e9);
        *xxh3_gibps = (double)n * PG / (double)(1u << 30) / ((double)(c3 - c2) / 1e9);
    }
    check_sys(chk, what, e.sys[0]);
    hv_close(&e);
    return rc;
}

/* Saved: three guests of RAM R/4 (host: their sum + 16 MiB, no workers) each write the same
 * image of half their RAM (distinct pages, identical across guests: booted from one image), then
 * full scans over all guest frames until a pass merges nothing. saved / image pages written, in
 * %, against the ideal 2/3 (three copies of each page become one). The images are verified. */
int hv_share_saved(const bench_opts_t *o, double *pct, double *ideal_pct, bench_check_t *chk)
{
    const char *what = "hv_share_saved_pct";
    size_t g = o->ram_bytes / 4 < 8 * MiB ? 8 * MiB : o->ram_bytes / 4;
    hv_env_t e;
    hv_host_spec_t h = {.ram = 3 * g + 16 * MiB, .flags = UMM_HV_NO_WORKERS};
    hv_guest_spec_t s = {.ram = g, .commit = g / 2, .sys_flags = UMM_CFG_NO_WORKERS};
    umm_hv_host_stats_t hs;
    int rc = hv_open_host(o, &h, &e), passes = 0;
    for (int i = 0; i < 3 && !rc; i++)
        rc = hv_add_guest(o, &e, &s);
    size_t n = s.commit / PG;
    for (int i = 0; i < 3 && !rc; i++) {
        mem_op_t m = {.base = e.base[i], .lo = 0, .hi = n, .salt = 1000};
        rc = bench_guarded(op_fill, &m);
    }
    uint64_t merged = 1, total_merged = 0;
    while (!rc && merged && passes < 20) {
        int r = umm_hv_share_scan(e.host, 3 * g / PG, &merged);
        if (r != UMM_OK)
            rc = fail("umm_hv_share_scan", r);
        total_merged += merged;
        passes++;
    }
    if (!rc && !(rc = hstats(e.host, &hs))) {
        *pct = 100.0 * (double)hs.saved / (double)(3 * n);
        *ideal_pct = 100.0 * 2.0 / 3.0;
        if (o->verbose || passes >= 20)
            printf("#   %s: %d scan passes, merged %" PRIu64 ", saved %" PRIu64 " of %zu pages, "
                   "%" PRIu64 " shared frames\n",
                   what, passes, total_merged, hs.saved, 3 * n, hs.shared_frames);
        for (int i = 0; i < 3 && !rc; i++) {
            mem_op_t m = {.base = e.base[i], .lo = 0, .hi = n, .salt = 1000};
            rc = bench_guarded(op_verify, &m);
            expect_eq(chk, what, "image pages with wrong contents", m.bad, 0);
            check_sys(chk, what, e.sys[i]);
        }
    }
    hv_close(&e);
    return rc;
}

/* ================================================================== 4. overcommit */
/* Three guests on a host of H RAM (64 MiB; 12 in --quick), each guest RAM f x H / 3 for an
 * overcommit f of 1, 1.5, 2, 3, each with a paging file of its RAM; the host has a swap file of
 * f x H. A guest's process commits 3/4 of its RAM: an image of 1/4 (the same in every guest,
 * written once at boot, then idle) and a data set of 1/2 that its thread rewrites, whole pages
 * of incompressible words at random, for T seconds (3 s; 0.25 in --quick) once every guest has
 * booted. Figure: pages written per second by all guests together. "with": sharing and
 * ballooning on; "without": UMM_HV_NO_SHARING and UMM_HV_GUEST_NO_BALLOON (the host can still
 * compress and swap). Everything runs with its workers (host policy every 250 ms, scanner at its
 * defaults, guest balancers every 250 ms). Afterwards 1024 random pages of every guest (all of
 * them in --quick) are verified. */
#define OC_GUESTS 3

typedef struct oc_guest {
    char *base;
    size_t image, data; /* pages */
    uint32_t *version;
    uint64_t seed;
    atomic_uint_fast64_t ops;
    atomic_int *go, *stop;
    atomic_int booted;
    int failed;
    pthread_t th;
} oc_guest_t;

static uint64_t oc_key(const oc_guest_t *w, size_t page)
{
    if (page < w->image)
        return 0x1000000ull + page; /* the same in every guest */
    return ((uint64_t)(uintptr_t)w->base + page * PG) ^ ((uint64_t)w->version[page - w->image] << 44);
}

static void oc_body(void *arg)
{
    oc_guest_t *w = arg;
    for (size_t p = 0; p < w->image + w->data; p++)
        fill_page((uint64_t *)(void *)(w->base + p * PG), oc_key(w, p));
    atomic_store(&w->booted, 1);
    while (!atomic_load(w->go))
        usleep(1000);
    while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
        w->seed ^= w->seed << 13;
        w->seed ^= w->seed >> 7;
        w->seed ^= w->seed << 17;
        size_t d = (size_t)(w->seed % w->data);
        w->version[d]++;
        fill_page((uint64_t *)(void *)(w->base + (w->image + d) * PG), oc_key(w, w->image + d));
        atomic_fetch_add_explicit(&w->ops, 1, memory_order_relaxed);
    }
}

static void *oc_thread(void *arg)
{
    oc_guest_t *w = arg;
    if (bench_guarded(oc_body, w)) {
        w->failed = 1;
        atomic_store(&w->booted, 1);
    }
    return NULL;
}

/* every page (quick mode) or 1024 random pages of the guest (full mode: reading all of an
 * overcommitted guest back through host swap-ins would take longer than the run) */
static size_t g_oc_sample;

static void oc_verify(void *arg)
{
    oc_guest_t *w = arg;
    size_t total = w->image + w->data;
    uint64_t s = 0x2545F4914F6CDD1Dull;
    size_t n = g_oc_sample && g_oc_sample < total ? g_oc_sample : total;
    for (size_t k = 0; k < n; k++) {
        size_t p = n == total ? k : (size_t)(mix64(s + k) % total);
        w->failed += !page_ok((const uint64_t *)(const void *)(w->base + p * PG), oc_key(w, p));
    }
}

typedef struct oc_result {
    double pages_per_s, boot_s;
    umm_hv_host_stats_t hs;
    uint64_t balloon, guest_out, guest_hard;
} oc_result_t;

static int oc_run(const bench_opts_t *o, double f, int with, oc_result_t *r, bench_check_t *chk)
{
    size_t H = o->quick ? 12 * MiB : 64 * MiB;
    size_t gram = (size_t)(f * (double)H / OC_GUESTS) / MiB * MiB;
    double secs = o->quick ? 0.1 : 2.5;
    g_oc_sample = o->quick ? 0 : 1024;
    hv_env_t e;
    hv_host_spec_t h = {.ram = H, .swap = (size_t)(f * (double)H) + 16 * MiB,
                        .flags = with ? 0u : UMM_HV_NO_SHARING, .policy_ms = 250,
                        .swap_name = "hostswap"};
    hv_guest_spec_t s = {.ram = gram, .pagefile = gram, .commit = gram / 4 * 3,
                         .hv_flags = with ? 0u : UMM_HV_GUEST_NO_BALLOON, .balance_ms = 250};
    oc_guest_t w[OC_GUESTS];
    atomic_int go = 0, stop = 0;
    int rc = hv_open_host(o, &h, &e), started = 0;
    memset(w, 0, sizeof w);
    memset(r, 0, sizeof *r);
    for (int i = 0; i < OC_GUESTS && !rc; i++)
        rc = hv_add_guest(o, &e, &s);
    uint64_t t0 = bench_now_ns(), t1 = 0, t2 = 0, ops0 = 0, ops1 = 0;
    for (int i = 0; i < OC_GUESTS && !rc; i++) {
        w[i].base = e.base[i];
        w[i].image = gram / 4 / PG;
        w[i].data = gram / 2 / PG;
        w[i].version = calloc(w[i].data, sizeof *w[i].version);
        w[i].seed = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1);
        w[i].go = &go;
        w[i].stop = &stop;
        if (!w[i].version || pthread_create(&w[i].th, NULL, oc_thread, &w[i]) != 0)
            rc = 1;
        else
            started++;
    }
    for (int i = 0; i < started && !rc; i++)
        while (!atomic_load(&w[i].booted))
            usleep(2000);
    if (!rc) {
        t1 = bench_now_ns();
        for (int i = 0; i < OC_GUESTS; i++)
            ops0 += atomic_load(&w[i].ops);
        atomic_store(&go, 1);
        usleep((useconds_t)(secs * 1e6));
        for (int i = 0; i < OC_GUESTS; i++)
            ops1 += atomic_load(&w[i].ops);
        t2 = bench_now_ns();
    }
    atomic_store(&go, 1);
    atomic_store(&stop, 1);
    for (int i = 0; i < started; i++) {
        pthread_join(w[i].th, NULL);
        if (w[i].failed)
            rc = 1;
    }
    if (!rc) {
        r->pages_per_s = (double)(ops1 - ops0) / ((double)(t2 - t1) / 1e9);
        r->boot_s = (double)(t1 - t0) / 1e9;
        hstats(e.host, &r->hs);
        for (int i = 0; i < OC_GUESTS; i++) {
            umm_hv_guest_stats_t gs;
            umm_stats_t ss;
            if (!gstats(e.g[i], &gs))
                r->balloon += gs.balloon_actual;
            if (!sstats(e.sys[i], &ss)) {
                r->guest_out += ss.pages_output;
                r->guest_hard += ss.faults_hard;
                if (ss.writer_errors || ss.read_errors || ss.faults_in_page_error)
                    bench_check_fail(chk, "hv_overcommit %.1fx: guest %d paging errors", f, i);
            }
            if (bench_guarded(oc_verify, &w[i]))
                rc = 1;
            else if (w[i].failed)
                bench_check_fail(chk, "hv_overcommit %.1fx %s: guest %d: %d pages with wrong "
                                 "contents", f, with ? "with" : "without", i, w[i].failed);
        }
    }
    for (int i = 0; i < OC_GUESTS; i++)
        free(w[i].version);
    hv_close(&e);
    return rc;
}

int hv_overcommit(const bench_opts_t *o, bench_result_t *rows, int max)
{
    static const double k_quick[] = {2.0}, k_full[] = {1.0, 1.5, 2.0, 3.0};
    const double *fs = o->quick ? k_quick : k_full;
    int nf = o->quick ? 1 : 4, n = 0;
    oc_result_t res[4][2];
    FILE *csv = o->quick ? NULL : fopen("umm-bench-overcommit.csv", "w");
    if (csv)
        fprintf(csv, "overcommit,mode,pages_per_s,boot_s,host_swapped_out,host_compressed_out,"
                     "host_saved,balloon_pages,guest_pages_output,guest_hard_faults\n");
    printf("#   hv_overcommit: %-5s | %-7s | %12s | %6s | %9s | %9s | %7s | %8s | %9s | %9s\n", "f",
           "mode", "pages/s", "boot s", "h.swapout", "h.compr", "h.saved", "balloon", "g.pg_out",
           "g.hard");
    for (int k = 0; k < nf && n < max; k++) {
        bench_check_t chk = {1, ""};
        int ran = 1;
        for (int with = 1; with >= 0; with--) {
            oc_result_t *r = &res[k][with];
            if (oc_run(o, fs[k], with, r, &chk)) {
                ran = 0;
                continue;
            }
            printf("#   hv_overcommit: %4.1fx | %-7s | %12.0f | %6.2f | %9" PRIu64 " | %9" PRIu64
                   " | %7" PRIu64 " | %8" PRIu64 " | %9" PRIu64 " | %9" PRIu64 "\n",
                   fs[k], with ? "with" : "without", r->pages_per_s, r->boot_s,
                   r->hs.swapped_out, r->hs.compressed_out, r->hs.saved, r->balloon,
                   r->guest_out, r->guest_hard);
            fflush(stdout);
            if (csv)
                fprintf(csv, "%.1f,%s,%.0f,%.3f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                             ",%" PRIu64 ",%" PRIu64 "\n",
                        fs[k], with ? "with" : "without", r->pages_per_s, r->boot_s,
                        r->hs.swapped_out, r->hs.compressed_out, r->hs.saved, r->balloon,
                        r->guest_out, r->guest_hard);
        }
        rows[n++] = bench_row(bench_strf("hv_overcommit_%.1fx_pages_per_s", fs[k]), "pages/s",
                              res[k][1].pages_per_s, res[k][0].pages_per_s, 0, 1, 0, ran, chk.ok);
    }
    if (csv) {
        fclose(csv);
        bench_run_plot("plot_overcommit.py", "umm-bench-overcommit.csv",
                       "umm-bench-overcommit.png");
    }
    return n;
}

/* ------------------------------------------------------------------ uncooperative guest */
/* One 64 MiB guest (16 in --quick) on a 40 MiB host (10), 56 MiB committed and written, then
 * uniform random accesses (a quarter of them writes) to all of it, the guest balancing and the
 * host stepping every 512 accesses; without its balloon driver (the host must swap behind its
 * back) against with it (the guest pages by its own choice). Disk traffic of the random phase:
 * bytes and requests of the guest's paging file and the host swap (a hand-over counts as one
 * read and one write). Every page is verified at the end. */
typedef struct unco_result {
    double bytes, requests;
    uint64_t host_out, host_in, handed, dropped, guest_out, guest_in;
} unco_result_t;

static void unco_disk(hv_env_t *e, uint64_t sign, unco_result_t *r)
{
    umm_hv_guest_stats_t gs;
    umm_stats_t ss;
    if (gstats(e->g[0], &gs) || sstats(e->sys[0], &ss))
        return;
    double s = sign ? 1.0 : -1.0;
    uint64_t pages = gs.swapped_out + gs.swapped_in + 2 * gs.handed_over + ss.pages_output +
                     ss.pages_input;
    r->bytes += s * (double)(pages * PG);
    r->requests += s * (double)(gs.swapped_out + gs.swapped_in + 2 * gs.handed_over +
                                ss.page_writes + ss.page_reads);
    if (sign) {
        r->host_out = gs.swapped_out;
        r->host_in = gs.swapped_in;
        r->handed = gs.handed_over;
        r->dropped = gs.dropped;
        r->guest_out = ss.pages_output;
        r->guest_in = ss.pages_input;
    }
}

/* The random workload of the guest cases below, on guest 0: every page gets its word (write_all),
 * then 4n uniform random accesses, a quarter of them writes (ver[i] counts page i's); the guest
 * balances and the host steps every 512 pages or accesses. count_wrong: pages whose word is not
 * what was written last. */
static int write_all(hv_env_t *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ((volatile uint64_t *)(e->base[0] + i * PG))[i % 512] = mix64(i);
        if (i % 512 == 511 && (umm_balance(e->sys[0]) || umm_hv_host_step(e->host)))
            return 1;
    }
    return 0;
}

static int random_phase(hv_env_t *e, size_t n, uint32_t *ver)
{
    uint64_t seed = 0x5EEDull;
    for (size_t op = 0; op < 4 * n; op++) {
        seed = mix64(seed);
        size_t i = (size_t)(seed % n);
        volatile uint64_t *w = (volatile uint64_t *)(e->base[0] + i * PG) + i % 512;
        if ((seed >> 60) < 4)
            *w = mix64(i + ((uint64_t)++ver[i] << 32));
        else
            g_sink += *w;
        if (op % 512 == 511 && (umm_balance(e->sys[0]) || umm_hv_host_step(e->host)))
            return 1;
    }
    return 0;
}

static size_t count_wrong(hv_env_t *e, size_t n, const uint32_t *ver)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += ((volatile uint64_t *)(e->base[0] + i * PG))[i % 512] !=
               (ver[i] ? mix64(i + ((uint64_t)ver[i] << 32)) : mix64(i));
    return bad;
}

static int unco_run(const bench_opts_t *o, int balloon, unco_result_t *r, bench_check_t *chk)
{
    size_t H = o->quick ? 10 * MiB : 40 * MiB, G = o->quick ? 16 * MiB : 64 * MiB;
    hv_env_t e;
    hv_host_spec_t h = {.ram = H, .swap = 2 * G, .flags = UMM_HV_NO_WORKERS | UMM_HV_NO_SHARING,
                        .swap_name = "hostswap"};
    hv_guest_spec_t s = {.ram = G, .pagefile = G, .commit = G / 8 * 7,
                         .sys_flags = UMM_CFG_NO_WORKERS,
                         .hv_flags = balloon ? 0u : UMM_HV_GUEST_NO_BALLOON};
    memset(r, 0, sizeof *r);
    int rc = hv_open_host(o, &h, &e);
    if (!rc)
        rc = hv_add_guest(o, &e, &s);
    size_t n = s.commit / PG;
    uint32_t *ver = rc ? NULL : calloc(n, sizeof *ver);
    if (!rc && !ver)
        rc = 1;
    if (!rc)
        rc = write_all(&e, n);
    if (!rc)
        unco_disk(&e, 0, r);
    if (!rc)
        rc = random_phase(&e, n, ver);
    if (!rc) {
        unco_disk(&e, 1, r);
        size_t bad = count_wrong(&e, n, ver);
        if (bad)
            bench_check_fail(chk, "hv_uncooperative %s: %zu pages with wrong contents",
                             balloon ? "ballooned" : "uncooperative", bad);
    }
    free(ver);
    hv_close(&e);
    return rc;
}

int hv_uncooperative(const bench_opts_t *o, bench_result_t *rows, int max)
{
    int reps = o->reps > 0 ? o->reps : 1, ran = 1;
    double b[2][16], q[2][16];
    bench_check_t chk = {1, ""};
    if (reps > 16)
        reps = 16;
    for (int k = 0; k < reps; k++)
        for (int balloon = 0; balloon < 2; balloon++) {
            unco_result_t r;
            if (unco_run(o, balloon, &r, &chk)) {
                ran = 0;
                continue;
            }
            b[balloon][k] = r.bytes;
            q[balloon][k] = r.requests;
            printf("#   hv_uncooperative: %-11s | disk MiB %8.1f | requests %8.0f | host out %6"
                   PRIu64 " in %6" PRIu64 " handed %6" PRIu64 " dropped %6" PRIu64
                   " | guest out %6" PRIu64 " in %6" PRIu64 "\n",
                   balloon ? "ballooned" : "no balloon", r.bytes / (double)MiB, r.requests,
                   r.host_out, r.host_in, r.handed, r.dropped, r.guest_out, r.guest_in);
            fflush(stdout);
        }
    int n = 0;
    if (n < max)
        rows[n++] = bench_row("hv_uncooperative_disk_bytes", "MiB",
                              bench_median(b[0], reps) / (double)MiB,
                              bench_median(b[1], reps) / (double)MiB, 1.10, 0, 0, ran, chk.ok);
    if (n < max)
        rows[n++] = bench_row("hv_uncooperative_io_requests", "requests", bench_median(q[0], reps),
                              bench_median(q[1], reps), 1.10, 0, 0, ran, chk.ok);
    return n;
}

/* ------------------------------------------------------------------ ballooned vs small guest */
/* The same workload (40 MiB committed and written, then uniform random accesses to all of it, a
 * quarter of them writes, the guest balancing and the host stepping every 512; one seed) on a
 * 64 MiB guest whose balloon was inflated to 32 MiB first and on a guest booted with 32 MiB
 * (16 / 8 / 10 in --quick), on the same 128 MiB host (no host pressure: only the guest differs).
 * Soft faults and pages written of the whole run, ballooned / small: a ballooned guest should
 * behave as one booted small (issue 19: <= 1.2 and <= 1.02). Every page is verified. */
typedef struct small_result {
    double soft, written;
} small_result_t;

static int small_run(const bench_opts_t *o, int ballooned, small_result_t *r, bench_check_t *chk)
{
    size_t S = o->quick ? 8 * MiB : 32 * MiB, W = S / 4 * 5;
    hv_env_t e;
    hv_host_spec_t h = {.ram = 4 * S, .flags = UMM_HV_NO_WORKERS | UMM_HV_NO_SHARING};
    hv_guest_spec_t s = {.ram = ballooned ? 2 * S : S, .pagefile = 2 * S, .commit = W,
                         .sys_flags = UMM_CFG_NO_WORKERS};
    int rc = hv_open_host(o, &h, &e);
    if (!rc)
        rc = hv_add_guest(o, &e, &s);
    if (!rc && ballooned) {
        rc = umm_hv_balloon_set_target(e.g[0], S / PG) != UMM_OK;
        umm_hv_guest_stats_t gs = {0};
        for (int k = 0; !rc && k < 1000 && gs.balloon_actual < S / PG; k++)
            rc = umm_hv_host_step(e.host) != UMM_OK || gstats(e.g[0], &gs);
        if (!rc && gs.balloon_actual < S / PG)
            rc = fail("balloon_until", UMM_E_NO_FRAMES);
    }
    size_t n = W / PG;
    uint32_t *ver = rc ? NULL : calloc(n, sizeof *ver);
    if (!rc && !ver)
        rc = 1;
    if (!rc)
        rc = write_all(&e, n) || random_phase(&e, n, ver);
    umm_stats_t ss;
    if (!rc && !(rc = sstats(e.sys[0], &ss))) {
        r->soft = (double)ss.faults_transition;
        r->written = (double)ss.pages_output;
        size_t bad = count_wrong(&e, n, ver);
        if (bad)
            bench_check_fail(chk, "hv_ballooned_as_small %s: %zu pages with wrong contents",
                             ballooned ? "ballooned" : "small", bad);
    }
    free(ver);
    hv_close(&e);
    return rc;
}

int hv_ballooned_as_small(const bench_opts_t *o, bench_result_t *rows, int max)
{
    int reps = o->reps > 0 ? o->reps : 1, ran = 1;
    double soft[2][16], written[2][16];
    bench_check_t chk = {1, ""};
    if (reps > 16)
        reps = 16;
    for (int k = 0; k < reps; k++)
        for (int ballooned = 0; ballooned < 2; ballooned++) {
            small_result_t r = {0, 0};
            if (small_run(o, ballooned, &r, &chk)) {
                ran = 0;
                continue;
            }
            soft[ballooned][k] = r.soft;
            written[ballooned][k] = r.written;
            printf("#   hv_ballooned_as_small: %-9s | soft faults %8.0f | pages written %8.0f\n",
                   ballooned ? "ballooned" : "small", r.soft, r.written);
            fflush(stdout);
        }
    int n = 0;
    if (n < max)
        rows[n++] = bench_row("hv_ballooned_as_small_soft_faults", "faults",
                              bench_median(soft[1], reps), bench_median(soft[0], reps), 1.20, 0, 0,
                              ran, chk.ok);
    if (n < max)
        rows[n++] = bench_row("hv_ballooned_as_small_pages_written", "pages",
                              bench_median(written[1], reps), bench_median(written[0], reps), 1.02,
                              0, 0, ran, chk.ok);
    return n;
}
