/* SPDX-License-Identifier: MIT */
/* section_util.h - helpers for the section suites (test_sections*.c, test_threads_sections.c).
 * Header-only, static inline; builds on paging_util.h.
 *
 * Data in shared pages is keyed by the page index inside the section, not by the address, so
 * two views at different addresses can check each other (kv, fill_idx, verify_idx, mark_idx).
 * tu_assert_consistent() is not used by these suites: its "working_set <= active" does not hold
 * once a frame is mapped by two views (sc_consistent() is the same check without it).
 *
 *   at(), kv(), fill_idx()/verify_idx()/assert_page_idx(), fill_all()/verify_all():  whole pages
 *   mark_idx()/check_mark_idx():   three words per page, for the big tests
 *   sec_new(), view_new(), proc_new(), cfg_nw(), sys_nw():   creating, asserting success
 *   sec_two_views()/sec_two_views_filled()/close_and_release():   a section with a view in
 *       each of two processes
 *   sc_consistent(), assert_baseline(), check_quiet()/check_quiet_if(), assert_all_given_back():
 *       the consistency checks
 *   file_new()/file_free(), assert_file_is_ref()/assert_view_is_ref(), fsec_new(),
 *   end_section_file_is_ref(), small_system():   file-backed sections, and a small system with
 *       exceptions caught
 */
#ifndef UMM_SECTION_UTIL_H
#define UMM_SECTION_UTIL_H

#include "paging_util.h"

#include <fcntl.h>
#include <sys/stat.h>

#define PG PU_PG
#define MIB TU_MIB
#define RW TU_RW

/* ---------------------------------------------------------------------------------------------
 * helpers
 * ------------------------------------------------------------------------------------------- */

static inline unsigned char *at(void *base, size_t page) { return (unsigned char *)base + page * PG; }

/* Value of word `w` of page `page` of a section, generation `gen` (gen 0: zero). */
static inline uint64_t kv(size_t page, size_t w, uint64_t gen) {
    if (gen == 0)
        return 0;
    return tu_mix(((uint64_t)page << 20 | (uint64_t)w) ^ (gen * 0x9e3779b97f4a7c15ULL)) | 1;
}

/* Fill a whole page of a view (all 512 words). */
static inline void fill_idx(void *view, size_t page, uint64_t gen) {
    volatile uint64_t *w = (volatile uint64_t *)at(view, page);
    for (size_t i = 0; i < PG / 8; i++)
        w[i] = kv(page, i, gen);
}

/* First word of the page that is wrong, or (size_t)-1. */
static inline size_t verify_idx(const void *view, size_t page, uint64_t gen) {
    const volatile uint64_t *w = (const volatile uint64_t *)at((void *)(uintptr_t)view, page);
    for (size_t i = 0; i < PG / 8; i++)
        if (w[i] != kv(page, i, gen))
            return i;
    return (size_t)-1;
}

#define assert_page_idx(view, page, gen)                                                        \
    do {                                                                                        \
        size_t bad_ = verify_idx((view), (page), (gen));                                        \
        if (bad_ != (size_t)-1)                                                                 \
            fail_msg("view %p page %zu word %zu: %016" PRIx64 ", want %016" PRIx64 " (gen %d)", \
                     (void *)(view), (size_t)(page), bad_,                                      \
                     ((const volatile uint64_t *)at((view), (page)))[bad_],                     \
                     kv((page), bad_, (gen)), (int)(gen));                                      \
    } while (0)

static inline void fill_all(void *view, size_t npages, uint64_t gen) {
    for (size_t i = 0; i < npages; i++)
        fill_idx(view, i, gen);
}

static inline void verify_all(void *view, size_t npages, uint64_t gen) {
    for (size_t i = 0; i < npages; i++)
        assert_page_idx(view, i, gen);
}

/* Three words per page (first, middle, last): cheap marking for the big tests. */
static const size_t mark_words[3] = {0, 219, PG / 8 - 1};

static inline void mark_idx(void *view, size_t page, uint64_t gen) {
    volatile uint64_t *w = (volatile uint64_t *)at(view, page);
    for (size_t k = 0; k < 3; k++)
        w[mark_words[k]] = kv(page, mark_words[k], gen);
}

static inline int check_mark_idx(const void *view, size_t page, uint64_t gen) {
    const volatile uint64_t *w = (const volatile uint64_t *)at((void *)(uintptr_t)view, page);
    for (size_t k = 0; k < 3; k++)
        if (w[mark_words[k]] != kv(page, mark_words[k], gen))
            return 0;
    return 1;
}

static inline umm_section_t *sec_new(umm_system_t *sys, size_t bytes) {
    umm_section_t *s = NULL;
    assert_int_equal(umm_section_create(sys, bytes, &s), UMM_OK);
    assert_non_null(s);
    return s;
}

static inline unsigned char *view_new(umm_process_t *proc, umm_section_t *sec, int prot) {
    void *v = NULL;
    assert_int_equal(umm_section_map(proc, sec, prot, &v), UMM_OK);
    assert_non_null(v);
    return v;
}

static inline umm_process_t *proc_new(umm_system_t *sys) {
    umm_process_t *p = NULL;
    assert_int_equal(umm_process_create(sys, &p), UMM_OK);
    assert_non_null(p);
    return p;
}

static inline umm_config_t cfg_nw(size_t ram, size_t pagefile, unsigned cluster) {
    umm_config_t c = pu_config(ram, pagefile, 0, UMM_CFG_NO_WORKERS);
    c.cluster_pages = cluster;
    return c;
}

/* A system of cfg_nw(ram, pagefile, cluster) in *sys; returns its first process. */
static inline umm_process_t *sys_nw(umm_system_t **sys, size_t ram, size_t pagefile,
                                    unsigned cluster) {
    umm_process_t *p;
    umm_config_t c = cfg_nw(ram, pagefile, cluster);
    tu_sys_new_cfg(&c, sys, &p);
    return p;
}

/* A section of n pages with a read-write view in pa (*va) and one in pb (*vb); pa == pb gives
 * two views in one process. */
static inline umm_section_t *sec_two_views(umm_system_t *sys, size_t n, umm_process_t *pa,
                                           unsigned char **va, umm_process_t *pb,
                                           unsigned char **vb) {
    umm_section_t *s = sec_new(sys, n * PG);
    *va = view_new(pa, s, RW);
    *vb = view_new(pb, s, RW);
    return s;
}

/* sec_two_views, the pages written (gen 1) through *va and read back through *vb: every page
 * is valid in both views. */
static inline umm_section_t *sec_two_views_filled(umm_system_t *sys, size_t n, umm_process_t *pa,
                                                  unsigned char **va, umm_process_t *pb,
                                                  unsigned char **vb) {
    umm_section_t *s = sec_two_views(sys, n, pa, va, pb, vb);
    fill_all(*va, n, 1);
    verify_all(*vb, n, 1);
    return s;
}

/* Close the section, then release both views: the section goes with the second release. */
static inline void close_and_release(umm_section_t *sec, umm_process_t *pa, void *va,
                                     umm_process_t *pb, void *vb) {
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(umm_release(pa, va), UMM_OK);
    assert_int_equal(umm_release(pb, vb), UMM_OK);
}

/* tu_assert_consistent without "working_set <= active": a frame mapped by two views is one
 * Active frame but two valid pages (Windows' working sets add up past the RAM in use the same
 * way). Everything else, and umm_check, as there. */
static inline void sc_consistent(umm_system_t *sys) {
    tu_assert_counts_consistent(sys);
    assert_int_equal(umm_check(sys), UMM_OK);
}

/* The frames, charge and paging-file use of a system with nothing allocated. */
static inline void assert_baseline(umm_system_t *sys, const umm_stats_t *b) {
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.committed, b->committed);
    assert_int_equal(s.pagefile_used, b->pagefile_used);
    assert_int_equal(s.active, b->active);
    assert_int_equal(s.modified, b->modified);
    assert_int_equal(s.modified_nowrite, b->modified_nowrite);
    assert_int_equal(s.standby, b->standby);
    assert_int_equal(s.available, b->available);
    assert_int_equal(s.free + s.zeroed, b->free + b->zeroed);
    assert_int_equal(s.working_set, b->working_set);
    sc_consistent(sys);
}

/* Wait until the zero page thread has nothing to do, then check (it races with umm_check). */
static inline void check_quiet(umm_system_t *sys) {
    uint64_t t0 = pu_now_ms();
    while (tu_stats(sys).free != 0 && pu_now_ms() - t0 < 3000)
        pu_sleep_ms(5);
    sc_consistent(sys);
}

/* check_quiet with the workers running (the zero page thread races with umm_check), else
 * sc_consistent. */
static inline void check_quiet_if(umm_system_t *sys, int workers) {
    if (workers)
        check_quiet(sys);
    else
        sc_consistent(sys);
}

/* Every charge, paging-file slot and frame the test took is back: no more Active than at the
 * baseline, nothing Modified or on Standby, every frame available (the end of the tests whose
 * workers run, where assert_baseline's working-set and Free/Zeroed counts are not pinned). */
static inline void assert_all_given_back(umm_system_t *sys, const umm_stats_t *b) {
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.committed, b->committed);
    assert_int_equal(s.pagefile_used, b->pagefile_used);
    assert_int_equal(s.active, b->active);
    assert_int_equal(s.modified + s.modified_nowrite, 0);
    assert_int_equal(s.standby, 0);
    assert_int_equal(s.available, s.total_frames);
}

/* ---------------------------------------------------------------------------------------------
 * file-backed sections: a file and its reference (test_sections_file.c, test_sections_cow.c)
 * ------------------------------------------------------------------------------------------- */

typedef struct test_file {
    pu_tmpdir_t dir;
    char path[400];
    int fd;
    size_t bytes;
    unsigned char *ref; /* what the file must hold */
} test_file_t;

/* A file of `bytes` filled with a pattern (seed), opened with `flags`; ref holds the same. */
static inline void file_new(test_file_t *t, size_t bytes, uint64_t seed, int flags) {
    pu_tmpdir_new(&t->dir);
    snprintf(t->path, sizeof t->path, "%s/data.bin", t->dir.dir);
    int fd = open(t->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    t->bytes = bytes;
    t->ref = malloc(bytes);
    assert_non_null(t->ref);
    for (size_t i = 0; i < bytes; i += 8) {
        uint64_t v = tu_mix(seed * 0x100000001b3ull + i);
        memcpy(t->ref + i, &v, bytes - i < 8 ? bytes - i : 8);
    }
    assert_int_equal(pwrite(fd, t->ref, bytes, 0), (ssize_t)bytes);
    close(fd);
    t->fd = open(t->path, flags);
    assert_true(t->fd >= 0);
}

static inline void file_free(test_file_t *t) {
    close(t->fd);
    free(t->ref);
    pu_tmpdir_free(&t->dir);
}

/* The file's bytes, read with pread through a descriptor of its own, equal the reference. */
static inline void assert_file_is_ref(const test_file_t *t) {
    int fd = open(t->path, O_RDONLY);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal((size_t)st.st_size, t->bytes);
    unsigned char *buf = malloc(1 << 20);
    assert_non_null(buf);
    for (size_t off = 0; off < t->bytes; off += 1 << 20) {
        size_t n = t->bytes - off < (1 << 20) ? t->bytes - off : (1 << 20);
        assert_int_equal(pread(fd, buf, n, (off_t)off), (ssize_t)n);
        if (memcmp(buf, t->ref + off, n) != 0) {
            size_t k = 0;
            while (buf[k] == t->ref[off + k])
                k++;
            fail_msg("file byte %zu (page %zu): %02x, want %02x", off + k, (off + k) / PG, buf[k],
                     t->ref[off + k]);
        }
    }
    free(buf);
    close(fd);
}

/* The view shows the reference. */
static inline void assert_view_is_ref(const unsigned char *v, const test_file_t *t) {
    for (size_t i = 0; i < t->bytes; i++)
        if (v[i] != t->ref[i])
            fail_msg("view byte %zu (page %zu): %02x, want %02x", i, i / PG, v[i], t->ref[i]);
}

static inline umm_section_t *fsec_new(umm_system_t *sys, int fd, uint64_t bytes, int prot) {
    umm_section_t *s = NULL;
    assert_int_equal(umm_section_create_file(sys, fd, bytes, prot, &s), UMM_OK);
    assert_non_null(s);
    return s;
}

/* Start a sequential stream at the first two 16-page windows of view v (of a file-backed section
 * whose file takes O_DIRECT) and wait for the I/O threads' first read ahead of it, so what
 * follows meets pages they read however they are scheduled (the first read must land within
 * 10 s; the threads only read pages still in the file, and a program that outruns them reads
 * every window itself). */
static inline void fsec_stream_read_ahead(umm_system_t *sys, const unsigned char *v) {
    uint64_t before = tu_stats(sys).file_reads_direct;
    volatile unsigned char x = v[0];
    x = v[16 * PG];
    (void)x;
    for (int ms = 0; ms < 10000 && tu_stats(sys).file_reads_direct == before; ms++)
        usleep(1000);
    assert_true(tu_stats(sys).file_reads_direct > before);
}

/* 4 MiB of RAM, an 8 MiB paging file, no workers, umm's exceptions caught by the test. */
static inline umm_process_t *small_system(umm_system_t **sys) {
    umm_process_t *p = sys_nw(sys, 4 * MIB, 8 * MIB, 16);
    tu_exc_install(*sys);
    return p;
}

/* Release the view and close the section: the section's end writes what is still dirty, so
 * the file (read with pread) must then equal the reference. */
static inline void end_section_file_is_ref(umm_process_t *p, void *v, umm_section_t *sec,
                                           const test_file_t *f) {
    assert_int_equal(umm_release(p, v), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_file_is_ref(f);
}

#endif /* UMM_SECTION_UTIL_H */
