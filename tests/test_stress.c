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
#include "stress_model.h"

#include <getopt.h>

#define PG PU_PG
#define ST_PAGES 3072    /* the pages operated on */
#define ST_RESERVE 4096  /* pages reserved */
#ifndef ST_CHECK_EVERY
#define ST_CHECK_EVERY 256
#endif

typedef struct run {
    uint64_t seed;
    unsigned points; /* mask over sm_points */
    double prob;
    bool workers;
    int steps;
} run_t;

typedef struct ctx {
    const run_t *run;
    umm_system_t *sys;
    umm_process_t *proc;
    char *base;
    sm_page_t *m;
    pu_rng_t rng;
    uint64_t next_gen;
    int step;
    bool faults_on;
    unsigned long inpage, failed_calls, ops;
} ctx_t;

#define ST_FAIL(c, ...)                                                                            \
    do {                                                                                           \
        print_error("seed %" PRIu64 " points 0x%x prob %.2f workers %d step %d: ",                \
                    (c)->run->seed, (c)->run->points, (c)->run->prob, (int)(c)->run->workers,      \
                    (c)->step);                                                                    \
        fail_msg(__VA_ARGS__);                                                                     \
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
    *bad = sm_first_bad(page, PG, p->gen, p->torn, found);
    tu_exc.armed = 0;
    return 0;
}

static void op_write(ctx_t *c, size_t i) {
    sm_page_t *p = &c->m[i];
    uint64_t gen = c->next_gen++;
    int code = probe_fill(c->base + i * PG, gen);
    const char *why = sm_exception_legal(p, true, code, c->faults_on);
    if (why)
        ST_FAIL(c, "write page %zu: %s (exception %d)", i, why, code);
    if (code == 0) {
        p->gen = gen;
        p->torn = 0;
    } else if (code == UMM_EXC_IN_PAGE_ERROR) {
        c->inpage++;
        /* Alone, nothing else can take the page between the fill's stores: nothing landed. With
         * the workers trimming, a later store of the fill may have faulted instead. */
        if (c->run->workers)
            p->torn = gen;
    }
}

static void op_read(ctx_t *c, size_t i) {
    sm_page_t *p = &c->m[i];
    long bad = -1;
    uint64_t found = 0;
    int code = probe_verify(c->base + i * PG, p, &bad, &found);
    const char *why = sm_exception_legal(p, false, code, c->faults_on);
    if (why)
        ST_FAIL(c, "read page %zu: %s (exception %d)", i, why, code);
    if (code == UMM_EXC_IN_PAGE_ERROR)
        c->inpage++;
    if (code == 0 && bad >= 0)
        ST_FAIL(c, "page %zu word %ld holds %016" PRIx64 ", not gen %" PRIu64 " (torn %" PRIu64 ")",
                i, bad, found, p->gen, p->torn);
}

/* ---- calls ------------------------------------------------------------------------------------ */

static void op_commit(ctx_t *c, size_t i, size_t n) {
    int rc = umm_commit(c->proc, c->base + i * PG, n * PG, TU_RW);
    if (rc != UMM_OK && rc != UMM_E_COMMIT_LIMIT)
        ST_FAIL(c, "commit [%zu, +%zu): %s", i, n, umm_error_name(rc));
    if (rc != UMM_OK) {
        c->failed_calls++;
        return;
    }
    for (size_t k = i; k < i + n; k++)
        if (!c->m[k].committed)
            c->m[k] = (sm_page_t){.committed = 1, .prot = TU_RW};
}

static void op_decommit(ctx_t *c, size_t i, size_t n) {
    int rc = umm_decommit(c->proc, c->base + i * PG, n * PG);
    if (rc != UMM_OK && !(rc == UMM_E_VMA_LIMIT && c->faults_on))
        ST_FAIL(c, "decommit [%zu, +%zu): %s", i, n, umm_error_name(rc));
    if (rc != UMM_OK) { /* documented: nothing changed */
        c->failed_calls++;
        return;
    }
    for (size_t k = i; k < i + n; k++)
        c->m[k] = (sm_page_t){0};
}

/* After a protect that failed midway: read each page's protection back. */
static void resync_prot(ctx_t *c, size_t i, size_t n) {
    for (size_t k = i; k < i + n; k++) {
        umm_region_info_t info;
        assert_int_equal(umm_query(c->proc, c->base + k * PG, &info), UMM_OK);
        assert_int_equal(info.state, UMM_REGION_COMMITTED);
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

/* The counters that hold whatever the workers are doing. */
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

static bool trace; /* --trace: one line per operation on stderr */

static void step(ctx_t *c) {
    unsigned op = (unsigned)(pu_next(&c->rng) % 100);
    size_t i = (size_t)(pu_next(&c->rng) % ST_PAGES);
    size_t n = 1 + (size_t)(pu_next(&c->rng) % 64);
    if (i + n > ST_PAGES)
        n = ST_PAGES - i;
    c->ops++;
    if (trace)
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
        assert_int_equal(umm_ws_trim(c->proc, n * 4), UMM_OK);
    else if (op < 82)
        assert_int_equal(umm_ws_empty(c->proc), UMM_OK);
    else if (op < 86)
        op_flush(c);
    else if (op < 88)
        assert_int_equal(umm_standby_purge(c->sys, (unsigned)(pu_next(&c->rng) % 8), NULL), UMM_OK);
    else if (op < 90)
        assert_int_equal(umm_balance(c->sys), UMM_OK);
    else
        for (size_t k = i; k < i + n && k < i + 8; k++)
            op_read(c, k);
}

/* Points off: every page is what the model says, also after a round trip to the paging file;
 * then everything decommitted and every counter back where it started. */
static void final_checks(ctx_t *c) {
    c->faults_on = false;
    for (int round = 0; round < 2; round++) {
        for (size_t k = 0; k < ST_PAGES; k++) {
            if (!c->m[k].committed)
                continue;
            assert_int_equal(umm_protect(c->proc, c->base + k * PG, PG, TU_RW, NULL), UMM_OK);
            c->m[k].prot = TU_RW;
            op_read(c, k);
        }
        assert_int_equal(umm_ws_empty(c->proc), UMM_OK);
        assert_int_equal(umm_flush_modified(c->sys), UMM_OK);
        assert_int_equal(umm_standby_purge(c->sys, 7, NULL), UMM_OK);
        check_counters(c);
    }
    assert_int_equal(umm_decommit(c->proc, c->base, ST_RESERVE * PG), UMM_OK);
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

static void run_one(const run_t *run, bool verbose) {
    ctx_t c = {.run = run, .rng = {run->seed}, .next_gen = 1};
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
    for (c.step = 0; c.step < run->steps; c.step++) {
        step(&c);
        if (c.step % ST_CHECK_EVERY == ST_CHECK_EVERY - 1)
            check_counters(&c);
    }
    sm_points_off();
    final_checks(&c);
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
