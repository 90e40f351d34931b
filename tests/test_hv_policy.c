/* SPDX-License-Identifier: MIT */
/* test_hv_policy.c - the host's policy (ESXi shares / reservation / limit, idle tax): two busy
 * guests with shares 2:1 on a host smaller than both converge to a 2:1 split of host memory;
 * a reservation is never undercut; a limit is never exceeded. Host and guests without workers:
 * each round every guest touches all its memory, runs its balance-set manager, and the host
 * takes one step. Sharing is off (address-keyed data would not share anyway). */
#include "hv_util.h"

#define PG HVU_PG
#define MIB HVU_MIB
#define NOW UMM_CFG_NO_WORKERS

typedef struct busy_guest {
    umm_hv_guest_t *g;
    umm_process_t *p;
    unsigned char *base;
    size_t n;
    uint64_t gen;
} busy_guest_t;

static void busy_touch(busy_guest_t *b) {
    b->gen++;
    for (size_t i = 0; i < b->n; i++) {
        if (b->gen > 1 && !hvu_marked(b->base, i, b->gen - 1))
            fail_msg("guest %s page %zu lost gen %" PRIu64, umm_hv_guest_name(b->g), i, b->gen - 1);
        hvu_mark(b->base, i, b->gen);
    }
    assert_int_equal(umm_balance(umm_hv_guest_system(b->g)), UMM_OK);
}

static void busy_init(busy_guest_t *b, umm_hv_host_t *h, const umm_hv_guest_config_t *cfg,
                      size_t npages) {
    b->g = hvu_guest_from(h, cfg, &b->p);
    b->n = npages;
    b->base = hvu_alloc(b->p, npages);
    b->gen = 0;
}

/* The entitlement the policy's formula gives guest a next to guest b (policy.c: shares per
 * page with idle pages taxed, weight = shares / (active + k (1 - active)), k = 1/(1 - tax)),
 * splitting what the two hold between them by weight; a guest whose part would pass its RAM
 * gets its RAM and the other the rest (the policy water-fills within [0, RAM]: a busy big guest
 * reaches its RAM when its activity is high). */
static double expected_eratio(const umm_hv_guest_stats_t *a, const umm_hv_guest_stats_t *b,
                              unsigned tax_pct) {
    double k = 100.0 / (100.0 - tax_pct);
    double aa = (double)a->active_pct / 100.0, ab = (double)b->active_pct / 100.0;
    double wa = a->shares / (aa + k * (1 - aa)), wb = b->shares / (ab + k * (1 - ab));
    double m = (double)(a->entitlement + b->entitlement), ea = m * wa / (wa + wb);
    if (ea > (double)a->guest_frames)
        ea = (double)a->guest_frames;
    if (m - ea > (double)b->guest_frames)
        ea = m - (double)b->guest_frames;
    return ea / (m - ea);
}

/* Shares 2000:1000 on a host (48 MiB) smaller than both guests (2 x 32 MiB, 28 MiB written
 * each). `busy`: every round both guests rewrite all their memory before the host steps;
 * otherwise they write it once and then idle. Returns the consumed ratio, mean of the last 8
 * rounds, each measured both after the guests' touches and after the host step. */
static double shares_run(int busy, int rounds, double *eratio_out, double *expected_out) {
    umm_hv_host_t *h = hvu_host(48, 128, UMM_HV_NO_WORKERS | UMM_HV_NO_SHARING);
    busy_guest_t b[2];
    umm_hv_guest_config_t ca = hvu_guest_cfg(32, 96, NOW, 0);
    ca.shares = 2000;
    ca.name = "big";
    umm_hv_guest_config_t cb = hvu_guest_cfg(32, 96, NOW, 0);
    cb.shares = 1000;
    cb.name = "small";
    busy_init(&b[0], h, &ca, HVU_PAGES(28));
    busy_init(&b[1], h, &cb, HVU_PAGES(28));
    double t0 = hvu_now(), sum = 0;
    int nsum = 0;
    umm_hv_guest_stats_t s0, s1;
    for (int r = 0; r < rounds; r++) {
        if (busy || r == 0) {
            busy_touch(&b[0]);
            busy_touch(&b[1]);
        } else {
            assert_int_equal(umm_balance(umm_hv_guest_system(b[0].g)), UMM_OK);
            assert_int_equal(umm_balance(umm_hv_guest_system(b[1].g)), UMM_OK);
        }
        s0 = hvu_gs(b[0].g);
        s1 = hvu_gs(b[1].g);
        if (r >= rounds - 8 && s1.consumed) {
            sum += (double)s0.consumed / (double)s1.consumed;
            nsum++;
        }
        assert_int_equal(umm_hv_host_step(h), UMM_OK);
        s0 = hvu_gs(b[0].g);
        s1 = hvu_gs(b[1].g);
        if (r >= rounds - 8 && s1.consumed) {
            sum += (double)s0.consumed / (double)s1.consumed;
            nsum++;
        }
        if (r % 5 == 4 || r == rounds - 1)
            print_message("  %s round %2d: consumed %5" PRIu64 " / %5" PRIu64 " ent %5" PRIu64
                          " / %5" PRIu64 " balloon %5" PRIu64 "/%" PRIu64 " , %5" PRIu64 "/%" PRIu64
                          " deflate-on-pressure %" PRIu64 "/%" PRIu64 " active %" PRIu64 "/%" PRIu64
                          "%% host-swapped %" PRIu64 "/%" PRIu64 "\n", busy ? "busy" : "idle", r,
                          s0.consumed, s1.consumed, s0.entitlement, s1.entitlement,
                          s0.balloon_actual, s0.balloon_target, s1.balloon_actual,
                          s1.balloon_target, s0.balloon_deflate_on_pressure,
                          s1.balloon_deflate_on_pressure, s0.active_pct, s1.active_pct,
                          s0.host_swapped, s1.host_swapped);
    }
    print_message("  %d rounds in %.1f s\n", rounds, hvu_now() - t0);
    *eratio_out = (double)s0.entitlement / (double)s1.entitlement;
    *expected_out = expected_eratio(&s0, &s1, 75);
    assert_true(hvu_hs(h).policy_passes >= (uint64_t)rounds);
    /* whatever happened, nobody's data was lost */
    for (int k = 0; k < 2; k++) {
        hvu_assert_range(b[k].base, b[k].n, b[k].gen);
        hvu_guest_consistent(b[k].g);
    }
    hvu_host_consistent(h);
    umm_hv_host_destroy(h);
    return nsum ? sum / nsum : 0;
}

/* Idle guests (written once, then only their balancers run): equal (zero) activity, so the
 * entitlements are exactly 2:1 up to rounding (+-2.5 %) and equal the formula. (What they hold
 * is NOT asserted here: pages the host swapped while they were written stay in the host swap
 * while idle, as in ESXi; the busy test below asserts the convergence of consumed memory.) */
static void test_policy_entitlement_shares_2_to_1(void **state) {
    (void)state;
    double eratio, expected;
    double ratio = shares_run(0, 12, &eratio, &expected);
    print_message("  idle: consumed ratio %.2f (not asserted), entitlement ratio %.3f (formula %.3f)\n",
                  ratio, eratio, expected);
    assert_true(eratio >= expected * 0.975 && eratio <= expected * 1.025);
    assert_true(eratio >= 1.95 && eratio <= 2.05);
}

/* Regression (this test found the library bug it describes; fixed since): the same with both guests busy (each round they
 * rewrite all 28 MiB). The entitlements follow the formula (idle tax included), but what the
 * guests hold does not converge: the small guest's balloon is handed back on every burst of
 * faults (balloon_deflate_on_pressure grows each round although the guest has a paging file:
 * mm/reclaim.c mm_reclaim_for_fault() deflates before trimming/writing), and the host's swapper
 * (hostswap.c, a clock over all host frames) then takes the frames from whichever guest,
 * ignoring entitlements. Observed consumed ratio ~0.9 instead of ~2. */
static void test_policy_shares_2_to_1_busy(void **state) {
    (void)state;
    double eratio, expected;
    double ratio = shares_run(1, 12, &eratio, &expected);
    print_message("  busy: consumed ratio %.2f, entitlement ratio %.3f (formula %.3f)\n", ratio,
                  eratio, expected);
    assert_true(eratio >= expected * 0.975 && eratio <= expected * 1.025);
    assert_true(ratio >= 1.6 && ratio <= 2.4);
}

/* Reservation and limit under overcommit: guest R has a reservation of 20 MiB and the lowest
 * shares; guest L a limit of 12 MiB and the highest; guest N is normal; all three busy. After
 * every host step: entitlement(R) >= reservation, entitlement(L) <= limit, and consumed(L) <=
 * limit + the part of its balloon not yet inflated (the balloon is the host's only lever on a
 * guest's memory besides swapping: consumed <= RAM - balloon_actual, which is <= limit once
 * actual == target). */
typedef struct rl_run {
    busy_guest_t b[3];
    umm_hv_host_t *h;
} rl_run_t;

static void rl_setup(rl_run_t *x) {
    x->h = hvu_host(48, 128, UMM_HV_NO_WORKERS | UMM_HV_NO_SHARING);
    umm_hv_guest_config_t cr = hvu_guest_cfg(32, 96, NOW, 0);
    cr.shares = 500;
    cr.reservation_bytes = 20 * MIB;
    cr.name = "reserved";
    umm_hv_guest_config_t cl = hvu_guest_cfg(32, 96, NOW, 0);
    cl.shares = 4000;
    cl.limit_bytes = 12 * MIB;
    cl.name = "limited";
    umm_hv_guest_config_t cn = hvu_guest_cfg(32, 96, NOW, 0);
    cn.name = "normal";
    busy_init(&x->b[0], x->h, &cr, HVU_PAGES(24));
    busy_init(&x->b[1], x->h, &cl, HVU_PAGES(24));
    busy_init(&x->b[2], x->h, &cn, HVU_PAGES(24));
}

static void rl_teardown(rl_run_t *x) {
    for (int k = 0; k < 3; k++) {
        hvu_assert_range(x->b[k].base, x->b[k].n, x->b[k].gen);
        hvu_guest_consistent(x->b[k].g);
    }
    hvu_host_consistent(x->h);
    umm_hv_host_destroy(x->h);
}

static void test_policy_reservation_and_limit(void **state) {
    (void)state;
    rl_run_t x;
    rl_setup(&x);
    const uint64_t R = HVU_PAGES(20), L = HVU_PAGES(12);
    for (int r = 0; r < 10; r++) {
        for (int k = 0; k < 3; k++)
            busy_touch(&x.b[k]);
        assert_int_equal(umm_hv_host_step(x.h), UMM_OK);
        umm_hv_guest_stats_t sr = hvu_gs(x.b[0].g), sl = hvu_gs(x.b[1].g), sn = hvu_gs(x.b[2].g);
        assert_int_equal(sr.reservation, R);
        assert_int_equal(sl.limit, L);
        if (sr.entitlement < R)
            fail_msg("round %d: reserved guest entitlement %" PRIu64 " < reservation %" PRIu64, r,
                     sr.entitlement, R);
        if (sl.entitlement > L)
            fail_msg("round %d: limited guest entitlement %" PRIu64 " > limit %" PRIu64, r,
                     sl.entitlement, L);
        /* the entitlements never hand out more than the host has */
        assert_true(sr.entitlement + sl.entitlement + sn.entitlement <= hvu_hs(x.h).host_frames);
        /* what a guest holds is bounded by its RAM minus its balloon */
        for (int k = 0; k < 3; k++) {
            umm_hv_guest_stats_t s = hvu_gs(x.b[k].g);
            assert_true(s.consumed + s.balloon_actual <= s.guest_frames);
        }
        uint64_t slack = sl.balloon_target > sl.balloon_actual ? sl.balloon_target - sl.balloon_actual : 0;
        if (sl.consumed > L + slack)
            fail_msg("round %d: limited guest consumed %" PRIu64 " > limit %" PRIu64 " + %" PRIu64, r,
                     sl.consumed, L, slack);
        /* the policy aims the limited guest's balloon at (at least) RAM - limit */
        assert_true(sl.balloon_target >= sl.guest_frames - L);
        if (r % 4 == 3)
            print_message("  round %2d: ent R %" PRIu64 " L %" PRIu64 " N %" PRIu64
                          "; consumed R %" PRIu64 " L %" PRIu64 " N %" PRIu64 "; balloon L %" PRIu64
                          "/%" PRIu64 " deflate-on-pressure L %" PRIu64 "\n", r, sr.entitlement,
                          sl.entitlement, sn.entitlement, sr.consumed, sl.consumed, sn.consumed,
                          sl.balloon_actual, sl.balloon_target, sl.balloon_deflate_on_pressure);
    }
    rl_teardown(&x);
}

/* Regression (this test found the library bug it describes; fixed since): in the same busy run, (a) the reserved guest is
 * host-swapped far below its reservation ("host memory guaranteed to it", umm_hv.h): hostswap.c
 * picks victims by a clock over all host frames without looking at reservations; observed
 * consumed(R) == 0 with all its data in the host swap; (b) the limited guest's balloon never
 * reaches its target (deflate-on-pressure, see test_policy_shares_2_to_1_busy), so it
 * keeps more than its limit. Checked after every round from round 4 on: consumed(R) >= R / 2
 * right after R touched its memory, and at the end actual == target, consumed(L) <= limit. */
static void test_policy_reservation_limit_honoured(void **state) {
    (void)state;
    rl_run_t x;
    rl_setup(&x);
    const uint64_t R = HVU_PAGES(20), L = HVU_PAGES(12);
    uint64_t min_r = UINT64_MAX;
    for (int r = 0; r < 10; r++) {
        for (int k = 0; k < 3; k++) {
            busy_touch(&x.b[k]);
            uint64_t c = hvu_gs(x.b[0].g).consumed;
            if (r >= 4 && c < min_r)
                min_r = c;
        }
        assert_int_equal(umm_hv_host_step(x.h), UMM_OK);
        uint64_t c = hvu_gs(x.b[0].g).consumed;
        if (r >= 4 && c < min_r)
            min_r = c;
    }
    umm_hv_guest_stats_t sr = hvu_gs(x.b[0].g), sl = hvu_gs(x.b[1].g);
    print_message("  reserved guest: min consumed %" PRIu64 " (reservation %" PRIu64 "), host-swapped %"
                  PRIu64 "; limited guest: consumed %" PRIu64 " (limit %" PRIu64 ") balloon %" PRIu64
                  "/%" PRIu64 " deflate-on-pressure %" PRIu64 "\n", min_r, R, sr.host_swapped,
                  sl.consumed, L, sl.balloon_actual, sl.balloon_target,
                  sl.balloon_deflate_on_pressure);
    int ok_r = min_r >= R / 2;
    int ok_l = sl.balloon_actual == sl.balloon_target && sl.consumed <= L;
    rl_teardown(&x);
    assert_true(ok_r);
    assert_true(ok_l);
}

/* Regression (this test found the library bug it describes; fixed since): a limit with NO overcommit. The host has plenty
 * of memory, yet umm_hv.h says a limit is "host memory it may never exceed". One guest of 32 MiB
 * with a limit of 8 MiB writes 24 MiB on a 128 MiB host; after the policy has run, consumed
 * must be <= limit (+ the not yet inflated part of the balloon). policy.c set_targets() only
 * sets a balloon target when the guests are promised more than 94 % of the host
 * (promised > m), so the limit is not applied at all: observed consumed 6144 > 2048, target 0. */
static void test_policy_limit_without_overcommit(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(128, 0, UMM_HV_NO_WORKERS | UMM_HV_NO_SHARING);
    busy_guest_t b;
    umm_hv_guest_config_t cl = hvu_guest_cfg(32, 64, NOW, 0);
    cl.limit_bytes = 8 * MIB;
    busy_init(&b, h, &cl, HVU_PAGES(24));
    const uint64_t L = HVU_PAGES(8);
    for (int r = 0; r < 10; r++) {
        busy_touch(&b);
        assert_int_equal(umm_hv_host_step(h), UMM_OK);
    }
    umm_hv_guest_stats_t s = hvu_gs(b.g);
    print_message("  limit w/o overcommit: limit %" PRIu64 " entitlement %" PRIu64 " consumed %" PRIu64
                  " balloon %" PRIu64 "/%" PRIu64 " host state %s\n", L, s.entitlement, s.consumed,
                  s.balloon_actual, s.balloon_target, umm_hv_state_name(hvu_hs(h).state));
    hvu_assert_range(b.base, b.n, b.gen);
    hvu_guest_consistent(b.g);
    umm_hv_host_destroy(h);
    assert_true(s.entitlement <= L);
    uint64_t slack = s.balloon_target > s.balloon_actual ? s.balloon_target - s.balloon_actual : 0;
    assert_true(s.consumed <= L + slack);
    assert_true(s.balloon_target >= s.guest_frames - L);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_entitlement_shares_2_to_1),
        cmocka_unit_test(test_policy_shares_2_to_1_busy),
        cmocka_unit_test(test_policy_reservation_and_limit),
        cmocka_unit_test(test_policy_reservation_limit_honoured),
        cmocka_unit_test(test_policy_limit_without_overcommit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
