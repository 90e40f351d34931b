/* SPDX-License-Identifier: MIT */
/* test_hv_share.c - transparent page sharing: identical pages across guests merge into one
 * read-only host frame and the host gets the rest back; a write breaks the sharing for the
 * writer only; zero pages collapse into the zero frame; salting (per host or per guest) keeps
 * guests from sharing with each other while a guest still shares with itself. Host without
 * workers; the scanner runs with umm_hv_share_scan(). */
#include "hv_util.h"

#define PG HVU_PG
#define MIB HVU_MIB
#define NOW UMM_CFG_NO_WORKERS

enum { NG = 3 };

/* Three guests write the same 4096 pages (page i = index i). After scanning: merged, shared
 * and saved counters agree with each other and with the host frames freed; every guest still
 * reads its data; a write to a shared page lands only in the writer's copy. (How MANY of the
 * identical pages get merged is asserted separately in test_share_completeness; here
 * "a substantial part", n/4.) */
static void test_share_across_guests_and_cow(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(128, 0, UMM_HV_NO_WORKERS);
    umm_process_t *p[NG];
    umm_hv_guest_t *g[NG];
    unsigned char *base[NG];
    const size_t n = HVU_PAGES(16);
    for (int k = 0; k < NG; k++) {
        g[k] = hvu_guest(h, 32, 0, NOW, 0, &p[k]);
        base[k] = hvu_alloc(p[k], n);
        for (size_t i = 0; i < n; i++)
            hvu_ifill(hvu_pg(base[k], i), i); /* page i: the same bytes in every guest */
    }
    umm_hv_host_stats_t h0 = hvu_hs(h);
    umm_hv_guest_stats_t before[NG];
    for (int k = 0; k < NG; k++) {
        before[k] = hvu_gs(g[k]);
        assert_int_equal(before[k].shared, 0);
        assert_true(before[k].private_frames >= n);
    }
    assert_int_equal(h0.shared_frames, 0);
    assert_int_equal(h0.saved, 0);

    uint64_t merged = hvu_scan_all(h, NG * HVU_PAGES(32), 3);
    umm_hv_host_stats_t h1 = hvu_hs(h);
    print_message("  share: merged %" PRIu64 " shared_frames %" PRIu64 " (of %zu contents) saved %"
                  PRIu64 " free %" PRIu64 " -> %" PRIu64 "\n", merged, h1.shared_frames, n,
                  h1.saved, h0.free_frames, h1.free_frames);
    assert_true(merged > 0);
    assert_int_equal(h1.merged - h0.merged, merged);
    assert_true(h1.scanned >= NG * n);
    assert_true(h1.shared_frames >= n / 4);
    assert_true(h1.shared_frames <= n);
    uint64_t shared_sum = 0, saved_sum = 0;
    for (int k = 0; k < NG; k++) {
        umm_hv_guest_stats_t s = hvu_gs(g[k]);
        assert_true(s.shared > 0);
        assert_int_equal(s.shared_zero, 0);
        assert_true(s.consumed < s.granted); /* it pays only part of each shared frame */
        assert_int_equal(s.granted, before[k].granted); /* sharing does not change what is backed */
        shared_sum += s.shared;
        saved_sum += s.saved;
    }
    /* each shared frame has >= 2 sharers; saved = guest pages on shared frames - those frames */
    assert_true(shared_sum >= 2 * h1.shared_frames);
    assert_int_equal(h1.saved, shared_sum - h1.shared_frames);
    /* merged counts the frames given up: one per sharer beyond the first */
    assert_int_equal(merged, h1.saved);
    /* the host got back exactly what the counters say */
    assert_int_equal(h1.free_frames - h0.free_frames, h1.saved);
    /* the guests' fair-share view adds up to the host's (rounding: <= 1 per guest) */
    assert_true(saved_sum + NG >= h1.saved && saved_sum <= h1.saved + NG);

    /* all guests still read their data (through the shared read-only frames) */
    for (int k = 0; k < NG; k++)
        for (size_t i = 0; i < n; i++)
            hvu_assert_ipage(hvu_pg(base[k], i), i);

    /* guest 1 writes one word into pages until a write breaks sharing (the first shared page) */
    uint64_t hcow0 = hvu_hs(h).cow_breaks;
    size_t cow_page = SIZE_MAX;
    for (size_t i = 0; i < 256 && cow_page == SIZE_MAX; i++) {
        umm_hv_guest_stats_t s0 = hvu_gs(g[1]);
        volatile uint64_t *w = (volatile uint64_t *)hvu_pg(base[1], i);
        w[3] = 0xDEADBEEFull;
        assert_int_equal(w[3], 0xDEADBEEFull);
        umm_hv_guest_stats_t s1 = hvu_gs(g[1]);
        if (s1.nested_cow_break > s0.nested_cow_break) {
            assert_int_equal(s1.nested_cow_break, s0.nested_cow_break + 1);
            assert_int_equal(s1.shared, s0.shared - 1);
            assert_int_equal(s1.private_frames, s0.private_frames + 1);
            cow_page = i;
        }
    }
    assert_true(cow_page != SIZE_MAX);
    assert_int_equal(hvu_hs(h).cow_breaks, hcow0 + 1);
    /* the others still read the old value; the writer its own, the rest of its page intact */
    for (size_t i = 0; i <= cow_page; i++) {
        hvu_assert_ipage(hvu_pg(base[0], i), i);
        hvu_assert_ipage(hvu_pg(base[2], i), i);
        volatile uint64_t *w = (volatile uint64_t *)hvu_pg(base[1], i);
        for (size_t k = 0; k < PG / 8; k++)
            assert_true(w[k] == (k == 3 ? 0xDEADBEEFull : hvu_iword(i, k)));
    }
    assert_int_equal(hvu_gs(g[0]).nested_cow_break, before[0].nested_cow_break);
    assert_int_equal(hvu_gs(g[2]).nested_cow_break, before[2].nested_cow_break);

    /* guests 0 and 2 rewrite whole ranges: each gets its own copies, others unchanged */
    for (size_t i = 1000; i < 1100; i++)
        tu_fill(hvu_pg(base[0], i), PG, 40);
    for (size_t i = 1050; i < 1150; i++)
        tu_fill(hvu_pg(base[2], i), PG, 42);
    for (size_t i = 1000; i < 1150; i++) {
        if (i < 1100)
            tu_assert_pattern(hvu_pg(base[0], i), PG, 40);
        else
            hvu_assert_ipage(hvu_pg(base[0], i), i);
        hvu_assert_ipage(hvu_pg(base[1], i), i);
        if (i >= 1050)
            tu_assert_pattern(hvu_pg(base[2], i), PG, 42);
        else
            hvu_assert_ipage(hvu_pg(base[2], i), i);
    }
    /* a rescan changes nothing that anyone reads */
    hvu_scan_all(h, NG * HVU_PAGES(32), 2);
    assert_int_equal(((volatile uint64_t *)hvu_pg(base[1], cow_page))[3], 0xDEADBEEFull);
    hvu_assert_ipage(hvu_pg(base[0], cow_page), cow_page);
    tu_assert_pattern(hvu_pg(base[0], 1000), PG, 40);
    for (int k = 0; k < NG; k++)
        hvu_guest_consistent(g[k]);
    umm_hv_host_stats_t h2 = hvu_hs(h);
    assert_true(h2.free_frames <= h2.host_frames);
    hvu_host_consistent(h);
    umm_hv_host_destroy(h);
}

/* Regression (this test found the library bug it describes; fixed since): how many identical pages get merged. Three guests
 * hold the same 4096 distinct pages; the host's table has 8192 buckets of 4 ways. After 8 full
 * scan passes nearly all 4096 contents should be shared (we require 95 %). Observed: ~59 %, and
 * more passes do not help. Cause (share.c scan_one): a new candidate goes to the FIRST way that
 * is empty OR holds another candidate, so a bucket keeps at most one candidate and two contents
 * hashing to the same bucket displace each other on every visit (the scanner visits them in the
 * same order each pass: never merged). With Poisson(0.5) contents per bucket, e^-0.5 = 61 % of
 * contents are alone in their bucket: the observed figure. */
static void test_share_completeness(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(128, 0, UMM_HV_NO_WORKERS);
    umm_process_t *p[NG];
    umm_hv_guest_t *g[NG];
    const size_t n = HVU_PAGES(16);
    for (int k = 0; k < NG; k++) {
        g[k] = hvu_guest(h, 32, 0, NOW, 0, &p[k]);
        unsigned char *b = hvu_alloc(p[k], n);
        for (size_t i = 0; i < n; i++)
            hvu_ifill(hvu_pg(b, i), i);
    }
    uint64_t sf[8];
    for (int pass = 0; pass < 8; pass++) {
        hvu_scan_all(h, NG * HVU_PAGES(32), 1);
        sf[pass] = hvu_hs(h).shared_frames;
    }
    print_message("  completeness: shared frames after passes 1..8: %" PRIu64 " %" PRIu64 " %" PRIu64
                  " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " of %zu\n", sf[0],
                  sf[1], sf[2], sf[3], sf[4], sf[5], sf[6], sf[7], n);
    umm_hv_host_stats_t hs = hvu_hs(h);
    print_message("  completeness: saved %" PRIu64 " (ideal %zu), guest shared %" PRIu64 "/%" PRIu64
                  "/%" PRIu64 "\n", hs.saved, 2 * n, hvu_gs(g[0]).shared, hvu_gs(g[1]).shared,
                  hvu_gs(g[2]).shared);
    assert_true(hs.shared_frames * 100 >= n * 95);
    assert_true(hs.saved * 100 >= 2 * n * 95);
    umm_hv_host_destroy(h);
}

/* Pages written non-zero and then zeroed again collapse into the host's zero frame. */
static void test_share_zero_pages(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(64, 0, UMM_HV_NO_WORKERS);
    umm_process_t *p;
    umm_hv_guest_t *g = hvu_guest(h, 16, 0, NOW, 0, &p);
    const size_t n = 1024;
    unsigned char *base = hvu_alloc(p, n);
    for (size_t i = 0; i < n; i++)
        tu_fill(hvu_pg(base, i), PG, 50);
    for (size_t i = 0; i < n / 2; i++)
        memset(hvu_pg(base, i), 0, PG); /* the first half back to zero */
    umm_hv_guest_stats_t s0 = hvu_gs(g);
    uint64_t free0 = hvu_hs(h).free_frames;
    assert_true(s0.private_frames >= n);
    hvu_scan_all(h, HVU_PAGES(16), 2);
    umm_hv_guest_stats_t s1 = hvu_gs(g);
    uint64_t free1 = hvu_hs(h).free_frames;
    print_message("  zero: shared_zero %" PRIu64 " shared %" PRIu64 " free +%" PRIu64 "\n",
                  s1.shared_zero, s1.shared, free1 - free0);
    assert_true(s1.shared_zero >= n / 2);
    assert_int_equal(s1.shared, s1.shared_zero); /* nothing else is identical */
    assert_true(free1 - free0 >= n / 2);
    assert_int_equal(hvu_hs(h).shared_frames, 0); /* the zero frame is not counted */
    assert_int_equal(s0.private_frames - s1.private_frames, s1.shared_zero);
    for (size_t i = 0; i < n / 2; i++)
        assert_true(tu_is_zero(hvu_pg(base, i), PG));
    for (size_t i = n / 2; i < n; i++)
        tu_assert_pattern(hvu_pg(base, i), PG, 50);
    /* writing to a collapsed zero page gives it a private frame again, zero-filled */
    volatile uint64_t *w = (volatile uint64_t *)hvu_pg(base, 3);
    w[10] = 99;
    assert_int_equal(w[10], 99);
    assert_int_equal(w[9], 0);
    umm_hv_guest_stats_t s2 = hvu_gs(g);
    assert_int_equal(s2.shared_zero, s1.shared_zero - 1);
    assert_int_equal(s2.private_frames, s1.private_frames + 1);
    assert_true(tu_is_zero(hvu_pg(base, 4), PG));
    hvu_guest_consistent(g);
    hvu_host_consistent(h);
    umm_hv_host_destroy(h);
}

/* Each guest k holds two regions: X, 512 pages identical across guests (page i = index i,
 * unique within the guest) and T, 256 pages that are twins inside the guest only (keys private
 * to guest k, each twice). Unsalted, X shares across guests; salted (host-wide or per guest),
 * only T shares: every shared frame then has exactly two sharers, both of one guest. */
static void salted_run(unsigned host_flags, unsigned guest_flags, int expect_cross) {
    umm_hv_host_t *h = hvu_host(64, 0, UMM_HV_NO_WORKERS | host_flags);
    umm_process_t *p[2];
    umm_hv_guest_t *g[2];
    unsigned char *x[2], *t[2];
    const size_t nx = 512, nt = 256;
    for (int k = 0; k < 2; k++) {
        g[k] = hvu_guest(h, 16, 0, NOW, guest_flags, &p[k]);
        x[k] = hvu_alloc(p[k], nx);
        t[k] = hvu_alloc(p[k], nt);
        for (size_t i = 0; i < nx; i++)
            hvu_ifill(hvu_pg(x[k], i), i);
        for (size_t i = 0; i < nt; i++)
            hvu_ifill(hvu_pg(t[k], i), 1000000u * (k + 1) + i % (nt / 2));
    }
    uint64_t free0 = hvu_hs(h).free_frames;
    hvu_scan_all(h, 2 * HVU_PAGES(16), 4);
    umm_hv_host_stats_t hs = hvu_hs(h);
    umm_hv_guest_stats_t s[2] = {hvu_gs(g[0]), hvu_gs(g[1])};
    print_message("  salt(host %#x guest %#x): shared_frames %" PRIu64 " saved %" PRIu64
                  " guest shared %" PRIu64 "/%" PRIu64 "\n", host_flags, guest_flags,
                  hs.shared_frames, hs.saved, s[0].shared, s[1].shared);
    assert_true(hs.shared_frames > 0);
    assert_int_equal(hs.free_frames - free0, hs.saved);
    if (expect_cross) {
        /* X pages merged across guests: more shared pages than T alone could give */
        assert_true(s[0].shared > nt && s[1].shared > nt);
    } else {
        /* identical pages in different guests stay private: only T shares, in twos */
        for (int k = 0; k < 2; k++) {
            assert_true(s[k].shared > 0);      /* a guest still shares with itself */
            assert_true(s[k].shared <= nt);
            assert_int_equal(s[k].shared % 2, 0);
        }
        assert_int_equal(s[0].shared + s[1].shared, 2 * hs.shared_frames);
        assert_int_equal(hs.saved, hs.shared_frames);
    }
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < nx; i++)
            hvu_assert_ipage(hvu_pg(x[k], i), i);
        for (size_t i = 0; i < nt; i++)
            hvu_assert_ipage(hvu_pg(t[k], i), 1000000u * (k + 1) + i % (nt / 2));
        hvu_guest_consistent(g[k]);
    }
    /* COW inside a guest: twins diverge, the other guest unaffected */
    for (size_t i = 0; i < nt / 2; i++)
        ((volatile uint64_t *)hvu_pg(t[0], i))[0] = 5;
    for (size_t i = 0; i < nt / 2; i++) {
        hvu_assert_ipage(hvu_pg(t[0], i + nt / 2), 1000000u + i);
        assert_int_equal(((volatile uint64_t *)hvu_pg(t[0], i))[0], 5);
    }
    hvu_assert_ipage(hvu_pg(x[1], 1), 1);
    hvu_host_consistent(h);
    umm_hv_host_destroy(h);
}

static void test_share_unsalted(void **state) {
    (void)state;
    salted_run(0, 0, 1);
}

static void test_share_salt_host(void **state) {
    (void)state;
    salted_run(UMM_HV_SALT_GUESTS, 0, 0);
}

static void test_share_salt_guest(void **state) {
    (void)state;
    salted_run(0, UMM_HV_GUEST_SALT, 0);
}

/* One salted guest among two unsalted ones, all with the same contents (no twins): the
 * unsalted pair shares (each shared frame: one page of each), the salted one nothing. */
static void test_share_one_salted_guest(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(64, 0, UMM_HV_NO_WORKERS);
    umm_process_t *p[3];
    umm_hv_guest_t *g[3];
    unsigned char *base[3];
    const size_t n = 1024;
    unsigned fl[3] = {UMM_HV_GUEST_SALT, 0, 0};
    for (int k = 0; k < 3; k++) {
        g[k] = hvu_guest(h, 16, 0, NOW, fl[k], &p[k]);
        base[k] = hvu_alloc(p[k], n);
        for (size_t i = 0; i < n; i++)
            hvu_ifill(hvu_pg(base[k], i), i);
    }
    hvu_scan_all(h, 3 * HVU_PAGES(16), 4);
    umm_hv_guest_stats_t s0 = hvu_gs(g[0]), s1 = hvu_gs(g[1]), s2 = hvu_gs(g[2]);
    print_message("  one salted: shared %" PRIu64 " / %" PRIu64 " / %" PRIu64 "\n", s0.shared,
                  s1.shared, s2.shared);
    assert_int_equal(s0.shared, 0);
    assert_true(s0.private_frames >= n);
    assert_true(s1.shared >= n / 4);
    assert_int_equal(s1.shared, s2.shared);
    assert_int_equal(hvu_hs(h).shared_frames, s1.shared);
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < n; i++)
            hvu_assert_ipage(hvu_pg(base[k], i), i);
        hvu_guest_consistent(g[k]);
    }
    umm_hv_host_destroy(h);
}

/* UMM_HV_NO_SHARING: the scanner does nothing. */
static void test_share_disabled(void **state) {
    (void)state;
    umm_hv_host_t *h = hvu_host(64, 0, UMM_HV_NO_WORKERS | UMM_HV_NO_SHARING);
    umm_process_t *p[2];
    umm_hv_guest_t *g[2];
    for (int k = 0; k < 2; k++) {
        g[k] = hvu_guest(h, 16, 0, NOW, 0, &p[k]);
        unsigned char *b = hvu_alloc(p[k], 256);
        for (size_t i = 0; i < 256; i++)
            hvu_ifill(hvu_pg(b, i), i);
    }
    uint64_t m = 1;
    assert_int_equal(umm_hv_share_scan(h, 100000, &m), UMM_OK);
    assert_int_equal(m, 0);
    hvu_steps(h, 3);
    umm_hv_host_stats_t hs = hvu_hs(h);
    assert_int_equal(hs.merged, 0);
    assert_int_equal(hs.shared_frames, 0);
    assert_int_equal(hvu_gs(g[0]).shared, 0);
    umm_hv_host_destroy(h);
}

/* Sharing survives ballooning (issue 19). Two guests boot the same image (its pages the
 * idlest they have), then their private data; the scanner merges the image. Both balloons then
 * inflate to half the guest, so each guest must trim and page a third of its data: the
 * balloon, the guests' trimmers and their reuse of Standby frames must all take private pages
 * and leave the shared image alone (paging out or ballooning a shared page frees no host frame).
 * At least 80 % of the savings must remain once the balancers have run; every byte is checked. */
static void test_share_survives_ballooning(void **state) {
    (void)state;
    enum { G = 2 };
    umm_hv_host_t *h = hvu_host(128, 0, UMM_HV_NO_WORKERS);
    const size_t image = HVU_PAGES(4), priv = HVU_PAGES(20), target = HVU_PAGES(16);
    umm_process_t *p[G];
    umm_hv_guest_t *g[G];
    unsigned char *base[G];
    for (int k = 0; k < G; k++) {
        g[k] = hvu_guest(h, 32, 64, NOW, 0, &p[k]);
        base[k] = hvu_alloc(p[k], image + priv);
        for (size_t i = 0; i < image; i++)
            hvu_ifill(hvu_pg(base[k], i), i); /* the image: the same in both guests */
    }
    for (int tick = 0; tick < 4; tick++) /* the image ages while the guests write their data */
        for (int k = 0; k < G; k++) {
            hvu_mark_range(hvu_pg(base[k], image), priv, 1);
            assert_int_equal(umm_balance(umm_hv_guest_system(g[k])), UMM_OK);
        }
    hvu_scan_all(h, G * HVU_PAGES(32), 2);
    uint64_t saved0 = hvu_hs(h).saved;
    assert_true(saved0 >= image * 3 / 4); /* the image merged */
    for (int k = 0; k < G; k++)
        assert_int_equal(umm_hv_balloon_set_target(g[k], target), UMM_OK);
    for (int tick = 0; tick < 200; tick++) {
        hvu_steps(h, 1);
        for (int k = 0; k < G; k++)
            assert_int_equal(umm_balance(umm_hv_guest_system(g[k])), UMM_OK);
        if (hvu_gs(g[0]).balloon_actual == target && hvu_gs(g[1]).balloon_actual == target)
            break;
    }
    for (int tick = 0; tick < 5; tick++) { /* five more ticks: the balancers run on */
        hvu_steps(h, 1);
        for (int k = 0; k < G; k++)
            assert_int_equal(umm_balance(umm_hv_guest_system(g[k])), UMM_OK);
    }
    uint64_t saved1 = hvu_hs(h).saved, out = 0;
    for (int k = 0; k < G; k++) {
        assert_int_equal(hvu_gs(g[k]).balloon_actual, target);
        out += tu_stats(umm_hv_guest_system(g[k])).pages_output;
    }
    print_message("  sharing after inflating: saved %" PRIu64 " -> %" PRIu64 " (%.0f %%), guests "
                  "paged out %" PRIu64 "\n", saved0, saved1, 100.0 * (double)saved1 / (double)saved0,
                  out);
    assert_true(out >= 2 * (image + priv - target) / 2); /* the guests really had to page */
    assert_true(saved1 * 5 >= saved0 * 4);
    for (int k = 0; k < G; k++) {
        for (size_t i = 0; i < image; i++)
            hvu_assert_ipage(hvu_pg(base[k], i), i);
        hvu_assert_range(hvu_pg(base[k], image), priv, 1);
        hvu_guest_consistent(g[k]);
    }
    hvu_host_consistent(h);
    umm_hv_host_destroy(h);
}

/* Reclaim takes private pages while there are any (issue 19, the drop of experiment 3). A
 * guest writes an image (the same in both guests), then its own data, so that its balancer
 * trims the idlest pages, the image, to Standby; the scanner then merges the image while it
 * sits there. The guest now writes new pages before its own balance pass, and its balloon
 * inflates: its faults repurposing Standby and the balloon must take private frames (the
 * guest has plenty of private pages to trim), not the shared image. A fault that repurposes a
 * shared frame frees no host memory and undoes the sharing, as does ballooning one. */
static void test_reclaim_takes_private_before_shared(void **state) {
    (void)state;
    enum { G = 2 };
    umm_hv_host_t *h = hvu_host(128, 0, UMM_HV_NO_WORKERS);
    const size_t ram = HVU_PAGES(16), image = HVU_PAGES(2), priv = ram - image,
                 fresh = HVU_PAGES(2), balloon = HVU_PAGES(2);
    umm_process_t *p[G];
    umm_hv_guest_t *g[G];
    unsigned char *base[G];
    for (int k = 0; k < G; k++) {
        g[k] = hvu_guest(h, 16, 64, NOW, 0, &p[k]);
        base[k] = hvu_alloc(p[k], image + priv + fresh);
        for (size_t i = 0; i < image; i++)
            hvu_ifill(hvu_pg(base[k], i), i);
        umm_system_t *sys = umm_hv_guest_system(g[k]);
        for (int pass = 0; pass < 4; pass++) { /* the image ages while the data is written */
            hvu_mark_range(hvu_pg(base[k], image + pass * priv / 4), priv / 4, 1);
            assert_int_equal(umm_balance(sys), UMM_OK);
        }
        assert_int_equal(umm_balance(sys), UMM_OK);
    }
    hvu_scan_all(h, G * ram, 2);
    uint64_t saved0 = hvu_hs(h).saved, shared0[G];
    for (int k = 0; k < G; k++) {
        shared0[k] = hvu_gs(g[k]).shared;
        assert_true(shared0[k] >= image / 2); /* the image merged, much of it from Standby */
    }
    for (int k = 0; k < G; k++) /* new pages, before the guests' own balance passes */
        hvu_mark_range(hvu_pg(base[k], image + priv), fresh, 2);
    uint64_t after_faults[G];
    for (int k = 0; k < G; k++) {
        after_faults[k] = hvu_gs(g[k]).shared;
        assert_int_equal(umm_hv_balloon_set_target(g[k], balloon), UMM_OK);
    }
    for (int tick = 0; tick < 20; tick++) {
        hvu_steps(h, 1);
        for (int k = 0; k < G; k++)
            assert_int_equal(umm_balance(umm_hv_guest_system(g[k])), UMM_OK);
    }
    uint64_t saved1 = hvu_hs(h).saved;
    for (int k = 0; k < G; k++) {
        umm_hv_guest_stats_t s = hvu_gs(g[k]);
        print_message("  guest %d: shared %" PRIu64 " merged, %" PRIu64 " after %zu new pages, "
                      "%" PRIu64 " with %" PRIu64 " ballooned; saved %" PRIu64 " -> %" PRIu64 "\n",
                      k, shared0[k], after_faults[k], fresh, s.shared, s.balloon_actual, saved0,
                      saved1);
        assert_int_equal(s.balloon_actual, balloon);
        assert_true(after_faults[k] * 20 >= shared0[k] * 19); /* faults: private frames first */
        assert_true(s.shared * 20 >= shared0[k] * 19);        /* balloon and trimmer: the same */
    }
    assert_true(saved1 * 20 >= saved0 * 19);
    for (int k = 0; k < G; k++) {
        for (size_t i = 0; i < image; i++)
            hvu_assert_ipage(hvu_pg(base[k], i), i);
        for (int pass = 0; pass < 4; pass++) /* marked (keyed) a quarter at a time */
            hvu_assert_range(hvu_pg(base[k], image + pass * priv / 4), priv / 4, 1);
        hvu_assert_range(hvu_pg(base[k], image + priv), fresh, 2);
        hvu_guest_consistent(g[k]);
    }
    hvu_host_consistent(h);
    umm_hv_host_destroy(h);
}

int main(int argc, char **argv) {
    if (argc > 1) /* run only the tests matching a pattern: ./test_hv_share '*ballooning' */
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_share_across_guests_and_cow),
        cmocka_unit_test(test_share_completeness),
        cmocka_unit_test(test_share_zero_pages),
        cmocka_unit_test(test_share_unsalted),
        cmocka_unit_test(test_share_salt_host),
        cmocka_unit_test(test_share_salt_guest),
        cmocka_unit_test(test_share_one_salted_guest),
        cmocka_unit_test(test_share_disabled),
        cmocka_unit_test(test_share_survives_ballooning),
        cmocka_unit_test(test_reclaim_takes_private_before_shared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
