/* bench_util.c - timing, medians, prewarm and the access loops shared by umm and baseline samples.
 * The loops live in their own translation unit so that umm memory and baseline memory are touched
 * by exactly the same machine code. */
#define _GNU_SOURCE
#include "bench.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
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
