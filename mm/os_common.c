/* SPDX-License-Identifier: MIT */
/* os_common.c - the part of the OS contract (os.h) that every backend implements alike, with plain
 * POSIX calls: the per-thread error, reserving, releasing and protecting address space, destroying
 * a frame pool, resizing a file, adopting a user's file (file-backed sections), copying between files through a bounce buffer, yielding, the clocks, and installing the SIGSEGV handler (whose
 * flags and SIGBUS mask are umm's policy, not the platform's). Compiled with every backend
 * (UMM_OS); the backends (os_linux.c, os_posix.c) hold what differs. */
#include "os.h"

#include "failpoint.h"
#include "os_common.h"
#include "umm.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__) && !defined(UMM_OS_POSIX_NO_HOOKS)
#include <ucontext.h>
#endif

/* ---- errors ---- */

/* initial-exec: read and written inside the SIGSEGV handler, where __tls_get_addr (which may
 * allocate in a dlopen()ed library) must not run. */
static __thread int last_error __attribute__((tls_model("initial-exec")));

int mm_os_last_error(void)
{
    return last_error;
}

int mm_os_fail(int err, int code)
{
    last_error = err;
    return code;
}

void mm_os_clear_error(void)
{
    last_error = 0;
}

int mm_os_map_error(int err)
{
    return mm_os_fail(err, err == ENOMEM ? UMM_E_VMA_LIMIT : UMM_E_OS);
}

/* ---- address space, frame pools, files ---- */

size_t mm_os_page_size(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

/* Unmap [from, to) if it is not empty (the slack around an aligned reservation). */
static void unmap_slack(uint8_t *from, uint8_t *to)
{
    if (to > from)
        munmap(from, (size_t)(to - from));
}

int mm_os_reserve(size_t bytes, size_t align, void **out)
{
    if (bytes > SIZE_MAX - align)
        return UMM_E_RANGE;
    if (UMM_FAILPOINT(OS_RESERVE))
        return mm_os_fail(ENOMEM, UMM_E_NOMEM);
    /* mmap aligns to a page only: take `align` more and trim both ends */
    uint8_t *raw = mmap(NULL, bytes + align, PROT_NONE, MM_OS_ANON_FLAGS, -1, 0);
    if (raw == MAP_FAILED)
        return mm_os_fail(errno, UMM_E_NOMEM);
    uint8_t *base = (uint8_t *)(((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1));
    unmap_slack(raw, base);
    unmap_slack(base + bytes, raw + bytes + align);
    *out = base;
    return UMM_OK;
}

int mm_os_reserve_at(void *addr, size_t bytes)
{
    if ((uintptr_t)addr > UINTPTR_MAX - bytes)
        return UMM_E_RANGE;
    if (UMM_FAILPOINT(OS_RESERVE))
        return mm_os_fail(ENOMEM, UMM_E_NOMEM);
#ifdef MAP_FIXED_NOREPLACE
    int flags = MM_OS_ANON_FLAGS | MAP_FIXED_NOREPLACE;
#else
    int flags = MM_OS_ANON_FLAGS; /* a hint: the kernel takes it when the range is free */
#endif
    void *r = mmap(addr, bytes, PROT_NONE, flags, -1, 0);
    if (r == MAP_FAILED)
        return mm_os_fail(errno, errno == EEXIST ? UMM_E_BUSY : UMM_E_NOMEM);
    if (r != addr) { /* an old kernel took NOREPLACE as a hint: the range is in use */
        munmap(r, bytes);
        return mm_os_fail(EEXIST, UMM_E_BUSY);
    }
    return UMM_OK;
}

/* ---- top-down reservations (MEM_TOP_DOWN) ----
 * The kernel places an address-less mapping below mmap_base, which sits under the main stack's
 * growth room, and moves down from there: that is where mm_os_reserve's reservations go. Above
 * mmap_base the address space stays free unless asked for by address. A top-down reservation
 * asks for it: the first at the top of it (the main stack's top minus its growth room), each
 * next just below the lowest one so far (a descending cursor, as Windows' top-down search finds
 * the highest free range below its earlier ones), stepping down past whatever is mapped there
 * (with steps that double, a bounded number of times), and falling back to the kernel's
 * placement when nothing is found. Address space a released top-down reservation leaves above the
 * cursor is not reused: a 47-bit user space holds 2^31 such reservations of 64 KiB. */
#define TOP_DOWN_ROOM_MIN ((uintptr_t)256 << 20) /* below the stack's top: its growth and more */
#define TOP_DOWN_ROOM_TIGHT ((uintptr_t)16 << 20) /* its growth, the guard gap and a margin */
#define TOP_DOWN_ROOM_MAX ((uintptr_t)1 << 30)
#define TOP_DOWN_TRIES 48

extern char **environ;

static _Atomic uintptr_t top_down_cursor; /* the lowest top-down base so far (0: none yet) */

/* The end of where the kernel places a mapping made without an address now (the highest free
 * range below mmap_base), 0 when the probe fails. */
static uintptr_t kernel_placement_end(void)
{
    const size_t len = (size_t)64 << 10;
    void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return 0;
    munmap(p, len);
    return (uintptr_t)p + len;
}

/* The main stack's top (its environment strings live there) less its rlimit and a margin. With
 * address randomization off (setarch -R, or a debugger) mmap_base sits only the kernel's minimum
 * gap (128 MiB) below the stack, above that ceiling, so the kernel would place mappings above
 * top-down ones: then the ceiling is the stack's rlimit and a small margin below its top. */
static uintptr_t find_top_down_ceiling(void)
{
    uintptr_t top = (uintptr_t)&top;
    if (environ && environ[0] && (uintptr_t)environ[0] > top)
        top = (uintptr_t)environ[0];
    struct rlimit rl;
    bool limited = getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
                   rl.rlim_cur < TOP_DOWN_ROOM_MAX - TOP_DOWN_ROOM_MIN;
    uintptr_t room = limited ? TOP_DOWN_ROOM_MIN + (uintptr_t)rl.rlim_cur : TOP_DOWN_ROOM_MAX;
    uintptr_t ceiling = top > room ? top - room : 0;
    uintptr_t tight = limited ? TOP_DOWN_ROOM_TIGHT + (uintptr_t)rl.rlim_cur : room;
    if (top > tight && kernel_placement_end() > ceiling)
        ceiling = top - tight;
    return ceiling;
}

/* Found once per process (0: not yet). The stack's top and mmap_base are fixed at exec, and the
 * kernel places mappings ever lower below mmap_base, so a probe above the ceiling stays above it
 * and one below stays below (unless the program unmaps what filled the room under mmap_base).
 * A later setrlimit(RLIMIT_STACK) is not followed. Two first callers may both look; either
 * answer is right. */
static _Atomic uintptr_t top_down_ceiling_found;

static uintptr_t top_down_ceiling(void)
{
    uintptr_t ceiling = atomic_load(&top_down_ceiling_found);
    if (ceiling == 0) {
        ceiling = find_top_down_ceiling();
        atomic_store(&top_down_ceiling_found, ceiling);
    }
    return ceiling;
}

int mm_os_reserve_top_down(size_t bytes, size_t align, void **out)
{
    uintptr_t ceiling = top_down_ceiling(), cursor = atomic_load(&top_down_cursor);
    uintptr_t from = cursor && cursor < ceiling ? cursor : ceiling;
    uintptr_t step = bytes > align ? bytes : align;
    for (int attempt = 0; attempt < TOP_DOWN_TRIES && from > step && from - step > bytes; attempt++) {
        uintptr_t base = (from - bytes) & ~(uintptr_t)(align - 1);
        int rc = mm_os_reserve_at((void *)base, bytes);
        if (rc == UMM_OK) {
            uintptr_t seen = atomic_load(&top_down_cursor);
            while ((seen == 0 || base < seen) &&
                   !atomic_compare_exchange_weak(&top_down_cursor, &seen, base)) {
            }
            *out = (void *)base;
            return UMM_OK;
        }
        if (rc != UMM_E_BUSY)
            return rc;
        from = base - (step << (attempt / 4)); /* past what is mapped there */
    }
    return mm_os_reserve(bytes, align, out); /* nothing free up there: the kernel's placement */
}

int mm_os_release(void *addr, size_t bytes)
{
    return munmap(addr, bytes) == 0 ? UMM_OK : mm_os_fail(errno, UMM_E_OS);
}

int mm_os_protect(uintptr_t va, size_t len, int prot)
{
    if (UMM_FAILPOINT(OS_PROTECT))
        return mm_os_map_error(ENOMEM);
    return mprotect((void *)va, len, prot) == 0 ? UMM_OK : mm_os_map_error(errno);
}

void mm_os_pool_destroy(mm_os_pool_t *pool)
{
    if (pool->view)
        munmap(pool->view, pool->bytes);
    if (pool->fd >= 0)
        close(pool->fd);
    pool->view = NULL;
    pool->fd = -1;
}

int mm_os_file_resize(int fd, uint64_t bytes)
{
    return ftruncate(fd, (off_t)bytes) == 0 ? UMM_OK : mm_os_fail(errno, UMM_E_IO);
}

/* ---- waiting, time ---- */

int mm_os_file_adopt(int user_fd, int *fd, uint64_t *bytes, bool *writable)
{
    struct stat st;
    int flags = user_fd < 0 ? -1 : fcntl(user_fd, F_GETFL);
    if (flags < 0 || fstat(user_fd, &st) != 0 || !S_ISREG(st.st_mode))
        return mm_os_fail(flags < 0 ? EBADF : EINVAL, UMM_E_HANDLE);
    int f = fcntl(user_fd, F_DUPFD_CLOEXEC, 0);
    if (f < 0)
        return mm_os_fail(errno, UMM_E_NOMEM);
    *fd = f;
    *bytes = (uint64_t)st.st_size;
    *writable = (flags & O_ACCMODE) == O_RDWR;
    return UMM_OK;
}

void mm_os_yield(void)
{
    sched_yield();
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t mm_os_now_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

uint64_t mm_os_thread_cpu_ns(void)
{
    return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

/* ---- signals ---- */

int mm_os_fault_handler_install(mm_os_fault_fn fn, struct sigaction *previous)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGBUS); /* mm_os_raise_bus_error relies on it */
    return sigaction(SIGSEGV, &sa, previous) == 0 ? UMM_OK : mm_os_fail(errno, UMM_E_OS);
}

int mm_os_fault_handler_current(struct sigaction *cur)
{
    return sigaction(SIGSEGV, NULL, cur) == 0 ? UMM_OK : mm_os_fail(errno, UMM_E_OS);
}

int mm_os_fault_handler_restore(const struct sigaction *previous)
{
    return sigaction(SIGSEGV, previous, NULL) == 0 ? UMM_OK : mm_os_fail(errno, UMM_E_OS);
}

void mm_os_signal_default(int sig)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
}

/* ---- file to file copies ---- */

#define COPY_BOUNCE_BYTES ((size_t)64 << 10)

int mm_os_transfer(int fd, uint64_t off, uint8_t *buf, size_t len, bool write)
{
    while (len > 0) {
        ssize_t r = write ? pwrite(fd, buf, len, (off_t)off) : pread(fd, buf, len, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return mm_os_fail(r < 0 ? errno : EIO, UMM_E_IO);
        buf += r;
        off += (uint64_t)r;
        len -= (size_t)r;
    }
    return UMM_OK;
}

int mm_os_copy_bounce(int in, uint64_t in_off, int out, uint64_t out_off, size_t len)
{
    void *buf = NULL; /* page-aligned: either file may be open with O_DIRECT */
    if (posix_memalign(&buf, 4096, COPY_BOUNCE_BYTES) != 0)
        return mm_os_fail(ENOMEM, UMM_E_IO);
    int rc = UMM_OK;
    for (size_t done = 0; done < len && rc == UMM_OK;) {
        size_t n = len - done < COPY_BOUNCE_BYTES ? len - done : COPY_BOUNCE_BYTES;
        rc = mm_os_transfer(in, in_off + done, buf, n, false);
        if (rc == UMM_OK)
            rc = mm_os_transfer(out, out_off + done, buf, n, true);
        done += n;
    }
    free(buf);
    return rc;
}

int mm_os_user_io(int fd, bool out, void *buf, size_t n, int64_t off, size_t *got)
{
    if (UMM_FAILPOINT(OS_USER_IO))
        return mm_os_fail(EIO, UMM_E_OS);
    for (;;) {
        ssize_t r = out ? (off < 0 ? write(fd, buf, n) : pwrite(fd, buf, n, (off_t)off))
                          : (off < 0 ? read(fd, buf, n) : pread(fd, buf, n, (off_t)off));
        if (r >= 0) {
            *got = (size_t)r;
            return UMM_OK;
        }
        if (errno != EINTR)
            return mm_os_fail(errno, UMM_E_OS);
    }
}

/* Both backends read the same CPU record on Linux (the POSIX one through its hook 1, porting.md):
 * x86-64's page-fault error code (bit 4: an instruction fetch), AArch64's ESR (exception class
 * 0x20/0x21: an instruction abort). Elsewhere: unknown. */
int mm_os_fault_is_exec(const void *ucv)
{
#if defined(__linux__) && !defined(UMM_OS_POSIX_NO_HOOKS) && defined(__x86_64__)
    const ucontext_t *uc = ucv;
    return (uc->uc_mcontext.gregs[REG_ERR] & 0x10) ? 1 : 0;
#elif defined(__linux__) && !defined(UMM_OS_POSIX_NO_HOOKS) && defined(__aarch64__)
    const ucontext_t *uc = ucv;
    const struct _aarch64_ctx *h = (const struct _aarch64_ctx *)uc->uc_mcontext.__reserved;
    for (; h->magic; h = (const struct _aarch64_ctx *)((const char *)h + h->size))
        if (h->magic == ESR_MAGIC)
            return ((((const struct esr_context *)h)->esr >> 26) & 0x3e) == 0x20 ? 1 : 0;
    return -1;
#else
    (void)ucv;
    return -1;
#endif
}

/* ---- streams (POSIX: the same on every backend) ---- */
int mm_os_stream_write(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t r = send(fd, p, len, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return mm_os_fail(r < 0 ? errno : EIO, UMM_E_IO);
        p += r;
        len -= (size_t)r;
    }
    return UMM_OK;
}

long mm_os_stream_readv_some(int fd, const struct iovec *iov, int n)
{
    for (;;) {
        ssize_t r = readv(fd, iov, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return mm_os_fail(r < 0 ? errno : EIO, -1);
        return (long)r;
    }
}

void mm_os_stream_close(int fd)
{
    if (fd >= 0)
        close(fd);
}
