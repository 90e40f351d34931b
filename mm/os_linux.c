/* SPDX-License-Identifier: MIT */
/* os_linux.c - the OS contract (os.h) on Linux: memfd frame pools, futex waits, eventfd events,
 * MAP_POPULATE, O_TMPFILE and O_DIRECT paging files, SIGBUS with si_errno through
 * rt_tgsigqueueinfo, and the CPU's write bit from the signal context. What every backend does
 * alike is in os_common.c. */
#include "os.h"

#include "failpoint.h"
#include "os_common.h"
#include "umm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

/* ---- address space ---- */

/* Under ThreadSanitizer the intercepted mmap counts as a write to the whole range by the calling
 * thread, so a page one thread's fault maps and another thread then uses without faulting looks
 * like a data race. The MMU's mappings change no bytes (a frame's contents are written, and
 * ordered, through the physical view under the system lock), so the TSan build bypasses the
 * interceptor for them. */
static void *mmu_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
#if defined(UMM_SANITIZE_THREAD)
    long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off); /* -1 and errno on failure */
    return r == -1 ? MAP_FAILED : (void *)r;
#else
    return mmap(addr, len, prot, flags, fd, off);
#endif
}

int mm_os_unmap(uintptr_t va, size_t len)
{
    if (UMM_FAILPOINT(OS_UNMAP))
        return mm_os_map_error(ENOMEM);
    void *r = mmu_mmap((void *)va, len, PROT_NONE, MM_OS_ANON_FLAGS | MAP_FIXED, -1, 0);
    return r == MAP_FAILED ? mm_os_map_error(errno) : UMM_OK;
}

int mm_os_map_anon(uintptr_t va, size_t len, int prot)
{
    if (UMM_FAILPOINT(OS_MAP))
        return mm_os_map_error(ENOMEM);
    void *r = mmu_mmap((void *)va, len, prot, MM_OS_ANON_FLAGS | MAP_FIXED, -1, 0);
    return r == MAP_FAILED ? mm_os_map_error(errno) : UMM_OK;
}

/* ---- frame pools ---- */

int mm_os_pool_create(mm_os_pool_t *pool, size_t bytes, const char *name)
{
    *pool = (mm_os_pool_t){.fd = -1, .view = NULL, .bytes = bytes};
    pool->fd = memfd_create(name, MFD_CLOEXEC);
    if (pool->fd < 0)
        return mm_os_fail(errno, UMM_E_OS);
    /* Taken now: the frames are the machine's RAM, real from the start, and a budget the host
     * cannot honour fails here rather than on some later fault. */
    if (ftruncate(pool->fd, (off_t)bytes) != 0 || fallocate(pool->fd, 0, 0, (off_t)bytes) != 0) {
        int e = errno;
        mm_os_pool_destroy(pool);
        return mm_os_fail(e, UMM_E_NOMEM);
    }
    /* Populated now too: otherwise the first zeroing or check of each frame through the view
     * pays a kernel minor fault (the zero page thread ran 10x slower on a cold view). */
    void *v = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, pool->fd, 0);
    if (v == MAP_FAILED) {
        int e = errno;
        mm_os_pool_destroy(pool);
        return mm_os_fail(e, UMM_E_NOMEM);
    }
    pool->view = v;
    return UMM_OK;
}

int mm_os_pool_map(const mm_os_pool_t *pool, uintptr_t va, size_t off, size_t len, int prot)
{
    if (UMM_FAILPOINT(OS_MAP))
        return mm_os_map_error(ENOMEM);
    int flags = MAP_SHARED | MAP_FIXED | (prot != PROT_NONE ? MAP_POPULATE : 0);
    void *r = mmu_mmap((void *)va, len, prot, flags, pool->fd, (off_t)off);
    return r == MAP_FAILED ? mm_os_map_error(errno) : UMM_OK;
}

int mm_os_pool_write(const mm_os_pool_t *pool, size_t off, const void *src, size_t len)
{
    const uint8_t *from = src;
    while (len > 0) {
        ssize_t n = pwrite(pool->fd, from, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return mm_os_fail(n < 0 ? errno : EIO, UMM_E_OS);
        from += n;
        off += (size_t)n;
        len -= (size_t)n;
    }
    return UMM_OK;
}

/* ---- files ---- */

static const char *temp_dir(void)
{
    const char *d = getenv("TMPDIR");
    return d && *d ? d : "/tmp";
}

static int open_once(const char *path, bool direct)
{
    int flags = O_RDWR | O_CLOEXEC | (direct ? O_DIRECT : 0);
    if (!path)
        return open(temp_dir(), flags | O_TMPFILE, 0600);
    int fd = open(path, flags | O_CREAT, 0600);
    if (fd < 0)
        return -1;
    /* A live system keeps its file locked; a stale one left by a crash is simply reused. */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0 || ftruncate(fd, 0) != 0) {
        int e = errno;
        close(fd);
        errno = e == EWOULDBLOCK ? EBUSY : e;
        return -1;
    }
    return fd;
}

int mm_os_file_open(const char *path, bool direct, int *fd, bool *direct_used)
{
    int f = open_once(path, direct);
    if (f < 0 && direct && errno == EINVAL) /* tmpfs and friends: no O_DIRECT */
        f = open_once(path, direct = false);
    if (f < 0)
        return mm_os_fail(errno, errno == EBUSY ? UMM_E_BUSY : UMM_E_IO);
    *fd = f;
    *direct_used = direct;
    return UMM_OK;
}

int mm_os_file_reopen_direct(int fd, int *out)
{
    char path[40];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd); /* a new open file, not a dup */
    int f = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (f < 0)
        return mm_os_fail(errno, UMM_E_NOT_SUPPORTED);
    *out = f;
    return UMM_OK;
}

void mm_os_file_close(int fd, const char *path)
{
    if (path)
        unlink(path);
    if (fd >= 0)
        close(fd); /* closing drops the flock */
}

static int file_io(int fd, uint64_t off, const struct iovec *iov, int n, bool write)
{
    size_t want = 0;
    for (int i = 0; i < n; i++)
        want += iov[i].iov_len;
    for (;;) {
        ssize_t r = write ? pwritev(fd, iov, n, (off_t)off) : preadv(fd, iov, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return mm_os_fail(errno, UMM_E_IO);
        /* a short transfer (end of file, a full disk): an error, the caller keeps its data */
        return (size_t)r == want ? UMM_OK : mm_os_fail(EIO, UMM_E_IO);
    }
}

int mm_os_file_read(int fd, uint64_t off, const struct iovec *iov, int n)
{
    return file_io(fd, off, iov, n, false);
}

int mm_os_file_write(int fd, uint64_t off, const struct iovec *iov, int n)
{
    return file_io(fd, off, iov, n, true);
}

/* copy_file_range: the kernel moves the bytes (no user buffer); where it cannot between these
 * two files (another file system, an old kernel), the bounce buffer does. */
int mm_os_file_copy(int in, uint64_t in_off, int out, uint64_t out_off, size_t len)
{
    size_t done = 0;
    while (done < len) {
        loff_t ioff = (loff_t)(in_off + done), ooff = (loff_t)(out_off + done);
        ssize_t r = copy_file_range(in, &ioff, out, &ooff, len - done, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && done == 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
                                   errno == EOPNOTSUPP || errno == EBADF))
            return mm_os_copy_bounce(in, in_off, out, out_off, len);
        if (r <= 0)
            return mm_os_fail(r < 0 ? errno : EIO, UMM_E_IO);
        done += (size_t)r;
    }
    return UMM_OK;
}

/* ---- waiting ---- */

void mm_os_wait(_Atomic int *addr, int expected)
{
    syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

void mm_os_wake_one(_Atomic int *addr)
{
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void mm_os_wake_all(_Atomic int *addr)
{
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* ---- events ---- */

int mm_os_event_create(mm_os_event_t *ev)
{
    ev->fd = ev->wfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return ev->fd >= 0 ? UMM_OK : mm_os_fail(errno, UMM_E_OS);
}

void mm_os_event_set(mm_os_event_t *ev)
{
    uint64_t one = 1;
    ssize_t r = write(ev->wfd, &one, sizeof one);
    (void)r; /* a full counter is already readable */
}

void mm_os_event_clear(mm_os_event_t *ev)
{
    uint64_t v;
    ssize_t r = read(ev->fd, &v, sizeof v);
    (void)r; /* EAGAIN: already clear */
}

void mm_os_event_destroy(mm_os_event_t *ev)
{
    if (ev->fd >= 0)
        close(ev->fd);
    ev->fd = ev->wfd = -1;
}

/* ---- signals ---- */

int mm_os_fault_is_write(const void *ucv)
{
#if defined(__x86_64__)
    const ucontext_t *uc = ucv;
    return (uc->uc_mcontext.gregs[REG_ERR] & 0x2) ? 1 : 0;
#elif defined(__aarch64__)
    const ucontext_t *uc = ucv;
    const struct _aarch64_ctx *h = (const struct _aarch64_ctx *)uc->uc_mcontext.__reserved;
    while (h->magic) {
        if (h->magic == ESR_MAGIC)
            return (((const struct esr_context *)h)->esr & (1u << 6)) ? 1 : 0; /* WnR */
        h = (const struct _aarch64_ctx *)((const char *)h + h->size);
    }
    return -1;
#else
    (void)ucv;
    return -1;
#endif
}

void mm_os_raise_bus_error(void *addr, int code, void *ucv)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGBUS;
    info.si_code = BUS_ADRERR;
    info.si_errno = code;
    info.si_addr = addr;
    syscall(SYS_rt_tgsigqueueinfo, getpid(), (pid_t)syscall(SYS_gettid), SIGBUS, &info);
    /* SIGBUS is in the handler's mask; the interrupted context gets it unblocked, so it is
     * delivered when the handler returns */
    sigdelset(&((ucontext_t *)ucv)->uc_sigmask, SIGBUS);
}
