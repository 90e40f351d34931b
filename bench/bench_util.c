/* SPDX-License-Identifier: MIT */
/* bench_util.c - timing, medians, prewarm and the access loops shared by umm and baseline samples.
 * The loops live in their own translation unit so that umm memory and baseline memory are touched
 * by exactly the same machine code. */
#define _GNU_SOURCE
#include "bench.h"
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* The clock bench_now_ns reads: wall clock, or this thread's CPU time (bench_cpu_clock). */
static clockid_t g_clock = CLOCK_MONOTONIC;

void bench_cpu_clock(bool on)
{
    g_clock = on ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC;
}

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(g_clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return (n & 1) ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

size_t bench_page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

void bench_prewarm(size_t bytes)
{
    size_t page = bench_page_size();
    char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return;
    madvise(p, bytes, MADV_NOHUGEPAGE);
    for (size_t i = 0; i < bytes; i += page)
        ((volatile char *)p)[i] = 1;
    munmap(p, bytes);
}

void bench_touch_pages(char *p, size_t npages, size_t page)
{
    for (size_t i = 0; i < npages; i++)
        ((volatile char *)p)[i * page] = 1;
}

uint64_t bench_rmw_pass(uint64_t *p, size_t bytes)
{
    uint64_t sum = 0;
    size_t words = bytes / sizeof *p;
    for (size_t i = 0; i < words; i += 64 / sizeof *p) {
        uint64_t v = p[i] + 1;
        p[i] = v;
        sum += v;
    }
    return sum;
}

void bench_check_fail(bench_check_t *chk, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(chk->why, sizeof chk->why, fmt, ap);
    va_end(ap);
    chk->ok = 0;
    printf("# WARNING: %s\n", chk->why);
    fflush(stdout);
}

/* ---- an exception guard for any thread (the hv and allocator cases run several threads) ---- */
#include <setjmp.h>
#include <string.h>

#include "umm.h"

static __thread sigjmp_buf *t_guard_jb;
static __thread volatile int t_guard_code, t_guard_error;
static __thread void *volatile t_guard_addr;

static umm_exception_action_t guard_on_exception(const umm_exception_t *x, void *ctx)
{
    (void)ctx;
    if (!t_guard_jb)
        return UMM_EXC_CONTINUE_SEARCH;
    t_guard_code = (int)x->code;
    t_guard_error = x->error;
    t_guard_addr = x->address;
    siglongjmp(*t_guard_jb, 1);
}

int bench_guard_install(struct umm_system *sys)
{
    return umm_set_exception_handler(sys, guard_on_exception, NULL);
}

int bench_guarded(void (*fn)(void *), void *arg)
{
    sigjmp_buf jb;
    if (sigsetjmp(jb, 1)) {
        t_guard_jb = NULL;
        fprintf(stderr, "bench: umm raised exception %d (error %s) at %p\n", t_guard_code,
                umm_error_name(t_guard_error) ? umm_error_name(t_guard_error) : "?",
                t_guard_addr);
        return 1;
    }
    t_guard_jb = &jb;
    fn(arg);
    t_guard_jb = NULL;
    return 0;
}

bench_result_t bench_row(const char *name, const char *unit, double umm, double baseline,
                         double target, int higher_better, int advisory, int ran, int verified)
{
    return (bench_result_t){.name = name, .unit = unit, .umm = umm, .baseline = baseline,
                            .target = target, .higher_better = higher_better,
                            .advisory = advisory, .ran = ran, .verified = verified};
}

uint64_t bench_thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

long long bench_status_bytes(const char *field)
{
    char line[256];
    size_t n = strlen(field);
    long long v = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            v = atoll(line + n + 1) * 1024;
            break;
        }
    fclose(f);
    return v;
}

const char *bench_strf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *s = strdup(buf);
    return s ? s : "?";
}

static int plot_failures; /* plots that could be made and failed (main's exit status) */

int bench_run_plot(const char *script, const char *csv, const char *png)
{
    cli_plot_t r = cli_plot("# umm-bench", script, csv, png);
    plot_failures += r == CLI_PLOT_FAILED;
    return r != CLI_PLOT_WRITTEN;
}

int bench_plot_failures(void)
{
    return plot_failures;
}

double bench_rollup_kib(const char *field)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    char line[256];
    double out = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            out = strtod(line + n + 1, NULL);
    if (f)
        fclose(f);
    return out;
}
