/* SPDX-License-Identifier: MIT */
/* test_hv.c - the mini-hypervisor: host creation and validation, a guest as a complete umm
 * system, overcommit and admission control, untouched guest pages costing the host nothing,
 * bad input on every hv entry point, and destroying a guest while others keep running.
 * Hosts run with UMM_HV_NO_WORKERS and guests with UMM_CFG_NO_WORKERS: everything here is
 * deterministic and driven by hand. */
#include "hv_util.h"

#define PG HVU_PG
#define MIB HVU_MIB
#define NOW UMM_CFG_NO_WORKERS

/* ============================================================================================
 * host creation
 * ========================================================================================== */

static void test_host_create_validation(void **state) {
    (void)state;
    umm_hv_host_t *h = (umm_hv_host_t *)0x1;
    umm_hv_host_config_t c = hvu_host_cfg(16, 0, UMM_HV_NO_WORKERS);
    assert_int_equal(umm_hv_host_create(NULL, &h), UMM_E_INVAL);
    assert_int_equal(umm_hv_host_create(&c, NULL), UMM_E_INVAL);

    umm_hv_host_config_t b = c;
    b.page_size = 8192; /* must be the OS page size */
    assert_int_equal(umm_hv_host_create(&b, &h), UMM_E_INVAL);
    b.page_size = 0;
    assert_int_equal(umm_hv_host_create(&b, &h), UMM_E_INVAL);
    b.page_size = 1000;
    assert_int_equal(umm_hv_host_create(&b, &h), UMM_E_INVAL);

    b = c;
    b.ram_bytes = 63 * PG; /* fewer than 64 pages */
    assert_int_equal(umm_hv_host_create(&b, &h), UMM_E_INVAL);
    b.ram_bytes = 0;
    assert_int_equal(umm_hv_host_create(&b, &h), UMM_E_INVAL);
    b.ram_bytes = 16 * MIB + 100; /* not a whole number of pages */
    assert_int_equal(umm_hv_host_create(&b, &h), UMM_E_INVAL);

    b = c;
    b.swap_bytes = PG + 1;
    assert_int_equal(umm_hv_host_create(&b, &h), UMM_E_INVAL);
    b = c;
    b.idle_tax_pct = 100; /* an idle page would cost infinitely much */
    assert_int_equal(umm_hv_host_create(&b, &h), UMM_E_INVAL);
    b = c;
    b.flags = 0x80;
    assert_int_equal(umm_hv_host_create(&b, &h), UMM_E_INVAL);
    assert_ptr_equal(h, (umm_hv_host_t *)0x1); /* untouched on failure */

    /* the smallest legal host, and stats of a fresh host */
    b = c;
    b.ram_bytes = 64 * PG;
    h = NULL;
    assert_int_equal(umm_hv_host_create(&b, &h), UMM_OK);
    umm_hv_host_stats_t s = hvu_hs(h);
    assert_int_equal(s.host_frames, 64);
    assert_int_equal(s.free_frames, 63); /* frame 0 is the zero frame */
    assert_int_equal(s.guests, 0);
    assert_int_equal(s.swap_slots, 0);
    umm_hv_host_destroy(h);

    h = hvu_host(16, 8, UMM_HV_NO_WORKERS);
    s = hvu_hs(h);
    assert_int_equal(s.host_frames, HVU_PAGES(16));
    assert_int_equal(s.swap_slots, HVU_PAGES(8));
    assert_int_equal(s.swap_used, 0);
    assert_int_equal(s.state, UMM_HV_STATE_HIGH);
    assert_string_equal(umm_hv_state_name(s.state), "high");
    umm_hv_host_destroy(h);
}

/* ============================================================================================
 * a guest is a complete umm system
 * ========================================================================================== */

static void test_guest_is_umm_system(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(64, 64, UMM_HV_NO_WORKERS);
    umm_process_t *p;
    umm_hv_guest_config_t gc = hvu_guest_cfg(32, 0, NOW, 0);
    gc.name = "alpha";
    umm_hv_guest_t *g = hvu_guest_from(h, &gc, &p);
    umm_system_t *sys = umm_hv_guest_system(g);
    assert_string_equal(umm_hv_guest_name(g), "alpha");
    assert_int_equal(hvu_hs(h).guests, 1);

    umm_stats_t st = tu_stats(sys);
    assert_int_equal(st.total_frames, HVU_PAGES(32));
    umm_hv_guest_stats_t gs = hvu_gs(g);
    assert_int_equal(gs.guest_frames, HVU_PAGES(32));
    assert_int_equal(gs.private_frames, 0);
    assert_int_equal(gs.shares, 1000); /* 0 means the default */
    assert_int_equal(gs.limit, HVU_PAGES(32)); /* 0 means its RAM */

    /* reserve, commit, touch */
    size_t n = HVU_PAGES(8);
    void *base = tu_reserve(p, 8 * MIB, TU_RW);
    umm_region_info_t ri;
    assert_int_equal(umm_query(p, base, &ri), UMM_OK);
    assert_int_equal(ri.state, UMM_REGION_RESERVED);
    assert_int_equal(umm_commit(p, base, 8 * MIB, TU_RW), UMM_OK);
    assert_int_equal(umm_query(p, base, &ri), UMM_OK);
    assert_int_equal(ri.state, UMM_REGION_COMMITTED);
    for (size_t i = 0; i < n; i++)
        tu_fill(hvu_pg(base, i), PG, 1);
    for (size_t i = 0; i < n; i++)
        tu_assert_pattern(hvu_pg(base, i), PG, 1);
    umm_process_stats_t ps = tu_pstats(p);
    assert_true(ps.working_set >= n);
    assert_int_equal(ps.committed, n);
    gs = hvu_gs(g);
    assert_true(gs.private_frames >= n);
    assert_true(gs.nested_zero_fill >= n);
    hvu_guest_consistent(g);

    /* empty the working set: the frames go to Modified (no paging file: they stay), the next
     * touch is a soft (transition) fault and the data is the same */
    umm_stats_t before = tu_stats(sys);
    assert_int_equal(umm_ws_empty(p), UMM_OK);
    assert_int_equal(tu_pstats(p).working_set, 0);
    for (size_t i = 0; i < n; i++)
        tu_assert_pattern(hvu_pg(base, i), PG, 1);
    umm_stats_t after = tu_stats(sys);
    assert_true(after.faults_transition >= before.faults_transition + n);
    assert_int_equal(after.faults_hard, before.faults_hard);
    hvu_guest_consistent(g);

    /* decommit half, the pages read zero after a recommit */
    assert_int_equal(umm_decommit(p, base, 4 * MIB), UMM_OK);
    assert_int_equal(umm_commit(p, base, 4 * MIB, TU_RW), UMM_OK);
    for (size_t i = 0; i < n / 2; i++)
        assert_true(tu_is_zero(hvu_pg(base, i), PG));
    for (size_t i = n / 2; i < n; i++)
        tu_assert_pattern(hvu_pg(base, i), PG, 1);
    assert_int_equal(umm_release(p, base), UMM_OK);
    hvu_guest_consistent(g);
    hvu_host_consistent(h);
    umm_hv_host_destroy(h); /* destroys the guest too */
}

/* ============================================================================================
 * overcommit and admission control
 * ========================================================================================== */

static void test_overcommit_and_admission(void **state) {
    (void)state;
    /* 64 MiB of RAM + 128 MiB of swap: it can back a little under 192 MiB of guest RAM */
    umm_hv_host_t *h = hvu_host(64, 128, UMM_HV_NO_WORKERS);
    umm_process_t *pa, *pb, *pc;
    umm_hv_guest_config_t ca = hvu_guest_cfg(48, 0, NOW, 0);
    ca.reservation_bytes = 30 * MIB;
    umm_hv_guest_t *ga = hvu_guest_from(h, &ca, &pa);
    umm_hv_guest_t *gb = hvu_guest(h, 48, 0, NOW, 0, &pb);
    umm_hv_guest_t *gc = hvu_guest(h, 48, 0, NOW, 0, &pc);
    umm_hv_host_stats_t hs = hvu_hs(h);
    assert_int_equal(hs.guests, 3);
    /* 144 MiB promised on 64 MiB */
    assert_true(hs.overcommit > 1.0);
    assert_true(hs.overcommit > 2.2 && hs.overcommit < 2.3);
    assert_int_equal(hvu_gs(ga).reservation, HVU_PAGES(30));

    umm_hv_guest_t *bad = (umm_hv_guest_t *)0x1;
    /* one guest bigger than RAM + swap */
    umm_hv_guest_config_t big = hvu_guest_cfg(200, 0, NOW, 0);
    assert_int_equal(umm_hv_guest_create(h, &big, &bad), UMM_E_COMMIT_LIMIT);
    /* 64 more MiB: 208 promised > 192 backable */
    umm_hv_guest_config_t more = hvu_guest_cfg(64, 0, NOW, 0);
    assert_int_equal(umm_hv_guest_create(h, &more, &bad), UMM_E_COMMIT_LIMIT);
    /* a reservation the host cannot honour next to A's 30 MiB (64 MiB - 1/16 = 60 MiB room) */
    umm_hv_guest_config_t res = hvu_guest_cfg(16, 0, NOW, 0);
    res.reservation_bytes = 31 * MIB;
    assert_int_equal(umm_hv_guest_create(h, &res, &bad), UMM_E_COMMIT_LIMIT);
    assert_ptr_equal(bad, (umm_hv_guest_t *)0x1);
    hs = hvu_hs(h);
    assert_int_equal(hs.guests, 3); /* failed creates leave nothing behind */
    assert_true(hs.overcommit > 2.2 && hs.overcommit < 2.3);

    /* 40 MiB still fit (184 <= 192), and a 29 MiB reservation too (59 <= 60) */
    umm_hv_guest_config_t fits = hvu_guest_cfg(40, 0, NOW, 0);
    fits.reservation_bytes = 29 * MIB;
    umm_hv_guest_t *gd = NULL;
    assert_int_equal(umm_hv_guest_create(h, &fits, &gd), UMM_OK);
    assert_int_equal(hvu_hs(h).guests, 4);
    umm_hv_guest_destroy(gd);
    assert_int_equal(hvu_hs(h).guests, 3);

    /* the other guests keep working: each writes 8 MiB, reads it back */
    umm_process_t *ps[3] = {pa, pb, pc};
    umm_hv_guest_t *gs[3] = {ga, gb, gc};
    void *base[3];
    for (int k = 0; k < 3; k++) {
        base[k] = hvu_alloc(ps[k], HVU_PAGES(8));
        hvu_mark_range(base[k], HVU_PAGES(8), 10 + (uint64_t)k);
    }
    for (int k = 0; k < 3; k++) {
        hvu_assert_range(base[k], HVU_PAGES(8), 10 + (uint64_t)k);
        assert_true(hvu_gs(gs[k]).private_frames >= HVU_PAGES(8));
        hvu_guest_consistent(gs[k]);
    }
    hvu_host_consistent(h);
    umm_hv_host_destroy(h);
}

/* ============================================================================================
 * untouched pages cost nothing
 * ========================================================================================== */

static void test_untouched_pages_cost_nothing(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(128, 0, UMM_HV_NO_WORKERS);
    uint64_t free0 = hvu_hs(h).free_frames;
    umm_process_t *p;
    umm_hv_guest_t *g = hvu_guest(h, 64, 0, NOW, 0, &p);
    /* creating a guest costs the host no frames */
    assert_int_equal(hvu_hs(h).free_frames, free0);
    assert_int_equal(hvu_gs(g).granted, 0);

    size_t n = HVU_PAGES(32);
    unsigned char *base = hvu_alloc(p, n);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += ((volatile unsigned char *)base)[i * PG + (i % PG)];
    assert_int_equal(sum, 0);
    /* the guest made all of them valid (its own working set)... */
    assert_true(tu_pstats(p).working_set >= n);
    umm_hv_guest_stats_t gs = hvu_gs(g);
    /* ...but none has a host frame: reads map the zero page */
    assert_true(gs.granted <= 8);
    assert_true(gs.private_frames <= 8);
    assert_true(gs.nested_zero_fill <= 8);
    uint64_t free1 = hvu_hs(h).free_frames;
    assert_true(free0 - free1 <= 8);

    /* writes: one host frame per page written */
    size_t w = 1000;
    for (size_t i = 0; i < w; i++)
        hvu_mark(base, i, 3);
    umm_hv_guest_stats_t gs2 = hvu_gs(g);
    assert_true(gs2.private_frames >= gs.private_frames + w);
    assert_true(gs2.private_frames <= gs.private_frames + w + 16);
    assert_true(gs2.nested_zero_fill >= gs.nested_zero_fill + w);
    assert_true(gs2.nested_zero_fill <= gs.nested_zero_fill + w + 16);
    uint64_t free2 = hvu_hs(h).free_frames;
    assert_int_equal(free1 - free2, gs2.private_frames - gs.private_frames);
    hvu_assert_range(base, w, 3);
    for (size_t i = w; i < n; i++)
        assert_int_equal(((volatile unsigned char *)base)[i * PG + (i % PG)], 0);
    hvu_guest_consistent(g);
    hvu_host_consistent(h);
    umm_hv_host_destroy(h);
}

/* ============================================================================================
 * bad input
 * ========================================================================================== */

static void test_bad_input(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(32, 32, UMM_HV_NO_WORKERS);
    umm_hv_guest_config_t gc = hvu_guest_cfg(16, 0, NOW, 0);
    umm_hv_guest_t *g = NULL, *bad = (umm_hv_guest_t *)0x1;

    assert_int_equal(umm_hv_guest_create(NULL, &gc, &bad), UMM_E_INVAL);
    assert_int_equal(umm_hv_guest_create(h, NULL, &bad), UMM_E_INVAL);
    assert_int_equal(umm_hv_guest_create(h, &gc, NULL), UMM_E_INVAL);
    umm_hv_guest_config_t b = gc;
    b.sys.page_size = 8192;
    assert_int_equal(umm_hv_guest_create(h, &b, &bad), UMM_E_INVAL);
    b = gc;
    b.flags = 0x100;
    assert_int_equal(umm_hv_guest_create(h, &b, &bad), UMM_E_INVAL);
    b = gc;
    b.reservation_bytes = 8 * MIB;
    b.limit_bytes = 4 * MIB; /* limit < reservation */
    assert_int_equal(umm_hv_guest_create(h, &b, &bad), UMM_E_INVAL);
    b = gc;
    b.sys.ram_bytes = 0; /* the guest system itself refuses it */
    assert_int_not_equal(umm_hv_guest_create(h, &b, &bad), UMM_OK);
    assert_ptr_equal(bad, (umm_hv_guest_t *)0x1);
    assert_int_equal(hvu_hs(h).guests, 0);

    assert_int_equal(umm_hv_guest_create(h, &gc, &g), UMM_OK);
    size_t frames = HVU_PAGES(16);
    assert_int_equal(umm_hv_balloon_set_target(NULL, 1), UMM_E_INVAL);
    assert_int_equal(umm_hv_balloon_set_target(g, frames + 1), UMM_E_RANGE);
    assert_int_equal(umm_hv_balloon_set_target(g, SIZE_MAX), UMM_E_RANGE);
    assert_int_equal(hvu_gs(g).balloon_target, 0); /* unchanged by the refusals */
    assert_int_equal(umm_hv_balloon_auto(NULL), UMM_E_INVAL);
    assert_int_equal(umm_hv_guest_set_policy(NULL, 1000, 0, 0), UMM_E_INVAL);
    assert_int_equal(umm_hv_guest_set_policy(g, 1000, 8 * MIB, 4 * MIB), UMM_E_INVAL);
    /* a reservation beyond the host or beyond the guest's own RAM */
    assert_int_equal(umm_hv_guest_set_policy(g, 1000, 31 * MIB, 0), UMM_E_COMMIT_LIMIT);
    assert_int_equal(umm_hv_guest_set_policy(g, 1000, 17 * MIB, 0), UMM_E_COMMIT_LIMIT);
    umm_hv_guest_stats_t gs = hvu_gs(g);
    assert_int_equal(gs.shares, 1000);
    assert_int_equal(gs.reservation, 0);
    assert_int_equal(gs.limit, frames);
    /* a good one takes effect */
    assert_int_equal(umm_hv_guest_set_policy(g, 500, 4 * MIB, 8 * MIB), UMM_OK);
    gs = hvu_gs(g);
    assert_int_equal(gs.shares, 500);
    assert_int_equal(gs.reservation, HVU_PAGES(4));
    assert_int_equal(gs.limit, HVU_PAGES(8));

    umm_hv_guest_stats_t s;
    umm_hv_host_stats_t hs;
    assert_int_equal(umm_hv_guest_stats(NULL, &s), UMM_E_INVAL);
    assert_int_equal(umm_hv_guest_stats(g, NULL), UMM_E_INVAL);
    assert_int_equal(umm_hv_host_stats(NULL, &hs), UMM_E_INVAL);
    assert_int_equal(umm_hv_host_stats(h, NULL), UMM_E_INVAL);
    assert_int_equal(umm_hv_host_step(NULL), UMM_E_INVAL);
    uint64_t m = 77;
    assert_int_equal(umm_hv_share_scan(NULL, 10, &m), UMM_E_INVAL);
    assert_int_equal(umm_hv_share_scan(h, 10, NULL), UMM_OK); /* merged is optional */
    assert_null(umm_hv_guest_system(NULL));
    assert_null(umm_hv_guest_name(NULL));
    assert_string_equal(umm_hv_guest_name(g), "guest"); /* NULL name: a default */
    assert_string_equal(umm_hv_state_name(UMM_HV_STATE_LOW), "low");
    assert_string_equal(umm_hv_state_name((umm_hv_state_t)99), "invalid");
    umm_hv_guest_destroy(NULL);
    umm_hv_host_destroy(NULL);

    /* no balloon driver */
    umm_hv_guest_t *nb = hvu_guest(h, 8, 0, NOW, UMM_HV_GUEST_NO_BALLOON, NULL);
    assert_int_equal(umm_hv_balloon_set_target(nb, 16), UMM_E_NOT_SUPPORTED);
    assert_int_equal(hvu_gs(nb).balloon_target, 0);
    hvu_guest_consistent(g);
    umm_hv_host_destroy(h);
}

/* ============================================================================================
 * destroying a guest
 * ========================================================================================== */

/* Three guests, each with 1024 pages of content identical across guests (shared after a scan)
 * and 1024 pages of its own; the host is small enough that part of it is in the host swap.
 * Destroying the middle one frees exactly its private frames and its swap slots, and the others'
 * data (shared pages included) is intact and still copy-on-write. */
static void test_destroy_guest_leaves_others(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(20, 64, UMM_HV_NO_WORKERS | HVU_NO_COMPRESSION);
    umm_process_t *p[3];
    umm_hv_guest_t *g[3];
    unsigned char *shb[3], *own[3];
    const size_t n = 1024;
    for (int k = 0; k < 3; k++) {
        g[k] = hvu_guest(h, 16, 0, NOW, UMM_HV_GUEST_NO_BALLOON, &p[k]);
        shb[k] = hvu_alloc(p[k], n);
        own[k] = hvu_alloc(p[k], n);
        for (size_t i = 0; i < n; i++) {
            hvu_ifill(hvu_pg(shb[k], i), i);
            tu_fill(hvu_pg(own[k], i), PG, 20 + (uint64_t)k);
        }
    }
    /* 6144 pages written on a 5120-frame host */
    umm_hv_host_stats_t hs = hvu_hs(h);
    assert_true(hs.swapped_out > 0);
    uint64_t merged = hvu_scan_all(h, 3 * HVU_PAGES(16), 3);
    assert_true(merged > 0);
    umm_hv_guest_stats_t g1 = hvu_gs(g[1]);
    hs = hvu_hs(h);
    print_message("  destroy: guest1 private %" PRIu64 " shared %" PRIu64 " swapped %" PRIu64
                  " host free %" PRIu64 " swap_used %" PRIu64 "\n",
                  g1.private_frames, g1.shared, g1.host_swapped, hs.free_frames, hs.swap_used);
    /* guest 1's shared frames: are they all shared with a guest that stays? (sharers of one
     * content are all guests that had it in RAM at scan time) -- only count the frames whose
     * ref drops to 0 as freed: recompute from the others' view after the destroy */
    uint64_t shared_frames_before = hs.shared_frames;
    umm_hv_guest_destroy(g[1]);
    umm_hv_host_stats_t hs2 = hvu_hs(h);
    assert_int_equal(hs2.guests, 2);
    /* swap slots: exactly the ones guest 1 had */
    assert_int_equal(hs.swap_used - hs2.swap_used, g1.host_swapped);
    /* frames: its private frames plus the shared frames it was the last sharer of */
    uint64_t lost_shared = shared_frames_before - hs2.shared_frames;
    assert_int_equal(hs2.free_frames - hs.free_frames, g1.private_frames + lost_shared);
    assert_true(hs2.free_frames > hs.free_frames);

    int keep[2] = {0, 2};
    for (int j = 0; j < 2; j++) {
        int k = keep[j];
        for (size_t i = 0; i < n; i++) {
            hvu_assert_ipage(hvu_pg(shb[k], i), i);
            tu_assert_pattern(hvu_pg(own[k], i), PG, 20 + (uint64_t)k);
        }
        hvu_guest_consistent(g[k]);
    }
    /* copy on write between the survivors still works */
    hvu_scan_all(h, 3 * HVU_PAGES(16), 2);
    ((volatile unsigned char *)shb[0])[5 * PG] ^= 0xFF;
    hvu_assert_ipage(hvu_pg(shb[2], 5), 5);
    assert_false(hvu_ichecks(hvu_pg(shb[0], 5), 5));
    ((volatile unsigned char *)shb[0])[5 * PG] ^= 0xFF;
    hvu_assert_ipage(hvu_pg(shb[0], 5), 5);
    hvu_host_consistent(h);
    /* a new guest can take the place */
    umm_process_t *pn;
    umm_hv_guest_t *gn = hvu_guest(h, 16, 0, NOW, 0, &pn);
    unsigned char *nb = hvu_alloc(pn, 512);
    hvu_mark_range(nb, 512, 9);
    hvu_assert_range(nb, 512, 9);
    hvu_guest_consistent(gn);
    umm_hv_host_destroy(h);
}

/* A guest's demand-zero pages read zero whether the host frame behind them is fresh (never
 * written since the pool was made: not memset again) or one a destroyed guest wrote (it must be
 * zero-filled): a second guest writes one byte per page over both kinds, the rest is zero. */
static void test_host_frames_reused_zero_filled(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(20, 0, UMM_HV_NO_WORKERS | HVU_NO_COMPRESSION);
    umm_process_t *pa, *pb;
    umm_hv_guest_t *ga = hvu_guest(h, 8, 0, NOW, UMM_HV_GUEST_NO_BALLOON, &pa);
    const size_t na = HVU_PAGES(6), nb = HVU_PAGES(12);
    unsigned char *a = hvu_alloc(pa, na);
    for (size_t i = 0; i < na; i++)
        tu_fill(hvu_pg(a, i), PG, 30);
    uint64_t used_by_a = hvu_gs(ga).private_frames;
    assert_true(used_by_a >= na);
    uint64_t free_before = hvu_hs(h).free_frames;
    umm_hv_guest_destroy(ga);
    assert_int_equal(hvu_hs(h).free_frames, free_before + used_by_a);

    /* guest B takes the frames A freed first (the free stack is LIFO), then fresh ones */
    umm_hv_guest_t *gb = hvu_guest(h, 16, 0, NOW, UMM_HV_GUEST_NO_BALLOON, &pb);
    unsigned char *b = hvu_alloc(pb, nb);
    uint64_t fills0 = hvu_gs(gb).nested_zero_fill;
    for (size_t i = 0; i < nb; i++)
        hvu_pg(b, i)[0] = 1; /* a write fault: a private, zero-filled host frame */
    assert_true(hvu_gs(gb).nested_zero_fill - fills0 >= nb);
    for (size_t i = 0; i < nb; i++) {
        assert_int_equal(hvu_pg(b, i)[0], 1);
        assert_true(tu_is_zero(hvu_pg(b, i) + 1, PG - 1));
    }
    hvu_guest_consistent(gb);
    hvu_host_consistent(h);
    umm_hv_host_destroy(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_create_validation),
        cmocka_unit_test(test_guest_is_umm_system),
        cmocka_unit_test(test_overcommit_and_admission),
        cmocka_unit_test(test_untouched_pages_cost_nothing),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_destroy_guest_leaves_others),
        cmocka_unit_test(test_host_frames_reused_zero_filled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
