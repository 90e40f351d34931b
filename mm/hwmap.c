/* hwmap.c - mmap/mprotect as the MMU (see hwmap.h). */
#define _GNU_SOURCE
#include "hwmap.h"

#include "failpoint.h"

#include <errno.h>
#include <sys/mman.h>

int hw_map(umm_system_t *sys, uintptr_t va, umm_pfn_id_t f, size_t n, int prot)
{
    if (UMM_FAILPOINT("umm/os/map"))
        return ENOMEM;
    int flags = MAP_SHARED | MAP_FIXED | (prot != PROT_NONE ? MAP_POPULATE : 0);
    void *r = mmap((void *)va, n << sys->page_shift, prot, flags, sys->pool_fd,
                   (off_t)f << sys->page_shift);
    return r == MAP_FAILED ? errno : 0;
}

int hw_protect(umm_system_t *sys, uintptr_t va, size_t n, int prot)
{
    return mprotect((void *)va, n << sys->page_shift, prot) == 0 ? 0 : errno;
}

int hw_unmap(umm_system_t *sys, uintptr_t va, size_t n)
{
    void *r = mmap((void *)va, n << sys->page_shift, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    return r == MAP_FAILED ? errno : 0;
}
