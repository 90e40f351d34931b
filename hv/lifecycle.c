/* SPDX-License-Identifier: MIT */
/* lifecycle.c - a host's lifecycle: create (its frame pool, swap, sharing table, compression
 * cache and thread) and destroy (its thread, its guests, then the rest). The top of hv/. */
#include "compress.h"
#include "host.h"
#include "loop.h"
#include "sharetab.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static unsigned shift_of(size_t v)
{
    unsigned s = 0;
    while (((size_t)1 << s) < v)
        s++;
    return s;
}

static int pool_create(umm_hv_host_t *h)
{
    size_t bytes = h->cfg.ram_bytes;
    /* populated: a nested zero fill otherwise paid a kernel minor fault per host frame */
    int rc = mm_os_pool_create(&h->pool, bytes, "umm-host-ram");
    if (rc != UMM_OK)
        return rc;
    h->nframes = bytes >> h->page_shift;
    h->frames = calloc(h->nframes, sizeof *h->frames);
    h->free_stack = malloc(h->nframes * sizeof *h->free_stack);
    if (!h->frames || !h->free_stack)
        return UMM_E_NOMEM;
    for (uint64_t f = 0; f < h->nframes; f++)
        h->frames[f].owner = HV_NO_GUEST;
    /* Frame 0 is the zero frame, never handed out; the rest go on the free stack, lowest on top
     * so consecutive allocations are consecutive frames (their mappings merge). */
    h->frames[HV_ZERO_FRAME].ref = 1;
    for (uint64_t f = h->nframes; f-- > 1;) {
        h->frames[f].flags = HVF_ZEROED;
        h->free_stack[h->nfree++] = (uint32_t)f;
    }
    return UMM_OK;
}

static void host_free_all(umm_hv_host_t *h)
{
    mm_os_pool_destroy(&h->pool);
    mm_store_close(&h->swap_store);
    mm_pagefile_close(&h->swap);
    free(h->frames);
    free(h->free_stack);
    free(h->guests);
    free(h->share);
    free(h->zlen);
    free(h->zfree);
    free(h->lz4_state);
    free(h->zbuf);
    mm_mutex_destroy(&h->pass_lock);
    mm_handle_free(h);
}

/* Host paging: to cfg->swap_store when given, else to a swap file of swap_bytes (if any). */
static int open_swap(umm_hv_host_t *h, const umm_hv_host_config_t *cfg)
{
    if (cfg->swap_store)
        return mm_store_open(&h->swap_store, cfg->swap_store, h->page_size, 0);
    if (!cfg->swap_bytes)
        return UMM_OK;
    int rc = mm_pagefile_open(&h->swap, cfg->swap_path, cfg->swap_bytes, cfg->swap_bytes,
                              h->page_size, false);
    h->swap.fail_write = UMM_FP_HV_SWAP_WRITE;
    h->swap.fail_read = UMM_FP_HV_SWAP_READ;
    if (rc == UMM_OK)
        mm_store_wrap_pagefile(&h->swap_store, &h->swap, "hostswap");
    return rc;
}

int umm_hv_host_create(const umm_hv_host_config_t *cfg, umm_hv_host_t **out)
{
    if (!cfg || !out)
        return UMM_E_INVAL;
    size_t os_page = (size_t)sysconf(_SC_PAGESIZE);
    if (cfg->page_size != os_page || cfg->ram_bytes < 64 * cfg->page_size ||
        cfg->ram_bytes % cfg->page_size || cfg->swap_bytes % cfg->page_size ||
        (cfg->swap_store && mm_store_config_check(cfg->swap_store, cfg->page_size) != UMM_OK) ||
        (cfg->ram_bytes >> 12) >= UINT32_MAX || cfg->idle_tax_pct > 99 ||
        (cfg->flags & ~(unsigned)(UMM_HV_NO_WORKERS | UMM_HV_NO_SHARING | UMM_HV_SALT_GUESTS |
                                  UMM_HV_NO_COMPRESSION)))
        return UMM_E_INVAL;
    umm_hv_host_t *h = mm_handle_alloc(HANDLE_HV_HOST, sizeof *h);
    if (!h)
        return UMM_E_NOMEM;
    h->cfg = *cfg;
    h->cfg.swap_path = NULL;
    h->cfg.swap_store = NULL;
    h->page_size = cfg->page_size;
    h->page_shift = shift_of(cfg->page_size);
    h->pool.fd = -1;
    h->swap.fd = -1;
    mm_mutex_init(&h->pass_lock, MM_RANK_HV_PASS);
    mm_lock_init(&h->lock, MM_RANK_HOST);
    int rc = pool_create(h);
    if (rc == UMM_OK)
        rc = open_swap(h, cfg);
    if (rc == UMM_OK)
        rc = hv_share_init(h);
    if (rc == UMM_OK)
        rc = hv_compress_init(h);
    if (rc == UMM_OK && !(cfg->flags & UMM_HV_NO_WORKERS))
        rc = hv_workers_start(h);
    if (rc != UMM_OK) {
        host_free_all(h);
        return rc;
    }
    mm_handle_publish(h);
    *out = h;
    return UMM_OK;
}

void umm_hv_host_destroy(umm_hv_host_t *host)
{
    if (!mm_handle_is_live(host, HANDLE_HV_HOST))
        return;
    mm_handle_retire(host);
    hv_workers_stop(host);
    for (uint32_t i = 0; i < host->nguest_slots; i++)
        if (host->guests[i])
            umm_hv_guest_destroy(host->guests[i]);
    host_free_all(host);
}
