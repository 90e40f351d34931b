/* SPDX-License-Identifier: MIT */
/* bench_swap.c - case `swap`: the same program paged by the kernel's own swap and by umm, in one
 * run, as ratios umm / kernel.
 *
 * The kernel side runs in a forked child placed in a memory cgroup capped at the RAM budget plus
 * what the child used before its data (v2 memory.max, else v1 memory.limit_in_bytes), with a swapfile that this case creates on the
 * paging cases' scratch filesystem (mkswap, swapon) and removes afterwards (swapoff, unlink). The
 * umm side runs in a forked child too: a system with that RAM budget and a paging file in the same
 * directory (default flags: workers on, O_DIRECT where the filesystem allows), the program on
 * committed umm memory. Skipped, with the reason, when not root, without a memory cgroup, or
 * when the swapfile cannot be enabled; never in --quick (minutes of disk I/O).
 *
 * The program: D = --mib bytes (default 64 MiB) of data, RAM D/2, D/4 and D/8. Patterns:
 * sequential (first touch, then 3 passes, a write to one page in four), uniform random and 80/20
 * (as many accesses as 3 passes, one write in four; the hot 20 % scattered over the range), and
 * a real workload: an in-place quicksort of D of 64-bit keys. Each child checks its own result
 * (checksum; sorted), and both sides' checksums must agree.
 *
 * Per case: time (s), disk bytes read and written (kernel: /proc/vmstat pswpin/pswpout, exact
 * since this swapfile is the only swap; umm: pages_input/pages_output), the fault breakdown
 * (kernel: the child's major/minor faults; umm: hard, transition, demand-zero, read ahead and
 * used), and the umm child's peak RSS and final PSS against its RAM budget. Medians of
 * min(--reps, 3) repetitions, with their spread; --verbose adds each side's CPU time (all its
 * threads), what umm's emulated accessed and dirty bits cost (faults, trims, kernel calls), the
 * SIGSEGVs umm handled and the kernel mappings (VMAs) its pages needed at the end.
 * UMM_SWAP_TRIM=aging|fifo|clock picks umm's trim policy (A/B runs). Writes umm-bench-swap.csv and, with matplotlib,
 * umm-bench-swap.png (bench/plot_swap.py) in the current directory. */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <unistd.h>

#include "umm.h"

enum { PAT_SEQ, PAT_RANDOM, PAT_8020, PAT_SORT, NPAT };
static const char *const k_pat[NPAT] = {"sequential", "random", "80_20", "sort"};
static const int k_ratio[] = {2, 4, 8};
#define NRATIO 3
#define MAX_REPS 3
#define WORD_PER_PAGE 512 /* 4 KiB of uint64 */
/* Both sides get the same swap space: the data plus this. (A paging file of the data plus RAM
 * alone, at 8x RAM, left too few free slots to keep a rewritten page's slot beside its
 * neighbours', and the sequential program's read clusters broke.) */
#define SWAP_SPARE_BYTES (64u << 20)

/* what one child reports through its pipe */
typedef struct swap_result {
    int ok;
    double secs, cpu_secs; /* wall time of the program; CPU time of the child (all its threads) */
    uint64_t checksum;
    uint64_t bytes_read, bytes_written; /* umm only (the parent measures the kernel's) */
    uint64_t major, minor;              /* kernel: rusage; umm: hard faults, soft + zero faults */
    uint64_t hard, transition, demand_zero, read_ahead, ra_hits, dropped_behind, through_cache;
    uint64_t page_writes, reclaim_writes; /* umm: writes issued; clusters faults wrote themselves */
    uint64_t modified_left; /* umm: dirty pages on Modified when the program ended (never written) */
    uint64_t access_bit, dirty_bit, trimmed, aged, hw_maps; /* umm: what the emulated bits cost */
    uint64_t dirty_predicted; /* umm: pages read faults mapped dirty at once (dirtypredict.h) */
    uint64_t signals, hw_protects, vmas; /* umm: SIGSEGVs handled, protection calls, VMAs at the end */
    double rss_peak_mib, pss_mib;
} swap_result_t;

/* ------------------------------------------------------------------ the program */
static uint64_t rng(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void swap_u64(uint64_t *a, uint64_t *b)
{
    uint64_t t = *a;
    *a = *b;
    *b = t;
}

/* Hoare quicksort, median of three, the smaller side recursed (depth <= log n) */
static void quicksort(uint64_t *v, size_t n)
{
    while (n > 16) {
        size_t m = n / 2;
        if (v[m] < v[0]) swap_u64(&v[m], &v[0]);
        if (v[n - 1] < v[0]) swap_u64(&v[n - 1], &v[0]);
        if (v[n - 1] < v[m]) swap_u64(&v[n - 1], &v[m]);
        uint64_t pivot = v[m];
        size_t i = 0, j = n - 1;
        for (;;) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i >= j) break;
            swap_u64(&v[i++], &v[j--]);
        }
        size_t left = j + 1;
        if (left < n - left) {
            quicksort(v, left);
            v += left;
            n -= left;
        } else {
            quicksort(v + left, n - left);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && v[k] < v[k - 1]; k--)
            swap_u64(&v[k], &v[k - 1]);
}

/* The page the k-th access of a random pattern touches; npages is a power of two. */
static size_t pick(int pat, size_t npages, uint64_t x)
{
    size_t hot = npages / 5;
    size_t p = pat == PAT_8020 && (x >> 60) < 13 ? (size_t)(x % hot) /* 80 %: 13/16 */
             : pat == PAT_8020 ? hot + (size_t)(x % (npages - hot))
                               : (size_t)(x % npages);
    return (p * 0x9E3779B1u) & (npages - 1); /* scatter the hot set (a bijection) */
}

/* Run the pattern on `bytes` of memory at p (untouched); the checksum, or 0 on a failed check. */
static uint64_t program(int pat, uint64_t *p, size_t bytes)
{
    size_t npages = bytes / 4096, nwords = bytes / 8;
    uint64_t sum = 0, s = 0x5eed;
    if (pat == PAT_SORT) {
        for (size_t i = 0; i < nwords; i++)
            p[i] = rng(&s);
        quicksort(p, nwords);
        for (size_t i = 0; i < nwords; i++) {
            if (i && p[i] < p[i - 1])
                return 0;
            sum += p[i] * (i | 1);
        }
        return sum | 1;
    }
    for (size_t i = 0; i < npages; i++)
        p[i * WORD_PER_PAGE] = i;
    for (size_t k = 0; k < 3 * npages; k++) {
        uint64_t x = rng(&s);
        size_t i = pat == PAT_SEQ ? k % npages : pick(pat, npages, x);
        uint64_t *w = &p[i * WORD_PER_PAGE];
        sum += *w;
        if ((pat == PAT_SEQ ? i : (size_t)(x >> 8)) % 4 == 0)
            *w += k;
    }
    for (size_t i = 0; i < npages; i++)
        sum = sum * 31 + p[i * WORD_PER_PAGE];
    return sum | 1;
}

/* ------------------------------------------------------------------ /proc */
uint64_t bench_swap_program(int pattern, uint64_t *p, size_t bytes)
{
    return program(pattern, p, bytes);
}

static uint64_t vmstat_pages(const char *key)
{
    FILE *f = fopen("/proc/vmstat", "r");
    char name[64];
    unsigned long long v;
    uint64_t out = 0;
    while (f && fscanf(f, "%63s %llu", name, &v) == 2)
        if (strcmp(name, key) == 0)
            out = v;
    if (f)
        fclose(f);
    return out;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* ------------------------------------------------------------------ cgroup and swapfile */
typedef struct swap_env {
    char cg[PATH_MAX];    /* the cgroup directory made for this run ("" none) */
    char limit[32];       /* its limit file: memory.max or memory.limit_in_bytes */
    char swapfile[PATH_MAX];
    int swap_on;
    volatile pid_t child; /* the side running now (0 none): it holds the cgroup and the files */
} swap_env_t;

static swap_env_t g_env;

/* Kill the side running, turn the swapfile off, remove it and the cgroup. Async-signal-safe:
 * an interrupt runs it too (bench_cleanup_add). */
static void env_teardown(void)
{
    pid_t child = g_env.child;
    if (child > 0 && kill(child, SIGKILL) == 0)
        waitpid(child, NULL, 0);
    if (g_env.swap_on && swapoff(g_env.swapfile) == 0)
        g_env.swap_on = 0;
    if (g_env.swapfile[0])
        unlink(g_env.swapfile);
    if (g_env.cg[0])
        rmdir(g_env.cg);
    memset(&g_env, 0, sizeof g_env);
}

/* A cgroup "umm-bench-swap-<pid>" whose umm-bench was killed: its processes (a side still
 * running) killed, then removed. */
static void sweep_cgroup_if_dead(const char *path)
{
    pid_t pid = bench_name_pid(strrchr(path, '/') + 1, "umm-bench-swap-", '\0');
    if (!pid || !bench_pid_is_dead(pid))
        return;
    char procs[PATH_MAX + 16];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", path);
    FILE *f = fopen(procs, "r");
    for (int p; f && fscanf(f, "%d", &p) == 1;)
        kill(p, SIGKILL);
    if (f)
        fclose(f);
    for (int i = 0; i < 100 && rmdir(path) != 0 && errno == EBUSY; i++)
        usleep(10000); /* the killed processes leave the cgroup as they exit */
    printf("# swap: removed the cgroup %s, left by umm-bench %d, which did not finish\n", path, (int)pid);
}

/* A memory cgroup to put the kernel-side child in: NULL, or why there is none. */
static const char *make_cgroup(void)
{
    const char *v2 = "/sys/fs/cgroup", *v1 = "/sys/fs/cgroup/memory";
    char probe[PATH_MAX], buf[256] = "";
    snprintf(probe, sizeof probe, "%s/cgroup.subtree_control", v2);
    FILE *f = fopen(probe, "r");
    if (f) {
        if (!fgets(buf, sizeof buf, f))
            buf[0] = 0;
        fclose(f);
    }
    const char *base = strstr(buf, "memory") ? v2 : NULL;
    snprintf(probe, sizeof probe, "%s/memory.limit_in_bytes", v1);
    if (!base && access(probe, W_OK) == 0)
        base = v1;
    if (!base)
        return "no writable memory cgroup (v2 with the memory controller, or v1 memory)";
    bench_dir_each(base, sweep_cgroup_if_dead);
    snprintf(g_env.cg, sizeof g_env.cg, "%s/umm-bench-swap-%d", base, (int)getpid());
    snprintf(g_env.limit, sizeof g_env.limit, base == v2 ? "memory.max" : "memory.limit_in_bytes");
    if (mkdir(g_env.cg, 0755) != 0) {
        g_env.cg[0] = 0;
        return "cannot create a memory cgroup";
    }
    return NULL;
}

static int run_cmd(const char *cmd, const char *arg)
{
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, 1);
        const char *dirs[] = {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"};
        char path[64];
        for (size_t i = 0; i < 4; i++) {
            snprintf(path, sizeof path, "%s%s", dirs[i], cmd);
            execl(path, cmd, arg, (char *)NULL);
        }
        _exit(127);
    }
    int st = 0;
    return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* The swapfile on the scratch filesystem: NULL, or why it could not be enabled. */
static const char *make_swapfile(const bench_opts_t *o, size_t bytes)
{
    if (bench_scratch_path(o, "umm-bench.swapfile", g_env.swapfile, sizeof g_env.swapfile))
        return "no scratch directory for the swapfile";
    int fd = open(g_env.swapfile, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0)
        return "cannot create the swapfile";
    int rc = posix_fallocate(fd, 0, (off_t)bytes);
    close(fd);
    if (rc != 0)
        return "cannot allocate the swapfile";
    if (run_cmd("mkswap", g_env.swapfile) != 0)
        return "mkswap failed (util-linux)";
    if (swapon(g_env.swapfile, 0) != 0)
        return "swapon refused the swapfile (this filesystem or kernel cannot swap to a file)";
    g_env.swap_on = 1;
    return NULL;
}

/* ------------------------------------------------------------------ the two sides */
static uint64_t *anon_region(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    madvise(p, bytes, MADV_NOHUGEPAGE); /* 4 KiB pages, as umm's */
    return p;
}

/* What the cgroup charges now (v2 memory.current, v1 memory.usage_in_bytes), or 0. */
static uint64_t cgroup_usage(void)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", g_env.cg,
             strcmp(g_env.limit, "memory.max") == 0 ? "memory.current" : "memory.usage_in_bytes");
    FILE *f = fopen(path, "r");
    unsigned long long v = 0;
    if (f && fscanf(f, "%llu", &v) != 1)
        v = 0;
    if (f)
        fclose(f);
    return v;
}

/* Join the cgroup and cap it at what this child already uses plus the RAM budget: the budget is
 * for the data alone, as umm's ram_bytes is (the child's code, stack and page tables come on top
 * on both sides). */
static int join_cgroup(size_t ram)
{
    char path[PATH_MAX + 32], text[32];
    snprintf(path, sizeof path, "%s/cgroup.procs", g_env.cg);
    snprintf(text, sizeof text, "%d", (int)getpid());
    if (write_file(path, text) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s", g_env.cg, g_env.limit);
    snprintf(text, sizeof text, "%llu", (unsigned long long)(cgroup_usage() + ram));
    return write_file(path, text);
}

static double cpu_secs(const struct rusage *ru)
{
    return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) +
           (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
}

static void kernel_child(int pat, size_t bytes, size_t ram, swap_result_t *r)
{
    uint64_t *p = join_cgroup(ram) == 0 ? anon_region(bytes) : NULL;
    if (!p) {
        fprintf(stderr, "bench: swap: cannot join the cgroup %s: %s\n", g_env.cg, strerror(errno));
        return;
    }
    uint64_t t0 = bench_now_ns();
    r->checksum = program(pat, p, bytes);
    r->secs = (double)(bench_now_ns() - t0) / 1e9;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r->cpu_secs = cpu_secs(&ru);
    r->major = (uint64_t)ru.ru_majflt;
    r->minor = (uint64_t)ru.ru_minflt;
    r->ok = r->checksum != 0;
}

static void umm_child(const bench_opts_t *o, int pat, size_t bytes, size_t ram, swap_result_t *r)
{
    char pf[PATH_MAX];
    if (bench_scratch_path(o, "umm-bench-swap.pagefile", pf, sizeof pf))
        return;
    umm_config_t c = UMM_CONFIG_INIT;
    c.ram_bytes = ram;
    c.pagefile_bytes = bytes + SWAP_SPARE_BYTES;
    c.pagefile_path = pf;
    const char *trim = getenv("UMM_SWAP_TRIM"); /* A/B runs of the trim policies */
    if (trim)
        c.trim_policy = strcmp(trim, "fifo") == 0 ? UMM_TRIM_FIFO
                      : strcmp(trim, "clock") == 0 ? UMM_TRIM_CLOCK : UMM_TRIM_AGING;
    umm_system_t *sys = NULL;
    umm_process_t *proc = NULL;
    void *p = NULL;
    if (umm_system_create(&c, &sys) != UMM_OK || umm_process_create(sys, &proc) != UMM_OK ||
        umm_reserve(proc, bytes, UMM_PROT_READ | UMM_PROT_WRITE, &p) != UMM_OK ||
        umm_commit(proc, p, bytes, UMM_PROT_READ | UMM_PROT_WRITE) != UMM_OK)
        return;
    uint64_t t0 = bench_now_ns();
    r->checksum = program(pat, p, bytes);
    r->secs = (double)(bench_now_ns() - t0) / 1e9;
    umm_stats_t s;
    umm_stats_get(sys, &s);
    r->bytes_read = s.pages_input * 4096;
    r->bytes_written = s.pages_output * 4096;
    r->hard = s.faults_hard;
    r->transition = s.faults_transition;
    r->demand_zero = s.faults_demand_zero;
    r->read_ahead = s.pages_read_ahead;
    r->ra_hits = s.readahead_hits;
    r->dropped_behind = s.pages_dropped_behind;
    r->through_cache = s.pages_through_cache;
    r->page_writes = s.page_writes;
    r->modified_left = s.modified;
    r->reclaim_writes = s.reclaim_writes;
    r->access_bit = s.faults_access_bit;
    r->dirty_bit = s.faults_dirty_bit;
    r->dirty_predicted = s.pages_dirty_predicted;
    r->trimmed = s.pages_trimmed;
    r->aged = s.pages_aged;
    r->hw_maps = s.hw_map_calls;
    r->hw_protects = s.hw_protect_calls;
    r->signals = s.faults_total;
    r->vmas = s.vma_count;
    r->major = s.faults_hard;
    r->minor = s.faults_total - s.faults_hard;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    r->cpu_secs = cpu_secs(&ru);
    r->rss_peak_mib = (double)bench_status_bytes("VmHWM") / (1 << 20);
    r->pss_mib = bench_rollup_kib("Pss") / 1024.0;
    r->ok = r->checksum != 0;
    umm_system_destroy(sys);
}

#define SIDE_OOM_KILLED 2 /* run_side: the kernel side's child was killed (SIGKILL) */
#define KERNEL_TRIES 3

/* Fork a child for one side; its result through a pipe. The kernel side's disk bytes come from
 * /proc/vmstat around it (the only swap is ours). */
static int run_side(const bench_opts_t *o, int kernel, int pat, size_t bytes, size_t ram,
                    swap_result_t *r)
{
    memset(r, 0, sizeof *r);
    int fds[2];
    if (pipe(fds) != 0)
        return 1;
    uint64_t in0 = vmstat_pages("pswpin"), out0 = vmstat_pages("pswpout");
    fflush(NULL);
    sigset_t stop, old;
    bench_interrupt_signals(&stop);
    sigprocmask(SIG_BLOCK, &stop, &old); /* an interrupt finds the child in g_env.child */
    pid_t pid = fork();
    if (pid == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        close(fds[0]);
        swap_result_t res = {0};
        if (kernel)
            kernel_child(pat, bytes, ram, &res);
        else
            umm_child(o, pat, bytes, ram, &res);
        ssize_t n = write(fds[1], &res, sizeof res);
        _exit(n == (ssize_t)sizeof res ? 0 : 1);
    }
    g_env.child = pid > 0 ? pid : 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(fds[1]);
    ssize_t n = pid > 0 ? read(fds[0], r, sizeof *r) : -1;
    close(fds[0]);
    int st = 0;
    if (pid > 0)
        waitpid(pid, &st, 0);
    g_env.child = 0;
    if (kernel) {
        r->bytes_read = (vmstat_pages("pswpin") - in0) * 4096;
        r->bytes_written = (vmstat_pages("pswpout") - out0) * 4096;
    }
    if (kernel && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
        return SIDE_OOM_KILLED;
    if (n != (ssize_t)sizeof *r || !r->ok) {
        fprintf(stderr, "bench: swap %s %s: the %s child failed (status %d)\n", k_pat[pat],
                kernel ? "kernel" : "umm", kernel ? "kernel" : "umm", st);
        return 1;
    }
    return 0;
}

/* The kernel side, run again (up to KERNEL_TRIES in all) while the cgroup's OOM killer kills it:
 * a v1 memory cgroup this small kills when its reclaim finds every page still under swap
 * writeback (on a slow or loaded disk), though the swapfile has room. Nothing is measured from a
 * killed run. */
static int run_kernel_side(const bench_opts_t *o, int pat, size_t bytes, size_t ram, swap_result_t *r)
{
    int rc = SIDE_OOM_KILLED;
    for (int t = 1; t <= KERNEL_TRIES && rc == SIDE_OOM_KILLED; t++) {
        rc = run_side(o, 1, pat, bytes, ram, r);
        if (rc == SIDE_OOM_KILLED)
            fprintf(stderr, "bench: swap %s kernel: the cgroup's OOM killer killed the child (try %d of %d)\n",
                    k_pat[pat], t, KERNEL_TRIES);
    }
    return rc;
}

/* ------------------------------------------------------------------ the case */
static double med(double *v, int n, double *lo, double *hi)
{
    *lo = *hi = v[0];
    for (int i = 1; i < n; i++) {
        *lo = v[i] < *lo ? v[i] : *lo;
        *hi = v[i] > *hi ? v[i] : *hi;
    }
    double c[MAX_REPS];
    memcpy(c, v, (size_t)n * sizeof *v);
    return bench_median(c, n);
}

typedef struct swap_case {
    double t[2][MAX_REPS], cpu[2][MAX_REPS], rd[2][MAX_REPS], wr[2][MAX_REPS];
    swap_result_t last[2];
    double rss_peak, pss;
    int reps, ok;
} swap_case_t;

static void run_case(const bench_opts_t *o, int pat, size_t bytes, size_t ram, int reps, swap_case_t *c)
{
    memset(c, 0, sizeof *c);
    c->ok = 1;
    for (int k = 0; k < reps && c->ok; k++) {
        for (int side = 0; side < 2 && c->ok; side++) {
            int kernel = (side == 0) == !(k & 1); /* alternate which side goes first */
            swap_result_t r;
            int rc = kernel ? run_kernel_side(o, pat, bytes, ram, &r) : run_side(o, 0, pat, bytes, ram, &r);
            if (rc) {
                /* c->reps counts complete repetitions only. The cgroup's OOM killer stopping the
                 * kernel's side on every try is no fault of either side's counters: the
                 * repetitions that completed are reported */
                c->ok = rc == SIDE_OOM_KILLED && c->reps > 0;
                return;
            }
            c->t[kernel][k] = r.secs;
            c->cpu[kernel][k] = r.cpu_secs;
            c->rd[kernel][k] = (double)r.bytes_read / (1 << 20);
            c->wr[kernel][k] = (double)r.bytes_written / (1 << 20);
            c->last[kernel] = r;
            if (!kernel && r.rss_peak_mib > c->rss_peak)
                c->rss_peak = r.rss_peak_mib;
            if (!kernel && r.pss_mib > c->pss)
                c->pss = r.pss_mib;
        }
        if (c->last[0].checksum != c->last[1].checksum) {
            fprintf(stderr, "bench: swap %s: umm and kernel checksums differ\n", k_pat[pat]);
            c->ok = 0;
            return;
        }
        c->reps = k + 1;
    }
}

/* UMM_SWAP_CASES="sequential:2,random" runs only the named patterns (at the ratio given, or at
 * every ratio); unset: every case. For iterating on one pattern without the full 16 minutes. */
static int case_selected(int pat, int ratio)
{
    const char *only = getenv("UMM_SWAP_CASES");
    if (!only || !*only)
        return 1;
    size_t len = strlen(k_pat[pat]);
    for (const char *c = only; (c = strstr(c, k_pat[pat])) != NULL; c += len) {
        bool starts = c == only || c[-1] == ',';
        const char *end = c + len;
        if (!starts || (*end && *end != ',' && *end != ':'))
            continue;
        if (*end != ':' || atoi(end + 1) == ratio)
            return 1;
    }
    return 0;
}

static int emit(const swap_case_t *c, int pat, int ratio, size_t ram, bench_result_t *rows, int n,
                int max, FILE *csv)
{
    if (c->reps == 0) { /* not one repetition completed: rows that say so */
        const char *name = bench_strf("swap_%s_%dx", k_pat[pat], ratio);
        if (n < max)
            rows[n++] = bench_row(name, "s", 0, 0, ratio <= 4 ? 1.0 : 0, 0, 0, 0, 1);
        return n;
    }
    double lo[2], hi[2], t[2], cpu[2], rd[2], wr[2], x0, x1;
    for (int s = 0; s < 2; s++) {
        t[s] = med((double *)c->t[s], c->reps, &lo[s], &hi[s]);
        cpu[s] = med((double *)c->cpu[s], c->reps, &x0, &x1);
        rd[s] = med((double *)c->rd[s], c->reps, &x0, &x1);
        wr[s] = med((double *)c->wr[s], c->reps, &x0, &x1);
    }
    double target = ratio <= 4 ? 1.0 : 0;
    const char *name = bench_strf("swap_%s_%dx", k_pat[pat], ratio);
    if (n < max)
        rows[n++] = bench_row(name, "s", t[0], t[1], target, 0, 0, 1, c->ok);
    if (n < max)
        rows[n++] = bench_row(bench_strf("%s_read_MiB", name), "MiB", rd[0], rd[1], target ? 1.1 : 0, 0, 0, 1, c->ok);
    if (n < max)
        rows[n++] = bench_row(bench_strf("%s_written_MiB", name), "MiB", wr[0], wr[1], target ? 1.1 : 0, 0, 0, 1, c->ok);
    const swap_result_t *u = &c->last[0], *k = &c->last[1];
    printf("  swap %-10s %dx: time umm %.2f s [%.2f..%.2f] kernel %.2f s [%.2f..%.2f] (%d reps); "
           "CPU umm %.2f s kernel %.2f s; "
           "umm hard %" PRIu64 " soft %" PRIu64 " zero %" PRIu64 " read-ahead %" PRIu64 " (used %" PRIu64
           ") dropped behind %" PRIu64 " via page cache %" PRIu64 " writes %" PRIu64 " (by faults %" PRIu64 ", modified left %" PRIu64 ") accessed-bit %" PRIu64
           " dirty-bit %" PRIu64 " predicted %" PRIu64 " trimmed %" PRIu64 " aged %" PRIu64 " maps %" PRIu64 " protects %" PRIu64
           " signals %" PRIu64 " vmas %" PRIu64 "; kernel major %" PRIu64 " minor %" PRIu64
           "; umm RSS peak %.1f MiB, PSS %.1f MiB, RAM %.0f MiB\n",
           k_pat[pat], ratio, t[0], lo[0], hi[0], t[1], lo[1], hi[1], c->reps, cpu[0], cpu[1], u->hard, u->transition,
           u->demand_zero, u->read_ahead, u->ra_hits, u->dropped_behind, u->through_cache, u->page_writes,
           u->reclaim_writes, u->modified_left, u->access_bit, u->dirty_bit, u->dirty_predicted, u->trimmed, u->aged, u->hw_maps, u->hw_protects, u->signals, u->vmas,
           k->major, k->minor, c->rss_peak, c->pss, (double)ram / (1 << 20));
    if (csv)
        fprintf(csv, "%s,%d,%.3f,%.3f,%.3f,%.3f,%.1f,%.1f,%.1f,%.1f,%" PRIu64 ",%" PRIu64 ",%" PRIu64
                     ",%" PRIu64 ",%.1f,%.1f,%.0f\n",
                k_pat[pat], ratio, t[0], t[1], lo[0], hi[0], rd[0], rd[1], wr[0], wr[1], u->hard,
                u->transition, k->major, k->minor, c->rss_peak, c->pss, (double)ram / (1 << 20));
    return n;
}

int swap_vs_kernel(const bench_opts_t *o, bench_result_t *rows, int max)
{
    const char *why = o->quick ? "not in --quick (minutes of disk I/O)"
                    : geteuid() != 0 ? "not root (a cgroup and swapon need it)" : NULL;
    size_t bytes = o->bytes;
    while (bytes & (bytes - 1)) /* a power of two: the random patterns scatter with a mask */
        bytes &= bytes - 1;
    static int registered;
    if (!registered++) {
        atexit(env_teardown); /* an early exit still turns the swapfile off */
        bench_cleanup_add(env_teardown);
    }
    if (!why)
        why = make_cgroup();
    if (!why)
        why = make_swapfile(o, bytes + SWAP_SPARE_BYTES);
    if (why) {
        printf("  swap: skipped: %s\n", why);
        env_teardown();
        /* a skip is not a failure: one information row that says so (no figures, no target) */
        rows[0] = bench_row("swap_skipped", "s", 0, 0, 0, 0, 1, 1, 1);
        return max > 0 ? 1 : 0;
    }
    int reps = o->reps < MAX_REPS ? o->reps : MAX_REPS, n = 0;
    FILE *csv = fopen("umm-bench-swap.csv", "w");
    if (csv)
        fprintf(csv, "pattern,ram_ratio,umm_s,kernel_s,umm_s_min,umm_s_max,umm_read_mib,kernel_read_mib,"
                     "umm_written_mib,kernel_written_mib,umm_hard,umm_soft,kernel_major,kernel_minor,"
                     "umm_rss_peak_mib,umm_pss_mib,ram_mib\n");
    for (int pat = 0; pat < NPAT; pat++)
        for (int ri = 0; ri < NRATIO; ri++) {
            if (!case_selected(pat, k_ratio[ri]))
                continue;
            size_t ram = bytes / (size_t)k_ratio[ri];
            swap_case_t c;
            run_case(o, pat, bytes, ram, reps, &c);
            n = emit(&c, pat, k_ratio[ri], ram, rows, n, max, csv);
        }
    env_teardown();
    if (csv) {
        fclose(csv);
        bench_run_plot("plot_swap.py", "umm-bench-swap.csv", "umm-bench-swap.png");
    }
    return n;
}
