/* SPDX-License-Identifier: MIT */
/* test_unit_pagefile.c - unit tests of the paging file (mm/pagefile.h) on real nameless
 * temporary files (mm_pagefile_open with a NULL path), no system.
 *
 * Covered: opening (sizes in slots, a maximum below the initial size, a page size of two OS pages,
 * an empty file); the slot allocator against a bitmap model under random allocations of runs,
 * frees, double frees and growth (the same answers, used/peak/nslots exact, nothing marked past
 * nslots); deterministic cases: exhaustion, fragmentation, next-fit and its wrap, a free run
 * straddling the cursor, growth up to the maximum and never beyond (the file's size follows);
 * vectored write/read round trips with different iovec splits, reads past the end failing;
 * the failure points umm/pagefile/{open,grow,write,read} (umm_failpoint_enable): the documented
 * error, nothing changed (a failed read leaves the buffer and the file's data intact), one-shot
 * points, failure counts. */
#include "unit_util.h"

#include "pagefile.h"

#include <sys/stat.h>

#define PAGE ((size_t)4096)

/* Every test leaves no failure point enabled, even when it fails half-way. */
static int fp_off(void **state) {
    (void)state;
    umm_failpoint_disable("umm/*");
    return 0;
}

static void pf_open(mm_pagefile_t *pf, uint64_t slots, uint64_t max_slots, size_t page) {
    assert_int_equal(mm_pagefile_open(pf, NULL, slots * page, max_slots * page, page, false), UMM_OK);
    assert_true(pf->fd >= 0);
    assert_null(pf->path);
    assert_int_equal(pf->nslots, slots);
}

static off_t file_size(int fd) {
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    return st.st_size;
}

/* ---------------------------------------------------------------------------------------------
 * the allocator's model: a bitmap and a next-fit cursor, as pagefile.h describes it
 * ------------------------------------------------------------------------------------------- */

#define MAXS 512

typedef struct smodel {
    uint64_t nslots, max_slots, used, peak, cursor, grows;
    bool used_[MAXS];
} smodel_t;

/* The first run of n free slots in next-fit order (starting at the cursor, wrapping to 0); runs
 * never wrap around the end. */
static int64_t model_find(const smodel_t *m, size_t n) {
    if (n == 0 || m->nslots - m->used < n)
        return -1;
    uint64_t c = m->cursor % m->nslots;
    for (uint64_t k = 0; k < m->nslots; k++) {
        uint64_t s = (c + k) % m->nslots, j = 0;
        while (j < n && s + j < m->nslots && !m->used_[s + j])
            j++;
        if (j == n)
            return (int64_t)s;
    }
    return -1;
}

static void model_take(smodel_t *m, int64_t s, size_t n) {
    for (size_t j = 0; j < n; j++)
        m->used_[(size_t)s + j] = true;
    m->used += n;
    if (m->used > m->peak)
        m->peak = m->used;
    m->cursor = (uint64_t)s + n;
}

static void assert_same(const mm_pagefile_t *pf, const smodel_t *m, long step) {
    if (pf->used != m->used || pf->peak != m->peak || pf->nslots != m->nslots || pf->grows != m->grows)
        fail_msg("step %ld: used %" PRIu64 "/%" PRIu64 " peak %" PRIu64 "/%" PRIu64 " nslots %" PRIu64
                 "/%" PRIu64 " grows %" PRIu64 "/%" PRIu64 " (pagefile/model)", step, pf->used, m->used,
                 pf->peak, m->peak, pf->nslots, m->nslots, pf->grows, m->grows);
    uint64_t set = 0;
    for (uint64_t s = 0; s < m->max_slots; s++) {
        bool u = mm_pagefile_slot_used(pf, s);
        if (u != m->used_[s])
            fail_msg("step %ld: slot %" PRIu64 " used %d, model %d", step, s, u, m->used_[s]);
        set += u;
    }
    assert_int_equal(set, pf->used); /* the invariant of pagefile.h */
}

/* The known bug (see test_run_straddling_cursor): the scan charges one slot too many when a free
 * run reaches the end of the file, so a run starting just before the cursor is missed. */
static bool is_cursor_minus_one_miss(const smodel_t *m, int64_t want) {
    return want >= 0 && m->nslots > 0 && (uint64_t)want == (m->cursor % m->nslots + m->nslots - 1) % m->nslots;
}

static void random_alloc(uint64_t seed, uint64_t slots, uint64_t max_slots, long steps, long *bug_hits) {
    mm_pagefile_t pf;
    pf_open(&pf, slots, max_slots, PAGE);
    smodel_t m;
    memset(&m, 0, sizeof m);
    m.nslots = slots;
    m.max_slots = max_slots;
    pu_rng_t r = {seed};
    long allocs = 0, fails = 0, frees = 0;
    for (long step = 0; step < steps; step++) {
        uint64_t op = pu_next(&r) % 100;
        if (op < 50) { /* a run, mostly short as the writer's clusters */
            uint64_t x = pu_next(&r) % 16;
            size_t n = x < 8 ? 1 : x < 13 ? 2 + (size_t)(pu_next(&r) % 7) : 1 + (size_t)(pu_next(&r) % 40);
            if (pu_next(&r) % 200 == 0)
                n = 0;
            int64_t want = model_find(&m, n), got = mm_pagefile_alloc_run(&pf, n);
            if (got != want && got == -1 && is_cursor_minus_one_miss(&m, want)) {
                (*bug_hits)++; /* follow the implementation so the rest is still compared */
            } else {
                if (got != want)
                    fail_msg("step %ld: alloc_run(%zu) = %" PRId64 ", model %" PRId64 " (cursor %" PRIu64
                             ", used %" PRIu64 "/%" PRIu64 ")", step, n, got, want, m.cursor, m.used, m.nslots);
                if (got >= 0)
                    model_take(&m, got, n);
            }
            got >= 0 ? allocs++ : fails++;
        } else if (op < 90) { /* free a used slot, or a few of a run */
            if (m.used == 0)
                continue;
            uint64_t s = pu_next(&r) % m.nslots;
            while (!m.used_[s])
                s = (s + 1) % m.nslots;
            for (uint64_t k = 0, len = 1 + pu_next(&r) % 4; k < len && s + k < m.nslots && m.used_[s + k]; k++) {
                mm_pagefile_free(&pf, s + k);
                m.used_[s + k] = false;
                m.used--;
                frees++;
            }
        } else if (op < 96) { /* double free, or a slot past the end: both change nothing */
            uint64_t s = pu_next(&r) % (max_slots + 8);
            if (s < m.nslots && m.used_[s])
                continue;
            mm_pagefile_free(&pf, s);
        } else if (pu_next(&r) % 8 == 0) { /* grow, now and then */
            uint64_t want = pu_next(&r) % 40, target = m.nslots + want > m.max_slots ? m.max_slots : m.nslots + want;
            uint64_t added = target > m.nslots ? target - m.nslots : 0;
            assert_int_equal(mm_pagefile_grow(&pf, want), added);
            if (added) {
                m.nslots = target;
                m.grows++;
            }
        }
        assert_same(&pf, &m, step);
    }
    assert_true(allocs > steps / 5);
    assert_true(fails > 0); /* the file did fill up */
    assert_true(frees > 0);
    assert_int_equal(m.nslots, max_slots); /* and grew to its maximum */
    assert_int_equal((uint64_t)file_size(pf.fd), max_slots * PAGE);
    mm_pagefile_close(&pf);
    assert_int_equal(pf.fd, -1);
}

static void test_random_alloc_against_model(void **state) {
    (void)state;
    long bug_hits = 0;
    random_alloc(0x51075eed, 100, 300, 30000, &bug_hits);
    random_alloc(0x51075eee, 64, 200, 30000, &bug_hits); /* word-sized: full-word skipping */
    random_alloc(0x51075eef, 5, 70, 20000, &bug_hits);
    if (bug_hits) /* it was a bug: a too-short free run at the end of the file miscounted */
        fail_msg("mm_pagefile_alloc_run: %ld of the random allocations missed a free run", bug_hits);
}

/* ---------------------------------------------------------------------------------------------
 * the allocator, case by case
 * ------------------------------------------------------------------------------------------- */

static void test_open_sizes(void **state) {
    (void)state;
    mm_pagefile_t pf;
    pf_open(&pf, 16, 64, PAGE);
    assert_int_equal(pf.max_slots, 64);
    assert_int_equal(pf.page, PAGE);
    assert_int_equal(pf.used, 0);
    assert_int_equal(pf.peak, 0);
    assert_false(pf.direct);
    assert_int_equal(file_size(pf.fd), 16 * PAGE);
    mm_pagefile_close(&pf);

    /* a maximum below the initial size is the initial size */
    pf_open(&pf, 16, 4, PAGE);
    assert_int_equal(pf.max_slots, 16);
    assert_int_equal(mm_pagefile_grow(&pf, 1), 0);
    mm_pagefile_close(&pf);

    /* a page of two OS pages: slots are 8 KiB */
    pf_open(&pf, 10, 20, 2 * PAGE);
    assert_int_equal(pf.max_slots, 20);
    assert_int_equal(file_size(pf.fd), 10 * 2 * PAGE);
    mm_pagefile_close(&pf);

    /* an empty file: nothing to allocate (and no division by its zero size) until it grows */
    pf_open(&pf, 0, 8, PAGE);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 1), -1);
    assert_int_equal(mm_pagefile_grow(&pf, 3), 3);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 3), 0);
    mm_pagefile_close(&pf);
}

static void test_exhaustion_and_fragmentation(void **state) {
    (void)state;
    mm_pagefile_t pf;
    pf_open(&pf, 16, 16, PAGE);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 0), -1);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 17), -1);
    for (int64_t s = 0; s < 16; s++)
        assert_int_equal(mm_pagefile_alloc_run(&pf, 1), s);
    assert_int_equal(pf.used, 16);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 1), -1);
    assert_int_equal(pf.used, 16);
    /* every other slot free: 8 free slots, no run of 2 */
    for (uint64_t s = 0; s < 16; s += 2)
        mm_pagefile_free(&pf, s);
    assert_int_equal(pf.used, 8);
    assert_int_equal(pf.peak, 16);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 2), -1);
    assert_int_equal(pf.used, 8);
    for (int k = 0; k < 8; k++) {
        int64_t s = mm_pagefile_alloc_run(&pf, 1);
        assert_true(s >= 0 && s % 2 == 0);
    }
    assert_int_equal(mm_pagefile_alloc_run(&pf, 1), -1);
    mm_pagefile_close(&pf);
}

/* Next fit: a freed run before the cursor is not reused until the search wraps. */
static void test_next_fit_and_wrap(void **state) {
    (void)state;
    mm_pagefile_t pf;
    pf_open(&pf, 16, 16, PAGE);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 4), 0);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 4), 4);
    for (uint64_t s = 0; s < 4; s++)
        mm_pagefile_free(&pf, s);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 4), 8);  /* not 0 */
    assert_int_equal(mm_pagefile_alloc_run(&pf, 3), 12);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 2), 0);  /* 15 alone is too short: wraps */
    assert_int_equal(mm_pagefile_alloc_run(&pf, 1), 2);  /* continues after the last run */
    assert_int_equal(mm_pagefile_alloc_run(&pf, 1), 3);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 1), 15);
    assert_int_equal(pf.used, 16);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 1), -1);
    mm_pagefile_close(&pf);
}

/* Slots 3 and 4 are free, the cursor is at 4, and a shorter free run (slot 7) touches the end of
 * the file: alloc_run(2) must find 3-4 when it wraps. */
static void test_run_straddling_cursor(void **state) {
    (void)state;
    mm_pagefile_t pf;
    pf_open(&pf, 8, 8, PAGE);
    for (int64_t s = 0; s < 8; s++)
        assert_int_equal(mm_pagefile_alloc_run(&pf, 1), s);
    for (uint64_t s = 0; s < 4; s++)
        mm_pagefile_free(&pf, s);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 4), 0); /* wraps to 0: the cursor is now 4 */
    mm_pagefile_free(&pf, 3);
    mm_pagefile_free(&pf, 4);
    mm_pagefile_free(&pf, 7);
    assert_int_equal(pf.used, 5);
    int64_t got = mm_pagefile_alloc_run(&pf, 2);
    uint64_t used = pf.used;
    mm_pagefile_close(&pf);
    /* Was a bug: a free run shorter than n that reached the end of the file was counted one slot
     * too long (scanned += len + 1), so the scan stopped before the slot just before the cursor. */
    assert_int_equal(got, 3);
    assert_int_equal(used, 7);
}

static void test_free_and_double_free(void **state) {
    (void)state;
    mm_pagefile_t pf;
    pf_open(&pf, 32, 64, PAGE);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 8), 0);
    assert_int_equal(pf.used, 8);
    mm_pagefile_free(&pf, 3);
    assert_false(mm_pagefile_slot_used(&pf, 3));
    assert_int_equal(pf.used, 7);
    mm_pagefile_free(&pf, 3); /* double free: nothing */
    assert_int_equal(pf.used, 7);
    mm_pagefile_free(&pf, 20); /* never allocated: nothing */
    mm_pagefile_free(&pf, 40); /* past nslots, within the maximum: nothing */
    mm_pagefile_free(&pf, 1u << 20); /* far past everything: nothing */
    assert_int_equal(pf.used, 7);
    assert_int_equal(pf.peak, 8);
    for (uint64_t s = 0; s < 64; s++)
        assert_int_equal(mm_pagefile_slot_used(&pf, s), s < 8 && s != 3);
    mm_pagefile_close(&pf);
}

static void test_growth_to_max(void **state) {
    (void)state;
    mm_pagefile_t pf;
    pf_open(&pf, 16, 64, PAGE);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 16), 0);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 1), -1);
    assert_int_equal(mm_pagefile_grow(&pf, 0), 0);
    assert_int_equal(pf.grows, 0);
    assert_int_equal(mm_pagefile_grow(&pf, 10), 10);
    assert_int_equal(pf.nslots, 26);
    assert_int_equal(pf.grows, 1);
    assert_int_equal(file_size(pf.fd), 26 * PAGE);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 10), 16); /* the new slots */
    assert_int_equal(mm_pagefile_grow(&pf, 1000), 38);    /* clipped to the maximum */
    assert_int_equal(pf.nslots, 64);
    assert_int_equal(pf.grows, 2);
    assert_int_equal(mm_pagefile_grow(&pf, 1), 0);        /* never beyond */
    assert_int_equal(pf.grows, 2);
    assert_int_equal(file_size(pf.fd), 64 * PAGE);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 38), 26);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 1), -1);
    assert_int_equal(pf.used, 64);
    assert_int_equal(pf.peak, 64);
    mm_pagefile_close(&pf);
}

/* ---------------------------------------------------------------------------------------------
 * I/O
 * ------------------------------------------------------------------------------------------- */

/* Page contents keyed by a generation and the word's offset, not its address: data read into
 * another buffer must match. Page i of a fill gets generation gen + i. */
static uint64_t word_of(uint64_t gen, size_t w) { return tu_mix(gen << 32 ^ (uint64_t)w) | 1; }

static void fill_pages(unsigned char *buf, size_t npages, size_t page, uint64_t gen) {
    uint64_t *w = (uint64_t *)(void *)buf;
    for (size_t i = 0; i < npages; i++)
        for (size_t k = 0; k < page / 8; k++)
            w[i * (page / 8) + k] = word_of(gen + i, k);
}

static void check_page(const unsigned char *buf, size_t page, uint64_t gen) {
    const uint64_t *w = (const uint64_t *)(const void *)buf;
    for (size_t k = 0; k < page / 8; k++)
        if (w[k] != word_of(gen, k))
            fail_msg("word %zu of a page of generation %" PRIu64 ": %016" PRIx64 ", want %016" PRIx64, k,
                     gen, w[k], word_of(gen, k));
}

static void check_pages(const unsigned char *buf, size_t npages, size_t page, uint64_t gen) {
    for (size_t i = 0; i < npages; i++)
        check_page(buf + i * page, page, gen + i);
}

/* Written as 1 + 2 + 1 pages, read back as 2 + 2 and as 4 x 1, at the first, a middle and the last
 * slots; page sizes of one and two OS pages. */
static void test_io_round_trip(void **state) {
    (void)state;
    const size_t pages[] = {PAGE, 2 * PAGE};
    for (size_t p = 0; p < 2; p++) {
        size_t pg = pages[p];
        mm_pagefile_t pf;
        pf_open(&pf, 12, 12, pg);
        unsigned char *w = malloc(4 * pg), *r = malloc(4 * pg);
        assert_non_null(w);
        assert_non_null(r);
        const uint64_t at[] = {0, 4, 8}; /* runs of 4: the first, a middle and the last slots */
        for (size_t k = 0; k < 3; k++) {
            fill_pages(w, 4, pg, 100 * (k + 1));
            struct iovec wv[3] = {{w, pg}, {w + pg, 2 * pg}, {w + 3 * pg, pg}};
            assert_int_equal(mm_pagefile_write(&pf, at[k], wv, 3), UMM_OK);
        }
        for (size_t k = 0; k < 3; k++) {
            memset(r, 0, 4 * pg);
            struct iovec rv[2] = {{r, 2 * pg}, {r + 2 * pg, 2 * pg}};
            assert_int_equal(mm_pagefile_read(&pf, at[k], rv, 2), UMM_OK);
            check_pages(r, 4, pg, 100 * (k + 1));
            memset(r, 0, 4 * pg);
            struct iovec rv1[4] = {{r + 3 * pg, pg}, {r + 2 * pg, pg}, {r + pg, pg}, {r, pg}};
            assert_int_equal(mm_pagefile_read(&pf, at[k], rv1, 4), UMM_OK);
            for (size_t i = 0; i < 4; i++) /* reversed iovecs: page i of the slot lands in 3 - i */
                check_page(r + (3 - i) * pg, pg, 100 * (k + 1) + i);
        }
        /* the size did not change: writes stayed inside the file */
        assert_int_equal((size_t)file_size(pf.fd), 12 * pg);
        /* past the end: a short read is an error */
        struct iovec one = {r, pg}, two = {r, 2 * pg};
        assert_int_equal(mm_pagefile_read(&pf, 12, &one, 1), UMM_E_IO);
        assert_int_equal(mm_pagefile_read(&pf, 11, &two, 1), UMM_E_IO);
        assert_int_equal(umm_last_os_error(), EIO);
        free(w);
        free(r);
        mm_pagefile_close(&pf);
    }
}

/* ---------------------------------------------------------------------------------------------
 * failure points
 * ------------------------------------------------------------------------------------------- */

static uint64_t failures(const char *name) {
    uint64_t n = 0;
    assert_int_equal(umm_failpoint_failures(name, &n), UMM_OK);
    return n;
}

/* A failed read returns UMM_E_IO and leaves the caller's buffer as it was; the data is still in
 * the file and reads back once the point is off. A one-shot point fails one read only. */
static void test_failed_read_leaves_data_intact(void **state) {
    (void)state;
    mm_pagefile_t pf;
    pf_open(&pf, 8, 8, PAGE);
    unsigned char *w = malloc(2 * PAGE), *r = malloc(2 * PAGE), *before = malloc(2 * PAGE);
    assert_true(w && r && before);
    fill_pages(w, 2, PAGE, 7);
    struct iovec wv = {w, 2 * PAGE}, rv = {r, 2 * PAGE};
    assert_int_equal(mm_pagefile_write(&pf, 2, &wv, 1), UMM_OK);

    assert_int_equal(umm_failpoint_enable("umm/pagefile/read", 1.0, 0), UMM_OK);
    memset(r, 0xEE, 2 * PAGE);
    memcpy(before, r, 2 * PAGE);
    assert_int_equal(mm_pagefile_read(&pf, 2, &rv, 1), UMM_E_IO);
    assert_int_equal(umm_last_os_error(), EIO);
    assert_memory_equal(r, before, 2 * PAGE);
    assert_int_equal(mm_pagefile_read(&pf, 2, &rv, 1), UMM_E_IO);
    assert_int_equal(failures("umm/pagefile/read"), 2);
    assert_int_equal(umm_failpoint_disable("umm/pagefile/read"), UMM_OK);
    assert_int_equal(mm_pagefile_read(&pf, 2, &rv, 1), UMM_OK);
    check_pages(r, 2, PAGE, 7);

    assert_int_equal(umm_failpoint_enable("umm/pagefile/read", 1.0, UMM_FAILPOINT_ONCE), UMM_OK);
    memset(r, 0, 2 * PAGE);
    assert_int_equal(mm_pagefile_read(&pf, 2, &rv, 1), UMM_E_IO);
    assert_int_equal(mm_pagefile_read(&pf, 2, &rv, 1), UMM_OK);
    check_pages(r, 2, PAGE, 7);
    free(w);
    free(r);
    free(before);
    mm_pagefile_close(&pf);
}

/* A failed write returns UMM_E_IO and the slot keeps what it held. */
static void test_failed_write_changes_nothing(void **state) {
    (void)state;
    mm_pagefile_t pf;
    pf_open(&pf, 8, 8, PAGE);
    unsigned char *w = malloc(PAGE), *r = malloc(PAGE);
    assert_true(w && r);
    struct iovec wv = {w, PAGE}, rv = {r, PAGE};
    fill_pages(w, 1, PAGE, 31);
    assert_int_equal(mm_pagefile_write(&pf, 6, &wv, 1), UMM_OK);
    assert_int_equal(umm_failpoint_enable("umm/pagefile/write", 1.0, 0), UMM_OK);
    fill_pages(w, 1, PAGE, 32);
    assert_int_equal(mm_pagefile_write(&pf, 6, &wv, 1), UMM_E_IO);
    assert_int_equal(umm_last_os_error(), EIO);
    assert_int_equal(failures("umm/pagefile/write"), 1);
    /* reads are a different point: unaffected */
    assert_int_equal(mm_pagefile_read(&pf, 6, &rv, 1), UMM_OK);
    check_pages(r, 1, PAGE, 31);
    assert_int_equal(umm_failpoint_disable("umm/pagefile/write"), UMM_OK);
    assert_int_equal(mm_pagefile_write(&pf, 6, &wv, 1), UMM_OK);
    assert_int_equal(mm_pagefile_read(&pf, 6, &rv, 1), UMM_OK);
    check_pages(r, 1, PAGE, 32);
    free(w);
    free(r);
    mm_pagefile_close(&pf);
}

/* open: UMM_E_IO and nothing left open; grow during open (the initial sizing): UMM_E_IO and the
 * file closed; grow later: nothing added, the allocator unchanged; the whole family at once. */
static void test_failed_open_and_grow(void **state) {
    (void)state;
    mm_pagefile_t pf;
    assert_int_equal(umm_failpoint_enable("umm/pagefile/open", 1.0, 0), UMM_OK);
    assert_int_equal(mm_pagefile_open(&pf, NULL, 8 * PAGE, 16 * PAGE, PAGE, false), UMM_E_IO);
    assert_int_equal(pf.fd, -1);
    assert_null(pf.bitmap);
    assert_int_equal(failures("umm/pagefile/open"), 1);
    assert_int_equal(umm_failpoint_disable("umm/pagefile/open"), UMM_OK);

    assert_int_equal(umm_failpoint_enable("umm/pagefile/grow", 1.0, 0), UMM_OK);
    assert_int_equal(mm_pagefile_open(&pf, NULL, 8 * PAGE, 16 * PAGE, PAGE, false), UMM_E_IO);
    assert_int_equal(pf.fd, -1);
    assert_null(pf.bitmap);
    assert_int_equal(umm_failpoint_disable("umm/pagefile/grow"), UMM_OK);

    pf_open(&pf, 8, 16, PAGE);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 8), 0);
    assert_int_equal(umm_failpoint_enable("umm/pagefile/grow", 1.0, 0), UMM_OK);
    assert_int_equal(mm_pagefile_grow(&pf, 4), 0);
    assert_int_equal(pf.nslots, 8);
    assert_int_equal(pf.grows, 0);
    assert_int_equal(file_size(pf.fd), 8 * PAGE);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 1), -1);
    assert_int_equal(failures("umm/pagefile/grow"), 1);
    assert_int_equal(umm_failpoint_disable("umm/pagefile/grow"), UMM_OK);
    assert_int_equal(mm_pagefile_grow(&pf, 4), 4);
    assert_int_equal(mm_pagefile_alloc_run(&pf, 4), 8);
    mm_pagefile_close(&pf);

    /* the pattern with a star names all four points */
    assert_int_equal(umm_failpoint_enable("umm/pagefile/*", 1.0, 0), UMM_OK);
    assert_int_equal(mm_pagefile_open(&pf, NULL, 8 * PAGE, 16 * PAGE, PAGE, false), UMM_E_IO);
    assert_int_equal(umm_failpoint_disable("umm/pagefile/*"), UMM_OK);
    pf_open(&pf, 8, 16, PAGE);
    mm_pagefile_close(&pf);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_open_sizes, fp_off),
        cmocka_unit_test_teardown(test_random_alloc_against_model, fp_off),
        cmocka_unit_test_teardown(test_exhaustion_and_fragmentation, fp_off),
        cmocka_unit_test_teardown(test_next_fit_and_wrap, fp_off),
        cmocka_unit_test_teardown(test_run_straddling_cursor, fp_off),
        cmocka_unit_test_teardown(test_free_and_double_free, fp_off),
        cmocka_unit_test_teardown(test_growth_to_max, fp_off),
        cmocka_unit_test_teardown(test_io_round_trip, fp_off),
        cmocka_unit_test_teardown(test_failed_read_leaves_data_intact, fp_off),
        cmocka_unit_test_teardown(test_failed_write_changes_nothing, fp_off),
        cmocka_unit_test_teardown(test_failed_open_and_grow, fp_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
