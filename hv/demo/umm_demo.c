/* SPDX-License-Identifier: MIT */
/* umm_demo.c - the demo `make run` ends with: a host with 256 MiB of RAM runs three guests of
 * 192 MiB each (2.25x overcommitted): a busy one, an idle one with a large working set and one
 * full of identical pages. A live view shows, each second, what the host does to keep within
 * its RAM (sharing, ballooning, host swapping); at the end a summary, a PNG plot of the run,
 * and every byte of every guest verified. */
#define _GNU_SOURCE
#include "cli.h"
#include "view.h"
#include "workload.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MiB ((size_t)1 << 20)

typedef struct options {
    int seconds;
    size_t host_mib, guest_mib, image_mib;
    const char *csv, *png;
    bool plot;
} options_t;

static void usage(void)
{
    puts("usage: umm-demo [options]\n"
         "  A host runs three guests (busy, idle, clones) with more memory promised than it has;\n"
         "  a live view shows ballooning, page sharing and host swapping; every byte is verified.\n"
         "  --seconds N     how long the workloads run (default 20)\n"
         "  --host-mib N    host RAM (default 256)\n"
         "  --guest-mib N   RAM of each guest (default 192)\n"
         "  --image-mib N   the boot image every guest loads (identical pages; default 24)\n"
         "  --csv FILE      time series (default umm-demo.csv)\n"
         "  --png FILE      plot (default umm-demo.png; needs python3-matplotlib)\n"
         "  --no-plot       no plot\n"
         "  --help");
}

/* One numeric option, strictly: a whole number in [min, max] or an error naming the option. */
static bool parse_size_opt(const char *opt, const char *text, long min, long max, size_t *out)
{
    long v;
    if (!cli_parse_long("umm-demo", opt, text, min, max, &v))
        return false;
    *out = (size_t)v;
    return true;
}

static int parse(int argc, char **argv, options_t *o)
{
    *o = (options_t){20, 256, 192, 24, "umm-demo.csv", "umm-demo.png", true};
    long seconds = 0;
    bool ok = true;
    static const struct option opts[] = {
        {"seconds", required_argument, 0, 's'}, {"host-mib", required_argument, 0, 'H'},
        {"guest-mib", required_argument, 0, 'G'}, {"image-mib", required_argument, 0, 'I'},
        {"csv", required_argument, 0, 'c'}, {"png", required_argument, 0, 'p'},
        {"no-plot", no_argument, 0, 'n'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
        switch (c) {
        case 's':
            ok = cli_parse_long("umm-demo", "seconds", optarg, 1, 3600, &seconds);
            o->seconds = (int)seconds;
            break;
        case 'H': ok = parse_size_opt("host-mib", optarg, 16, 1 << 20, &o->host_mib); break;
        case 'G': ok = parse_size_opt("guest-mib", optarg, 16, 1 << 20, &o->guest_mib); break;
        case 'I': ok = parse_size_opt("image-mib", optarg, 0, 1 << 19, &o->image_mib); break;
        case 'c': o->csv = optarg; break;
        case 'p': o->png = optarg; break;
        case 'n': o->plot = false; break;
        case 'h': usage(); exit(0);
        default: fprintf(stderr, "umm-demo: see --help\n"); return 2;
        }
        if (!ok)
            return 2;
    }
    if (!cli_no_operands("umm-demo", argc, argv, optind))
        return 2;
    if (o->image_mib * 2 > o->guest_mib) {
        fprintf(stderr, "umm-demo: --image-mib %zu is more than half of --guest-mib %zu\n",
                o->image_mib, o->guest_mib);
        return 2;
    }
    return 0;
}

static void check(int rc, const char *what)
{
    if (rc != UMM_OK) {
        fprintf(stderr, "umm-demo: %s: %s (%s)\n", what, umm_strerror(rc), umm_error_name(rc));
        exit(1);
    }
}

static umm_hv_guest_t *make_guest(umm_hv_host_t *host, const options_t *o, const char *name,
                                  unsigned shares)
{
    umm_hv_guest_config_t gc = {0};
    gc.sys = (umm_config_t)UMM_CONFIG_INIT;
    gc.sys.ram_bytes = o->guest_mib * MiB;
    gc.sys.pagefile_bytes = o->guest_mib * MiB; /* the guest pages to its own disk */
    gc.sys.balance_interval_ms = 500;
    gc.shares = shares;
    gc.name = name;
    umm_hv_guest_t *g;
    check(umm_hv_guest_create(host, &gc, &g), "guest_create");
    return g;
}

static void sleep_s(int s)
{
    struct timespec ts = {s, 0};
    nanosleep(&ts, NULL);
}

/* The plot of the run; false only when plotting was possible and failed. */
static bool plot(const options_t *o)
{
    if (!o->plot)
        return true;
    return cli_plot("umm-demo", "plot_demo.py", o->csv, o->png) != CLI_PLOT_FAILED;
}

int main(int argc, char **argv)
{
    options_t o;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc;
    umm_hv_host_config_t hc = UMM_HV_HOST_CONFIG_INIT;
    hc.ram_bytes = o.host_mib * MiB;
    hc.swap_bytes = 3 * o.guest_mib * MiB;
    umm_hv_host_t *host;
    check(umm_hv_host_create(&hc, &host), "host_create");
    workload_t wl[3];
    const size_t data[3] = {o.guest_mib / 2, o.guest_mib * 3 / 4, o.guest_mib * 2 / 3};
    const workload_kind_t kinds[3] = {WL_BUSY, WL_IDLE, WL_CLONES};
    const char *names[3] = {"web", "batch", "clones"};
    printf("umm %s demo: host %zu MiB, 3 guests x %zu MiB (%.2fx overcommitted); loading...\n",
           umm_version(), o.host_mib, o.guest_mib, 3.0 * (double)o.guest_mib / (double)o.host_mib);
    for (int i = 0; i < 3; i++) {
        umm_hv_guest_t *g = make_guest(host, &o, names[i], 1000);
        check(workload_setup(&wl[i], kinds[i], g, o.image_mib, data[i] - o.image_mib), "workload");
    }
    FILE *csv = fopen(o.csv, "w");
    if (!csv) {
        perror(o.csv);
        return 1;
    }
    view_t v;
    view_begin(&v, host, wl, 3, csv);
    for (int i = 0; i < 3; i++)
        check(workload_start(&wl[i]), "workload_start");
    for (int t = 1; t <= o.seconds; t++) {
        sleep_s(1);
        view_tick(&v, t);
    }
    for (int i = 0; i < 3; i++) /* a short run still ends with every guest fully loaded */
        while (!atomic_load(&wl[i].loaded))
            sleep_s(1);
    for (int i = 0; i < 3; i++)
        workload_stop(&wl[i]);
    view_summary(&v);
    fclose(csv);
    size_t bad = 0, pages = 0;
    for (int i = 0; i < 3; i++) {
        size_t b = workload_verify(&wl[i]);
        pages += wl[i].image_pages + wl[i].data_pages;
        bad += b;
        printf("verify %-8s %zu pages, %zu wrong, umm_check %s\n", wl[i].name,
               wl[i].image_pages + wl[i].data_pages, b,
               umm_check(umm_hv_guest_system(wl[i].guest)) == UMM_OK ? "ok" : "FAILED");
    }
    umm_hv_host_destroy(host);
    printf("%s: %zu pages in 3 guests verified byte for byte, %zu wrong\n", bad ? "FAILED" : "OK",
           pages, bad);
    bool plotted = plot(&o);
    return bad || !plotted ? 1 : 0;
}
