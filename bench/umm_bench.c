/* SPDX-License-Identifier: MIT */
/* umm_bench.c - how close umm's fault paths, resident accesses and paging come to the machine's
 * floor.
 *
 * Every case pairs a figure on umm memory with a baseline measured in the same run on plain Linux
 * memory and compares the ratio umm/baseline with a target. The umm side also checks its fault
 * counters, so a figure can't silently measure something else (e.g. a clustered fault where a
 * single-page one was meant). See --help for the options and exit codes. */
#define _GNU_SOURCE
#include "bench.h"
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "umm.h"

typedef struct case_def {
    const char *name, *unit;
    double target; /* largest acceptable umm/baseline (smallest with HIGHER) */
    bench_sample_fn umm, base; /* separate samples, run alternately */
    bench_pair_fn pair;        /* or: one sample that yields both figures */
    unsigned flags;            /* CASE_* */
    int max_reps;              /* cap on --reps for a slow case (0: none) */
    bench_multi_fn multi;      /* or: a case that produces its own rows (its own repetitions) */
} case_def_t;

#define CASE_HIGHER 0x1   /* a throughput: ratio umm/baseline, target is a lower bound */
#define CASE_ADVISORY 0x2 /* target shown, but a miss never fails the run */

static const case_def_t k_cases[] = {
    /* resident_access: loads and stores to pages that are already valid, 8-byte read-modify-write
     * per 64-byte line, several passes. umm must cost nothing here: its pages are ordinary memfd
     * frames mapped MAP_SHARED, so the baseline is the same loop on malloc'd, pre-touched memory
     * (4 KiB pages on both sides: THP off on the baseline). The passes over the two buffers are
     * interleaved in one sample: memory bandwidth drifts too much between samples here. */
    {"resident_access", "ns/page", 1.05, NULL, NULL, umm_resident_access, 0, 0, NULL},
    /* demand_zero_single: cluster_pages = 1, sequential first-touch write of one byte per page:
     * one SIGSEGV per page, umm's handler maps a zeroed pool frame. The floor of that design is a
     * bare SIGSEGV handler doing exactly the kernel work umm must do, one mmap(MAP_FIXED|
     * MAP_SHARED|MAP_POPULATE) of a pre-allocated memfd frame at the faulting page with
     * contiguous frames (limits' sigsegv_mmap_frame_seq_contig_populate); the ratio is umm's own
     * bookkeeping (PTE, PFN lists, commit and VMA accounting) on top of it. */
    {"demand_zero_single", "ns/page", 1.30, umm_demand_zero_single, raw_sigsegv_mmap_frame, NULL, 0, 0, NULL},
    /* demand_zero_clustered: cluster_pages = 16, same touch: one fault maps 16 pages. Clustering
     * exists to get near what an application has without umm, so the baseline is the kernel's
     * own demand-zero write fault on anonymous memory. */
    {"demand_zero_clustered", "ns/page", 1.50, umm_demand_zero_clustered, raw_anon_demand_zero, NULL, 0, 0, NULL},
    /* soft_fault: pages written, umm_ws_empty (dirty pages to Modified, mapping kept PROT_NONE),
     * written again: one transition fault per page that umm resolves with one mprotect. The floor
     * is a bare SIGSEGV handler doing one mprotect(page, RW) on populated PROT_NONE pages (limits'
     * sigsegv_mprotect_seq_prepopulated). */
    {"soft_fault", "ns/fault", 1.30, umm_soft_fault, raw_sigsegv_mprotect, NULL, 0, 0, NULL},
    /* guard_exception: a guard-page exception round trip (fault, vectored handler outside the
     * signal handler, CONTINUE_EXECUTION, the access completes) on resident pages made guard
     * pages. The floor is the same raw SIGSEGV + mprotect handler as soft_fault's: the ratio is
     * the price of moving the handler out of the signal (saving the context on the stack, the
     * second trip through the kernel to resume it) plus umm's lookup. */
    {"guard_exception", "ns/exception", 1.30, umm_guard_exception, raw_sigsegv_mprotect, NULL, 0, 0, NULL},
    /* guard_exception_cpu: the same two sides timed in the thread's CPU time (user and kernel
     * time spent for the thread, not the time it waited preempted), which moves far less than the
     * wall clock on a shared machine; the run's medians of it are the figure to trust. */
    {"guard_exception_cpu", "ns/exception", 1.30, umm_guard_exception_cpu, raw_sigsegv_mprotect_cpu, NULL, 0, 0, NULL},
    /* guard_exception_vs_in_signal: the same round trip against umm's in-signal delivery
     * (UMM_CFG_EXCEPTIONS_IN_SIGNAL, handlers async-signal-safe only): information, no target */
    {"guard_exception_vs_in_signal", "ns/exception", 0, umm_guard_exception,
     umm_guard_exception_in_signal, NULL, 0, 0, NULL},
    /* ---- paging (bench_paging.c): a paging file on a real disk, page cache dropped before
     * every timed read; sizes from --mib B (default 64 MiB), see bench_paging.c ---- */
    /* hard_fault_random: cluster_pages = 1, 4 B committed in B/2 of RAM, every page written and
     * paged out, then loads of 3000 distinct random pages: one hard fault = one 4 KiB preadv.
     * Baseline: pread 4 KiB at the same offsets of a same-size file on the same disk into a
     * memfd frame + mmap(MAP_FIXED) of that frame, per page (no SIGSEGV: umm pays ~1.7 us of it).
     * Both are dominated by the disk's random 4 KiB read latency, which drifts, so the two sides
     * alternate in blocks of 50 reads inside one sample. */
    {"hard_fault_random", "ns/fault", 1.20, NULL, NULL, umm_hard_fault_random, 0, 0, NULL},
    /* the same with UMM_CFG_PAGEFILE_DIRECT against O_DIRECT preads: no page cache on either side */
    {"hard_fault_random_direct", "ns/fault", 1.20, NULL, NULL, umm_hard_fault_random_direct, 0,
     0, NULL},
    /* hard_fault_sequential_MBps: cluster_pages = 16, 2 B paged out, then a sequential load of
     * every page (one hard fault reads 16 pages, one soft fault maps the other 15), MB/s brought
     * in, against sequential 64 KiB preads of a same-size file after dropping its cache; the two
     * alternate in 8 MiB blocks inside one sample (the disk's rate drifts). */
    {"hard_fault_sequential_MBps", "MB/s", 0.60, NULL, NULL, umm_hard_fault_sequential,
     CASE_HIGHER, 0, NULL},
    /* information: the same scan from the last page to the first. umm_ws_empty trims a run last
     * page first, so the writer gives its last cluster the first paging-file slots; this order
     * reads the file forwards (the kernel's readahead helps), the ascending one backwards. */
    {"hard_fault_sequential_descending_MBps", "MB/s", 0, NULL, NULL,
     umm_hard_fault_sequential_desc, CASE_HIGHER, 0, NULL},
    /* writer_MBps: umm_flush_modified of 2 B of Modified pages (16-page clusters, pwritev) against
     * sequential 64 KiB pwrites of the same amount to a fresh file on the same disk. Neither
     * side includes fdatasync (umm's writer does not sync): both go into the page cache. */
    {"writer_MBps", "MB/s", 0.70, umm_writer, raw_sequential_write, NULL, CASE_HIGHER, 0, NULL},
    /* the same with UMM_CFG_PAGEFILE_DIRECT against O_DIRECT pwrites: to the disk itself */
    {"writer_direct_MBps", "MB/s", 0.70, umm_writer_direct, raw_sequential_write_direct, NULL,
     CASE_HIGHER | CASE_ADVISORY, 0, NULL},
    /* program_4x_ram: 2 B of memory in B/2 of RAM (4x), workers on, passes of a sequential
     * read-modify-write sweep plus random 8-byte updates, against the same program on malloc'd,
     * resident memory: the slowdown (ms per run; no target). Prints the fault breakdown and the
     * RSS; the checksums of both runs must agree. */
    {"program_4x_ram", "ms", 0, NULL, NULL, umm_program_4x_ram, 0, 3, NULL},
    /* trim_pages_per_sec: umm_ws_empty of B of dirty pages (to Modified), pages/s, against
     * mprotect(PROT_NONE) of the same memory in one call per 64 KiB run, the raw cost the
     * trimmer batches (umm revokes a whole run of valid pages with one call). Information. */
    {"trim_pages_per_sec", "pages/s", 0, umm_trim_dirty, raw_mprotect_64k_runs, NULL, CASE_HIGHER, 0, NULL},
    /* the same for clean pages (written, flushed, read back: they go to Standby) */
    {"trim_clean_pages_per_sec", "pages/s", 0, umm_trim_clean, raw_mprotect_64k_runs, NULL,
     CASE_HIGHER, 0, NULL},
    /* zeroing_MBps: the zero page thread's rate on B of decommitted (Free) frames, workers on,
     * against memset(0) of the same amount of touched memory, 4 KiB at a time. */
    {"zeroing_MBps", "MB/s", 0.50, umm_zeroing, raw_memset, NULL, CASE_HIGHER | CASE_ADVISORY, 0, NULL},
    /* zeroing_memset_floor: umm taken out of the side above: the frames mapped at a second
     * address, written and unmapped there, then zeroed by another thread through the mapping of
     * all of them, against the same baseline: the floor of its ratio on a machine */
    {"zeroing_memset_floor", "MB/s", 0, raw_memset_after_use, raw_memset, NULL, CASE_HIGHER, 0,
     NULL},
    /* ---- a program's I/O on managed memory (bench_io.c) ---- */
    /* io_pread_64k_paged_out: umm_io_read of 64 KiB (page-cached file) into paged-out buffers,
     * one clustered hard fault per 64 KiB, against pread into resident plain buffers */
    {"io_pread_64k_paged_out", "ns/op", 1.20, NULL, NULL, io_pread_paged_out, 0, 0, NULL},
    /* prefetch_random_touch: random reads of a paged-out 32 MiB range (O_DIRECT paging file)
     * after umm_prefetch, against the same reads without: target <= 1/3 (>= 3x faster) */
    {"prefetch_random_touch", "ns/page", 0.333, NULL, NULL, io_prefetch_random, 0, 0, NULL},
    /* write_watch_query_1GiB: umm_write_watch_get over 1 GiB with 1 % written, against a scan
     * of one word per page of a plain array. Information. */
    {"write_watch_query_1GiB", "us", 0, NULL, NULL, io_write_watch_query, 0, 3, NULL},
    /* filesec_sequential_read: a read pass over a view of a file-backed section, page cache
     * dropped, against the kernel's mmap of the same file, cache dropped: target <= 1.3x */
    {"filesec_sequential_read", "ns/page", 1.30, NULL, NULL, filesec_sequential_read, 0, 5, NULL},
    /* filesec_map_touch_floor: the pass above with umm's software and the I/O taken away (the
     * file already in memfd pages, mapped a piece at a time): the floor its ratio can reach */
    {"filesec_map_touch_floor", "ns/page", 0, NULL, NULL, filesec_map_touch_floor, 0, 5, NULL},
    /* ---- hypervisor (bench_hv.c) ---- */
    /* hv_nested_demand_zero_*: first-touch write of B in a guest (host UMM_HV_NO_WORKERS, guest
     * UMM_CFG_NO_WORKERS, RAM R), cluster 1 and 16: the guest's fault plus the nested zero fill
     * of a host frame, against the same touch in a plain umm system configured alike */
    {"hv_nested_demand_zero_single", "ns/page", 1.50, hv_nested_dz_single, hv_plain_dz_single,
     NULL, 0, 0, NULL},
    {"hv_nested_demand_zero_clustered", "ns/page", 1.50, hv_nested_dz_clustered,
     hv_plain_dz_clustered, NULL, 0, 0, NULL},
    /* hv_balloon_inflate_GiBps: the balloon takes half of a guest's R of RAM that is free,
     * umm_hv_host_step until actual == target; baseline: per-page MADV_DONTNEED of as much
     * populated anonymous memory (how a KVM host discards ballooned pages). Information. */
    {"hv_balloon_inflate_GiBps", "GiB/s", 0, hv_balloon_inflate, raw_madv_dontneed_pages, NULL,
     CASE_HIGHER, 0, NULL},
    /* hv_balloon_inflate_paging_MBps: the same when the guest's memory is in use (it must trim
     * and page to its paging file first) against the guest's own paging bandwidth (ws_empty +
     * flush_modified in the same set-up). Information. */
    {"hv_balloon_inflate_paging_MBps", "MB/s", 0, hv_balloon_inflate_paging, hv_guest_paging,
     NULL, CASE_HIGHER, 3, NULL},
    /* hv_share_scan_GiBps: umm_hv_share_scan over a guest's distinct pages, GiB per CPU-second,
     * against XXH3_64bits of the same pages; advisory lower bound 0.5 (the scan is a hash plus a
     * table probe) */
    {"hv_share_scan_GiBps", "GiB/s", 0.50, NULL, NULL, hv_share_scan_rate,
     CASE_HIGHER | CASE_ADVISORY, 0, NULL},
    /* hv_share_saved_pct: three guests booted from the same image, scanned until stable: saved
     * frames / image pages (%), against the ideal 66.7 % */
    {"hv_share_saved_pct", "%", 0.95, NULL, NULL, hv_share_saved, CASE_HIGHER, 3, NULL},
    /* hv_overcommit: three guests rewriting random pages at 1x..3x overcommit, with sharing and
     * ballooning ("umm") against without ("baseline"); table, CSV and PNG. Information. */
    {"hv_overcommit", "pages/s", 0, NULL, NULL, NULL, CASE_HIGHER, 0, hv_overcommit},
    /* hv_uncooperative: a 64 MiB guest on a 40 MiB host, uniform random accesses (1/4 writes),
     * without its balloon driver (host swapping) against with it: disk bytes and I/O requests of
     * the random phase (guest paging file + host swap), target <= 1.10 */
    {"hv_uncooperative", "MiB", 1.10, NULL, NULL, NULL, 0, 0, hv_uncooperative},
    /* hv_ballooned_as_small: one workload on a 64 MiB guest ballooned to 32 MiB against a guest
     * booted with 32 MiB: soft faults (<= 1.2) and pages written (<= 1.02), ballooned / small */
    {"hv_ballooned_as_small", "faults", 1.20, NULL, NULL, NULL, 0, 0, hv_ballooned_as_small},
    /* ---- allocators (bench_alloc.c): jemalloc on umm (umm_heap_*) against jemalloc with the
     * same flags on plain memory (target <= 1.10), jemalloc with its thread cache and glibc
     * (information rows) ---- */
    {"alloc_small_1t", "ns/op", 1.10, NULL, NULL, NULL, 0, 0, alloc_small_1t},
    {"alloc_small_2t", "ns/op", 1.10, NULL, NULL, NULL, 0, 0, alloc_small_2t},
    {"alloc_small_4t", "ns/op", 1.10, NULL, NULL, NULL, 0, 0, alloc_small_4t},
    {"alloc_large", "ns/op", 1.10, NULL, NULL, NULL, 0, 0, alloc_large},
    /* a heap 4x larger than umm's RAM with a paging file: completes, fault breakdown printed */
    {"alloc_larger_than_ram", "ms", 0, NULL, NULL, NULL, 0, 0, alloc_larger_than_ram},
    /* ---- scaling and overhead (bench_scale.c) ---- */
    /* demand-zero and trim ns/page with 64 MiB touched as the reservation grows 1..64 GiB */
    {"scale_reserve", "ns/page", 1.25, NULL, NULL, NULL, CASE_ADVISORY, 0, scale_reserve},
    /* the same as committed-and-touched memory grows 64 MiB..4 GiB */
    {"scale_commit", "ns/page", 1.25, NULL, NULL, NULL, CASE_ADVISORY, 0, scale_commit},
    /* umm's own memory per GiB managed, measured (RssAnon) and computed, RAM:committed 1:1, 1:4 */
    {"metadata_overhead", "KiB/GiB", 1.0, NULL, NULL, NULL, 0, 0, metadata_overhead},
    /* ---- against the kernel's own swap (bench_swap.c) ---- */
    /* swap: one program (sequential, random, 80/20, quicksort) over --mib of data at 2x, 4x, 8x
     * RAM, paged by umm and by the kernel's swap in a memory cgroup with a swapfile on the same
     * filesystem: time, disk bytes read and written (umm / kernel; targets at 2x and 4x), fault
     * breakdown and umm's RSS/PSS; CSV and PNG. Root and a memory cgroup; not in --quick. */
    {"swap", "s", 1.0, NULL, NULL, NULL, 0, 0, swap_vs_kernel},
    /* ---- far memory (bench_redis.c) ---- */
    /* redis: a hard fault from the Redis store vs a hiredis GET of 4 KiB (target <= 1.2), the
     * writer to Redis vs redis-benchmark -t set -d 65536, the swap case's random program at 4x RAM
     * paged to Redis vs to a paging file (information); own redis-server */
    {"redis", "ns/fault", 1.2, NULL, NULL, NULL, 0, 0, redis_store},
};
#define NCASES ((int)(sizeof k_cases / sizeof k_cases[0]))
enum { C_RESIDENT, C_DZ_SINGLE, C_DZ_CLUSTERED, C_SOFT, C_GUARD_EXC, C_GUARD_EXC_CPU, C_GUARD_EXC_IN_SIGNAL,
       C_HARD_RANDOM, C_HARD_RANDOM_DIRECT,
       C_HARD_SEQ, C_HARD_SEQ_DESC, C_WRITER, C_WRITER_DIRECT, C_PROGRAM, C_TRIM, C_TRIM_CLEAN, C_ZEROING,
       C_ZEROING_FLOOR,
       C_IO_PREAD, C_IO_PREFETCH, C_IO_WATCH, C_FILESEC_SEQ, C_FILESEC_FLOOR, C_HV_DZ_SINGLE, C_HV_DZ_CLUSTERED, C_HV_BALLOON,
       C_HV_BALLOON_PAGING, C_HV_SCAN, C_HV_SAVED, C_HV_OVERCOMMIT, C_HV_UNCOOPERATIVE, C_HV_AS_SMALL,
       C_ALLOC_1T,
       C_ALLOC_2T, C_ALLOC_4T, C_ALLOC_LARGE, C_ALLOC_BIG,
       C_SCALE_RESERVE, C_SCALE_COMMIT, C_METADATA, C_SWAP, C_REDIS };
_Static_assert(C_REDIS + 1 == sizeof k_cases / sizeof k_cases[0], "enum follows k_cases");
_Static_assert(sizeof k_cases / sizeof k_cases[0] <= 64, "selection is a 64-bit mask");
#define MAX_ROWS 160

/* The case names, wrapped at 80 columns: printed from k_cases, so --help lists every case. */
static void print_case_names(FILE *f)
{
    int col = 0;
    for (int i = 0; i < NCASES; i++) {
        int len = (int)strlen(k_cases[i].name);
        bool wrap = i == 0 || col + len + 2 > 80;
        fprintf(f, "%s%s", i == 0 ? "\n  " : wrap ? ",\n  " : ", ", k_cases[i].name);
        col = (wrap ? 2 : col + 2) + len;
    }
    fputc('\n', f);
}

static void usage(FILE *f, const char *argv0)
{
    fprintf(f,
            "usage: %s [--quick] [--reps N] [--mib N] [--ram-mib N] [--case NAME]...\n"
            "          [--dir DIR] [--json FILE] [--csv FILE] [--verbose] [--help]\n"
            "Measures umm against same-run baselines; prints case | umm | baseline | unit |\n"
            "ratio | target | met.\n"
            "  --quick       4 MiB per case, 2 reps (smoke test: ratios never fail the run)\n"
            "  --reps N      repetitions per figure, median reported (default 5; quick 2)\n"
            "  --mib N       MiB touched per case (default 64; quick 4)\n"
            "  --ram-mib N   umm RAM budget per system (default 4 x --mib, at least 16; the\n"
            "                paging cases size their own RAM from --mib)\n"
            "  --case NAME   run only this case (repeatable; the names are listed below)\n"
            "                (hv_overcommit and scale_* also write umm-bench-overcommit.csv/.png\n"
            "                and umm-bench-scaling.csv/.png in the current directory, full mode;\n"
            "                swap needs root and a memory cgroup, writes umm-bench-swap.csv/.png)\n"
            "  --dir DIR     directory for the paging cases' files (default: a new directory\n"
            "                in $TMPDIR, /var/tmp, /tmp or ., the first not on tmpfs; removed)\n"
            "  --json FILE   also write the results as a JSON array (with machine info)\n"
            "  --csv FILE    also write the results as CSV\n"
            "  --verbose     print umm's fault-counter deltas for every sample\n"
            "exit status: 0 ok; 1 a case failed to run, its fault counters did not match or a plot\n"
            "             failed (a missing matplotlib only skips it);\n"
            "             2 usage error; 3 (full mode only) a ratio missed its target\n"
            "cases (from the table that runs them):",
            argv0);
    print_case_names(f);
}

typedef struct cli {
    bench_opts_t o;
    const char *json, *csv;
    uint64_t selected; /* bit per case; 0 = all */
} cli_t;

static int case_index(const char *name)
{
    for (int i = 0; i < NCASES; i++)
        if (strcmp(k_cases[i].name, name) == 0)
            return i;
    return -1;
}

static int parse_args(int argc, char **argv, cli_t *c)
{
    static const struct option longopts[] = {
        {"quick", no_argument, NULL, 'q'},    {"reps", required_argument, NULL, 'r'},
        {"mib", required_argument, NULL, 'm'}, {"ram-mib", required_argument, NULL, 'R'},
        {"case", required_argument, NULL, 'c'}, {"json", required_argument, NULL, 'j'},
        {"csv", required_argument, NULL, 'C'}, {"verbose", no_argument, NULL, 'v'},
        {"dir", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    long reps = 0, mib = 0, ram_mib = 0;
    int opt, k, ok = 1;
    memset(c, 0, sizeof *c);
    while ((opt = getopt_long(argc, argv, "qr:m:R:c:j:C:vd:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'q': c->o.quick = 1; break;
        case 'r': ok = cli_parse_long("umm-bench", "reps", optarg, 1, BENCH_MAX_REPS, &reps); break;
        case 'm': ok = cli_parse_long("umm-bench", "mib", optarg, 1, 1 << 20, &mib); break;
        case 'R': ok = cli_parse_long("umm-bench", "ram-mib", optarg, 16, 1 << 20, &ram_mib); break;
        case 'j': c->json = optarg; break;
        case 'C': c->csv = optarg; break;
        case 'v': c->o.verbose = 1; break;
        case 'd': c->o.dir = optarg; break;
        case 'h': usage(stdout, argv[0]); exit(0);
        case 'c':
            if ((k = case_index(optarg)) < 0) {
                fprintf(stderr, "unknown case '%s'\n", optarg);
                return 2;
            }
            c->selected |= 1ull << k;
            break;
        default: fprintf(stderr, "umm-bench: see --help\n"); return 2;
        }
        if (!ok)
            return 2;
    }
    if (!cli_no_operands("umm-bench", argc, argv, optind))
        return 2;
    c->o.reps = reps ? (int)reps : (c->o.quick ? 2 : 5);
    c->o.bytes = (size_t)(mib ? mib : (c->o.quick ? 4 : 64)) * BENCH_MiB;
    c->o.ram_bytes = ram_mib ? (size_t)ram_mib * BENCH_MiB : 4 * c->o.bytes;
    if (c->o.ram_bytes < 16 * BENCH_MiB)
        c->o.ram_bytes = 16 * BENCH_MiB;
    c->o.passes = c->o.quick ? 4 : 16;
    return 0;
}

/* REPS samples of each side, umm and baseline alternating who goes first; medians */
static void run_case(const case_def_t *c, const bench_opts_t *o, bench_result_t *r)
{
    double u[BENCH_MAX_REPS], b[BENCH_MAX_REPS];
    int reps = c->max_reps > 0 && c->max_reps < o->reps ? c->max_reps : o->reps;
    *r = (bench_result_t){.name = c->name, .unit = c->unit, .target = c->target,
                          .higher_better = !!(c->flags & CASE_HIGHER),
                          .advisory = !!(c->flags & CASE_ADVISORY), .ran = 1, .verified = 1};
    printf("# %s ...\n", c->name);
    fflush(stdout);
    for (int k = 0; k < reps && r->ran; k++) {
        bench_check_t cu = {1, ""}, cb = {1, ""};
        int umm_first = !(k & 1), rc;
        if (c->pair)
            rc = c->pair(o, &u[k], &b[k], &cu);
        else if (!(rc = umm_first ? c->umm(o, &u[k], &cu) : c->base(o, &b[k], &cb)))
            rc = umm_first ? c->base(o, &b[k], &cb) : c->umm(o, &u[k], &cu);
        if (rc)
            r->ran = 0;
        if (!cu.ok || !cb.ok)
            r->verified = 0;
    }
    if (r->ran) {
        r->umm = bench_median(u, reps);
        r->baseline = bench_median(b, reps);
    }
}

/* information only: clustered umm demand-zero against the raw mmap-frame floor of case 2 */
static bench_result_t info_row(const bench_result_t *single, const bench_result_t *clustered)
{
    return (bench_result_t){.name = "demand_zero_clustered_vs_raw_mmap_floor", .unit = "ns/page",
                            .umm = clustered->umm, .baseline = single->baseline, .target = 0,
                            .ran = single->ran && clustered->ran,
                            .verified = single->verified && clustered->verified};
}

/* information only: program_4x_ram's peak RSS growth (MiB) against its RAM budget (MiB) */
static bench_result_t rss_row(const bench_result_t *program)
{
    double rss, ram;
    bench_paging_program_rss(&rss, &ram);
    return (bench_result_t){.name = "program_4x_ram_peak_rss_vs_ram", .unit = "MiB", .umm = rss,
                            .baseline = ram, .target = 0, .ran = program->ran && ram > 0,
                            .verified = program->verified};
}

int main(int argc, char **argv)
{
    cli_t c;
    bench_result_t res[MAX_ROWS];
    int n = 0, idx[NCASES], rc;
    if ((rc = parse_args(argc, argv, &c)) != 0)
        return rc;
    bench_cleanup_on_interrupt(); /* no swapfile nor scratch file outlives an interrupted run */
    if (!c.selected || (c.selected & (0x1full << C_ALLOC_1T)))
        bench_alloc_prepare(argv); /* may re-execute the program once (static TLS tunable) */
    printf("# umm_bench: umm %s, %zu MiB per case, RAM budget %zu MiB, %d reps%s\n", umm_version(),
           c.o.bytes / BENCH_MiB, c.o.ram_bytes / BENCH_MiB, c.o.reps,
           c.o.quick ? ", quick mode" : "");
    for (int i = 0; i < NCASES; i++)
        if (!c.selected || (c.selected & (1ull << i))) {
            idx[i] = n;
            if (k_cases[i].multi) {
                printf("# %s ...\n", k_cases[i].name);
                fflush(stdout);
                int got = k_cases[i].multi(&c.o, &res[n], MAX_ROWS - 2 - n);
                if (got <= 0) { /* nothing could run: one failed row */
                    res[n] = bench_row(k_cases[i].name, k_cases[i].unit, 0, 0, 0, 0, 0, 0, 0);
                    got = 1;
                }
                n += got;
            } else {
                run_case(&k_cases[i], &c.o, &res[n++]);
            }
        } else {
            idx[i] = -1;
        }
    if (idx[C_DZ_SINGLE] >= 0 && idx[C_DZ_CLUSTERED] >= 0)
        res[n++] = info_row(&res[idx[C_DZ_SINGLE]], &res[idx[C_DZ_CLUSTERED]]);
    if (idx[C_PROGRAM] >= 0)
        res[n++] = rss_row(&res[idx[C_PROGRAM]]);
    bench_paging_cleanup();
    bench_print_table(res, n);

    int failed = 0, missed = 0;
    for (int i = 0; i < n; i++) {
        failed |= !res[i].ran || !res[i].verified;
        missed |= res[i].target > 0 && !res[i].advisory && !bench_target_met(&res[i]);
    }
    if (c.json && bench_write_json(c.json, res, n, &c.o))
        failed = 1;
    if (c.csv && bench_write_csv(c.csv, res, n, &c.o))
        failed = 1;
    if (failed || bench_plot_failures())
        return 1;
    return (missed && !c.o.quick) ? 3 : 0;
}
