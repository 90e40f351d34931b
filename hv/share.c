/* SPDX-License-Identifier: MIT */
/* share.c - transparent page sharing: a rate-limited scanner hashes guest frames (xxh3), and on
 * a hash match write-protects, compares in full and maps both guest frames to one read-only
 * host frame, freeing the other; a write breaks the sharing by copy on write (guest.c). Zero
 * pages collapse into the host's zero frame. The table is a cache of buckets: a shared frame
 * stays in it while shared, a candidate (a private frame seen once) until displaced. Sharing
 * domains implement salting: a guest with its own domain shares only with itself. */
#include "share.h"

#include "hostframe.h"
#include "p2m.h"
#include "sharetab.h"

#include <string.h>
#include <xxhash.h>

#define SCAN_BATCH 64

static uint64_t key_of(uint64_t hash, uint32_t domain)
{
    uint64_t k = hash ^ ((uint64_t)domain * 0x9E3779B97F4A7C15ull);
    return k ? k : 1;
}

/* Does the guest itself use the frame right now (its I/O, its balloon), or must the frame stay
 * private and writable (locked, pinned for a program's I/O)? Guest held. */
static bool guest_frame_busy(umm_hv_guest_t *g, uint32_t gfn)
{
    mm_guest_frame_t info;
    mm_guest_frame(g->sys, gfn, &info);
    return info.busy || info.locked;
}

static bool is_zero(const uint64_t *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (w[i])
            return false;
    return true;
}

/* Guest frame gfn of g becomes a sharer of host frame s (already shared). Both locked. */
static void join_shared(umm_hv_guest_t *g, uint32_t gfn, uint32_t s)
{
    umm_hv_host_t *host = g->host;
    uint32_t old = (uint32_t)p2m_num(g->p2m[gfn]);
    host->frames[s].ref++;
    g->p2m[gfn] = p2m_make(P2M_SHARED, s);
    g->private_frames--;
    g->shared++;
    g->rebalance |= mm_guest_frame_shared(g->sys, gfn);
    hv_frame_put(host, old);
    host->merged++;
}

/* Turn candidate (cg, cgfn) holding the same bytes as `data` into a shared frame. Both guests
 * and the host locked; the candidate's mapping is write-protected (invalidated) first. */
static uint32_t promote(umm_hv_guest_t *cg, uint32_t cgfn, const void *data, uint64_t key)
{
    umm_hv_host_t *host = cg->host;
    p2m_t e = cg->p2m[cgfn];
    if (p2m_state(e) != P2M_PRESENT || guest_frame_busy(cg, cgfn))
        return UINT32_MAX;
    uint32_t h = (uint32_t)p2m_num(e);
    mm_guest_frame_unmap(cg->sys, cgfn);
    if (memcmp(hv_frame_ptr(host, h), data, host->page_size) != 0)
        return UINT32_MAX;
    hv_frame_t *fe = &host->frames[h];
    fe->flags |= HVF_SHARED;
    fe->owner = HV_NO_GUEST;
    fe->hash = key;
    cg->p2m[cgfn] = p2m_make(P2M_SHARED, h);
    cg->private_frames--;
    cg->shared++;
    cg->rebalance |= mm_guest_frame_shared(cg->sys, cgfn);
    host->shared_frames++;
    return h;
}

/* The host frame behind guest frame gfn if the scanner may look at it now, else UINT32_MAX.
 * Guest and host locked. */
static uint32_t scannable(umm_hv_guest_t *g, uint32_t gfn)
{
    p2m_t e = g->p2m[gfn];
    if (p2m_state(e) != P2M_PRESENT)
        return UINT32_MAX;
    uint32_t h = (uint32_t)p2m_num(e);
    if ((g->host->frames[h].flags & HVF_PIN) || guest_frame_busy(g, gfn))
        return UINT32_MAX;
    return h;
}

/* A zero page collapses into the zero frame: the racy check is a hint, confirmed once the
 * guest can no longer write it. Guest and host locked. */
static bool collapse_zero(umm_hv_guest_t *g, uint32_t gfn, uint32_t h)
{
    umm_hv_host_t *host = g->host;
    const uint64_t *data = hv_frame_ptr(host, h);
    mm_guest_frame_unmap(g->sys, gfn);
    if (!is_zero(data, host->page_size / 8))
        return false;
    g->p2m[gfn] = p2m_make(P2M_ZERO, 0);
    g->private_frames--;
    g->shared++;
    g->shared_zero++;
    g->rebalance |= mm_guest_frame_shared(g->sys, gfn);
    hv_frame_put(host, h);
    host->merged++;
    return true;
}

/* First half of a scan: hash guest frame gfn (a racy read: only a hint) into *key, or collapse
 * a zero page (*merged). False when there is nothing more to do with it. The caller prefetches
 * the key's bucket before the second half (match), so the table probe, a cache miss per page,
 * overlaps the next pages' hashing. Guest and host locked. */
static bool hash_one(umm_hv_guest_t *g, uint32_t gfn, uint64_t *key, uint64_t *merged)
{
    umm_hv_host_t *host = g->host;
    uint32_t h = scannable(g, gfn);
    if (h == UINT32_MAX)
        return false;
    const uint64_t *data = hv_frame_ptr(host, h);
    host->scanned++;
    if (is_zero(data, host->page_size / 8)) {
        *merged += collapse_zero(g, gfn, h);
        return false;
    }
    *key = key_of(XXH3_64bits(data, host->page_size), g->domain);
    return true;
}

/* Second half: look key up for guest frame gfn and merge it with a shared frame or a candidate
 * of the same content, or enter it as a candidate. The frame is checked again: a promotion
 * earlier in the same batch may have shared it. Returns true if merged. Guest and host locked. */
static bool match_one(umm_hv_guest_t *g, uint32_t gfn, uint64_t key)
{
    umm_hv_host_t *host = g->host;
    p2m_t e = g->p2m[gfn]; /* busy and pinned cannot change while both are locked */
    if (p2m_state(e) != P2M_PRESENT)
        return false;
    const uint64_t *data = hv_frame_ptr(host, (uint32_t)p2m_num(e));
    hv_share_slot_t *b = hv_share_bucket(host, key), *empty = NULL, *candidate = NULL;
    for (int w = 0; w < HV_SHARE_WAYS; w++) {
        hv_share_slot_t *sl = &b[w];
        if (sl->key != key) {
            if (!empty && sl->key == 0)
                empty = sl;
            /* the candidate to displace: a different one each time (by key), so two contents
             * that share a bucket do not evict each other in the same order every pass */
            if (sl->key != 0 && sl->guest != HV_SLOT_SHARED &&
                (!candidate || (key >> (60 - w)) & 1))
                candidate = sl;
            continue;
        }
        if (sl->guest == HV_SLOT_SHARED) { /* a shared frame with this hash */
            UMM_ASSERT(sl->num < host->nframes && (host->frames[sl->num].flags & HVF_SHARED) &&
                       host->frames[sl->num].hash == key);
            mm_guest_frame_unmap(g->sys, gfn);
            if (memcmp(hv_frame_ptr(host, sl->num), data, host->page_size) != 0)
                return false;
            join_shared(g, gfn, sl->num);
            return true;
        }
        if (sl->guest == g->id && sl->num == gfn)
            return false; /* ourselves, seen before */
        umm_hv_guest_t *cg = sl->guest < host->nguest_slots ? host->guests[sl->guest] : NULL;
        bool locked = cg && (cg == g || mm_guest_try_hold(cg->sys));
        uint32_t s = UINT32_MAX;
        if (locked) {
            mm_guest_frame_unmap(g->sys, gfn);
            s = promote(cg, sl->num, data, key);
            if (cg != g)
                mm_guest_release(cg->sys);
        }
        if (s == UINT32_MAX) { /* stale candidate: we take its place */
            *sl = (hv_share_slot_t){key, g->id, gfn};
            return false;
        }
        *sl = (hv_share_slot_t){key, HV_SLOT_SHARED, s};
        join_shared(g, gfn, s);
        return true;
    }
    hv_share_slot_t *slot = empty ? empty : candidate;
    if (slot)
        *slot = (hv_share_slot_t){key, g->id, gfn};
    return false;
}

void hv_rebalance_guests(umm_hv_host_t *host)
{
    for (uint32_t i = 0; i < host->nguest_slots; i++) {
        umm_hv_guest_t *g = host->guests[i];
        if (!g)
            continue;
        mm_lock(&host->lock);
        bool again = g->rebalance;
        g->rebalance = false;
        mm_unlock(&host->lock);
        if (again)
            mm_guest_rebalance(g->sys);
    }
}

/* Next guest at or after the cursor (host locked), or NULL. */
static umm_hv_guest_t *cursor_guest(umm_hv_host_t *host)
{
    for (uint32_t n = 0; n < host->nguest_slots; n++) {
        uint32_t id = (host->scan_guest + n) % host->nguest_slots;
        if (host->guests[id]) {
            if (id != host->scan_guest)
                host->scan_gfn = 0;
            host->scan_guest = id;
            return host->guests[id];
        }
    }
    return NULL;
}

uint64_t hv_share_scan(umm_hv_host_t *host, size_t pages)
{
    uint64_t cpu0 = mm_os_thread_cpu_ns(), merged = 0, done = 0;
    while (done < pages) {
        mm_lock(&host->lock);
        umm_hv_guest_t *g = cursor_guest(host);
        mm_unlock(&host->lock);
        if (!g)
            break;
        /* Guest lock first (the order), then the host's; guests leave only between host passes. */
        mm_guest_hold(g->sys);
        mm_lock(&host->lock);
        uint32_t gfns[SCAN_BATCH];
        uint64_t keys[SCAN_BATCH];
        size_t m = 0;
        for (int k = 0; k < SCAN_BATCH && done < pages; k++, done++) {
            if (host->scan_gfn >= g->nframes) {
                host->scan_gfn = 0;
                host->scan_guest = (g->id + 1) % host->nguest_slots;
                break;
            }
            uint32_t gfn = (uint32_t)host->scan_gfn++;
            if (gfn + 1 < g->nframes && p2m_state(g->p2m[gfn + 1]) == P2M_PRESENT)
                __builtin_prefetch(hv_frame_ptr(host, (uint32_t)p2m_num(g->p2m[gfn + 1])));
            if (hash_one(g, gfn, &keys[m], &merged)) {
                /* inline: GCC drops a helper that only prefetches as a call without effect */
                const char *b = (const char *)hv_share_bucket(host, keys[m]);
                for (size_t off = 0; off < HV_SHARE_WAYS * sizeof *host->share; off += 64)
                    __builtin_prefetch(b + off);
                gfns[m++] = gfn;
            }
        }
        for (size_t i = 0; i < m; i++)
            merged += match_one(g, gfns[i], keys[i]);
        mm_unlock(&host->lock);
        mm_guest_release(g->sys);
    }
    mm_lock(&host->lock);
    host->scan_cpu_ns += mm_os_thread_cpu_ns() - cpu0;
    uint64_t now = mm_os_now_ns();
    host->scan_rate_n += done;
    if (host->scan_rate_t == 0)
        host->scan_rate_t = now;
    else if (now - host->scan_rate_t >= 1000000000ull) {
        host->scan_rate = (double)host->scan_rate_n * 1e9 / (double)(now - host->scan_rate_t);
        host->scan_rate_t = now;
        host->scan_rate_n = 0;
    }
    mm_unlock(&host->lock);
    return merged;
}

int umm_hv_share_scan(umm_hv_host_t *host, size_t pages, uint64_t *merged)
{
    HANDLE_CHECK(host, HANDLE_HV_HOST);
    mm_mutex_lock(&host->pass_lock);
    uint64_t m = host->cfg.flags & UMM_HV_NO_SHARING ? 0 : hv_share_scan(host, pages);
    hv_rebalance_guests(host);
    mm_mutex_unlock(&host->pass_lock);
    if (merged)
        *merged = m;
    return UMM_OK;
}
