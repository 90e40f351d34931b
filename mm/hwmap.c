/* hwmap.c - mmap/mprotect as the MMU (see hwmap.h). */
#define _GNU_SOURCE
#include "hwmap.h"

#include "failpoint.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* mmap for the MMU's work. Under ThreadSanitizer the intercepted mmap counts as a write to the
 * whole range by the calling thread, so a page that one thread's fault maps and another thread
 * then uses without faulting looks like a data race; these mappings change no bytes (the frame's
 * contents were written, and ordered, through the physical view under the system lock), so the
 * TSan build bypasses the interceptor. */
static void *os_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
#if defined(UMM_SANITIZE_THREAD)
    long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off); /* -1 and errno on failure */
    return r == -1 ? MAP_FAILED : (void *)r;
#else
    return mmap(addr, len, prot, flags, fd, off);
#endif
}

int hw_map_fd(int fd, uintptr_t va, size_t len, int prot, off_t off)
{
    int flags = MAP_SHARED | MAP_FIXED | (prot != PROT_NONE ? MAP_POPULATE : 0);
    void *r = os_mmap((void *)va, len, prot, flags, fd, off);
    return r == MAP_FAILED ? errno : 0;
}

int hw_map_anon(uintptr_t va, size_t len, int prot)
{
    void *r = os_mmap((void *)va, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
                      -1, 0);
    return r == MAP_FAILED ? errno : 0;
}

int hw_map(umm_system_t *sys, uintptr_t va, umm_pfn_id_t f, size_t n, int prot, bool write,
           bool *exact)
{
    *exact = true;
    if (UMM_FAILPOINT(OS_MAP))
        return ENOMEM;
    if (sys->phys)
        return sys->phys->map(sys, va, f, n, prot, write, exact);
    return hw_map_fd(sys->pool_fd, va, n << sys->page_shift, prot, (off_t)f << sys->page_shift);
}

int hw_protect(umm_system_t *sys, uintptr_t va, size_t n, int prot)
{
    if (UMM_FAILPOINT(OS_PROTECT))
        return ENOMEM;
    return mprotect((void *)va, n << sys->page_shift, prot) == 0 ? 0 : errno;
}

int hw_unmap(umm_system_t *sys, uintptr_t va, size_t n)
{
    if (UMM_FAILPOINT(OS_UNMAP))
        return ENOMEM;
    void *r = os_mmap((void *)va, n << sys->page_shift, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    return r == MAP_FAILED ? errno : 0;
}
