/* SPDX-License-Identifier: MIT */
/* compress.c - memory compression (ESXi's compression cache): before swapping a page to disk
 * the host tries lz4 on it; one that compresses to half a page or less is kept in half of a
 * cache frame, so two compressed pages free one frame and come back with a decompression
 * (microseconds) instead of a disk read. A cache frame counts its occupied halves in `ref` and
 * returns to the free pool when both are gone. The cache holds at most 10 % of host frames. */
#include "compress.h"

#include "hostframe.h"
#include "p2m.h"
#include "victim.h"
#include "zcache.h"

#include <lz4.h>
#include <stdlib.h>
#include <string.h>

int hv_compress_init(umm_hv_host_t *host)
{
    host->zlen = calloc(2 * host->nframes, sizeof *host->zlen);
    host->zfree = malloc(2 * host->nframes * sizeof *host->zfree);
    host->lz4_state = malloc((size_t)LZ4_sizeofState());
    host->zbuf = malloc(host->page_size / 2);
    return host->zlen && host->zfree && host->lz4_state && host->zbuf ? UMM_OK : UMM_E_NOMEM;
}

/* The cache's frames are never swapped out, so it is capped, as ESXi caps its compression
 * cache (Mem.MemZipMaxPct, 10 %): the rest of host memory always has victims for swapping. */
#define ZCACHE_MAX_PCT 10

bool hv_compress_out_one(umm_hv_host_t *host, umm_hv_guest_t *locked)
{
    MM_ASSERT_HELD(&host->lock);
    if (host->cfg.flags & UMM_HV_NO_COMPRESSION)
        return false;
    if (host->nzfree == 0 && host->zframes * 100 >= host->nframes * ZCACHE_MAX_PCT)
        return false; /* full: no new cache frame */
    int half = (int)host->page_size / 2;
    for (int tries = 0; tries < 8; tries++) {
        umm_hv_guest_t *g;
        enum hv_victim_class cls;
        uint32_t h = hv_pick_victim(host, locked, &g, &cls);
        if (h == UINT32_MAX)
            return false;
        if (hv_take_cheap(g, h, cls)) { /* costs the guest nothing: dropped, not compressed */
            if (g != locked)
                mm_guest_release(g->sys);
            return true;
        }
        uint32_t gfn = host->frames[h].gfn;
        char *buf = (char *)host->zbuf;
        mm_guest_frame_unmap(g->sys, gfn); /* no guest mapping may write it from now on */
        /* the state is preallocated: LZ4_compress_default would put 16 KiB on the stack, and
         * this can run inside a guest's fault handler on a small signal stack */
        int len = LZ4_compress_fast_extState(host->lz4_state, hv_frame_ptr(host, h), buf,
                                             (int)host->page_size, half, 1);
        bool freed = false;
        if (len > 0) {
            if (g->p2m[gfn] == p2m_make(P2M_PRESENT, h)) {
                hv_count_victim(g, cls);
                g->private_frames--;
                g->compressed++;
                host->compressed_out++;
                uint64_t slot = hv_zslot_store(host, h, (const uint8_t *)buf, len, &freed);
                g->p2m[gfn] = p2m_make(P2M_COMPRESSED, slot);
                if (freed)
                    hv_frame_put(host, h);
            }
        }
        if (g != locked)
            mm_guest_release(g->sys);
        if (freed)
            return true;
        if (len <= 0)
            return false; /* incompressible data: leave the rest to swapping */
    }
    return false;
}

uint32_t hv_decompress(umm_hv_guest_t *g, uint32_t gfn, uint32_t f)
{
    MM_ASSERT_HELD(&g->host->lock);
    umm_hv_host_t *host = g->host;
    uint64_t slot = p2m_num(g->p2m[gfn]);
    int n = LZ4_decompress_safe((const char *)hv_zslot_ptr(host, slot), hv_frame_ptr(host, f),
                                host->zlen[slot], (int)host->page_size);
    UMM_ASSERT(n == (int)host->page_size);
    (void)n;
    hv_zslot_free(host, slot);
    g->compressed--;
    host->decompressed++;
    hv_set_private(g, gfn, f);
    return f;
}
