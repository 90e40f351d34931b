/* SPDX-License-Identifier: MIT */
/* bench_paging.c - the paging cases: hard faults (random single pages and sequential clustered
 * reads), the modified page writer, working-set trimming, the zero page thread, and a program
 * four times larger than its RAM; the umm side and the baseline side of each.
 *
 * Paging files and baseline files live in one scratch directory on a real disk (mkdtemp in
 * --dir, else $TMPDIR, /var/tmp, /tmp or ".", the first that is not tmpfs/ramfs: a paging file in
 * memory would measure memcpy, not paging), removed at exit. umm gets an explicit pagefile_path
 * so that the benchmark can open the same file separately to write its page cache back
 * (fdatasync) and drop it (POSIX_FADV_DONTNEED) before a timed read, and check with mincore that
 * nothing of it is cached any more. Every baseline file is written fresh in each sample and dropped
 * the same way, so both sides read from the disk in the same state. The read cases interleave the
 * two sides in blocks inside one sample: this virtual disk's latency and rate drift by a factor
 * of up to 3 within seconds (host caching and writeback), far more than the differences measured.
 *
 * umm's physical view gets its kernel page-table entries on first use, so the first zeroing or
 * dirty trim of a frame also pays a minor fault; those cases time a second round (steady state)
 * and print the first.
 *
 * Sizes scale with --mib (B, default 64 MiB; 4 in --quick): random hard faults 4 B committed in
 * B/2 of RAM (256 in 32 MiB), sequential reads and the writer 2 B, the 4x program 2 B in B/2,
 * trimming B, zeroing 2 B. --ram-mib does not apply here: each case sets the RAM it needs.
 *
 * Deterministic cases run with UMM_CFG_NO_WORKERS, so every counter delta is exact and checked;
 * program_4x_ram and zeroing_MBps need the workers and check what is still exact (data, errors,
 * lower bounds). MB/s is 10^6 bytes per second. */
#define _GNU_SOURCE
#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "umm.h"

#define RW (UMM_PROT_READ | UMM_PROT_WRITE)
#define CHUNK ((size_t)64 << 10) /* baseline I/O and mprotect unit: one writer/read cluster */
#define MB 1e6

static volatile uint64_t g_sink;

/* ------------------------------------------------------------------ sizes */
typedef struct pg_sizes {
    size_t rnd_commit, rnd_ram, rnd_faults; /* hard_fault_random */
    size_t seq_bytes, seq_ram;              /* hard_fault_sequential_MBps */
    size_t wr_bytes, wr_ram;                /* writer_MBps */
    size_t prog_commit, prog_ram, prog_updates;
    int prog_passes;                        /* program_4x_ram */
    size_t trim_bytes, trim_ram;            /* trim_*_pages_per_sec */
    size_t zero_bytes, zero_ram;            /* zeroing_MBps */
} pg_sizes_t;

static pg_sizes_t pg_sizes(const bench_opts_t *o)
{
    size_t b = o->bytes, page = bench_page_size();
    size_t small_ram = b / 2 < 2 * BENCH_MiB ? 2 * BENCH_MiB : b / 2;
    size_t margin = b / 4 < 4 * BENCH_MiB ? 4 * BENCH_MiB : b / 4; /* RAM above the data */
    pg_sizes_t z;
    z.rnd_commit = 4 * b;
    z.rnd_ram = small_ram;
    /* distinct random pages, at most half the frames: no reclaim inside the timed loop */
    z.rnd_faults = o->quick ? 128 : 3000;
    if (z.rnd_faults > z.rnd_ram / page / 2)
        z.rnd_faults = z.rnd_ram / page / 2;
    z.seq_bytes = z.wr_bytes = 2 * b;
    z.seq_ram = z.wr_ram = 2 * b + margin;
    z.prog_commit = 2 * b;
    z.prog_ram = small_ram;
    z.prog_passes = o->quick ? 2 : 3;
    z.prog_updates = z.prog_commit / page / 2; /* random 8-byte updates per pass */
    z.trim_bytes = b;
    z.trim_ram = b + margin;
    z.zero_bytes = z.zero_ram = 2 * b; /* every frame used (and so zeroed) in the first round */
    return z;
}

/* ------------------------------------------------------------------ helpers */
static uint64_t tag(size_t page_index)
{
    return ((uint64_t)page_index + 1) * 0x9E3779B97F4A7C15ull | 1; /* never 0: never a zero page */
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* n distinct random page indices below npages (partial Fisher-Yates, fixed seed: the umm and the
 * baseline side read the same offsets) */
static size_t *pick_pages(size_t npages, size_t n, uint64_t seed)
{
    size_t *perm = malloc(npages * sizeof *perm);
    if (!perm)
        return NULL;
    for (size_t i = 0; i < npages; i++)
        perm[i] = i;
    for (size_t i = 0; i < n && i < npages; i++) {
        size_t j = i + (size_t)(rng_next(&seed) % (npages - i));
        size_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    return perm;
}

static double mb_per_s(size_t bytes, uint64_t ns)
{
    return ns ? (double)bytes / MB / ((double)ns / 1e9) : 0;
}

static long minor_faults(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : 0;
}

/* a memfd of `bytes`, allocated (fallocate) and mapped read-write with every page populated: the
 * baseline's "frames", like umm's RAM pool */
static char *map_frames(size_t bytes, int *fd_out)
{
    int fd = memfd_create("umm-bench-pg", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)bytes) != 0 || fallocate(fd, 0, 0, (off_t)bytes) != 0) {
        fprintf(stderr, "bench: memfd of %zu bytes: %s\n", bytes, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "bench: mmap of the memfd: %s\n", strerror(errno));
        close(fd);
        return NULL;
    }
    *fd_out = fd;
    return p;
}

static void unmap_frames(char *p, size_t bytes, int fd)
{
    if (p)
        munmap(p, bytes);
    if (fd >= 0)
        close(fd);
}

/* pages of the open file fd that are in the page cache (mincore), or -1 */
static long cached_pages(int fd)
{
    struct stat st;
    size_t page = bench_page_size();
    if (fstat(fd, &st) != 0)
        return -1;
    if (st.st_size == 0)
        return 0;
    size_t len = (size_t)st.st_size, n = (len + page - 1) / page;
    void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    unsigned char *vec = malloc(n);
    long cached = -1;
    if (m != MAP_FAILED && vec && mincore(m, len, vec) == 0) {
        cached = 0;
        for (size_t i = 0; i < n; i++)
            cached += vec[i] & 1;
    }
    free(vec);
    if (m != MAP_FAILED)
        munmap(m, len);
    return cached;
}

/* Write the page cache of `path` back (fdatasync) and drop it (POSIX_FADV_DONTNEED), through a
 * descriptor of our own; returns the pages still cached afterwards (0 expected), -1 on error. */
static long drop_cache(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    long cached = cached_pages(fd);
    close(fd);
    return cached;
}

static void expect_uncached(bench_check_t *chk, const char *what, const char *path)
{
    long c = drop_cache(path);
    if (c != 0)
        bench_check_fail(chk, "%s: %ld pages of %s still in the page cache after DONTNEED", what,
                         c, path);
}

/* 1 when this process has `path` open with O_DIRECT, 0 without, -1 not found (/proc/self/fdinfo) */
static int opened_direct(const char *path)
{
    DIR *d = opendir("/proc/self/fd");
    int found = -1;
    if (!d)
        return -1;
    for (struct dirent *de; found < 0 && (de = readdir(d));) {
        char link[300], target[PATH_MAX], info[300], line[128];
        snprintf(link, sizeof link, "/proc/self/fd/%s", de->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = 0;
        if (strcmp(target, path) != 0)
            continue;
        snprintf(info, sizeof info, "/proc/self/fdinfo/%s", de->d_name);
        FILE *f = fopen(info, "r");
        if (!f)
            continue;
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "flags:", 6) == 0)
                found = (strtoul(line + 6, NULL, 8) & O_DIRECT) != 0;
        fclose(f);
    }
    closedir(d);
    return found;
}

/* Create `path` with `bytes` of data (a tag at the start of every page), written sequentially in
 * 64 KiB pwrites, written back and dropped from the page cache: the baseline's "paging file". */
static int make_data_file(const char *path, size_t bytes, bench_check_t *chk, const char *what)
{
    size_t page = bench_page_size();
    char *buf = aligned_alloc(page, CHUNK);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = 0;
    if (!buf || fd < 0) {
        fprintf(stderr, "bench: create %s: %s\n", path, strerror(errno));
        free(buf);
        if (fd >= 0)
            close(fd);
        return 1;
    }
    memset(buf, 0x5a, CHUNK);
    for (size_t off = 0; off < bytes && !rc; off += CHUNK) {
        for (size_t k = 0; k < CHUNK; k += page)
            *(uint64_t *)(void *)(buf + k) = tag((off + k) / page);
        if (pwrite(fd, buf, CHUNK, (off_t)off) != (ssize_t)CHUNK) {
            fprintf(stderr, "bench: write %s: %s\n", path, strerror(errno));
            rc = 1;
        }
    }
    close(fd);
    free(buf);
    if (!rc)
        expect_uncached(chk, what, path);
    return rc;
}

/* ------------------------------------------------------------------ umm environment */
typedef struct pg_cfg {
    size_t commit, ram, pagefile; /* bytes; pagefile 0 = none */
    unsigned cluster, flags, balance_ms;
} pg_cfg_t;

typedef struct pg_env {
    umm_system_t *sys;
    umm_process_t *proc;
    char *base;
    size_t page, npages, bytes;
    char pf[PATH_MAX];
} pg_env_t;

static int fail(const char *what, int rc)
{
    fprintf(stderr, "bench: %s: %s (%s)\n", what, umm_strerror(rc),
            umm_error_name(rc) ? umm_error_name(rc) : "?");
    return rc ? rc : 1;
}

static void pg_close(pg_env_t *e)
{
    if (e->proc)
        umm_process_destroy(e->proc);
    if (e->sys)
        umm_system_destroy(e->sys); /* closes and unlinks the paging file */
    e->proc = NULL;
    e->sys = NULL;
}

static int pg_open(const bench_opts_t *o, const pg_cfg_t *c, pg_env_t *e)
{
    umm_config_t cfg = UMM_CONFIG_INIT;
    int rc;
    memset(e, 0, sizeof *e);
    e->page = bench_page_size();
    e->bytes = c->commit;
    e->npages = c->commit / e->page;
    cfg.ram_bytes = c->ram;
    cfg.page_size = e->page;
    cfg.cluster_pages = c->cluster;
    cfg.flags = c->flags;
    if (c->balance_ms)
        cfg.balance_interval_ms = c->balance_ms;
    if (c->pagefile) {
        if (bench_scratch_path(o, "pagefile", e->pf, sizeof e->pf))
            return 1;
        cfg.pagefile_path = e->pf;
        cfg.pagefile_bytes = cfg.pagefile_max_bytes = c->pagefile;
    }
    bench_prewarm(c->ram + c->commit / 4); /* the pool is populated at create */
    if ((rc = umm_system_create(&cfg, &e->sys)) != UMM_OK)
        return fail("umm_system_create", rc);
    if ((rc = bench_guard_install(e->sys)) != UMM_OK ||
        (rc = umm_process_create(e->sys, &e->proc)) != UMM_OK ||
        (rc = umm_reserve(e->proc, c->commit, RW, (void **)&e->base)) != UMM_OK ||
        (rc = umm_commit(e->proc, e->base, c->commit, RW)) != UMM_OK) {
        pg_close(e);
        return fail("umm setup (handler/process/reserve/commit)", rc);
    }
    return 0;
}

static int pg_stats(const pg_env_t *e, umm_stats_t *s)
{
    int rc = umm_stats_get(e->sys, s);
    return rc == UMM_OK ? 0 : fail("umm_stats_get", rc);
}

static void expect_eq(bench_check_t *chk, const char *what, const char *counter, uint64_t got,
                      uint64_t want)
{
    if (got != want)
        bench_check_fail(chk, "%s: %s = %" PRIu64 ", expected %" PRIu64, what, counter, got, want);
}

static void expect_ge(bench_check_t *chk, const char *what, const char *counter, uint64_t got,
                      uint64_t least)
{
    if (got < least)
        bench_check_fail(chk, "%s: %s = %" PRIu64 ", expected at least %" PRIu64, what, counter,
                         got, least);
}

#define D(f) (b.f - a.f)

static void print_delta(const char *what, const umm_stats_t *pa, const umm_stats_t *pb)
{
    umm_stats_t a = *pa, b = *pb;
    printf("#   %s: faults_total=%" PRIu64 " demand_zero=%" PRIu64 " transition=%" PRIu64
           " hard=%" PRIu64 " access_bit=%" PRIu64 " dirty_bit=%" PRIu64 " pages_input=%" PRIu64
           " page_reads=%" PRIu64 " pages_output=%" PRIu64 " page_writes=%" PRIu64
           " trimmed=%" PRIu64 " trimmed_zero=%" PRIu64 " repurposed=%" PRIu64
           " zeroed_in_fault=%" PRIu64 " zeroed_by_thread=%" PRIu64 "\n",
           what, D(faults_total), D(faults_demand_zero), D(faults_transition), D(faults_hard),
           D(faults_access_bit), D(faults_dirty_bit), D(pages_input), D(page_reads),
           D(pages_output), D(page_writes), D(pages_trimmed), D(pages_trimmed_zero),
           D(standby_repurposed), D(pages_zeroed_in_fault), D(pages_zeroed_by_thread));
}

/* the no-fault-errors part every umm sample checks */
static void expect_no_errors(bench_check_t *chk, const char *what, const umm_stats_t *pa,
                             const umm_stats_t *pb)
{
    umm_stats_t a = *pa, b = *pb;
    expect_eq(chk, what, "faults_access_violation", D(faults_access_violation), 0);
    expect_eq(chk, what, "faults_in_page_error", D(faults_in_page_error), 0);
    expect_eq(chk, what, "writer_errors", D(writer_errors), 0);
    expect_eq(chk, what, "read_errors", D(read_errors), 0);
}

static void pg_check_and_close(pg_env_t *e, const char *what, bench_check_t *chk)
{
    int rc = umm_check(e->sys);
    if (rc != UMM_OK)
        bench_check_fail(chk, "%s: umm_check returned %s", what, umm_error_name(rc));
    pg_close(e);
}

/* ---- memory operations on umm memory, run under the exception guard ---- */
typedef struct pg_op {
    const pg_env_t *e;
    size_t lo, hi;        /* page range */
    const size_t *pages;  /* or: these pages */
    size_t npicked;
    size_t bad;           /* pages whose tag was wrong */
} pg_op_t;

static void op_write_tags(pg_op_t *op)
{
    for (size_t i = op->lo; i < op->hi; i++)
        *(volatile uint64_t *)(void *)(op->e->base + i * op->e->page) = tag(i);
}

static void op_read_tags(pg_op_t *op)
{
    for (size_t i = op->lo; i < op->hi; i++)
        op->bad += *(volatile uint64_t *)(void *)(op->e->base + i * op->e->page) != tag(i);
}

static void op_read_picked(pg_op_t *op)
{
    for (size_t k = 0; k < op->npicked; k++) {
        size_t i = op->pages[k];
        op->bad += *(volatile uint64_t *)(void *)(op->e->base + i * op->e->page) != tag(i);
    }
}

typedef struct guarded_call {
    void (*fn)(pg_op_t *);
    pg_op_t *op;
} guarded_call_t;

static void call_op(void *arg)
{
    guarded_call_t *c = arg;
    c->fn(c->op);
}

/* fn(op) under bench_guarded: a umm exception fails the case instead of the process */
static int guarded(void (*fn)(pg_op_t *), pg_op_t *op)
{
    guarded_call_t c = {fn, op};
    return bench_guarded(call_op, &c);
}

static int pg_call(const char *name, int rc)
{
    return rc == UMM_OK ? 0 : fail(name, rc);
}

/* Every page written (its tag), then paged out in chunks of half the RAM (working set emptied,
 * modified pages written, Standby purged), so that afterwards every page is only in the paging
 * file, whose page cache is then written back and dropped. */
static int pg_fill_paged_out(const pg_env_t *e, const char *what, bench_check_t *chk)
{
    umm_stats_t s;
    if (pg_stats(e, &s))
        return 1;
    size_t chunk = (size_t)s.total_frames / 2;
    for (size_t lo = 0; lo < e->npages; lo += chunk) {
        pg_op_t op = {.e = e, .lo = lo, .hi = lo + chunk < e->npages ? lo + chunk : e->npages};
        if (guarded(op_write_tags, &op) || pg_call("umm_ws_empty", umm_ws_empty(e->proc)) ||
            pg_call("umm_flush_modified", umm_flush_modified(e->sys)) ||
            pg_call("umm_standby_purge", umm_standby_purge(e->sys, 7, NULL)))
            return 1;
    }
    if (pg_stats(e, &s))
        return 1;
    expect_eq(chk, what, "setup pagefile_used", s.pagefile_used, e->npages);
    expect_eq(chk, what, "setup working_set", s.working_set, 0);
    expect_eq(chk, what, "setup modified + standby", s.modified + s.standby, 0);
    expect_uncached(chk, what, e->pf);
    return 0;
}

static void expect_direct(bench_check_t *chk, const char *what, const char *pf, int want)
{
    int d = opened_direct(pf);
    if (d != want)
        bench_check_fail(chk, "%s: the paging file is %s O_DIRECT (wanted %s)", what,
                         d < 0 ? "not found, so not known to be" : d ? "opened with" : "not opened with",
                         want ? "O_DIRECT" : "buffered");
}

/* ================================================================== 1. hard_fault_random */
/* umm: cluster_pages = 1, so a load of a paged-out page is exactly one hard fault, one read of one
 * page. Pages are distinct and fewer than half the frames: no reclaim in the timed loop.
 *
 * Baseline: what a hard fault must do at least, per page: pread 4 KiB at the same offset of a
 * file of the same size on the same disk (written fresh, cache dropped) into a frame of a populated
 * memfd, mmap(MAP_FIXED|MAP_SHARED|MAP_POPULATE) that frame at the page, and load from it. It has
 * no SIGSEGV (about 1.7 us, design.md section 7), which umm's figure includes.
 *
 * The latency of this virtual disk drifts by tens of percent from one second to the next, so the
 * two sides are interleaved in one sample, blocks of RND_BLOCK reads each, alternately first. */
#define RND_BLOCK 50

typedef struct raw_reader {
    int fd, mfd;
    char *phys, *va;
    size_t frames, bytes, page;
    char path[PATH_MAX];
} raw_reader_t;

static void raw_reader_close(raw_reader_t *r)
{
    if (r->va && r->va != MAP_FAILED)
        munmap(r->va, r->bytes);
    unmap_frames(r->phys, r->frames * r->page, r->mfd);
    if (r->fd >= 0)
        close(r->fd);
    if (r->path[0])
        unlink(r->path);
    r->va = NULL;
    r->phys = NULL;
    r->fd = r->mfd = -1;
}

static int raw_reader_open(const bench_opts_t *o, size_t bytes, size_t frames, int direct,
                           const char *what, bench_check_t *chk, raw_reader_t *r)
{
    memset(r, 0, sizeof *r);
    r->fd = r->mfd = -1;
    r->page = bench_page_size();
    r->bytes = bytes;
    r->frames = frames;
    if (bench_scratch_path(o, "baseline-read", r->path, sizeof r->path))
        return 1;
    if (make_data_file(r->path, bytes, chk, what))
        goto fail;
    if ((r->fd = open(r->path, O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0))) < 0) {
        fprintf(stderr, "bench: open %s%s: %s\n", r->path, direct ? " O_DIRECT" : "",
                strerror(errno));
        goto fail;
    }
    if (!(r->phys = map_frames(frames * r->page, &r->mfd)))
        goto fail;
    r->va = mmap(NULL, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r->va == MAP_FAILED)
        goto fail;
    return 0;
fail:
    raw_reader_close(r);
    return 1;
}

/* the baseline's "hard fault" of page i into frame f; returns 1 if the loaded tag was wrong, -1
 * on an error */
static int raw_read_page(raw_reader_t *r, size_t i, size_t f)
{
    char *at = r->va + i * r->page;
    if (pread(r->fd, r->phys + f * r->page, r->page, (off_t)(i * r->page)) != (ssize_t)r->page ||
        mmap(at, r->page, PROT_READ, MAP_SHARED | MAP_FIXED | MAP_POPULATE, r->mfd,
             (off_t)(f * r->page)) == MAP_FAILED)
        return -1;
    return *(volatile uint64_t *)(void *)at != tag(i);
}

static int hard_fault_random(const bench_opts_t *o, unsigned flags, const char *what,
                             double *umm_ns, double *base_ns, bench_check_t *chk)
{
    pg_sizes_t z = pg_sizes(o);
    pg_cfg_t c = {.commit = z.rnd_commit, .ram = z.rnd_ram, .pagefile = z.rnd_commit,
                  .cluster = 1, .flags = UMM_CFG_NO_WORKERS | flags};
    pg_env_t e;
    raw_reader_t r;
    umm_stats_t a, b;
    size_t n = z.rnd_faults, bad = 0;
    uint64_t ns_u = 0, ns_b = 0;
    int direct = (flags & UMM_CFG_PAGEFILE_BUFFERED) == 0;
    size_t *pages = pick_pages(z.rnd_commit / bench_page_size(), n, 0x5eed0001);
    if (!pages || pg_open(o, &c, &e)) {
        free(pages);
        return 1;
    }
    int rc = pg_fill_paged_out(&e, what, chk), reader = 0;
    expect_direct(chk, what, e.pf, direct);
    if (!rc)
        reader = !(rc = raw_reader_open(o, z.rnd_commit, n, direct, what, chk, &r));
    if (!rc && !(rc = pg_stats(&e, &a))) {
        for (size_t k0 = 0, blk = 0; k0 < n && !rc; k0 += RND_BLOCK, blk++) {
            size_t k1 = k0 + RND_BLOCK < n ? k0 + RND_BLOCK : n;
            pg_op_t op = {.e = &e, .pages = pages + k0, .npicked = k1 - k0};
            for (int side = 0; side < 2 && !rc; side++) {
                int on_umm = (side == 0) == !(blk & 1);
                uint64_t t0 = bench_now_ns();
                if (on_umm) {
                    rc = guarded(op_read_picked, &op);
                } else {
                    for (size_t k = k0; k < k1 && !rc; k++) {
                        int v = raw_read_page(&r, pages[k], k);
                        if (v < 0) {
                            fprintf(stderr, "bench: %s baseline: %s\n", what, strerror(errno));
                            rc = 1;
                        }
                        bad += v > 0;
                    }
                }
                *(on_umm ? &ns_u : &ns_b) += bench_now_ns() - t0;
            }
            bad += op.bad;
        }
    }
    if (reader)
        raw_reader_close(&r);
    if (!rc && !(rc = pg_stats(&e, &b))) {
        if (o->verbose)
            print_delta(what, &a, &b);
        expect_eq(chk, what, "faults_hard", D(faults_hard), n);
        expect_eq(chk, what, "pages_input", D(pages_input), n);
        expect_eq(chk, what, "page_reads", D(page_reads), n);
        expect_eq(chk, what, "faults_total", D(faults_total), n);
        expect_eq(chk, what, "faults_demand_zero", D(faults_demand_zero), 0);
        expect_eq(chk, what, "pages with a wrong tag (umm and baseline)", bad, 0);
        expect_no_errors(chk, what, &a, &b);
    }
    pg_check_and_close(&e, what, chk);
    free(pages);
    *umm_ns = n ? (double)ns_u / (double)n : 0;
    *base_ns = n ? (double)ns_b / (double)n : 0;
    return rc;
}

int umm_hard_fault_random(const bench_opts_t *o, double *umm_ns, double *base_ns,
                          bench_check_t *chk)
{
    return hard_fault_random(o, UMM_CFG_PAGEFILE_BUFFERED, "hard_fault_random", umm_ns, base_ns,
                             chk);
}

int umm_hard_fault_random_direct(const bench_opts_t *o, double *umm_ns, double *base_ns,
                                 bench_check_t *chk)
{
    return hard_fault_random(o, 0, "hard_fault_random_direct", umm_ns, base_ns, chk);
}

/* ================================================================== 2. hard_fault_sequential */
/* umm: cluster_pages = 16: the first touch of a paged-out run reads 16 pages in one preadv (one
 * hard fault: the page is mapped, the other 15 go to Standby) and the next touch maps those 15
 * with one soft fault. RAM holds all of it: no reclaim inside the timed loop.
 *
 * Baseline: the disk's sequential read, 64 KiB preads of a fresh file of the same size (cache
 * dropped) into a populated memfd of the same size; the kernel's readahead applies to it as it
 * does to umm's buffered paging file.
 *
 * This disk's sequential rate swings between ~0.6 and ~2 GB/s from one second to the next (the
 * host's own caching and writeback), so the two sides alternate in blocks of SEQ_BLOCK inside
 * one sample, each reading its own file in order.
 *
 * The _descending variant touches the umm pages from the last to the first (the baseline still
 * reads forwards): it shows what the order of the clusters in the paging file costs.
 * umm_ws_empty (and any trim of a run) takes a run's pages last page first, so the writer gives
 * the last cluster the first slots, and an ascending scan reads the file backwards. */
#define SEQ_BLOCK ((size_t)8 << 20)

static void op_read_tags_desc(pg_op_t *op)
{
    for (size_t i = op->hi; i-- > op->lo;)
        op->bad += *(volatile uint64_t *)(void *)(op->e->base + i * op->e->page) != tag(i);
}

static int hard_fault_sequential(const bench_opts_t *o, int descending, double *umm_mbps,
                                 double *base_mbps, bench_check_t *chk)
{
    const char *what = descending ? "hard_fault_sequential_descending_MBps"
                                  : "hard_fault_sequential_MBps";
    pg_sizes_t z = pg_sizes(o);
    pg_cfg_t c = {.commit = z.seq_bytes, .ram = z.seq_ram, .pagefile = z.seq_bytes,
                  .cluster = 16, .flags = UMM_CFG_NO_WORKERS | UMM_CFG_PAGEFILE_BUFFERED};
    pg_env_t e;
    umm_stats_t a, b;
    uint64_t ns_u = 0, ns_b = 0;
    size_t bytes = z.seq_bytes, bad = 0, block = SEQ_BLOCK;
    char path[PATH_MAX] = "";
    int fd = -1, mfd = -1;
    char *dst = NULL;
    if (block > bytes / 4)
        block = bytes / 4;
    if (pg_open(o, &c, &e))
        return 1;
    size_t n = e.npages, clusters = (n + 15) / 16, bpages = block / e.page;
    int rc = pg_fill_paged_out(&e, what, chk);
    if (!rc)
        rc = bench_scratch_path(o, "baseline-seq", path, sizeof path) ||
             make_data_file(path, bytes, chk, what) || !(dst = map_frames(bytes, &mfd)) ||
             (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0;
    if (!rc && !(rc = pg_stats(&e, &a))) {
        for (size_t blk = 0; blk * block < bytes && !rc; blk++) {
            /* umm: block blk of the scan in its direction; baseline: block blk of its file */
            size_t lo = descending ? n - (blk + 1) * bpages : blk * bpages;
            pg_op_t op = {.e = &e, .lo = lo, .hi = lo + bpages};
            for (int side = 0; side < 2 && !rc; side++) {
                int on_umm = (side == 0) == !(blk & 1);
                uint64_t t0 = bench_now_ns();
                if (on_umm) {
                    rc = guarded(descending ? op_read_tags_desc : op_read_tags, &op);
                } else {
                    for (size_t off = blk * block; off < (blk + 1) * block && !rc; off += CHUNK)
                        if (pread(fd, dst + off, CHUNK, (off_t)off) != (ssize_t)CHUNK) {
                            fprintf(stderr, "bench: %s baseline: %s\n", what, strerror(errno));
                            rc = 1;
                        }
                }
                *(on_umm ? &ns_u : &ns_b) += bench_now_ns() - t0;
            }
            bad += op.bad;
        }
        for (size_t i = 0; i < n && !rc; i++)
            bad += *(uint64_t *)(void *)(dst + i * e.page) != tag(i);
    }
    if (!rc && !(rc = pg_stats(&e, &b))) {
        if (o->verbose)
            print_delta(what, &a, &b);
        expect_eq(chk, what, "pages_input", D(pages_input), n);
        /* faults_hard counts hard faults (one per read), not pages as documented */
        expect_eq(chk, what, "faults_hard", D(faults_hard), clusters);
        expect_eq(chk, what, "page_reads", D(page_reads), clusters);
        expect_eq(chk, what, "faults_demand_zero", D(faults_demand_zero), 0);
        expect_eq(chk, what, "pages with a wrong tag (umm and baseline)", bad, 0);
        expect_no_errors(chk, what, &a, &b);
    }
    unmap_frames(dst, bytes, mfd);
    if (fd >= 0)
        close(fd);
    if (path[0])
        unlink(path);
    pg_check_and_close(&e, what, chk);
    *umm_mbps = mb_per_s(bytes, ns_u);
    *base_mbps = mb_per_s(bytes, ns_b);
    return rc;
}

int umm_hard_fault_sequential(const bench_opts_t *o, double *umm_mbps, double *base_mbps,
                              bench_check_t *chk)
{
    return hard_fault_sequential(o, 0, umm_mbps, base_mbps, chk);
}

int umm_hard_fault_sequential_desc(const bench_opts_t *o, double *umm_mbps, double *base_mbps,
                                   bench_check_t *chk)
{
    return hard_fault_sequential(o, 1, umm_mbps, base_mbps, chk);
}

/* ================================================================== 3. writer_MBps */
/* umm_flush_modified of 2 B of modified pages (written, then the working set emptied). Neither
 * side includes fdatasync in the timed region: umm's writer does not sync, so the buffered
 * figures are "into the page cache" on both sides; both sides fdatasync after the timed region
 * (untimed) so that the next sample starts with no dirty page cache. The _direct variant writes
 * through O_DIRECT on both sides: to the disk. */
static int umm_writer_common(const bench_opts_t *o, unsigned flags, const char *what,
                             double *mbps, bench_check_t *chk)
{
    pg_sizes_t z = pg_sizes(o);
    pg_cfg_t c = {.commit = z.wr_bytes, .ram = z.wr_ram, .pagefile = z.wr_bytes, .cluster = 16,
                  .flags = UMM_CFG_NO_WORKERS | flags};
    pg_env_t e;
    umm_stats_t a, b;
    uint64_t t0 = 0, t1 = 0;
    long mf0 = 0, mf1 = 0;
    if (pg_open(o, &c, &e))
        return 1;
    size_t n = e.npages;
    pg_op_t op = {.e = &e, .lo = 0, .hi = n};
    expect_direct(chk, what, e.pf, (flags & UMM_CFG_PAGEFILE_BUFFERED) == 0);
    int rc = guarded(op_write_tags, &op) || pg_call("umm_ws_empty", umm_ws_empty(e.proc));
    if (!rc && !(rc = pg_stats(&e, &a))) {
        expect_eq(chk, what, "modified before the flush", a.modified, n);
        mf0 = minor_faults();
        t0 = bench_now_ns();
        rc = pg_call("umm_flush_modified", umm_flush_modified(e.sys));
        t1 = bench_now_ns();
        mf1 = minor_faults();
    }
    if (!rc && !(rc = pg_stats(&e, &b))) {
        if (o->verbose) {
            print_delta(what, &a, &b);
            printf("#   %s: %ld kernel minor faults during umm_flush_modified of %zu pages\n",
                   what, mf1 - mf0, n);
        }
        expect_eq(chk, what, "pages_output", D(pages_output), n);
        expect_eq(chk, what, "page_writes (16-page clusters)", D(page_writes), (n + 15) / 16);
        expect_eq(chk, what, "modified after the flush", b.modified, 0);
        expect_eq(chk, what, "standby after the flush", b.standby, n);
        expect_eq(chk, what, "pagefile_used", b.pagefile_used, n);
        expect_no_errors(chk, what, &a, &b);
        drop_cache(e.pf); /* untimed fdatasync, as the baseline */
    }
    pg_check_and_close(&e, what, chk);
    *mbps = mb_per_s(z.wr_bytes, t1 - t0);
    return rc;
}

int umm_writer(const bench_opts_t *o, double *mbps, bench_check_t *chk)
{
    return umm_writer_common(o, UMM_CFG_PAGEFILE_BUFFERED, "writer_MBps", mbps, chk);
}

int umm_writer_direct(const bench_opts_t *o, double *mbps, bench_check_t *chk)
{
    return umm_writer_common(o, 0, "writer_direct_MBps", mbps, chk);
}

/* Baseline: sequential 64 KiB pwrites of the same amount from a populated memfd to a fresh
 * sparse file of that size (as umm's paging file is: ftruncate), fdatasync untimed. */
static int raw_write(const bench_opts_t *o, int direct, const char *what, double *mbps,
                     bench_check_t *chk)
{
    pg_sizes_t z = pg_sizes(o);
    size_t page = bench_page_size(), bytes = z.wr_bytes;
    char path[PATH_MAX];
    int rc = 1, fd = -1, mfd = -1;
    char *src = NULL;
    uint64_t t0 = 0, t1 = 0;
    (void)chk;
    bench_prewarm(bytes);
    if (bench_scratch_path(o, "baseline-write", path, sizeof path) || !(src = map_frames(bytes, &mfd)))
        goto out;
    for (size_t i = 0; i < bytes / page; i++)
        *(uint64_t *)(void *)(src + i * page) = tag(i);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | (direct ? O_DIRECT : 0), 0600);
    if (fd < 0 || ftruncate(fd, (off_t)bytes) != 0) {
        fprintf(stderr, "bench: create %s: %s\n", path, strerror(errno));
        goto out;
    }
    t0 = bench_now_ns();
    for (size_t off = 0; off < bytes; off += CHUNK)
        if (pwrite(fd, src + off, CHUNK, (off_t)off) != (ssize_t)CHUNK) {
            fprintf(stderr, "bench: %s baseline: %s\n", what, strerror(errno));
            goto out;
        }
    t1 = bench_now_ns();
    fdatasync(fd);
    rc = 0;
out:
    unmap_frames(src, bytes, mfd);
    if (fd >= 0)
        close(fd);
    unlink(path);
    *mbps = mb_per_s(bytes, t1 - t0);
    return rc;
}

int raw_sequential_write(const bench_opts_t *o, double *mbps, bench_check_t *chk)
{
    return raw_write(o, 0, "writer_MBps", mbps, chk);
}

int raw_sequential_write_direct(const bench_opts_t *o, double *mbps, bench_check_t *chk)
{
    return raw_write(o, 1, "writer_direct_MBps", mbps, chk);
}

/* ================================================================== 4. program_4x_ram */
/* The program: `passes` times a sequential read-modify-write sweep (one 8-byte word per 64-byte
 * line, bench_rmw_pass) followed by `updates` random 8-byte read-modify-writes; returns a
 * checksum of everything it read. Same code, same seed on umm memory and on malloc'd memory, so
 * equal checksums prove that every byte survived paging. */
typedef struct rss {
    long rss, anon, file, shmem; /* kB, /proc/self/status */
} rss_t;

static void rss_read(rss_t *r)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    memset(r, 0, sizeof *r);
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            r->rss = atol(line + 6);
        else if (strncmp(line, "RssAnon:", 8) == 0)
            r->anon = atol(line + 8);
        else if (strncmp(line, "RssFile:", 8) == 0)
            r->file = atol(line + 8);
        else if (strncmp(line, "RssShmem:", 9) == 0)
            r->shmem = atol(line + 9);
    }
    fclose(f);
}

static struct {
    rss_t base, peak; /* before the umm system; largest (field by field) seen during its run */
    int sampling;
} g_rss;
static double g_rss_peak_mib, g_rss_ram_mib;
static unsigned g_prog_rep;

static void rss_sample(void)
{
    rss_t r;
    if (!g_rss.sampling)
        return;
    rss_read(&r);
    if (r.rss > g_rss.peak.rss)
        g_rss.peak.rss = r.rss;
    if (r.anon > g_rss.peak.anon)
        g_rss.peak.anon = r.anon;
    if (r.file > g_rss.peak.file)
        g_rss.peak.file = r.file;
    if (r.shmem > g_rss.peak.shmem)
        g_rss.peak.shmem = r.shmem;
}

static uint64_t program(uint64_t *p, size_t bytes, int passes, size_t updates)
{
    uint64_t sum = 0, rng = 0x2545F4914F6CDD1Dull;
    size_t words = bytes / sizeof *p;
    for (int k = 0; k < passes; k++) {
        sum += bench_rmw_pass(p, bytes);
        rss_sample();
        for (size_t u = 0; u < updates; u++) {
            uint64_t r = rng_next(&rng);
            size_t w = (size_t)(r % words);
            uint64_t v = p[w] + (r >> 40);
            p[w] = v;
            sum += v;
        }
        rss_sample();
    }
    return sum;
}

static struct {
    pg_env_t *e;
    int passes;
    size_t updates;
    uint64_t sum;
} g_prog;

static void op_program(pg_op_t *op)
{
    (void)op;
    g_prog.sum = program((uint64_t *)(void *)g_prog.e->base, g_prog.e->bytes, g_prog.passes,
                         g_prog.updates);
}

static int program_on_umm(const bench_opts_t *o, const pg_sizes_t *z, uint64_t *ns,
                          uint64_t *sum, bench_check_t *chk)
{
    const char *what = "program_4x_ram";
    /* workers on (balancing, writing, zeroing in the background), default interval */
    pg_cfg_t c = {.commit = z->prog_commit, .ram = z->prog_ram, .pagefile = z->prog_commit,
                  .cluster = 16, .flags = 0};
    pg_env_t e;
    umm_stats_t a, b;
    uint64_t t0 = 0, t1 = 0;
    bench_prewarm(c.ram + c.commit / 4);
    rss_read(&g_rss.base);
    g_rss.peak = g_rss.base;
    if (pg_open(o, &c, &e))
        return 1;
    g_prog.e = &e;
    g_prog.passes = z->prog_passes;
    g_prog.updates = z->prog_updates;
    pg_op_t op = {.e = &e};
    int rc = pg_stats(&e, &a);
    if (!rc) {
        g_rss.sampling = 1;
        t0 = bench_now_ns();
        rc = guarded(op_program, &op);
        t1 = bench_now_ns();
        g_rss.sampling = 0;
    }
    if (!rc && !(rc = pg_stats(&e, &b))) {
        size_t n = e.npages;
        double mib = 1024.0;
        rss_t d = {g_rss.peak.rss - g_rss.base.rss, g_rss.peak.anon - g_rss.base.anon,
                   g_rss.peak.file - g_rss.base.file, g_rss.peak.shmem - g_rss.base.shmem};
        printf("#   program_4x_ram umm run: %.0f ms, %zu MiB in %zu MiB of RAM, %d passes; "
               "faults %" PRIu64 ": demand-zero %" PRIu64 " pages, soft %" PRIu64
               " pages, hard %" PRIu64 " (pages in %" PRIu64 " in %" PRIu64 " reads), "
               "access-bit %" PRIu64 ", dirty-bit %" PRIu64 "; pages out %" PRIu64 " in %" PRIu64
               " writes; trimmed %" PRIu64 " (balancer %" PRIu64 ", %" PRIu64 " passes)\n",
               (double)(t1 - t0) / 1e6, c.commit / BENCH_MiB, c.ram / BENCH_MiB, g_prog.passes,
               D(faults_total), D(faults_demand_zero), D(faults_transition), D(faults_hard),
               D(pages_input), D(page_reads), D(faults_access_bit), D(faults_dirty_bit),
               D(pages_output), D(page_writes), D(pages_trimmed), D(balancer_trimmed),
               D(balancer_passes));
        /* The RAM pool is one memfd (shared memory) of ram_bytes, populated at create, so it
         * is the budget whatever is mapped. RSS counts it through mappings: RssShmem counts a
         * frame once per mapping, in the physical view (writer, reads, zeroing, mm_frame_is_zero)
         * and at its virtual address, so it can reach 2 x RAM without a byte more memory.
         * RssAnon growth is umm's own memory (PTE arrays, PFN database, libuv, the signal
         * stack) plus this benchmark's; RssFile is mapped files (none expected). */
        printf("#   program_4x_ram RSS: peak VmRSS +%.1f MiB over the %.1f MiB before the "
               "system (RAM budget %zu MiB: %+.1f MiB over it); RssAnon +%.1f, RssShmem +%.1f, "
               "RssFile +%.1f MiB; real memory = pool %zu MiB + RssAnon growth\n",
               d.rss / mib, g_rss.base.rss / mib, c.ram / BENCH_MiB,
               d.rss / mib - (double)c.ram / BENCH_MiB, d.anon / mib, d.shmem / mib, d.file / mib,
               c.ram / BENCH_MiB);
        printf("#   program_4x_ram PSS at the end: Pss_Shmem %.1f MiB (a pool frame counts once, "
               "however many mappings share it: the pool is the RAM budget, %zu MiB); the paging "
               "file %s the page cache (%" PRIu64 " pages went through it)\n",
               bench_rollup_kib("Pss_Shmem") / 1024.0, c.ram / BENCH_MiB,
               b.pagefile_direct ? "bypasses" : "goes through", b.pages_through_cache);
        if (d.rss / mib > g_rss_peak_mib)
            g_rss_peak_mib = d.rss / mib;
        g_rss_ram_mib = (double)c.ram / BENCH_MiB;
        if (o->verbose)
            print_delta(what, &a, &b);
        expect_no_errors(chk, what, &a, &b);
        expect_ge(chk, what, "faults_demand_zero (every page written once)", D(faults_demand_zero),
                  n);
        expect_ge(chk, what, "faults_hard (memory is 4 x RAM)", D(faults_hard), 1);
        expect_ge(chk, what, "pages_input", D(pages_input), D(faults_hard));
        expect_ge(chk, what, "pages_output", D(pages_output), 1);
        *sum = g_prog.sum;
    }
    pg_check_and_close(&e, what, chk);
    *ns = t1 - t0;
    return rc;
}

static int program_on_malloc(const pg_sizes_t *z, uint64_t *ns, uint64_t *sum)
{
    uint64_t *p = raw_resident_buffer(z->prog_commit); /* malloc'd, touched, 4 KiB pages */
    if (!p)
        return 1;
    uint64_t t0 = bench_now_ns();
    *sum = program(p, z->prog_commit, z->prog_passes, z->prog_updates);
    *ns = bench_now_ns() - t0;
    free(p);
    return 0;
}

/* one sample of both sides (who goes first alternates); figures in ms per run */
int umm_program_4x_ram(const bench_opts_t *o, double *umm_ms, double *base_ms, bench_check_t *chk)
{
    pg_sizes_t z = pg_sizes(o);
    uint64_t ns_u = 0, ns_b = 0, sum_u = 0, sum_b = 0;
    int rc, umm_first = !(g_prog_rep++ & 1);
    if (umm_first)
        rc = program_on_umm(o, &z, &ns_u, &sum_u, chk) || program_on_malloc(&z, &ns_b, &sum_b);
    else
        rc = program_on_malloc(&z, &ns_b, &sum_b) || program_on_umm(o, &z, &ns_u, &sum_u, chk);
    if (!rc && sum_u != sum_b)
        bench_check_fail(chk, "program_4x_ram: checksum on umm %" PRIx64 " != on malloc %" PRIx64,
                         sum_u, sum_b);
    *umm_ms = (double)ns_u / 1e6;
    *base_ms = (double)ns_b / 1e6;
    return rc;
}

void bench_paging_program_rss(double *peak_rss_mib, double *ram_mib)
{
    *peak_rss_mib = g_rss_peak_mib;
    *ram_mib = g_rss_ram_mib;
}

/* ================================================================== 5. trim */
/* umm_ws_empty of B of valid pages: dirty (written: they go to Modified) or clean (written,
 * flushed, read back by soft faults: they go to Standby, with their paging-file copies).
 * Dirty pages without a paging-file copy are checked for being all zero (mm_frame_is_zero, through
 * the physical view) so a first trim also fills the physical view's page-table entries (read
 * faults, 16 pages each by fault-around); as for zeroing, the figure is a second trim (the pages
 * written again: soft faults back from Modified), the first is printed with --verbose. */
static int umm_trim(const bench_opts_t *o, int clean, double *pages_per_s, bench_check_t *chk)
{
    const char *what = clean ? "trim_clean_pages_per_sec" : "trim_pages_per_sec";
    pg_sizes_t z = pg_sizes(o);
    pg_cfg_t c = {.commit = z.trim_bytes, .ram = z.trim_ram, .pagefile = z.trim_bytes,
                  .cluster = 16, .flags = UMM_CFG_NO_WORKERS};
    pg_env_t e;
    umm_stats_t a, b, s;
    uint64_t t0 = 0, t1 = 0;
    long mf0 = 0, mf1 = 0;
    if (pg_open(o, &c, &e))
        return 1;
    size_t n = e.npages;
    pg_op_t op = {.e = &e, .lo = 0, .hi = n};
    int rc = guarded(op_write_tags, &op);
    if (!rc) { /* first trim (untimed), then the pages back: written (dirty) or read (clean) */
        mf0 = minor_faults();
        t0 = bench_now_ns();
        rc = pg_call("umm_ws_empty", umm_ws_empty(e.proc));
        t1 = bench_now_ns();
        mf1 = minor_faults();
        if (!rc && o->verbose)
            printf("#   %s first trim: %.0f pages/s, %ld kernel minor faults for %zu pages\n",
                   what, (double)n / ((double)(t1 - t0) / 1e9), mf1 - mf0, n);
        rc = rc || (clean && pg_call("umm_flush_modified", umm_flush_modified(e.sys))) ||
             pg_stats(&e, &a) || guarded(clean ? op_read_tags : op_write_tags, &op) ||
             pg_stats(&e, &s);
        if (!rc) {
            expect_eq(chk, what, "setup soft faults", s.faults_transition - a.faults_transition, n);
            expect_eq(chk, what, "setup hard faults", s.faults_hard - a.faults_hard, 0);
            expect_eq(chk, what, "setup pages with a wrong tag", op.bad, 0);
        }
    }
    if (!rc && !(rc = pg_stats(&e, &a))) {
        expect_eq(chk, what, "working set before the trim", a.working_set, n);
        mf0 = minor_faults();
        t0 = bench_now_ns();
        rc = pg_call("umm_ws_empty", umm_ws_empty(e.proc));
        t1 = bench_now_ns();
        mf1 = minor_faults();
    }
    if (!rc && !(rc = pg_stats(&e, &b))) {
        if (o->verbose) {
            print_delta(what, &a, &b);
            printf("#   %s: %ld kernel minor faults during umm_ws_empty of %zu pages\n", what,
                   mf1 - mf0, n);
        }
        expect_eq(chk, what, "pages_trimmed", D(pages_trimmed), n);
        expect_eq(chk, what, "pages_trimmed_zero", D(pages_trimmed_zero), 0);
        expect_eq(chk, what, "working set after", b.working_set, 0);
        expect_eq(chk, what, clean ? "standby after" : "modified after",
                  clean ? b.standby : b.modified, n);
        expect_eq(chk, what, clean ? "modified after" : "standby after",
                  clean ? b.modified : b.standby, 0);
        expect_no_errors(chk, what, &a, &b);
    }
    pg_check_and_close(&e, what, chk);
    *pages_per_s = t1 > t0 ? (double)n / ((double)(t1 - t0) / 1e9) : 0;
    return rc;
}

int umm_trim_dirty(const bench_opts_t *o, double *pages_per_s, bench_check_t *chk)
{
    return umm_trim(o, 0, pages_per_s, chk);
}

int umm_trim_clean(const bench_opts_t *o, double *pages_per_s, bench_check_t *chk)
{
    return umm_trim(o, 1, pages_per_s, chk);
}

/* Baseline: the raw cost the trimmer batches, mprotect(PROT_NONE) of the same amount of written,
 * populated memfd memory, one call per 64 KiB run. */
int raw_mprotect_64k_runs(const bench_opts_t *o, double *pages_per_s, bench_check_t *chk)
{
    pg_sizes_t z = pg_sizes(o);
    size_t page = bench_page_size(), bytes = z.trim_bytes, n = bytes / page;
    int mfd = -1;
    (void)chk;
    bench_prewarm(bytes);
    char *p = map_frames(bytes, &mfd);
    if (!p)
        return 1;
    for (size_t i = 0; i < n; i++)
        *(uint64_t *)(void *)(p + i * page) = tag(i);
    uint64_t t0 = bench_now_ns();
    for (size_t off = 0; off < bytes; off += CHUNK)
        if (mprotect(p + off, CHUNK, PROT_NONE) != 0) {
            fprintf(stderr, "bench: mprotect: %s\n", strerror(errno));
            unmap_frames(p, bytes, mfd);
            return 1;
        }
    uint64_t t1 = bench_now_ns();
    unmap_frames(p, bytes, mfd);
    *pages_per_s = (double)n / ((double)(t1 - t0) / 1e9);
    return 0;
}

/* ================================================================== 6. zeroing */
/* B written, then decommitted: its frames go to Free; the zero page thread (workers on, balance
 * interval 20 ms so it starts soon) moves them to Zeroed. The rate is taken between the first
 * poll that sees progress and the poll that sees Free empty, so the wait for the worker to start
 * is not counted.
 *
 * Two rounds per sample, the second one timed. The zero page thread writes through the physical
 * view, whose page-table entries the kernel fills on first use: the first time a frame is zeroed
 * costs a minor fault (a write fault on a shared mapping: one page per fault, no fault-around),
 * which dominates that round. The first (cold) round is printed, the second (steady state, what
 * a running system sees) is the figure. */
typedef struct zero_round {
    uint64_t ns, pages, start_ns;
    long minflt;
} zero_round_t;

static int zero_round(pg_env_t *e, const char *what, bench_check_t *chk, zero_round_t *zr)
{
    umm_stats_t a, s;
    size_t n = e->npages;
    pg_op_t op = {.e = e, .lo = 0, .hi = n};
    uint64_t t_dec = 0, t_first = 0, t_last = 0, d_first = 0, d_last = 0;
    int rc = pg_call("umm_commit", umm_commit(e->proc, e->base, e->bytes, RW)) ||
             guarded(op_write_tags, &op) || pg_stats(e, &a);
    long mf0 = minor_faults();
    if (!rc) {
        expect_eq(chk, what, "free before the decommit", a.free, 0);
        rc = pg_call("umm_decommit", umm_decommit(e->proc, e->base, e->bytes));
        t_dec = bench_now_ns();
    }
    while (!rc) {
        struct timespec nap = {0, 250000}; /* each poll takes the system lock */
        if ((rc = pg_stats(e, &s)))
            break;
        uint64_t now = bench_now_ns(), done = s.pages_zeroed_by_thread - a.pages_zeroed_by_thread;
        if (done > 0 && !t_first) {
            t_first = now;
            d_first = done;
        }
        if (s.free == 0 && done >= n) {
            t_last = now;
            d_last = done;
            break;
        }
        if (now - t_dec > 10000000000ull) {
            fprintf(stderr, "bench: %s: %" PRIu64 " of %zu pages zeroed after 10 s\n", what, done,
                    n);
            rc = 1;
        }
        nanosleep(&nap, NULL);
    }
    zr->minflt = minor_faults() - mf0;
    if (rc)
        return rc;
    expect_eq(chk, what, "pages_zeroed_by_thread", d_last, n);
    expect_eq(chk, what, "zeroed after", s.zeroed, s.total_frames);
    expect_no_errors(chk, what, &a, &s);
    zr->start_ns = t_first - t_dec;
    if (d_last == d_first) { /* all of it between two polls: a lower bound from the decommit */
        t_first = t_dec;
        d_first = 0;
    }
    zr->ns = t_last - t_first;
    zr->pages = d_last - d_first;
    return 0;
}

int umm_zeroing(const bench_opts_t *o, double *mbps, bench_check_t *chk)
{
    const char *what = "zeroing_MBps";
    pg_sizes_t z = pg_sizes(o);
    pg_cfg_t c = {.commit = z.zero_bytes, .ram = z.zero_ram, .pagefile = 0, .cluster = 16,
                  .flags = 0, .balance_ms = 20};
    pg_env_t e;
    zero_round_t r[2] = {{0, 0, 0, 0}, {0, 0, 0, 0}};
    if (pg_open(o, &c, &e))
        return 1;
    int rc = zero_round(&e, what, chk, &r[0]) || zero_round(&e, what, chk, &r[1]);
    if (!rc)
        for (int k = 0; k < 2; k++)
            if (o->verbose || k == 0)
                printf("#   %s %s round: %.0f MB/s (%" PRIu64 " pages in %.2f ms, started %.1f ms "
                       "after the decommit); %ld kernel minor faults for %zu pages\n",
                       what, k ? "timed" : "first (cold)",
                       mb_per_s((size_t)r[k].pages * e.page, r[k].ns), r[k].pages,
                       (double)r[k].ns / 1e6, (double)r[k].start_ns / 1e6, r[k].minflt, e.npages);
    pg_check_and_close(&e, what, chk);
    *mbps = mb_per_s((size_t)r[1].pages * e.page, r[1].ns);
    return rc;
}

/* memset to 0, 4 KiB at a time (as the zero page thread does), of populated memfd memory */
typedef struct memset_job {
    char *p;
    size_t bytes, page;
    uint64_t ns;
} memset_job_t;

static void *zero_pages(void *arg)
{
    memset_job_t *j = arg;
    uint64_t t0 = bench_now_ns();
    for (size_t off = 0; off < j->bytes; off += j->page)
        memset(j->p + off, 0, j->page);
    j->ns = bench_now_ns() - t0;
    return NULL;
}

/* Baseline: the memset by the thread that has just written the memory, through that mapping. */
int raw_memset(const bench_opts_t *o, double *mbps, bench_check_t *chk)
{
    pg_sizes_t z = pg_sizes(o);
    memset_job_t j = {.page = bench_page_size(), .bytes = z.zero_bytes};
    int mfd = -1;
    (void)chk;
    bench_prewarm(j.bytes);
    if (!(j.p = map_frames(j.bytes, &mfd)))
        return 1;
    memset(j.p, 1, j.bytes);
    zero_pages(&j);
    g_sink += (uint64_t)j.p[j.bytes - 1];
    unmap_frames(j.p, j.bytes, mfd);
    *mbps = mb_per_s(j.bytes, j.ns);
    return 0;
}

static int errno_fail(const char *what)
{
    fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
    return 1;
}

/* What the program does to frames before the zero page thread gets them: maps them at its own
 * addresses (64 KiB at a time, as a clustered fault), writes each page, then decommits (the
 * mapping replaced by an inaccessible one). */
static int use_at_second_address(char *at, size_t bytes, size_t page, int mfd)
{
    const size_t piece = (size_t)64 << 10;
    for (size_t off = 0; off < bytes; off += piece) {
        char *p = mmap(at + off, piece, PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_FIXED | MAP_POPULATE, mfd, (off_t)off);
        if (p == MAP_FAILED)
            return errno_fail("mmap of a piece");
        for (size_t k = 0; k < piece; k += page)
            p[k] = 1;
    }
    if (mmap(at, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
             0) == MAP_FAILED)
        return errno_fail("mmap over the pieces");
    return 0;
}

/* The floor of zeroing_MBps with umm taken out: the frames used as above, then zeroed on another
 * thread through the populated mapping of all of them (the physical view). Two rounds, the second
 * timed: the first store through an entry of that mapping costs far more on some machines
 * (docs/performance.md), and zeroing_MBps times its second round too. */
int raw_memset_after_use(const bench_opts_t *o, double *mbps, bench_check_t *chk)
{
    pg_sizes_t z = pg_sizes(o);
    memset_job_t j = {.page = bench_page_size(), .bytes = z.zero_bytes};
    int mfd = -1, rc = 0;
    (void)chk;
    bench_prewarm(j.bytes);
    if (!(j.p = map_frames(j.bytes, &mfd)))
        return 1;
    char *at = mmap(NULL, j.bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (at == MAP_FAILED)
        rc = errno_fail("mmap of the second address range");
    for (int round = 0; round < 2 && !rc; round++) {
        pthread_t th;
        if ((rc = use_at_second_address(at, j.bytes, j.page, mfd)))
            break;
        if ((rc = pthread_create(&th, NULL, zero_pages, &j)) != 0) {
            fprintf(stderr, "bench: pthread_create: %s\n", strerror(rc));
            break;
        }
        pthread_join(th, NULL);
    }
    if (at != MAP_FAILED)
        munmap(at, j.bytes);
    g_sink += (uint64_t)j.p[j.bytes - 1];
    unmap_frames(j.p, j.bytes, mfd);
    *mbps = mb_per_s(j.bytes, j.ns);
    return rc != 0;
}
