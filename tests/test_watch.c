/* SPDX-License-Identifier: MIT */
/* test_watch.c - write watch (umm_write_watch_get / _reset, GetWriteWatch) and the per-page query
 * (umm_query_pages, QueryWorkingSetEx). Write watch: random writes and reads over 8x RAM with
 * trimming, writing out and purging in between; the reported set equals the written set exactly,
 * for several seeds. */
#include "paging_util.h"

#include <fcntl.h>
#include <stdbool.h>

#define PG PU_PG

/* Everything the watch reports for [base, base + npages), as a 0/1 array; resets if asked. */
static void watched_set(umm_process_t *proc, unsigned char *base, size_t npages, unsigned flags,
                        unsigned char *got)
{
    void **addrs = malloc(npages * sizeof *addrs);
    memset(got, 0, npages);
    size_t count = npages, gran = 0;
    assert_int_equal(umm_write_watch_get(proc, base, npages * PG, flags, addrs, &count, &gran), UMM_OK);
    assert_int_equal(gran, PG);
    for (size_t k = 0; k < count; k++) {
        size_t i = (size_t)((unsigned char *)addrs[k] - base) / PG;
        assert_true(i < npages && (k == 0 || addrs[k] > addrs[k - 1]));
        got[i] = 1;
    }
    free(addrs);
}

static void assert_sets_equal(const unsigned char *got, const unsigned char *want, size_t n)
{
    size_t missed = 0, extra = 0;
    for (size_t i = 0; i < n; i++) {
        missed += want[i] && !got[i];
        extra += got[i] && !want[i];
    }
    if (missed || extra)
        fail_msg("write watch: %zu written pages not reported, %zu reported not written", missed, extra);
}

static void disturb(umm_system_t *sys, umm_process_t *proc, pu_rng_t *r)
{
    switch (pu_next(r) % 4) {
    case 0: assert_int_equal(umm_ws_empty(proc), UMM_OK); break;
    case 1: assert_int_equal(umm_ws_trim(proc, 1000), UMM_OK); break;
    case 2:
        pu_page_out(sys, proc);
        break;
    default: assert_int_equal(umm_balance(sys), UMM_OK); break;
    }
}

static void run_seed(uint64_t seed)
{
    umm_config_t c = pu_config(8 * TU_MIB, 96 * TU_MIB, 0, UMM_CFG_NO_WORKERS);
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&c, &sys, &proc);
    const size_t npages = 64 * TU_MIB / PG; /* 8x RAM */
    unsigned char *base;
    assert_int_equal(umm_reserve_ex(proc, npages * PG, TU_GRAN, TU_RW, UMM_MEM_WRITE_WATCH, (void **)&base), UMM_OK);
    assert_int_equal(umm_commit(proc, base, npages * PG, TU_RW), UMM_OK);
    unsigned char *want = calloc(npages, 1), *got = malloc(npages);
    pu_rng_t r = {seed};
    watched_set(proc, base, npages, 0, got); /* committed, nothing written yet */
    assert_sets_equal(got, want, npages);
    volatile unsigned char sink = 0;
    for (int round = 0; round < 6; round++) {
        size_t writes = round == 0 ? npages : 1 + pu_next(&r) % 3000;
        for (size_t k = 0; k < writes; k++) {
            size_t i = round == 0 ? k : pu_next(&r) % npages;
            size_t j = pu_next(&r) % npages; /* reads do not count */
            sink ^= base[j * PG + pu_next(&r) % PG];
            base[i * PG + pu_next(&r) % PG] = (unsigned char)(k | 1);
            want[i] = 1;
            if (k % 997 == 0)
                disturb(sys, proc, &r);
        }
        disturb(sys, proc, &r);
        bool reset_by_get = round % 2 == 0;
        watched_set(proc, base, npages, reset_by_get ? UMM_WRITE_WATCH_RESET : 0, got);
        assert_sets_equal(got, want, npages);
        if (!reset_by_get) { /* asking again without reset says the same */
            watched_set(proc, base, npages, 0, got);
            assert_sets_equal(got, want, npages);
            assert_int_equal(umm_write_watch_reset(proc, base, npages * PG), UMM_OK);
        }
        memset(want, 0, npages);
        watched_set(proc, base, npages, 0, got);
        assert_sets_equal(got, want, npages);
    }
    (void)sink;
    umm_stats_t s = tu_stats(sys);
    print_message("  seed %" PRIu64 ": pages_output %" PRIu64 ", faults_hard %" PRIu64 "\n", seed,
                  s.pages_output, s.faults_hard);
    assert_true(s.pages_output > npages / 2 && s.faults_hard > 0);
    tu_assert_consistent(sys);
    free(want);
    free(got);
    umm_system_destroy(sys);
}

static void test_write_watch_exact_over_8x_ram(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++)
        run_seed(seed);
}

static void test_write_watch_api(void **state)
{
    (void)state;
    umm_config_t c = pu_config(8 * TU_MIB, 16 * TU_MIB, 0, UMM_CFG_NO_WORKERS);
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&c, &sys, &proc);
    unsigned char *w, *plain = tu_alloc(proc, 16 * PG);
    assert_int_equal(umm_reserve_ex(proc, 64 * PG, TU_GRAN, TU_RW, UMM_MEM_WRITE_WATCH, (void **)&w), UMM_OK);
    assert_int_equal(umm_commit(proc, w, 32 * PG, TU_RW), UMM_OK);
    void *addrs[64];
    size_t count = 64;
    assert_int_equal(umm_write_watch_get(proc, plain, PG, 0, addrs, &count, NULL), UMM_E_INVAL);
    assert_int_equal(umm_write_watch_get(proc, w, PG, 0, NULL, &count, NULL), UMM_E_INVAL);
    assert_int_equal(umm_write_watch_get(proc, w, PG, 0x80, addrs, &count, NULL), UMM_E_INVAL);
    assert_int_equal(umm_reserve_ex(proc, PG, TU_GRAN, TU_RW, 0x80, (void **)&plain), UMM_E_INVAL);
    for (size_t i = 0; i < 32; i += 3)
        w[i * PG] = 1;
    /* a capacity smaller than the set: the first ones, in order */
    count = 4;
    assert_int_equal(umm_write_watch_get(proc, w, 64 * PG, UMM_WRITE_WATCH_RESET, addrs, &count, NULL), UMM_OK);
    assert_int_equal(count, 4);
    for (size_t k = 0; k < 4; k++)
        assert_ptr_equal(addrs[k], w + 3 * k * PG);
    count = 64;
    assert_int_equal(umm_write_watch_get(proc, w, 64 * PG, 0, addrs, &count, NULL), UMM_OK);
    assert_int_equal(count, 7); /* 11 written, 4 reset */
    /* protection changes keep the watch; query shows the user's protection only */
    assert_int_equal(umm_write_watch_reset(proc, w, 32 * PG), UMM_OK);
    int old;
    assert_int_equal(umm_protect(proc, w, 32 * PG, UMM_PROT_READ, &old), UMM_OK);
    assert_int_equal(old, TU_RW);
    assert_int_equal(umm_protect(proc, w, 32 * PG, TU_RW, NULL), UMM_OK);
    umm_region_info_t qi;
    assert_int_equal(umm_query(proc, w, &qi), UMM_OK);
    assert_int_equal(qi.prot, TU_RW);
    assert_int_equal(qi.size, 32 * PG);
    count = 64;
    assert_int_equal(umm_write_watch_get(proc, w, 64 * PG, 0, addrs, &count, NULL), UMM_OK);
    assert_int_equal(count, 0);
    /* the I/O helper's writes count as writes */
    int fd = open("/dev/zero", O_RDONLY);
    size_t done;
    assert_int_equal(umm_io_read(proc, fd, w + 5 * PG, 2 * PG, 0, &done), UMM_OK);
    close(fd);
    count = 64;
    assert_int_equal(umm_write_watch_get(proc, w, 64 * PG, 0, addrs, &count, NULL), UMM_OK);
    assert_int_equal(count, 2);
    assert_ptr_equal(addrs[0], w + 5 * PG);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

/* umm_query_pages: valid, locked, shared and share count, priority, pinned, for a list. */
static void test_query_pages(void **state)
{
    (void)state;
    umm_config_t c = pu_config(8 * TU_MIB, 16 * TU_MIB, 0, UMM_CFG_NO_WORKERS);
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&c, &sys, &proc);
    unsigned char *a = tu_alloc(proc, 16 * PG), *v1, *v2;
    umm_section_t *sec;
    assert_int_equal(umm_section_create(sys, 16 * PG, &sec), UMM_OK);
    assert_int_equal(umm_section_map(proc, sec, TU_RW, (void **)&v1), UMM_OK);
    assert_int_equal(umm_section_map(proc, sec, UMM_PROT_READ, (void **)&v2), UMM_OK);
    v1[0] = 1;
    (void)*(volatile unsigned char *)v2;
    a[0] = 1;
    a[PG] = 1;
    assert_int_equal(umm_process_set_priority(proc, 3), UMM_OK);
    assert_int_equal(umm_lock(proc, a, PG), UMM_OK);
    umm_mdl_t mdl;
    assert_int_equal(umm_probe_and_lock(proc, a + 2 * PG, PG, UMM_PROT_WRITE, &mdl), UMM_OK);
    assert_int_equal(umm_ws_empty(proc), UMM_OK);
    unsigned char plain[8];
    umm_page_info_t q[6] = {{.address = a + 5}, {.address = a + PG}, {.address = a + 2 * PG},
                            {.address = v2 + 17}, {.address = a + 16 * PG}, {.address = plain}};
    assert_int_equal(umm_query_pages(proc, q, 6), UMM_OK);
    assert_true(q[0].valid && q[0].locked && q[0].committed && q[0].resident && !q[0].shared);
    assert_ptr_equal(q[0].working_set, proc);
    assert_int_equal(q[0].prot, TU_RW);
    assert_ptr_equal(q[0].address, a + 5);
    assert_true(!q[1].valid && !q[1].locked && q[1].committed && q[1].resident); /* on Modified */
    assert_int_equal(q[1].priority, 3);
    assert_null(q[1].working_set);
    assert_true(q[2].valid && q[2].pinned && !q[2].locked);
    assert_true(q[3].shared && !q[3].valid && q[3].share_count == 0 && q[3].prot == UMM_PROT_READ);
    assert_true(!q[4].committed && !q[4].valid); /* past the commit: reserved */
    assert_true(!q[5].committed && !q[5].valid); /* not umm's */
    (void)*(volatile unsigned char *)v2;
    v1[0] = 2;
    umm_page_info_t s2 = {.address = v1};
    assert_int_equal(umm_query_pages(proc, &s2, 1), UMM_OK);
    assert_true(s2.shared && s2.valid && s2.share_count == 2);
    assert_int_equal(umm_query_pages(proc, NULL, 1), UMM_E_INVAL);
    assert_int_equal(umm_query_pages(proc, NULL, 0), UMM_OK);
    assert_int_equal(umm_unlock_pages(&mdl), UMM_OK);
    assert_int_equal(umm_release(proc, v1), UMM_OK);
    assert_int_equal(umm_release(proc, v2), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_watch_exact_over_8x_ram),
        cmocka_unit_test(test_write_watch_api),
        cmocka_unit_test(test_query_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
