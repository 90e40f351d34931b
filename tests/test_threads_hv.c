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
 * pages over to the guests' writers) races the guests' workers. Sizes are kept small for TSan. */
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
