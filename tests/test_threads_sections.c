/* SPDX-License-Identifier: MIT */
/* test_threads_sections.c - sections under concurrency: two threads write their own words of
 * every page through two views (of one process, and of two processes) while the working sets are
 * trimmed and emptied and the workers run; every word is right through both views, and every
 * frame, slot and charge comes back. Threaded: labelled `threaded` and run under TSan.
 * Helpers: section_util.h. */
#include "section_util.h"

#include <pthread.h>

/* ============================================================================================
 * threads
 * ========================================================================================== */

typedef struct thr_arg {
    unsigned char *view;
    umm_process_t *proc;
    size_t npages;
    int tid; /* writes words w with w % 2 == tid */
    int rounds;
    int rc;          /* first error of a umm call */
    size_t bad;      /* words found wrong */
    size_t bad_page; /* first wrong page */
} thr_arg_t;

static const size_t thr_words[] = {0, 1, 62, 63, 256, 257, 510, 511};
#define THR_NWORDS (sizeof thr_words / sizeof thr_words[0])

static void *thr_main(void *p) {
    thr_arg_t *a = p;
    for (int r = 1; r <= a->rounds; r++) {
        for (size_t i = 0; i < a->npages; i++) {
            volatile uint64_t *w = (volatile uint64_t *)at(a->view, i);
            for (size_t k = 0; k < THR_NWORDS; k++)
                if (thr_words[k] % 2 == (size_t)a->tid)
                    w[thr_words[k]] = kv(i, thr_words[k], (uint64_t)r);
            if (i % 64 == 63) {
                int rc = umm_ws_trim(a->proc, 32);
                if (rc != UMM_OK && !a->rc)
                    a->rc = rc;
            }
        }
        int rc = (r % 2) ? umm_ws_trim(a->proc, a->npages / 2) : umm_ws_empty(a->proc);
        if (rc != UMM_OK && !a->rc)
            a->rc = rc;
        for (size_t j = 0; j < a->npages; j++) {
            size_t i = (j * 7919) % a->npages; /* npages is not a multiple of 7919 */
            const volatile uint64_t *w = (const volatile uint64_t *)at(a->view, i);
            for (size_t k = 0; k < THR_NWORDS; k++)
                if (thr_words[k] % 2 == (size_t)a->tid && w[thr_words[k]] != kv(i, thr_words[k], (uint64_t)r)) {
                    if (!a->bad)
                        a->bad_page = i;
                    a->bad++;
                }
        }
    }
    return NULL;
}

static void threads_case(int two_processes) {
    umm_system_t *sys;
    umm_process_t *p1;
    umm_config_t c = pu_config(4 * MIB, 32 * MIB, 0, 0); /* workers on */
    c.balance_interval_ms = 20;
    c.cluster_pages = 8;
    tu_sys_new_cfg(&c, &sys, &p1);
    umm_process_t *p2 = two_processes ? proc_new(sys) : p1;
    umm_stats_t b = tu_stats(sys);
    const size_t n = 1536; /* 6 MiB: more than the RAM */
    unsigned char *v1, *v2;
    umm_section_t *sec = sec_two_views(sys, n, p1, &v1, p2, &v2);
    thr_arg_t args[2] = {
        {.view = v1, .proc = p1, .npages = n, .tid = 0, .rounds = 3},
        {.view = v2, .proc = p2, .npages = n, .tid = 1, .rounds = 3},
    };
    pthread_t th[2];
    for (int t = 0; t < 2; t++)
        assert_int_equal(pthread_create(&th[t], NULL, thr_main, &args[t]), 0);
    for (int t = 0; t < 2; t++)
        assert_int_equal(pthread_join(th[t], NULL), 0);
    for (int t = 0; t < 2; t++) {
        assert_int_equal(args[t].rc, UMM_OK);
        if (args[t].bad)
            fail_msg("thread %d: %zu words wrong, first in page %zu", t, args[t].bad,
                     args[t].bad_page);
    }
    /* every word of both threads, through both views */
    for (int v = 0; v < 2; v++) {
        unsigned char *view = v ? v2 : v1;
        for (size_t i = 0; i < n; i++) {
            const volatile uint64_t *w = (const volatile uint64_t *)at(view, i);
            for (size_t k = 0; k < THR_NWORDS; k++)
                if (w[thr_words[k]] != kv(i, thr_words[k], 3))
                    fail_msg("view %d page %zu word %zu wrong", v, i, thr_words[k]);
        }
    }
    umm_stats_t s = tu_stats(sys); /* (pages_trimmed for views: test_counters) */
    assert_true(s.faults_transition + s.faults_hard > 0);
    assert_true(s.pages_output > 0);
    check_quiet(sys);

    close_and_release(sec, p1, v1, p2, v2);
    assert_all_given_back(sys, &b);
    check_quiet(sys);
    umm_system_destroy(sys);
}

static void test_threads_one_process(void **state) {
    (void)state;
    threads_case(0);
}

static void test_threads_two_processes(void **state) {
    (void)state;
    threads_case(1);
}

/* Names and SEC_RESERVE under races: 4 threads, each its own process, create-or-open one named
 * reserved section, commit a page of it through their view, write their mark, close and release,
 * over and over; the handle count and the charge stay consistent (umm_check) and every section
 * goes with its last handle and view. */
#define NAMED_THREADS 4
#define NAMED_ROUNDS 200

typedef struct {
    umm_system_t *sys;
    umm_process_t *proc;
    int id;
    volatile int failed;
} named_arg_t;

/* A failed step, reported from the thread (cmocka's asserts belong to the main thread). */
#define NAMED_CHECK(a, cond, what)                                                              \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "thread %d round %d: %s\n", (a)->id, r, (what));                    \
            (a)->failed = 1;                                                                    \
            return NULL;                                                                        \
        }                                                                                       \
    } while (0)

static void *named_main(void *p) {
    named_arg_t *a = p;
    for (int r = 0; r < NAMED_ROUNDS; r++) {
        umm_section_t *sec = NULL;
        int rc = umm_section_create_ex(a->sys, 8 * PG, RW, UMM_SEC_RESERVE, "race", &sec);
        if (rc == UMM_E_EXISTS)
            rc = umm_section_open(a->sys, "race", &sec);
        if (rc == UMM_E_NOT_FOUND) /* its last handle went in between */
            continue;
        NAMED_CHECK(a, rc == UMM_OK, umm_error_name(rc));
        unsigned char *v = NULL;
        rc = umm_section_map(a->proc, sec, RW, (void **)&v);
        NAMED_CHECK(a, rc == UMM_OK, umm_error_name(rc));
        rc = umm_commit(a->proc, v + (size_t)a->id * PG, PG, RW);
        NAMED_CHECK(a, rc == UMM_OK, umm_error_name(rc));
        v[(size_t)a->id * PG + (size_t)r % PG] = (unsigned char)(a->id + 1);
        NAMED_CHECK(a, v[(size_t)a->id * PG + (size_t)r % PG] == a->id + 1, "the byte written");
        rc = umm_section_close(sec);
        NAMED_CHECK(a, rc == UMM_OK, umm_error_name(rc));
        rc = umm_release(a->proc, v);
        NAMED_CHECK(a, rc == UMM_OK, umm_error_name(rc));
    }
    return NULL;
}

static void test_threads_named_reserve(void **state) {
    (void)state;
    umm_system_t *sys;
    (void)sys_nw(&sys, 8 * MIB, 0, 1);
    umm_stats_t b = tu_stats(sys);
    pthread_t th[NAMED_THREADS];
    named_arg_t args[NAMED_THREADS];
    for (int t = 0; t < NAMED_THREADS; t++) {
        args[t] = (named_arg_t){sys, proc_new(sys), t, 0};
        assert_int_equal(pthread_create(&th[t], NULL, named_main, &args[t]), 0);
    }
    for (int t = 0; t < NAMED_THREADS; t++) {
        assert_int_equal(pthread_join(th[t], NULL), 0);
        assert_false(args[t].failed);
    }
    umm_section_t *left = NULL;
    assert_int_equal(umm_section_open(sys, "race", &left), UMM_E_NOT_FOUND);
    assert_baseline(sys, &b);
    umm_system_destroy(sys);
}

int main(int argc, char **argv) {
    if (argc > 1) /* run only the tests matching a pattern: ./test_threads_sections 'test_*' */
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_one_process),
        cmocka_unit_test(test_threads_two_processes),
        cmocka_unit_test(test_threads_named_reserve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
