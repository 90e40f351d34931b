/* SPDX-License-Identifier: MIT */
/* test_sections_file.c - file-backed sections (umm_section_create_file, umm_view_flush).
 *
 * Covered (data first, always checked against the file read with plain pread, never through
 * umm): views read the file's bytes; writes reach the file after a flush and after the section's
 * end, not before a flush (the writer aside); two processes write at random through their views
 * into a file 8x the RAM, with and without the workers, then flush: the file equals the
 * reference, and so does a new section over it after the first is gone; a file section charges no
 * commit; a partial last page reads zeros past the end of the file and never grows it; read-only
 * sections and views (a write is an access violation, a write view UMM_E_ACCESS); bad input; the
 * file's read and write failure points (umm/file/read, umm/file/write) lose nothing. */
#include "section_util.h"

/* ---- tests ---------------------------------------------------------------------------------- */

/* A view reads the file; writes are in the file after a flush, and only in the flushed range;
 * the section charges no commit; closing writes the rest. */
static void test_read_write_flush(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p = sys_nw(&sys, 4 * MIB, 8 * MIB, 16);
    test_file_t f;
    file_new(&f, 64 * PG, 1, O_RDWR);
    umm_stats_t s0 = tu_stats(sys);
    umm_section_t *sec = fsec_new(sys, f.fd, 0, RW);
    assert_int_equal(tu_stats(sys).committed, s0.committed); /* no charge for a file */
    unsigned char *v = view_new(p, sec, RW);
    assert_view_is_ref(v, &f);
    umm_stats_t s1 = tu_stats(sys);
    assert_true(s1.pages_input - s0.pages_input >= 64); /* read from the file */
    assert_true(s1.page_reads - s0.page_reads < 64);    /* in clusters */
    sc_consistent(sys);

    /* write pages 3 and 40; flush only the first half: page 40 is not in the file yet */
    memset(v + 3 * PG + 100, 0xab, 200);
    memset(v + 40 * PG, 0xcd, PG);
    memset(f.ref + 3 * PG + 100, 0xab, 200);
    assert_int_equal(umm_view_flush(p, v, 32 * PG), UMM_OK);
    assert_file_is_ref(&f); /* page 3 is there, page 40 not yet */
    memset(f.ref + 40 * PG, 0xcd, PG);
    assert_view_is_ref(v, &f); /* the flushed pages come back by soft fault, unchanged */
    sc_consistent(sys);

    /* release and close without a flush: the section's end writes page 40 */
    end_section_file_is_ref(p, v, sec, &f);
    assert_int_equal(tu_stats(sys).committed, s0.committed);
    sc_consistent(sys);
    umm_system_destroy(sys);
    file_free(&f);
}

/* A named file section is found by umm_section_open: its views share the file's frames; the
 * name is unique; it goes with the last handle. */
static void test_named_file_section(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p = sys_nw(&sys, 4 * MIB, 8 * MIB, 16);
    test_file_t f;
    file_new(&f, 16 * PG, 7, O_RDWR);
    umm_section_t *sec = NULL, *again = NULL, *opened = NULL;
    assert_int_equal(umm_section_create_file_ex(sys, f.fd, 0, RW, "data", &sec), UMM_OK);
    assert_int_equal(umm_section_create_file_ex(sys, f.fd, 0, RW, "data", &again), UMM_E_EXISTS);
    assert_null(again);
    assert_int_equal(umm_section_create_file_ex(sys, f.fd, 0, RW, "", &again), UMM_E_INVAL);
    assert_int_equal(umm_section_open(sys, "data", &opened), UMM_OK);
    unsigned char *a = view_new(p, sec, RW), *b = view_new(p, opened, UMM_PROT_READ);
    assert_view_is_ref(b, &f);
    memset(a + 5 * PG, 0x5a, PG); /* one frame behind both views */
    memset(f.ref + 5 * PG, 0x5a, PG);
    assert_view_is_ref(b, &f);
    assert_int_equal(umm_release(p, a), UMM_OK);
    assert_int_equal(umm_release(p, b), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(umm_section_close(opened), UMM_OK);
    assert_int_equal(umm_section_open(sys, "data", &opened), UMM_E_NOT_FOUND);
    assert_file_is_ref(&f); /* the end of the section wrote the page */
    sc_consistent(sys);
    umm_system_destroy(sys);
    file_free(&f);
}

/* Two processes write at random through their views into a file 8x the RAM; after a flush the
 * file equals the reference, and after the section is gone a new one reads it all back. */
static void random_writes_8x(unsigned flags) {
    umm_system_t *sys;
    umm_process_t *p1;
    umm_config_t c = pu_config(4 * MIB, 8 * MIB, 0, flags);
    c.cluster_pages = 16;
    tu_sys_new_cfg(&c, &sys, &p1);
    umm_process_t *p2 = proc_new(sys);
    test_file_t f;
    file_new(&f, 32 * MIB, 7, O_RDWR);
    umm_section_t *sec = fsec_new(sys, f.fd, 0, RW);
    unsigned char *v1 = view_new(p1, sec, RW);
    unsigned char *v2 = view_new(p2, sec, RW);
    pu_rng_t r = {.s = 0x5eed + flags};
    size_t npages = f.bytes / PG;
    for (int n = 0; n < 8000; n++) {
        size_t off = (size_t)(pu_next(&r) % (f.bytes - 16));
        uint64_t val = pu_next(&r);
        unsigned char *v = (pu_next(&r) & 1) ? v1 : v2;
        memcpy(v + off, &val, 8);
        memcpy(f.ref + off, &val, 8);
        if (n % 2000 == 1999) /* the other view sees it */
            assert_memory_equal((v == v1 ? v2 : v1) + off, &val, 8);
    }
    umm_stats_t s = tu_stats(sys);
    assert_true(s.pages_output > 0); /* the writer wrote pages to the file to make room */
    assert_true(s.pages_input > npages / 4);
    assert_int_equal(umm_view_flush(p1, v1, 0), UMM_OK);
    assert_file_is_ref(&f);
    sc_consistent(sys);
    /* the section goes; a new one over the same file reads the reference back */
    assert_int_equal(umm_release(p1, v1), UMM_OK);
    end_section_file_is_ref(p2, v2, sec, &f);
    sec = fsec_new(sys, f.fd, 0, UMM_PROT_READ);
    v2 = view_new(p2, sec, UMM_PROT_READ);
    assert_view_is_ref(v2, &f);
    assert_int_equal(umm_release(p2, v2), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    check_quiet(sys);
    umm_system_destroy(sys);
    file_free(&f);
}

static void test_random_writes_8x_ram(void **state) {
    (void)state;
    random_writes_8x(UMM_CFG_NO_WORKERS);
}

static void test_random_writes_8x_ram_workers(void **state) {
    (void)state;
    random_writes_8x(0);
}

/* A file whose size is not a multiple of the page: past its end the last page reads zeros, and
 * writing the section never grows the file. Also without a paging file. */
static void test_partial_last_page(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p = sys_nw(&sys, 4 * MIB, 0, 16);
    test_file_t f;
    file_new(&f, 2 * PG + 100, 3, O_RDWR);
    umm_section_t *sec = fsec_new(sys, f.fd, 0, RW);
    unsigned char *v = view_new(p, sec, RW);
    assert_view_is_ref(v, &f);
    assert_true(tu_is_zero(v + f.bytes, 3 * PG - f.bytes));
    v[2 * PG + 50] = 0x5a;
    f.ref[2 * PG + 50] = 0x5a;
    v[2 * PG + 500] = 0x77; /* past the end of the file: in memory only */
    assert_int_equal(umm_view_flush(p, v, 0), UMM_OK);
    assert_file_is_ref(&f);
    end_section_file_is_ref(p, v, sec, &f);
    umm_system_destroy(sys);
    file_free(&f);
}

/* Read-only: a section over a file opened for reading maps read-only views only; a write
 * through one is an access violation and changes nothing. Bad input gets clear errors. */
static void test_read_only_and_bad_input(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p = small_system(&sys);
    test_file_t f;
    file_new(&f, 16 * PG, 5, O_RDONLY);
    umm_section_t *sec = NULL;
    assert_int_equal(umm_section_create_file(sys, f.fd, 0, RW, &sec), UMM_E_ACCESS);
    assert_int_equal(umm_section_create_file(sys, f.fd, 32 * PG, UMM_PROT_READ, &sec), UMM_E_RANGE);
    assert_int_equal(umm_section_create_file(sys, -1, 0, UMM_PROT_READ, &sec), UMM_E_HANDLE);
    assert_int_equal(umm_section_create_file(sys, f.fd, 0, UMM_PROT_WRITE, &sec), UMM_E_INVAL);
    assert_int_equal(umm_section_create_file(sys, f.fd, 0, UMM_PROT_READ, NULL), UMM_E_INVAL);
    int dfd = open(f.dir.dir, O_RDONLY);
    assert_int_equal(umm_section_create_file(sys, dfd, 0, UMM_PROT_READ, &sec), UMM_E_HANDLE);
    close(dfd);
    sec = fsec_new(sys, f.fd, 0, UMM_PROT_READ);
    void *w = NULL;
    assert_int_equal(umm_section_map(p, sec, RW, &w), UMM_E_ACCESS);
    unsigned char *v = view_new(p, sec, UMM_PROT_READ);
    assert_view_is_ref(v, &f);
    assert_int_equal(tu_try_write(v + 5 * PG, 1), UMM_EXC_ACCESS_VIOLATION);
    assert_view_is_ref(v, &f);
    assert_int_equal(umm_view_flush(p, v, 0), UMM_OK);
    assert_int_equal(umm_view_flush(p, v + 15 * PG, 2 * PG), UMM_E_RANGE);
    assert_int_equal(umm_view_flush(p, v + 17 * PG, PG), UMM_E_NOT_RESERVED);
    assert_int_equal(umm_view_flush(p, NULL, 0), UMM_E_INVAL);
    void *priv = tu_alloc(p, PG);
    assert_int_equal(umm_view_flush(p, priv, PG), UMM_E_INVAL);
    end_section_file_is_ref(p, v, sec, &f);
    /* an empty file maps nothing */
    int tfd = open(f.path, O_RDWR | O_TRUNC);
    assert_true(tfd >= 0);
    close(tfd);
    assert_int_equal(umm_section_create_file(sys, f.fd, 0, UMM_PROT_READ, &sec), UMM_E_RANGE);
    sc_consistent(sys);
    umm_system_destroy(sys);
    file_free(&f);
}

/* The file's write fails: flush says UMM_E_IO, the file keeps its old bytes, the view its new
 * ones; once the failure is gone a flush writes them. Its read fails: an in-page error on the
 * faulting thread, nothing lost, and the same touch succeeds later. */
static void test_failpoints_lose_nothing(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *p = small_system(&sys);
    test_file_t f;
    file_new(&f, 64 * PG, 9, O_RDWR);
    umm_section_t *sec = fsec_new(sys, f.fd, 0, RW);
    unsigned char *v = view_new(p, sec, RW);
    test_file_t old = f;
    old.ref = malloc(f.bytes);
    memcpy(old.ref, f.ref, f.bytes);
    for (size_t i = 0; i < 64; i += 3) {
        v[i * PG + i] = (unsigned char)(i + 1);
        f.ref[i * PG + i] = (unsigned char)(i + 1);
    }
    assert_int_equal(umm_failpoint_enable("umm/file/write", 1.0, 0), UMM_OK);
    umm_stats_t s0 = tu_stats(sys);
    assert_int_equal(umm_view_flush(p, v, 0), UMM_E_IO);
    assert_true(tu_stats(sys).writer_errors > s0.writer_errors);
    assert_file_is_ref(&old);
    assert_view_is_ref(v, &f);
    sc_consistent(sys);
    umm_failpoint_disable("umm/file/write");
    assert_int_equal(umm_view_flush(p, v, 0), UMM_OK);
    assert_file_is_ref(&f);

    /* now the pages leave RAM, and the file's read fails */
    assert_int_equal(umm_ws_empty(p), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    assert_int_equal(umm_failpoint_enable("umm/file/read", 1.0, 0), UMM_OK);
    unsigned char b = 0;
    assert_int_equal(tu_try_read(v + 9 * PG, &b), UMM_EXC_IN_PAGE_ERROR);
    assert_int_equal(tu_exc.last.error, UMM_E_IO);
    sc_consistent(sys);
    umm_failpoint_disable("umm/file/read");
    assert_view_is_ref(v, &f);
    end_section_file_is_ref(p, v, sec, &f);
    free(old.ref);
    umm_system_destroy(sys);
    file_free(&f);
}

int main(int argc, char **argv) {
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_write_flush),
        cmocka_unit_test(test_named_file_section),
        cmocka_unit_test(test_random_writes_8x_ram),
        cmocka_unit_test(test_random_writes_8x_ram_workers),
        cmocka_unit_test(test_partial_last_page),
        cmocka_unit_test(test_read_only_and_bad_input),
        cmocka_unit_test(test_failpoints_lose_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
