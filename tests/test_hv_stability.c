/* SPDX-License-Identifier: MIT */
/* test_hv_stability.c - the host policy is a stable controller: under a load that changes in
 * phases (experiment 3 of docs/experiments.md, in small) each guest's balloon target changes
 * direction at most twice per 30-step phase, with the same convergence of consumed memory to
 * the entitlements. Host and guests without workers (deterministic). */
#include "hv_util.h"

#define NOW UMM_CFG_NO_WORKERS

/* A guest of the run and the region of n pages it wrote. */
typedef struct sguest {
    umm_hv_guest_t *g;
    unsigned char *base;
    size_t n;
} sguest_t;

/* Stability (experiment 3 in small): three guests, shares 2:1:1, on a host under half their size, the
 * load moving in phases of 30 host steps (idle, A busy, A+B, A+B+C, B+C; each busy guest touches
 * random pages, a quarter writes). The policy's balloon targets may change direction at most
 * twice per guest per phase (a controller that follows sampling noise flips every step), and
 * with all three busy the guests' consumption follows their entitlements. */
enum { SG = 3, PHASE_TICKS = 30 };

static void stable_touch(sguest_t *b, uint64_t *seed, size_t ops) {
    for (size_t k = 0; k < ops; k++) {
        *seed = tu_mix(*seed + 1);
        size_t i = (size_t)(*seed % b->n);
        if ((*seed >> 62) == 0)
            hvu_mark(b->base, i, 2);
        else
            (void)*(volatile uint64_t *)(hvu_pg(b->base, i) + hvu_woff(i) * 8);
    }
}

static void test_policy_stable_targets(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(16, 64, UMM_HV_NO_WORKERS | UMM_HV_NO_SHARING | HVU_NO_COMPRESSION);
    sguest_t b[SG];
    static const unsigned shares[SG] = {2000, 1000, 1000};
    static const char *const phases[] = {"idle", "A", "AB", "ABC", "BC"};
    for (int k = 0; k < SG; k++) {
        umm_hv_guest_config_t c = hvu_guest_cfg(12, 24, NOW, 0);
        c.shares = shares[k];
        c.name = (const char *[]){"A", "B", "C"}[k];
        umm_process_t *p;
        b[k].g = hvu_guest_from(h, &c, &p);
        b[k].n = HVU_PAGES(8);
        b[k].base = hvu_alloc(p, b[k].n);
        hvu_mark_range(b[k].base, b[k].n, 2); /* boot: every page written */
    }
    uint64_t seed = 77, worst = 0;
    for (size_t ph = 0; ph < sizeof phases / sizeof *phases; ph++) {
        uint64_t rev0[SG];
        for (int k = 0; k < SG; k++)
            rev0[k] = hvu_gs(b[k].g).balloon_reversals;
        for (int t = 0; t < PHASE_TICKS; t++) {
            for (int k = 0; k < SG; k++) {
                if (strchr(phases[ph], "ABC"[k]))
                    stable_touch(&b[k], &seed, 600);
                assert_int_equal(umm_balance(umm_hv_guest_system(b[k].g)), UMM_OK);
            }
            assert_int_equal(umm_hv_host_step(h), UMM_OK);
        }
        for (int k = 0; k < SG; k++) {
            umm_hv_guest_stats_t s = hvu_gs(b[k].g);
            uint64_t rev = s.balloon_reversals - rev0[k];
            print_message("  phase %-4s guest %c: reversals %" PRIu64 ", consumed %" PRIu64
                          " entitlement %" PRIu64 " balloon %" PRIu64 "/%" PRIu64 "\n", phases[ph],
                          "ABC"[k], rev, s.consumed, s.entitlement, s.balloon_actual,
                          s.balloon_target);
            worst = rev > worst ? rev : worst;
            assert_true(rev <= 2);
        }
        if (!strcmp(phases[ph], "ABC")) { /* all busy: consumption follows the entitlements */
            uint64_t ctot = 0, etot = 0;
            umm_hv_guest_stats_t s[SG];
            for (int k = 0; k < SG; k++) {
                s[k] = hvu_gs(b[k].g);
                ctot += s[k].consumed;
                etot += s[k].entitlement;
            }
            for (int k = 0; k < SG; k++) {
                double cp = 100.0 * (double)s[k].consumed / (double)ctot;
                double ep = 100.0 * (double)s[k].entitlement / (double)etot;
                print_message("  ABC guest %c: consumed %.1f %% entitled %.1f %%\n", "ABC"[k], cp, ep);
                assert_true(cp > ep - 5.0 && cp < ep + 5.0);
            }
        }
    }
    for (int k = 0; k < SG; k++)
        for (size_t i = 0; i < b[k].n; i++)
            if (!hvu_marked(b[k].base, i, 2))
                fail_msg("guest %d page %zu lost", k, i);
    print_message("  most reversals in a phase: %" PRIu64 "\n", worst);
    for (int k = 0; k < SG; k++)
        hvu_guest_consistent(b[k].g);
    umm_hv_host_destroy(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_stable_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
