/* SPDX-License-Identifier: MIT */
/* paging_util.h - helpers for the paging suites (test_paging*.c, test_threads_paging.c) and the
 * suites built on them. Header-only, static inline; builds on test_util.h.
 *
 *   pu_config():           a config with a paging file (unnamed unless a path is given)
 *   pu_word_* :            one 64-bit word per page (or a few), keyed by address and generation
 *   pu_rng / pu_shuffle(): a small deterministic PRNG and Fisher-Yates shuffle
 *   pu_now_ms(), pu_sleep_ms()
 *   pu_tmpdir_new() / pu_tmpdir_free(): a mkdtemp() directory for named paging files
 *   pu_at(), pu_fill_range(), pu_verify_range_order(): whole pages of a range (tu_fill patterns),
 *                          checked in a shuffled order
 *   pu_page_out():         every page of a process out to the paging file, none left on Standby
 */
#ifndef UMM_PAGING_UTIL_H
#define UMM_PAGING_UTIL_H

#include "test_util.h"

#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#define PU_PG ((size_t)4096)

static inline umm_config_t pu_config(size_t ram_bytes, size_t pagefile_bytes, size_t pagefile_max,
                                     unsigned flags) {
    umm_config_t c = UMM_CONFIG_INIT;
    c.ram_bytes = ram_bytes;
    c.pagefile_bytes = pagefile_bytes;
    c.pagefile_max_bytes = pagefile_max;
    c.flags = flags;
    return c;
}

/* ---- address-keyed words ---------------------------------------------------------------- */

static inline uint64_t pu_word_value(const void *addr, uint64_t gen) {
    return tu_mix((uint64_t)(uintptr_t)addr ^ (gen * 0x9e3779b97f4a7c15ULL)) | 1;
}

/* Offsets (in words) that pu_mark_page writes: the first, one in the middle, the last. */
#define PU_NWORDS 3
static inline size_t pu_word_off(size_t k, size_t page) {
    return k == 0 ? 0 : k == 1 ? (page / 8) * 7 / 16 : page / 8 - 1;
}

static inline void pu_mark_page(void *page, size_t bytes, uint64_t gen) {
    volatile uint64_t *w = page;
    for (size_t k = 0; k < PU_NWORDS; k++) {
        size_t o = pu_word_off(k, bytes);
        w[o] = pu_word_value((const void *)&w[o], gen);
    }
}

/* 1 when the marked words hold their values. */
static inline int pu_check_page(const void *page, size_t bytes, uint64_t gen) {
    const volatile uint64_t *w = page;
    for (size_t k = 0; k < PU_NWORDS; k++) {
        size_t o = pu_word_off(k, bytes);
        if (w[o] != pu_word_value((const void *)&w[o], gen))
            return 0;
    }
    return 1;
}

#define pu_assert_page(page, bytes, gen)                                                        \
    do {                                                                                        \
        if (!pu_check_page((page), (bytes), (gen)))                                             \
            fail_msg("marked words wrong in page %p (gen %" PRIu64 "): %016" PRIx64,            \
                     (void *)(page), (uint64_t)(gen), *(const volatile uint64_t *)(page));      \
    } while (0)

/* ---- random numbers ------------------------------------------------------------------------ */

typedef struct pu_rng {
    uint64_t s;
} pu_rng_t;

static inline uint64_t pu_next(pu_rng_t *r) { /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline void pu_shuffle(size_t *v, size_t n, uint64_t seed) {
    pu_rng_t r = {seed};
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(pu_next(&r) % i);
        size_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

static inline size_t *pu_order(size_t n, uint64_t seed) {
    size_t *v = malloc(n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = i;
    if (seed)
        pu_shuffle(v, n, seed);
    return v;
}

/* ---- whole pages of a range ----------------------------------------------------------------- */

static inline unsigned char *pu_at(void *base, size_t i) { return (unsigned char *)base + i * PU_PG; }

/* Page every page of proc out: trimmed, written (dirty pages in order, so runs of neighbours sit
 * in consecutive slots), and dropped from Standby, so the next touch of each is a hard fault. */
static inline void pu_page_out(umm_system_t *sys, umm_process_t *proc) {
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
}

static inline void pu_fill_range(void *base, size_t npages, uint64_t gen) {
    for (size_t i = 0; i < npages; i++)
        tu_fill(pu_at(base, i), PU_PG, gen);
}

/* Check every page in the order of seed's shuffle: gens[i] when given, else gen. */
static inline void pu_verify_range_order(void *base, size_t npages, const uint64_t *gens, uint64_t gen,
                                         uint64_t seed) {
    size_t *ord = pu_order(npages, seed);
    for (size_t k = 0; k < npages; k++) {
        size_t i = ord[k];
        tu_assert_pattern(pu_at(base, i), PU_PG, gens ? gens[i] : gen);
    }
    free(ord);
}

/* ---- time ---------------------------------------------------------------------------------- */

static inline uint64_t pu_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline void pu_sleep_ms(unsigned ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- temp directories ---------------------------------------------------------------------- */

typedef struct pu_tmpdir {
    char dir[256];
    char file[320];
} pu_tmpdir_t;

/* mkdtemp under $TMPDIR or /tmp; file = dir/"pagefile.sys". */
static inline void pu_tmpdir_new(pu_tmpdir_t *t) {
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    snprintf(t->dir, sizeof t->dir, "%s/umm-paging-XXXXXX", base);
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->file, sizeof t->file, "%s/pagefile.sys", t->dir);
}

/* Remove whatever is left in the directory and the directory itself. */
static inline void pu_tmpdir_free(pu_tmpdir_t *t) {
    DIR *d = opendir(t->dir);
    if (d) {
        struct dirent *e;
        char p[600];
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(p, sizeof p, "%s/%s", t->dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(t->dir);
}

static inline int pu_file_exists(const char *path, off_t *size) {
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    if (size)
        *size = st.st_size;
    return 1;
}

#endif /* UMM_PAGING_UTIL_H */
