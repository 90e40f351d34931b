/* SPDX-License-Identifier: MIT */
/* test_hv_store_redis.c - host paging of guests to a Redis store (umm_hv_host_config_t
 * .swap_store) on a redis-server started by the test: two guests write more than the host's
 * RAM, the host swaps to Redis, every byte reads back, and destroying the host removes its keys.
 * Skipped, saying why, without redis-server or hiredis. */
#include "hv_util.h"

#ifdef UMM_HAVE_HIREDIS
#include "redis_util.h"

static void test_host_swaps_to_redis(void **state) {
    (void)state;
    RU_SKIP_WITHOUT_REDIS();
    ru_server_t srv = {0};
    ru_start(&srv, 0, 0);
    char addr[32];
    ru_address(&srv, addr, sizeof addr);
    umm_store_config_t st = {.kind = UMM_STORE_REDIS, .bytes = 128 * HVU_MIB, .address = addr,
                             .prefix = "t:hv", .timeout_ms = 2000};
    umm_hv_host_config_t hc = hvu_host_cfg(32, 0, UMM_HV_NO_WORKERS | UMM_HV_NO_SHARING | HVU_NO_COMPRESSION);
    hc.swap_store = &st;
    umm_hv_host_t *h = NULL;
    assert_int_equal(umm_hv_host_create(&hc, &h), UMM_OK);
    umm_process_t *p[2];
    umm_hv_guest_t *g[2];
    unsigned char *base[2];
    const size_t n = HVU_PAGES(24);
    for (int k = 0; k < 2; k++) {
        g[k] = hvu_guest(h, 32, 32, UMM_CFG_NO_WORKERS, UMM_HV_GUEST_NO_BALLOON, &p[k]);
        base[k] = hvu_alloc(p[k], n);
    }
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 2; k++)
            tu_fill(hvu_pg(base[k], i), HVU_PG, 60 + (uint64_t)k);
    umm_hv_host_stats_t hs = hvu_hs(h);
    assert_true(hs.swapped_out > 0);
    assert_true(ru_cmd(srv.port, "DBSIZE") > 0);
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < n; i++)
            tu_assert_pattern(hvu_pg(base[k], i), HVU_PG, 60 + (uint64_t)k);
    assert_true(hvu_hs(h).swapped_in > 0);
    for (int k = 0; k < 2; k++)
        hvu_guest_consistent(g[k]);
    hvu_host_consistent(h);
    umm_hv_host_destroy(h);
    assert_int_equal(ru_cmd(srv.port, "DBSIZE"), 0);
    ru_destroy(&srv);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_host_swaps_to_redis)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

int main(void) {
    printf("SKIP: this build has no hiredis (libhiredis-dev): host paging to Redis not built\n");
    return 0;
}
#endif
