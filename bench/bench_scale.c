/* SPDX-License-Identifier: MIT */
/* bench_scale.c - does a fault or a trim get dearer as umm manages more memory, and what does umm's
 * own bookkeeping cost per GiB managed.
 *
 * scale_reserve: a reservation of 1, 4, 16, 64 GiB (1, 4 in --quick), of which a fixed B (64 MiB; 4 in --quick) in
 *   its middle is committed and touched (cluster 1: one fault per page), then umm_ws_empty:
 *   demand-zero ns/page and trim ns/page per size. RAM = B + 32 MiB, no workers, no paging.
 * scale_commit: committed and touched memory of 64 MiB, 256 MiB, 1 GiB, 4 GiB (4, 16 MiB in
 *   --quick), RAM = that + 32 MiB (no paging), cluster 16, then umm_ws_empty: the same figures.
 *   (8 GiB does not fit the time budget: its pool alone takes seconds to populate and
 *   2 M clustered faults about 5 s; the curve up to 4 GiB shows the trend.)
 * Each row compares a size with the smallest one, measured in the same sample (the sizes run in
 * alternating order); the advisory target 1.25 means "flat". Both curves also go to
 * umm-bench-scaling.csv and, plotted, umm-bench-scaling.png (full mode).
 *
 * metadata_overhead: RssAnon growth (/proc/self/status) from before umm_system_create to after
 *   every committed page has been touched, per GiB of committed (managed) memory, against the
 *   budget of 0.5 % (5243 KiB per GiB); and the computed figure: PFN entry (24 B) x RAM frames +
 *   PTE (8 B) x (reserved pages + 2) + the boundary bitmap (1 bit per reserved page, in 64-bit
 *   words). RAM:committed 1:1 (RAM C) and 1:4 (RAM C/4, paging file C), C = 512 MiB (32 quick).
 *   The RAM pool itself is shared memory (RssShmem), the managed memory, not overhead. */
#define _GNU_SOURCE
#include "bench.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jemalloc/jemalloc.h>

#include "umm.h"

#define PG ((size_t)4096)
#define MiB BENCH_MiB
#define GiB ((size_t)1 << 30)
#define RW (UMM_PROT_READ | UMM_PROT_WRITE)
#define STR_(x) #x
#define STR(x) STR_(x)

static int fail(const char *what, int rc)
{
    fprintf(stderr, "bench: %s: %s (%s)\n", what, umm_strerror(rc),
            umm_error_name(rc) ? umm_error_name(rc) : "?");
    return rc ? rc : 1;
}

typedef struct touch_op {
    char *p;
    size_t n;
} touch_op_t;

static void op_touch(void *arg)
{
    touch_op_t *t = arg;
    bench_touch_pages(t->p, t->n, PG);
}

/* one point: reserve `reserve`, commit and touch `touch` bytes in its middle; ns/page of the
 * touch and of umm_ws_empty */
static int point(const bench_opts_t *o, size_t reserve, size_t touch, size_t ram, unsigned cluster,
                 double *dz_ns, double *trim_ns, bench_check_t *chk, const char *what)
{
    umm_config_t c = UMM_CONFIG_INIT;
    umm_system_t *sys = NULL;
    umm_process_t *proc = NULL;
    char *base = NULL;
    umm_stats_t a, b, d;
    size_t n = touch / PG;
    int rc;
    (void)o;
    c.ram_bytes = ram;
    c.page_size = PG;
    c.cluster_pages = cluster;
    c.flags = UMM_CFG_NO_WORKERS;
    if ((rc = umm_system_create(&c, &sys)) != UMM_OK)
        return fail("umm_system_create", rc);
    size_t off = (reserve - touch) / 2 & ~(UMM_RESERVE_GRANULARITY - 1);
    if ((rc = bench_guard_install(sys)) != UMM_OK ||
        (rc = umm_process_create(sys, &proc)) != UMM_OK ||
        (rc = umm_reserve(proc, reserve, RW, (void **)&base)) != UMM_OK ||
        (rc = umm_commit(proc, base + off, touch, RW)) != UMM_OK ||
        (rc = umm_stats_get(sys, &a)) != UMM_OK) {
        umm_system_destroy(sys);
        return fail("umm set-up (reserve/commit)", rc);
    }
    touch_op_t t = {base + off, n};
    uint64_t t0 = bench_now_ns();
    rc = bench_guarded(op_touch, &t);
    uint64_t t1 = bench_now_ns();
    if (!rc && (rc = umm_stats_get(sys, &b)) != UMM_OK)
        rc = fail("umm_stats_get", rc);
    uint64_t t2 = bench_now_ns();
    if (!rc && (rc = umm_ws_empty(proc)) != UMM_OK)
        rc = fail("umm_ws_empty", rc);
    uint64_t t3 = bench_now_ns();
    if (!rc && (rc = umm_stats_get(sys, &d)) != UMM_OK)
        rc = fail("umm_stats_get", rc);
    if (!rc) {
        if (b.faults_demand_zero - a.faults_demand_zero != n)
            bench_check_fail(chk, "%s: faults_demand_zero %" PRIu64 ", expected %zu", what,
                             b.faults_demand_zero - a.faults_demand_zero, n);
        if (d.pages_trimmed - b.pages_trimmed != n)
            bench_check_fail(chk, "%s: pages_trimmed %" PRIu64 ", expected %zu", what,
                             d.pages_trimmed - b.pages_trimmed, n);
        if (!o->quick || reserve <= GiB) { /* umm_check walks every reserved page */
            int crc = umm_check(sys);
            if (crc != UMM_OK)
                bench_check_fail(chk, "%s: umm_check returned %s", what, umm_error_name(crc));
        }
    }
    umm_process_destroy(proc);
    umm_system_destroy(sys);
    *dz_ns = (double)(t1 - t0) / (double)n;
    *trim_ns = (double)(t3 - t2) / (double)n;
    return rc;
}

static FILE *g_csv;
static int g_csv_curves;

static void csv_open(const bench_opts_t *o)
{
    if (o->quick || g_csv)
        return;
    g_csv = fopen("umm-bench-scaling.csv", "w");
    if (g_csv)
        fprintf(g_csv, "curve,bytes,demand_zero_ns_per_page,trim_ns_per_page\n");
}

static void csv_done(void)
{
    if (!g_csv || ++g_csv_curves < 2)
        return;
    fclose(g_csv);
    g_csv = NULL;
    bench_run_plot("plot_scaling.py", "umm-bench-scaling.csv",
                   "umm-bench-scaling.png");
}

static int curve(const bench_opts_t *o, const char *cname, const size_t *sizes, int ns,
                 int is_reserve, bench_result_t *rows, int max)
{
    double dz[8][BENCH_MAX_REPS], tr[8][BENCH_MAX_REPS];
    bench_check_t chk = {1, ""};
    int reps = o->reps > 3 ? 3 : o->reps, rc = 0, nrows = 0;
    for (int r = 0; r < reps && !rc; r++)
        for (int j = 0; j < ns && !rc; j++) {
            int k = (r & 1) ? ns - 1 - j : j;
            size_t touch = is_reserve ? o->bytes : sizes[k];
            size_t ram = touch + 32 * MiB;
            if (!is_reserve && r == 0 && sizes[k] < 2 * GiB)
                bench_prewarm(ram);
            rc = point(o, sizes[k], touch, ram, is_reserve ? 1 : 16, &dz[k][r], &tr[k][r], &chk,
                       cname);
        }
    double mdz[8], mtr[8];
    for (int k = 0; k < ns; k++) {
        mdz[k] = rc ? 0 : bench_median(dz[k], reps);
        mtr[k] = rc ? 0 : bench_median(tr[k], reps);
        printf("#   %s %6zu MiB: demand-zero %8.0f ns/page, trim %6.1f ns/page\n", cname,
               sizes[k] / MiB, mdz[k], mtr[k]);
        if (g_csv && !rc)
            fprintf(g_csv, "%s,%zu,%.1f,%.2f\n", is_reserve ? "reserved" : "committed", sizes[k],
                    mdz[k], mtr[k]);
    }
    csv_done();
    for (int k = 1; k < ns && nrows + 2 <= max; k++) {
        const char *sz = sizes[k] >= GiB ? bench_strf("%zuGiB", sizes[k] / GiB)
                                         : bench_strf("%zuMiB", sizes[k] / MiB);
        const char *s0 = sizes[0] >= GiB ? bench_strf("%zuGiB", sizes[0] / GiB)
                                         : bench_strf("%zuMiB", sizes[0] / MiB);
        rows[nrows++] = bench_row(bench_strf("%s_%s_demand_zero_vs_%s", cname, sz, s0),
                                  "ns/page", mdz[k], mdz[0], 1.25, 0, 1, !rc, chk.ok);
        rows[nrows++] = bench_row(bench_strf("%s_%s_trim_vs_%s", cname, sz, s0), "ns/page",
                                  mtr[k], mtr[0], 1.25, 0, 1, !rc, chk.ok);
    }
    return nrows;
}

int scale_reserve(const bench_opts_t *o, bench_result_t *rows, int max)
{
    static const size_t full[] = {1 * GiB, 4 * GiB, 16 * GiB, 64 * GiB};
    static const size_t quick[] = {1 * GiB, 4 * GiB};
    csv_open(o);
    return curve(o, "scale_reserve", o->quick ? quick : full, o->quick ? 2 : 4, 1, rows, max);
}

int scale_commit(const bench_opts_t *o, bench_result_t *rows, int max)
{
    static const size_t full[] = {64 * MiB, 256 * MiB, 1 * GiB, 4 * GiB};
    static const size_t quick[] = {4 * MiB, 16 * MiB};
    csv_open(o);
    return curve(o, "scale_commit", o->quick ? quick : full, o->quick ? 2 : 4, 0, rows, max);
}

/* ------------------------------------------------------------------ metadata overhead */
static int overhead(const bench_opts_t *o, size_t commit, size_t ram, double *measured_kib,
                    double *computed_kib, bench_check_t *chk, const char *what)
{
    umm_config_t c = UMM_CONFIG_INIT;
    umm_system_t *sys = NULL;
    umm_process_t *proc = NULL;
    char *base = NULL, path[4096];
    int rc;
    c.ram_bytes = ram;
    c.page_size = PG;
    c.flags = UMM_CFG_NO_WORKERS;
    if (ram < commit) {
        if (bench_scratch_path(o, "overhead.pagefile", path, sizeof path))
            return 1;
        c.pagefile_path = path;
        c.pagefile_bytes = c.pagefile_max_bytes = commit;
    }
    bench_prewarm(ram);
    /* umm's structures come from the program's malloc, which is jemalloc in umm-bench: purge
     * every arena's dirty pages first, or new structures reuse resident memory the earlier cases
     * freed and RssAnon does not grow */
    mallctl("arena." STR(MALLCTL_ARENAS_ALL) ".purge", NULL, NULL, NULL, 0);
    long long a0 = bench_status_bytes("RssAnon");
    if ((rc = umm_system_create(&c, &sys)) != UMM_OK)
        return fail("umm_system_create", rc);
    long long a1 = bench_status_bytes("RssAnon");
    if ((rc = bench_guard_install(sys)) != UMM_OK ||
        (rc = umm_process_create(sys, &proc)) != UMM_OK ||
        (rc = umm_reserve(proc, commit, RW, (void **)&base)) != UMM_OK ||
        (rc = umm_commit(proc, base, commit, RW)) != UMM_OK) {
        umm_system_destroy(sys);
        return fail("umm set-up", rc);
    }
    long long a2 = bench_status_bytes("RssAnon");
    touch_op_t t = {base, commit / PG};
    rc = bench_guarded(op_touch, &t);
    long long a3 = bench_status_bytes("RssAnon"), sh = bench_status_bytes("RssShmem");
    umm_stats_t s;
    if (!rc && umm_stats_get(sys, &s) == UMM_OK && s.faults_demand_zero != commit / PG)
        bench_check_fail(chk, "%s: faults_demand_zero %" PRIu64 ", expected %zu", what,
                         s.faults_demand_zero, commit / PG);
    int crc = umm_check(sys);
    if (crc != UMM_OK)
        bench_check_fail(chk, "%s: umm_check returned %s", what, umm_error_name(crc));
    umm_process_destroy(proc);
    umm_system_destroy(sys);
    size_t pages = commit / PG, frames = ram / PG;
    double computed = 24.0 * frames + 8.0 * (pages + 2) + 8.0 * (pages / 64 + 1);
    double per = (double)GiB / (double)commit / 1024.0; /* bytes -> KiB per GiB managed */
    printf("#   %s: RAM %zu MiB, committed %zu MiB: RssAnon +%.0f KiB at system create, "
           "+%.0f KiB at reserve+commit, +%.0f KiB after touching (total %.0f KiB; RssShmem "
           "%.0f MiB is the pool); computed: PFN %.0f + PTE %.0f + bitmap %.0f KiB\n",
           what, ram / MiB, commit / MiB, (double)(a1 - a0) / 1024, (double)(a2 - a1) / 1024,
           (double)(a3 - a2) / 1024, (double)(a3 - a0) / 1024, (double)sh / MiB,
           24.0 * frames / 1024, 8.0 * (pages + 2) / 1024, 8.0 * (pages / 64 + 1) / 1024);
    *measured_kib = (double)(a3 - a0) * per;
    *computed_kib = computed * per;
    return rc;
}

int metadata_overhead(const bench_opts_t *o, bench_result_t *rows, int max)
{
    size_t commit = o->quick ? 32 * MiB : 512 * MiB;
    const double budget = 0.005 * (double)GiB / 1024.0; /* 0.5 %: KiB per GiB */
    int n = 0;
    for (int k = 0; k < 2 && n + 2 <= max; k++) {
        const char *what = k ? "metadata_1to4" : "metadata_1to1";
        bench_check_t chk = {1, ""};
        double m = 0, cpt = 0;
        int rc = overhead(o, commit, k ? commit / 4 : commit, &m, &cpt, &chk, what);
        rows[n++] = bench_row(what, "KiB/GiB", m, budget, 1.0, 0, 0, !rc, chk.ok);
        rows[n++] = bench_row(bench_strf("%s_computed", what), "KiB/GiB", cpt, budget, 0, 0, 0,
                              !rc, chk.ok);
    }
    return n;
}
