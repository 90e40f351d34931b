/* SPDX-License-Identifier: MIT */
/* bench_umm.c - the umm side of every case.
 *
 * Each sample creates its own system (untimed), measures one access pattern, verifies with the
 * fault counters (umm_stats_get deltas around the timed region) that the pattern caused exactly the
 * faults it claims, runs umm_check, and destroys the system again, so the raw baselines that follow
 * can install their own SIGSEGV handler. An exception handler turns a fault umm cannot resolve into
 * a failed sample instead of a crash. */
#define _GNU_SOURCE
#include "bench.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "umm.h"

#define RW (UMM_PROT_READ | UMM_PROT_WRITE)

typedef struct umm_env {
    umm_system_t *sys;
    umm_process_t *proc;
    char *base;
    size_t page, npages, bytes;
} umm_env_t;

/* the fault counters a sample checks (deltas) */
typedef struct fault_counts {
    uint64_t total, demand_zero, transition, hard, access_bit, dirty_bit, access_violation;
    uint64_t spurious, zeroed_in_fault, trimmed, vma_coalesce_runs;
} fault_counts_t;

static volatile uint64_t g_sink;

static int fail(const char *what, int rc)
{
    fprintf(stderr, "bench: %s: %s (%s)\n", what, umm_strerror(rc),
            umm_error_name(rc) ? umm_error_name(rc) : "?");
    return rc ? rc : 1;
}

static void env_close(umm_env_t *e)
{
    if (e->proc)
        umm_process_destroy(e->proc);
    if (e->sys)
        umm_system_destroy(e->sys);
    memset(e, 0, sizeof *e);
}

/* a system of o->ram_bytes with the given cluster size and UMM_CFG_* flags, one process, o->bytes
 * reserved and committed read-write */
static int env_open_flags(const bench_opts_t *o, unsigned cluster, unsigned flags, umm_env_t *e)
{
    umm_config_t cfg = UMM_CONFIG_INIT;
    cfg.flags = flags;
    int rc;
    memset(e, 0, sizeof *e);
    e->page = bench_page_size();
    e->bytes = o->bytes;
    e->npages = o->bytes / e->page;
    cfg.ram_bytes = o->ram_bytes;
    cfg.page_size = e->page;
    cfg.cluster_pages = cluster;
    bench_prewarm(o->ram_bytes + o->bytes); /* the pool is populated at create */
    if ((rc = umm_system_create(&cfg, &e->sys)) != UMM_OK)
        return fail("umm_system_create", rc);
    if ((rc = bench_guard_install(e->sys)) != UMM_OK ||
        (rc = umm_process_create(e->sys, &e->proc)) != UMM_OK ||
        (rc = umm_reserve(e->proc, o->bytes, RW, (void **)&e->base)) != UMM_OK ||
        (rc = umm_commit(e->proc, e->base, o->bytes, RW)) != UMM_OK) {
        env_close(e);
        return fail("umm setup (handler/process/reserve/commit)", rc);
    }
    return 0;
}

static int env_open(const bench_opts_t *o, unsigned cluster, umm_env_t *e)
{
    return env_open_flags(o, cluster, 0, e);
}

static int counts_get(umm_system_t *sys, fault_counts_t *c)
{
    umm_stats_t s;
    int rc = umm_stats_get(sys, &s);
    if (rc != UMM_OK)
        return fail("umm_stats_get", rc);
    *c = (fault_counts_t){s.faults_total, s.faults_demand_zero, s.faults_transition,
                          s.faults_hard, s.faults_access_bit, s.faults_dirty_bit,
                          s.faults_access_violation, s.faults_spurious, s.pages_zeroed_in_fault,
                          s.pages_trimmed, s.vma_coalesce_runs};
    return 0;
}

static fault_counts_t counts_delta(const fault_counts_t *a, const fault_counts_t *b)
{
    return (fault_counts_t){b->total - a->total, b->demand_zero - a->demand_zero,
                            b->transition - a->transition, b->hard - a->hard,
                            b->access_bit - a->access_bit, b->dirty_bit - a->dirty_bit,
                            b->access_violation - a->access_violation, b->spurious - a->spurious,
                            b->zeroed_in_fault - a->zeroed_in_fault, b->trimmed - a->trimmed,
                            b->vma_coalesce_runs - a->vma_coalesce_runs};
}

static void counts_print(const char *what, const fault_counts_t *d)
{
    printf("#   %s: faults_total=%" PRIu64 " demand_zero=%" PRIu64 " transition=%" PRIu64
           " hard=%" PRIu64 " access_bit=%" PRIu64 " dirty_bit=%" PRIu64 " av=%" PRIu64
           " spurious=%" PRIu64 " zeroed_in_fault=%" PRIu64 " trimmed=%" PRIu64
           " vma_coalesce_runs=%" PRIu64 "\n",
           what, d->total, d->demand_zero, d->transition, d->hard, d->access_bit, d->dirty_bit,
           d->access_violation, d->spurious, d->zeroed_in_fault, d->trimmed, d->vma_coalesce_runs);
}

static void expect(bench_check_t *chk, const char *what, const char *counter, uint64_t got,
                   uint64_t want)
{
    if (got != want)
        bench_check_fail(chk, "%s: %s = %" PRIu64 ", expected %" PRIu64, what, counter, got, want);
}

/* ---- the timed operations (run under the exception guard) ---- */
typedef void (*umm_op_fn)(const umm_env_t *e, int passes);

static void op_touch(const umm_env_t *e, int passes)
{
    (void)passes;
    bench_touch_pages(e->base, e->npages, e->page);
}

/* resident_access: passes alternate between umm memory and the baseline buffer (who goes first
 * alternates too), so both see the same memory bandwidth, which drifts by 10 % and more between
 * samples on this VM */
static struct {
    uint64_t *baseline;
    uint64_t ns_umm, ns_baseline;
} g_pair;

static void op_rmw_interleaved(const umm_env_t *e, int passes)
{
    for (int k = 0; k < passes; k++)
        for (int s = 0; s < 2; s++) {
            int on_umm = (s == 0) == !(k & 1);
            uint64_t t0 = bench_now_ns();
            g_sink += bench_rmw_pass(on_umm ? (uint64_t *)(void *)e->base : g_pair.baseline,
                                     e->bytes);
            uint64_t dt = bench_now_ns() - t0;
            *(on_umm ? &g_pair.ns_umm : &g_pair.ns_baseline) += dt;
        }
}

typedef struct timed_op {
    umm_op_fn op;
    const umm_env_t *e;
    int passes;
    uint64_t ns;
} timed_op_t;

static void run_timed(void *arg)
{
    timed_op_t *t = arg;
    uint64_t t0 = bench_now_ns();
    t->op(t->e, t->passes);
    t->ns = bench_now_ns() - t0;
}

/* run op with counters read before and after; *ns = time of op alone */
static int run_counted(const umm_env_t *e, umm_op_fn op, int passes, uint64_t *ns,
                       fault_counts_t *delta)
{
    fault_counts_t a, b;
    if (counts_get(e->sys, &a))
        return 1;
    timed_op_t t = {op, e, passes, 0};
    if (bench_guarded(run_timed, &t))
        return 1;
    if (counts_get(e->sys, &b))
        return 1;
    *ns = t.ns;
    *delta = counts_delta(&a, &b);
    return 0;
}

/* first touch of every page (untimed setup): must be one demand-zero fault per page */
static int populate(const umm_env_t *e, const char *what, bench_check_t *chk, int verbose)
{
    uint64_t ns;
    fault_counts_t d;
    if (run_counted(e, op_touch, 0, &ns, &d))
        return 1;
    if (verbose)
        counts_print("setup first touch", &d);
    expect(chk, what, "setup faults_demand_zero", d.demand_zero, e->npages);
    return 0;
}

static void check_and_close(umm_env_t *e, const char *what, bench_check_t *chk)
{
    int rc = umm_check(e->sys);
    if (rc != UMM_OK)
        bench_check_fail(chk, "%s: umm_check returned %s", what, umm_error_name(rc));
    env_close(e);
}

/* case 1: rewrite passes over resident umm pages, interleaved with the same passes over the
 * baseline buffer. No fault may happen in the timed region, so the figure is the cost of plain
 * loads and stores to umm memory (memfd MAP_SHARED frames). */
int umm_resident_access(const bench_opts_t *o, double *umm_ns_per_page, double *base_ns_per_page,
                        bench_check_t *chk)
{
    const char *what = "resident_access";
    umm_env_t e;
    uint64_t ns = 0;
    fault_counts_t d;
    if (env_open(o, 16, &e))
        return 1;
    size_t n = e.npages;
    int rc = populate(&e, what, chk, o->verbose);
    g_pair.baseline = rc ? NULL : raw_resident_buffer(o->bytes);
    if (!g_pair.baseline)
        rc = 1;
    if (!rc) /* untimed warm pass over both */
        rc = run_counted(&e, op_rmw_interleaved, 1, &ns, &d);
    g_pair.ns_umm = g_pair.ns_baseline = 0;
    if (!rc)
        rc = run_counted(&e, op_rmw_interleaved, o->passes, &ns, &d);
    if (!rc) {
        if (o->verbose)
            counts_print("timed passes", &d);
        expect(chk, what, "faults_total in the timed passes", d.total, 0);
    }
    free(g_pair.baseline);
    g_pair.baseline = NULL;
    check_and_close(&e, what, chk);
    *umm_ns_per_page = (double)g_pair.ns_umm / ((double)n * o->passes);
    *base_ns_per_page = (double)g_pair.ns_baseline / ((double)n * o->passes);
    return rc;
}

/* cases 2 and 3: sequential first-touch write of one byte per page; one fault per cluster */
static int demand_zero(const bench_opts_t *o, unsigned cluster, const char *what,
                       double *ns_per_page, bench_check_t *chk)
{
    umm_env_t e;
    uint64_t ns = 0;
    fault_counts_t d;
    if (env_open(o, cluster, &e))
        return 1;
    size_t n = e.npages;
    int rc = run_counted(&e, op_touch, 0, &ns, &d);
    if (!rc) {
        if (o->verbose)
            counts_print(what, &d);
        expect(chk, what, "faults_demand_zero", d.demand_zero, n);
        expect(chk, what, "faults_total", d.total, (n + cluster - 1) / cluster);
    }
    check_and_close(&e, what, chk);
    *ns_per_page = (double)ns / (double)n;
    return rc;
}

int umm_demand_zero_single(const bench_opts_t *o, double *ns_per_page, bench_check_t *chk)
{
    return demand_zero(o, 1, "demand_zero_single", ns_per_page, chk);
}

int umm_demand_zero_clustered(const bench_opts_t *o, double *ns_per_page, bench_check_t *chk)
{
    return demand_zero(o, 16, "demand_zero_clustered", ns_per_page, chk);
}

/* case 4: dirty pages taken out of the working set (Modified list, mapping kept PROT_NONE) and
 * written again: every re-touch must be one transition (soft) fault */
int umm_soft_fault(const bench_opts_t *o, double *ns_per_fault, bench_check_t *chk)
{
    const char *what = "soft_fault";
    umm_env_t e;
    uint64_t ns = 0;
    fault_counts_t a, b, d;
    if (env_open(o, 1, &e))
        return 1;
    size_t n = e.npages;
    int rc = populate(&e, what, chk, o->verbose);
    if (!rc && !(rc = counts_get(e.sys, &a))) {
        int erc = umm_ws_empty(e.proc);
        if (erc != UMM_OK)
            rc = fail("umm_ws_empty", erc);
    }
    if (!rc && !(rc = counts_get(e.sys, &b))) {
        d = counts_delta(&a, &b);
        expect(chk, what, "pages_trimmed by umm_ws_empty", d.trimmed, n);
        rc = run_counted(&e, op_touch, 0, &ns, &d);
    }
    if (!rc) {
        if (o->verbose)
            counts_print(what, &d);
        expect(chk, what, "faults_transition", d.transition, n);
        expect(chk, what, "faults_total", d.total, n);
    }
    check_and_close(&e, what, chk);
    *ns_per_fault = (double)ns / (double)n;
    return rc;
}

/* guard_exception: every page written (resident), then made a guard page with one umm_protect;
 * the touch loop takes one guard-page exception per page, which a vectored handler answers with
 * CONTINUE_EXECUTION. One fault per exception: the guard is cleared, the page made accessible
 * (one mprotect) and the exception dispatched, outside the signal handler by default or inside
 * it with UMM_CFG_EXCEPTIONS_IN_SIGNAL (`flags`). */
static umm_exception_action_t continue_on_guard(umm_exception_t *x, umm_context_t *c, void *ctx)
{
    (void)c;
    if (x->code != UMM_EXC_GUARD_PAGE)
        return UMM_EXC_CONTINUE_SEARCH;
    ++*(volatile uint64_t *)ctx;
    return UMM_EXC_CONTINUE_EXECUTION;
}

static int guard_exception(const bench_opts_t *o, unsigned flags, const char *what,
                           double *ns_per_exception, bench_check_t *chk)
{
    umm_env_t e;
    uint64_t ns = 0, calls = 0;
    fault_counts_t d;
    umm_vectored_handler_t *h = NULL;
    if (env_open_flags(o, 1, flags, &e))
        return 1;
    size_t n = e.npages;
    int rc = populate(&e, what, chk, o->verbose), erc;
    if (!rc && (erc = umm_protect(e.proc, e.base, e.bytes, RW | UMM_PROT_GUARD, NULL)) != UMM_OK)
        rc = fail("umm_protect(GUARD)", erc);
    if (!rc && (erc = umm_add_vectored_handler(e.sys, 1, continue_on_guard, &calls, &h)) != UMM_OK)
        rc = fail("umm_add_vectored_handler", erc);
    if (!rc)
        rc = run_counted(&e, op_touch, 0, &ns, &d);
    if (!rc) {
        if (o->verbose)
            counts_print(what, &d);
        expect(chk, what, "handler calls", calls, n);
        expect(chk, what, "faults_total", d.total, n);
    }
    if (h)
        umm_remove_vectored_handler(h);
    check_and_close(&e, what, chk);
    *ns_per_exception = (double)ns / (double)n;
    return rc;
}

int umm_guard_exception(const bench_opts_t *o, double *ns_per_exception, bench_check_t *chk)
{
    return guard_exception(o, 0, "guard_exception", ns_per_exception, chk);
}

int umm_guard_exception_cpu(const bench_opts_t *o, double *ns_per_exception, bench_check_t *chk)
{
    bench_cpu_clock(true);
    int rc = guard_exception(o, 0, "guard_exception_cpu", ns_per_exception, chk);
    bench_cpu_clock(false);
    return rc;
}

int umm_guard_exception_in_signal(const bench_opts_t *o, double *ns_per_exception,
                                  bench_check_t *chk)
{
    return guard_exception(o, UMM_CFG_EXCEPTIONS_IN_SIGNAL, "guard_exception_in_signal",
                           ns_per_exception, chk);
}
