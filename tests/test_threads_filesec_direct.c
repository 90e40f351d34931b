/* SPDX-License-Identifier: MIT */
/* test_threads_filesec_direct.c - file-backed sections' O_DIRECT read-ahead threads (mm/filerd.h)
 * against the program's own threads and the section's end:
 *
 *   - a view released and its section closed, a system destroyed with its view still mapped,
 *     and a section closed before its view, each while read-ahead pieces are queued or in
 *     flight (after 1..12 windows of a sequential scan): nothing leaks or is read into freed
 *     frames (umm_check), and a new view reads the file;
 *   - two threads scanning the two halves of one view sequentially while a third reads random
 *     pages: every byte equals the file (read with plain pread).
 * Under TSan (label `threaded`) the queue, the stream state and the counters are checked for
 * races. Where the file system refuses O_DIRECT (tmpfs) the tests are skipped. */
#include "section_util.h"

#include <pthread.h>
#include <stdbool.h>

static size_t pages_of(const test_file_t *f) { return (f->bytes + PG - 1) / PG; }

/* Page i of view v equals the file's reference (zeros past its end). */
static bool page_is_ref(const unsigned char *v, const test_file_t *f, size_t i) {
    for (size_t b = 0; b < PG; b++) {
        size_t off = i * PG + b;
        unsigned char want = off < f->bytes ? f->ref[off] : 0;
        if (v[off] != want)
            return false;
    }
    return true;
}

static umm_process_t *big_system(umm_system_t **sys) {
    umm_process_t *p;
    umm_config_t c = cfg_nw(40 * MIB, 8 * MIB, 16);
    tu_sys_new_cfg(&c, sys, &p);
    return p;
}

/* How the scan ends: the view released then the section closed; the system destroyed with
 * both still open; the section closed first, then its view released. */
enum ending { RELEASE_VIEW, DESTROY_SYSTEM, CLOSE_SECTION_FIRST };

static void scan_then_end(size_t windows, enum ending how, bool *refused) {
    test_file_t f;
    umm_system_t *sys;
    umm_process_t *p = big_system(&sys);
    file_new(&f, 16 * MIB + 12, 31 + windows, O_RDWR);
    umm_section_t *sec = fsec_new(sys, f.fd, 0, UMM_PROT_READ);
    unsigned char *v = view_new(p, sec, UMM_PROT_READ);
    *refused = tu_stats(sys).file_direct_refused > 0;
    for (size_t i = 0; i < windows * 16; i++)
        assert_true(page_is_ref(v, &f, i));
    if (how == RELEASE_VIEW) {
        assert_int_equal(umm_release(p, v), UMM_OK);
        assert_int_equal(umm_section_close(sec), UMM_OK);
        sc_consistent(sys);
        /* the file reads back whole through a new section */
        sec = fsec_new(sys, f.fd, 0, UMM_PROT_READ);
        v = view_new(p, sec, UMM_PROT_READ);
        for (size_t i = 0; i < pages_of(&f); i += 7)
            assert_true(page_is_ref(v, &f, i));
        sc_consistent(sys);
    } else if (how == CLOSE_SECTION_FIRST) {
        assert_int_equal(umm_section_close(sec), UMM_OK);
        for (size_t i = windows * 16; i < pages_of(&f); i += 5) /* the view keeps it alive */
            assert_true(page_is_ref(v, &f, i));
        assert_int_equal(umm_release(p, v), UMM_OK);
        sc_consistent(sys);
    }
    umm_system_destroy(sys);
    file_free(&f);
}

static void test_end_while_reads_in_flight(void **state) {
    (void)state;
    bool refused = false;
    for (size_t w = 1; w <= 12 && !refused; w++)
        for (int how = RELEASE_VIEW; how <= CLOSE_SECTION_FIRST; how++)
            scan_then_end(w, (enum ending)how, &refused);
    if (refused)
        skip();
}

typedef struct scanner {
    const unsigned char *v;
    const test_file_t *f;
    size_t lo, hi;   /* sequential over [lo, hi), or random in it when random */
    bool random;
    size_t bad;      /* pages that differed from the file */
} scanner_t;

static void *scan(void *arg) {
    scanner_t *s = arg;
    uint64_t x = 0x9e3779b97f4a7c15ull ^ s->lo;
    for (size_t n = 0; n < s->hi - s->lo; n++) {
        size_t i = s->lo + n;
        if (s->random) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            i = s->lo + (size_t)(x % (s->hi - s->lo));
        }
        s->bad += !page_is_ref(s->v, s->f, i);
    }
    return NULL;
}

static void test_concurrent_scans_equal_file(void **state) {
    (void)state;
    test_file_t f;
    umm_system_t *sys;
    umm_process_t *p = big_system(&sys);
    file_new(&f, 24 * MIB + 4000, 41, O_RDWR);
    umm_section_t *sec = fsec_new(sys, f.fd, 0, UMM_PROT_READ);
    unsigned char *v = view_new(p, sec, UMM_PROT_READ);
    bool refused = tu_stats(sys).file_direct_refused > 0;
    if (!refused) /* the threads read ahead of the scans however they are scheduled */
        fsec_stream_read_ahead(sys, v);
    size_t n = pages_of(&f);
    scanner_t s[3] = {{v, &f, 0, n / 2, false, 0}, {v, &f, n / 2, n, false, 0}, {v, &f, 0, n, true, 0}};
    pthread_t th[3];
    for (int k = 0; k < 3; k++)
        assert_int_equal(pthread_create(&th[k], NULL, scan, &s[k]), 0);
    for (int k = 0; k < 3; k++)
        assert_int_equal(pthread_join(th[k], NULL), 0);
    for (int k = 0; k < 3; k++)
        assert_int_equal(s[k].bad, 0);
    umm_stats_t st = tu_stats(sys);
    assert_true(refused || st.file_reads_direct > 0);
    assert_int_equal(st.read_errors, 0);
    assert_int_equal(umm_release(p, v), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    sc_consistent(sys);
    umm_system_destroy(sys);
    file_free(&f);
    if (refused)
        skip();
}

int main(int argc, char **argv) {
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_end_while_reads_in_flight),
        cmocka_unit_test(test_concurrent_scans_equal_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
