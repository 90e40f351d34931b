/* SPDX-License-Identifier: MIT */
/* bench_raw.c - baselines on plain Linux memory: what the same access costs without umm.
 *
 * The two SIGSEGV baselines install their own handler with sigaction for the timed touch only and
 * restore the previous one right after. They run only while no umm system exists (every umm sample
 * destroys its system before returning), so they never displace umm's handler. */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RW (PROT_READ | PROT_WRITE)

enum raw_mode { RAW_MMAP_FRAME, RAW_MPROTECT };

/* what the raw handler needs; written before the handler is installed */
static struct {
    char *base;
    size_t len, page;
    int mode, fd;
    volatile int err;
    sigjmp_buf jb;
    struct sigaction old;
} g_raw;

/* The handler is the floor umm's own handler is compared with: one mmap (a memfd frame at the
 * faulting page, offset = page index: contiguous frames) or one mprotect of the faulting page. */
static void raw_on_segv(int sig, siginfo_t *si, void *uc)
{
    int saved = errno;
    char *a = (char *)((uintptr_t)si->si_addr & ~(uintptr_t)(g_raw.page - 1));
    int bad;
    (void)sig;
    (void)uc;
    if (a < g_raw.base || a >= g_raw.base + g_raw.len) {
        sigaction(SIGSEGV, &g_raw.old, NULL); /* not ours: re-fault into the previous handler */
        errno = saved;
        return;
    }
    if (g_raw.mode == RAW_MMAP_FRAME)
        bad = mmap(a, g_raw.page, RW, MAP_SHARED | MAP_FIXED | MAP_POPULATE, g_raw.fd,
                   (off_t)(a - g_raw.base)) == MAP_FAILED;
    else
        bad = mprotect(a, g_raw.page, RW) != 0;
    if (bad) {
        g_raw.err = errno ? errno : EFAULT;
        siglongjmp(g_raw.jb, 1);
    }
    errno = saved;
}

/* touch every page of [p, p + n pages) under the raw handler; *ns = time of the touch loop */
static int raw_timed_touch(char *p, size_t n, int mode, int fd, uint64_t *ns)
{
    struct sigaction sa;
    int rc = 0;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = raw_on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    g_raw.page = bench_page_size();
    g_raw.base = p;
    g_raw.len = n * g_raw.page;
    g_raw.mode = mode;
    g_raw.fd = fd;
    g_raw.err = 0;
    if (sigaction(SIGSEGV, &sa, &g_raw.old) != 0)
        return errno;
    if (sigsetjmp(g_raw.jb, 1) == 0) {
        uint64_t t0 = bench_now_ns();
        bench_touch_pages(p, n, g_raw.page);
        *ns = bench_now_ns() - t0;
    } else {
        rc = g_raw.err;
    }
    sigaction(SIGSEGV, &g_raw.old, NULL);
    g_raw.base = NULL;
    g_raw.len = 0;
    return rc;
}

static char *map_anon(size_t bytes, int prot)
{
    char *p = mmap(NULL, bytes, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "bench: mmap of %zu bytes: %s\n", bytes, strerror(errno));
        return NULL;
    }
    madvise(p, bytes, MADV_NOHUGEPAGE); /* 4 KiB pages, like umm's */
    return p;
}

/* every touched page must now hold the byte the touch loop wrote */
static void check_touched(const char *p, size_t n, size_t page, bench_check_t *chk)
{
    for (size_t i = 0; i < n; i++)
        if (((const volatile char *)p)[i * page] != 1) {
            bench_check_fail(chk, "baseline: page %zu of %zu does not hold the written byte", i, n);
            return;
        }
}

/* case 1 baseline memory: malloc'd and pre-touched; THP off so that both sides use 4 KiB pages
 * (huge pages would change the TLB behaviour, not measure umm) */
uint64_t *raw_resident_buffer(size_t bytes)
{
    void *mem = NULL;
    if (posix_memalign(&mem, bench_page_size(), bytes) != 0) {
        fprintf(stderr, "bench: malloc of %zu bytes failed\n", bytes);
        return NULL;
    }
    madvise(mem, bytes, MADV_NOHUGEPAGE);
    memset(mem, 0, bytes);
    return mem;
}

static int new_populated_memfd(size_t bytes)
{
    int fd = memfd_create("umm-bench-frames", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if (ftruncate(fd, (off_t)bytes) != 0 || fallocate(fd, 0, 0, (off_t)bytes) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* case 2 baseline: SIGSEGV + mmap(MAP_FIXED|MAP_SHARED|MAP_POPULATE) of a pre-allocated memfd
 * frame at each faulting page, sequential addresses, contiguous frames (limits'
 * sigsegv_mmap_frame_seq_contig_populate) */
int raw_sigsegv_mmap_frame(const bench_opts_t *o, double *ns_per_page, bench_check_t *chk)
{
    size_t page = bench_page_size(), n = o->bytes / page;
    uint64_t ns = 0;
    bench_prewarm(o->bytes);
    int fd = new_populated_memfd(o->bytes);
    if (fd < 0) {
        fprintf(stderr, "bench: memfd of %zu bytes: %s\n", o->bytes, strerror(errno));
        return 1;
    }
    char *p = map_anon(o->bytes, PROT_NONE);
    if (!p) {
        close(fd);
        return 1;
    }
    int rc = raw_timed_touch(p, n, RAW_MMAP_FRAME, fd, &ns);
    if (rc)
        fprintf(stderr, "bench: raw mmap-frame handler failed: %s\n", strerror(rc));
    else
        check_touched(p, n, page, chk);
    munmap(p, o->bytes);
    close(fd);
    *ns_per_page = (double)ns / (double)n;
    return rc != 0;
}

/* guard_exception_cpu's baseline: the same, timed in the thread's CPU time */
int raw_sigsegv_mprotect_cpu(const bench_opts_t *o, double *ns_per_fault, bench_check_t *chk)
{
    bench_cpu_clock(true);
    int rc = raw_sigsegv_mprotect(o, ns_per_fault, chk);
    bench_cpu_clock(false);
    return rc;
}

/* case 3 baseline: the kernel's own demand-zero write fault on anonymous memory */
int raw_anon_demand_zero(const bench_opts_t *o, double *ns_per_page, bench_check_t *chk)
{
    size_t page = bench_page_size(), n = o->bytes / page;
    bench_prewarm(o->bytes);
    char *p = map_anon(o->bytes, RW);
    if (!p)
        return 1;
    uint64_t t0 = bench_now_ns();
    bench_touch_pages(p, n, page);
    uint64_t t1 = bench_now_ns();
    check_touched(p, n, page, chk);
    munmap(p, o->bytes);
    *ns_per_page = (double)(t1 - t0) / (double)n;
    return 0;
}

/* case 4 baseline: SIGSEGV + mprotect(page, RW) on populated pages made PROT_NONE (limits'
 * sigsegv_mprotect_seq_prepopulated): the signal round trip plus one protection change */
int raw_sigsegv_mprotect(const bench_opts_t *o, double *ns_per_fault, bench_check_t *chk)
{
    size_t page = bench_page_size(), n = o->bytes / page;
    uint64_t ns = 0;
    bench_prewarm(o->bytes);
    char *p = map_anon(o->bytes, RW);
    if (!p)
        return 1;
    memset(p, 2, o->bytes);
    if (mprotect(p, o->bytes, PROT_NONE) != 0) {
        fprintf(stderr, "bench: mprotect(PROT_NONE): %s\n", strerror(errno));
        munmap(p, o->bytes);
        return 1;
    }
    int rc = raw_timed_touch(p, n, RAW_MPROTECT, -1, &ns);
    if (rc)
        fprintf(stderr, "bench: raw mprotect handler failed: %s\n", strerror(rc));
    else
        check_touched(p, n, page, chk);
    munmap(p, o->bytes);
    *ns_per_fault = (double)ns / (double)n;
    return rc != 0;
}
