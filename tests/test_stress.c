/* SPDX-License-Identifier: MIT */
/* test_stress.c - randomized fault-injection stress against a byte-exact model.
 *
 * One process, 12 MiB of a 16 MiB reservation over 4 MiB of RAM, 8-page clusters, a paging file
 * that may grow. Random operations: commit, decommit, whole-page writes and verified reads,
 * protection changes (read-only, no access, guard, back), working-set trims and empties, flushes,
 * standby purges and balance passes, while failure points fail at random: each alone, in pairs,
 * all at once, with and without the workers. Every byte read is checked against the model (a
 * fresh page must read as zeros), umm_check runs every 256 operations, and at the end every page
 * is verified again through a full round trip to the paging file and the counters must balance.
 *
 * The CI set is fixed. Any run can be replayed from the command line:
 *   test_stress --seed 17 --points all --prob 0.2 [--workers] [--steps 6000] [--trace]
 * (--points takes "all", "none" or names separated by commas). */
#include "stress_ops.h"

#include <getopt.h>

#define ST_PAGES 3072    /* the pages operated on */
#define ST_RESERVE 4096  /* pages reserved */
#ifndef ST_CHECK_EVERY
#define ST_CHECK_EVERY 256
#endif

/* umm_check, and the counters against the model (the whole region, one thread). */
static void check_counters(ctx_t *c) {
    int rc = umm_check(c->sys);
    if (rc != UMM_OK)
        ST_FAIL(c, "umm_check: %s (UMM_CHECK_VERBOSE=1 names the invariant)", umm_error_name(rc));
    uint64_t committed = 0;
    for (size_t k = 0; k < ST_PAGES; k++)
        committed += c->m[k].committed;
    umm_stats_t s = tu_stats(c->sys);
    if (s.committed != committed)
        ST_FAIL(c, "committed %" PRIu64 ", model %" PRIu64, s.committed, committed);
    uint64_t sum = s.zeroed + s.free + s.standby + s.modified + s.modified_nowrite + s.bad + s.active;
    if (sum != s.total_frames || s.working_set > s.active)
        ST_FAIL(c, "frame counts do not add up");
}

/* Points off: every page is what the model says, also after a round trip to the paging file;
 * then everything decommitted and every counter back where it started. */
static void final_checks(ctx_t *c) {
    c->faults_on = false;
    c->shared = false;
    for (int round = 0; round < 2 && !c->failed; round++) {
        for (size_t k = 0; k < ST_PAGES && !c->failed; k++) {
            if (!c->m[k].committed)
                continue;
            ST_CALL(c, umm_protect(c->proc, c->base + k * PG, PG, TU_RW, NULL));
            c->m[k].prot = TU_RW;
            op_read(c, k);
        }
        ST_CALL(c, umm_ws_empty(c->proc));
        ST_CALL(c, umm_flush_modified(c->sys));
        ST_CALL(c, umm_standby_purge(c->sys, 7, NULL));
        check_counters(c);
    }
    if (c->failed)
        return;
    ST_CALL(c, umm_decommit(c->proc, c->base, ST_RESERVE * PG));
    memset(c->m, 0, ST_PAGES * sizeof *c->m);
    umm_stats_t s = tu_stats(c->sys);
    if (s.committed != 0 || s.working_set != 0 || s.active != 0 || s.modified != 0 ||
        s.available != s.total_frames || s.pagefile_used != 0)
        ST_FAIL(c, "after decommitting everything: committed %" PRIu64 " ws %" PRIu64
                   " active %" PRIu64 " modified %" PRIu64 " available %" PRIu64 "/%" PRIu64
                   " pagefile_used %" PRIu64,
                s.committed, s.working_set, s.active, s.modified, s.available, s.total_frames,
                s.pagefile_used);
    check_counters(c);
}

static bool trace; /* --trace */

static void run_one(const run_t *run, bool verbose) {
    ctx_t c = {.run = run, .rng = {run->seed}, .next_gen = 1, .lo = 0, .hi = ST_PAGES,
               .region_pages = ST_PAGES,
               .shared = run->workers, .trace = trace};
    umm_config_t cfg = pu_config(4 * TU_MIB, 16 * TU_MIB, 32 * TU_MIB,
                                 run->workers ? 0 : UMM_CFG_NO_WORKERS);
    cfg.cluster_pages = 8;
    cfg.balance_interval_ms = 10;
    tu_sys_new_cfg(&cfg, &c.sys, &c.proc);
    tu_exc_install(c.sys);
    c.base = tu_reserve(c.proc, ST_RESERVE * PG, TU_RW);
    c.m = calloc(ST_PAGES, sizeof *c.m);
    assert_non_null(c.m);
    assert_int_equal(umm_failpoint_seed(run->seed), UMM_OK);
    sm_points_on(run->points, run->prob);
    c.faults_on = run->points != 0;
    for (c.step = 0; c.step < run->steps && !c.failed; c.step++) {
        step(&c);
        if (c.step % ST_CHECK_EVERY == ST_CHECK_EVERY - 1)
            check_counters(&c);
    }
    sm_points_off();
    if (!c.failed)
        final_checks(&c);
    if (c.failed)
        ST_REPORT("stress", c.msg);
    if (verbose) {
        umm_stats_t s = tu_stats(c.sys);
        print_message("seed %" PRIu64 " points 0x%x workers %d: %lu ops, %lu in-page errors, "
                      "%lu failed calls, %" PRIu64 " hard faults, %" PRIu64 " writer errors\n",
                      run->seed, run->points, (int)run->workers, c.ops, c.inpage, c.failed_calls,
                      s.faults_hard, s.writer_errors);
    }
    assert_int_equal(umm_set_exception_handler(c.sys, NULL, NULL), UMM_OK);
    free(c.m);
    umm_system_destroy(c.sys);
}

/* ---- the CI set ------------------------------------------------------------------------------- */

#define CI_STEPS 3000

static void test_each_point_alone(void **state) {
    (void)state;
    for (unsigned k = 0; k < SM_NPOINTS; k++)
        for (int w = 0; w < 2; w++) {
            run_t r = {.seed = 100 + k, .points = 1u << k, .prob = 0.2, .workers = w, .steps = CI_STEPS};
            run_one(&r, false);
        }
}

static void test_pairs(void **state) {
    (void)state;
    for (unsigned a = 0; a < SM_NPOINTS; a++)
        for (unsigned b = a + 1; b < SM_NPOINTS; b++) {
            run_t r = {.seed = 200 + a * 8 + b, .points = (1u << a) | (1u << b), .prob = 0.2,
                       .workers = (a + b) % 2, .steps = CI_STEPS / 2};
            run_one(&r, false);
        }
}

static void test_all_at_once(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 24; seed++) {
        run_t r = {.seed = seed, .points = (1u << SM_NPOINTS) - 1, .prob = 0.2,
                   .workers = seed % 2 == 0, .steps = CI_STEPS};
        run_one(&r, seed <= 2);
    }
}

static void test_no_faults(void **state) {
    (void)state;
    for (int w = 0; w < 2; w++) {
        run_t r = {.seed = 7, .points = 0, .prob = 0, .workers = w, .steps = 2 * CI_STEPS};
        run_one(&r, true);
    }
}

/* ---- one run from the command line -------------------------------------------------------------- */

static run_t cli_run;

static void test_cli(void **state) {
    (void)state;
    run_one(&cli_run, true);
}

int main(int argc, char **argv) {
    static const struct option opts[] = {
        {"seed", required_argument, 0, 's'},   {"points", required_argument, 0, 'p'},
        {"prob", required_argument, 0, 'q'},   {"workers", no_argument, 0, 'w'},
        {"steps", required_argument, 0, 'n'},  {"trace", no_argument, 0, 't'},
        {0, 0, 0, 0},
    };
    bool cli = false;
    cli_run = (run_t){.seed = 1, .points = (1u << SM_NPOINTS) - 1, .prob = 0.2, .steps = CI_STEPS};
    for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        cli = true;
        switch (o) {
        case 's': cli_run.seed = strtoull(optarg, NULL, 0); break;
        case 'p':
            cli_run.points = sm_parse_points(optarg);
            if (cli_run.points == 0 && strcmp(optarg, "none") != 0)
                return 2;
            break;
        case 'q': cli_run.prob = strtod(optarg, NULL); break;
        case 'w': cli_run.workers = true; break;
        case 'n': cli_run.steps = atoi(optarg); break;
        case 't': trace = true; break;
        default:
            fprintf(stderr, "usage: %s [--seed N] [--points all|none|a,b] [--prob P] [--workers] "
                            "[--steps N]\n", argv[0]);
            return 2;
        }
    }
    if (cli) {
        const struct CMUnitTest one[] = {cmocka_unit_test(test_cli)};
        return cmocka_run_group_tests(one, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_faults),
        cmocka_unit_test(test_each_point_alone),
        cmocka_unit_test(test_pairs),
        cmocka_unit_test(test_all_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
