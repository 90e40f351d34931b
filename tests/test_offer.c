/* SPDX-License-Identifier: MIT */
/* test_offer.c - contents the program no longer needs: umm_offer / umm_reclaim / umm_discard
 * (OfferVirtualMemory, ReclaimVirtualMemory, DiscardVirtualMemory, MEM_RESET(_UNDO)). Offered
 * pages are never written (the writer's counters prove it), are reclaimed first, and reclaim
 * says exactly whether contents survived. */
#include "paging_util.h"

#define PG PU_PG
#define N 1024

static void setup(umm_system_t **sys, umm_process_t **proc, unsigned char **a, unsigned char **b)
{
    umm_config_t c = pu_config(8 * TU_MIB, 32 * TU_MIB, 0, UMM_CFG_NO_WORKERS);
    tu_sys_new_cfg(&c, sys, proc);
    *a = tu_alloc(*proc, N * PG);
    *b = tu_alloc(*proc, N * PG);
    for (size_t i = 0; i < N; i++) {
        tu_fill(pu_at(*a, i), PG, 1 + i);
        tu_fill(pu_at(*b, i), PG, 9000 + i);
    }
}

static void test_offered_pages_are_not_written(void **state)
{
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    unsigned char *a, *b;
    setup(&sys, &proc, &a, &b);
    umm_stats_t s0 = tu_stats(sys);
    assert_int_equal(umm_offer(proc, a, N * PG, 0), UMM_OK);
    assert_int_equal(tu_pstats(proc).working_set, N); /* b only */
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_balance(sys), UMM_OK);
    umm_stats_t s1 = tu_stats(sys);
    print_message("  pages_output %" PRIu64 " (b: %d pages), standby %" PRIu64 "\n",
                  s1.pages_output - s0.pages_output, N, s1.standby);
    assert_int_equal(s1.pages_output - s0.pages_output, N); /* b's pages, none of a's */
    tu_assert_consistent(sys);
    /* no pressure: everything survived */
    int lost = -1;
    assert_int_equal(umm_reclaim(proc, a, N * PG, &lost), UMM_OK);
    assert_int_equal(lost, 0);
    for (size_t i = 0; i < N; i++)
        tu_assert_pattern(pu_at(a, i), PG, 1 + i);
    /* reclaimed pages are ordinary again: written out when trimmed, and survive paging */
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_true(tu_stats(sys).pages_output - s1.pages_output >= N);
    assert_int_equal(umm_standby_purge(sys, 7, NULL), UMM_OK);
    for (size_t i = 0; i < N; i++)
        tu_assert_pattern(pu_at(a, i), PG, 1 + i);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

static void test_reclaim_reports_loss(void **state)
{
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    unsigned char *a, *b;
    setup(&sys, &proc, &a, &b);
    assert_int_equal(umm_offer(proc, a, N * PG, 1), UMM_OK);
    assert_int_equal(umm_offer(proc, b, N * PG, 6), UMM_OK);
    /* priority 1 goes first: purging up to 1 loses a, keeps b */
    assert_int_equal(umm_standby_purge(sys, 1, NULL), UMM_OK);
    int lost = -1;
    assert_int_equal(umm_reclaim(proc, b, N * PG, &lost), UMM_OK);
    assert_int_equal(lost, 0);
    assert_int_equal(umm_reclaim(proc, a, N * PG, &lost), UMM_OK);
    assert_int_equal(lost, 1);
    assert_int_equal(umm_reclaim(proc, a, N * PG, &lost), UMM_OK); /* reported once */
    assert_int_equal(lost, 0);
    for (size_t i = 0; i < N; i++) {
        assert_true(tu_is_zero(pu_at(a, i), PG));
        tu_assert_pattern(pu_at(b, i), PG, 9000 + i);
    }
    tu_assert_consistent(sys);
    /* under real pressure: offered pages are taken before anyone's written pages */
    assert_int_equal(umm_offer(proc, b, N * PG, 0), UMM_OK);
    uint64_t out0 = tu_stats(sys).pages_output;
    unsigned char *c = tu_alloc(proc, 1536 * PG); /* 6 MiB more in 8 MiB of RAM */
    for (size_t i = 0; i < 1536; i++)
        c[i * PG] = 1;
    assert_int_equal(umm_reclaim(proc, b, N * PG, &lost), UMM_OK);
    print_message("  pressure: lost %d, pages_output %" PRIu64 "\n", lost, tu_stats(sys).pages_output - out0);
    assert_int_equal(lost, 1);
    size_t zero = 0;
    for (size_t i = 0; i < N; i++) {
        if (tu_verify(pu_at(b, i), PG, 9000 + i) == (size_t)-1)
            continue;
        assert_true(tu_is_zero(pu_at(b, i), PG)); /* lost pages read zeros, the others are intact */
        zero++;
    }
    assert_true(zero > 0);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

static void test_touch_and_discard(void **state)
{
    (void)state;
    umm_system_t *sys;
    umm_process_t *proc;
    unsigned char *a, *b;
    setup(&sys, &proc, &a, &b);
    /* touching an offered page takes it back: kept, dirty, survives paging */
    assert_int_equal(umm_offer(proc, a, 16 * PG, 0), UMM_OK);
    tu_assert_pattern(pu_at(a, 3), PG, 4);
    pu_page_out(sys, proc);
    tu_assert_pattern(pu_at(a, 3), PG, 4);
    /* discard: zeros now, frames and slots freed, the charge stays */
    umm_stats_t s0 = tu_stats(sys);
    assert_int_equal(umm_discard(proc, b, N * PG), UMM_OK);
    umm_stats_t s1 = tu_stats(sys);
    assert_int_equal(s1.committed, s0.committed);
    assert_true(s1.pagefile_used < s0.pagefile_used);
    for (size_t i = 0; i < N; i += 5)
        assert_true(tu_is_zero(pu_at(b, i), PG));
    /* locked pages are left alone by offer and discard */
    assert_int_equal(umm_lock(proc, a + 100 * PG, PG), UMM_OK);
    assert_int_equal(umm_discard(proc, a + 96 * PG, 8 * PG), UMM_OK);
    tu_assert_pattern(pu_at(a, 100), PG, 101);
    assert_true(tu_is_zero(pu_at(a, 99), PG));
    /* errors */
    umm_section_t *sec;
    void *view;
    assert_int_equal(umm_section_create(sys, 16 * PG, &sec), UMM_OK);
    assert_int_equal(umm_section_map(proc, sec, TU_RW, &view), UMM_OK);
    assert_int_equal(umm_offer(proc, view, PG, 0), UMM_E_ACCESS);
    assert_int_equal(umm_discard(proc, view, PG), UMM_E_ACCESS);
    assert_int_equal(umm_offer(proc, a, PG, 8), UMM_E_INVAL);
    assert_int_equal(umm_reclaim(proc, a + 1, PG, NULL), UMM_E_ALIGN);
    assert_int_equal(umm_release(proc, view), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offered_pages_are_not_written),
        cmocka_unit_test(test_reclaim_reports_loss),
        cmocka_unit_test(test_touch_and_discard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
