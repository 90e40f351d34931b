/* SPDX-License-Identifier: MIT */
/* bench_filesec.c - file-backed sections (issue 13 point 7):
 *
 *   filesec_sequential_read: one pass reading one word per 64-byte line over a view of a
 *     file-backed section, the file's page cache dropped first (fdatasync + POSIX_FADV_DONTNEED,
 *     checked with mincore), against the same pass over the kernel's mmap of the same file, its
 *     cache dropped the same way. Both read from the disk: umm by its clustered hard faults
 *     (preadv of the read window), the kernel by its mmap read-around. Target <= 1.3x.
 *   filesec_map_touch_floor (info): what umm's design cannot go below here. The file is read
 *     O_DIRECT into a memfd's pages before the clock starts (the I/O free, as if every read-ahead
 *     had landed), then timed: each 1 MiB piece mapped MAP_FIXED|MAP_POPULATE from the memfd and
 *     read as above, against the same kernel mmap pass. On a PVM guest the first access through
 *     a new page-table entry costs a host fault per page, whatever filled it.
 * One sample runs both sides, umm first, in the same process. */
#define _GNU_SOURCE
#include "bench.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "umm.h"

/* A file of `bytes` at path, written and synced; its descriptor (O_RDWR), or -1. */
static int make_file(const char *path, size_t bytes)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    char *b = malloc(BENCH_MiB);
    if (fd < 0 || !b) {
        free(b);
        return fd < 0 ? -1 : (close(fd), -1);
    }
    for (size_t i = 0; i < BENCH_MiB; i++)
        b[i] = (char)(i * 131 + 7);
    for (size_t off = 0; off < bytes; off += BENCH_MiB)
        if (pwrite(fd, b, BENCH_MiB, (off_t)off) != (ssize_t)BENCH_MiB) {
            close(fd);
            fd = -1;
            break;
        }
    free(b);
    return fd;
}

/* Sync the file and drop its page cache; 0 when no page of it is cached afterwards. */
static int drop_cache(int fd, size_t bytes)
{
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    void *m = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);
    size_t n = bytes / 4096, cached = 0;
    unsigned char *vec = malloc(n);
    if (m == MAP_FAILED || !vec || mincore(m, bytes, vec) != 0)
        cached = 1;
    else
        for (size_t i = 0; i < n; i++)
            cached += vec[i] & 1;
    free(vec);
    if (m != MAP_FAILED)
        munmap(m, bytes);
    return cached == 0 ? 0 : -1;
}

/* The sum of one word per 64-byte line of [p, p + bytes), read in address order. */
static uint64_t sum_lines(const void *p, size_t bytes)
{
    uint64_t s = 0;
    for (size_t i = 0; i < bytes / 8; i += 8)
        s += ((const volatile uint64_t *)p)[i];
    return s;
}

/* sum_lines timed; ns per page. */
static double read_pass(const void *p, size_t bytes, uint64_t *sum)
{
    uint64_t t0 = bench_now_ns();
    *sum = sum_lines(p, bytes);
    return (double)(bench_now_ns() - t0) / (double)(bytes / 4096);
}

/* The kernel's side: the file's cache dropped, then the same pass over its mmap; ns per page,
 * or -1 when it cannot be mapped. */
static double kernel_mmap_pass(int fd, size_t bytes, uint64_t *sum, bench_check_t *chk)
{
    if (drop_cache(fd, bytes) != 0)
        bench_check_fail(chk, "filesec: the file is still in the page cache (mmap side)");
    void *m = mmap(NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        return -1;
    double ns = read_pass(m, bytes, sum);
    munmap(m, bytes);
    return ns;
}

/* The case's file of `bytes` in the scratch directory (path gets its name); its fd, or -1. */
static int scratch_file(const bench_opts_t *o, const char *name, size_t bytes, char *path, size_t n)
{
    return bench_scratch_path(o, name, path, n) ? -1 : make_file(path, bytes);
}

/* The file's bytes in a memfd's pages, read O_DIRECT in 1 MiB pieces (as mm/filerd.c reads;
 * buffered where the file system refuses O_DIRECT, as umm falls back); the memfd, or -1. */
static int memfd_read_direct(const char *path, size_t bytes)
{
    int dfd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (dfd < 0)
        dfd = open(path, O_RDONLY | O_CLOEXEC);
    int mfd = memfd_create("filesec-floor", MFD_CLOEXEC);
    char *w = MAP_FAILED;
    if (dfd >= 0 && mfd >= 0 && ftruncate(mfd, (off_t)bytes) == 0)
        w = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, mfd, 0);
    bool ok = w != MAP_FAILED;
    for (size_t off = 0; ok && off < bytes; off += BENCH_MiB)
        ok = pread(dfd, w + off, BENCH_MiB, (off_t)off) == (ssize_t)BENCH_MiB;
    if (w != MAP_FAILED)
        munmap(w, bytes);
    if (dfd >= 0)
        close(dfd);
    if (!ok && mfd >= 0)
        close(mfd);
    return ok ? mfd : -1;
}

/* Map each 1 MiB piece of the memfd at its place in a reserved area, then read it; ns per page,
 * or -1 when a piece could not be mapped (a partial pass is no figure). */
static double map_touch_pass(int mfd, size_t bytes, uint64_t *sum)
{
    char *area = mmap(NULL, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (area == MAP_FAILED)
        return -1;
    uint64_t s = 0, t0 = bench_now_ns();
    size_t off = 0;
    for (; off < bytes; off += BENCH_MiB) {
        if (mmap(area + off, BENCH_MiB, PROT_READ, MAP_SHARED | MAP_FIXED | MAP_POPULATE, mfd,
                 (off_t)off) == MAP_FAILED)
            break;
        s += sum_lines(area + off, BENCH_MiB);
    }
    uint64_t t1 = bench_now_ns();
    munmap(area, bytes);
    *sum = s;
    return off < bytes ? -1 : (double)(t1 - t0) / (double)(bytes / 4096);
}

int filesec_map_touch_floor(const bench_opts_t *o, double *floor_ns, double *base_ns, bench_check_t *chk)
{
    size_t bytes = (o->quick ? 16 : 128) * BENCH_MiB;
    char path[512] = "";
    int fd = scratch_file(o, "filesec-floor.dat", bytes, path, sizeof path);
    int mfd = fd >= 0 && fdatasync(fd) == 0 ? memfd_read_direct(path, bytes) : -1;
    uint64_t sf = 0, sb = 0;
    if (mfd < 0)
        fprintf(stderr, "bench_filesec: cannot read %s into a memfd\n", path);
    else {
        *floor_ns = map_touch_pass(mfd, bytes, &sf);
        close(mfd);
        *base_ns = kernel_mmap_pass(fd, bytes, &sb, chk);
    }
    if (fd >= 0)
        close(fd);
    unlink(path);
    if (mfd < 0 || *floor_ns < 0 || *base_ns < 0)
        return 1;
    if (sf != sb)
        bench_check_fail(chk, "filesec floor: the memfd holds other bytes than the file");
    return 0;
}

int filesec_sequential_read(const bench_opts_t *o, double *umm_ns, double *base_ns, bench_check_t *chk)
{
    size_t bytes = (o->quick ? 16 : 128) * BENCH_MiB;
    char path[512] = "";
    int fd = scratch_file(o, "filesec.dat", bytes, path, sizeof path);
    umm_config_t c = UMM_CONFIG_INIT;
    c.ram_bytes = bytes + 16 * BENCH_MiB; /* the whole file fits, as in the kernel's page cache */
    c.pagefile_bytes = 16 * BENCH_MiB;
    c.cluster_pages = 32; /* a 128 KiB read window: the kernel's default readahead */
    c.flags = UMM_CFG_NO_WORKERS;
    umm_system_t *sys = NULL;
    umm_process_t *proc = NULL;
    umm_section_t *sec = NULL;
    void *view = NULL;
    if (fd < 0 || umm_system_create(&c, &sys) != UMM_OK || umm_process_create(sys, &proc) != UMM_OK ||
        umm_section_create_file(sys, fd, 0, UMM_PROT_READ, &sec) != UMM_OK ||
        umm_section_map(proc, sec, UMM_PROT_READ, &view) != UMM_OK) {
        fprintf(stderr, "bench_filesec: cannot set up the file-backed section over %s\n", path);
        if (sys)
            umm_system_destroy(sys);
        if (fd >= 0)
            close(fd);
        unlink(path);
        return 1;
    }
    uint64_t su = 0, sb = 0;
    umm_stats_t s0, s1;
    if (drop_cache(fd, bytes) != 0)
        bench_check_fail(chk, "filesec: the file is still in the page cache (umm side)");
    umm_stats_get(sys, &s0);
    *umm_ns = read_pass(view, bytes, &su);
    umm_stats_get(sys, &s1);
    umm_release(proc, view);
    umm_section_close(sec);
    umm_system_destroy(sys);
    *base_ns = kernel_mmap_pass(fd, bytes, &sb, chk);
    close(fd);
    unlink(path);
    if (*base_ns < 0)
        return 1;
    if (su != sb)
        bench_check_fail(chk, "filesec: umm read other bytes than mmap");
    if (s1.pages_input - s0.pages_input < bytes / 4096)
        bench_check_fail(chk, "filesec: %llu pages read from the file, want %zu",
                         (unsigned long long)(s1.pages_input - s0.pages_input), bytes / 4096);
    return 0;
}
