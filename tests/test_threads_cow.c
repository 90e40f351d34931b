/* SPDX-License-Identifier: MIT */
/* test_threads_cow.c - copy-on-write views under concurrency: four threads write their own words
 * of every page of one copy-on-write view at once (so the first writes of a page race for its
 * copy) while the working set is trimmed and emptied and the workers write pages out; then every
 * word of the view is either the thread's or the section's, the section (seen through a write
 * view) never changed, and releasing the view gives back every frame, slot and charge.
 * Threaded: labelled `threaded` and run under TSan. Helpers: section_util.h. */
#include "section_util.h"

#include <pthread.h>

#define NTHREADS 4
#define ROUNDS 2

typedef struct thr_arg {
    unsigned char *view;
    umm_process_t *proc;
    size_t npages;
    int tid;         /* writes words thr_words[k] with k % NTHREADS == tid */
    int rc;          /* first error of a umm call */
    size_t bad;      /* words found wrong */
    size_t bad_page; /* first wrong page */
} thr_arg_t;

static const size_t thr_words[] = {0, 1, 62, 63, 256, 257, 510, 511};
#define THR_NWORDS (sizeof thr_words / sizeof thr_words[0])

static void note_rc(thr_arg_t *a, int rc) {
    if (rc != UMM_OK && !a->rc)
        a->rc = rc;
}

static void *thr_main(void *p) {
    thr_arg_t *a = p;
    for (uint64_t gen = 2; gen < 2 + ROUNDS; gen++) {
        for (size_t i = 0; i < a->npages; i++) {
            volatile uint64_t *w = (volatile uint64_t *)at(a->view, i);
            for (size_t k = a->tid; k < THR_NWORDS; k += NTHREADS)
                w[thr_words[k]] = kv(i, thr_words[k], gen);
            if (i % 64 == 63)
                note_rc(a, umm_ws_trim(a->proc, 32));
        }
        note_rc(a, gen % 2 ? umm_ws_trim(a->proc, a->npages / 2) : umm_ws_empty(a->proc));
        for (size_t i = 0; i < a->npages; i++) {
            const volatile uint64_t *w = (const volatile uint64_t *)at(a->view, i);
            for (size_t k = a->tid; k < THR_NWORDS; k += NTHREADS)
                if (w[thr_words[k]] != kv(i, thr_words[k], gen)) {
                    if (!a->bad)
                        a->bad_page = i;
                    a->bad++;
                }
        }
    }
    return NULL;
}

/* Word w of the view's page i after the threads: theirs where they wrote, else the section's. */
static uint64_t expected(size_t i, size_t w) {
    for (size_t k = 0; k < THR_NWORDS; k++)
        if (thr_words[k] == w)
            return kv(i, w, 1 + ROUNDS);
    return kv(i, w, 1);
}

static void test_four_threads_write_one_view(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p;
    umm_config_t c = pu_config(4 * MIB, 32 * MIB, 0, 0); /* workers on */
    c.balance_interval_ms = 20;
    c.cluster_pages = 8;
    tu_sys_new_cfg(&c, &sys, &p);
    umm_stats_t base = tu_stats(sys);
    const size_t n = 1280; /* 5 MiB: more than the RAM */
    umm_section_t *sec = sec_new(sys, n * PG);
    unsigned char *a = view_new(p, sec, RW);
    fill_all(a, n, 1);
    uint64_t before = tu_stats(sys).committed;
    unsigned char *b = view_new(p, sec, UMM_PROT_WRITECOPY);
    thr_arg_t args[NTHREADS];
    pthread_t th[NTHREADS];
    for (int t = 0; t < NTHREADS; t++) {
        args[t] = (thr_arg_t){.view = b, .proc = p, .npages = n, .tid = t};
        assert_int_equal(pthread_create(&th[t], NULL, thr_main, &args[t]), 0);
    }
    for (int t = 0; t < NTHREADS; t++) {
        assert_int_equal(pthread_join(th[t], NULL), 0);
        assert_int_equal(args[t].rc, UMM_OK);
        if (args[t].bad)
            fail_msg("thread %d: %zu words wrong, first on page %zu", t, args[t].bad, args[t].bad_page);
    }
    assert_int_equal(tu_pstats(p).faults_copy_on_write, n); /* one copy per page, not per thread */
    for (size_t i = 0; i < n; i++) {
        const volatile uint64_t *w = (const volatile uint64_t *)at(b, i);
        for (size_t x = 0; x < PG / 8; x++)
            if (w[x] != expected(i, x))
                fail_msg("view page %zu word %zu: %016" PRIx64 ", want %016" PRIx64, i, x, w[x],
                         expected(i, x));
    }
    verify_all(a, n, 1); /* the section never saw a copy's write */
    check_quiet(sys);
    assert_int_equal(umm_release(p, b), UMM_OK);
    assert_int_equal(tu_stats(sys).committed, before);
    verify_all(a, n, 1);
    assert_int_equal(umm_release(p, a), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    check_quiet(sys);
    assert_int_equal(tu_stats(sys).committed, base.committed);
    assert_int_equal(tu_stats(sys).pagefile_used, base.pagefile_used);
    umm_system_destroy(sys);
}

int main(int argc, char **argv) {
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_four_threads_write_one_view),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
