/* SPDX-License-Identifier: MIT */
/* bench_redis.c - the Redis backing store against Redis itself, on a redis-server the case starts
 * on a free local port (no persistence) and stops:
 *
 *   redis_hard_fault_random: a hard fault of a random 4 KiB page paged out to Redis
 *     (cluster_pages = 1: one GETRANGE per fault, sent and read by the faulting thread on one
 *     of the store's preallocated sockets) against a hiredis GET of a 4 KiB value alone, same
 *     server, both over loopback TCP, same run; target <= 1.2.
 *   redis_hard_fault_cpu: the same, in CPU time of the faulting thread per fault against the
 *     hiredis client's per GET (CLOCK_THREAD_CPUTIME_ID); information. On a shared machine wall
 *     time follows CPU time, and CPU time does not count the time others' processes run.
 *   redis_soft_fault_cpu: the fault's own CPU time (the same pages faulted back soft, no I/O)
 *     against the hiredis client's per GET; information.
 *   redis_bare_fault_floor: the platform's floor, no umm: a bare SIGSEGV handler that reads the
 *     same 4 KiB with one GETRANGE (one send, one readv, raw TCP socket) into the page and opens
 *     it with mprotect, against the GET; information: what any fault-driven read costs here.
 *   redis_bare_fault_cpu: the same bare handler's CPU time per fault against the GET's.
 *   redis_hard_fault_vs_bare: umm's hard fault against that bare handler, wall time; information:
 *     umm's own share of the hard fault's cost.
 *   redis_writer_MBps: the writer flushing dirty pages to Redis (pipelined SETRANGEs of 16-page
 *     clusters) against `redis-benchmark -t set -d 65536` on the same server; information.
 *   redis_swap_random_4x_ram: the swap case's program (uniform random, bench_swap_program) on
 *     --mib bytes with RAM a quarter of it, paged to Redis against paged to a paging file on the
 *     scratch disk, checksums equal; information.
 *
 * Medians of --reps repetitions, the two sides alternating. Skipped (one information row that
 * says so) without redis-server or a build without hiredis. */
#define _GNU_SOURCE 1
#include "bench.h"

#include "umm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef UMM_HAVE_HIREDIS
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define FAULTS 2048 /* random faults per sample */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
               getsockname(fd, (struct sockaddr *)&a, &len) == 0 ? ntohs(a.sin_port) : 0;
    if (fd >= 0)
        close(fd);
    return port;
}

static redisContext *connect_port(int port)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (c && c->err) {
        redisFree(c);
        c = NULL;
    }
    return c;
}

static pid_t start_server(int port)
{
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        execlp("redis-server", "redis-server", "--port", p, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--logfile", "/dev/null", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; pid > 0 && i < 500; i++) {
        redisContext *c = connect_port(port);
        if (c) {
            redisFree(c);
            return pid;
        }
        usleep(10000);
    }
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    return -1;
}

typedef struct env {
    umm_system_t *sys;
    umm_process_t *proc;
    char *base;
    size_t npages;
} env_t;

static int env_open(env_t *e, int port, size_t data, size_t ram, unsigned cluster)
{
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    umm_store_config_t st = {.kind = UMM_STORE_REDIS, .bytes = 2 * data, .address = addr,
                             .prefix = "umm-bench"};
    umm_config_t cfg = UMM_CONFIG_INIT;
    cfg.ram_bytes = ram;
    cfg.cluster_pages = cluster;
    cfg.flags = UMM_CFG_NO_WORKERS;
    cfg.stores = &st;
    cfg.nstores = 1;
    memset(e, 0, sizeof *e);
    e->npages = data / PAGE;
    void *p = NULL;
    if (umm_system_create(&cfg, &e->sys) != UMM_OK || umm_process_create(e->sys, &e->proc) != UMM_OK ||
        bench_guard_install(e->sys) != UMM_OK || umm_reserve(e->proc, data, UMM_PROT_READ | UMM_PROT_WRITE, &p) != UMM_OK ||
        umm_commit(e->proc, p, data, UMM_PROT_READ | UMM_PROT_WRITE) != UMM_OK) {
        fprintf(stderr, "bench: redis: could not set up a system paging to Redis\n");
        if (e->sys)
            umm_system_destroy(e->sys);
        return 1;
    }
    e->base = p;
    return 0;
}

static void fill(void *arg)
{
    env_t *e = arg;
    for (size_t i = 0; i < e->npages; i++)
        *(volatile uint64_t *)(void *)(e->base + i * PAGE) = i + 1;
}

typedef struct touch {
    env_t *e;
    const size_t *idx;
    size_t n, bad;
} touch_t;

static void touch(void *arg)
{
    touch_t *t = arg;
    for (size_t k = 0; k < t->n; k++)
        t->bad += *(volatile uint64_t *)(void *)(t->e->base + t->idx[k] * PAGE) != t->idx[k] + 1;
}

/* Everything paged out: working set emptied, written, Standby purged. */
static int page_out(env_t *e)
{
    uint64_t purged;
    return umm_ws_empty(e->proc) != UMM_OK || umm_flush_modified(e->sys) != UMM_OK ||
           umm_standby_purge(e->sys, 7, &purged) != UMM_OK;
}

static uint64_t rng(uint64_t *s)
{
    *s += 0x9e3779b97f4a7c15ULL;
    uint64_t z = *s;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The bare handler's state: its socket, its pages and one GETRANGE of 4 KiB per bench key.
 * Invariant: fd >= 0 and pages mapped (FAULTS pages) from a successful bare_open to bare_close,
 * fd -1 and pages NULL otherwise; bare_sample is only called in between. */
#define BARE_KEYS 1024
static struct bare {
    int fd;
    char *pages;
    char cmd[BARE_KEYS][64];
    size_t cmdlen[BARE_KEYS];
    volatile sig_atomic_t failed;
} bare = {.fd = -1};

/* A fault-driven read with nothing of umm: the page opened, then one GETRANGE read straight into
 * it (header, page, CRLF: one readv when the reply has arrived). */
static void bare_on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    char *page = (char *)((uintptr_t)si->si_addr & ~(uintptr_t)(PAGE - 1));
    size_t k = (size_t)(page - bare.pages) / PAGE % BARE_KEYS;
    char hdr[7], crlf[2];
    struct iovec iov[3] = {{hdr, sizeof hdr}, {page, PAGE}, {crlf, sizeof crlf}};
    if (mprotect(page, PAGE, PROT_READ | PROT_WRITE) != 0)
        abort(); /* our own page (only ENOMEM could refuse): the access would fault forever */
    if (send(bare.fd, bare.cmd[k], bare.cmdlen[k], MSG_NOSIGNAL) != (ssize_t)bare.cmdlen[k]) {
        bare.failed = 1;
        return;
    }
    for (size_t left = sizeof hdr + PAGE + sizeof crlf; left > 0;) {
        ssize_t r = readv(bare.fd, iov, 3);
        if (r <= 0) {
            bare.failed = 1;
            return;
        }
        left -= (size_t)r;
        for (int i = 0; i < 3; i++) {
            size_t t = (size_t)r < iov[i].iov_len ? (size_t)r : iov[i].iov_len;
            iov[i].iov_base = (char *)iov[i].iov_base + t;
            iov[i].iov_len -= t;
            r -= (ssize_t)t;
        }
    }
}

static int bare_open(int port)
{
    redisContext *c = connect_port(port);
    bare.pages = mmap(NULL, (size_t)FAULTS * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (bare.pages == MAP_FAILED)
        bare.pages = NULL;
    if (!c || !bare.pages) {
        if (c)
            redisFree(c);
        return 1;
    }
    bare.fd = dup(c->fd); /* the context's socket, blocking, TCP_NODELAY as hiredis set it */
    redisFree(c);
    for (int k = 0; k < BARE_KEYS; k++) {
        char key[24];
        int klen = snprintf(key, sizeof key, "bench:%d", k);
        bare.cmdlen[k] = (size_t)snprintf(bare.cmd[k], sizeof bare.cmd[k],
                                          "*4\r\n$8\r\nGETRANGE\r\n$%d\r\n%s\r\n$1\r\n0\r\n$4\r\n%d\r\n",
                                          klen, key, PAGE - 1);
    }
    return bare.fd < 0;
}

static void bare_close(void)
{
    if (bare.fd >= 0)
        close(bare.fd);
    if (bare.pages)
        munmap(bare.pages, (size_t)FAULTS * PAGE);
    bare.fd = -1;
    bare.pages = NULL;
}

/* The bare handler faults its FAULTS pages in, in the order of umm's sample (idx holds one page
 * per `stride` pages: idx[k] / stride is a permutation): wall and CPU ns per fault. umm's SIGSEGV
 * handler is set aside meanwhile (no umm page is touched) and put back. */
static int bare_sample(const size_t *idx, size_t stride, double *wall_ns, double *cpu_ns)
{
    struct sigaction sa = {.sa_sigaction = bare_on_segv, .sa_flags = SA_SIGINFO}, umm_sa;
    sigemptyset(&sa.sa_mask);
    if (mprotect(bare.pages, (size_t)FAULTS * PAGE, PROT_NONE) != 0 || sigaction(SIGSEGV, &sa, &umm_sa) != 0)
        return 1;
    bare.failed = 0;
    uint64_t c0 = bench_thread_cpu_ns(), t0 = bench_now_ns();
    for (size_t k = 0; k < FAULTS && !bare.failed; k++)
        (void)*(volatile char *)(bare.pages + idx[k] / stride * PAGE);
    *wall_ns = (double)(bench_now_ns() - t0) / FAULTS;
    *cpu_ns = (double)(bench_thread_cpu_ns() - c0) / FAULTS;
    sigaction(SIGSEGV, &umm_sa, NULL);
    return bare.failed || bare.pages[idx[0] / stride * PAGE] != 'v';
}

/* One sample of each side, in wall and CPU time. */
typedef struct fault_times {
    double hard_ns, get_ns, bare_ns; /* wall, per hard fault, per GET, per bare-handler fault */
    double hard_cpu, soft_cpu, get_cpu, bare_cpu; /* CPU of the thread, per fault and per GET */
} fault_times_t;

/* CPU ns per soft fault of the pages just read in (trimmed to Standby, faulted back). */
static int soft_fault_cpu(env_t *e, touch_t *t, double *cpu_ns)
{
    umm_stats_t a, b;
    if (umm_ws_empty(e->proc) != UMM_OK || umm_stats_get(e->sys, &a) != UMM_OK)
        return 1;
    t->bad = 0;
    uint64_t c0 = bench_thread_cpu_ns();
    int rc = bench_guarded(touch, t);
    *cpu_ns = (double)(bench_thread_cpu_ns() - c0) / (double)t->n;
    return rc || t->bad || umm_stats_get(e->sys, &b) != UMM_OK || b.faults_hard != a.faults_hard;
}

static int fault_sample(env_t *e, redisContext *c, uint64_t seed, fault_times_t *ft, bench_check_t *chk)
{
    size_t idx[FAULTS];
    uint64_t s = seed;
    for (size_t k = 0; k < FAULTS; k++) /* distinct pages: every touch is a hard fault */
        idx[k] = (k * (e->npages / FAULTS) + rng(&s) % (e->npages / FAULTS)) % e->npages;
    for (size_t k = FAULTS; k-- > 1;) {
        size_t j = rng(&s) % (k + 1), t = idx[k];
        idx[k] = idx[j];
        idx[j] = t;
    }
    umm_stats_t a, b;
    if (page_out(e) || umm_stats_get(e->sys, &a) != UMM_OK)
        return 1;
    touch_t t = {.e = e, .idx = idx, .n = FAULTS};
    uint64_t c0 = bench_thread_cpu_ns(), t0 = bench_now_ns();
    int rc = bench_guarded(touch, &t);
    uint64_t t1 = bench_now_ns();
    ft->hard_cpu = (double)(bench_thread_cpu_ns() - c0) / FAULTS;
    if (rc || umm_stats_get(e->sys, &b) != UMM_OK)
        return 1;
    if (t.bad || b.faults_hard - a.faults_hard != FAULTS)
        bench_check_fail(chk, "redis_hard_fault_random: %zu wrong pages, %llu hard faults for %d "
                         "touches", t.bad, (unsigned long long)(b.faults_hard - a.faults_hard), FAULTS);
    ft->hard_ns = (double)(t1 - t0) / FAULTS;
    if (soft_fault_cpu(e, &t, &ft->soft_cpu))
        bench_check_fail(chk, "redis_soft_fault_cpu: wrong pages or hard faults when faulting back");
    c0 = bench_thread_cpu_ns();
    t0 = bench_now_ns();
    for (size_t k = 0; k < FAULTS; k++) {
        redisReply *r = redisCommand(c, "GET bench:%d", (int)(idx[k] % 1024));
        if (!r || r->type != REDIS_REPLY_STRING || r->len != PAGE) {
            fprintf(stderr, "bench: redis: GET baseline failed\n");
            if (r)
                freeReplyObject(r);
            return 1;
        }
        freeReplyObject(r);
    }
    ft->get_ns = (double)(bench_now_ns() - t0) / FAULTS;
    ft->get_cpu = (double)(bench_thread_cpu_ns() - c0) / FAULTS;
    if (bare_sample(idx, e->npages / FAULTS, &ft->bare_ns, &ft->bare_cpu)) {
        fprintf(stderr, "bench: redis: the bare handler's GETRANGE failed\n");
        return 1;
    }
    return 0;
}

/* A cost row for information: the medians of umm's side and the baseline's. */
static bench_result_t info_row(const char *name, const char *unit, double *umm, double *base, int reps, int ok)
{
    return bench_row(name, unit, bench_median(umm, reps), bench_median(base, reps), 0, 0, 1, 1, ok);
}

/* The hard-fault rows (6): wall, CPU, and the fault's own CPU, each against a GET; the bare
 * handler's wall and CPU against the GET's, and umm against the bare handler. */
static int hard_fault_rows(const bench_opts_t *o, int port, bench_result_t *row)
{
    size_t data = o->bytes < (size_t)(32 * BENCH_MiB) ? (size_t)(32 * BENCH_MiB) : o->bytes;
    env_t e;
    if (env_open(&e, port, data, (size_t)FAULTS * PAGE * 2, 1))
        return 1;
    redisContext *c = connect_port(port);
    static char value[PAGE];
    memset(value, 'v', sizeof value);
    for (int k = 0; c && k < 1024; k++) {
        redisReply *r = redisCommand(c, "SET bench:%d %b", k, value, sizeof value);
        if (r)
            freeReplyObject(r);
    }
    bench_check_t chk = {.ok = 1};
    fault_times_t ft[BENCH_MAX_REPS];
    double u[BENCH_MAX_REPS], g[BENCH_MAX_REPS], hc[BENCH_MAX_REPS], sc[BENCH_MAX_REPS], gc[BENCH_MAX_REPS];
    double b[BENCH_MAX_REPS], bc[BENCH_MAX_REPS];
    int reps = o->reps < BENCH_MAX_REPS ? o->reps : BENCH_MAX_REPS, rc = !c || bare_open(port);
    if (!rc)
        rc = bench_guarded(fill, &e);
    for (int r = 0; r < reps && !rc; r++) {
        rc = fault_sample(&e, c, (uint64_t)r + 1, &ft[r], &chk);
        u[r] = ft[r].hard_ns;
        g[r] = ft[r].get_ns;
        hc[r] = ft[r].hard_cpu;
        sc[r] = ft[r].soft_cpu;
        gc[r] = ft[r].get_cpu;
        b[r] = ft[r].bare_ns;
        bc[r] = ft[r].bare_cpu;
    }
    bare_close();
    if (c)
        redisFree(c);
    umm_system_destroy(e.sys);
    if (rc)
        return 1;
    row[0] = bench_row("redis_hard_fault_random", "ns/fault", bench_median(u, reps),
                       bench_median(g, reps), 1.2, 0, 0, 1, chk.ok);
    row[1] = info_row("redis_hard_fault_cpu", "cpu-ns", hc, gc, reps, chk.ok);
    row[2] = info_row("redis_soft_fault_cpu", "cpu-ns", sc, gc, reps, chk.ok);
    row[3] = info_row("redis_bare_fault_floor", "ns/fault", b, g, reps, chk.ok);
    row[4] = info_row("redis_bare_fault_cpu", "cpu-ns", bc, gc, reps, chk.ok);
    row[5] = info_row("redis_hard_fault_vs_bare", "ns/fault", u, b, reps, chk.ok);
    return 0;
}

/* redis-benchmark -t set -d 65536 on the port: MB/s of SET payload, or -1. */
static double redis_benchmark_mbps(int port)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "redis-benchmark -p %d -t set -d 65536 -n 2000 -q 2>/dev/null", port);
    FILE *f = popen(cmd, "r");
    double rps = -1;
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        /* progress updates ("SET: rps=...") precede the result on the same \r-separated line */
        for (char *p = strstr(line, "SET: "); p; p = strstr(p + 5, "SET: ")) {
            double v = strtod(p + 5, NULL);
            rps = v > 0 ? v : rps;
        }
    }
    if (f)
        pclose(f);
    return rps > 0 ? rps * 65536 / 1e6 : -1;
}

static int writer_rows(const bench_opts_t *o, int port, bench_result_t *row)
{
    size_t data = o->bytes;
    double u[BENCH_MAX_REPS], b[BENCH_MAX_REPS];
    int reps = o->reps < BENCH_MAX_REPS ? o->reps : BENCH_MAX_REPS;
    bench_check_t chk = {.ok = 1};
    for (int r = 0; r < reps; r++) {
        env_t e;
        if (env_open(&e, port, data, data + 16 * BENCH_MiB, 16))
            return 1;
        umm_stats_t a, s;
        /* trimmed first (not timed): the writer writes Modified pages */
        int rc = bench_guarded(fill, &e) || umm_ws_empty(e.proc) != UMM_OK ||
                 umm_stats_get(e.sys, &a) != UMM_OK;
        uint64_t t0 = bench_now_ns();
        rc = rc || umm_flush_modified(e.sys) != UMM_OK;
        uint64_t t1 = bench_now_ns();
        rc = rc || umm_stats_get(e.sys, &s) != UMM_OK;
        if (!rc && s.pages_output - a.pages_output != e.npages)
            bench_check_fail(&chk, "redis_writer_MBps: %llu pages written of %zu",
                             (unsigned long long)(s.pages_output - a.pages_output), e.npages);
        umm_system_destroy(e.sys);
        if (rc)
            return 1;
        u[r] = (double)data / 1e6 / ((double)(t1 - t0) / 1e9);
        if ((b[r] = redis_benchmark_mbps(port)) < 0) {
            fprintf(stderr, "bench: redis: redis-benchmark did not run\n");
            return 1;
        }
    }
    *row = bench_row("redis_writer_MBps", "MB/s", bench_median(u, reps), bench_median(b, reps), 0,
                     1, 0, 1, chk.ok);
    return 0;
}

/* The swap case's program on `bytes` with RAM bytes/4, paged to Redis at port (redis) or to a
 * paging file on the scratch disk; its time (s) and checksum. */
static int program_run(const bench_opts_t *o, int port, int pat, size_t bytes, int redis, double *secs,
                       uint64_t *sum)
{
    char addr[32], pf[4096];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    umm_store_config_t st = {.kind = UMM_STORE_REDIS, .bytes = 2 * bytes, .address = addr,
                             .prefix = "umm-bench-swap"};
    umm_config_t c = UMM_CONFIG_INIT;
    c.ram_bytes = bytes / 4;
    if (redis) {
        c.stores = &st;
        c.nstores = 1;
    } else if (bench_scratch_path(o, "umm-bench-redis.pagefile", pf, sizeof pf) == 0) {
        c.pagefile_bytes = bytes + c.ram_bytes;
        c.pagefile_path = pf;
    } else {
        return 1;
    }
    umm_system_t *sys = NULL;
    umm_process_t *proc = NULL;
    void *p = NULL;
    int rc = umm_system_create(&c, &sys) != UMM_OK || umm_process_create(sys, &proc) != UMM_OK ||
             umm_reserve(proc, bytes, UMM_PROT_READ | UMM_PROT_WRITE, &p) != UMM_OK ||
             umm_commit(proc, p, bytes, UMM_PROT_READ | UMM_PROT_WRITE) != UMM_OK;
    uint64_t t0 = bench_now_ns();
    *sum = rc ? 0 : bench_swap_program(pat, p, bytes);
    *secs = (double)(bench_now_ns() - t0) / 1e9;
    if (sys)
        umm_system_destroy(sys);
    return rc || *sum == 0;
}

/* The kernel-swap case's program (uniform random, 3 passes, one write in four) at 4x RAM: paged
 * to Redis vs to the local paging file, alternating, both checksums equal. */
static int swap_program_rows(const bench_opts_t *o, int port, bench_result_t *row)
{
    size_t bytes = o->bytes;
    while (bytes & (bytes - 1))
        bytes &= bytes - 1;
    double u[BENCH_MAX_REPS], b[BENCH_MAX_REPS];
    int reps = o->reps < BENCH_MAX_REPS ? o->reps : BENCH_MAX_REPS;
    bench_check_t chk = {.ok = 1};
    for (int r = 0; r < reps; r++) {
        uint64_t su, sb;
        if (program_run(o, port, 1, bytes, 1, &u[r], &su) || program_run(o, port, 1, bytes, 0, &b[r], &sb)) {
            fprintf(stderr, "bench: redis: the swap program did not run\n");
            return 1;
        }
        if (su != sb)
            bench_check_fail(&chk, "redis_swap_random_4x_ram: checksums differ");
    }
    *row = bench_row("redis_swap_random_4x_ram", "s", bench_median(u, reps), bench_median(b, reps), 0,
                     0, 1, 1, chk.ok);
    return 0;
}

int redis_store(const bench_opts_t *o, struct bench_result *rows, int max)
{
    int port = free_port();
    pid_t pid = system("command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null") == 0 && port
                    ? start_server(port) : -1;
    if (pid < 0 || max < 8) {
        printf("  redis: skipped: redis-server/redis-benchmark missing or would not start\n");
        rows[0] = bench_row("redis_skipped", "-", 0, 0, 0, 0, 1, 1, 1);
        return max > 0 ? 1 : 0;
    }
    int n = 0;
    if (hard_fault_rows(o, port, &rows[n]) == 0)
        n += 6;
    if (writer_rows(o, port, &rows[n]) == 0)
        n++;
    if (n < max && swap_program_rows(o, port, &rows[n]) == 0)
        n++;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return n;
}

#else

int redis_store(const bench_opts_t *o, struct bench_result *rows, int max)
{
    (void)o;
    printf("  redis: skipped: built without hiredis\n");
    rows[0] = bench_row("redis_skipped", "-", 0, 0, 0, 0, 1, 1, 1);
    return max > 0 ? 1 : 0;
}
#endif
