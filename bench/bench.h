/* SPDX-License-Identifier: MIT */
/* bench.h - shared declarations of the umm benchmark (bench/umm_bench.c and bench/bench_*.c).
 *
 * Every figure is the median of `reps` repetitions timed with CLOCK_MONOTONIC. A case is a pair of
 * sample functions, one on umm memory and one baseline on plain Linux memory, run alternately in the
 * same process so that both see the same machine state. */
#ifndef UMM_BENCH_H
#define UMM_BENCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BENCH_MAX_REPS 64
#define BENCH_MiB ((size_t)1 << 20)

/* run-wide options (from the command line) */
typedef struct bench_opts {
    size_t bytes;     /* memory touched per case */
    size_t ram_bytes; /* umm RAM budget for every system the benchmark creates */
    int reps;         /* repetitions per figure (median) */
    int passes;       /* passes over resident memory in resident_access */
    int quick;        /* smoke-test mode: small sizes, ratios never fail the run */
    int verbose;      /* print the fault-counter deltas of every umm sample */
    const char *dir;  /* --dir: where the paging cases put their files (NULL: chosen on a real
                         disk, see bench_paging.c) */
} bench_opts_t;

/* outcome of the counter verification of one sample */
typedef struct bench_check {
    int ok;          /* 1 = the counters say the sample measured what it claims */
    char why[256];   /* when !ok: what did not match */
} bench_check_t;

/* one timed sample: returns 0 and sets *value (in the case's unit), or nonzero when it could not
 * run (a message has been printed to stderr). May mark *chk as failed. */
typedef int (*bench_sample_fn)(const bench_opts_t *o, double *value, bench_check_t *chk);

/* a case whose umm and baseline figures come from one sample (interleaved timing) */
typedef int (*bench_pair_fn)(const bench_opts_t *o, double *umm, double *baseline,
                             bench_check_t *chk);

/* one row of the result table */
struct bench_result;
/* a case that measures several rows itself (its own repetitions): fills up to max rows, returns
 * how many (rows that could not run have ran = 0) */
typedef int (*bench_multi_fn)(const struct bench_opts *o, struct bench_result *rows, int max);

typedef struct bench_result {
    const char *name;
    const char *unit;
    double umm, baseline; /* medians */
    double target;        /* largest acceptable umm/baseline (smallest with higher_better);
                             <= 0: information only */
    int higher_better;    /* throughput: ratio is still umm/baseline, target is a lower bound */
    int advisory;         /* target shown and checked, but a miss never sets exit status 3 */
    int ran;              /* 1 = every sample of both sides ran */
    int verified;         /* 1 = every umm sample passed its counter verification */
} bench_result_t;

/* ---- bench_util.c ---- */
uint64_t bench_now_ns(void);
/* From now on bench_now_ns reads the calling thread's CPU time (user + kernel on its behalf)
 * instead of the wall clock: time the thread spent preempted by other load is not counted, which
 * is what makes a fault round trip measurable on a shared machine. Off again with false. */
void bench_cpu_clock(bool on);
double bench_median(double *v, int n);
size_t bench_page_size(void);
/* touch and free `bytes` of anonymous memory so that the guest's free lists hold host-backed pages
 * (this VM hands freed memory back to the host; see /work/shared/limits/bench.h) */
void bench_prewarm(size_t bytes);
/* write one byte at the start of each of `npages` pages (first-touch / re-touch loop) */
void bench_touch_pages(char *p, size_t npages, size_t page);
/* one pass over `bytes`: read-modify-write one 8-byte word per 64-byte line; returns a checksum */
uint64_t bench_rmw_pass(uint64_t *p, size_t bytes);
/* print a warning line and mark the check failed (printf-style) */
void bench_check_fail(bench_check_t *chk, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- bench_raw.c: baselines on plain Linux memory ---- */
/* malloc'd, pre-touched, 4 KiB-page buffer for the resident_access baseline (free() it) */
uint64_t *raw_resident_buffer(size_t bytes);
int raw_sigsegv_mmap_frame(const bench_opts_t *o, double *ns_per_page, bench_check_t *chk);
int raw_anon_demand_zero(const bench_opts_t *o, double *ns_per_page, bench_check_t *chk);
int raw_sigsegv_mprotect(const bench_opts_t *o, double *ns_per_fault, bench_check_t *chk);

/* ---- bench_umm.c: the same on umm memory ---- */
int umm_resident_access(const bench_opts_t *o, double *umm_ns_per_page, double *base_ns_per_page,
                        bench_check_t *chk);
int umm_demand_zero_single(const bench_opts_t *o, double *ns_per_page, bench_check_t *chk);
int umm_demand_zero_clustered(const bench_opts_t *o, double *ns_per_page, bench_check_t *chk);
int umm_soft_fault(const bench_opts_t *o, double *ns_per_fault, bench_check_t *chk);
/* a guard-page exception handled by a vectored handler: dispatched outside the signal handler,
 * or inside it (UMM_CFG_EXCEPTIONS_IN_SIGNAL) */
int umm_guard_exception(const bench_opts_t *o, double *ns_per_exception, bench_check_t *chk);
int umm_guard_exception_cpu(const bench_opts_t *o, double *ns_per_exception, bench_check_t *chk);
int raw_sigsegv_mprotect_cpu(const bench_opts_t *o, double *ns_per_fault, bench_check_t *chk);
int umm_guard_exception_in_signal(const bench_opts_t *o, double *ns_per_exception,
                                  bench_check_t *chk);

/* ---- bench_paging.c: paging cases (paging file on a real disk), umm and baseline sides ---- */
/* hard_fault_random*: one sample yields both sides (interleaved: the disk's latency drifts) */
int umm_hard_fault_random(const bench_opts_t *o, double *umm_ns, double *base_ns,
                          bench_check_t *chk);
int umm_hard_fault_random_direct(const bench_opts_t *o, double *umm_ns, double *base_ns,
                                 bench_check_t *chk);
/* hard_fault_sequential*: one sample yields both sides (interleaved: the disk's rate drifts) */
int umm_hard_fault_sequential(const bench_opts_t *o, double *umm_mbps, double *base_mbps,
                              bench_check_t *chk);
int umm_hard_fault_sequential_desc(const bench_opts_t *o, double *umm_mbps, double *base_mbps,
                                   bench_check_t *chk);
int umm_writer(const bench_opts_t *o, double *mb_per_s, bench_check_t *chk);
int raw_sequential_write(const bench_opts_t *o, double *mb_per_s, bench_check_t *chk);
int umm_writer_direct(const bench_opts_t *o, double *mb_per_s, bench_check_t *chk);
int raw_sequential_write_direct(const bench_opts_t *o, double *mb_per_s, bench_check_t *chk);
int umm_program_4x_ram(const bench_opts_t *o, double *umm_ms, double *base_ms, bench_check_t *chk);
int umm_trim_dirty(const bench_opts_t *o, double *pages_per_s, bench_check_t *chk);
int umm_trim_clean(const bench_opts_t *o, double *pages_per_s, bench_check_t *chk);
int raw_mprotect_64k_runs(const bench_opts_t *o, double *pages_per_s, bench_check_t *chk);
int umm_zeroing(const bench_opts_t *o, double *mb_per_s, bench_check_t *chk);
int raw_memset(const bench_opts_t *o, double *mb_per_s, bench_check_t *chk);
int raw_memset_after_use(const bench_opts_t *o, double *mb_per_s, bench_check_t *chk);
/* program_4x_ram's memory: peak process RSS growth during the umm runs (MiB) and the RAM budget
 * (MiB); 0 when the case did not run */
void bench_paging_program_rss(double *peak_rss_mib, double *ram_mib);

/* ---- bench_scratch.c: the scratch directory on a disk, and its removal ---- */
/* the scratch directory of the paging cases (on a real disk): `dir/name` into buf; 0 = ok */
int bench_scratch_path(const bench_opts_t *o, const char *name, char *buf, size_t len);
/* remove the scratch directory (idempotent; also registered with atexit) */
void bench_paging_cleanup(void);
/* on SIGINT, SIGTERM or SIGHUP: run the cleanups added, remove the scratch directory, then die
 * of the signal (in this process only, not in its forked children) */
void bench_cleanup_on_interrupt(void);
/* fn (async-signal-safe) runs on such an interrupt too; at most 4, each once */
void bench_cleanup_add(void (*fn)(void));
/* the signals bench_cleanup_on_interrupt handles, as a set (to block them around a fork) */
void bench_interrupt_signals(sigset_t *set);
/* fn(dir/name) for each entry of dir but "." and ".."; async-signal-safe (no malloc) */
void bench_dir_each(const char *dir, void (*fn)(const char *path));
/* The pid in a name "<prefix><pid><after>" (after '\0': the name ends there), or 0 when the name
 * is not of that form: the run that made a scratch directory or a cgroup */
pid_t bench_name_pid(const char *name, const char *prefix, char after);
/* 1 when umm-bench with this pid is gone: no such process, a zombie, or another program (its
 * leftovers may go) */
int bench_pid_is_dead(pid_t pid);

/* ---- bench_util.c: an exception guard usable from any thread ---- */
struct umm_system;
/* route the system's umm exceptions (access violation, in-page error) to bench_guarded */
int bench_guard_install(struct umm_system *sys);
/* run fn(arg) on this thread; 0, or nonzero (message printed) if umm raised an exception */
int bench_guarded(void (*fn)(void *), void *arg);
/* a bench_result_t for one row (rows of the multi cases) */
struct bench_result bench_row(const char *name, const char *unit, double umm, double baseline,
                              double target, int higher_better, int advisory, int ran,
                              int verified);
/* thread CPU time (CLOCK_THREAD_CPUTIME_ID), ns */
uint64_t bench_thread_cpu_ns(void);
/* a value from /proc/self/status in bytes ("RssAnon", "VmRSS", ...), or -1 */
long long bench_status_bytes(const char *field);
/* a field of /proc/self/smaps_rollup in KiB ("Pss", "Pss_Shmem", ...: proportional set size,
 * which counts a page shared by n mappings as 1/n each), or -1 */
double bench_rollup_kib(const char *field);
/* a persistent copy of a formatted string (row names of the multi cases) */
const char *bench_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* plot `csv` into `png` with the script installed next to umm-bench (cli_plot): 0 when written;
 * nonzero, with a message, when skipped (no matplotlib) or failed */
int bench_run_plot(const char *script, const char *csv, const char *png);
/* how many plots failed (not skipped) so far: a non-zero exit status for main */
int bench_plot_failures(void);

/* ---- bench_swap.c: umm against the kernel's swap (a memory cgroup and a swapfile) ---- */
int swap_vs_kernel(const bench_opts_t *o, struct bench_result *rows, int max);
/* The swap case's program (pattern 0 sequential, 1 random, 2 80/20, 3 sort) on `bytes` (a power
 * of two) of untouched memory at p: its checksum, 0 on a failed check. */
uint64_t bench_swap_program(int pattern, uint64_t *p, size_t bytes);

/* ---- bench_redis.c: the Redis store against Redis alone (own redis-server; skipped without) ---- */
int redis_store(const bench_opts_t *o, struct bench_result *rows, int max);

/* ---- bench_hv.c: the hypervisor cases ---- */
int hv_nested_dz_single(const bench_opts_t *o, double *ns_per_page, bench_check_t *chk);
int hv_nested_dz_clustered(const bench_opts_t *o, double *ns_per_page, bench_check_t *chk);
int hv_plain_dz_single(const bench_opts_t *o, double *ns_per_page, bench_check_t *chk);
int hv_plain_dz_clustered(const bench_opts_t *o, double *ns_per_page, bench_check_t *chk);
int hv_balloon_inflate(const bench_opts_t *o, double *gibps, bench_check_t *chk);
int raw_madv_dontneed_pages(const bench_opts_t *o, double *gibps, bench_check_t *chk);
int hv_balloon_inflate_paging(const bench_opts_t *o, double *mbps, bench_check_t *chk);
int hv_guest_paging(const bench_opts_t *o, double *mbps, bench_check_t *chk);
int hv_share_scan_rate(const bench_opts_t *o, double *umm_gibps, double *xxh3_gibps,
                       bench_check_t *chk);
int hv_share_saved(const bench_opts_t *o, double *pct, double *ideal_pct, bench_check_t *chk);
int hv_overcommit(const bench_opts_t *o, struct bench_result *rows, int max);
int hv_uncooperative(const bench_opts_t *o, struct bench_result *rows, int max);
int hv_ballooned_as_small(const bench_opts_t *o, struct bench_result *rows, int max);

/* ---- bench_alloc.c: allocator workloads (umm heap, jemalloc, glibc) ---- */
/* load jemalloc for the umm heap; re-executes the program once with the static-TLS tunable if
 * needed (call before anything else, with main's argv) */
void bench_alloc_prepare(char **argv);
int alloc_small_1t(const bench_opts_t *o, struct bench_result *rows, int max);
int alloc_small_2t(const bench_opts_t *o, struct bench_result *rows, int max);
int alloc_small_4t(const bench_opts_t *o, struct bench_result *rows, int max);
int alloc_large(const bench_opts_t *o, struct bench_result *rows, int max);
int alloc_larger_than_ram(const bench_opts_t *o, struct bench_result *rows, int max);

/* ---- bench_scale.c: scaling and metadata overhead ---- */
int scale_reserve(const bench_opts_t *o, struct bench_result *rows, int max);
int scale_commit(const bench_opts_t *o, struct bench_result *rows, int max);
int metadata_overhead(const bench_opts_t *o, struct bench_result *rows, int max);

/* ---- bench_io.c: I/O helpers, prefetch, write watch (one sample yields both sides) ---- */
int io_pread_paged_out(const bench_opts_t *o, double *umm_ns, double *base_ns, bench_check_t *chk);
int io_prefetch_random(const bench_opts_t *o, double *umm_ns, double *base_ns, bench_check_t *chk);
int io_write_watch_query(const bench_opts_t *o, double *umm_us, double *base_us, bench_check_t *chk);

/* ---- bench_filesec.c: file-backed sections ---- */
int filesec_sequential_read(const bench_opts_t *o, double *umm_ns, double *base_ns, bench_check_t *chk);
int filesec_map_touch_floor(const bench_opts_t *o, double *floor_ns, double *base_ns, bench_check_t *chk);

/* ---- bench_report.c ---- */
void bench_print_table(const bench_result_t *r, int n);
int bench_write_json(const char *path, const bench_result_t *r, int n, const bench_opts_t *o);
int bench_write_csv(const char *path, const bench_result_t *r, int n, const bench_opts_t *o);
/* ratio umm/baseline (NAN when it cannot be computed) and whether the target is met */
double bench_ratio(const bench_result_t *r);
int bench_target_met(const bench_result_t *r);

#endif
