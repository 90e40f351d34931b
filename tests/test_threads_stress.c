/* SPDX-License-Identifier: MIT */
/* test_threads_stress.c - the randomized fault-injection stress of test_stress.c on four threads
 * at once (also run under ThreadSanitizer), with the workers running and every failure point
 * failing at random. Each thread owns a slice of the region and its model; trims, empties,
 * flushes, purges and balance passes reach every thread's pages. A fifth thread calls umm_check
 * and reads the counters all the time: they must be consistent whenever they are read. At the
 * end every page of every slice is verified, through a round trip to the paging file.
 *
 *   test_threads_stress --seed 5 [--steps 4000] [--prob 0.1]   replays one run */
#include "stress_ops.h"

#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>

#define NTHREADS 4
#define SLICE 768 /* pages per thread: 12 MiB in all over 4 MiB of RAM */
#define TOTAL (NTHREADS * SLICE)

typedef struct monitor {
    umm_system_t *sys;
    atomic_bool stop;
    unsigned long checks;
    char msg[256];
} monitor_t;

/* umm_check and the frame counts, over and over, while the threads and workers run. */
static void *monitor_main(void *arg) {
    monitor_t *m = arg;
    while (!atomic_load(&m->stop) && !m->msg[0]) {
        int rc = umm_check(m->sys);
        umm_stats_t s;
        int rs = umm_stats_get(m->sys, &s);
        uint64_t sum = s.zeroed + s.free + s.standby + s.modified + s.modified_nowrite + s.bad + s.active;
        if (rc != UMM_OK)
            snprintf(m->msg, sizeof m->msg, "umm_check while running: %s", umm_error_name(rc));
        else if (rs != UMM_OK || sum != s.total_frames || s.working_set > s.active ||
                 s.available != s.zeroed + s.free + s.standby)
            snprintf(m->msg, sizeof m->msg, "counters inconsistent while running");
        m->checks++;
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void *thread_main(void *arg) {
    ctx_t *c = arg;
    for (c->step = 0; c->step < c->run->steps && !c->failed; c->step++)
        step(c);
    return NULL;
}

/* Read page k through the context of the thread that owned it, so a failure's message carries
 * that thread's history of the page. */
static void read_as_owner(ctx_t *c, ctx_t *owners, size_t k) {
    ctx_t *o = &owners[k / SLICE];
    o->faults_on = false;
    o->shared = false;
    op_read(o, k);
    if (o->failed && !c->failed) {
        c->failed = true;
        snprintf(c->msg, sizeof c->msg, "%s", o->msg);
    }
}

static void final_checks(ctx_t *c, ctx_t *owners) {
    c->faults_on = false;
    c->shared = false;
    for (int round = 0; round < 2 && !c->failed; round++) {
        for (size_t k = 0; k < TOTAL && !c->failed; k++) {
            if (!c->m[k].committed)
                continue;
            ST_CALL(c, umm_protect(c->proc, c->base + k * PG, PG, TU_RW, NULL));
            c->m[k].prot = TU_RW;
            read_as_owner(c, owners, k);
        }
        ST_CALL(c, umm_ws_empty(c->proc));
        ST_CALL(c, umm_flush_modified(c->sys));
        ST_CALL(c, umm_standby_purge(c->sys, 7, NULL));
        ST_CALL(c, umm_check(c->sys));
    }
    if (c->failed)
        return;
    uint64_t committed = 0;
    for (size_t k = 0; k < TOTAL; k++)
        committed += c->m[k].committed;
    umm_stats_t s;
    ST_CALL(c, umm_stats_get(c->sys, &s));
    if (s.committed != committed)
        ST_FAIL(c, "committed %" PRIu64 ", model %" PRIu64, s.committed, committed);
    ST_CALL(c, umm_decommit(c->proc, c->base, TOTAL * PG));
    ST_CALL(c, umm_stats_get(c->sys, &s));
    if (s.committed != 0 || s.working_set != 0 || s.active != 0 || s.modified != 0 ||
        s.available != s.total_frames || s.pagefile_used != 0)
        ST_FAIL(c, "counters after decommitting everything");
}

static void run_threads(const run_t *run) {
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t cfg = pu_config(4 * TU_MIB, 16 * TU_MIB, 32 * TU_MIB, 0);
    cfg.cluster_pages = 8;
    cfg.balance_interval_ms = 10;
    tu_sys_new_cfg(&cfg, &sys, &proc);
    tu_exc_install(sys);
    char *base = tu_reserve(proc, TOTAL * PG, TU_RW);
    sm_page_t *model = calloc(TOTAL, sizeof *model);
    assert_non_null(model);
    static ctx_t ctx[NTHREADS];
    for (int t = 0; t < NTHREADS; t++)
        ctx[t] = (ctx_t){.run = run, .sys = sys, .proc = proc, .base = base, .m = model,
                         .lo = (size_t)t * SLICE, .hi = (size_t)(t + 1) * SLICE, .region_pages = TOTAL,
                         .rng = {run->seed * 16 + (uint64_t)t}, .next_gen = ((uint64_t)t << 40) + 1,
                         .faults_on = run->points != 0, .shared = true};
    monitor_t mon = {.sys = sys};
    assert_int_equal(umm_failpoint_seed(run->seed), UMM_OK);
    sm_points_on(run->points, run->prob);
    pthread_t th[NTHREADS], mt;
    assert_int_equal(pthread_create(&mt, NULL, monitor_main, &mon), 0);
    for (int t = 0; t < NTHREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, thread_main, &ctx[t]), 0);
    for (int t = 0; t < NTHREADS; t++)
        assert_int_equal(pthread_join(th[t], NULL), 0);
    atomic_store(&mon.stop, true);
    assert_int_equal(pthread_join(mt, NULL), 0);
    sm_points_off();
    for (int t = 0; t < NTHREADS; t++)
        if (ctx[t].failed) {
            char who[32];
            snprintf(who, sizeof who, "thread %d", t);
            ST_REPORT(who, ctx[t].msg);
        }
    if (mon.msg[0])
        fail_msg("seed %" PRIu64 ": %s", run->seed, mon.msg);
    ctx_t all = {.run = run, .sys = sys, .proc = proc, .base = base, .m = model, .lo = 0, .hi = TOTAL,
                 .region_pages = TOTAL};
    final_checks(&all, ctx);
    if (all.failed)
        ST_REPORT("final", all.msg);
    assert_true(mon.checks > 0);
    assert_int_equal(umm_set_exception_handler(sys, NULL, NULL), UMM_OK);
    free(model);
    umm_system_destroy(sys);
}

static run_t cli_run = {.seed = 1, .prob = 0.1, .workers = true, .steps = 4000};

static void test_threads_all_points(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        run_t r = cli_run;
        r.seed = seed;
        r.points = (1u << SM_NPOINTS) - 1;
        run_threads(&r);
    }
}

static void test_threads_no_faults(void **state) {
    (void)state;
    run_t r = cli_run;
    r.points = 0;
    run_threads(&r);
}

static void test_cli(void **state) {
    (void)state;
    run_threads(&cli_run);
}

int main(int argc, char **argv) {
    static const struct option opts[] = {
        {"seed", required_argument, 0, 's'}, {"prob", required_argument, 0, 'q'},
        {"steps", required_argument, 0, 'n'}, {"points", required_argument, 0, 'p'},
        {0, 0, 0, 0},
    };
    bool cli = false;
    cli_run.points = (1u << SM_NPOINTS) - 1;
    for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        cli = true;
        switch (o) {
        case 's': cli_run.seed = strtoull(optarg, NULL, 0); break;
        case 'q': cli_run.prob = strtod(optarg, NULL); break;
        case 'n': cli_run.steps = atoi(optarg); break;
        case 'p':
            cli_run.points = sm_parse_points(optarg);
            if (cli_run.points == 0 && strcmp(optarg, "none") != 0)
                return 2;
            break;
        default:
            fprintf(stderr, "usage: %s [--seed N] [--prob P] [--steps N] [--points all|none|a,b]\n",
                    argv[0]);
            return 2;
        }
    }
    if (cli) {
        const struct CMUnitTest one[] = {cmocka_unit_test(test_cli)};
        return cmocka_run_group_tests(one, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_no_faults),
        cmocka_unit_test(test_threads_all_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
