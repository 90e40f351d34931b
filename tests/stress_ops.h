/* SPDX-License-Identifier: MIT */
/* stress_ops.h - the operations of the randomized stress tests (test_stress.c,
 * test_threads_stress.c) on a slice of pages [lo, hi) that one thread owns, checked against the
 * model of stress_model.h. Failures are recorded, not asserted, so threads can report them: the
 * first message is kept and the thread stops. */
#ifndef UMM_STRESS_OPS_H
#define UMM_STRESS_OPS_H

#include "stress_diag.h"
#include "stress_model.h"

#include <stdarg.h>

#define PG PU_PG

typedef struct run {
    uint64_t seed;
    unsigned points; /* mask over sm_points */
    double prob;
    bool workers;
    int steps;
} run_t;

/* One thread's view: its slice of the region and of the model. */
typedef struct ctx {
    const run_t *run;
    umm_system_t *sys;
    umm_process_t *proc;
    char *base;   /* the region; page k at base + k * PG */
    sm_page_t *m; /* the model, indexed like the region */
    size_t lo, hi;
    size_t region_pages; /* the whole region (all threads' slices) */
    pu_rng_t rng;
    uint64_t next_gen; /* generations this thread writes: unique over threads */
    int step;
    bool faults_on;
    bool shared;  /* other threads (or the workers) may trim this slice's pages any time */
    bool trace;   /* one line per operation on stderr */
    bool failed;
    char msg[4096];
    unsigned long inpage, failed_calls, ops;
} ctx_t;

static void st_fail(ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void st_fail(ctx_t *c, const char *fmt, ...) {
    if (c->failed)
        return;
    c->failed = true;
    int n = snprintf(c->msg, sizeof c->msg, "seed %" PRIu64 " points 0x%x prob %.2f workers %d step %d: ",
                     c->run->seed, c->run->points, c->run->prob, (int)c->run->workers, c->step);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg + n, sizeof c->msg - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Write an event into the diary of each page of [page, page + n), with the PTE umm holds for it
 * after the operation (read under the system lock). */
static void hist_note(ctx_t *c, char kind, size_t page, size_t n, int result, uint64_t gen) {
    mm_vad_t *vad = mm_registry_lookup_lock((uintptr_t)(c->base + page * PG));
    for (size_t k = page; k < page + n; k++) {
        sm_event_t ev = {c->step, kind, result, gen, 0, 0};
        if (vad) {
            size_t idx = ((uintptr_t)(c->base + k * PG) - vad->start) >> 12;
            ev.pte = vad->pte[idx];
            if (mm_pte_has_frame(ev.pte))
                ev.slot = vad->proc->sys->pfn.e[mm_pte_num(ev.pte)].slot;
        }
        sm_page_t *p = &c->m[k];
        p->diary[p->nevents++ % SM_DIARY] = ev;
    }
    if (vad)
        mm_unlock(&vad->proc->sys->lock);
}

/* Append the page's diary to the failure message. */
static void hist_dump(ctx_t *c, size_t page) {
    size_t len = strlen(c->msg), cap = sizeof c->msg;
    const sm_page_t *p = &c->m[page];
    unsigned from = p->nevents > SM_DIARY ? p->nevents - SM_DIARY : 0;
    for (unsigned k = from; k < p->nevents && len + 128 < cap; k++) {
        const sm_event_t *e = &p->diary[k % SM_DIARY];
        len += (size_t)snprintf(c->msg + len, cap - len,
                                "\n    step %d %c -> %d gen/prot %" PRIu64 "; then PTE %s num %" PRIu64
                                " hw %d dirty %d, frame slot+1 %u",
                                e->step, e->kind, e->result, e->gen,
                                mm_pte_format_name(mm_pte_format(e->pte)), mm_pte_num(e->pte),
                                !!(e->pte & PTE_HW), !!(e->pte & PTE_DIRTY), e->slot);
    }
}

/* Fail the test with a context's message. CMocka cuts messages at 1024 bytes, and a diary is
 * longer: the whole message goes to stderr first. */
#define ST_REPORT(who, msg)                                                                        \
    do {                                                                                           \
        fprintf(stderr, "%s: %s\n", (who), (msg));                                                 \
        fail_msg("%s: %.600s ... (whole message above)", (who), (msg));                           \
    } while (0)

#define ST_FAIL(c, ...)                                                                            \
    do {                                                                                           \
        st_fail((c), __VA_ARGS__);                                                                 \
        return;                                                                                    \
    } while (0)

/* A call that must succeed. */
#define ST_CALL(c, call)                                                                           \
    do {                                                                                           \
        int st_rc_ = (call);                                                                       \
        if (st_rc_ != UMM_OK)                                                                      \
            ST_FAIL((c), "%s: %s", #call, umm_error_name(st_rc_));                                 \
    } while (0)

/* ---- accesses --------------------------------------------------------------------------------- */

/* Run one access under the exception probe: 0 when it completed, else the exception code. */
static int probe_fill(char *page, uint64_t gen) {
    if (sigsetjmp(tu_exc.env, 1) != 0)
        return (int)tu_exc.last.code;
    tu_exc.armed = 1;
    sm_fill(page, PG, gen);
    tu_exc.armed = 0;
    return 0;
}

static int probe_verify(const char *page, const sm_page_t *p, long *bad, uint64_t *found) {
    if (sigsetjmp(tu_exc.env, 1) != 0)
        return (int)tu_exc.last.code;
    tu_exc.armed = 1;
    *bad = sm_first_bad(page, PG, p, found);
    tu_exc.armed = 0;
    return 0;
}

static void op_write(ctx_t *c, size_t i) {
    sm_page_t *p = &c->m[i];
    uint64_t gen = c->next_gen++;
    int code = probe_fill(c->base + i * PG, gen);
    hist_note(c, 'w', i, 1, code, gen);
    const char *why = sm_exception_legal(p, true, code, c->faults_on);
    if (why)
        ST_FAIL(c, "write page %zu: %s (exception %d)", i, why, code);
    if (code == 0) {
        sm_filled(p, gen);
    } else if (code == UMM_EXC_IN_PAGE_ERROR) {
        c->inpage++;
        /* Alone, nothing else can take the page between the fill's stores: nothing landed. With
         * the workers trimming, a later store of the fill may have faulted instead. */
        if (c->shared)
            sm_torn(p, gen);
    }
}

static void op_read(ctx_t *c, size_t i) {
    sm_page_t *p = &c->m[i];
    long bad = -1;
    uint64_t found = 0;
    int code = probe_verify(c->base + i * PG, p, &bad, &found);
    hist_note(c, 'r', i, 1, code, 0);
    const char *why = sm_exception_legal(p, false, code, c->faults_on);
    if (why)
        ST_FAIL(c, "read page %zu: %s (exception %d)", i, why, code);
    if (code == UMM_EXC_IN_PAGE_ERROR)
        c->inpage++;
    if (code == 0 && bad >= 0) {
        char diag[768], who[128] = "";
        st_diagnose(c->base + i * PG, p->gen, diag, sizeof diag);
        if (bad == 0)
            st_identify(c->base, c->region_pages, PG, found, who, sizeof who);
        st_fail(c, "page %zu word %ld holds %016" PRIx64 ", not gen %" PRIu64 " (%u torn gens)%s%s",
                i, bad, found, p->gen, p->ntorn, diag, who);
        hist_dump(c, i);
        return;
    }
}

/* ---- calls ------------------------------------------------------------------------------------ */

static void resync_prot(ctx_t *c, size_t i, size_t n);

static void op_commit(ctx_t *c, size_t i, size_t n) {
    int rc = umm_commit(c->proc, c->base + i * PG, n * PG, TU_RW);
    hist_note(c, 'c', i, n, rc, 0);
    bool midway = rc == UMM_E_VMA_LIMIT && c->faults_on; /* committed; some protections not set */
    if (rc != UMM_OK && rc != UMM_E_COMMIT_LIMIT && !midway)
        ST_FAIL(c, "commit [%zu, +%zu): %s", i, n, umm_error_name(rc));
    if (rc != UMM_OK && !midway) { /* documented: nothing changed */
        c->failed_calls++;
        return;
    }
    for (size_t k = i; k < i + n; k++) /* committed pages keep their data, take the protection */
        if (!c->m[k].committed)
            sm_page_reset(&c->m[k], 1, TU_RW);
        else
            c->m[k].prot = TU_RW;
    if (midway) {
        c->failed_calls++;
        resync_prot(c, i, n);
    }
}

static void op_decommit(ctx_t *c, size_t i, size_t n) {
    int rc = umm_decommit(c->proc, c->base + i * PG, n * PG);
    hist_note(c, 'd', i, n, rc, 0);
    if (rc != UMM_OK && !(rc == UMM_E_VMA_LIMIT && c->faults_on))
        ST_FAIL(c, "decommit [%zu, +%zu): %s", i, n, umm_error_name(rc));
    if (rc != UMM_OK) { /* documented: nothing changed */
        c->failed_calls++;
        return;
    }
    for (size_t k = i; k < i + n; k++)
        sm_page_reset(&c->m[k], 0, 0);
}

/* After a protect that failed midway: read each page's protection back. */
static void resync_prot(ctx_t *c, size_t i, size_t n) {
    for (size_t k = i; k < i + n; k++) {
        umm_region_info_t info;
        ST_CALL(c, umm_query(c->proc, c->base + k * PG, &info));
        if (info.state != UMM_REGION_COMMITTED)
            ST_FAIL(c, "page %zu is not committed after a failed protect", k);
        c->m[k].prot = (uint8_t)info.prot;
    }
}

static void op_protect(ctx_t *c, size_t i, size_t n) {
    static const int prots[] = {UMM_PROT_READ, TU_RW, UMM_PROT_NONE, TU_RW | UMM_PROT_GUARD,
                                UMM_PROT_READ | UMM_PROT_GUARD, TU_RW, TU_RW};
    int prot = prots[pu_next(&c->rng) % (sizeof prots / sizeof prots[0])];
    bool all_committed = true;
    for (size_t k = i; k < i + n; k++)
        all_committed &= c->m[k].committed != 0;
    int old = -1;
    int rc = umm_protect(c->proc, c->base + i * PG, n * PG, prot, &old);
    hist_note(c, 'p', i, n, rc, (uint64_t)prot);
    if (!all_committed) {
        if (rc != UMM_E_NOT_COMMITTED)
            ST_FAIL(c, "protect over uncommitted pages gave %s", umm_error_name(rc));
        return;
    }
    if (rc == UMM_OK) {
        if (old != c->m[i].prot)
            ST_FAIL(c, "protect: old protection %d, model %d", old, c->m[i].prot);
        for (size_t k = i; k < i + n; k++)
            c->m[k].prot = (uint8_t)prot;
    } else if (rc == UMM_E_VMA_LIMIT && c->faults_on) {
        c->failed_calls++;
        resync_prot(c, i, n);
    } else {
        ST_FAIL(c, "protect [%zu, +%zu) to %d: %s", i, n, prot, umm_error_name(rc));
    }
}

static void op_flush(ctx_t *c) {
    int rc = umm_flush_modified(c->sys);
    if (rc != UMM_OK && !(rc == UMM_E_IO && c->faults_on))
        ST_FAIL(c, "flush: %s", umm_error_name(rc));
    c->failed_calls += rc != UMM_OK;
}

static void step(ctx_t *c) {
    unsigned op = (unsigned)(pu_next(&c->rng) % 100);
    size_t i = c->lo + (size_t)(pu_next(&c->rng) % (c->hi - c->lo));
    size_t n = 1 + (size_t)(pu_next(&c->rng) % 64);
    if (i + n > c->hi)
        n = c->hi - i;
    c->ops++;
    if (c->trace)
        fprintf(stderr, "step %d op %u page %zu n %zu (page: committed %d prot %d gen %" PRIu64 ")\n",
                c->step, op, i, n, c->m[i].committed, c->m[i].prot, c->m[i].gen);
    if (op < 10)
        op_commit(c, i, n);
    else if (op < 14)
        op_decommit(c, i, n);
    else if (op < 44)
        op_write(c, i);
    else if (op < 70)
        op_read(c, i);
    else if (op < 75)
        op_protect(c, i, n < 8 ? n : 8);
    else if (op < 80)
        ST_CALL(c, umm_ws_trim(c->proc, n * 4));
    else if (op < 82)
        ST_CALL(c, umm_ws_empty(c->proc));
    else if (op < 86)
        op_flush(c);
    else if (op < 88)
        ST_CALL(c, umm_standby_purge(c->sys, (unsigned)(pu_next(&c->rng) % 8), NULL));
    else if (op < 90)
        ST_CALL(c, umm_balance(c->sys));
    else
        for (size_t k = i; k < i + n && k < i + 8; k++)
            op_read(c, k);
}

#endif /* UMM_STRESS_OPS_H */

