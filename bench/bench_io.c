/* SPDX-License-Identifier: MIT */
/* bench_io.c - a program's I/O on managed memory and the calls around it (issue 13):
 *
 *   io_pread_64k_paged_out: 64 KiB umm_io_read from a file in the page cache into buffers whose
 *     pages were all paged out (the helper reads into a bounce buffer, then gives the pages new
 *     frames holding the data, without reading their old contents back), against pread of the
 *     same file into plain, resident buffers.
 *   prefetch_random_touch: random reads of every page of a paged-out range (paging file O_DIRECT
 *     on a real disk) after umm_prefetch has read it ahead, against the same touches without
 *     prefetch; target <= 1/3 (>= 3x faster). The prefetch itself is not timed (asynchronous).
 *   write_watch_query_1GiB: umm_write_watch_get over a 1 GiB write-watched reservation with 1 %
 *     of its pages written, against a scan of one 8-byte word per page of a plain array (the
 *     walk's floor). Information.
 * Each sample runs both sides in the same process, one after the other. */
#define _GNU_SOURCE
#include "bench.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "umm.h"

#define IO_CHUNK ((size_t)64 << 10)

static umm_system_t *paging_system(const bench_opts_t *o, size_t ram, size_t pagefile,
                                   const char *pf_path, unsigned flags, umm_process_t **proc)
{
    umm_config_t c = UMM_CONFIG_INIT;
    c.ram_bytes = ram;
    c.pagefile_bytes = pagefile;
    c.pagefile_path = pf_path;
    c.flags = UMM_CFG_NO_WORKERS | flags;
    umm_system_t *sys = NULL;
    (void)o;
    if (umm_system_create(&c, &sys) != UMM_OK || umm_process_create(sys, proc) != UMM_OK) {
        fprintf(stderr, "bench_io: cannot create a system\n");
        if (sys)
            umm_system_destroy(sys);
        return NULL;
    }
    return sys;
}

static void page_out(umm_system_t *sys, umm_process_t *proc)
{
    umm_ws_empty(proc);
    umm_flush_modified(sys);
    umm_standby_purge(sys, 7, NULL);
}

static int data_file(size_t bytes)
{
    char path[] = "/tmp/umm_bench_io_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    unlink(path);
    char *b = malloc(IO_CHUNK);
    memset(b, 0x5a, IO_CHUNK);
    for (size_t off = 0; off < bytes; off += IO_CHUNK)
        if (pwrite(fd, b, IO_CHUNK, (off_t)off) != (ssize_t)IO_CHUNK) {
            close(fd);
            fd = -1;
            break;
        }
    free(b);
    return fd;
}

int io_pread_paged_out(const bench_opts_t *o, double *umm_ns, double *base_ns, bench_check_t *chk)
{
    size_t n = o->quick ? 32 : 256, bytes = n * IO_CHUNK; /* 16 MiB of buffers in 64 MiB RAM */
    umm_process_t *proc;
    umm_system_t *sys = paging_system(o, 64 * BENCH_MiB, 64 * BENCH_MiB, NULL, 0, &proc);
    int fd = data_file(IO_CHUNK * 16);
    if (!sys || fd < 0)
        return 1;
    char *buf, *plain = malloc(bytes);
    umm_reserve(proc, bytes, UMM_PROT_READ | UMM_PROT_WRITE, (void **)&buf);
    umm_commit(proc, buf, bytes, UMM_PROT_READ | UMM_PROT_WRITE);
    memset(buf, 1, bytes);
    memset(plain, 1, bytes);
    page_out(sys, proc);
    umm_stats_t s0, s1;
    umm_stats_get(sys, &s0);
    uint64_t t0 = bench_now_ns();
    for (size_t k = 0; k < n; k++) {
        size_t done;
        if (umm_io_read(proc, fd, buf + k * IO_CHUNK, IO_CHUNK, (int64_t)((k % 16) * IO_CHUNK), &done) != UMM_OK ||
            done != IO_CHUNK)
            bench_check_fail(chk, "umm_io_read failed");
    }
    uint64_t t1 = bench_now_ns();
    for (size_t k = 0; k < n; k++)
        if (pread(fd, plain + k * IO_CHUNK, IO_CHUNK, (off_t)((k % 16) * IO_CHUNK)) != (ssize_t)IO_CHUNK)
            bench_check_fail(chk, "pread failed");
    uint64_t t2 = bench_now_ns();
    umm_stats_get(sys, &s1);
    if (s1.io_reads_skipped - s0.io_reads_skipped != n * (IO_CHUNK / 4096) ||
        s1.pages_input != s0.pages_input)
        bench_check_fail(chk, "io_pread: %llu pages filled without a read, %llu read back",
                         (unsigned long long)(s1.io_reads_skipped - s0.io_reads_skipped),
                         (unsigned long long)(s1.pages_input - s0.pages_input));
    *umm_ns = (double)(t1 - t0) / (double)n;
    *base_ns = (double)(t2 - t1) / (double)n;
    close(fd);
    free(plain);
    umm_system_destroy(sys);
    return 0;
}

/* Read one byte of every page of [base, base + npages) in a random order; ns per page. */
static double touch_random(const char *base, size_t npages, uint64_t seed)
{
    size_t *order = malloc(npages * sizeof *order);
    for (size_t i = 0; i < npages; i++)
        order[i] = i;
    for (size_t i = npages; i > 1; i--) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        size_t j = (size_t)(seed >> 33) % i, t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    volatile char sink = 0;
    uint64_t t0 = bench_now_ns();
    for (size_t i = 0; i < npages; i++)
        sink ^= base[order[i] * 4096];
    uint64_t t1 = bench_now_ns();
    (void)sink;
    free(order);
    return (double)(t1 - t0) / (double)npages;
}

int io_prefetch_random(const bench_opts_t *o, double *umm_ns, double *base_ns, bench_check_t *chk)
{
    char pf[512];
    if (bench_scratch_path(o, "prefetch.pf", pf, sizeof pf))
        return 1;
    size_t bytes = o->quick ? 4 * BENCH_MiB : 32 * BENCH_MiB, npages = bytes / 4096;
    umm_process_t *proc;
    umm_system_t *sys = paging_system(o, 96 * BENCH_MiB, 128 * BENCH_MiB, pf, UMM_CFG_PAGEFILE_DIRECT, &proc);
    if (!sys)
        return 1;
    char *a, *b;
    umm_reserve(proc, bytes, UMM_PROT_READ | UMM_PROT_WRITE, (void **)&a);
    umm_reserve(proc, bytes, UMM_PROT_READ | UMM_PROT_WRITE, (void **)&b);
    umm_commit(proc, a, bytes, UMM_PROT_READ | UMM_PROT_WRITE);
    umm_commit(proc, b, bytes, UMM_PROT_READ | UMM_PROT_WRITE);
    memset(a, 3, bytes);
    memset(b, 3, bytes);
    page_out(sys, proc);
    umm_range_t r = {a, bytes};
    umm_process_stats_t p0, p1, p2;
    if (umm_prefetch(proc, &r, 1) != UMM_OK) /* no workers: read before the call returns */
        bench_check_fail(chk, "umm_prefetch failed");
    umm_process_stats_get(proc, &p0);
    *umm_ns = touch_random(a, npages, 7);
    umm_process_stats_get(proc, &p1);
    *base_ns = touch_random(b, npages, 7);
    umm_process_stats_get(proc, &p2);
    if (p1.faults_hard != p0.faults_hard)
        bench_check_fail(chk, "prefetch: %llu hard faults after prefetch",
                         (unsigned long long)(p1.faults_hard - p0.faults_hard));
    if (p2.faults_hard == p1.faults_hard)
        bench_check_fail(chk, "prefetch: the baseline took no hard fault");
    umm_system_destroy(sys);
    return 0;
}

int io_write_watch_query(const bench_opts_t *o, double *umm_us, double *base_us, bench_check_t *chk)
{
    size_t bytes = o->quick ? 64 * BENCH_MiB : (size_t)1 << 30, npages = bytes / 4096;
    umm_process_t *proc;
    umm_system_t *sys = paging_system(o, 64 * BENCH_MiB, bytes + 64 * BENCH_MiB, NULL, 0, &proc);
    if (!sys)
        return 1;
    char *w;
    if (umm_reserve_ex(proc, bytes, UMM_RESERVE_GRANULARITY, UMM_PROT_READ | UMM_PROT_WRITE,
                       UMM_MEM_WRITE_WATCH, (void **)&w) != UMM_OK ||
        umm_commit(proc, w, bytes, UMM_PROT_READ | UMM_PROT_WRITE) != UMM_OK) {
        fprintf(stderr, "bench_io: cannot commit %zu MiB\n", bytes >> 20);
        umm_system_destroy(sys);
        return 1;
    }
    for (size_t i = 0; i < npages; i += 100) /* 1 % */
        w[i * 4096] = 1;
    void **addrs = malloc(npages * sizeof *addrs);
    uint64_t *words = calloc(npages, sizeof *words);
    for (size_t i = 0; i < npages; i += 100)
        words[i] = 1;
    size_t count = npages;
    uint64_t t0 = bench_now_ns();
    if (umm_write_watch_get(proc, w, bytes, 0, addrs, &count, NULL) != UMM_OK)
        bench_check_fail(chk, "umm_write_watch_get failed");
    uint64_t t1 = bench_now_ns();
    size_t found = 0;
    for (size_t i = 0; i < npages; i++)
        if (((volatile uint64_t *)words)[i])
            addrs[found++] = w + i * 4096;
    uint64_t t2 = bench_now_ns();
    if (count != (npages + 99) / 100 || found != count)
        bench_check_fail(chk, "write watch: %zu pages reported, %zu written", count, found);
    *umm_us = (double)(t1 - t0) / 1000.0;
    *base_us = (double)(t2 - t1) / 1000.0;
    free(addrs);
    free(words);
    umm_system_destroy(sys);
    return 0;
}
