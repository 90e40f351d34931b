/* SPDX-License-Identifier: MIT */
/* guest.c - a guest: a umm system whose frames are guest-physical pages, and the backend that
 * resolves them to host frames (the nested fault) and makes the real mapping (the shadow). */
#include "backing.h"
#include "balloon.h"
#include "host.h"
#include "hostframe.h"
#include "hostswap.h"
#include "p2m.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MAP_CHUNK 64

/* Host frame and kernel protection for guest frame gfn, doing the nested work if needed.
 * Host locked. Sets *reduced when the frame is mapped read-only although prot allows writing. */
static uint32_t resolve(umm_hv_guest_t *g, uint32_t gfn, int prot, bool write, int *eff,
                        bool *reduced)
{
    p2m_t e = g->p2m[gfn];
    unsigned st = p2m_state(e);
    *eff = prot;
    if (st == P2M_PRESENT) {
        g->nested_remap++;
        g->host->frames[p2m_num(e)].flags |= HVF_REF; /* the host's own accessed bit */
        return (uint32_t)p2m_num(e);
    }
    bool shareable = st == P2M_SHARED || st == P2M_ZERO || st == P2M_NONE || st == P2M_BALLOONED;
    if (shareable && !write && prot != PROT_NONE) {
        /* Reads share: the host's copy (or its zero frame) read-only, never mprotected open. */
        *eff = PROT_READ;
        *reduced = true;
        return st == P2M_SHARED ? (uint32_t)p2m_num(e) : HV_ZERO_FRAME;
    }
    if (shareable && prot == PROT_NONE) {
        *reduced = true;
        return st == P2M_SHARED ? (uint32_t)p2m_num(e) : HV_ZERO_FRAME;
    }
    uint32_t h = hv_make_private(g, gfn);
    if (h != UINT32_MAX) {
        g->host->frames[h].flags |= HVF_REF;
        g->swapin_access += st == P2M_SWAPPED;
    }
    return h;
}

/* One kernel call per run of consecutive host frames (or of zero pages) with equal protection.
 * The frames stay this guest's while we map: the host changes a guest frame only while it holds
 * the guest, and the guest's fault path (the caller) holds it now; they are pinned against
 * eviction too. */
static int map_frames(umm_hv_host_t *host, uintptr_t va, const uint32_t *hf, const int *hp,
                      size_t m)
{
    for (size_t k = 0; k < m;) {
        bool zero = hf[k] == HV_ZERO_FRAME;
        size_t j = k + 1;
        while (j < m && hp[j] == hp[k] && (zero ? hf[j] == HV_ZERO_FRAME : hf[j] == hf[k] + (j - k)))
            j++;
        uintptr_t at = va + (k << host->page_shift);
        size_t len = (j - k) << host->page_shift;
        /* Zero pages read from anonymous memory: it costs the host nothing and merges into one
         * kernel mapping; the first write faults and gets a private frame. */
        int err = zero ? mm_os_map_anon(at, len, hp[k])
                       : mm_os_pool_map(&host->pool, at, (size_t)hf[k] << host->page_shift, len, hp[k]);
        if (err)
            return err;
        k = j;
    }
    return UMM_OK;
}

static int guest_map(umm_system_t *sys, uintptr_t va, uint32_t f, size_t n, int prot, bool write,
                     bool *exact)
{
    umm_hv_guest_t *g = mm_guest_backend_ctx(sys);
    umm_hv_host_t *host = g->host;
    for (size_t done = 0; done < n;) {
        size_t m = n - done < MAP_CHUNK ? n - done : MAP_CHUNK;
        uint32_t hf[MAP_CHUNK];
        int hp[MAP_CHUNK];
        bool reduced = false;
        mm_lock(&host->lock);
        size_t got = 0;
        for (; got < m; got++) {
            hf[got] = resolve(g, f + (uint32_t)(done + got), prot, write, &hp[got], &reduced);
            if (hf[got] == UINT32_MAX)
                break;
            host->frames[hf[got]].flags |= HVF_PIN; /* resolving the next must not evict it */
        }
        mm_unlock(&host->lock);
        int err = got < m ? UMM_E_NO_FRAMES /* no host frame could be had */
                          : map_frames(host, va + (done << host->page_shift), hf, hp, m);
        mm_lock(&host->lock);
        for (size_t k = 0; k < got; k++)
            if (hf[k] != HV_ZERO_FRAME)
                host->frames[hf[k]].flags &= ~(uint32_t)HVF_PIN;
        mm_unlock(&host->lock);
        if (err)
            return err;
        if (reduced)
            *exact = false;
        done += m;
    }
    return 0;
}

/* A private frame for guest frame gfn whose every byte the guest is about to write: whatever
 * backs it now is dropped unread (a host-swapped page is not read back: VSwapper's false
 * reads), and the new frame is not zeroed. Host locked. */
static uint32_t overwrite_frame(umm_hv_guest_t *g, uint32_t gfn)
{
    unsigned st = p2m_state(g->p2m[gfn]);
    if (st == P2M_PRESENT)
        return (uint32_t)p2m_num(g->p2m[gfn]);
    uint32_t h = hv_frame_alloc(g->host, g, false);
    if (h == UINT32_MAX)
        return h;
    g->reads_skipped += st == P2M_SWAPPED;
    hv_drop_backing(g, gfn, P2M_NONE); /* after the allocation, which may drop the host lock */
    hv_set_private(g, gfn, h);
    return h;
}

static void *guest_frame_ptr(umm_system_t *sys, uint32_t f, mm_frame_use_t use)
{
    umm_hv_guest_t *g = mm_guest_backend_ctx(sys);
    umm_hv_host_t *host = g->host;
    mm_lock(&host->lock);
    p2m_t e = g->p2m[f];
    uint32_t h;
    if (use == MM_FRAME_OVERWRITE) {
        h = overwrite_frame(g, f);
    } else if (use == MM_FRAME_WRITE || p2m_state(e) == P2M_SWAPPED ||
               p2m_state(e) == P2M_COMPRESSED) {
        if (use == MM_FRAME_READ && p2m_state(e) == P2M_SWAPPED)
            g->double_paging++; /* the guest reads, to page it out, what the host paged out */
        h = hv_make_private(g, f);
    } else {
        h = p2m_state(e) == P2M_PRESENT || p2m_state(e) == P2M_SHARED ? (uint32_t)p2m_num(e)
                                                                      : HV_ZERO_FRAME;
    }
    mm_unlock(&host->lock);
    /* UINT32_MAX: no host frame, or its swap-in failed; the page stays where it was */
    return h == UINT32_MAX ? NULL : hv_frame_ptr(host, h);
}

static bool guest_resident(umm_system_t *sys, uint32_t f)
{
    umm_hv_guest_t *g = mm_guest_backend_ctx(sys);
    mm_lock(&g->host->lock);
    unsigned st = p2m_state(g->p2m[f]);
    mm_unlock(&g->host->lock);
    return st != P2M_SWAPPED && st != P2M_COMPRESSED;
}

static size_t guest_deflate(umm_system_t *sys, size_t n)
{
    return hv_balloon_deflate_locked(mm_guest_backend_ctx(sys), n);
}

static bool guest_on_disk(umm_system_t *sys, uint32_t f)
{
    umm_hv_guest_t *g = mm_guest_backend_ctx(sys);
    mm_lock(&g->host->lock);
    bool swapped = p2m_state(g->p2m[f]) == P2M_SWAPPED;
    mm_unlock(&g->host->lock);
    return swapped;
}

static int guest_write_swapped(umm_system_t *sys, uint32_t f, mm_store_t *st, uint64_t slot)
{
    return hv_swap_copy_out(mm_guest_backend_ctx(sys), f, st, slot);
}

static bool guest_shared(umm_system_t *sys, uint32_t f)
{
    umm_hv_guest_t *g = mm_guest_backend_ctx(sys);
    mm_lock(&g->host->lock);
    unsigned st = p2m_state(g->p2m[f]);
    mm_unlock(&g->host->lock);
    return st == P2M_SHARED || st == P2M_ZERO;
}

static const mm_phys_ops_t hv_guest_phys_ops = {
    .map = guest_map,
    .frame_ptr = guest_frame_ptr,
    .resident = guest_resident,
    .deflate = guest_deflate,
    .on_disk = guest_on_disk,
    .write_swapped = guest_write_swapped,
    .shared = guest_shared,
};

/* ---- lifecycle ---- */

static int admit(umm_hv_host_t *host, const umm_hv_guest_config_t *cfg)
{
    uint64_t frames = cfg->sys.ram_bytes / host->page_size, reserved;
    uint64_t promised = hv_promised_frames(host, &reserved) + frames;
    uint64_t reservation = cfg->reservation_bytes / host->page_size;
    uint64_t backable = host->nframes - 1 + hv_swap_slots(host);
    if (frames > backable || promised > backable)
        return UMM_E_COMMIT_LIMIT; /* more than RAM + swap could ever hold */
    if (reserved + reservation > hv_reservable_frames(host))
        return UMM_E_COMMIT_LIMIT; /* reservations must leave the host room to work */
    return UMM_OK;
}

static int attach(umm_hv_host_t *host, umm_hv_guest_t *g)
{
    uint32_t id = 0;
    while (id < host->nguest_slots && host->guests[id])
        id++;
    if (id == host->nguest_slots) {
        uint32_t n = host->nguest_slots ? host->nguest_slots * 2 : 8;
        umm_hv_guest_t **t = realloc(host->guests, n * sizeof *t);
        if (!t)
            return UMM_E_NOMEM;
        memset(t + host->nguest_slots, 0, (n - host->nguest_slots) * sizeof *t);
        host->guests = t;
        host->nguest_slots = n;
    }
    g->id = id;
    g->domain = (host->cfg.flags & UMM_HV_SALT_GUESTS) || (g->flags & UMM_HV_GUEST_SALT) ? id + 1 : 0;
    host->guests[id] = g;
    host->nguests++;
    return UMM_OK;
}

int umm_hv_guest_create(umm_hv_host_t *host, const umm_hv_guest_config_t *cfg,
                        umm_hv_guest_t **out)
{
    HANDLE_CHECK(host, HANDLE_HV_HOST);
    if (!cfg || !out || cfg->sys.page_size != host->page_size ||
        (cfg->flags & ~(unsigned)(UMM_HV_GUEST_NO_BALLOON | UMM_HV_GUEST_SALT)) ||
        (cfg->limit_bytes && cfg->limit_bytes < cfg->reservation_bytes))
        return UMM_E_INVAL;
    umm_hv_guest_t *g = mm_handle_alloc(HANDLE_HV_GUEST, sizeof *g);
    if (!g)
        return UMM_E_NOMEM;
    g->host = host;
    g->flags = cfg->flags;
    g->nframes = cfg->sys.ram_bytes / host->page_size;
    g->shares = cfg->shares ? cfg->shares : 1000;
    g->reservation = cfg->reservation_bytes / host->page_size;
    g->limit = cfg->limit_bytes ? cfg->limit_bytes / host->page_size : g->nframes;
    g->p2m = calloc(g->nframes ? g->nframes : 1, sizeof *g->p2m);
    g->balloon.frames = malloc((g->nframes ? g->nframes : 1) * sizeof *g->balloon.frames);
    int rc = g->p2m && g->balloon.frames ? UMM_OK : UMM_E_NOMEM;
    mm_mutex_lock(&host->pass_lock);
    mm_lock(&host->lock);
    if (rc == UMM_OK)
        rc = admit(host, cfg);
    if (rc == UMM_OK)
        rc = attach(host, g);
    mm_unlock(&host->lock);
    snprintf(g->name, sizeof g->name, "%s", cfg->name ? cfg->name : "guest");
    if (rc == UMM_OK && (rc = mm_guest_create(&cfg->sys, &hv_guest_phys_ops, g, &g->sys)) != UMM_OK) {
        mm_lock(&host->lock);
        host->guests[g->id] = NULL;
        host->nguests--;
        mm_unlock(&host->lock);
    }
    mm_mutex_unlock(&host->pass_lock);
    if (rc != UMM_OK) {
        free(g->p2m);
        free(g->balloon.frames);
        mm_handle_free(g);
        return rc;
    }
    mm_handle_publish(g);
    *out = g;
    return UMM_OK;
}

void umm_hv_guest_destroy(umm_hv_guest_t *g)
{
    if (!mm_handle_is_live(g, HANDLE_HV_GUEST))
        return;
    mm_handle_retire(g);
    umm_hv_host_t *host = g->host;
    mm_mutex_lock(&host->pass_lock);
    umm_system_destroy(g->sys); /* its workers stop first; nothing maps its frames after this */
    mm_lock(&host->lock);
    for (uint64_t f = 0; f < g->nframes; f++)
        hv_drop_backing(g, (uint32_t)f, P2M_NONE);
    host->guests[g->id] = NULL;
    host->nguests--;
    mm_unlock(&host->lock);
    mm_mutex_unlock(&host->pass_lock);
    free(g->p2m);
    free(g->balloon.frames);
    mm_handle_free(g);
}

umm_system_t *umm_hv_guest_system(umm_hv_guest_t *guest)
{
    return mm_handle_is_live(guest, HANDLE_HV_GUEST) ? guest->sys : NULL;
}

const char *umm_hv_guest_name(umm_hv_guest_t *guest)
{
    return mm_handle_is_live(guest, HANDLE_HV_GUEST) ? guest->name : NULL;
}

int umm_hv_guest_set_policy(umm_hv_guest_t *g, unsigned shares, size_t reservation_bytes,
                            size_t limit_bytes)
{
    HANDLE_CHECK(g, HANDLE_HV_GUEST);
    if (limit_bytes && limit_bytes < reservation_bytes)
        return UMM_E_INVAL;
    umm_hv_host_t *host = g->host;
    mm_lock(&host->lock);
    uint64_t reserved;
    hv_promised_frames(host, &reserved);
    uint64_t others = reserved - g->reservation;
    uint64_t res = reservation_bytes / host->page_size;
    int rc = UMM_OK;
    if (others + res > hv_reservable_frames(host) || res > g->nframes) {
        rc = UMM_E_COMMIT_LIMIT;
    } else {
        g->shares = shares ? shares : 1000;
        g->reservation = res;
        g->limit = limit_bytes ? limit_bytes / host->page_size : g->nframes;
    }
    mm_unlock(&host->lock);
    return rc;
}

int umm_hv_guest_stats(umm_hv_guest_t *g, umm_hv_guest_stats_t *out)
{
    HANDLE_CHECK(g, HANDLE_HV_GUEST);
    if (!out)
        return UMM_E_INVAL;
    umm_hv_host_t *host = g->host;
    mm_lock(&host->lock);
    double shared_cost = 0; /* each shared frame's cost split among its sharers */
    for (uint64_t f = 0; f < g->nframes; f++)
        if (p2m_state(g->p2m[f]) == P2M_SHARED)
            shared_cost += 1.0 / host->frames[p2m_num(g->p2m[f])].ref;
    *out = (umm_hv_guest_stats_t){
        .guest_frames = g->nframes,
        .granted = g->private_frames + g->shared,
        .consumed = g->private_frames + (uint64_t)(shared_cost + 0.5),
        .private_frames = g->private_frames,
        .shared = g->shared,
        .shared_zero = g->shared_zero,
        .saved = g->shared - (uint64_t)(shared_cost + 0.5),
        .balloon_target = g->balloon.target,
        .balloon_actual = g->balloon.actual,
        .balloon_inflated = g->balloon.inflated,
        .balloon_deflated = g->balloon.deflated,
        .balloon_deflate_on_pressure = g->balloon.on_pressure,
        .host_swapped = g->swapped,
        .compressed = g->compressed,
        .swapped_out = g->swapped_out,
        .swapped_in = g->swapped_in,
        .double_paging = g->double_paging,
        .swapin_access = g->swapin_access,
        .swapin_writer = g->double_paging,
        .reads_skipped = g->reads_skipped,
        .handed_over = g->handed_over,
        .victims_free = g->victims_free,
        .victims_standby = g->victims_standby,
        .victims_active = g->victims_active,
        .victims_modified = g->victims_modified,
        .dropped = g->dropped,
        .balloon_reversals = g->balloon.reversals,
        .nested_zero_fill = g->nested_zero_fill,
        .nested_swap_in = g->nested_swap_in,
        .nested_cow_break = g->nested_cow_break,
        .nested_remap = g->nested_remap,
        .active_pct = g->active_pct,
        .entitlement = g->entitlement,
        .shares = g->shares,
        .reservation = g->reservation,
        .limit = g->limit,
    };
    mm_unlock(&host->lock);
    return UMM_OK;
}
