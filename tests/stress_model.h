/* SPDX-License-Identifier: MIT */
/* stress_model.h - the page model behind the randomized stress tests (test_stress.c,
 * test_threads_stress.c): what every page of a region must hold, checked word by word.
 *
 * A page is filled whole with 64-bit words keyed by their address and a generation, so a page
 * that shows another page's data, stale data or garbage is caught at the first wrong word. The
 * model knows, per page, whether it is committed, its protection and its generation (0: must
 * read as zeros). A fill interrupted by an in-page error while other threads may trim the page
 * leaves it "torn": each word holds the old generation or the interrupted one. Fills interrupted
 * one after another pile up: each word holds gen or one of the torn generations. Past SM_TORN
 * of them the page's content is no longer checked until a fill completes.
 *
 * Invariant: committed == 0 implies gen == ntorn == 0; ntorn <= SM_TORN + 1, and the page is
 * checked only while ntorn <= SM_TORN. */
#ifndef UMM_STRESS_MODEL_H
#define UMM_STRESS_MODEL_H

#include "paging_util.h"

#include <stdbool.h>

/* One event of a page's diary: what an operation did and what umm's PTE said after it. */
typedef struct sm_event {
    int step;
    char kind;      /* c commit, d decommit, w write, r read, p protect */
    int result;     /* the call's error code, or the access's exception code */
    uint64_t gen;   /* the generation written; the protection for p */
    uint64_t pte;   /* the page's PTE after the operation */
    uint32_t slot;  /* its frame's paging-file slot + 1 (0: none or no frame) */
} sm_event_t;

#define SM_DIARY 12
#define SM_TORN 4

typedef struct sm_page {
    uint8_t committed;
    uint8_t prot; /* UMM_PROT_*, GUARD included */
    uint64_t gen; /* 0: zeros */
    unsigned ntorn; /* interrupted fills since the last complete one; SM_TORN + 1: unknown */
    uint64_t torn[SM_TORN];
    unsigned nevents; /* the diary: the page's last SM_DIARY events, for a failure's message */
    sm_event_t diary[SM_DIARY];
} sm_page_t;

/* A page newly committed (or decommitted): zeros, the given protection; its diary goes on. */
static inline void sm_page_reset(sm_page_t *p, uint8_t committed, uint8_t prot) {
    p->committed = committed;
    p->prot = prot;
    p->gen = 0;
    p->ntorn = 0;
}

/* A fill of gen completed: every word holds it. */
static inline void sm_filled(sm_page_t *p, uint64_t gen) {
    p->gen = gen;
    p->ntorn = 0;
}

/* A fill of gen stopped at an unknown word: each word may hold it from now on. */
static inline void sm_torn(sm_page_t *p, uint64_t gen) {
    if (p->ntorn < SM_TORN)
        p->torn[p->ntorn] = gen;
    if (p->ntorn <= SM_TORN)
        p->ntorn++;
}

/* Whether the page's words can be checked at all. */
static inline bool sm_known(const sm_page_t *p) {
    return p->ntorn <= SM_TORN;
}

static inline uint64_t sm_word(const volatile uint64_t *w, uint64_t gen) {
    return gen == 0 ? 0 : pu_word_value((const void *)w, gen);
}

/* Fill the whole page (plain stores: faults happen here). */
static inline void sm_fill(char *page, size_t bytes, uint64_t gen) {
    volatile uint64_t *w = (volatile uint64_t *)page;
    for (size_t i = 0; i < bytes / 8; i++)
        w[i] = sm_word(&w[i], gen);
}

static inline bool sm_word_ok(const sm_page_t *p, const volatile uint64_t *w, uint64_t v) {
    if (v == sm_word(w, p->gen))
        return true;
    for (unsigned t = 0; t < p->ntorn; t++)
        if (v == sm_word(w, p->torn[t]))
            return true;
    return false;
}

/* Index of the first word that none of the page's generations explains, or -1 (also when the
 * page's content is unknown). *found gets the word. */
static inline long sm_first_bad(const char *page, size_t bytes, const sm_page_t *p, uint64_t *found) {
    if (!sm_known(p))
        return -1;
    const volatile uint64_t *w = (const volatile uint64_t *)page;
    for (size_t i = 0; i < bytes / 8; i++) {
        uint64_t v = w[i];
        if (!sm_word_ok(p, &w[i], v)) {
            *found = v;
            return (long)i;
        }
    }
    return -1;
}

static inline bool sm_readable(const sm_page_t *p) {
    return p->committed && (p->prot & (UMM_PROT_READ | UMM_PROT_WRITE));
}

static inline bool sm_writable(const sm_page_t *p) {
    return p->committed && (p->prot & UMM_PROT_WRITE);
}

/* After an access raised exception `code` (0: none) on page p: what the model must allow. A
 * guard page raises its one-shot exception first; in-page errors are legal only when failure
 * points are on. Returns NULL when legal, else why not. */
static inline const char *sm_exception_legal(sm_page_t *p, bool write, int code, bool faults_on) {
    if (p->committed && (p->prot & UMM_PROT_GUARD)) {
        if (code != UMM_EXC_GUARD_PAGE)
            return "a guard page did not raise its guard exception";
        p->prot &= (uint8_t)~UMM_PROT_GUARD;
        return NULL;
    }
    bool allowed = write ? sm_writable(p) : sm_readable(p);
    if (!allowed)
        return code == UMM_EXC_ACCESS_VIOLATION ? NULL : "a forbidden access was not an access violation";
    if (code == 0 || (code == UMM_EXC_IN_PAGE_ERROR && faults_on))
        return NULL;
    return code == UMM_EXC_IN_PAGE_ERROR ? "an in-page error with no failure point on"
                                         : "an allowed access raised an exception";
}

/* The failure points the stress tests turn on: every point that can fire after create. */
static const char *const sm_points[] = {
    "umm/frame/alloc",   "umm/os/map",        "umm/os/protect",     "umm/os/unmap",
    "umm/commit/charge", "umm/pagefile/grow", "umm/pagefile/write", "umm/pagefile/read",
};
#define SM_NPOINTS (sizeof sm_points / sizeof sm_points[0])

/* Turn on the points whose bit is set in mask, each with probability p. */
static inline void sm_points_on(unsigned mask, double p) {
    for (unsigned k = 0; k < SM_NPOINTS; k++)
        if (mask & (1u << k))
            assert_int_equal(umm_failpoint_enable(sm_points[k], p, 0), UMM_OK);
}

static inline void sm_points_off(void) {
    assert_int_equal(umm_failpoint_disable("umm/*"), UMM_OK);
}

/* "all", or names separated by commas -> mask; 0 on an unknown name. */
static inline unsigned sm_parse_points(const char *s) {
    if (strcmp(s, "all") == 0)
        return (1u << SM_NPOINTS) - 1;
    if (strcmp(s, "none") == 0)
        return 0;
    unsigned mask = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        unsigned k = 0;
        while (k < SM_NPOINTS && strcmp(sm_points[k], t) != 0)
            k++;
        if (k == SM_NPOINTS) {
            fprintf(stderr, "unknown failure point %s\n", t);
            return 0;
        }
        mask |= 1u << k;
    }
    return mask;
}

#endif /* UMM_STRESS_MODEL_H */
