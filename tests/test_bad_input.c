/* SPDX-License-Identifier: MIT */
/* test_bad_input.c - every public C function fed bad input: NULL, unaligned addresses, zero, huge
 * and wrapping sizes, foreign pointers, already destroyed or closed handles, wrong protections,
 * out-of-range enums. Each call must return a clear error code (or, for functions without one,
 * do nothing), never crash, and change nothing: a region written before is verified byte for byte
 * after every group, with the commit charge, the working set and umm_check. */
#include "test_util.h"

#include "umm_heap.h"
#include "umm_hv.h"

#define PG ((size_t)4096)

/* A system with a region whose data must survive every bad call. */
typedef struct victim {
    umm_system_t *sys;
    umm_process_t *proc;
    char *data;
    umm_stats_t before;
} victim_t;

static void victim_new(victim_t *v) {
    umm_config_t c = tu_config(8 * TU_MIB, 16);
    c.flags = UMM_CFG_NO_WORKERS;
    tu_sys_new_cfg(&c, &v->sys, &v->proc);
    v->data = tu_alloc(v->proc, 16 * PG);
    for (size_t i = 0; i < 16; i++)
        tu_fill(v->data + i * PG, PG, 1 + i);
    v->before = tu_stats(v->sys);
}

/* Nothing changed: the data, the charge, the working set, every invariant. */
static void victim_intact(victim_t *v) {
    for (size_t i = 0; i < 16; i++)
        tu_assert_pattern(v->data + i * PG, PG, 1 + i);
    umm_stats_t s = tu_stats(v->sys);
    assert_int_equal(s.committed, v->before.committed);
    assert_int_equal(s.working_set, v->before.working_set);
    assert_int_equal(tu_pstats(v->proc).reservations, 1);
    tu_assert_consistent(v->sys);
}

static void victim_free(victim_t *v) {
    umm_system_destroy(v->sys);
}

/* A pointer that is not a handle of any kind (and not NULL). */
static int not_a_handle;
#define FOREIGN ((void *)&not_a_handle)
#define WILD ((void *)(uintptr_t)-1)

static void test_errors_and_strings(void **state) {
    (void)state;
    assert_string_equal(umm_strerror(-1), "unknown error");
    assert_string_equal(umm_strerror(UMM_ERROR_COUNT_), "unknown error");
    assert_string_equal(umm_strerror(1 << 30), "unknown error");
    assert_null(umm_error_name(-1));
    assert_null(umm_error_name(UMM_ERROR_COUNT_));
    for (int e = 0; e < UMM_ERROR_COUNT_; e++) {
        assert_non_null(umm_error_name(e));
        assert_true(strlen(umm_strerror(e)) > 0);
    }
    assert_string_equal(umm_error_name(UMM_E_HANDLE), "UMM_E_HANDLE");
}

/* Bad configuration k, applied to *c when c is given; NULL past the last. */
static const char *bad_config(const umm_config_t *base, int k, umm_config_t *c) {
    (void)base;
    umm_config_t dummy;
    if (!c)
        c = &dummy;
    switch (k) {
    case 0: c->ram_bytes = 0; return "ram 0";
    case 1: c->ram_bytes = 4 * TU_MIB + 1; return "ram not pages";
    case 2: c->ram_bytes = (size_t)1 << 62; return "ram huge";
    case 3: c->page_size = 3; return "page 3";
    case 4: c->page_size = TU_MIB; return "page 1 MiB";
    case 5: c->page_size = 2048; return "page 2 KiB";
    case 6: c->cluster_pages = 0; return "cluster 0";
    case 7: c->cluster_pages = 65; return "cluster 65";
    case 8: c->vma_budget = 10; return "vma budget 10";
    case 9: c->pagefile_bytes = 4097; return "pagefile not pages";
    case 10: c->pagefile_bytes = (size_t)1 << 60; return "pagefile huge";
    case 11: c->pagefile_bytes = TU_MIB, c->pagefile_max_bytes = (size_t)1 << 60; return "pagefile max huge";
    case 12: c->flags = 0x80; return "flags";
    case 13: c->trim_policy = 9; return "trim policy";
    case 14: c->low_memory_bytes = 8 * TU_MIB; return "low above RAM";
    case 15: c->high_memory_bytes = 8 * TU_MIB; return "high above RAM";
    case 16: c->low_memory_bytes = 2 * TU_MIB, c->high_memory_bytes = TU_MIB; return "low above high";
    default: return NULL;
    }
}

static void test_bad_configs(void **state) {
    (void)state;
    umm_system_t *sys = NULL;
    umm_config_t ok = tu_config(4 * TU_MIB, 16);
    assert_int_equal(umm_system_create(NULL, &sys), UMM_E_INVAL);
    assert_int_equal(umm_system_create(&ok, NULL), UMM_E_INVAL);
    for (int k = 0; bad_config(&ok, k, NULL); k++) {
        umm_config_t c = ok;
        const char *what = bad_config(&c, k, &c);
        sys = (umm_system_t *)FOREIGN;
        int rc = umm_system_create(&c, &sys);
        if (rc != UMM_E_INVAL)
            fail_msg("config '%s': %s, not UMM_E_INVAL", what, umm_error_name(rc));
        assert_ptr_equal(sys, FOREIGN); /* *out untouched on failure */
    }
}

static void test_dead_and_foreign_handles(void **state) {
    (void)state;
    victim_t v;
    victim_new(&v);
    /* a destroyed process, a destroyed system (with its own process), foreign pointers */
    umm_process_t *dead_proc;
    assert_int_equal(umm_process_create(v.sys, &dead_proc), UMM_OK);
    umm_process_destroy(dead_proc);
    umm_system_t *dead_sys;
    umm_process_t *orphan;
    umm_config_t c = tu_config(4 * TU_MIB, 16);
    tu_sys_new_cfg(&c, &dead_sys, &orphan);
    umm_system_destroy(dead_sys);

    umm_process_t *procs[] = {dead_proc, orphan, FOREIGN, WILD};
    umm_system_t *systems[] = {dead_sys, FOREIGN, WILD};
    void *p = NULL;
    umm_region_info_t qi;
    umm_stats_t st;
    umm_process_stats_t ps;
    size_t a, b;
    unsigned f;
    for (size_t k = 0; k < sizeof procs / sizeof procs[0]; k++) {
        umm_process_t *x = procs[k];
        assert_int_equal(umm_reserve(x, TU_GRAN, TU_RW, &p), UMM_E_HANDLE);
        assert_int_equal(umm_reserve_aligned(x, TU_GRAN, TU_GRAN, TU_RW, &p), UMM_E_HANDLE);
        assert_int_equal(umm_commit(x, v.data, PG, TU_RW), UMM_E_HANDLE);
        assert_int_equal(umm_decommit(x, v.data, PG), UMM_E_HANDLE);
        assert_int_equal(umm_protect(x, v.data, PG, UMM_PROT_READ, NULL), UMM_E_HANDLE);
        assert_int_equal(umm_release(x, v.data), UMM_E_HANDLE);
        assert_int_equal(umm_query(x, v.data, &qi), UMM_E_HANDLE);
        assert_int_equal(umm_ws_trim(x, 1), UMM_E_HANDLE);
        assert_int_equal(umm_ws_empty(x), UMM_E_HANDLE);
        assert_int_equal(umm_ws_set_limits(x, 1, 10, 0), UMM_E_HANDLE);
        assert_int_equal(umm_ws_get_limits(x, &a, &b, &f), UMM_E_HANDLE);
        assert_int_equal(umm_process_set_priority(x, 1), UMM_E_HANDLE);
        assert_int_equal(umm_process_stats_get(x, &ps), UMM_E_HANDLE);
        umm_process_destroy(x); /* nothing to do, no crash */
    }
    for (size_t k = 0; k < sizeof systems / sizeof systems[0]; k++) {
        umm_system_t *x = systems[k];
        umm_process_t *np;
        umm_section_t *sec;
        umm_notification_t *n;
        assert_int_equal(umm_process_create(x, &np), UMM_E_HANDLE);
        assert_int_equal(umm_section_create(x, PG, &sec), UMM_E_HANDLE);
        assert_int_equal(umm_standby_purge(x, 7, NULL), UMM_E_HANDLE);
        assert_int_equal(umm_balance(x), UMM_E_HANDLE);
        assert_int_equal(umm_flush_modified(x), UMM_E_HANDLE);
        assert_int_equal(umm_notification_create(x, UMM_NOTIFY_LOW_MEMORY, NULL, NULL, &n),
                         UMM_E_HANDLE);
        assert_int_equal(umm_set_exception_handler(x, NULL, NULL), UMM_E_HANDLE);
        assert_int_equal(umm_stats_get(x, &st), UMM_E_HANDLE);
        assert_int_equal(umm_check(x), UMM_E_HANDLE);
        umm_system_destroy(x);
    }
    /* NULL everywhere a handle goes */
    assert_int_equal(umm_process_create(NULL, &orphan), UMM_E_INVAL);
    assert_int_equal(umm_reserve(NULL, TU_GRAN, TU_RW, &p), UMM_E_INVAL);
    assert_int_equal(umm_commit(NULL, v.data, PG, TU_RW), UMM_E_INVAL);
    assert_int_equal(umm_stats_get(NULL, &st), UMM_E_INVAL);
    assert_int_equal(umm_check(NULL), UMM_E_INVAL);
    umm_system_destroy(NULL);
    umm_process_destroy(NULL);
    victim_intact(&v);
    victim_free(&v);
    /* the victim itself, destroyed: its handles are dead too */
    assert_int_equal(umm_check(v.sys), UMM_E_HANDLE);
    assert_int_equal(umm_ws_empty(v.proc), UMM_E_HANDLE);
    umm_system_destroy(v.sys);
}

static void test_bad_ranges(void **state) {
    (void)state;
    victim_t v;
    victim_new(&v);
    umm_process_t *other;
    assert_int_equal(umm_process_create(v.sys, &other), UMM_OK);
    char *r = tu_reserve(v.proc, 4 * TU_GRAN, TU_RW);
    char *theirs = tu_reserve(other, TU_GRAN, TU_RW);
    char stack[64];
    void *p = NULL;
    /* reserve */
    assert_int_equal(umm_reserve(v.proc, 0, TU_RW, &p), UMM_E_RANGE);
    assert_int_equal(umm_reserve(v.proc, SIZE_MAX, TU_RW, &p), UMM_E_RANGE);
    assert_int_equal(umm_reserve(v.proc, (size_t)1 << 50, TU_RW, &p), UMM_E_RANGE);
    assert_int_equal(umm_reserve(v.proc, TU_GRAN, 0x40, &p), UMM_E_INVAL);
    assert_int_equal(umm_reserve(v.proc, TU_GRAN, -5, &p), UMM_E_INVAL);
    assert_int_equal(umm_reserve(v.proc, TU_GRAN, TU_RW, NULL), UMM_E_INVAL);
    assert_int_equal(umm_reserve_aligned(v.proc, TU_GRAN, 0, TU_RW, &p), UMM_E_ALIGN);
    assert_int_equal(umm_reserve_aligned(v.proc, TU_GRAN, 3 * TU_GRAN, TU_RW, &p), UMM_E_ALIGN);
    assert_int_equal(umm_reserve_aligned(v.proc, TU_GRAN, PG, TU_RW, &p), UMM_E_ALIGN);
    assert_int_equal(umm_reserve_aligned(v.proc, TU_GRAN, (size_t)1 << 45, TU_RW, &p), UMM_E_ALIGN);
    assert_null(p);
    /* commit / decommit / protect: addresses and sizes */
    struct {
        void *addr;
        size_t bytes;
        int want;
    } cases[] = {
        {NULL, PG, UMM_E_INVAL},
        {r + 1, PG, UMM_E_ALIGN},
        {r, 0, UMM_E_RANGE},
        {r, SIZE_MAX, UMM_E_RANGE},
        {r, SIZE_MAX - PG + 2, UMM_E_RANGE},
        {(char *)(UINTPTR_MAX & ~(uintptr_t)(PG - 1)), 2 * PG, UMM_E_RANGE},
        {r + 4 * TU_GRAN - PG, 2 * PG, UMM_E_RANGE},
        {r, 5 * TU_GRAN, UMM_E_RANGE},
        {theirs, PG, UMM_E_NOT_RESERVED},
        {(void *)((uintptr_t)stack & ~(uintptr_t)(PG - 1)), PG, UMM_E_NOT_RESERVED},
        {(void *)(uintptr_t)PG, PG, UMM_E_NOT_RESERVED},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int rc;
        if ((rc = umm_commit(v.proc, cases[k].addr, cases[k].bytes, TU_RW)) != cases[k].want ||
            (rc = umm_decommit(v.proc, cases[k].addr, cases[k].bytes)) != cases[k].want ||
            (rc = umm_protect(v.proc, cases[k].addr, cases[k].bytes, UMM_PROT_READ, NULL)) != cases[k].want)
            fail_msg("case %zu: %s, want %s", k, umm_error_name(rc), umm_error_name(cases[k].want));
    }
    assert_int_equal(umm_commit(v.proc, r, PG, 0x40), UMM_E_INVAL);
    assert_int_equal(umm_commit(v.proc, r, PG, -7), UMM_E_INVAL);
    assert_int_equal(umm_protect(v.proc, r, PG, TU_RW, NULL), UMM_E_NOT_COMMITTED);
    assert_int_equal(umm_protect(v.proc, v.data, PG, 0x40, NULL), UMM_E_INVAL);
    /* commit beyond the limit: charged nothing */
    char *big = tu_reserve(v.proc, 64 * TU_MIB, TU_RW);
    assert_int_equal(umm_commit(v.proc, big, 64 * TU_MIB, TU_RW), UMM_E_COMMIT_LIMIT);
    /* release */
    assert_int_equal(umm_release(v.proc, NULL), UMM_E_INVAL);
    assert_int_equal(umm_release(v.proc, r + PG), UMM_E_INVAL);
    assert_int_equal(umm_release(v.proc, theirs), UMM_E_NOT_RESERVED);
    assert_int_equal(umm_release(v.proc, stack), UMM_E_NOT_RESERVED);
    assert_int_equal(umm_release(v.proc, WILD), UMM_E_NOT_RESERVED);
    assert_int_equal(umm_release(v.proc, r), UMM_OK);
    assert_int_equal(umm_release(v.proc, r), UMM_E_NOT_RESERVED);
    assert_int_equal(umm_release(v.proc, big), UMM_OK);
    /* query */
    umm_region_info_t qi;
    assert_int_equal(umm_query(v.proc, v.data, NULL), UMM_E_INVAL);
    assert_int_equal(umm_query(v.proc, NULL, &qi), UMM_E_NOT_RESERVED);
    assert_int_equal(qi.state, UMM_REGION_FREE);
    assert_int_equal(umm_query(v.proc, WILD, &qi), UMM_E_NOT_RESERVED);
    assert_int_equal(umm_query(v.proc, stack, &qi), UMM_E_NOT_RESERVED);
    assert_int_equal(umm_query(v.proc, theirs, &qi), UMM_E_NOT_RESERVED);
    assert_int_equal(umm_query(v.proc, r, &qi), UMM_E_NOT_RESERVED); /* released */
    assert_int_equal(umm_query(v.proc, v.data + 3 * PG + 5, &qi), UMM_OK);
    assert_int_equal(qi.state, UMM_REGION_COMMITTED);
    umm_process_destroy(other);
    victim_intact(&v);
    victim_free(&v);
}

static void test_bad_working_sets_and_lists(void **state) {
    (void)state;
    victim_t v;
    victim_new(&v);
    size_t a, b;
    unsigned f;
    assert_int_equal(umm_ws_set_limits(v.proc, 1, 0, 0), UMM_E_INVAL);
    assert_int_equal(umm_ws_set_limits(v.proc, 10, 5, 0), UMM_E_INVAL);
    assert_int_equal(umm_ws_set_limits(v.proc, 1, 10, 0x80), UMM_E_INVAL);
    assert_int_equal(umm_ws_set_limits(v.proc, SIZE_MAX - 1, SIZE_MAX, 0), UMM_E_NO_FRAMES);
    assert_int_equal(umm_ws_get_limits(v.proc, NULL, NULL, NULL), UMM_OK);
    assert_int_equal(umm_ws_get_limits(v.proc, &a, &b, &f), UMM_OK);
    assert_int_equal(a, UMM_WS_DEFAULT_MIN);
    assert_int_equal(b, UMM_WS_DEFAULT_MAX);
    assert_int_equal(umm_process_set_priority(v.proc, 8), UMM_E_INVAL);
    assert_int_equal(umm_process_set_priority(v.proc, UINT32_MAX), UMM_E_INVAL);
    assert_int_equal(umm_standby_purge(v.sys, 8, NULL), UMM_E_INVAL);
    assert_int_equal(umm_flush_modified(v.sys), UMM_E_NOT_SUPPORTED); /* no paging file */
    assert_int_equal(umm_stats_get(v.sys, NULL), UMM_E_INVAL);
    assert_int_equal(umm_process_stats_get(v.proc, NULL), UMM_E_INVAL);
    victim_intact(&v);
    victim_free(&v);
}

static void test_bad_sections_and_notifications(void **state) {
    (void)state;
    victim_t v;
    victim_new(&v);
    umm_section_t *sec = NULL;
    void *view = NULL;
    assert_int_equal(umm_section_create(v.sys, 0, &sec), UMM_E_RANGE);
    assert_int_equal(umm_section_create(v.sys, SIZE_MAX, &sec), UMM_E_RANGE);
    assert_int_equal(umm_section_create(v.sys, (size_t)1 << 40, &sec), UMM_E_COMMIT_LIMIT);
    assert_int_equal(umm_section_create(v.sys, PG, NULL), UMM_E_INVAL);
    assert_int_equal(umm_section_create(v.sys, PG, &sec), UMM_OK);
    assert_int_equal(umm_section_map(v.proc, sec, 0x40, &view), UMM_E_INVAL);
    assert_int_equal(umm_section_map(v.proc, sec, UMM_PROT_GUARD, &view), UMM_E_INVAL);
    assert_int_equal(umm_section_map(v.proc, sec, UMM_PROT_READ, NULL), UMM_E_INVAL);
    assert_int_equal(umm_section_map(v.proc, NULL, UMM_PROT_READ, &view), UMM_E_INVAL);
    assert_int_equal(umm_section_map(v.proc, FOREIGN, UMM_PROT_READ, &view), UMM_E_HANDLE);
    /* a section of another system */
    umm_system_t *sys2;
    umm_process_t *p2;
    umm_config_t c = tu_config(4 * TU_MIB, 16);
    tu_sys_new_cfg(&c, &sys2, &p2);
    assert_int_equal(umm_section_map(p2, sec, UMM_PROT_READ, &view), UMM_E_INVAL);
    umm_system_destroy(sys2);
    assert_int_equal(umm_section_close(sec), UMM_OK);
    assert_int_equal(umm_section_close(sec), UMM_E_HANDLE);
    assert_int_equal(umm_section_map(v.proc, sec, UMM_PROT_READ, &view), UMM_E_HANDLE);
    assert_int_equal(umm_section_close(NULL), UMM_E_INVAL);
    assert_int_equal(umm_section_close(FOREIGN), UMM_E_HANDLE);
    assert_null(view);

    umm_notification_t *n = NULL;
    int sig;
    assert_int_equal(umm_notification_create(v.sys, 7, NULL, NULL, &n), UMM_E_INVAL);
    assert_int_equal(umm_notification_create(v.sys, UMM_NOTIFY_LOW_MEMORY, NULL, NULL, NULL), UMM_E_INVAL);
    assert_int_equal(umm_notification_create(v.sys, UMM_NOTIFY_LOW_MEMORY, NULL, NULL, &n), UMM_OK);
    assert_int_equal(umm_notification_query(n, NULL), UMM_E_INVAL);
    umm_notification_destroy(n);
    assert_int_equal(umm_notification_fd(n), -1);
    assert_int_equal(umm_notification_query(n, &sig), UMM_E_HANDLE);
    umm_notification_destroy(n);
    umm_notification_destroy(NULL);
    umm_notification_destroy(FOREIGN);
    assert_int_equal(umm_notification_fd(NULL), -1);
    assert_int_equal(umm_notification_query(FOREIGN, &sig), UMM_E_HANDLE);
    victim_intact(&v);
    victim_free(&v);
}

static void test_bad_failpoints(void **state) {
    (void)state;
    uint64_t n;
    int failed;
    assert_int_equal(umm_failpoint_enable(NULL, 1.0, 0), UMM_E_INVAL);
    assert_int_equal(umm_failpoint_enable("", 1.0, 0), UMM_E_INVAL);
    assert_int_equal(umm_failpoint_enable("umm/no/such", 1.0, 0), UMM_E_INVAL);
    assert_int_equal(umm_failpoint_enable("other/*", 1.0, 0), UMM_E_INVAL);
    assert_int_equal(umm_failpoint_enable("umm/os/map", 0.0, 0), UMM_E_INVAL);
    assert_int_equal(umm_failpoint_enable("umm/os/map", 1.5, 0), UMM_E_INVAL);
    assert_int_equal(umm_failpoint_enable("umm/os/map", -1.0, 0), UMM_E_INVAL);
    assert_int_equal(umm_failpoint_enable("umm/os/map", 0.0 / 0.0, 0), UMM_E_INVAL);
    assert_int_equal(umm_failpoint_enable("umm/os/map", 1.0, 0x10), UMM_E_INVAL);
    assert_int_equal(umm_failpoint_disable(NULL), UMM_E_INVAL);
    assert_int_equal(umm_failpoint_disable("umm/no/such"), UMM_E_INVAL);
    assert_int_equal(umm_failpoint_set_hook("umm/os/map", NULL, NULL), UMM_E_INVAL);
    assert_int_equal(umm_failpoint_check("umm/no/such", &failed), UMM_E_INVAL);
    assert_int_equal(umm_failpoint_check("umm/os/map", NULL), UMM_E_INVAL);
    assert_int_equal(umm_failpoint_failures(NULL, &n), UMM_E_INVAL);
    assert_int_equal(umm_failpoint_failures("umm/os/map", NULL), UMM_E_INVAL);
    assert_null(umm_failpoint_name(10000));
    assert_int_equal(umm_failpoint_check("umm/os/map", &failed), UMM_OK);
    assert_int_equal(failed, 0); /* nothing above turned anything on */
}

static void test_bad_heap(void **state) {
    (void)state;
    umm_heap_t *h = NULL;
    assert_int_equal(umm_heap_create(NULL, &h), UMM_E_INVAL);
    assert_int_equal(umm_heap_create(FOREIGN, &h), UMM_E_HANDLE);
    assert_null(umm_heap_malloc(NULL, 8));
    assert_null(umm_heap_malloc(FOREIGN, 8));
    assert_null(umm_heap_calloc(FOREIGN, 1, 8));
    assert_null(umm_heap_realloc(FOREIGN, NULL, 8));
    assert_null(umm_heap_aligned_alloc(FOREIGN, 64, 8));
    umm_heap_free(FOREIGN, FOREIGN);
    umm_heap_free(NULL, NULL);
    assert_int_equal(umm_heap_malloc_usable_size(FOREIGN, FOREIGN), 0);
    assert_int_equal(umm_heap_purge(FOREIGN), UMM_E_HANDLE);
    assert_int_equal(umm_heap_set_decay(FOREIGN, 0), UMM_E_HANDLE);
    umm_heap_stats_t hs;
    assert_int_equal(umm_heap_stats(FOREIGN, &hs), UMM_E_HANDLE);
    assert_null(umm_heap_process(FOREIGN));
    assert_int_equal(umm_heap_owns(FOREIGN, FOREIGN), 0);
    umm_heap_destroy(FOREIGN);
    umm_heap_destroy(NULL);
}

static void test_bad_hypervisor(void **state) {
    (void)state;
    umm_hv_host_t *host = NULL;
    umm_hv_host_config_t hc = UMM_HV_HOST_CONFIG_INIT;
    hc.ram_bytes = 16 * TU_MIB;
    hc.swap_bytes = 0;
    hc.flags = UMM_HV_NO_WORKERS;
    assert_int_equal(umm_hv_host_create(NULL, &host), UMM_E_INVAL);
    assert_int_equal(umm_hv_host_create(&hc, NULL), UMM_E_INVAL);
    umm_hv_host_config_t bad = hc;
    bad.page_size = 8192;
    assert_int_equal(umm_hv_host_create(&bad, &host), UMM_E_INVAL);
    bad = hc;
    bad.idle_tax_pct = 100;
    assert_int_equal(umm_hv_host_create(&bad, &host), UMM_E_INVAL);
    assert_int_equal(umm_hv_host_create(&hc, &host), UMM_OK);
    umm_hv_guest_t *g = NULL;
    umm_hv_guest_config_t gc = {.sys = tu_config(8 * TU_MIB, 16)};
    gc.sys.flags = UMM_CFG_NO_WORKERS;
    assert_int_equal(umm_hv_guest_create(FOREIGN, &gc, &g), UMM_E_HANDLE);
    assert_int_equal(umm_hv_guest_create(host, NULL, &g), UMM_E_INVAL);
    umm_hv_guest_config_t gbad = gc;
    gbad.flags = 0x80;
    assert_int_equal(umm_hv_guest_create(host, &gbad, &g), UMM_E_INVAL);
    gbad = gc;
    gbad.reservation_bytes = 8 * TU_MIB, gbad.limit_bytes = TU_MIB;
    assert_int_equal(umm_hv_guest_create(host, &gbad, &g), UMM_E_INVAL);
    assert_int_equal(umm_hv_guest_create(host, &gc, &g), UMM_OK);
    assert_int_equal(umm_hv_balloon_set_target(g, SIZE_MAX), UMM_E_RANGE);
    assert_int_equal(umm_hv_guest_set_policy(g, 1, 2 * TU_MIB, TU_MIB), UMM_E_INVAL);
    umm_hv_guest_destroy(g);
    umm_hv_guest_stats_t gs;
    umm_hv_host_stats_t hs;
    assert_int_equal(umm_hv_guest_stats(g, &gs), UMM_E_HANDLE);
    assert_int_equal(umm_hv_balloon_set_target(g, 1), UMM_E_HANDLE);
    assert_int_equal(umm_hv_balloon_auto(g), UMM_E_HANDLE);
    assert_int_equal(umm_hv_guest_set_policy(g, 1, 0, 0), UMM_E_HANDLE);
    assert_null(umm_hv_guest_system(g));
    assert_null(umm_hv_guest_name(g));
    umm_hv_guest_destroy(g);
    umm_hv_guest_destroy(FOREIGN);
    assert_int_equal(umm_hv_host_stats(host, NULL), UMM_E_INVAL);
    umm_hv_host_destroy(host);
    assert_int_equal(umm_hv_host_stats(host, &hs), UMM_E_HANDLE);
    assert_int_equal(umm_hv_host_step(host), UMM_E_HANDLE);
    assert_int_equal(umm_hv_share_scan(host, 1, NULL), UMM_E_HANDLE);
    umm_hv_host_destroy(host);
    umm_hv_host_destroy(WILD);
    assert_non_null(umm_hv_state_name((umm_hv_state_t)99));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_and_strings),
        cmocka_unit_test(test_bad_configs),
        cmocka_unit_test(test_dead_and_foreign_handles),
        cmocka_unit_test(test_bad_ranges),
        cmocka_unit_test(test_bad_working_sets_and_lists),
        cmocka_unit_test(test_bad_sections_and_notifications),
        cmocka_unit_test(test_bad_failpoints),
        cmocka_unit_test(test_bad_heap),
        cmocka_unit_test(test_bad_hypervisor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
