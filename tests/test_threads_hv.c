/* SPDX-License-Identifier: MIT */
/* test_threads_hv.c - the hypervisor with its host thread running: a 32 MiB host with two
 * 24 MiB guests (guest workers on, paging files), two threads per guest rewriting their own
 * pages for at least 1.5 s (longer on a loaded machine: until each thread has written a whole
 * generation and the host thread has done what is asserted) while the host thread scans for
 * sharing every 5 ms and runs the policy (balloon targets, host swapping) every 50 ms. Half of each thread's pages hold content that
 * is identical between the two guests' corresponding threads at equal generations (so the
 * scanner merges them and writes break the sharing concurrently); the other half address-keyed
 * words. Each thread checks the previous generation before writing the next. A second run does
 * the same with guests without balloons on a 20 MiB host, emptying their working sets meanwhile:
 * the host's reclaim (dropping free and Standby frames, swapping with its lock dropped, handing
 * pages over to the guests' writers) races the guests' workers. A third test moves a balloon
 * while its guest writes and another thread reads its stats (each snapshot whole). Sizes are
 * kept small for TSan. */
#include "hv_util.h"

#include <pthread.h>
#include <stdatomic.h>

#define PG HVU_PG
#define MIB HVU_MIB

enum { NGUEST = 2, NTHR = 2 };

/* The bound on waiting for a run to show its events (run_complete): far beyond any load seen. */
#define RUN_LIMIT_S 240.0

typedef struct worker {
    umm_hv_guest_t *g;
    unsigned char *base;
    size_t n;
    int guest, thr;
    _Atomic uint64_t gen; /* last generation completely written (read by the main thread) */
    uint64_t errors;
    size_t first_bad;
    atomic_int *stop;
} worker_t;

static uint64_t ikey(const worker_t *w, size_t i, uint64_t gen) {
    return ((uint64_t)w->thr << 48) ^ (gen << 24) ^ i; /* no guest in the key: shareable */
}

static int page_ok(const worker_t *w, size_t i, uint64_t gen) {
    if (i % 2 == 0)
        return hvu_ichecks(hvu_pg(w->base, i), ikey(w, i, gen));
    return hvu_marked(w->base, i, gen);
}

static void page_write(const worker_t *w, size_t i, uint64_t gen) {
    if (i % 2 == 0)
        hvu_ifill(hvu_pg(w->base, i), ikey(w, i, gen));
    else
        hvu_mark(w->base, i, gen);
}

/* Guest frames the host reclaimed so far: dropped (free or Standby) plus compressed or written. */
static uint64_t reclaimed(umm_hv_guest_t **g) {
    uint64_t n = 0;
    for (int k = 0; k < NGUEST; k++) {
        umm_hv_guest_stats_t s = hvu_gs(g[k]);
        n += s.dropped + s.victims_active + s.victims_modified;
    }
    return n;
}

static void *worker_run(void *arg) {
    worker_t *w = arg;
    for (uint64_t gen = 1; !atomic_load(w->stop); gen++) {
        for (size_t i = 0; i < w->n; i++) {
            if (gen > 1 && !page_ok(w, i, gen - 1)) {
                if (w->errors++ == 0)
                    w->first_bad = i;
            }
            page_write(w, i, gen);
        }
        atomic_store(&w->gen, gen);
    }
    return NULL;
}

/* Has the run shown what the test asserts: every thread a whole generation, the host thread 5
 * policy passes and a scan, and (uncooperative) some reclaim? A loaded machine may take far
 * longer than the planned 1.5 s to get there: the run waits for these events, not for a time. */
static int run_complete(umm_hv_host_t *h, umm_hv_guest_t **g, worker_t (*w)[NTHR],
                        int uncooperative) {
    for (int k = 0; k < NGUEST; k++)
        for (int j = 0; j < NTHR; j++)
            if (atomic_load(&w[k][j].gen) < 1)
                return 0;
    umm_hv_host_stats_t hs = hvu_hs(h);
    if (hs.policy_passes < 5 || hs.scanned == 0)
        return 0;
    return !uncooperative || reclaimed(g) > 0;
}

/* `uncooperative`: guests without balloons on a smaller host, their working sets emptied from
 * the main thread meanwhile (Standby and Modified frames for the host's cheap victims, host-swapped
 * pages for the writer's hand-over), so the host's reclaim runs against the guests' workers. */
static void threads_run(size_t host_mib, unsigned hv_flags, int uncooperative) {
    umm_hv_host_config_t hc = hvu_host_cfg(host_mib, 128, 0);
    hc.scan_sleep_ms = 5;
    hc.scan_pages = 1024;
    hc.policy_interval_ms = 50;
    umm_hv_host_t *h = NULL;
    assert_int_equal(umm_hv_host_create(&hc, &h), UMM_OK);

    umm_hv_guest_t *g[NGUEST];
    umm_process_t *p[NGUEST];
    worker_t w[NGUEST][NTHR];
    pthread_t t[NGUEST][NTHR];
    atomic_int stop = 0;
    const size_t per_thread = HVU_PAGES(8);
    for (int k = 0; k < NGUEST; k++) {
        umm_hv_guest_config_t gc = hvu_guest_cfg(24, 64, 0, hv_flags);
        gc.sys.balance_interval_ms = 100;
        gc.name = k ? "g1" : "g0";
        g[k] = hvu_guest_from(h, &gc, &p[k]);
        for (int j = 0; j < NTHR; j++) {
            w[k][j] = (worker_t){.g = g[k], .n = per_thread, .guest = k, .thr = j, .stop = &stop};
            w[k][j].base = hvu_alloc(p[k], per_thread);
        }
    }
    double t0 = hvu_now();
    for (int k = 0; k < NGUEST; k++)
        for (int j = 0; j < NTHR; j++)
            assert_int_equal(pthread_create(&t[k][j], NULL, worker_run, &w[k][j]), 0);
    /* sample the host while they run */
    uint64_t max_saved = 0, max_balloon = 0, max_swapped = 0;
    int timed_out = 0;
    for (int tick = 0; hvu_now() - t0 < 1.5 || !run_complete(h, g, w, uncooperative); tick++) {
        if ((timed_out = hvu_now() - t0 > RUN_LIMIT_S))
            break;
        usleep(50 * 1000);
        if (uncooperative)
            assert_int_equal(umm_ws_empty(p[tick % NGUEST]), UMM_OK);
        umm_hv_host_stats_t hs = hvu_hs(h);
        assert_true(hs.free_frames <= hs.host_frames);
        if (hs.saved > max_saved)
            max_saved = hs.saved;
        for (int k = 0; k < NGUEST; k++) {
            umm_hv_guest_stats_t s = hvu_gs(g[k]);
            if (s.balloon_actual > max_balloon)
                max_balloon = s.balloon_actual;
            if (s.host_swapped > max_swapped)
                max_swapped = s.host_swapped;
        }
    }
    atomic_store(&stop, 1);
    for (int k = 0; k < NGUEST; k++)
        for (int j = 0; j < NTHR; j++)
            assert_int_equal(pthread_join(t[k][j], NULL), 0);
    if (timed_out)
        fail_msg("after %.0f s the run has not shown what it asserts (a thread without a whole "
                 "generation, < 5 policy passes, no scan or no reclaim)", RUN_LIMIT_S);
    umm_hv_host_stats_t hs = hvu_hs(h);
    print_message("  threads: %.1f s, policy passes %" PRIu64 " scanned %" PRIu64 " merged %" PRIu64
                  " cow %" PRIu64 " max saved %" PRIu64 " max balloon %" PRIu64
                  " max host-swapped %" PRIu64 " host out/in %" PRIu64 "/%" PRIu64 "\n",
                  hvu_now() - t0, hs.policy_passes, hs.scanned, hs.merged, hs.cow_breaks,
                  max_saved, max_balloon, max_swapped, hs.swapped_out, hs.swapped_in);
    for (int k = 0; k < NGUEST; k++)
        for (int j = 0; j < NTHR; j++) {
            print_message("  guest %d thread %d: %" PRIu64 " generations\n", k, j,
                          atomic_load(&w[k][j].gen));
            if (w[k][j].errors)
                fail_msg("guest %d thread %d: %" PRIu64 " pages lost their data (first page %zu)",
                         k, j, w[k][j].errors, w[k][j].first_bad);
            assert_true(atomic_load(&w[k][j].gen) >= 1);
        }
    /* the host thread really ran */
    assert_true(hs.policy_passes >= 5);
    assert_true(hs.scanned > 0);
    if (uncooperative) { /* and reclaimed, cheap victims first */
        uint64_t dropped = 0, written = 0, handed = 0;
        for (int k = 0; k < NGUEST; k++) {
            umm_hv_guest_stats_t s = hvu_gs(g[k]);
            dropped += s.dropped;
            written += s.victims_active + s.victims_modified;
            handed += s.handed_over;
        }
        print_message("  reclaim: dropped %" PRIu64 ", compressed or written %" PRIu64
                      ", handed over %" PRIu64 "\n", dropped, written, handed);
        assert_true(dropped + written > 0);
    }
    /* final check with everyone quiet: every page holds the last generation written */
    for (int k = 0; k < NGUEST; k++) {
        for (int j = 0; j < NTHR; j++)
            for (size_t i = 0; i < w[k][j].n; i++)
                if (!page_ok(&w[k][j], i, atomic_load(&w[k][j].gen)))
                    fail_msg("final: guest %d thread %d page %zu", k, j, i);
        assert_int_equal(umm_check(umm_hv_guest_system(g[k])), UMM_OK);
    }
    umm_hv_host_destroy(h);
}

/* The balloon moved by one thread (steps toward targets flipped between 0 and `want`) while its
 * guest writes its memory and commits more (a commit the balloon leaves no room for deflates it)
 * and another thread reads the guest's stats: each snapshot is whole, inflated - deflated =
 * actual <= its frames. Under TSan, any balloon field written outside the lock the stats read
 * under is a report. */
enum { BALLOON_FLIPS = 40 };

typedef struct balloon_run {
    umm_hv_host_t *h;
    umm_hv_guest_t *g;
    umm_process_t *p;
    unsigned char *base, *extra;
    size_t n, nextra, want;
    atomic_int done;
    _Atomic uint64_t gen;       /* the toucher's last whole generation of base */
    _Atomic uint64_t snapshots; /* stats the reader has taken */
    uint64_t lost;    /* generations the toucher found wrong (its own) */
    uint64_t refused; /* commits of `extra` refused */
} balloon_run_t;

static void *balloon_flipper(void *arg) {
    balloon_run_t *r = arg;
    /* the race needs all three running: a toucher's whole generation and a reader's snapshot */
    while (atomic_load(&r->gen) < 1 || atomic_load(&r->snapshots) < 1)
        usleep(100);
    for (int k = 0; k < BALLOON_FLIPS; k++) {
        if (umm_hv_balloon_set_target(r->g, k % 2 ? 0 : r->want) != UMM_OK)
            break;
        for (int s = 0; s < 4; s++)
            umm_hv_host_step(r->h);
    }
    atomic_store(&r->done, 1);
    return NULL;
}

/* Rewrites its pages, checking the last generation, and commits, fills and decommits `extra`
 * pages each round: a commit the balloon leaves no room for deflates it (on pressure). */
static void *balloon_toucher(void *arg) {
    balloon_run_t *r = arg;
    for (uint64_t gen = 1; !atomic_load(&r->done); gen++) {
        if (gen > 1 && hvu_check_range(r->base, r->n, gen - 1) != (size_t)-1)
            r->lost++;
        hvu_mark_range(r->base, r->n, gen);
        atomic_store(&r->gen, gen);
        size_t bytes = r->nextra * HVU_PG;
        if (umm_commit(r->p, r->extra, bytes, TU_RW) != UMM_OK) {
            r->refused++;
            continue;
        }
        hvu_mark_range(r->extra, r->nextra, gen);
        if (hvu_check_range(r->extra, r->nextra, gen) != (size_t)-1)
            r->lost++;
        (void)umm_decommit(r->p, r->extra, bytes);
    }
    return NULL;
}

static void test_threads_hv_balloon_stats(void **state) {
    (void)state;
    balloon_run_t r = {.h = hvu_host(32, 64, UMM_HV_NO_WORKERS)};
    r.g = hvu_guest(r.h, 16, 4, 0, 0, &r.p); /* commit limit 20 MiB */
    r.n = HVU_PAGES(12);
    r.nextra = HVU_PAGES(2);
    r.want = HVU_PAGES(7); /* 12 + 7 committed of 20: the extra 2 need one of the balloon's back */
    r.base = hvu_alloc(r.p, r.n);
    r.extra = tu_reserve(r.p, r.nextra * HVU_PG, TU_RW);
    pthread_t flipper, toucher;
    assert_int_equal(pthread_create(&flipper, NULL, balloon_flipper, &r), 0);
    assert_int_equal(pthread_create(&toucher, NULL, balloon_toucher, &r), 0);
    uint64_t max_actual = 0;
    while (!atomic_load(&r.done)) {
        umm_hv_guest_stats_t s = hvu_gs(r.g);
        assert_true(s.balloon_actual <= s.guest_frames);
        assert_int_equal(s.balloon_inflated - s.balloon_deflated, s.balloon_actual);
        max_actual = s.balloon_actual > max_actual ? s.balloon_actual : max_actual;
        atomic_fetch_add(&r.snapshots, 1);
        usleep(100); /* a reader, not a second lock holder starving the flipper */
    }
    assert_int_equal(pthread_join(flipper, NULL), 0);
    assert_int_equal(pthread_join(toucher, NULL), 0);
    assert_int_equal(r.lost, 0);
    umm_hv_guest_stats_t s = hvu_gs(r.g);
    print_message("  balloon: %" PRIu64 " snapshots, max actual %" PRIu64 ", inflated %" PRIu64
                  ", deflated %" PRIu64 " (%" PRIu64 " on pressure), extra commits refused %"
                  PRIu64 "\n", atomic_load(&r.snapshots), max_actual, s.balloon_inflated,
                  s.balloon_deflated, s.balloon_deflate_on_pressure, r.refused);
    assert_true(s.balloon_inflated > 0 && s.balloon_deflated > 0); /* it really moved */
    /* quiet now: a balloon holding more than the commit leaves gives way to a commit */
    assert_int_equal(umm_hv_balloon_set_target(r.g, r.want), UMM_OK);
    for (int k = 0; k < 50 && hvu_gs(r.g).balloon_actual < r.want; k++)
        umm_hv_host_step(r.h);
    s = hvu_gs(r.g);
    assert_int_equal(s.balloon_actual, r.want);
    assert_int_equal(umm_commit(r.p, r.extra, r.nextra * HVU_PG, TU_RW), UMM_OK);
    umm_hv_guest_stats_t after = hvu_gs(r.g);
    assert_true(after.balloon_deflate_on_pressure > s.balloon_deflate_on_pressure);
    assert_true(after.balloon_actual < r.want && after.balloon_target == after.balloon_actual);
    s = after;
    assert_int_equal(s.balloon_inflated - s.balloon_deflated, s.balloon_actual);
    assert_int_equal(hvu_check_range(r.base, r.n, atomic_load(&r.gen)), (size_t)-1);
    assert_int_equal(umm_check(umm_hv_guest_system(r.g)), UMM_OK);
    umm_hv_host_destroy(r.h);
}

static void test_threads_hv_workers(void **state) {
    (void)state;
    threads_run(32, 0, 0);
}

static void test_threads_hv_reclaim(void **state) {
    (void)state;
    threads_run(20, UMM_HV_GUEST_NO_BALLOON, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_hv_workers),
        cmocka_unit_test(test_threads_hv_reclaim),
        cmocka_unit_test(test_threads_hv_balloon_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
