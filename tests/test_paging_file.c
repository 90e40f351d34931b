/* SPDX-License-Identifier: MIT */
/* test_paging_file.c - the paging file as a real file: a named file (created, grown, locked
 * against a second system, a stale one reused, removed at the end), O_DIRECT, and destroying a
 * system while the writer runs. Helpers: paging_util.h. Systems are created inside each test body
 * (cmocka swaps the SIGSEGV handler). */
#include "paging_util.h"

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/mman.h>

#define PG PU_PG
#define MIB TU_MIB

/* ============================================================================================
 * the paging file as a file
 * ========================================================================================== */

static void page_out_and_back(umm_system_t *sys, umm_process_t *proc, size_t npages, uint64_t gen) {
    char *r = tu_alloc(proc, npages * PG);
    pu_fill_range(r, npages, gen);
    pu_page_out(sys, proc);
    umm_stats_t b = tu_stats(sys);
    pu_verify_range_order(r, npages, NULL, gen, gen);
    umm_stats_t a = tu_stats(sys);
    assert_true(a.faults_hard > b.faults_hard);
    assert_true(a.pages_input - b.pages_input >= npages / 2);
    tu_assert_consistent(sys);
    assert_int_equal(umm_release(proc, r), UMM_OK);
}

static void test_pagefile_named(void **state) {
    (void)state;
    pu_tmpdir_t t;
    pu_tmpdir_new(&t);
    umm_system_t *sys, *sys2 = NULL;
    umm_process_t *proc;
    umm_config_t c = pu_config(4 * MIB, 8 * MIB, 16 * MIB, UMM_CFG_NO_WORKERS);
    c.pagefile_path = t.file;
    tu_sys_new_cfg(&c, &sys, &proc);
    off_t size = 0;
    assert_true(pu_file_exists(t.file, &size));
    umm_stats_t s = tu_stats(sys);
    assert_int_equal((uint64_t)size, s.pagefile_slots * PG);
    assert_int_equal((uint64_t)size, 8 * MIB);

    /* a second system on the same path: busy; the first one's file is untouched */
    assert_int_equal(umm_system_create(&c, &sys2), UMM_E_BUSY);
    assert_true(pu_file_exists(t.file, &size));
    assert_int_equal((uint64_t)size, 8 * MIB);
    page_out_and_back(sys, proc, 2048, 71);
    assert_true(tu_stats(sys).pages_output >= 2048);

    /* growth is visible in the file */
    char *r = tu_reserve(proc, 32 * MIB, TU_RW);
    s = tu_stats(sys);
    size_t want = (size_t)(s.commit_limit * 95 / 100);
    assert_int_equal(umm_commit(proc, r, want * PG, TU_RW), UMM_OK);
    s = tu_stats(sys);
    assert_true(s.pagefile_grows >= 1);
    assert_true(pu_file_exists(t.file, &size));
    assert_int_equal((uint64_t)size, s.pagefile_slots * PG);
    assert_int_equal(umm_release(proc, r), UMM_OK);
    umm_system_destroy(sys);
    assert_false(pu_file_exists(t.file, NULL));

    /* a stale file with junk at the path: truncated and reused */
    int fd = open(t.file, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    assert_true(fd >= 0);
    char junk[4096];
    memset(junk, 0xCC, sizeof junk);
    for (int i = 0; i < 768; i++) /* 3 MiB */
        assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
    close(fd);
    tu_sys_new_cfg(&c, &sys, &proc);
    assert_true(pu_file_exists(t.file, &size));
    assert_int_equal((uint64_t)size, 8 * MIB);
    fd = open(t.file, O_RDONLY);
    assert_true(fd >= 0);
    char head[4096];
    assert_int_equal(pread(fd, head, sizeof head, 0), (ssize_t)sizeof head);
    close(fd);
    assert_true(tu_is_zero(head, sizeof head)); /* the junk is gone */
    page_out_and_back(sys, proc, 2048, 72);
    umm_system_destroy(sys);
    assert_false(pu_file_exists(t.file, NULL));

    /* after destroy the path is free again */
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_system_destroy(sys);
    assert_false(pu_file_exists(t.file, NULL));
    pu_tmpdir_free(&t);
}

/* UMM_CFG_PAGEFILE_DIRECT: works or falls back silently; data survives paging. */
static void test_pagefile_direct(void **state) {
    (void)state;
    pu_tmpdir_t t;
    pu_tmpdir_new(&t);
    for (int named = 0; named < 2; named++) {
        umm_system_t *sys;
        umm_process_t *proc;
        umm_config_t c = pu_config(4 * MIB, 16 * MIB, 0, UMM_CFG_NO_WORKERS | UMM_CFG_PAGEFILE_DIRECT);
        c.pagefile_path = named ? t.file : NULL;
        tu_sys_new_cfg(&c, &sys, &proc);
        if (named)
            assert_true(pu_file_exists(t.file, NULL));
        page_out_and_back(sys, proc, 3072, 80 + (uint64_t)named);
        /* and under pressure, by faults alone */
        char *r = tu_alloc(proc, 3072 * PG);
        pu_fill_range(r, 3072, 90);
        pu_verify_range_order(r, 3072, NULL, 90, 91);
        tu_assert_consistent(sys);
        umm_system_destroy(sys);
        assert_false(pu_file_exists(t.file, NULL));
    }
    pu_tmpdir_free(&t);
}

/* Does the directory's filesystem take O_DIRECT? (tmpfs does not.) */
static bool dir_takes_o_direct(const char *dir) {
    char probe[PATH_MAX];
    snprintf(probe, sizeof probe, "%s/probe", dir);
    int fd = open(probe, O_CREAT | O_RDWR | O_DIRECT, 0600);
    bool ok = fd >= 0;
    if (fd >= 0)
        close(fd);
    unlink(probe);
    return ok;
}

/* Pages of the file at `path` that the kernel's page cache holds now (mincore). */
static size_t cached_pages_of(const char *path) {
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    size_t n = ((size_t)st.st_size + PG - 1) / PG, cached = 0;
    void *m = mmap(NULL, n * PG, PROT_READ, MAP_SHARED, fd, 0);
    assert_true(m != MAP_FAILED);
    unsigned char *vec = calloc(n, 1);
    assert_non_null(vec);
    assert_int_equal(mincore(m, n * PG, vec), 0);
    for (size_t i = 0; i < n; i++)
        cached += vec[i] & 1;
    free(vec);
    munmap(m, n * PG);
    close(fd);
    return cached;
}

/* The default paging file bypasses the page cache where the filesystem allows (O_DIRECT): after
 * 3072 pages went out and came back, the kernel caches none of the file's pages, and the stats say
 * so. UMM_CFG_PAGEFILE_BUFFERED, the opt-out, leaves them in the page cache (which shows the
 * check can fail) and counts them. Where O_DIRECT is refused (tmpfs) the fallback is reported. */
static bool posix_backend(void) {
#if defined(UMM_OS_POSIX) && UMM_OS_POSIX
    return true;
#else
    return false;
#endif
}

static void test_pagefile_bypasses_page_cache(void **state) {
    (void)state;
    pu_tmpdir_t t;
    pu_tmpdir_new(&t);
    /* the POSIX backend has no O_DIRECT: it reports and counts the page cache instead */
    bool can_direct = !posix_backend() && dir_takes_o_direct(t.dir);
    for (int buffered = 0; buffered < 2; buffered++) {
        umm_system_t *sys;
        umm_process_t *proc;
        umm_config_t c = pu_config(4 * MIB, 16 * MIB, 0,
                                   UMM_CFG_NO_WORKERS | (buffered ? UMM_CFG_PAGEFILE_BUFFERED : 0));
        c.pagefile_path = t.file;
        tu_sys_new_cfg(&c, &sys, &proc);
        page_out_and_back(sys, proc, 3072, 120 + (uint64_t)buffered);
        umm_stats_t s = tu_stats(sys);
        size_t cached = cached_pages_of(t.file);
        if (!buffered && can_direct) {
            assert_int_equal(s.pagefile_direct, 1);
            assert_int_equal(s.pages_through_cache, 0);
            assert_int_equal(cached, 0);
        } else {
            assert_int_equal(s.pagefile_direct, 0);
            assert_int_equal(s.pages_through_cache, s.pages_output + s.pages_input);
            assert_true(s.pages_through_cache >= 3072);
            if (buffered)
                assert_true(cached > 0); /* written moments ago: the kernel still caches it */
        }
        umm_system_destroy(sys);
    }
    /* asking for both is a contradiction */
    umm_config_t c = pu_config(4 * MIB, 16 * MIB, 0, UMM_CFG_PAGEFILE_DIRECT | UMM_CFG_PAGEFILE_BUFFERED);
    umm_system_t *sys = NULL;
    assert_int_equal(umm_system_create(&c, &sys), UMM_E_INVAL);
    pu_tmpdir_free(&t);
}

/* Destroy a system with workers on while lots of pages are modified: no crash, no leak, the
 * named paging file is removed. */
static void test_destroy_while_writing(void **state) {
    (void)state;
    pu_tmpdir_t t;
    pu_tmpdir_new(&t);
    for (int round = 0; round < 4; round++) {
        umm_system_t *sys;
        umm_process_t *proc;
        umm_config_t c = pu_config(4 * MIB, 32 * MIB, 0, 0);
        c.pagefile_path = t.file;
        c.balance_interval_ms = 10;
        tu_sys_new_cfg(&c, &sys, &proc);
        char *r = tu_alloc(proc, 3072 * PG);
        for (size_t i = 0; i < 3072; i++)
            pu_mark_page(pu_at(r, i), PG, 100 + (uint64_t)round);
        if (round & 1)
            assert_int_equal(umm_ws_empty(proc), UMM_OK);
        if (round >= 2)
            pu_sleep_ms(5);
        umm_system_destroy(sys);
        assert_false(pu_file_exists(t.file, NULL));
    }
    pu_tmpdir_free(&t);
}

int main(int argc, char **argv) {
    if (argc > 1) /* run only the tests matching a pattern: ./test_paging_file 'test_pagefile*' */
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pagefile_named),
        cmocka_unit_test(test_pagefile_direct),
        cmocka_unit_test(test_pagefile_bypasses_page_cache),
        cmocka_unit_test(test_destroy_while_writing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
