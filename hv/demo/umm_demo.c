/* umm_demo.c - the demo `make run` ends with. Today it shows the core: two processes in one
 * system write address-keyed data, lose their working sets, fault it back in and verify every
 * byte, printing the Windows-style counters after each phase. (The hypervisor demo replaces it
 * when hv/ lands.) */
#define _GNU_SOURCE
#include <umm.h>

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MiB ((size_t)1 << 20)

static int check(int rc, const char *what)
{
    if (rc != UMM_OK) {
        fprintf(stderr, "umm-demo: %s: %s (%s)\n", what, umm_strerror(rc), umm_error_name(rc));
        exit(1);
    }
    return rc;
}

static uint64_t pattern(const void *addr)
{
    uint64_t x = (uint64_t)(uintptr_t)addr * 0x9E3779B97F4A7C15ull;
    return x ^ (x >> 29);
}

static void fill(uint64_t *p, size_t bytes)
{
    for (size_t i = 0; i < bytes / 8; i += 512) /* one word per 4 KiB page */
        p[i] = pattern(&p[i]);
}

static size_t verify(const uint64_t *p, size_t bytes)
{
    size_t bad = 0;
    for (size_t i = 0; i < bytes / 8; i += 512)
        bad += p[i] != pattern(&p[i]);
    return bad;
}

static void show(umm_system_t *sys, const char *phase)
{
    umm_stats_t s;
    check(umm_stats_get(sys, &s), "stats");
    printf("%-28s %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64
           " %8" PRIu64 " %6" PRIu64 "\n",
           phase, s.working_set, s.available, s.modified, s.committed, s.faults_demand_zero,
           s.faults_transition, s.pages_trimmed, s.vma_count);
}

static void usage(void)
{
    puts("usage: umm-demo [--ram MiB] [--cluster PAGES]\n"
         "  Two processes in one umm system write, lose and regain their working sets;\n"
         "  every byte is verified. Counters are pages.");
}

int main(int argc, char **argv)
{
    umm_config_t cfg = UMM_CONFIG_INIT;
    cfg.ram_bytes = 64 * MiB;
    static const struct option opts[] = {
        {"ram", required_argument, 0, 'r'}, {"cluster", required_argument, 0, 'c'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    for (int o; (o = getopt_long(argc, argv, "r:c:h", opts, NULL)) != -1;) {
        if (o == 'r')
            cfg.ram_bytes = (size_t)strtoul(optarg, NULL, 10) * MiB;
        else if (o == 'c')
            cfg.cluster_pages = (unsigned)strtoul(optarg, NULL, 10);
        else {
            usage();
            return o == 'h' ? 0 : 2;
        }
    }
    umm_system_t *sys;
    umm_process_t *a, *b;
    check(umm_system_create(&cfg, &sys), "system_create");
    check(umm_process_create(sys, &a), "process_create");
    check(umm_process_create(sys, &b), "process_create");
    size_t abytes = cfg.ram_bytes / 2, bbytes = cfg.ram_bytes / 4;
    void *pa, *pb;
    check(umm_reserve(a, abytes * 4, UMM_PROT_READ | UMM_PROT_WRITE, &pa), "reserve");
    check(umm_reserve(b, bbytes, UMM_PROT_READ | UMM_PROT_WRITE, &pb), "reserve");
    check(umm_commit(a, pa, abytes, -1), "commit");
    check(umm_commit(b, pb, bbytes, -1), "commit");
    printf("umm %s: %zu MiB of RAM, cluster %u pages\n\n", umm_version(), cfg.ram_bytes / MiB,
           cfg.cluster_pages);
    printf("%-28s %8s %8s %8s %8s %8s %8s %8s %6s\n", "phase", "ws", "avail", "modified",
           "commit", "dz-flt", "soft-flt", "trimmed", "vmas");
    show(sys, "committed");
    fill(pa, abytes);
    fill(pb, bbytes);
    show(sys, "written");
    check(umm_ws_empty(a), "ws_empty");
    show(sys, "A's working set emptied");
    size_t bad = verify(pa, abytes);
    show(sys, "A read back (soft faults)");
    check(umm_ws_trim(b, bbytes / cfg.page_size / 2), "ws_trim");
    show(sys, "B trimmed by half");
    bad += verify(pb, bbytes);
    show(sys, "B read back");
    check(umm_check(sys), "check");
    umm_system_destroy(sys);
    printf("\n%s: %zu pages verified, %zu wrong\n", bad ? "FAILED" : "OK",
           (abytes + bbytes) / cfg.page_size, bad);
    return bad ? 1 : 0;
}
