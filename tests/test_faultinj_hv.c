/* SPDX-License-Identifier: MIT */
/* test_faultinj_hv.c - the hypervisor's failure points: umm/hv/balloon/inflate,
 * umm/hv/balloon/deflate, umm/hv/swap/write, umm/hv/swap/read. For each, turned on: the documented
 * effect reaches the caller (a balloon that does not move, a nested fault reported as an in-page
 * error with UMM_E_NO_FRAMES), no data written before is lost, the guest's invariants hold; and
 * once the point is off, everything works again. */
#include "hv_util.h"


/* Host with no compression and no sharing (so host memory comes back only by swapping), a guest
 * with no workers, its data written: returns the number of pages written. */
static size_t setup(umm_hv_host_t **h, umm_hv_guest_t **g, umm_process_t **p, void **base,
                    size_t host_mib, size_t guest_mib, size_t data_pages)
{
    *h = hvu_host(host_mib, 4 * guest_mib, UMM_HV_NO_WORKERS | UMM_HV_NO_SHARING | HVU_NO_COMPRESSION);
    *g = hvu_guest(*h, guest_mib, 0, UMM_CFG_NO_WORKERS, 0, p);
    *base = hvu_alloc(*p, data_pages);
    hvu_mark_range(*base, data_pages, 1);
    return data_pages;
}

/* Balloon inflation fails: the balloon stays where it was, the guest is untouched. */
static void test_balloon_inflate_fails(void **state)
{
    (void)state;
    umm_hv_host_t *h;
    umm_hv_guest_t *g;
    umm_process_t *p;
    void *base;
    size_t n = setup(&h, &g, &p, &base, 64, 32, HVU_PAGES(8));
    assert_int_equal(umm_failpoint_enable("umm/hv/balloon/inflate", 1.0, 0), 0);
    assert_int_equal(umm_hv_balloon_set_target(g, HVU_PAGES(4)), UMM_OK);
    hvu_steps(h, 3);
    assert_int_equal(hvu_gs(g).balloon_actual, 0);
    hvu_assert_range(base, n, 1);
    hvu_guest_consistent(g);
    umm_failpoint_disable("umm/hv/balloon/inflate");
    hvu_steps(h, 3);
    assert_int_equal(hvu_gs(g).balloon_actual, HVU_PAGES(4));
    hvu_assert_range(base, n, 1);
    hvu_guest_consistent(g);
    umm_hv_host_destroy(h);
}

/* Balloon deflation fails: the balloon keeps its pages (target 0 not reached), nothing breaks;
 * after the point is off it deflates and the guest can use the memory again. */
static void test_balloon_deflate_fails(void **state)
{
    (void)state;
    umm_hv_host_t *h;
    umm_hv_guest_t *g;
    umm_process_t *p;
    void *base;
    size_t n = setup(&h, &g, &p, &base, 64, 32, HVU_PAGES(8));
    assert_int_equal(umm_hv_balloon_set_target(g, HVU_PAGES(4)), UMM_OK);
    hvu_steps(h, 3);
    assert_int_equal(hvu_gs(g).balloon_actual, HVU_PAGES(4));
    assert_int_equal(umm_failpoint_enable("umm/hv/balloon/deflate", 1.0, 0), 0);
    assert_int_equal(umm_hv_balloon_set_target(g, 0), UMM_OK);
    hvu_steps(h, 3);
    assert_int_equal(hvu_gs(g).balloon_actual, HVU_PAGES(4));
    hvu_guest_consistent(g);
    umm_failpoint_disable("umm/hv/balloon/deflate");
    hvu_steps(h, 3);
    assert_int_equal(hvu_gs(g).balloon_actual, 0);
    hvu_assert_range(base, n, 1);
    hvu_guest_consistent(g);
    umm_hv_host_destroy(h);
}

/* Host swap writes fail while the host is out of frames: a guest fault that needs a new host
 * frame gets an in-page error (UMM_E_NO_FRAMES), the guest's other data is intact; with the point
 * off the same touch succeeds. */
static void test_swap_write_fails(void **state)
{
    (void)state;
    umm_hv_host_t *h;
    umm_hv_guest_t *g;
    umm_process_t *p;
    void *base;
    /* 16 MiB host, a 24 MiB guest writing 15 MiB: the host is nearly full */
    size_t n = setup(&h, &g, &p, &base, 16, 24, HVU_PAGES(15));
    tu_exc_install(umm_hv_guest_system(g));
    void *more = hvu_alloc(p, HVU_PAGES(4));
    assert_int_equal(umm_failpoint_enable("umm/hv/swap/write", 1.0, 0), 0);
    int code = 0;
    size_t i = 0;
    for (; i < HVU_PAGES(4) && code == 0; i++)
        code = tu_try_write(hvu_pg(more, i), 1);
    assert_int_equal(code, UMM_EXC_IN_PAGE_ERROR);
    assert_int_equal(tu_exc.last.error, UMM_E_NO_FRAMES);
    umm_failpoint_disable("umm/hv/swap/write");
    for (i = 0; i < HVU_PAGES(4); i++)
        assert_int_equal(tu_try_write(hvu_pg(more, i), 1), 0);
    assert_true(hvu_hs(h).swapped_out > 0);
    hvu_assert_range(base, n, 1);
    hvu_guest_consistent(g);
    umm_hv_host_destroy(h);
}

/* Host swap reads fail: touching a host-swapped page is an in-page error, the page stays in the
 * swap file; with the point off it comes back with its data. */
static void test_swap_read_fails(void **state)
{
    (void)state;
    umm_hv_host_t *h;
    umm_hv_guest_t *g;
    umm_process_t *p;
    void *base;
    size_t n = setup(&h, &g, &p, &base, 16, 32, HVU_PAGES(24)); /* 24 MiB through 16: swapped */
    tu_exc_install(umm_hv_guest_system(g));
    assert_true(hvu_gs(g).host_swapped > 0);
    assert_int_equal(umm_failpoint_enable("umm/hv/swap/read", 1.0, 0), 0);
    size_t errors = 0;
    for (size_t i = 0; i < n; i++)
        { unsigned char v; errors += tu_try_read(hvu_pg(base, i), &v) == UMM_EXC_IN_PAGE_ERROR; }
    assert_true(errors > 0);
    assert_int_equal(tu_exc.last.code, UMM_EXC_IN_PAGE_ERROR);
    umm_failpoint_disable("umm/hv/swap/read");
    hvu_assert_range(base, n, 1);
    hvu_guest_consistent(g);
    umm_hv_host_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_balloon_inflate_fails),
        cmocka_unit_test(test_balloon_deflate_fails),
        cmocka_unit_test(test_swap_write_fails),
        cmocka_unit_test(test_swap_read_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
