/* SPDX-License-Identifier: MIT */
/* readbuf.c - warm read buffers for hard faults (see readbuf.h). */
#include "readbuf.h"

#include "assert.h"
#include "lock.h"

#include <stdlib.h>
#include <string.h>

/* Buffers busy are bits < MM_READBUF_COUNT of busy; mem holds MM_READBUF_COUNT of bytes each. */
static void readbufs_check(const mm_readbufs_t *rb)
{
    (void)rb; /* without UMM_DEBUG the checks compile to nothing */
    UMM_ASSERT((rb->mem == NULL) == (rb->bytes == 0));
    UMM_ASSERT((rb->busy >> MM_READBUF_COUNT) == 0);
}

int mm_readbufs_create(umm_system_t *sys)
{
    mm_readbufs_t *rb = &sys->readbufs;
    *rb = (mm_readbufs_t){0};
    if (sys->phys)
        return UMM_OK;
    size_t bytes = (size_t)sys->cluster_pages << sys->page_shift;
    void *mem = NULL;
    if (posix_memalign(&mem, sys->page_size, bytes * MM_READBUF_COUNT) != 0)
        return UMM_E_NOMEM;
    memset(mem, 0, bytes * MM_READBUF_COUNT); /* stored to now: warm from the first read on */
    rb->mem = mem;
    rb->bytes = bytes;
    readbufs_check(rb);
    return UMM_OK;
}

void mm_readbufs_destroy(umm_system_t *sys)
{
    UMM_ASSERT(sys->readbufs.busy == 0);
    free(sys->readbufs.mem);
    sys->readbufs = (mm_readbufs_t){0};
}

uint8_t *mm_readbuf_take(umm_system_t *sys, size_t n)
{
    MM_ASSERT_HELD(&sys->lock);
    mm_readbufs_t *rb = &sys->readbufs;
    readbufs_check(rb);
    if (!rb->mem || n << sys->page_shift > rb->bytes)
        return NULL;
    for (unsigned b = 0; b < MM_READBUF_COUNT; b++)
        if (!(rb->busy & (1u << b))) {
            rb->busy |= 1u << b;
            return rb->mem + b * rb->bytes;
        }
    return NULL;
}

void mm_readbuf_give(umm_system_t *sys, uint8_t *buf)
{
    MM_ASSERT_HELD(&sys->lock);
    mm_readbufs_t *rb = &sys->readbufs;
    size_t b = (size_t)(buf - rb->mem) / rb->bytes;
    UMM_ASSERT(b < MM_READBUF_COUNT && buf == rb->mem + b * rb->bytes && (rb->busy & (1u << b)));
    rb->busy &= ~(1u << b);
}
