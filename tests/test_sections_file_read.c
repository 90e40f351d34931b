/* SPDX-License-Identifier: MIT */
/* test_sections_file_read.c - the read path of file-backed sections: hard faults read into a warm
 * read buffer and the kernel copies it into the frames (mm/readbuf.h); I/O threads read ahead of a
 * sequential stream O_DIRECT straight into frames (mm/filerd.h).
 *
 * Covered (data first, every byte compared with the file read by plain pread, never through
 * umm): a sequential scan and a random one over a file 3x the RAM (frames repurposed, pages read
 * again), files whose size is a multiple of neither the page nor 512 bytes; the reads go through
 * the buffers (page_reads_buffered) and in clusters; injected read errors (umm/file/read) are
 * in-page errors that lose nothing and leak no buffer; a private region's reads from a buffered
 * paging file take the same path. The O_DIRECT read-ahead: a sequential scan with a partial,
 * unaligned last page; frames newer than the file (dirty, unflushed) never read over, flushed
 * and purged pages read back by O_DIRECT with what the buffered writes put in the file; injected
 * read errors while reads are in flight; a scan of a file 4x the RAM, whose passed pages make room
 * for what is read ahead. */
#include "section_util.h"

#include <stdbool.h>

#define FILEMAP_PIECE_TEST 256 /* pages an O_DIRECT read-ahead piece has at most (filemap.h) */

/* The file's bytes [off, off + n), read with pread (the file as the kernel sees it). */
static void file_bytes(const test_file_t *f, size_t off, size_t n, unsigned char *out) {
    size_t have = off < f->bytes ? (f->bytes - off < n ? f->bytes - off : n) : 0;
    assert_int_equal(pread(f->fd, out, have, (off_t)off), (ssize_t)have);
    memset(out + have, 0, n - have); /* past the end: the section reads zeros */
}

/* View page i equals the file's page i (zeros past its end). */
static void assert_page_is_file(const unsigned char *v, const test_file_t *f, size_t i) {
    unsigned char want[PG];
    file_bytes(f, i * PG, PG, want);
    for (size_t b = 0; b < PG; b++)
        if (v[i * PG + b] != want[b])
            fail_msg("view page %zu byte %zu: %02x, the file has %02x", i, b, v[i * PG + b], want[b]);
}

static size_t pages_of(const test_file_t *f) { return (f->bytes + PG - 1) / PG; }

/* Reads between two snapshots that went through a warm buffer, plus the I/O threads' O_DIRECT
 * reads ahead of a stream (which need no buffer): every read of a file section is one or the other. */
static uint64_t reads_buffered_or_direct(const umm_stats_t *a, const umm_stats_t *b) {
    return (b->page_reads_buffered - a->page_reads_buffered) + (b->file_reads_direct - a->file_reads_direct);
}

/* A view of a file-backed section over a new file of `bytes` (pattern `seed`), both with the
 * protection `prot`. */
typedef struct fview {
    umm_system_t *sys;
    umm_process_t *p;
    test_file_t f;
    umm_section_t *sec;
    unsigned char *v;
} fview_t;

static void fview_new(fview_t *t, umm_system_t *sys, umm_process_t *p, size_t bytes, int prot,
                      uint64_t seed) {
    t->sys = sys;
    t->p = p;
    file_new(&t->f, bytes, seed, O_RDWR);
    t->sec = fsec_new(t->sys, t->f.fd, 0, prot);
    t->v = view_new(p, t->sec, prot);
}

/* Release the view, close the section, check the system, destroy it with the file. */
static void fview_free(fview_t *t) {
    assert_int_equal(umm_release(t->p, t->v), UMM_OK);
    assert_int_equal(umm_section_close(t->sec), UMM_OK);
    sc_consistent(t->sys);
    umm_system_destroy(t->sys);
    file_free(&t->f);
}

/* A read-only one over a new system of 4 MiB RAM, no workers, 16-page clusters. */
static void fview_new_system(fview_t *t, size_t bytes, uint64_t seed) {
    umm_system_t *sys;
    umm_process_t *p = sys_nw(&sys, 4 * MIB, 4 * MIB, 16);
    fview_new(t, sys, p, bytes, UMM_PROT_READ, seed);
}

/* A sequential scan of a file 3x the RAM, of `bytes` (not a multiple of the page): every page
 * equals the file, every read went through a buffer, in clusters. */
static void scan_sequential(size_t bytes) {
    fview_t t;
    fview_new_system(&t, bytes, 11);
    umm_stats_t s0 = tu_stats(t.sys);
    for (size_t i = 0; i < pages_of(&t.f); i++)
        assert_page_is_file(t.v, &t.f, i);
    umm_stats_t s1 = tu_stats(t.sys);
    uint64_t reads = s1.page_reads - s0.page_reads;
    assert_true(s1.pages_input - s0.pages_input >= pages_of(&t.f));
    assert_true(reads > 0 && reads <= pages_of(&t.f) / 8); /* clustered: 16 pages a read */
    assert_int_equal(reads_buffered_or_direct(&s0, &s1), reads); /* the rest: O_DIRECT read-ahead */
    assert_int_equal(s1.read_errors, s0.read_errors);
    fview_free(&t);
}

static void test_sequential_equals_file(void **state) {
    (void)state;
    scan_sequential(12 * MIB + 1000); /* a partial last page, not 512-aligned either */
    scan_sequential(12 * MIB + PG / 2 + 3);
}

/* Random pages over a file 3x the RAM, each touched page checked against the file at once, then
 * everything again: pages read, repurposed and read again keep equalling the file. */
static void test_random_equals_file(void **state) {
    (void)state;
    fview_t t;
    fview_new_system(&t, 12 * MIB + 777, 12);
    pu_rng_t r = {.s = 0xf11e};
    umm_stats_t s0 = tu_stats(t.sys);
    for (int n = 0; n < 6000; n++)
        assert_page_is_file(t.v, &t.f, (size_t)(pu_next(&r) % pages_of(&t.f)));
    for (size_t i = pages_of(&t.f); i-- > 0;) /* descending: the window follows the other way */
        assert_page_is_file(t.v, &t.f, i);
    umm_stats_t s1 = tu_stats(t.sys);
    assert_true(s1.pages_input - s0.pages_input > pages_of(&t.f)); /* pages read more than once */
    assert_true(s1.page_reads_buffered - s0.page_reads_buffered > 0);
    assert_int_equal(reads_buffered_or_direct(&s0, &s1), s1.page_reads - s0.page_reads);
    fview_free(&t);
}

/* Read every page of the view in order; each failure must be an in-page error of UMM_E_IO.
 * Returns the failures. */
static size_t read_all_counting_errors(const fview_t *t) {
    size_t failed = 0;
    for (size_t i = 0; i < pages_of(&t->f); i++) {
        unsigned char b = 0;
        int code = tu_try_read(t->v + i * PG, &b);
        if (code == 0)
            continue;
        assert_int_equal(code, UMM_EXC_IN_PAGE_ERROR);
        assert_int_equal(tu_exc.last.error, UMM_E_IO);
        failed++;
    }
    return failed;
}

/* Half the file's reads fail (the faults' own: UMM_CFG_FILE_BUFFERED, no read-ahead threads): each
 * failure is an in-page error on the faulting thread that maps nothing and gives its buffer back (more failures than buffers, and reads after them are still
 * buffered); touched again with the point off, every page equals the file. */
static void test_read_errors_lose_nothing(void **state) {
    (void)state;
    fview_t t;
    umm_system_t *sys;
    umm_process_t *p;
    umm_config_t c = cfg_nw(4 * MIB, 8 * MIB, 16);
    c.flags |= UMM_CFG_FILE_BUFFERED; /* every read a fault's, through the buffers */
    tu_sys_new_cfg(&c, &sys, &p);
    tu_exc_install(sys);
    fview_new(&t, sys, p, 2 * MIB + 100, UMM_PROT_READ, 13);
    assert_int_equal(umm_failpoint_seed(42), UMM_OK);
    assert_int_equal(umm_failpoint_enable("umm/file/read", 0.5, 0), UMM_OK);
    umm_stats_t s0 = tu_stats(sys);
    size_t failed = read_all_counting_errors(&t);
    umm_failpoint_disable("umm/file/read");
    umm_stats_t s1 = tu_stats(sys);
    assert_true(failed > 4); /* more than the buffers (MM_READBUF_COUNT) */
    assert_int_equal(s1.read_errors - s0.read_errors, failed);
    sc_consistent(sys);
    for (size_t i = 0; i < pages_of(&t.f); i++)
        assert_page_is_file(t.v, &t.f, i);
    umm_stats_t s2 = tu_stats(sys);
    assert_true(s2.page_reads > s1.page_reads); /* the failed pages were read now, buffered */
    assert_int_equal(s2.page_reads_buffered - s1.page_reads_buffered, s2.page_reads - s1.page_reads);
    assert_int_equal(s2.file_reads_direct, 0);
    fview_free(&t);
}

/* A private region paged out to a buffered paging file comes back through the same buffers,
 * intact (an O_DIRECT one reads straight into the frames: nothing to spare). */
static void test_pagefile_reads_buffered(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p;
    umm_config_t c = cfg_nw(4 * MIB, 16 * MIB, 16);
    c.flags |= UMM_CFG_PAGEFILE_BUFFERED; /* O_DIRECT reads skip the buffers: the device fills the frames */
    tu_sys_new_cfg(&c, &sys, &p);
    size_t n = 2 * MIB / PG;
    unsigned char *a = tu_alloc(p, n * PG);
    for (size_t i = 0; i < n * PG; i += 8) {
        uint64_t x = tu_mix(i);
        memcpy(a + i, &x, 8);
    }
    pu_page_out(sys, p);
    /* the freed frames still hold the region's bytes: fill nearly all RAM with others first, so
     * a read that left its frames alone would be seen */
    unsigned char *other = tu_alloc(p, 7 * MIB / 2);
    memset(other, 0xee, 7 * MIB / 2);
    assert_int_equal(umm_release(p, other), UMM_OK);
    umm_stats_t s0 = tu_stats(sys);
    for (size_t i = 0; i < n * PG; i += 8) {
        uint64_t x = tu_mix(i), y;
        memcpy(&y, a + i, 8);
        if (x != y)
            fail_msg("byte %zu (page %zu) changed", i, i / PG);
    }
    umm_stats_t s1 = tu_stats(sys);
    assert_true(s1.pages_input - s0.pages_input >= n);
    assert_int_equal(s1.page_reads_buffered - s0.page_reads_buffered, s1.page_reads - s0.page_reads);
    sc_consistent(sys);
    umm_system_destroy(sys);
}

/* A sequential read of a view takes one fault and one kernel mapping call per read window: the
 * window's frames are consecutive (continuing the previous window's) and the faulting page is
 * mapped with its fault-around neighbours in one call (hw_map_calls). Every page equals the file,
 * the working set counts each page once. */
static void test_window_mapped_in_one_call(void **state) {
    (void)state;
    fview_t t;
    fview_new_system(&t, 2 * MIB, 17); /* the file fits in RAM: no frame repurposed */
    umm_system_t *sys = t.sys;
    umm_process_t *p = t.p;
    size_t n = pages_of(&t.f), windows = n / 16;
    umm_stats_t s0 = tu_stats(sys);
    umm_process_stats_t p0 = tu_pstats(p);
    for (size_t i = 0; i < n; i++)
        assert_page_is_file(t.v, &t.f, i);
    umm_stats_t s1 = tu_stats(sys);
    umm_process_stats_t p1 = tu_pstats(p);
    uint64_t maps = s1.hw_map_calls - s0.hw_map_calls, faults = s1.faults_total - s0.faults_total;
    print_message("%zu windows: %llu faults, %llu mapping calls\n", windows,
                  (unsigned long long)faults, (unsigned long long)maps);
    assert_int_equal(p1.working_set - p0.working_set, n);
    /* one call per window (the read window may start smaller than the cluster); a fault that
     * found its window still being read ahead (O_DIRECT, in flight) is retried, so faults may be
     * more, never fewer */
    assert_true(maps <= windows + 2);
    assert_true(maps <= faults);
    sc_consistent(sys);
    fview_free(&t);
}

/* The kernel refusing a read fault's mapping: page and neighbours go back to PROTOTYPE, the fault
 * is an in-page error, nothing is counted twice (umm_check: share[] and working sets); with half
 * the mappings refused, every page still reads as the file once they are allowed. */
static void test_refused_window_mapping_loses_nothing(void **state) {
    (void)state;
    fview_t t;
    umm_system_t *sys;
    umm_process_t *p = small_system(&sys);
    fview_new(&t, sys, p, 1 * MIB, UMM_PROT_READ, 19);
    umm_process_stats_t p0 = tu_pstats(p);
    assert_int_equal(umm_failpoint_enable("umm/os/map", 1.0, 0), UMM_OK);
    unsigned char b = 0;
    int code = tu_try_read(t.v + 5 * PG, &b);
    umm_failpoint_disable("umm/os/map");
    assert_int_equal(code, UMM_EXC_IN_PAGE_ERROR);
    assert_int_equal(tu_pstats(p).working_set, p0.working_set);
    sc_consistent(sys);
    assert_int_equal(umm_failpoint_seed(7), UMM_OK);
    assert_int_equal(umm_failpoint_enable("umm/os/map", 0.5, 0), UMM_OK);
    size_t failed = 0;
    for (size_t i = 0; i < pages_of(&t.f); i++)
        if (tu_try_read(t.v + i * PG, &b) != 0)
            failed++;
    umm_failpoint_disable("umm/os/map");
    assert_true(failed > 0);
    sc_consistent(sys);
    for (size_t i = 0; i < pages_of(&t.f); i++)
        assert_page_is_file(t.v, &t.f, i);
    assert_int_equal(tu_pstats(p).working_set - p0.working_set, pages_of(&t.f));
    fview_free(&t);
}

/* ---- O_DIRECT read-ahead by I/O threads (filemap.h, filerd.h) ---- */

/* A view over a new file of `bytes` in a system of `ram` (`cluster`-page clusters, no workers). */
static void fview_new_cluster(fview_t *t, size_t ram, size_t bytes, int prot, uint64_t seed, unsigned cluster) {
    umm_system_t *sys;
    umm_process_t *p = sys_nw(&sys, ram, 8 * MIB, cluster);
    tu_exc_install(sys);
    fview_new(t, sys, p, bytes, prot, seed);
}

static void fview_new_ram(fview_t *t, size_t ram, size_t bytes, int prot, uint64_t seed) {
    fview_new_cluster(t, ram, bytes, prot, seed, 16);
}

/* Where the file system refuses a second O_DIRECT descriptor (tmpfs) the path does not run. */
static bool direct_refused(fview_t *t) {
    if (tu_stats(t->sys).file_direct_refused == 0)
        return false;
    fview_free(t);
    return true;
}

/* Before a scan from s0 touches page i (a multiple of a piece, the stream's first windows
 * passed, so all up to a piece past i is queued), let the threads read a piece past it: wait
 * (up to 10 s) until the pages read since s0 reach i + a piece (the file's whole pages at most:
 * the faults read only the windows before i), unless a read-ahead was dropped. So the scan meets
 * the threads' pages however they are scheduled; where they keep up it never waits. Fails after
 * 10 s: the threads read nothing queued. */
static void wait_read_ahead_past(const fview_t *t, const umm_stats_t *s0, size_t i) {
    size_t whole = t->f.bytes / PG;
    uint64_t want = i + FILEMAP_PIECE_TEST < whole ? i + FILEMAP_PIECE_TEST : whole;
    for (int ms = 0; ms < 10000; ms++, usleep(1000)) {
        umm_stats_t s = tu_stats(t->sys);
        if (s.pages_input - s0->pages_input >= want ||
            s.file_reads_direct_skipped != s0->file_reads_direct_skipped)
            return;
    }
    fail_msg("10 s before page %zu: %llu pages read, the threads never read up to %llu", i,
             (unsigned long long)(tu_stats(t->sys).pages_input - s0->pages_input), (unsigned long long)want);
}

/* A sequential scan of a file that fits in RAM, its last page partial (not 512-aligned), with
 * `cluster`-page read windows: the I/O threads read ahead O_DIRECT, every page equals the file
 * (the tail's zeros included). */
static void direct_scan(unsigned cluster) {
    fview_t t;
    fview_new_cluster(&t, 40 * MIB, 24 * MIB + 1000, UMM_PROT_READ, 21, cluster);
    if (direct_refused(&t))
        skip();
    umm_stats_t s0 = tu_stats(t.sys);
    for (size_t i = 0; i < pages_of(&t.f); i++) {
        if (i > 0 && i % FILEMAP_PIECE_TEST == 0)
            wait_read_ahead_past(&t, &s0, i);
        assert_page_is_file(t.v, &t.f, i);
    }
    umm_stats_t s1 = tu_stats(t.sys);
    uint64_t direct = s1.file_reads_direct - s0.file_reads_direct;
    print_message("%u-page windows, %zu pages: %llu O_DIRECT reads ahead (%llu dropped), %llu buffered"
                  " by faults\n", cluster, pages_of(&t.f), (unsigned long long)direct,
                  (unsigned long long)(s1.file_reads_direct_skipped - s0.file_reads_direct_skipped),
                  (unsigned long long)(s1.page_reads_buffered - s0.page_reads_buffered));
    /* the threads read a piece past every piece boundary before the scan got there: all but a
     * few pieces come from them */
    assert_true(direct >= pages_of(&t.f) / FILEMAP_PIECE_TEST / 2);
    assert_true(s1.pages_input - s0.pages_input >= pages_of(&t.f));
    assert_int_equal(s1.read_errors, s0.read_errors);
    assert_int_equal(s1.standby_repurposed, s0.standby_repurposed); /* RAM was free: none taken */
    fview_free(&t);
}

static void test_direct_sequential_equals_file(void **state) {
    (void)state;
    direct_scan(16);
    direct_scan(64); /* a window as large as the first read-ahead request */
}

/* A fault that continues a stream maps every page the threads have read ahead of it, up to a
 * piece (FILEMAP_AROUND_MAX, filemap.h), not only its 16-page cluster: one signal and one kernel
 * call for the 64 pages the first read-ahead request brought, which waited on Standby at the
 * reading process's priority. */
static void test_stream_fault_maps_what_was_read_ahead(void **state) {
    (void)state;
    fview_t t;
    fview_new_cluster(&t, 40 * MIB, 4 * MIB, UMM_PROT_READ, 24, 16);
    if (direct_refused(&t))
        skip();
    assert_int_equal(umm_process_set_priority(t.p, 3), UMM_OK);
    umm_stats_t s0 = tu_stats(t.sys);
    volatile unsigned char x = t.v[0]; /* reads pages 0-15, queues 16-79 (64 pages) */
    (void)x;
    for (int ms = 0; ms < 10000 && tu_stats(t.sys).pages_input - s0.pages_input < 80; ms++)
        usleep(1000);
    umm_stats_t s1 = tu_stats(t.sys);
    assert_int_equal(s1.pages_input - s0.pages_input, 80); /* nothing more is queued yet */
    assert_int_equal(s1.file_reads_direct - s0.file_reads_direct, 1);
    /* the fault mapped its 16; the 64 read ahead wait at the reader's priority */
    assert_int_equal(s1.standby_by_priority[3], 64);
    assert_int_equal(s1.standby, 64);
    umm_process_stats_t p1 = tu_pstats(t.p);
    assert_page_is_file(t.v, &t.f, 16); /* the stream goes on */
    umm_stats_t s2 = tu_stats(t.sys);
    assert_int_equal(s2.faults_total - s1.faults_total, 1);
    assert_int_equal(s2.hw_map_calls - s1.hw_map_calls, 1); /* the piece's frames are consecutive */
    assert_int_equal(tu_pstats(t.p).working_set - p1.working_set, 64);
    for (size_t i = 0; i < pages_of(&t.f); i++)
        assert_page_is_file(t.v, &t.f, i);
    assert_int_equal(tu_pstats(t.p).working_set, pages_of(&t.f));
    fview_free(&t);
}

/* Frames newer than the file are never read over: pages written through one view (dirty, not
 * flushed) read back written through a second view's sequential scan; then, flushed and purged
 * from RAM, they come back from the file by O_DIRECT (the buffered writes are in it). */
static void test_direct_never_reads_over_newer_frames(void **state) {
    (void)state;
    fview_t t;
    fview_new_ram(&t, 40 * MIB, 8 * MIB + 3, RW, 22);
    if (direct_refused(&t))
        skip();
    size_t n = pages_of(&t.f);
    for (size_t i = 40; i < n; i += 37) { /* inside the first read-ahead requests */
        t.v[i * PG + 5] ^= 0x5a;
        t.f.ref[i * PG + 5] ^= 0x5a;
    }
    unsigned char *v2 = view_new(t.p, t.sec, UMM_PROT_READ);
    fsec_stream_read_ahead(t.sys, v2);
    assert_view_is_ref(v2, &t.f);
    assert_int_equal(umm_view_flush(t.p, t.v, 0), UMM_OK);
    assert_int_equal(umm_ws_empty(t.p), UMM_OK);
    uint64_t purged = 0;
    assert_int_equal(umm_standby_purge(t.sys, 7, &purged), UMM_OK);
    assert_true(purged >= n - 1);
    fsec_stream_read_ahead(t.sys, v2);
    assert_view_is_ref(v2, &t.f);
    assert_int_equal(umm_release(t.p, v2), UMM_OK);
    fview_free(&t);
    /* fview_free destroyed the system: the file is what umm left */
}

/* The first page of n consecutive 16-page-aligned pages of the view none of which is resident
 * (umm_query_pages), so a stream started there has pages to read ahead. */
static size_t first_cold_run(const fview_t *t, size_t n) {
    size_t run = 0;
    for (size_t i = 0; i < pages_of(&t->f); i++) {
        umm_page_info_t info = {.address = t->v + i * PG};
        assert_int_equal(umm_query_pages(t->p, &info, 1), UMM_OK);
        run = info.resident ? 0 : run + 1;
        if (run == n + 16) /* room to start at a 16-page boundary */
            return (i + 1 - run + 15) / 16 * 16;
    }
    fail_msg("no %zu cold pages in a row", n);
    return 0;
}

/* A sequential scan of a file 4x the RAM: the pages it passes leave its working set for the front
 * of Standby (filemap.h), every page equals the file and hardly any is read twice (under 3 %).
 * Then, with no frame free, a new stream over pages not resident still gets its first piece read
 * ahead, into the Standby frames of passed pages (mm_frames_spare_for_speculation). Without
 * either change that piece is never read: the frames are Active in the working set, or none may
 * go. */
static void test_direct_scan_larger_than_ram(void **state) {
    (void)state;
    fview_t t;
    fview_new_ram(&t, 4 * MIB, 16 * MIB, UMM_PROT_READ, 25);
    if (direct_refused(&t))
        skip();
    size_t n = pages_of(&t.f);
    umm_stats_t s0 = tu_stats(t.sys);
    fsec_stream_read_ahead(t.sys, t.v);
    for (size_t i = 0; i < n; i++)
        assert_page_is_file(t.v, &t.f, i);
    umm_stats_t s1 = tu_stats(t.sys);
    print_message("%zu pages: %llu read, %llu O_DIRECT pieces ahead\n", n,
                  (unsigned long long)(s1.pages_input - s0.pages_input),
                  (unsigned long long)(s1.file_reads_direct - s0.file_reads_direct));
    assert_true(s1.pages_input - s0.pages_input >= n);
    assert_true(s1.pages_input - s0.pages_input <= n + n / 32);
    assert_true(s1.free + s1.zeroed < 64); /* no piece could be read from free frames alone */
    fsec_stream_read_ahead(t.sys, t.v + first_cold_run(&t, 96) * PG); /* reads 32, queues 64 */
    for (size_t i = 0; i < n; i++)
        assert_page_is_file(t.v, &t.f, i);
    fview_free(&t);
}

/* Half the file's reads fail while the threads read ahead: a failed read-ahead puts its pages
 * back (counted as skipped, not as an error), the faults' own failures are in-page errors, and
 * with the point off every page equals the file. */
static void test_direct_read_errors_lose_nothing(void **state) {
    (void)state;
    fview_t t;
    fview_new_ram(&t, 40 * MIB, 16 * MIB + 100, UMM_PROT_READ, 23);
    if (direct_refused(&t))
        skip();
    assert_int_equal(umm_failpoint_seed(7), UMM_OK);
    assert_int_equal(umm_failpoint_enable("umm/file/read", 0.5, 0), UMM_OK);
    umm_stats_t s0 = tu_stats(t.sys);
    size_t failed = read_all_counting_errors(&t);
    umm_failpoint_disable("umm/file/read");
    umm_stats_t s1 = tu_stats(t.sys);
    assert_true(failed > 0);
    assert_int_equal(s1.read_errors - s0.read_errors, failed); /* the faults' failures only */
    sc_consistent(t.sys);
    for (size_t i = 0; i < pages_of(&t.f); i++)
        assert_page_is_file(t.v, &t.f, i);
    fview_free(&t);
}

int main(int argc, char **argv) {
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequential_equals_file),
        cmocka_unit_test(test_random_equals_file),
        cmocka_unit_test(test_read_errors_lose_nothing),
        cmocka_unit_test(test_pagefile_reads_buffered),
        cmocka_unit_test(test_window_mapped_in_one_call),
        cmocka_unit_test(test_refused_window_mapping_loses_nothing),
        cmocka_unit_test(test_direct_sequential_equals_file),
        cmocka_unit_test(test_stream_fault_maps_what_was_read_ahead),
        cmocka_unit_test(test_direct_never_reads_over_newer_frames),
        cmocka_unit_test(test_direct_read_errors_lose_nothing),
        cmocka_unit_test(test_direct_scan_larger_than_ram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
