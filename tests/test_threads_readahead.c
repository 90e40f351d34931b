/* SPDX-License-Identifier: MIT */
/* test_threads_readahead.c - the read-ahead window and the writer's batched writes with several
 * threads faulting while the workers page beside them, 8x RAM, injected read and write errors
 * (built under TSan too). Helpers: readahead_util.h. */
#include "readahead_util.h"

#include <pthread.h>

/* ---- threads: workers on (the writer and balancer run beside the faults) ---- */

typedef struct worker_arg {
    char *r;
    size_t npages;
    uint64_t *gens;
    uint64_t seed;
} worker_arg_t;

static void *worker(void *p) {
    worker_arg_t *a = p;
    for (uint64_t round = 1; round <= 3; round++)
        random_ops(a->r, a->npages, a->gens, 2 * a->npages, a->seed * round, round);
    return NULL;
}

/* Two threads, each on its own half of an 8x-RAM range, with the workers paging beside them and
 * 2 % of reads and writes failing: data exact, system consistent. (Runs under TSan too.) */
static void test_threads_8x_ram(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = ra_config(0);
    c.balance_interval_ms = 20;
    tu_sys_new_cfg(&c, &sys, &proc);
    tu_exc_install(sys);
    char *r = tu_alloc(proc, DATA_PAGES * PG);
    uint64_t *gens = calloc(DATA_PAGES, sizeof *gens);
    assert_non_null(gens);
    assert_int_equal(umm_failpoint_seed(0xD1CE), UMM_OK);
    assert_int_equal(umm_failpoint_enable("umm/pagefile/read", 0.02, 0), UMM_OK);
    assert_int_equal(umm_failpoint_enable("umm/pagefile/write", 0.02, 0), UMM_OK);
    pthread_t t[2];
    worker_arg_t args[2];
    for (int k = 0; k < 2; k++) {
        args[k] = (worker_arg_t){.r = r + (size_t)k * (DATA_PAGES / 2) * PG, .npages = DATA_PAGES / 2,
                                 .gens = gens + (size_t)k * (DATA_PAGES / 2), .seed = 11u + (uint64_t)k};
        assert_int_equal(pthread_create(&t[k], NULL, worker, &args[k]), 0);
    }
    for (int k = 0; k < 2; k++)
        assert_int_equal(pthread_join(t[k], NULL), 0);
    umm_failpoint_disable("umm/pagefile/*");
    verify_all(r, DATA_PAGES, gens);
    umm_stats_t s = tu_stats(sys);
    assert_true(s.faults_hard > 0 && s.pages_output > 0);
    tu_assert_consistent(sys);
    assert_int_equal(umm_release(proc, r), UMM_OK);
    free(gens);
    umm_set_exception_handler(sys, NULL, NULL);
    umm_system_destroy(sys);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_8x_ram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
