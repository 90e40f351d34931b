/* SPDX-License-Identifier: MIT */
/* os_posix.c - the OS contract (os.h) with POSIX interfaces only, the backend a macOS or BSD port
 * starts from (docs/porting.md): shm_open frame pools taken by touching every page, mkstemp and
 * fcntl-locked paging files read and written with pread/pwrite, a lock slow path that sleeps
 * instead of a futex, and a non-blocking pipe for events. What POSIX has no interface for is in the
 * two platform hooks just below; everything after them is portable, and what every backend does
 * alike is in os_common.c. Built with UMM_OS=posix. */
#include "os.h"

#include "failpoint.h"
#include "os_common.h"
#include "umm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

/* ================================================================================================
 * PLATFORM HOOKS - what POSIX cannot express. A port replaces the Linux example with its own code
 * or leaves the portable fallback. Define UMM_OS_POSIX_NO_HOOKS to build the fallbacks on Linux
 * too (what a port without hooks gets: docs/porting.md lists which checks then change).
 * ============================================================================================= */

#if defined(__linux__) && !defined(UMM_OS_POSIX_NO_HOOKS)
#define HOOK_LINUX 1
#include <sys/syscall.h>
#include <ucontext.h>
#endif

/* Hook 1: was the faulting access a write? 1 write, 0 read, -1 unknown. The CPU records it in the
 * page fault, and the kernel passes that record in the signal context, in a layout of its own.
 * Unknown is safe but dearer: umm takes any access to a writable page for a write, so a page that
 * was only read is dirty (written to the paging file when trimmed, counted as a write fault).
 *   macOS:   x86-64 ((ucontext_t *)uc)->uc_mcontext->__es.__err & 2 (the page fault error code);
 *            arm64  ((ucontext_t *)uc)->uc_mcontext->__es.__esr & (1u << 6) (ESR's WnR bit).
 *   FreeBSD: amd64  ((ucontext_t *)uc)->uc_mcontext.mc_err & 2; arm64's mcontext has no ESR: -1. */
static int hook_fault_is_write(const void *ucv)
{
#if defined(HOOK_LINUX) && defined(__x86_64__)
    const ucontext_t *uc = ucv;
    return (uc->uc_mcontext.gregs[REG_ERR] & 0x2) ? 1 : 0; /* error code bit 1: a write */
#elif defined(HOOK_LINUX) && defined(__aarch64__)
    const ucontext_t *uc = ucv;
    const struct _aarch64_ctx *h = (const struct _aarch64_ctx *)uc->uc_mcontext.__reserved;
    for (; h->magic; h = (const struct _aarch64_ctx *)((const char *)h + h->size))
        if (h->magic == ESR_MAGIC)
            return (((const struct esr_context *)h)->esr & (1u << 6)) ? 1 : 0; /* WnR */
    return -1;
#else
    (void)ucv;
    return -1;
#endif
}

/* Hook 2: queue SIGBUS for the calling thread, to arrive when the SIGSEGV handler returns (SIGBUS
 * is blocked until then), telling a program's SIGBUS handler si_addr = addr, si_code = BUS_ADRERR
 * and si_errno = code (the umm error behind the in-page error). POSIX can direct a signal at a
 * thread (pthread_kill, raise) but not choose its siginfo: the fallback is a plain SIGBUS (si_code
 * SI_USER or SI_TKILL, no address, no error). Linux queues a chosen siginfo with
 * rt_tgsigqueueinfo, which has no libc wrapper: the only syscall()s of this file.
 *   macOS, FreeBSD: nothing queues a siginfo to one thread (sigqueue is process-directed: another
 *   thread could take it); raise() as below. A program learns the address and the error from
 *   umm's exception handler (umm_set_exception_handler) instead. */
static void hook_raise_bus_error(void *addr, int code)
{
#if defined(HOOK_LINUX)
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGBUS;
    info.si_code = BUS_ADRERR;
    info.si_errno = code;
    info.si_addr = addr;
    syscall(SYS_rt_tgsigqueueinfo, getpid(), (pid_t)syscall(SYS_gettid), SIGBUS, &info);
#else
    (void)addr;
    (void)code;
    raise(SIGBUS); /* async-signal-safe, and thread-directed: pthread_kill(pthread_self(), ...) */
#endif
}

/* ================================================================================================
 * Portable from here on.
 * ============================================================================================= */

/* ---- address space ---- */

/* Map anonymous memory over [va, va + len): MAP_FIXED replaces what was there in one call. */
static int map_fixed_anon(uintptr_t va, size_t len, int prot)
{
    void *r = mmap((void *)va, len, prot, MM_OS_ANON_FLAGS | MAP_FIXED, -1, 0);
    return r == MAP_FAILED ? mm_os_map_error(errno) : UMM_OK;
}

int mm_os_unmap(uintptr_t va, size_t len)
{
    if (UMM_FAILPOINT(OS_UNMAP))
        return mm_os_map_error(ENOMEM);
    return map_fixed_anon(va, len, PROT_NONE);
}

int mm_os_map_anon(uintptr_t va, size_t len, int prot)
{
    if (UMM_FAILPOINT(OS_MAP))
        return mm_os_map_error(ENOMEM);
    return map_fixed_anon(va, len, prot);
}

/* ---- frame pools ---- */

/* A shared memory object nobody else can open: created under a name unique to this process (31
 * characters at most, macOS's limit) and unlinked at once, so nothing is left behind even by a
 * crash. shm_open sets FD_CLOEXEC itself. */
static int shm_anonymous(void)
{
    static _Atomic unsigned seq;
    for (int tries = 0; tries < 8; tries++) {
        char name[32];
        snprintf(name, sizeof name, "/umm.%ld.%u", (long)getpid(), atomic_fetch_add(&seq, 1));
        int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
        if (fd >= 0) {
            shm_unlink(name);
            return fd;
        }
        if (errno != EEXIST) /* EEXIST: a dead process with our pid left one; try another */
            return -1;
    }
    return -1;
}

/* Can the object's file system hold `bytes` more? A page it cannot back is a SIGBUS when touched,
 * so a budget the host cannot honour is refused before the touch. fstatvfs may know nothing about
 * a shared memory object (macOS), or report an unlimited tmpfs as 0 blocks: then assume it can. */
static bool room_for(int fd, size_t bytes)
{
    struct statvfs st;
    if (fstatvfs(fd, &st) != 0 || st.f_blocks == 0 || st.f_frsize == 0)
        return true;
    return (uint64_t)st.f_bavail * st.f_frsize >= bytes;
}

/* Make every page of the view real now, as fallocate and MAP_POPULATE do on Linux: a write per
 * page has the kernel allocate the page and map it in the view. */
static void touch_pages(uint8_t *view, size_t bytes)
{
    size_t page = mm_os_page_size();
    for (size_t off = 0; off < bytes; off += page)
        ((volatile uint8_t *)view)[off] = 0;
}

/* The name labels a memfd in /proc on Linux; an shm object is nameless once unlinked. */
int mm_os_pool_create(mm_os_pool_t *pool, size_t bytes, const char *name)
{
    (void)name;
    *pool = (mm_os_pool_t){.fd = shm_anonymous(), .view = NULL, .bytes = bytes};
    if (pool->fd < 0)
        return mm_os_fail(errno, UMM_E_OS);
    int err = 0;
    if (ftruncate(pool->fd, (off_t)bytes) != 0)
        err = errno;
    else if (!room_for(pool->fd, bytes))
        err = ENOMEM;
    void *v = err ? MAP_FAILED : mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, pool->fd, 0);
    if (!err && v == MAP_FAILED)
        err = errno;
    if (err) {
        mm_os_pool_destroy(pool);
        return mm_os_fail(err, UMM_E_NOMEM);
    }
    pool->view = v;
    touch_pages(pool->view, bytes);
    return UMM_OK;
}

/* No MAP_POPULATE: the first access through va takes a kernel minor fault (never a SIGSEGV: the
 * mapping is already accessible) to fill the page table entry from the object. */
int mm_os_pool_map(const mm_os_pool_t *pool, uintptr_t va, size_t off, size_t len, int prot)
{
    if (UMM_FAILPOINT(OS_MAP))
        return mm_os_map_error(ENOMEM);
    void *r = mmap((void *)va, len, prot, MAP_SHARED | MAP_FIXED, pool->fd, (off_t)off);
    return r == MAP_FAILED ? mm_os_map_error(errno) : UMM_OK;
}

/* Not every system writes a shared-memory object with pwrite (macOS refuses): through the view. */
int mm_os_pool_write(const mm_os_pool_t *pool, size_t off, const void *src, size_t len)
{
    memcpy(pool->view + off, src, len);
    return UMM_OK;
}

/* ---- files ---- */

/* fcntl locks belong to the process, not to the descriptor: a second open of a locked file by this
 * process would be granted the lock again, and closing any descriptor of the file drops it. So the
 * named files this process holds are listed here, and a second opener is refused (EBUSY) before it
 * opens anything. Other processes are kept out by the lock itself. */
typedef struct held_file {
    dev_t dev;
    ino_t ino;
    int fd;
    struct held_file *next;
} held_file_t;
static held_file_t *held;
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;

/* Caller holds held_lock. */
static bool is_held(const struct stat *st)
{
    for (const held_file_t *h = held; h; h = h->next)
        if (h->dev == st->st_dev && h->ino == st->st_ino)
            return true;
    return false;
}

/* Caller holds held_lock. */
static int hold(int fd, const struct stat *st)
{
    held_file_t *h = malloc(sizeof *h);
    if (!h)
        return -1; /* errno ENOMEM */
    *h = (held_file_t){.dev = st->st_dev, .ino = st->st_ino, .fd = fd, .next = held};
    held = h;
    return 0;
}

/* Caller holds held_lock. */
static void unhold(int fd)
{
    for (held_file_t **pp = &held; *pp; pp = &(*pp)->next)
        if ((*pp)->fd == fd) {
            held_file_t *h = *pp;
            *pp = h->next;
            free(h);
            return;
        }
}

/* Open, lock and truncate a named file. Caller holds held_lock. */
static int open_named_locked(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && is_held(&st)) {
        errno = EBUSY;
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    /* A live system keeps its file locked; a stale one left by a crash is simply reused. */
    struct flock whole = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    if (fstat(fd, &st) != 0 || fcntl(fd, F_SETLK, &whole) != 0 || ftruncate(fd, 0) != 0 ||
        hold(fd, &st) != 0) {
        int e = errno;
        close(fd);
        errno = e == EACCES || e == EAGAIN ? EBUSY : e; /* F_SETLK's two ways to say "locked" */
        return -1;
    }
    return fd;
}

static int open_named(const char *path)
{
    pthread_mutex_lock(&held_lock);
    int fd = open_named_locked(path);
    pthread_mutex_unlock(&held_lock);
    return fd;
}

static const char *temp_dir(void)
{
    const char *d = getenv("TMPDIR");
    return d && *d ? d : "/tmp";
}

/* A temporary file with no name: created by mkstemp and unlinked at once (no O_TMPFILE). */
static int open_nameless(void)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/umm-pagefile-XXXXXX", temp_dir());
    if (n < 0 || (size_t)n >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    unlink(path);
    fcntl(fd, F_SETFD, FD_CLOEXEC); /* mkstemp has no flag for it */
    return fd;
}

/* `direct` is not honoured: POSIX has no O_DIRECT, so paging I/O goes through the page cache
 * (macOS would set F_NOCACHE with fcntl, FreeBSD has O_DIRECT; docs/porting.md). */
int mm_os_file_open(const char *path, bool direct, int *fd, bool *direct_used)
{
    (void)direct;
    int f = path ? open_named(path) : open_nameless();
    if (f < 0)
        return mm_os_fail(errno, errno == EBUSY ? UMM_E_BUSY : UMM_E_IO);
    *fd = f;
    *direct_used = false;
    return UMM_OK;
}

/* POSIX has no O_DIRECT: file sections read the buffered way (docs/porting.md). */
int mm_os_file_reopen_direct(int fd, int *out)
{
    (void)fd;
    *out = -1;
    return mm_os_fail(EINVAL, UMM_E_NOT_SUPPORTED);
}

void mm_os_file_close(int fd, const char *path)
{
    if (path)
        unlink(path);
    if (fd < 0)
        return;
    pthread_mutex_lock(&held_lock);
    unhold(fd);
    close(fd); /* drops the fcntl lock */
    pthread_mutex_unlock(&held_lock);
}

/* One call per buffer where Linux makes one preadv/pwritev: preadv is not POSIX (macOS has had it
 * only since 11). */
static int file_io(int fd, uint64_t off, const struct iovec *iov, int n, bool write)
{
    for (int i = 0; i < n; i++) {
        int rc = mm_os_transfer(fd, off, iov[i].iov_base, iov[i].iov_len, write);
        if (rc != UMM_OK)
            return rc;
        off += iov[i].iov_len;
    }
    return UMM_OK;
}

int mm_os_file_read(int fd, uint64_t off, const struct iovec *iov, int n)
{
    return file_io(fd, off, iov, n, false);
}

int mm_os_file_write(int fd, uint64_t off, const struct iovec *iov, int n)
{
    return file_io(fd, off, iov, n, true);
}

int mm_os_file_copy(int in, uint64_t in_off, int out, uint64_t out_off, size_t len)
{
    return mm_os_copy_bounce(in, in_off, out, out_off, len); /* no portable in-kernel copy */
}

/* ---- waiting ---- */

/* How long a waiter sleeps before it looks at the lock again. No futex: POSIX has no way to sleep
 * on an address that is also async-signal-safe (a condition variable is not). The lock holder is
 * inside umm for microseconds, so a short poll costs little; the kernel's timer slack (50 us on
 * Linux) is added to it. */
#define WAIT_POLL_NS 20000

void mm_os_wait(_Atomic int *addr, int expected)
{
    if (atomic_load_explicit(addr, memory_order_relaxed) != expected)
        return;
    struct timespec ts = {.tv_sec = 0, .tv_nsec = WAIT_POLL_NS};
    nanosleep(&ts, NULL); /* EINTR: an early return, a spurious wake-up the caller allows */
}

/* Waiters poll (mm_os_wait), so there is nobody to wake. macOS would pair __ulock_wait with
 * __ulock_wake, FreeBSD _umtx_op(UMTX_OP_WAIT_UINT_PRIVATE / UMTX_OP_WAKE_PRIVATE). */
void mm_os_wake_one(_Atomic int *addr)
{
    (void)addr;
}

void mm_os_wake_all(_Atomic int *addr)
{
    (void)addr;
}

/* ---- events: a pipe holding one byte while set ---- */

/* Both ends non-blocking (set and clear never wait) and closed on exec. */
static int event_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

int mm_os_event_create(mm_os_event_t *ev)
{
    int p[2];
    if (pipe(p) != 0)
        return mm_os_fail(errno, UMM_E_OS);
    if (event_flags(p[0]) != 0 || event_flags(p[1]) != 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        return mm_os_fail(e, UMM_E_OS);
    }
    ev->fd = p[0];
    ev->wfd = p[1];
    return UMM_OK;
}

static bool readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

/* One byte makes the read end readable; a second would only have to be drained. */
void mm_os_event_set(mm_os_event_t *ev)
{
    if (readable(ev->fd))
        return;
    ssize_t r = write(ev->wfd, "", 1);
    (void)r; /* EAGAIN: the pipe is full, so readable already */
}

void mm_os_event_clear(mm_os_event_t *ev)
{
    char buf[64];
    for (;;) {
        ssize_t r = read(ev->fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return; /* EAGAIN: empty, clear */
    }
}

void mm_os_event_destroy(mm_os_event_t *ev)
{
    if (ev->fd >= 0)
        close(ev->fd);
    if (ev->wfd >= 0)
        close(ev->wfd);
    ev->fd = ev->wfd = -1;
}

/* ---- signals ---- */

int mm_os_fault_is_write(const void *ucontext)
{
    return hook_fault_is_write(ucontext);
}

void mm_os_raise_bus_error(void *addr, int code, void *ucv)
{
    hook_raise_bus_error(addr, code);
    /* The signal is pending, blocked by the handler's mask; unblocking it in the interrupted
     * context (POSIX's ucontext_t has uc_sigmask) delivers it when the handler returns. */
    sigdelset(&((ucontext_t *)ucv)->uc_sigmask, SIGBUS);
}
