/* SPDX-License-Identifier: MIT */
/* victim.c - which guest frame the host takes when it needs a host frame, cheapest first.
 *
 * Victims by clock over host frames, classified through the door (mm_guest_frame) by what
 * losing them costs the guest: a frame on its Free or Zeroed list costs nothing (dropped: it
 * reads as zeros, all the guest may expect of it); a Standby frame costs a read the guest would
 * do anyway once it reused the frame (the guest discards it: its paging file has the bytes);
 * then frames the host itself saw idle (its own referenced bit, set whenever it maps the frame
 * for the guest and cleared, with the mapping, as its clock passes: the EPT accessed bit, not the
 * guest's aging signal, which would make the host take exactly what the guest pages out next);
 * then frames it saw used; Modified frames last (the guest's writer is about to read them). The
 * first two are dropped, never written (here); the rest are compressed (compress.c) or written
 * to the host swap file (hostswap.c). Guests are taken from first when over their entitlement
 * (or limit), then over their reservation, then any. */
#include "victim.h"

#include "p2m.h"

/* Candidates looked at before the best one so far is taken (a free frame is taken at once). */
#define VICTIM_WINDOW 64

/* What the frame costs its guest, after a look through the door. Guest held, host locked. A
 * frame the host saw referenced loses its bit and its mapping here (the next touch remaps it
 * through the backend, which sets the bit again). */
static enum hv_victim_class classify(umm_hv_guest_t *g, uint32_t h)
{
    umm_hv_host_t *host = g->host;
    hv_frame_t *e = &host->frames[h];
    mm_guest_frame_t info;
    mm_guest_frame(g->sys, e->gfn, &info);
    if (info.busy || info.locked) /* locked pages stay resident (VirtualLock) */
        return HV_VICTIM_NONE;
    if (info.free)
        return HV_VICTIM_FREE;
    if (info.standby && info.has_copy)
        return HV_VICTIM_STANDBY;
    if (info.modified)
        return HV_VICTIM_MODIFIED;
    if (e->flags & HVF_SAMPLED) /* the sampler is watching its mapping: leave it alone */
        return HV_VICTIM_USED;
    if (e->flags & HVF_REF) {
        e->flags &= ~(uint32_t)HVF_REF;
        if (info.mapped)
            mm_guest_frame_unmap(g->sys, e->gfn);
        return HV_VICTIM_USED;
    }
    return HV_VICTIM_IDLE;
}

/* May the host take frames from g in this phase of the victim search? Phase 0: only from guests
 * holding more than they are entitled to (or than their limit); phase 1: from any above its
 * reservation; phase 2: from anyone (the last resort). */
static bool takes_from(const umm_hv_host_t *host, const umm_hv_guest_t *g, int phase)
{
    if (host->victim_only && g != host->victim_only)
        return false;
    uint64_t held = g->private_frames;
    uint64_t fair = g->entitlement > g->reservation ? g->entitlement : g->reservation;
    if (held > g->limit)
        return true;
    return phase == 0 ? held > fair : phase == 1 ? held > g->reservation : true;
}

/* The guest of a private, unpinned host frame, or NULL. */
static umm_hv_guest_t *private_owner(umm_hv_host_t *host, uint32_t h)
{
    hv_frame_t *e = &host->frames[h];
    if (h == HV_ZERO_FRAME || e->ref != 1 || (e->flags & (HVF_SHARED | HVF_PIN | HVF_ZCACHE)) ||
        e->owner == HV_NO_GUEST)
        return NULL;
    return host->guests[e->owner];
}

/* The best candidate so far: its guest stays held (unless it is the caller's own). */
typedef struct victim {
    uint32_t h;
    umm_hv_guest_t *g;
    enum hv_victim_class cls;
} victim_t;

static void let_go(umm_hv_guest_t *g, umm_hv_guest_t *locked, const victim_t *best)
{
    if (g != locked && g != best->g)
        mm_guest_release(g->sys);
}

/* One phase: the clock hand moves over host frames until a free frame, a full window or a
 * whole revolution. */
static void sweep(umm_hv_host_t *host, umm_hv_guest_t *locked, int phase, victim_t *best)
{
    unsigned looked = 0;
    for (uint64_t step = 0; step < host->nframes && looked < VICTIM_WINDOW; step++) {
        uint32_t h = (uint32_t)(host->swap_hand++ % host->nframes);
        umm_hv_guest_t *g = private_owner(host, h);
        if (!g || !takes_from(host, g, phase))
            continue;
        /* Another guest's lock goes against the order (guest, host): only if free right now. */
        if (g != locked && g != best->g && !mm_guest_try_hold(g->sys))
            continue;
        enum hv_victim_class cls = classify(g, h);
        looked += cls != HV_VICTIM_NONE;
        if (cls < best->cls) {
            victim_t old = *best;
            *best = (victim_t){h, g, cls};
            if (old.g && old.g != g)
                let_go(old.g, locked, best);
        } else {
            let_go(g, locked, best);
        }
        if (best->cls == HV_VICTIM_FREE)
            return;
    }
}

uint32_t hv_pick_victim(umm_hv_host_t *host, umm_hv_guest_t *locked, umm_hv_guest_t **owner,
                        enum hv_victim_class *cls)
{
    MM_ASSERT_HELD(&host->lock);
    victim_t best = {UINT32_MAX, NULL, HV_VICTIM_NONE};
    for (int phase = 0; phase < 3 && !best.g; phase++)
        sweep(host, locked, phase, &best);
    *owner = best.g;
    *cls = best.cls;
    return best.h;
}

bool hv_take_cheap(umm_hv_guest_t *g, uint32_t h, enum hv_victim_class cls)
{
    MM_ASSERT_HELD(&g->host->lock);
    uint32_t gfn = g->host->frames[h].gfn;
    if (cls == HV_VICTIM_FREE) {
        g->victims_free++;
    } else if (cls == HV_VICTIM_STANDBY) {
        mm_guest_frame_unmap(g->sys, gfn); /* a stale PROT_NONE mapping may still name it */
        mm_guest_frame_discard(g->sys, gfn);
        g->victims_standby++;
    } else {
        return false;
    }
    g->dropped++;
    hv_drop_backing(g, gfn, P2M_NONE);
    return true;
}

void hv_count_victim(umm_hv_guest_t *g, enum hv_victim_class cls)
{
    if (cls == HV_VICTIM_MODIFIED)
        g->victims_modified++;
    else
        g->victims_active++;
}
