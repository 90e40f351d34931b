/* test_paging.c - paging: the commit limit and paging-file growth, data integrity while the working
 * set is several times RAM, hard faults and read clustering, the modified page writer, write and
 * read errors injected with failure points, the balance-set manager (on demand and with workers), working-set
 * limits, standby priorities and purging, memory resource notifications, the zero page thread, the
 * paging file as a real file (named, busy, stale, O_DIRECT), and destroying a system while the
 * writer runs. Systems are created inside each test body (cmocka swaps the SIGSEGV handler). */
#include "paging_util.h"

#include <fcntl.h>
#include <poll.h>

#define PG PU_PG
#define MIB TU_MIB

static unsigned char *pg_at(void *base, size_t i) { return (unsigned char *)base + i * PG; }

static int fd_readable(int fd) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, 0);
    assert_true(r >= 0);
    return r > 0 && (p.revents & POLLIN);
}

static void fill_range(void *base, size_t npages, uint64_t gen) {
    for (size_t i = 0; i < npages; i++)
        tu_fill(pg_at(base, i), PG, gen);
}

static void verify_range_order(void *base, size_t npages, const uint64_t *gens, uint64_t gen,
                               uint64_t seed) {
    size_t *ord = pu_order(npages, seed);
    for (size_t k = 0; k < npages; k++) {
        size_t i = ord[k];
        tu_assert_pattern(pg_at(base, i), PG, gens ? gens[i] : gen);
    }
    free(ord);
}

/* ============================================================================================
 * commit limit and paging-file growth
 * ========================================================================================== */

/* Without a paging file the commit limit is the RAM; one page more fails and changes nothing;
 * umm_flush_modified is not supported. */
static void test_commit_limit_no_pagefile(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(4 * MIB, 0, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.commit_limit, s.total_frames);
    assert_int_equal(s.total_frames, 1024);
    assert_int_equal(s.pagefile_slots, 0);
    char *r = tu_reserve(proc, 8 * MIB, TU_RW);
    assert_int_equal(umm_commit(proc, r, 1024 * PG, TU_RW), UMM_OK);
    assert_int_equal(umm_commit(proc, r + 1024 * PG, PG, TU_RW), UMM_E_COMMIT_LIMIT);
    s = tu_stats(sys);
    assert_int_equal(s.committed, 1024);
    umm_region_info_t q;
    assert_int_equal(umm_query(proc, r + 1024 * PG, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_RESERVED);
    assert_int_equal(umm_flush_modified(sys), UMM_E_NOT_SUPPORTED);
    assert_int_equal(umm_flush_modified(NULL), UMM_E_INVAL);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* Limit = frames + slots - slack (4*cluster+64, at most frames/4); past 90 % the file grows; at
 * the maximum a commit beyond the limit fails and changes nothing; releasing everything returns
 * committed and pagefile_used to 0. */
static void test_commit_limit_pagefile_growth(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(4 * MIB, 4 * MIB, 16 * MIB, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_stats_t s = tu_stats(sys);
    const uint64_t slack = 4 * 16 + 64; /* 128 < 1024/4 */
    assert_int_equal(s.total_frames, 1024);
    assert_int_equal(s.pagefile_slots, 1024);
    assert_int_equal(s.pagefile_max_slots, 4096);
    assert_int_equal(s.commit_limit, 1024 + 1024 - slack);
    assert_int_equal(s.pagefile_grows, 0);

    char *r = tu_reserve(proc, 32 * MIB, TU_RW);
    /* 1700 of 1920: under 90 %, no growth */
    assert_int_equal(umm_commit(proc, r, 1700 * PG, TU_RW), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(s.pagefile_grows, 0);
    assert_int_equal(s.pagefile_slots, 1024);
    assert_int_equal(s.commit_limit, 1920);
    /* 1800 passes 90 % of 1920 (1728): the file grows and the commit succeeds */
    assert_int_equal(umm_commit(proc, r + 1700 * PG, 100 * PG, TU_RW), UMM_OK);
    umm_stats_t g = tu_stats(sys);
    assert_int_equal(g.committed, 1800);
    assert_int_equal(g.pagefile_grows, 1);
    assert_true(g.pagefile_slots > 1024);
    assert_true(g.pagefile_slots <= g.pagefile_max_slots);
    assert_int_equal(g.commit_limit, g.total_frames + g.pagefile_slots - slack);
    assert_true(g.committed * 10 <= g.commit_limit * 9);
    tu_assert_consistent(sys);

    /* up to the largest possible limit: 1024 + 4096 - 128 = 4992 */
    const uint64_t maxlim = 1024 + 4096 - slack;
    assert_int_equal(umm_commit(proc, r + 1800 * PG, (maxlim - 1800) * PG, TU_RW), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(s.pagefile_slots, 4096);
    assert_int_equal(s.commit_limit, maxlim);
    assert_int_equal(s.committed, maxlim);
    assert_true(s.pagefile_grows >= 2);
    /* at the maximum: one more page fails, nothing changes */
    assert_int_equal(umm_commit(proc, r + maxlim * PG, PG, TU_RW), UMM_E_COMMIT_LIMIT);
    assert_int_equal(umm_commit(proc, r + maxlim * PG, 64 * PG, TU_RW), UMM_E_COMMIT_LIMIT);
    umm_stats_t f = tu_stats(sys);
    assert_int_equal(f.committed, s.committed);
    assert_int_equal(f.commit_limit, s.commit_limit);
    assert_int_equal(f.pagefile_slots, s.pagefile_slots);
    assert_int_equal(f.pagefile_grows, s.pagefile_grows);
    umm_region_info_t q;
    assert_int_equal(umm_query(proc, r + maxlim * PG, &q), UMM_OK);
    assert_int_equal(q.state, UMM_REGION_RESERVED);
    /* recommitting committed pages charges nothing and still works at the limit */
    assert_int_equal(umm_commit(proc, r, 16 * PG, TU_RW), UMM_OK);

    /* use the paging file: write 3x RAM */
    for (size_t i = 0; i < 3072; i++)
        pu_mark_page(pg_at(r, i), PG, 5);
    s = tu_stats(sys);
    assert_true(s.pagefile_used > 0);
    assert_true(s.pages_output > 0);
    for (size_t i = 0; i < 3072; i++)
        pu_assert_page(pg_at(r, i), PG, 5);
    tu_assert_consistent(sys);

    assert_int_equal(umm_release(proc, r), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(s.committed, 0);
    assert_int_equal(s.pagefile_used, 0);
    assert_int_equal(s.working_set, 0);
    assert_int_equal(s.modified, 0);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);

    /* the slack is capped at a quarter of the frames: 64 frames, cluster 16 -> slack 16 */
    c = pu_config(256 * TU_KIB, 1 * MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, NULL);
    s = tu_stats(sys);
    assert_int_equal(s.total_frames, 64);
    assert_int_equal(s.commit_limit, 64 + 256 - 16);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * data integrity under paging
 * ========================================================================================== */

/* A working set 6x RAM, full pages keyed by address: written, read back in random order with
 * several seeds, across umm_ws_empty, umm_flush_modified, umm_standby_purge and umm_ws_trim;
 * every word right, umm_check after every phase, paging counters move, reads are clustered. */
static void test_integrity_6x_ram(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(4 * MIB, 32 * MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    const size_t n = 6 * 1024;
    char *r = tu_alloc(proc, n * PG);
    uint64_t *gens = malloc(n * sizeof *gens);
    assert_non_null(gens);
    for (size_t i = 0; i < n; i++)
        gens[i] = 1;

    fill_range(r, n, 1);
    umm_stats_t s = tu_stats(sys);
    assert_true(s.pages_output > 0);
    assert_true(s.pagefile_used > 0);
    assert_true(tu_pstats(proc).working_set <= s.total_frames);
    tu_assert_consistent(sys);

    /* seed 1: random read-back (hard faults, since most pages lost their frames) */
    verify_range_order(r, n, gens, 0, 0x1234);
    s = tu_stats(sys);
    assert_true(s.faults_hard > 0);
    assert_true(s.pages_input > 0);
    assert_true(s.page_reads > 0);
    assert_true(s.page_reads <= s.pages_input);
    tu_assert_consistent(sys);

    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(tu_pstats(proc).working_set, 0);
    tu_assert_consistent(sys);

    /* seed 2: read back, then rewrite a random half with generation 2 */
    verify_range_order(r, n, gens, 0, 0xBEEF);
    size_t *ord = pu_order(n, 0xFACE);
    for (size_t k = 0; k < n / 2; k++) {
        gens[ord[k]] = 2;
        tu_fill(pg_at(r, ord[k]), PG, 2);
    }
    free(ord);
    tu_assert_consistent(sys);
    umm_stats_t b = tu_stats(sys);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    umm_stats_t a = tu_stats(sys);
    assert_int_equal(a.modified, 0);
    assert_int_equal(a.pages_output - b.pages_output, b.modified);
    assert_int_equal(a.standby - b.standby, b.modified);
    tu_assert_consistent(sys);
    uint64_t purged = 0;
    assert_int_equal(umm_standby_purge(sys, 7, &purged), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(purged, a.standby);
    assert_int_equal(s.standby, 0);
    tu_assert_consistent(sys);

    /* seed 3: read back after the purge: everything that was not valid comes by hard fault */
    uint64_t hard0 = s.faults_hard;
    verify_range_order(r, n, gens, 0, 0x5EED3);
    s = tu_stats(sys);
    assert_true(s.faults_hard > hard0);
    tu_assert_consistent(sys);
    assert_int_equal(umm_ws_trim(proc, 500), UMM_OK);
    tu_assert_consistent(sys);
    verify_range_order(r, n, gens, 0, 0x77);
    tu_assert_consistent(sys);

    /* sequential read-back after empty + flush + purge: clustered reads */
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    tu_assert_consistent(sys);
    b = tu_stats(sys);
    verify_range_order(r, n, gens, 0, 0);
    a = tu_stats(sys);
    uint64_t in = a.pages_input - b.pages_input, reads = a.page_reads - b.page_reads;
    assert_true(reads > 0);
    assert_true(in >= n - 1024); /* at most RAM's worth can have stayed in memory */
    if (in <= reads)
        fail_msg("no read clustering: %" PRIu64 " pages in %" PRIu64 " reads", in, reads);
    assert_true(a.page_reads <= a.pages_input);
    print_message("      sequential: %" PRIu64 " pages in %" PRIu64 " reads (%.1f/read)\n", in,
                  reads, (double)in / (double)reads);
    tu_assert_consistent(sys);

    assert_int_equal(umm_release(proc, r), UMM_OK);
    s = tu_stats(sys);
    assert_int_equal(s.pagefile_used, 0);
    assert_int_equal(s.committed, 0);
    tu_assert_consistent(sys);
    free(gens);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * hard faults, read clustering, the modified page writer
 * ========================================================================================== */

/* After flush + purge, a read is a hard fault on this thread: data exact, the whole 16-page
 * cluster is read in one operation, the neighbours land on Standby and touching them is soft. */
static void test_hard_fault_read_cluster(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(4 * MIB, 8 * MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    char *r = tu_alloc(proc, 64 * PG);
    fill_range(r, 64, 9);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    umm_stats_t s0 = tu_stats(sys);
    assert_int_equal(s0.modified, 64);

    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    umm_stats_t s1 = tu_stats(sys);
    assert_int_equal(s1.modified, 0);
    assert_int_equal(s1.pages_output - s0.pages_output, 64);
    assert_int_equal(s1.standby - s0.standby, 64);
    assert_true(s1.page_writes - s0.page_writes >= 4);  /* clusters of at most 16 */
    assert_true(s1.page_writes - s0.page_writes <= 64);
    assert_int_equal(s1.pagefile_used, 64);
    tu_assert_consistent(sys);

    uint64_t purged = 0;
    assert_int_equal(umm_standby_purge(sys, 7, &purged), UMM_OK);
    assert_int_equal(purged, 64);
    umm_stats_t s2 = tu_stats(sys);
    assert_int_equal(s2.standby, 0);
    assert_int_equal(s2.pagefile_used, 64); /* the copies stay */
    tu_assert_consistent(sys);

    /* page 5: hard fault, reads pages 0..15 in one operation */
    tu_assert_pattern(pg_at(r, 5), PG, 9);
    umm_stats_t s3 = tu_stats(sys);
    assert_true(s3.faults_hard >= s2.faults_hard + 1);
    assert_int_equal(s3.page_reads, s2.page_reads + 1);
    assert_int_equal(s3.pages_input, s2.pages_input + 16);
    assert_int_equal(s3.standby, 15);
    assert_int_equal(s3.working_set, 1);
    assert_int_equal(tu_pstats(proc).faults_hard, s3.faults_hard);
    tu_assert_consistent(sys);

    /* page 6: a soft fault */
    tu_assert_pattern(pg_at(r, 6), PG, 9);
    umm_stats_t s4 = tu_stats(sys);
    assert_int_equal(s4.faults_hard, s3.faults_hard);
    assert_int_equal(s4.page_reads, s3.page_reads);
    assert_true(s4.faults_transition >= s3.faults_transition + 1);
    assert_true(s4.standby < s3.standby);
    /* the rest of the cluster: no more I/O */
    for (size_t i = 0; i < 16; i++)
        tu_assert_pattern(pg_at(r, i), PG, 9);
    umm_stats_t s5 = tu_stats(sys);
    assert_int_equal(s5.faults_hard, s3.faults_hard);
    assert_int_equal(s5.page_reads, s3.page_reads);
    assert_int_equal(s5.standby, 0);
    /* a page of the next cluster: hard again */
    tu_assert_pattern(pg_at(r, 40), PG, 9);
    umm_stats_t s6 = tu_stats(sys);
    assert_true(s6.faults_hard > s5.faults_hard);
    assert_int_equal(s6.page_reads, s5.page_reads + 1);
    verify_range_order(r, 64, NULL, 9, 3);
    tu_assert_consistent(sys);

    /* a clean page read back keeps its copy; writing it frees the copy */
    umm_stats_t s7 = tu_stats(sys);
    assert_int_equal(s7.pagefile_used, 64);
    pg_at(r, 3)[0] ^= 1;
    assert_int_equal(tu_stats(sys).pagefile_used, 63);
    pg_at(r, 3)[0] ^= 1;
    tu_assert_pattern(pg_at(r, 3), PG, 9);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* The writer writes every modified page: Modified empties, Pages Output and Standby grow by the
 * same amount; the data is still there by soft fault. */
static void test_flush_modified(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(8 * MIB, 8 * MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    char *r = tu_alloc(proc, 512 * PG);
    fill_range(r, 512, 4);
    assert_int_equal(umm_flush_modified(sys), UMM_OK); /* nothing modified yet: a no-op */
    assert_int_equal(tu_stats(sys).pages_output, 0);
    assert_int_equal(umm_ws_trim(proc, 300), UMM_OK);
    umm_stats_t b = tu_stats(sys);
    assert_true(b.modified >= 200);
    assert_int_equal(b.pages_output, 0);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    umm_stats_t a = tu_stats(sys);
    assert_int_equal(a.modified, 0);
    assert_int_equal(a.pages_output, b.modified);
    assert_int_equal(a.standby - b.standby, b.modified);
    assert_int_equal(a.pagefile_used, b.modified);
    assert_true(a.page_writes >= (b.modified + 15) / 16);
    assert_true(a.page_writes <= b.modified);
    assert_int_equal(a.working_set, b.working_set);
    tu_assert_consistent(sys);
    verify_range_order(r, 512, NULL, 4, 42);
    umm_stats_t v = tu_stats(sys);
    assert_int_equal(v.faults_hard, 0); /* all still in memory */
    assert_true(v.faults_transition > a.faults_transition);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * I/O errors (failure points)
 * ========================================================================================== */

/* umm/pagefile/write fails: flush returns UMM_E_IO, writer_errors counts, the pages stay on
 * Modified, nothing is lost; once disabled, the flush works and the pages page in and out. */
static void test_write_error(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(4 * MIB, 8 * MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    char *r = tu_alloc(proc, 64 * PG);
    fill_range(r, 64, 11);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    umm_stats_t b = tu_stats(sys);
    assert_int_equal(b.modified, 64);

    assert_int_equal(umm_failpoint_enable("umm/pagefile/write", 1.0, 0), 0);
    int rc = umm_flush_modified(sys);
    umm_stats_t e = tu_stats(sys);
    assert_int_equal(rc, UMM_E_IO);
    assert_true(e.writer_errors > 0);
    assert_int_equal(e.modified, 64);
    assert_int_equal(e.pages_output, b.pages_output);
    assert_int_equal(e.pagefile_used, 0);
    assert_int_equal(e.standby, b.standby);
    tu_assert_consistent(sys);
    /* a balancer pass with the writer failing does not lose anything either */
    assert_int_equal(umm_balance(sys), UMM_OK);
    assert_int_equal(tu_stats(sys).modified, 64);
    tu_assert_consistent(sys);
    /* data intact (soft faults from Modified), and back to Modified */
    verify_range_order(r, 64, NULL, 11, 5);
    assert_int_equal(tu_stats(sys).faults_hard, 0);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(tu_stats(sys).modified, 64);
    umm_failpoint_disable("umm/pagefile/write");

    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    umm_stats_t a = tu_stats(sys);
    assert_int_equal(a.modified, 0);
    assert_int_equal(a.pages_output - e.pages_output, 64);
    assert_int_equal(a.pagefile_used, 64);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    tu_assert_consistent(sys);
    verify_range_order(r, 64, NULL, 11, 6);
    assert_true(tu_stats(sys).faults_hard > 0);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* umm/pagefile/read fails: the faulting thread gets UMM_EXC_IN_PAGE_ERROR with UMM_E_IO,
 * read_errors counts, other (resident) pages are unaffected; once disabled the same touch
 * succeeds with the right data. */
static void test_read_error(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(4 * MIB, 8 * MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    tu_exc_install(sys);
    char *a = tu_alloc(proc, 32 * PG);
    char *bb = tu_alloc(proc, 32 * PG);
    fill_range(a, 32, 21);
    fill_range(bb, 32, 22);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    verify_range_order(bb, 32, NULL, 22, 0); /* bb comes back before the failure */
    umm_stats_t s0 = tu_stats(sys);
    assert_true(s0.faults_hard >= 2);

    assert_int_equal(umm_failpoint_enable("umm/pagefile/read", 1.0, 0), 0);
    unsigned char v = 0;
    int rc = tu_try_read(pg_at(a, 3) + 8, &v);
    umm_stats_t s1 = tu_stats(sys);
    assert_int_equal(rc, UMM_EXC_IN_PAGE_ERROR);
    assert_int_equal(tu_exc.last.code, UMM_EXC_IN_PAGE_ERROR);
    assert_int_equal(tu_exc.last.error, UMM_E_IO);
    assert_ptr_equal(tu_exc.last.address, pg_at(a, 3) + 8);
    assert_ptr_equal(tu_exc.last.process, proc);
    assert_true(s1.read_errors > s0.read_errors);
    assert_true(s1.faults_in_page_error > s0.faults_in_page_error);
    assert_int_equal(s1.working_set, s0.working_set);
    assert_int_equal(s1.pagefile_used, s0.pagefile_used);
    /* the failed page fails again, the resident ones are fine */
    assert_int_equal(tu_try_read(pg_at(a, 3), &v), UMM_EXC_IN_PAGE_ERROR);
    verify_range_order(bb, 32, NULL, 22, 9);
    tu_assert_consistent(sys);
    umm_failpoint_disable("umm/pagefile/read");

    assert_int_equal(tu_try_read(pg_at(a, 3) + 8, &v), 0);
    tu_assert_pattern(pg_at(a, 3), PG, 21);
    verify_range_order(a, 32, NULL, 21, 10);
    verify_range_order(bb, 32, NULL, 22, 11);
    umm_stats_t s2 = tu_stats(sys);
    assert_int_equal(s2.read_errors, s1.read_errors + 1);
    tu_assert_consistent(sys);
    umm_set_exception_handler(sys, NULL, NULL);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * the balance-set manager
 * ========================================================================================== */

typedef struct bal_setup {
    umm_system_t *sys;
    umm_process_t *hot, *idle, *filler;
    char *rh, *ri, *rf;
    size_t each, nfill;
} bal_setup_t;

/* 16 MiB RAM (4096 frames; low 256, high 768), two processes with 3/8 of RAM each, a filler with
 * 3/16: available 256, under the high threshold. */
static void bal_create(bal_setup_t *b, unsigned flags, unsigned interval_ms) {
    umm_config_t c = pu_config(16 * MIB, 32 * MIB, 0, flags);
    c.balance_interval_ms = interval_ms;
    tu_sys_new_cfg(&c, &b->sys, &b->idle);
    assert_int_equal(umm_process_create(b->sys, &b->hot), UMM_OK);
    assert_int_equal(umm_process_create(b->sys, &b->filler), UMM_OK);
    umm_stats_t s = tu_stats(b->sys);
    assert_int_equal(s.low_memory_pages, 256);
    assert_int_equal(s.high_memory_pages, 768);
    b->each = 4096 * 3 / 8;
    b->nfill = 768;
    b->ri = tu_alloc(b->idle, b->each * PG);
    b->rh = tu_alloc(b->hot, b->each * PG);
    b->rf = tu_alloc(b->filler, b->nfill * PG);
    for (size_t i = 0; i < b->each; i++)
        pu_mark_page(pg_at(b->ri, i), PG, 31);
    for (size_t i = 0; i < b->each; i++)
        pu_mark_page(pg_at(b->rh, i), PG, 32);
    for (size_t i = 0; i < b->nfill; i++)
        pu_mark_page(pg_at(b->rf, i), PG, 33);
}

static void bal_touch_hot(bal_setup_t *b) {
    for (size_t i = 0; i < b->each; i++)
        pu_assert_page(pg_at(b->rh, i), PG, 32);
}

static void bal_verify_all(bal_setup_t *b) {
    for (size_t i = 0; i < b->each; i++)
        pu_assert_page(pg_at(b->ri, i), PG, 31);
    bal_touch_hot(b);
    for (size_t i = 0; i < b->nfill; i++)
        pu_assert_page(pg_at(b->rf, i), PG, 33);
}

static void bal_check_order(bal_setup_t *b, const char *what) {
    umm_process_stats_t ph = tu_pstats(b->hot), pi = tu_pstats(b->idle);
    uint64_t hot_drop = b->each - ph.working_set, idle_drop = b->each - pi.working_set;
    print_message("      %s: hot ws %" PRIu64 " (aged %" PRIu64 "), idle ws %" PRIu64
                  " (aged %" PRIu64 ")\n",
                  what, ph.working_set, ph.aged_pages, pi.working_set, pi.aged_pages);
    assert_true(ph.working_set <= b->each && pi.working_set <= b->each);
    if (!(idle_drop >= 256 && idle_drop >= 4 * hot_drop))
        fail_msg("%s: idle lost %" PRIu64 " pages, hot lost %" PRIu64, what, idle_drop, hot_drop);
    if (ph.working_set * 10 < b->each * 9)
        fail_msg("%s: hot working set %" PRIu64 " < 90%% of %zu", what, ph.working_set, b->each);
    assert_true(pi.working_set >= pi.ws_min); /* never below the minimum */
}

/* umm_balance with no workers: the idle working set is aged and trimmed, the hot one stays. */
static void test_balancer_idle_loses_first(void **state) {
    (void)state;
    bal_setup_t b;
    bal_create(&b, UMM_CFG_NO_WORKERS, 2);
    umm_stats_t s0 = tu_stats(b.sys);
    assert_int_equal(s0.available, 256);
    assert_int_equal(s0.balancer_passes, 0);
    for (int pass = 0; pass < 6; pass++) {
        bal_touch_hot(&b);
        pu_sleep_ms(3); /* the aging period is half the interval */
        assert_int_equal(umm_balance(b.sys), UMM_OK);
        tu_assert_consistent(b.sys);
    }
    umm_stats_t s = tu_stats(b.sys);
    assert_int_equal(s.balancer_passes, 6);
    assert_true(s.balancer_trimmed > 0);
    assert_true(s.pages_aged > 0);
    assert_true(s.available >= s.low_memory_pages);
    umm_process_stats_t pi = tu_pstats(b.idle), ph = tu_pstats(b.hot);
    assert_true(pi.aged_pages > 0);
    assert_true(pi.aged_pages > ph.aged_pages);
    bal_check_order(&b, "no workers");
    bal_verify_all(&b);
    tu_assert_consistent(b.sys);
    assert_int_equal(umm_balance(NULL), UMM_E_INVAL);
    umm_system_destroy(b.sys);
}

/* The same with the workers (balance every 100 ms): sleep and touch for 1.5 s. */
static void test_balancer_workers(void **state) {
    (void)state;
    bal_setup_t b;
    bal_create(&b, 0, 100);
    uint64_t t0 = pu_now_ms();
    while (pu_now_ms() - t0 < 1500) {
        bal_touch_hot(&b);
        pu_sleep_ms(20);
    }
    bal_touch_hot(&b);
    umm_stats_t s = tu_stats(b.sys);
    assert_true(s.balancer_passes >= 5);
    assert_true(s.balancer_trimmed > 0);
    assert_true(s.pages_aged > 0);
    assert_true(tu_pstats(b.idle).aged_pages > 0);
    bal_check_order(&b, "workers");
    bal_verify_all(&b);
    tu_assert_consistent(b.sys);
    umm_system_destroy(b.sys);
}

/* ============================================================================================
 * working-set limits
 * ========================================================================================== */

static void test_ws_limits(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc, *p2;
    umm_config_t c = pu_config(8 * MIB, 16 * MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    size_t mn = 0, mx = 0;
    unsigned fl = 99;
    assert_int_equal(umm_ws_get_limits(proc, &mn, &mx, &fl), UMM_OK);
    assert_int_equal(mn, 50);
    assert_int_equal(mx, 345);
    assert_int_equal(fl, 0);
    assert_int_equal(UMM_WS_DEFAULT_MIN, 50);
    assert_int_equal(UMM_WS_DEFAULT_MAX, 345);
    umm_process_stats_t ps = tu_pstats(proc);
    assert_int_equal(ps.ws_min, 50);
    assert_int_equal(ps.ws_max, 345);
    /* bad limits */
    assert_int_equal(umm_ws_set_limits(proc, 10, 5, 0), UMM_E_INVAL);
    assert_int_equal(umm_ws_set_limits(proc, 0, 0, 0), UMM_E_INVAL);
    assert_int_equal(umm_ws_set_limits(proc, 1, 10, 0x2), UMM_E_INVAL);
    assert_int_equal(umm_ws_set_limits(proc, 1, 10, UMM_WS_HARD_MAX | 0x100), UMM_E_INVAL);
    assert_int_equal(umm_ws_set_limits(NULL, 1, 10, 0), UMM_E_INVAL);
    assert_int_equal(umm_ws_get_limits(NULL, &mn, &mx, &fl), UMM_E_INVAL);
    assert_int_equal(umm_ws_get_limits(proc, &mn, &mx, &fl), UMM_OK);
    assert_int_equal(mn, 50);
    assert_int_equal(mx, 345);
    assert_int_equal(fl, 0);

    const size_t max = 100, n = 600;
    assert_int_equal(umm_ws_set_limits(proc, 16, max, UMM_WS_HARD_MAX), UMM_OK);
    assert_int_equal(umm_ws_get_limits(proc, &mn, &mx, &fl), UMM_OK);
    assert_int_equal(mn, 16);
    assert_int_equal(mx, max);
    assert_int_equal(fl, UMM_WS_HARD_MAX);
    ps = tu_pstats(proc);
    assert_int_equal(ps.ws_min, 16);
    assert_int_equal(ps.ws_max, max);

    char *r = tu_alloc(proc, n * PG);
    for (size_t i = 0; i < n; i += 8) {
        for (size_t k = i; k < i + 8; k++)
            tu_fill(pg_at(r, k), PG, 41);
        uint64_t ws = tu_pstats(proc).working_set;
        if (ws > max)
            fail_msg("working set %" PRIu64 " > hard max %zu after touching %zu pages", ws, max, i + 8);
    }
    size_t *ord = pu_order(n, 77);
    for (size_t k = 0; k < n; k++) {
        tu_assert_pattern(pg_at(r, ord[k]), PG, 41);
        if (k % 8 == 7) {
            uint64_t ws = tu_pstats(proc).working_set;
            if (ws > max)
                fail_msg("working set %" PRIu64 " > hard max %zu while reading back", ws, max);
        }
    }
    free(ord);
    ps = tu_pstats(proc);
    assert_true(ps.working_set_peak <= max);
    assert_true(ps.pages_trimmed >= n - max);
    tu_assert_consistent(sys);

    /* a soft maximum does not bind: a second process grows past 345 */
    assert_int_equal(umm_process_create(sys, &p2), UMM_OK);
    char *r2 = tu_alloc(p2, 400 * PG);
    fill_range(r2, 400, 42);
    assert_int_equal(tu_pstats(p2).working_set, 400);
    /* making the maximum hard trims at once */
    assert_int_equal(umm_ws_set_limits(p2, 8, 64, UMM_WS_HARD_MAX), UMM_OK);
    assert_true(tu_pstats(p2).working_set <= 64);
    verify_range_order(r2, 400, NULL, 42, 8);
    assert_true(tu_pstats(p2).working_set <= 64);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * standby priorities and purging
 * ========================================================================================== */

static void test_standby_priorities(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *pa, *pb, *pc, *pd;
    umm_config_t c = pu_config(4 * MIB, 8 * MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &pa);
    assert_int_equal(umm_process_create(sys, &pb), UMM_OK);
    assert_int_equal(umm_process_create(sys, &pc), UMM_OK);
    assert_int_equal(umm_process_create(sys, &pd), UMM_OK);
    assert_int_equal(umm_process_set_priority(pa, 8), UMM_E_INVAL);
    assert_int_equal(umm_process_set_priority(NULL, 1), UMM_E_INVAL);
    assert_int_equal(umm_standby_purge(sys, 8, NULL), UMM_E_INVAL);
    assert_int_equal(umm_standby_purge(NULL, 7, NULL), UMM_E_INVAL);
    assert_int_equal(umm_process_set_priority(pa, 2), UMM_OK);

    const size_t n = 256;
    char *ra = tu_alloc(pa, n * PG);
    char *rb = tu_alloc(pb, n * PG);
    fill_range(ra, n, 51);
    fill_range(rb, n, 52);
    assert_int_equal(umm_ws_empty(pa), UMM_OK);
    assert_int_equal(umm_ws_empty(pb), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.standby_by_priority[2], n);
    assert_int_equal(s.standby_by_priority[5], n);
    assert_int_equal(s.standby, 2 * n);
    for (int p = 0; p < 8; p++)
        if (p != 2 && p != 5)
            assert_int_equal(s.standby_by_priority[p], 0);

    /* clean pages trimmed again go straight to their process's priority, no write */
    verify_range_order(ra, n, NULL, 51, 1);
    umm_stats_t s1 = tu_stats(sys);
    assert_int_equal(s1.standby_by_priority[2], 0);
    assert_int_equal(umm_ws_empty(pa), UMM_OK);
    umm_stats_t s2 = tu_stats(sys);
    assert_int_equal(s2.standby_by_priority[2], n);
    assert_int_equal(s2.modified, 0);
    assert_int_equal(s2.pages_output, s1.pages_output);
    tu_assert_consistent(sys);

    /* take every Zeroed and Free frame, so only Standby is left */
    size_t rest = (size_t)(s2.zeroed + s2.free);
    assert_true(rest >= 256);
    char *rc_ = tu_alloc(pc, rest * PG);
    for (size_t i = 0; i < rest; i++)
        pg_at(rc_, i)[0] = 1;
    umm_stats_t s3 = tu_stats(sys);
    assert_int_equal(s3.zeroed + s3.free, 0);
    assert_int_equal(s3.standby_by_priority[2], n);
    assert_int_equal(s3.standby_by_priority[5], n);
    /* a fault needing frames repurposes priority 2 before priority 5 */
    char *rd = tu_alloc(pd, 16 * PG);
    rd[0] = 1;
    umm_stats_t s4 = tu_stats(sys);
    uint64_t took = s3.standby - s4.standby;
    assert_true(took >= 1);
    assert_int_equal(s4.standby_by_priority[2], n - took);
    assert_int_equal(s4.standby_by_priority[5], n);
    assert_int_equal(s4.standby_repurposed - s3.standby_repurposed, took);
    tu_assert_consistent(sys);

    /* purge priorities 0..3: priority 2 empties, priority 5 stays */
    uint64_t purged = 0;
    assert_int_equal(umm_standby_purge(sys, 3, &purged), UMM_OK);
    umm_stats_t s5 = tu_stats(sys);
    assert_int_equal(purged, s4.standby_by_priority[2]);
    assert_int_equal(s5.standby_by_priority[2], 0);
    assert_int_equal(s5.standby_by_priority[5], n);
    assert_int_equal(s5.free - s4.free, purged);
    assert_int_equal(umm_standby_purge(sys, 3, &purged), UMM_OK);
    assert_int_equal(purged, 0);
    tu_assert_consistent(sys);

    /* everything reads back right: A by hard faults, B by soft ones */
    umm_stats_t s6 = tu_stats(sys);
    verify_range_order(ra, n, NULL, 51, 2);
    verify_range_order(rb, n, NULL, 52, 3);
    umm_stats_t s7 = tu_stats(sys);
    assert_true(s7.faults_hard > s6.faults_hard);
    for (size_t i = 0; i < rest; i++)
        assert_int_equal(pg_at(rc_, i)[0], 1);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * notifications
 * ========================================================================================== */

typedef struct note_rec {
    int calls;
    int last;
    umm_notification_t *n;
} note_rec_t;

static void note_cb(umm_notification_t *n, int signaled, void *ctx) {
    note_rec_t *r = ctx;
    __atomic_add_fetch(&r->calls, 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&r->last, signaled, __ATOMIC_SEQ_CST);
    r->n = n;
}

static int note_query(umm_notification_t *n) {
    int v = -1;
    assert_int_equal(umm_notification_query(n, &v), UMM_OK);
    return v;
}

static void test_notifications(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(8 * MIB, 0, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, &sys, &proc);
    umm_stats_t s = tu_stats(sys);
    assert_int_equal(s.low_memory_pages, 128);
    assert_int_equal(s.high_memory_pages, 384);
    note_rec_t lr = {0, -1, NULL}, hr = {0, -1, NULL};
    umm_notification_t *low = NULL, *high = NULL, *bad = NULL;
    assert_int_equal(umm_notification_create(sys, (umm_notify_type_t)7, note_cb, NULL, &bad),
                     UMM_E_INVAL);
    assert_int_equal(umm_notification_create(NULL, UMM_NOTIFY_LOW_MEMORY, note_cb, NULL, &bad),
                     UMM_E_INVAL);
    assert_int_equal(umm_notification_create(sys, UMM_NOTIFY_LOW_MEMORY, note_cb, &lr, &low), UMM_OK);
    assert_int_equal(umm_notification_create(sys, UMM_NOTIFY_HIGH_MEMORY, note_cb, &hr, &high), UMM_OK);
    assert_int_equal(umm_notification_query(low, NULL), UMM_E_INVAL);
    assert_int_equal(umm_notification_fd(NULL), -1);
    int lfd = umm_notification_fd(low), hfd = umm_notification_fd(high);
    assert_true(lfd >= 0 && hfd >= 0 && lfd != hfd);
    assert_int_equal(note_query(low), 0);
    assert_int_equal(note_query(high), 1);
    assert_false(fd_readable(lfd));
    assert_true(fd_readable(hfd));
    assert_int_equal(umm_balance(sys), UMM_OK); /* plentiful: no change, no callback */
    assert_int_equal(note_query(low), 0);
    assert_int_equal(note_query(high), 1);
    assert_int_equal(lr.calls, 0);
    assert_int_equal(hr.calls, 0);

    /* fill RAM: available 64 < 128 */
    const size_t n = 2048 - 64;
    char *r = tu_alloc(proc, n * PG);
    for (size_t i = 0; i < n; i++)
        pg_at(r, i)[0] = 1;
    s = tu_stats(sys);
    assert_int_equal(s.available, 64);
    assert_int_equal(umm_balance(sys), UMM_OK);
    assert_int_equal(tu_stats(sys).low_memory, 1);
    assert_int_equal(note_query(low), 1);
    assert_true(fd_readable(lfd));
    assert_int_equal(lr.calls, 1);
    assert_int_equal(lr.last, 1);
    assert_ptr_equal(lr.n, low);
    assert_int_equal(note_query(high), 0);
    assert_false(fd_readable(hfd));
    assert_int_equal(hr.calls, 1);
    assert_int_equal(hr.last, 0);
    /* a second pass in the same state: no new callbacks, still readable */
    assert_int_equal(umm_balance(sys), UMM_OK);
    assert_int_equal(lr.calls, 1);
    assert_true(fd_readable(lfd));

    /* decommit half: available 64 + 992 > 384 */
    assert_int_equal(umm_decommit(proc, r, (n / 2) * PG), UMM_OK);
    assert_int_equal(umm_balance(sys), UMM_OK);
    assert_int_equal(tu_stats(sys).low_memory, 0);
    assert_int_equal(note_query(low), 0);
    assert_false(fd_readable(lfd));
    assert_int_equal(lr.calls, 2);
    assert_int_equal(lr.last, 0);
    assert_int_equal(note_query(high), 1);
    assert_true(fd_readable(hfd));
    assert_int_equal(hr.calls, 2);
    assert_int_equal(hr.last, 1);

    /* fill again, then release everything */
    assert_int_equal(umm_commit(proc, r, (n / 2) * PG, TU_RW), UMM_OK);
    for (size_t i = 0; i < n / 2; i++)
        pg_at(r, i)[0] = 2;
    assert_int_equal(umm_balance(sys), UMM_OK);
    assert_int_equal(note_query(low), 1);
    assert_int_equal(lr.calls, 3);
    assert_int_equal(umm_release(proc, r), UMM_OK);
    assert_int_equal(umm_balance(sys), UMM_OK);
    assert_int_equal(note_query(low), 0);
    assert_false(fd_readable(lfd));
    assert_int_equal(lr.last, 0);
    assert_int_equal(note_query(high), 1);
    assert_true(fd_readable(hfd));
    umm_notification_destroy(low);
    umm_notification_destroy(high);
    umm_notification_destroy(NULL);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* Notifications with the workers: the state follows memory without calling umm_balance. */
static void test_notifications_workers(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(8 * MIB, 0, 0, 0);
    c.balance_interval_ms = 50;
    tu_sys_new_cfg(&c, &sys, &proc);
    note_rec_t lr = {0, -1, NULL};
    umm_notification_t *low = NULL;
    assert_int_equal(umm_notification_create(sys, UMM_NOTIFY_LOW_MEMORY, note_cb, &lr, &low), UMM_OK);
    const size_t n = 2048 - 64;
    char *r = tu_alloc(proc, n * PG);
    for (size_t i = 0; i < n; i++)
        pg_at(r, i)[0] = 1;
    uint64_t t0 = pu_now_ms();
    while (note_query(low) != 1 && pu_now_ms() - t0 < 2000)
        pu_sleep_ms(5);
    assert_int_equal(note_query(low), 1);
    struct pollfd p = {.fd = umm_notification_fd(low), .events = POLLIN};
    assert_int_equal(poll(&p, 1, 0), 1);
    assert_int_equal(__atomic_load_n(&lr.last, __ATOMIC_SEQ_CST), 1);
    assert_int_equal(umm_release(proc, r), UMM_OK);
    t0 = pu_now_ms();
    while (note_query(low) != 0 && pu_now_ms() - t0 < 2000)
        pu_sleep_ms(5);
    assert_int_equal(note_query(low), 0);
    assert_false(fd_readable(umm_notification_fd(low)));
    assert_int_equal(__atomic_load_n(&lr.last, __ATOMIC_SEQ_CST), 0);
    umm_notification_destroy(low);
    /* umm_check races with the zero page thread (see test_check_during_zeroing): let the freed
     * frames be zeroed before the deep check */
    t0 = pu_now_ms();
    while (tu_stats(sys).free != 0 && pu_now_ms() - t0 < 2000)
        pu_sleep_ms(5);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* umm_check may be called at any time, also while the workers run: it must not report a
 * frame that the zero page thread holds (Active, I/O, no owner) as an inconsistency. Free frames
 * are produced repeatedly and umm_check is called while they are being zeroed. */
static void test_check_during_zeroing(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(8 * MIB, 0, 0, 0);
    c.balance_interval_ms = 20;
    tu_sys_new_cfg(&c, &sys, &proc);
    const size_t n = 2000;
    char *r = tu_reserve(proc, n * PG, TU_RW);
    unsigned checks = 0, failed = 0;
    for (int round = 0; round < 10; round++) {
        assert_int_equal(umm_commit(proc, r, n * PG, TU_RW), UMM_OK);
        for (size_t i = 0; i < n; i++)
            pg_at(r, i)[0] = 1;
        assert_int_equal(umm_decommit(proc, r, n * PG), UMM_OK);
        uint64_t t0 = pu_now_ms();
        umm_stats_t s;
        do {
            checks++;
            failed += umm_check(sys) != UMM_OK;
            s = tu_stats(sys);
        } while (s.free > 0 && pu_now_ms() - t0 < 2000);
    }
    if (failed)
        fail_msg("umm_check returned an error %u times out of %u while the zero page thread ran",
                 failed, checks);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * the zero page thread
 * ========================================================================================== */

static void test_zero_page_thread(void **state) {
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    umm_config_t c = pu_config(8 * MIB, 0, 0, 0);
    c.balance_interval_ms = 50;
    tu_sys_new_cfg(&c, &sys, &proc);
    const size_t n = 1024;
    char *r = tu_alloc(proc, n * PG);
    fill_range(r, n, 61);
    umm_stats_t s0 = tu_stats(sys);
    assert_int_equal(umm_decommit(proc, r, n * PG), UMM_OK);
    umm_stats_t s1 = tu_stats(sys);
    assert_true(s1.free > 0 || s1.pages_zeroed_by_thread > s0.pages_zeroed_by_thread);
    uint64_t t0 = pu_now_ms();
    umm_stats_t s;
    do {
        pu_sleep_ms(10);
        s = tu_stats(sys);
    } while ((s.free != 0 || s.pages_zeroed_by_thread < s0.pages_zeroed_by_thread + n) &&
             pu_now_ms() - t0 < 2000);
    print_message("      zeroed by thread: %" PRIu64 " in %" PRIu64 " ms\n",
                  s.pages_zeroed_by_thread - s0.pages_zeroed_by_thread, pu_now_ms() - t0);
    assert_int_equal(s.free, 0);
    assert_true(s.pages_zeroed_by_thread >= s0.pages_zeroed_by_thread + n);
    assert_int_equal(s.zeroed, s.total_frames);
    /* demand-zero faults now find zeroed frames */
    assert_int_equal(umm_commit(proc, r, n * PG, TU_RW), UMM_OK);
    for (size_t i = 0; i < n; i++) {
        assert_true(tu_is_zero(pg_at(r, i), PG));
        pg_at(r, i)[1] = 1;
    }
    umm_stats_t s2 = tu_stats(sys);
    assert_true(s2.pages_zeroed_in_fault - s.pages_zeroed_in_fault < 16);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* ============================================================================================
 * the paging file as a file
 * ========================================================================================== */

static void page_out_and_back(umm_system_t *sys, umm_process_t *proc, size_t npages, uint64_t gen) {
    char *r = tu_alloc(proc, npages * PG);
    fill_range(r, npages, gen);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    umm_stats_t b = tu_stats(sys);
    verify_range_order(r, npages, NULL, gen, gen);
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
        fill_range(r, 3072, 90);
        verify_range_order(r, 3072, NULL, 90, 91);
        tu_assert_consistent(sys);
        umm_system_destroy(sys);
        assert_false(pu_file_exists(t.file, NULL));
    }
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
            pu_mark_page(pg_at(r, i), PG, 100 + (uint64_t)round);
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
    if (argc > 1) /* run only the tests matching a pattern: ./test_paging 'test_balancer*' */
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_limit_no_pagefile),
        cmocka_unit_test(test_commit_limit_pagefile_growth),
        cmocka_unit_test(test_integrity_6x_ram),
        cmocka_unit_test(test_hard_fault_read_cluster),
        cmocka_unit_test(test_flush_modified),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_read_error),
        cmocka_unit_test(test_balancer_idle_loses_first),
        cmocka_unit_test(test_balancer_workers),
        cmocka_unit_test(test_ws_limits),
        cmocka_unit_test(test_standby_priorities),
        cmocka_unit_test(test_notifications),
        cmocka_unit_test(test_notifications_workers),
        cmocka_unit_test(test_zero_page_thread),
        cmocka_unit_test(test_check_during_zeroing),
        cmocka_unit_test(test_pagefile_named),
        cmocka_unit_test(test_pagefile_direct),
        cmocka_unit_test(test_destroy_while_writing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
