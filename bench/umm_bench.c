/* umm_bench.c - how close umm's fault paths and resident accesses come to the machine's floor.
 *
 * Every case pairs a figure on umm memory with a baseline measured in the same run on plain Linux
 * memory and compares the ratio umm/baseline with a target. The umm side also checks its fault
 * counters, so a figure can't silently measure something else (e.g. a clustered fault where a
 * single-page one was meant). See --help for the options and exit codes. */
#define _GNU_SOURCE
#include "bench.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "umm.h"

typedef struct case_def {
    const char *name, *unit;
    double target; /* largest acceptable umm/baseline */
    bench_sample_fn umm, base; /* separate samples, run alternately */
    bench_pair_fn pair;        /* or: one sample that yields both figures */
} case_def_t;

static const case_def_t k_cases[] = {
    /* resident_access: loads and stores to pages that are already valid, 8-byte read-modify-write
     * per 64-byte line, several passes. umm must cost nothing here: its pages are ordinary memfd
     * frames mapped MAP_SHARED, so the baseline is the same loop on malloc'd, pre-touched memory
     * (4 KiB pages on both sides: THP off on the baseline). The passes over the two buffers are
     * interleaved in one sample: memory bandwidth drifts too much between samples here. */
    {"resident_access", "ns/page", 1.05, NULL, NULL, umm_resident_access},
    /* demand_zero_single: cluster_pages = 1, sequential first-touch write of one byte per page:
     * one SIGSEGV per page, umm's handler maps a zeroed pool frame. The floor of that design is a
     * bare SIGSEGV handler doing exactly the kernel work umm must do, one mmap(MAP_FIXED|
     * MAP_SHARED|MAP_POPULATE) of a pre-allocated memfd frame at the faulting page with
     * contiguous frames (limits' sigsegv_mmap_frame_seq_contig_populate); the ratio is umm's own
     * bookkeeping (PTE, PFN lists, commit and VMA accounting) on top of it. */
    {"demand_zero_single", "ns/page", 1.30, umm_demand_zero_single, raw_sigsegv_mmap_frame, NULL},
    /* demand_zero_clustered: cluster_pages = 16, same touch: one fault maps 16 pages. Clustering
     * exists to get near what an application has without umm, so the baseline is the kernel's
     * own demand-zero write fault on anonymous memory. */
    {"demand_zero_clustered", "ns/page", 1.50, umm_demand_zero_clustered, raw_anon_demand_zero, NULL},
    /* soft_fault: pages written, umm_ws_empty (dirty pages to Modified, mapping kept PROT_NONE),
     * written again: one transition fault per page that umm resolves with one mprotect. The floor
     * is a bare SIGSEGV handler doing one mprotect(page, RW) on populated PROT_NONE pages (limits'
     * sigsegv_mprotect_seq_prepopulated). */
    {"soft_fault", "ns/fault", 1.30, umm_soft_fault, raw_sigsegv_mprotect, NULL},
};
#define NCASES ((int)(sizeof k_cases / sizeof k_cases[0]))
enum { C_RESIDENT, C_DZ_SINGLE, C_DZ_CLUSTERED, C_SOFT };

static void usage(FILE *f, const char *argv0)
{
    fprintf(f,
            "usage: %s [--quick] [--reps N] [--mib N] [--ram-mib N] [--case NAME]...\n"
            "          [--json FILE] [--csv FILE] [--verbose] [--help]\n"
            "Measures umm against same-run baselines; prints case | umm | baseline | unit |\n"
            "ratio | target | met.\n"
            "  --quick       4 MiB per case, 2 reps (smoke test: ratios never fail the run)\n"
            "  --reps N      repetitions per figure, median reported (default 5; quick 2)\n"
            "  --mib N       MiB touched per case (default 64; quick 4)\n"
            "  --ram-mib N   umm RAM budget per system (default 4 x --mib, at least 16)\n"
            "  --case NAME   run only this case (repeatable): resident_access,\n"
            "                demand_zero_single, demand_zero_clustered, soft_fault\n"
            "  --json FILE   also write the results as a JSON array (with machine info)\n"
            "  --csv FILE    also write the results as CSV\n"
            "  --verbose     print umm's fault-counter deltas for every sample\n"
            "exit status: 0 ok; 1 a case failed to run or its fault counters did not match;\n"
            "             2 usage error; 3 (full mode only) a ratio missed its target\n",
            argv0);
}

typedef struct cli {
    bench_opts_t o;
    const char *json, *csv;
    unsigned selected; /* bit per case; 0 = all */
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
        {"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0}};
    int reps = 0, mib = 0, ram_mib = 0, opt, k;
    memset(c, 0, sizeof *c);
    while ((opt = getopt_long(argc, argv, "qr:m:R:c:j:C:vh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'q': c->o.quick = 1; break;
        case 'r': reps = atoi(optarg); break;
        case 'm': mib = atoi(optarg); break;
        case 'R': ram_mib = atoi(optarg); break;
        case 'j': c->json = optarg; break;
        case 'C': c->csv = optarg; break;
        case 'v': c->o.verbose = 1; break;
        case 'h': usage(stdout, argv[0]); exit(0);
        case 'c':
            if ((k = case_index(optarg)) < 0) {
                fprintf(stderr, "unknown case '%s'\n", optarg);
                return 2;
            }
            c->selected |= 1u << k;
            break;
        default: usage(stderr, argv[0]); return 2;
        }
    }
    if (optind < argc || reps < 0 || reps > BENCH_MAX_REPS || mib < 0 || ram_mib < 0) {
        usage(stderr, argv[0]);
        return 2;
    }
    c->o.reps = reps ? reps : (c->o.quick ? 2 : 5);
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
    *r = (bench_result_t){.name = c->name, .unit = c->unit, .target = c->target, .ran = 1,
                          .verified = 1};
    printf("# %s ...\n", c->name);
    fflush(stdout);
    for (int k = 0; k < o->reps && r->ran; k++) {
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
        r->umm = bench_median(u, o->reps);
        r->baseline = bench_median(b, o->reps);
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

int main(int argc, char **argv)
{
    cli_t c;
    bench_result_t res[NCASES + 1];
    int n = 0, idx[NCASES], rc;
    if ((rc = parse_args(argc, argv, &c)) != 0)
        return rc;
    printf("# umm_bench: umm %s, %zu MiB per case, RAM budget %zu MiB, %d reps%s\n", umm_version(),
           c.o.bytes / BENCH_MiB, c.o.ram_bytes / BENCH_MiB, c.o.reps,
           c.o.quick ? ", quick mode" : "");
    for (int i = 0; i < NCASES; i++)
        if (!c.selected || (c.selected & (1u << i))) {
            idx[i] = n;
            run_case(&k_cases[i], &c.o, &res[n++]);
        } else {
            idx[i] = -1;
        }
    if (idx[C_DZ_SINGLE] >= 0 && idx[C_DZ_CLUSTERED] >= 0)
        res[n++] = info_row(&res[idx[C_DZ_SINGLE]], &res[idx[C_DZ_CLUSTERED]]);
    bench_print_table(res, n);

    int failed = 0, missed = 0;
    for (int i = 0; i < n; i++) {
        failed |= !res[i].ran || !res[i].verified;
        missed |= res[i].target > 0 && !bench_target_met(&res[i]);
    }
    if (c.json && bench_write_json(c.json, res, n, &c.o))
        failed = 1;
    if (c.csv && bench_write_csv(c.csv, res, n, &c.o))
        failed = 1;
    if (failed)
        return 1;
    return (missed && !c.o.quick) ? 3 : 0;
}
