/* SPDX-License-Identifier: MIT */
/* bench_scratch.c - the scratch directory on a disk where the benchmark's paging files, baseline
 * files and the swap case's swapfile live, and its removal: at exit, on an interrupt, and, for a
 * run that was killed, by the next run.
 *
 * The directory is `umm-bench-<pid>.XXXXXX` (mkdtemp) in --dir, else $TMPDIR, /var/tmp, /tmp or
 * ".", the first that is not tmpfs/ramfs: a paging file in memory would measure memcpy, not
 * paging. A run stopped by SIGINT, SIGTERM or SIGHUP removes what it made before it dies
 * (bench_cleanup_on_interrupt). A run stopped by SIGKILL cannot: its pid in the name lets the
 * next run find its directory and remove it, after turning off a swapfile left on in it, which
 * would otherwise stay the machine's swap until reboot. Directories of live processes are never
 * touched, so runs in parallel do not disturb each other. */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#define PREFIX "umm-bench-"

static char g_dir[PATH_MAX];
static volatile sig_atomic_t g_dir_state; /* 0 not yet, 1 made, -1 failed */
static pid_t g_owner; /* the process that installed the handler: forked children do not clean */
/* what else an interrupt undoes (bench_cleanup_add): set before the state they undo exists */
#define MAX_CLEANUPS 4
static void (*volatile g_cleanups[MAX_CLEANUPS])(void);

static const char *fs_name(long type)
{
    switch (type) {
    case EXT4_SUPER_MAGIC: return "ext2/3/4";
    case TMPFS_MAGIC: return "tmpfs";
    case RAMFS_MAGIC: return "ramfs";
    case XFS_SUPER_MAGIC: return "xfs";
    case BTRFS_SUPER_MAGIC: return "btrfs";
    case OVERLAYFS_SUPER_MAGIC: return "overlayfs";
    default: return "other";
    }
}

static int memory_fs(long type)
{
    return type == TMPFS_MAGIC || type == RAMFS_MAGIC;
}

void bench_dir_each(const char *dir, void (*fn)(const char *path))
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[4096], path[PATH_MAX];
    for (long n; (n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0;)
        for (long off = 0; off < n;) {
            const char *name = buf + off + 19; /* d_ino 8, d_off 8, d_reclen 2, d_type 1 */
            unsigned short reclen;
            memcpy(&reclen, buf + off + 16, sizeof reclen);
            off += reclen;
            if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                continue;
            size_t dl = strlen(dir), nl = strlen(name);
            if (dl + 1 + nl + 1 > sizeof path)
                continue;
            memcpy(path, dir, dl);
            path[dl] = '/';
            memcpy(path + dl + 1, name, nl + 1);
            fn(path);
        }
    close(fd);
}

/* A swapfile still on is busy: turn it off (EINVAL for a file that is not swap), then remove. */
static void remove_file(const char *path)
{
    swapoff(path);
    unlink(path);
}

static void remove_dir(const char *dir)
{
    bench_dir_each(dir, remove_file);
    rmdir(dir);
}

pid_t bench_name_pid(const char *name, const char *prefix, char after)
{
    size_t len = strlen(prefix);
    if (strncmp(name, prefix, len) != 0)
        return 0;
    char *end;
    long pid = strtol(name + len, &end, 10);
    return *end == after && pid > 0 ? (pid_t)pid : 0;
}

int bench_pid_is_dead(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return pid > 0 && errno == ENOENT;
    int got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    /* "pid (comm) state ...": a zombie is dead; another program has reused the pid */
    const char *close_paren = got ? strrchr(line, ')') : NULL;
    if (!close_paren)
        return 0;
    return close_paren[1] == ' ' && close_paren[2] == 'Z' ? 1 : !strstr(line, "(umm-bench)");
}

static void sweep_if_dead(const char *path)
{
    const char *name = strrchr(path, '/') + 1;
    pid_t pid = bench_name_pid(name, PREFIX, '.');
    if (!pid || !bench_pid_is_dead(pid))
        return;
    remove_dir(path);
    printf("# removed %s, left by umm-bench %d, which did not finish\n", path, (int)pid);
}

static void on_interrupt(int sig)
{
    int saved = errno;
    if (getpid() == g_owner) {
        for (size_t i = 0; i < MAX_CLEANUPS; i++)
            if (g_cleanups[i])
                g_cleanups[i]();
        if (g_dir_state > 0)
            remove_dir(g_dir);
        g_dir_state = 0;
    }
    signal(sig, SIG_DFL);
    errno = saved;
    raise(sig); /* die of the signal, as the caller expects */
}

static const int k_interrupts[] = {SIGINT, SIGTERM, SIGHUP};
#define NINTERRUPTS (sizeof k_interrupts / sizeof k_interrupts[0])

void bench_interrupt_signals(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < NINTERRUPTS; i++)
        sigaddset(set, k_interrupts[i]);
}

void bench_cleanup_add(void (*fn)(void))
{
    for (size_t i = 0; i < MAX_CLEANUPS; i++)
        if (!g_cleanups[i] || g_cleanups[i] == fn) {
            g_cleanups[i] = fn;
            return;
        }
}

void bench_cleanup_on_interrupt(void)
{
    struct sigaction sa;
    g_owner = getpid();
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    bench_interrupt_signals(&sa.sa_mask);
    for (size_t i = 0; i < NINTERRUPTS; i++)
        sigaction(k_interrupts[i], &sa, NULL);
}

/* Makes the directory in the first usable candidate; its path, or NULL. */
static const char *make_dir(const char *cand, int chosen)
{
    struct statfs sf;
    char real[PATH_MAX];
    if (statfs(cand, &sf) != 0 || access(cand, W_OK) != 0 || !realpath(cand, real))
        return NULL;
    if (memory_fs((long)sf.f_type)) {
        if (!chosen)
            return NULL; /* in memory: look further */
        printf("# WARNING: --dir %s is %s, not a disk: paging figures measure memory\n", cand,
               fs_name((long)sf.f_type));
    }
    bench_dir_each(real, sweep_if_dead);
    if ((size_t)snprintf(g_dir, sizeof g_dir, "%s/" PREFIX "%d.XXXXXX", real, (int)getpid()) >=
            sizeof g_dir ||
        !mkdtemp(g_dir))
        return NULL;
    printf("# paging files in %s (%s, f_type 0x%lx)\n", g_dir, fs_name((long)sf.f_type),
           (long)sf.f_type);
    fflush(stdout);
    return g_dir;
}

static const char *scratch_dir(const bench_opts_t *o)
{
    if (g_dir_state)
        return g_dir_state > 0 ? g_dir : NULL;
    const char *cand[4];
    int n = 0;
    if (o->dir) {
        cand[n++] = o->dir;
    } else {
        const char *t = getenv("TMPDIR");
        if (t && *t)
            cand[n++] = t;
        cand[n++] = "/var/tmp";
        cand[n++] = "/tmp";
        cand[n++] = ".";
    }
    g_dir_state = -1;
    for (int i = 0; i < n; i++)
        if (make_dir(cand[i], o->dir != NULL)) {
            g_dir_state = 1;
            atexit(bench_paging_cleanup);
            return g_dir;
        }
    fprintf(stderr, "bench: no writable directory on a disk for the paging files (use --dir)\n");
    return NULL;
}

void bench_paging_cleanup(void)
{
    if (g_dir_state <= 0)
        return;
    remove_dir(g_dir);
    g_dir_state = 0;
}

int bench_scratch_path(const bench_opts_t *o, const char *name, char *buf, size_t len)
{
    const char *d = scratch_dir(o);
    if (!d)
        return 1;
    snprintf(buf, len, "%s/%s", d, name);
    return 0;
}
