/* SPDX-License-Identifier: MIT */
/* view.c - the demo's live view, CSV and summary (see view.h). */
#define _GNU_SOURCE
#include "view.h"

#include <inttypes.h>
#include <unistd.h>

#define MIB(pages) ((double)(pages) / 256.0)

void view_begin(view_t *v, umm_hv_host_t *host, workload_t *wl, int n, FILE *csv)
{
    *v = (view_t){.host = host, .wl = wl, .n = n, .csv = csv, .tty = isatty(STDOUT_FILENO)};
    if (csv)
        fprintf(csv, "t,guest,ws_mib,balloon_target_mib,balloon_actual_mib,shared_mib,"
                     "host_swapped_mib,consumed_mib,guest_paged_out_mib,active_pct,host_free_mib,state\n");
}

static uint64_t guest_ws(workload_t *w)
{
    umm_stats_t s;
    umm_stats_get(umm_hv_guest_system(w->guest), &s);
    return s.working_set;
}

void view_tick(view_t *v, int t)
{
    umm_hv_host_stats_t hs;
    umm_hv_host_stats(v->host, &hs);
    if (v->tty)
        printf("\033[H\033[J");
    printf("t=%3ds host %-5s free %6.1f MiB  overcommit %.2fx  shared frames %" PRIu64
           "  saved %6.1f MiB  zcache %5.1f MiB  swap %6.1f MiB  scan %6.0f p/s\n",
           t, umm_hv_state_name(hs.state), MIB(hs.free_frames), hs.overcommit, hs.shared_frames,
           MIB(hs.saved), MIB(hs.compression_frames), MIB(hs.swap_used), hs.scan_pages_per_sec);
    printf("  %-8s %-6s %8s %15s %8s %8s %9s %8s %6s %8s\n", "guest", "load", "ws MiB",
           "balloon tgt/act", "shared", "h-swap", "consumed", "paged", "active", "ops/s");
    for (int i = 0; i < v->n; i++) {
        workload_t *w = &v->wl[i];
        umm_hv_guest_stats_t gs;
        umm_stats_t ss;
        umm_hv_guest_stats(w->guest, &gs);
        umm_stats_get(umm_hv_guest_system(w->guest), &ss);
        uint64_t ops = atomic_load(&w->ops);
        uint64_t rate = ops - v->last_ops[i];
        v->last_ops[i] = ops;
        printf("  %-8s %-6s %8.1f %7.1f/%-7.1f %8.1f %8.1f %9.1f %8.1f %5" PRIu64 "%% %8" PRIu64 "\n",
               w->name, workload_kind_name(w->kind), MIB(guest_ws(w)), MIB(gs.balloon_target),
               MIB(gs.balloon_actual), MIB(gs.shared), MIB(gs.host_swapped), MIB(gs.consumed),
               MIB(ss.pages_output), gs.active_pct, rate);
        if (v->csv)
            fprintf(v->csv, "%d,%s,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%" PRIu64 ",%.2f,%s\n", t,
                    w->name, MIB(ss.working_set), MIB(gs.balloon_target), MIB(gs.balloon_actual),
                    MIB(gs.shared), MIB(gs.host_swapped), MIB(gs.consumed), MIB(ss.pages_output),
                    gs.active_pct, MIB(hs.free_frames), umm_hv_state_name(hs.state));
    }
    fflush(stdout);
}

void view_summary(view_t *v)
{
    umm_hv_host_stats_t hs;
    umm_hv_host_stats(v->host, &hs);
    printf("\nsummary (MiB unless said)\n");
    printf("  %-8s %9s %9s %9s %9s %9s %9s %9s %9s\n", "guest", "consumed", "shared", "saved",
           "balloon", "h-swapped", "h-swapins", "dbl-page", "cow");
    for (int i = 0; i < v->n; i++) {
        umm_hv_guest_stats_t gs;
        umm_hv_guest_stats(v->wl[i].guest, &gs);
        printf("  %-8s %9.1f %9.1f %9.1f %9.1f %9.1f %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "\n",
               v->wl[i].name, MIB(gs.consumed), MIB(gs.shared), MIB(gs.saved),
               MIB(gs.balloon_actual), MIB(gs.host_swapped), gs.swapped_in, gs.double_paging,
               gs.nested_cow_break);
    }
    /* how the host reclaimed: swap-ins by cause, victims by the guest list they came from */
    printf("  %-8s %9s %9s %9s %9s %9s %9s %9s %9s %9s\n", "reclaim", "in:access", "in:writer",
           "skipped", "handed", "v:free", "v:standby", "v:active", "v:modif", "dropped");
    for (int i = 0; i < v->n; i++) {
        umm_hv_guest_stats_t gs;
        umm_hv_guest_stats(v->wl[i].guest, &gs);
        printf("  %-8s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64
               " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "\n", v->wl[i].name, gs.swapin_access,
               gs.swapin_writer, gs.reads_skipped, gs.handed_over, gs.victims_free,
               gs.victims_standby, gs.victims_active, gs.victims_modified, gs.dropped);
    }
    printf("  host: %" PRIu64 " MiB RAM, overcommit %.2fx, scanned %" PRIu64 " pages (%.2f s CPU),"
           " merged %" PRIu64 ", compressed %" PRIu64 " / decompressed %" PRIu64 ","
           " swapped out %" PRIu64 " / in %" PRIu64 " pages\n",
           hs.host_frames / 256, hs.overcommit, hs.scanned, (double)hs.scan_cpu_ns / 1e9, hs.merged,
           hs.compressed_out, hs.decompressed, hs.swapped_out, hs.swapped_in);
}
