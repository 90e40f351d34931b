/* SPDX-License-Identifier: MIT */
/* test_io.c - a program's I/O on managed memory: umm_io_read/write/readv/writev and probe-and-lock
 * against pages that are untouched, trimmed to Standby or Modified, written out to the paging
 * file, on a guard page, read-only, and a range that runs past the committed pages. Bytes are
 * compared with a reference read with plain pread; the errors come before any byte moves. */
#include "paging_util.h"

#include <fcntl.h>
#include <sys/uio.h>

#define PG PU_PG
#define NPAGES 96 /* 384 KiB: several fault clusters, more than one 64 KiB system call */

enum page_state { UNTOUCHED, STANDBY, MODIFIED, PAGED_OUT, STATE_COUNT };
static const char *const state_names[] = {"untouched", "standby", "modified", "paged out"};

typedef struct io_env {
    umm_system_t *sys;
    umm_process_t *proc;
    unsigned char *base; /* NPAGES committed read-write, 64 KiB aligned */
    int fd;              /* a scratch file */
    char path[64];
} io_env_t;

static void env_new(io_env_t *e)
{
    umm_config_t c = pu_config(8 * TU_MIB, 32 * TU_MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &e->sys, &e->proc);
    e->base = tu_alloc(e->proc, NPAGES * PG);
    snprintf(e->path, sizeof e->path, "/tmp/umm_test_io_XXXXXX");
    e->fd = mkstemp(e->path);
    assert_true(e->fd >= 0);
    unlink(e->path);
}

static void env_free(io_env_t *e)
{
    tu_assert_consistent(e->sys);
    close(e->fd);
    umm_system_destroy(e->sys);
}

/* Fill a page with words keyed by `key` and their index (not their address: a reference copy
 * elsewhere holds the same bytes). */
static void pat_fill(unsigned char *page, uint64_t key)
{
    pu_rng_t r = {key * 0x9e3779b97f4a7c15ULL + 1};
    for (size_t k = 0; k < PG / 8; k++) {
        uint64_t w = pu_next(&r);
        memcpy(page + 8 * k, &w, 8);
    }
}

/* Fill the region with a pattern (unless untouched) and put its pages into `st`. */
static void env_prepare(io_env_t *e, enum page_state st, uint64_t gen)
{
    if (st == UNTOUCHED) {
        assert_int_equal(umm_decommit(e->proc, e->base, NPAGES * PG), UMM_OK);
        assert_int_equal(umm_commit(e->proc, e->base, NPAGES * PG, TU_RW), UMM_OK);
        return;
    }
    for (size_t i = 0; i < NPAGES; i++)
        pat_fill(pu_at(e->base, i), gen + i);
    assert_int_equal(umm_ws_empty(e->proc), UMM_OK);
    if (st == MODIFIED) {
        assert_true(tu_stats(e->sys).modified >= NPAGES);
        return;
    }
    assert_int_equal(umm_flush_modified(e->sys), UMM_OK);
    if (st == PAGED_OUT)
        assert_int_equal(umm_standby_purge(e->sys, 7, NULL), UMM_OK);
    umm_stats_t s = tu_stats(e->sys);
    assert_true(st == STANDBY ? s.standby >= NPAGES : s.standby == 0);
    assert_int_equal(tu_pstats(e->proc).working_set, 0);
}

/* What the region holds after env_prepare(st, gen). */
static void expected_bytes(enum page_state st, uint64_t gen, unsigned char *ref)
{
    memset(ref, 0, NPAGES * PG);
    if (st != UNTOUCHED)
        for (size_t i = 0; i < NPAGES; i++)
            pat_fill(ref + i * PG, gen + i);
}

static void random_bytes(unsigned char *b, size_t n, uint64_t seed)
{
    pu_rng_t r = {seed};
    for (size_t k = 0; k < n; k++)
        b[k] = (unsigned char)pu_next(&r);
}

static void write_file(int fd, const unsigned char *b, size_t n)
{
    assert_int_equal(ftruncate(fd, 0), 0);
    assert_int_equal(pwrite(fd, b, n, 0), (ssize_t)n);
}

/* The kernel does not take umm's fault: a plain system call into trimmed memory fails. This is
 * what the helpers are for, and it must stay true for the tests below to mean anything. */
static void test_plain_syscall_gets_efault(void **state)
{
    (void)state;
    io_env_t e;
    env_new(&e);
    unsigned char *src = malloc(NPAGES * PG);
    random_bytes(src, NPAGES * PG, 1);
    write_file(e.fd, src, NPAGES * PG);
    env_prepare(&e, PAGED_OUT, 10);
    errno = 0;
    ssize_t r = pread(e.fd, e.base, 16 * PG, 0);
    assert_true(r == -1 && errno == EFAULT);
    free(src);
    env_free(&e);
}

/* umm_io_read into each state, at an odd offset and length crossing many pages. */
static void test_read_every_state(void **state)
{
    (void)state;
    io_env_t e;
    env_new(&e);
    size_t n = NPAGES * PG;
    unsigned char *src = malloc(n), *ref = malloc(n);
    random_bytes(src, n, 2);
    write_file(e.fd, src, n);
    const size_t at = 123, len = n - 123 - 777, foff = 4000;
    for (int st = 0; st < STATE_COUNT; st++) {
        env_prepare(&e, (enum page_state)st, 100 * (uint64_t)st);
        expected_bytes((enum page_state)st, 100 * (uint64_t)st, ref);
        memcpy(ref + at, src + foff, n - foff); /* the file ends before the buffer does */
        size_t done = 0;
        assert_int_equal(umm_io_read(e.proc, e.fd, e.base + at, len, (int64_t)foff, &done), UMM_OK);
        print_message("  read into %s pages: %zu bytes\n", state_names[st], done);
        assert_true(n - foff < len);
        assert_int_equal(done, n - foff); /* end of file: the count, as POSIX */
        assert_memory_equal(e.base, ref, n);
        assert_int_equal(tu_stats(e.sys).pinned_frames, 0);
        tu_assert_consistent(e.sys);
    }
    free(src);
    free(ref);
    env_free(&e);
}

/* Pages lying whole inside [p, p + n). */
static size_t whole_pages(uintptr_t p, size_t n)
{
    uintptr_t a = (p + PG - 1) & ~(uintptr_t)(PG - 1), b = (p + n) & ~(uintptr_t)(PG - 1);
    return b > a ? (b - a) / PG : 0;
}

/* Reads at random offsets and lengths into every state, half of them reaching past the end of
 * the file (a short read), several seeds: the bytes equal a reference (the old contents where the
 * data did not reach, on partial pages too). Into paged-out pages, every page the data cover
 * whole is filled without a read (io_reads_skipped counts exactly those) and only the partial
 * first and last pages are read back; into other states nothing is skipped. */
static void test_read_skips_paged_out(void **state)
{
    (void)state;
    io_env_t e;
    env_new(&e);
    size_t n = NPAGES * PG;
    unsigned char *src = malloc(n), *ref = malloc(n);
    for (uint64_t seed = 1; seed <= 6; seed++) {
        pu_rng_t r = {seed * 7919};
        size_t flen = seed % 2 ? n : n / 2 + pu_next(&r) % (n / 2); /* even: EOF mid-buffer */
        random_bytes(src, flen, seed);
        write_file(e.fd, src, flen);
        for (int st = 0; st < STATE_COUNT; st++) {
            size_t at = seed == 1 ? 0 : pu_next(&r) % PG; /* seed 1: whole pages only */
            size_t len = n - at - (seed == 1 ? 0 : pu_next(&r) % PG);
            size_t foff = seed == 1 ? 0 : (pu_next(&r) % 4) * 1000;
            uint64_t gen = 1000 * seed + (uint64_t)st;
            env_prepare(&e, (enum page_state)st, gen);
            expected_bytes((enum page_state)st, gen, ref);
            size_t avail = flen - foff, want = len < avail ? len : avail;
            memcpy(ref + at, src + foff, want);
            umm_stats_t s0 = tu_stats(e.sys);
            size_t done = 0;
            assert_int_equal(umm_io_read(e.proc, e.fd, e.base + at, len, (int64_t)foff, &done), UMM_OK);
            umm_stats_t s1 = tu_stats(e.sys);
            assert_int_equal(done, want);
            uint64_t skipped = s1.io_reads_skipped - s0.io_reads_skipped;
            if (st == PAGED_OUT) {
                assert_int_equal(skipped, whole_pages((uintptr_t)e.base + at, want));
                assert_true(s1.page_reads - s0.page_reads <= 2); /* the partial pages, if any */
            } else {
                assert_int_equal(skipped, 0);
            }
            assert_int_equal(s1.pinned_frames, 0);
            tu_assert_consistent(e.sys);
            assert_memory_equal(e.base, ref, n);
        }
    }
    free(src);
    free(ref);
    env_free(&e);
}

static int fail_on_call(const char *name, void *ctx)
{
    (void)name;
    int *left = ctx;
    return --*left == 0;
}

/* A read whose system call fails (the failure point umm/os/user_io, EIO) on its first call, and
 * on its second, after a first piece arrived: the bytes that came are there and counted, every page
 * the read did not reach holds exactly its old contents (paged out, nothing skipped for it), and
 * the error says why. 3 MiB through 8 MiB of RAM: pieces of 1 MiB. */
static void test_read_error_keeps_untouched(void **state)
{
    (void)state;
    umm_config_t c = pu_config(8 * TU_MIB, 32 * TU_MIB, 0, UMM_CFG_NO_WORKERS);
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&c, &sys, &proc);
    size_t n = 3 * TU_MIB, at = 1000, len = n - 3000;
    unsigned char *base = tu_alloc(proc, n), *src = malloc(n), *ref = malloc(n);
    char path[] = "/tmp/umm_test_io_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    for (int calls = 1; calls <= 2; calls++) {
        random_bytes(src, n, 50 + (uint64_t)calls);
        write_file(fd, src, n);
        for (size_t i = 0; i < n / PG; i++)
            pat_fill(base + i * PG, 7000 + 10 * (uint64_t)calls + i);
        memcpy(ref, base, n);
        pu_page_out(sys, proc);
        int left = calls;
        assert_int_equal(umm_failpoint_set_hook("umm/os/user_io", fail_on_call, &left), UMM_OK);
        umm_stats_t s0 = tu_stats(sys);
        size_t done = 99;
        int rc = umm_io_read(proc, fd, base + at, len, 0, &done);
        umm_failpoint_disable("umm/os/user_io");
        umm_stats_t s1 = tu_stats(sys);
        assert_int_equal(rc, UMM_E_OS);
        assert_int_equal(umm_last_os_error(), EIO);
        if (calls == 1)
            assert_int_equal(done, 0);
        else
            assert_true(done > 0 && done < len); /* the first piece */
        print_message("  failing call %d: %zu bytes came\n", calls, done);
        assert_int_equal(s1.io_reads_skipped - s0.io_reads_skipped,
                         whole_pages((uintptr_t)base + at, done));
        memcpy(ref + at, src, done);
        assert_int_equal(s1.pinned_frames, 0);
        tu_assert_consistent(sys);
        assert_memory_equal(base, ref, n);
    }
    close(fd);
    free(src);
    free(ref);
    umm_system_destroy(sys);
}

/* umm_io_write from each state: the file's bytes (plain pread) equal the region's. */
static void test_write_every_state(void **state)
{
    (void)state;
    io_env_t e;
    env_new(&e);
    size_t n = NPAGES * PG;
    unsigned char *ref = malloc(n), *got = malloc(n);
    for (int st = 0; st < STATE_COUNT; st++) {
        env_prepare(&e, (enum page_state)st, 200 + 100 * (uint64_t)st);
        expected_bytes((enum page_state)st, 200 + 100 * (uint64_t)st, ref);
        assert_int_equal(ftruncate(e.fd, 0), 0);
        size_t done = 0;
        assert_int_equal(umm_io_write(e.proc, e.fd, e.base + 5, n - 5, 0, &done), UMM_OK);
        assert_int_equal(done, n - 5);
        assert_int_equal(pread(e.fd, got, n, 0), (ssize_t)(n - 5));
        assert_memory_equal(got, ref + 5, n - 5);
        print_message("  wrote from %s pages: %zu bytes\n", state_names[st], done);
    }
    free(ref);
    free(got);
    env_free(&e);
}

/* Vectored forms, and -1 (the descriptor's position) through a pipe-like file position. */
static void test_vectored(void **state)
{
    (void)state;
    io_env_t e;
    env_new(&e);
    size_t n = NPAGES * PG;
    unsigned char *src = malloc(n), *got = malloc(n);
    random_bytes(src, n, 3);
    write_file(e.fd, src, n);
    env_prepare(&e, PAGED_OUT, 7);
    struct iovec iov[3] = {{e.base + 64 * PG, 10 * PG}, {e.base + 3, 5 * PG}, {e.base + 30 * PG, 20 * PG + 9}};
    size_t total = 35 * PG + 9, done = 0;
    assert_int_equal(lseek(e.fd, 0, SEEK_SET), 0);
    assert_int_equal(umm_io_readv(e.proc, e.fd, iov, 3, -1, &done), UMM_OK);
    assert_int_equal(done, total);
    assert_int_equal(lseek(e.fd, 0, SEEK_CUR), (off_t)total);
    assert_memory_equal(e.base + 64 * PG, src, 10 * PG);
    assert_memory_equal(e.base + 3, src + 10 * PG, 5 * PG);
    assert_memory_equal(e.base + 30 * PG, src + 15 * PG, 20 * PG + 9);
    /* and back out, after the pages were paged out again */
    pu_page_out(e.sys, e.proc);
    assert_int_equal(ftruncate(e.fd, 0), 0);
    assert_int_equal(umm_io_writev(e.proc, e.fd, iov, 3, 0, &done), UMM_OK);
    assert_int_equal(done, total);
    assert_int_equal(pread(e.fd, got, n, 0), (ssize_t)total);
    assert_memory_equal(got, src, total);
    free(src);
    free(got);
    env_free(&e);
}

/* Errors come before any byte moves: the file's position and contents and the region stay. */
static void assert_nothing_moved(io_env_t *e, const unsigned char *before, const unsigned char *file)
{
    unsigned char *got = malloc(NPAGES * PG);
    for (size_t i = 0; i < 8; i++) /* the readable, committed pages before the fault */
        assert_memory_equal(e->base + i * PG, before + i * PG, PG);
    assert_int_equal(pread(e->fd, got, NPAGES * PG, 0), (ssize_t)(NPAGES * PG));
    assert_memory_equal(got, file, NPAGES * PG);
    assert_int_equal(lseek(e->fd, 0, SEEK_CUR), 0);
    assert_int_equal(tu_stats(e->sys).pinned_frames, 0);
    free(got);
}

static void test_errors_before_any_byte(void **state)
{
    (void)state;
    io_env_t e;
    env_new(&e);
    size_t n = NPAGES * PG, done = 99;
    unsigned char *src = malloc(n), *before = malloc(n);
    random_bytes(src, n, 4);
    write_file(e.fd, src, n);
    assert_int_equal(lseek(e.fd, 0, SEEK_SET), 0);
    env_prepare(&e, PAGED_OUT, 50);
    expected_bytes(PAGED_OUT, 50, before);

    /* a guard page at page 8: UMM_E_GUARD, and the guard stays armed */
    assert_int_equal(umm_protect(e.proc, e.base + 8 * PG, PG, TU_RW | UMM_PROT_GUARD, NULL), UMM_OK);
    assert_int_equal(umm_io_read(e.proc, e.fd, e.base, 16 * PG, -1, &done), UMM_E_GUARD);
    assert_int_equal(done, 0);
    assert_int_equal(umm_io_write(e.proc, e.fd, e.base, 16 * PG, -1, &done), UMM_E_GUARD);
    umm_mdl_t mdl;
    assert_int_equal(umm_probe_and_lock(e.proc, e.base, 16 * PG, UMM_PROT_READ, &mdl), UMM_E_GUARD);
    umm_region_info_t qi;
    assert_int_equal(umm_query(e.proc, e.base + 8 * PG, &qi), UMM_OK);
    assert_int_equal(qi.prot, TU_RW | UMM_PROT_GUARD);
    assert_nothing_moved(&e, before, src);
    assert_int_equal(umm_protect(e.proc, e.base + 8 * PG, PG, TU_RW, NULL), UMM_OK);

    /* read-only at page 8: reading into it is refused, writing from it is fine */
    assert_int_equal(umm_protect(e.proc, e.base + 8 * PG, PG, UMM_PROT_READ, NULL), UMM_OK);
    assert_int_equal(umm_io_read(e.proc, e.fd, e.base, 16 * PG, 0, &done), UMM_E_ACCESS);
    assert_int_equal(done, 0);
    struct iovec iov[2] = {{e.base, PG}, {e.base + 8 * PG, PG}};
    assert_int_equal(umm_io_readv(e.proc, e.fd, iov, 2, 0, &done), UMM_E_ACCESS);
    assert_int_equal(done, 0);
    assert_nothing_moved(&e, before, src);
    /* no access at page 8: neither way */
    assert_int_equal(umm_protect(e.proc, e.base + 8 * PG, PG, UMM_PROT_NONE, NULL), UMM_OK);
    assert_int_equal(umm_io_write(e.proc, e.fd, e.base, 16 * PG, 0, &done), UMM_E_ACCESS);
    assert_nothing_moved(&e, before, src);
    assert_int_equal(umm_protect(e.proc, e.base + 8 * PG, PG, TU_RW, NULL), UMM_OK);

    /* past the committed pages: decommit the last 32, then read over the boundary */
    assert_int_equal(umm_decommit(e.proc, e.base + 64 * PG, 32 * PG), UMM_OK);
    assert_int_equal(umm_io_read(e.proc, e.fd, e.base + 60 * PG, 8 * PG, 0, &done), UMM_E_NOT_COMMITTED);
    assert_int_equal(done, 0);
    assert_int_equal(umm_io_write(e.proc, e.fd, e.base + 60 * PG, 8 * PG, 0, &done), UMM_E_NOT_COMMITTED);
    /* past the reservation (96 pages reserve 384 KiB: the next reservation is not ours) */
    assert_int_equal(umm_io_read(e.proc, e.fd, e.base + 60 * PG, 100 * PG, 0, &done), UMM_E_RANGE);
    assert_nothing_moved(&e, before, src);

    /* bad arguments */
    assert_int_equal(umm_io_read(e.proc, -1, e.base, PG, 0, &done), UMM_E_INVAL);
    assert_int_equal(umm_io_read(e.proc, e.fd, e.base, PG, -2, &done), UMM_E_INVAL);
    assert_int_equal(umm_io_read(e.proc, e.fd, e.base, PG, 0, NULL), UMM_E_INVAL);
    assert_int_equal(umm_io_read(e.proc, e.fd, NULL, PG, 0, &done), UMM_E_INVAL);
    unsigned char plain[64];
    assert_int_equal(umm_io_read(e.proc, e.fd, plain, sizeof plain, 0, &done), UMM_E_NOT_RESERVED);
    assert_int_equal(umm_io_read(e.proc, e.fd, e.base, 0, 0, &done), UMM_OK);
    assert_int_equal(done, 0);
    /* a descriptor the kernel refuses: UMM_E_OS with its errno */
    assert_int_equal(umm_io_read(e.proc, 1000, e.base, PG, 0, &done), UMM_E_OS);
    assert_int_equal(umm_last_os_error(), EBADF);
    free(src);
    free(before);
    env_free(&e);
}

/* Probe and lock: pinned pages stay resident and mapped through umm_ws_empty and a purge, a write
 * probe makes them dirty (the data survives paging), and unpinning lets them go. */
static void test_probe_and_lock(void **state)
{
    (void)state;
    io_env_t e;
    env_new(&e);
    env_prepare(&e, PAGED_OUT, 70);
    umm_mdl_t mdl;
    assert_int_equal(umm_probe_and_lock(e.proc, e.base + 10, 20 * PG, UMM_PROT_WRITE, &mdl), UMM_OK);
    assert_ptr_equal(mdl.address, e.base);
    assert_int_equal(mdl.bytes, 21 * PG);
    assert_int_equal(tu_stats(e.sys).pinned_frames, 21);
    assert_int_equal(umm_ws_empty(e.proc), UMM_OK);
    assert_int_equal(umm_standby_purge(e.sys, 7, NULL), UMM_OK);
    assert_int_equal(umm_balance(e.sys), UMM_OK);
    umm_region_info_t qi;
    assert_int_equal(umm_query(e.proc, e.base, &qi), UMM_OK);
    assert_int_equal(qi.resident_pages, 21);
    /* the kernel may use them directly now: a plain pread into them works */
    unsigned char *src = malloc(21 * PG);
    random_bytes(src, 21 * PG, 5);
    write_file(e.fd, src, 21 * PG);
    uint64_t faults = tu_pstats(e.proc).faults_total;
    assert_int_equal(pread(e.fd, e.base, 21 * PG, 0), (ssize_t)(21 * PG));
    assert_int_equal(tu_pstats(e.proc).faults_total, faults); /* no fault: mapped writable */
    tu_assert_consistent(e.sys);
    assert_int_equal(umm_unlock_pages(&mdl), UMM_OK);
    assert_int_equal(umm_unlock_pages(&mdl), UMM_E_INVAL); /* once */
    assert_int_equal(tu_stats(e.sys).pinned_frames, 0);
    /* now they go, and what the kernel wrote survives paging (the probe made them dirty) */
    pu_page_out(e.sys, e.proc);
    assert_int_equal(tu_pstats(e.proc).working_set, 0);
    assert_memory_equal(e.base, src, 21 * PG);
    /* bad access kinds */
    assert_int_equal(umm_probe_and_lock(e.proc, e.base, PG, UMM_PROT_GUARD, &mdl), UMM_E_INVAL);
    assert_int_equal(umm_probe_and_lock(e.proc, e.base, PG, UMM_PROT_READ, NULL), UMM_E_INVAL);
    free(src);
    env_free(&e);
}

/* A buffer larger than RAM goes through in pieces (16 MiB through 8 MiB of RAM). */
static void test_buffer_larger_than_ram(void **state)
{
    (void)state;
    io_env_t e;
    env_new(&e);
    size_t n = 16 * TU_MIB;
    unsigned char *big = tu_alloc(e.proc, n), *src = malloc(n), *got = malloc(n);
    random_bytes(src, n, 6);
    write_file(e.fd, src, n);
    size_t done = 0;
    assert_int_equal(umm_io_read(e.proc, e.fd, big, n, 0, &done), UMM_OK);
    assert_int_equal(done, n);
    assert_int_equal(ftruncate(e.fd, 0), 0);
    assert_int_equal(umm_io_write(e.proc, e.fd, big, n, 0, &done), UMM_OK);
    assert_int_equal(done, n);
    assert_int_equal(pread(e.fd, got, n, 0), (ssize_t)n);
    assert_memory_equal(got, src, n);
    assert_true(tu_stats(e.sys).pages_output > 0); /* it really paged */
    free(src);
    free(got);
    env_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_syscall_gets_efault),
        cmocka_unit_test(test_read_every_state),
        cmocka_unit_test(test_read_skips_paged_out),
        cmocka_unit_test(test_read_error_keeps_untouched),
        cmocka_unit_test(test_write_every_state),
        cmocka_unit_test(test_vectored),
        cmocka_unit_test(test_errors_before_any_byte),
        cmocka_unit_test(test_probe_and_lock),
        cmocka_unit_test(test_buffer_larger_than_ram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
