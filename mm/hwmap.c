/* SPDX-License-Identifier: MIT */
/* hwmap.c - the MMU: kernel mappings of managed pages (see hwmap.h). */
#include "hwmap.h"

#include "os.h"

int mm_hw_map(umm_system_t *sys, uintptr_t va, mm_pfn_id_t f, size_t n, int prot, bool write,
              bool *exact)
{
    MM_ASSERT_HELD(&sys->lock); /* the counter, like every counter, moves under it */
    *exact = true;
    sys->ctr.hw_map_calls++;
    if (sys->phys)
        return sys->phys->map(sys, va, f, n, prot, write, exact);
    return mm_os_pool_map(&sys->pool, va, (size_t)f << sys->page_shift, n << sys->page_shift, prot);
}

int mm_hw_protect(umm_system_t *sys, uintptr_t va, size_t n, int prot)
{
    MM_ASSERT_HELD(&sys->lock); /* the counter moves under it */
    sys->ctr.hw_protect_calls++;
    return mm_os_protect(va, n << sys->page_shift, prot);
}

int mm_hw_unmap(umm_system_t *sys, uintptr_t va, size_t n)
{
    return mm_os_unmap(va, n << sys->page_shift);
}
