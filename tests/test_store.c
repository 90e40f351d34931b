/* SPDX-License-Identifier: MIT */
/* test_store.c - backing stores (mm/store.h) with paging files only: several stores in one
 * system, the writer spreading clusters over them, the commit limit counting them all, bad store
 * configurations refused. The Redis store has its own suite (test_store_redis.c). */
#include "paging_util.h"

#define RAM (4 * TU_MIB)

/* 3 paging files (the legacy one and two from the list): 8x RAM written and read back, every
 * byte, with every file holding some of it. */
static void test_three_pagefiles(void **state) {
    (void)state;
    umm_store_config_t stores[2] = {
        {.kind = UMM_STORE_PAGEFILE, .bytes = 12 * TU_MIB},
        {.kind = UMM_STORE_PAGEFILE, .bytes = 12 * TU_MIB},
    };
    umm_config_t cfg = pu_config(RAM, 12 * TU_MIB, 0, 0);
    cfg.stores = stores;
    cfg.nstores = 2;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&cfg, &sys, &proc);
    umm_stats_t s = tu_stats(sys);
    uint64_t slack = s.total_frames + 3 * 12 * TU_MIB / PU_PG - s.commit_limit;
    assert_true(slack > 0 && slack <= s.total_frames / 4); /* RAM + the three, less the slack */
    assert_int_equal(s.pagefile_slots, 3 * 12 * TU_MIB / PU_PG);
    size_t npages = 8 * RAM / PU_PG;
    unsigned char *base = tu_alloc(proc, npages * PU_PG);
    size_t *order = pu_order(npages, 7);
    for (size_t k = 0; k < npages; k++)
        tu_fill(pu_at(base, order[k]), PU_PG, order[k] + 1);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    s = tu_stats(sys);
    assert_true(s.pages_output > 0);
    assert_true(s.pagefile_used > npages / 2); /* most of it is out */
    free(order);
    order = pu_order(npages, 11);
    for (size_t k = 0; k < npages; k++)
        tu_assert_pattern(pu_at(base, order[k]), PU_PG, order[k] + 1);
    free(order);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* A paging file in the list alone (no legacy fields) is a paging file like the other. */
static void test_list_only(void **state) {
    (void)state;
    umm_store_config_t st = {.kind = UMM_STORE_PAGEFILE, .bytes = 16 * TU_MIB};
    umm_config_t cfg = pu_config(RAM, 0, 0, 0);
    cfg.stores = &st;
    cfg.nstores = 1;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&cfg, &sys, &proc);
    size_t npages = 3 * RAM / PU_PG;
    unsigned char *base = tu_alloc(proc, npages * PU_PG);
    for (size_t i = 0; i < npages; i++)
        tu_fill(pu_at(base, i), PU_PG, i + 5);
    for (size_t i = 0; i < npages; i++)
        tu_assert_pattern(pu_at(base, i), PU_PG, i + 5);
    assert_true(tu_stats(sys).pages_input > 0);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

static void test_bad_store_configs(void **state) {
    (void)state;
    umm_system_t *sys = NULL;
    umm_store_config_t st = {.kind = UMM_STORE_PAGEFILE, .bytes = 0};
    umm_config_t cfg = pu_config(RAM, 0, 0, 0);
    cfg.stores = &st;
    cfg.nstores = 1;
    assert_int_equal(umm_system_create(&cfg, &sys), UMM_E_INVAL); /* empty */
    st.bytes = 4097;
    assert_int_equal(umm_system_create(&cfg, &sys), UMM_E_INVAL); /* not whole pages */
    st = (umm_store_config_t){.kind = 7, .bytes = TU_MIB};
    assert_int_equal(umm_system_create(&cfg, &sys), UMM_E_INVAL); /* unknown kind */
    st = (umm_store_config_t){.kind = UMM_STORE_REDIS, .bytes = TU_MIB};
    assert_int_equal(umm_system_create(&cfg, &sys), UMM_E_INVAL); /* Redis without an address */
    cfg.stores = NULL;
    assert_int_equal(umm_system_create(&cfg, &sys), UMM_E_INVAL); /* a count without a list */
    umm_store_config_t many[UMM_STORES_MAX];
    for (unsigned i = 0; i < UMM_STORES_MAX; i++)
        many[i] = (umm_store_config_t){.kind = UMM_STORE_PAGEFILE, .bytes = TU_MIB};
    cfg = pu_config(RAM, TU_MIB, 0, 0);
    cfg.stores = many;
    cfg.nstores = UMM_STORES_MAX; /* 17 with the legacy paging file */
    assert_int_equal(umm_system_create(&cfg, &sys), UMM_E_INVAL);
    cfg.nstores = UMM_STORES_MAX - 1; /* 16: the most */
    assert_int_equal(umm_system_create(&cfg, &sys), UMM_OK);
    assert_int_equal(tu_stats(sys).pagefile_slots, UMM_STORES_MAX * TU_MIB / PU_PG);
    umm_system_destroy(sys);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_pagefiles),
        cmocka_unit_test(test_list_only),
        cmocka_unit_test(test_bad_store_configs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
