/* SPDX-License-Identifier: MIT */
/* balloon.c - the balloon (virtio-balloon semantics): the guest's balloon driver takes frames
 * from its own free memory through the door (so the guest's own memory manager decides what to
 * trim and page to make room; the frames are charged to its commit, as a driver's allocation
 * is), hands them to the host, which frees their host frames; deflating gives them back. */
#include "balloon.h"

#include "p2m.h"

#define BALLOON_BATCH 256

/* Take up to n frames into the balloon. Guest held. Returns how many; fewer when the guest
 * must first trim or page (it is asked to, by the caller). Only frames whose host frame is the
 * guest's own: a shared one would free no host memory and undo the sharing. Only when the guest
 * had no private frame free and none left to trim (g->balloon.starved) may it take shared ones,
 * so a guest whose memory is all shared still inflates. */
static size_t inflate_locked(umm_hv_guest_t *g, size_t n)
{
    uint32_t frames[BALLOON_BATCH];
    if (UMM_FAILPOINT(HV_BALLOON_INFLATE))
        return 0;
    bool private_only = !g->balloon.starved;
    size_t take = mm_guest_balloon_take(g->sys, n < BALLOON_BATCH ? n : BALLOON_BATCH, frames,
                                        private_only);
    if (take > 0)
        g->balloon.starved = false;
    mm_lock(&g->host->lock);
    for (size_t k = 0; k < take; k++) {
        g->balloon.frames[g->balloon.actual++] = frames[k];
        hv_drop_backing(g, frames[k], P2M_BALLOONED);
    }
    g->balloon.inflated += take;
    mm_unlock(&g->host->lock);
    return take;
}

/* Give up to n frames back to the guest. Guest held. `pressure`: the guest asked, short of
 * memory (counted, and the target follows until the policy looks again). Every field changes in
 * one host-locked section (hv_balloon_t). */
static size_t deflate_locked(umm_hv_guest_t *g, size_t n, bool pressure)
{
    if (UMM_FAILPOINT(HV_BALLOON_DEFLATE))
        return 0;
    n = n < g->balloon.actual ? n : g->balloon.actual;
    mm_lock(&g->host->lock);
    g->balloon.actual -= n;
    const uint32_t *frames = &g->balloon.frames[g->balloon.actual];
    for (size_t k = 0; k < n; k++) {
        UMM_ASSERT(p2m_state(g->p2m[frames[k]]) == P2M_BALLOONED);
        g->p2m[frames[k]] = p2m_make(P2M_NONE, 0); /* untouched again: reads zero, costs nothing */
    }
    g->balloon.deflated += n;
    if (pressure && n > 0) {
        g->balloon.on_pressure += n;
        if (g->balloon.target > g->balloon.actual)
            g->balloon.target = g->balloon.actual;
    }
    mm_unlock(&g->host->lock);
    mm_guest_balloon_give(g->sys, frames, n);
    return n;
}

size_t hv_balloon_deflate_locked(umm_hv_guest_t *g, size_t n)
{
    UMM_ASSERT(mm_guest_is_held(g->sys));
    return deflate_locked(g, n, true);
}

/* Up to BALLOON_STEP_BATCHES batches toward the target, the guest lock dropped between
 * batches so its threads keep faulting meanwhile. */
#define BALLOON_STEP_BATCHES 64

/* The balloon is short: the guest makes room its own way. Free frames it keeps that the host
 * shares (trimmed pages of a shared image, on Standby) count as available to its balancer, so
 * for those the balloon first asks it to trim private pages; then its balance-set manager trims
 * and pages by its own policy. */
static void make_room(umm_hv_guest_t *g)
{
    mm_guest_hold(g->sys);
    size_t want = g->balloon.target > g->balloon.actual ? g->balloon.target - g->balloon.actual : 0;
    uint64_t blocked = 0;
    if (want > 0 && !g->balloon.starved && mm_guest_trim_private(g->sys, want, &blocked) == 0 &&
        blocked > 0)
        g->balloon.starved = true;
    mm_guest_release(g->sys);
    umm_balance(g->sys);
}

void hv_balloon_step(umm_hv_guest_t *g)
{
    if (g->flags & UMM_HV_GUEST_NO_BALLOON)
        return;
    umm_system_t *sys = g->sys;
    bool short_of_frames = false;
    for (int batch = 0; batch < BALLOON_STEP_BATCHES && !short_of_frames; batch++) {
        mm_guest_hold(sys);
        size_t target = g->balloon.target, actual = g->balloon.actual;
        UMM_ASSERT(actual <= g->nframes);
        if (actual < target) {
            size_t want = target - actual < BALLOON_BATCH ? target - actual : BALLOON_BATCH;
            short_of_frames = inflate_locked(g, want) < want;
        } else if (actual > target) {
            size_t give = actual - target < BALLOON_BATCH ? actual - target : BALLOON_BATCH;
            deflate_locked(g, give, false);
        }
        bool done = g->balloon.actual == g->balloon.target;
        mm_guest_release(sys);
        if (done)
            break;
    }
    if (short_of_frames)
        make_room(g);
}

int umm_hv_balloon_set_target(umm_hv_guest_t *g, size_t pages)
{
    HANDLE_CHECK(g, HANDLE_HV_GUEST);
    if (g->flags & UMM_HV_GUEST_NO_BALLOON)
        return UMM_E_NOT_SUPPORTED;
    if (pages > g->nframes)
        return UMM_E_RANGE;
    mm_guest_hold(g->sys);
    mm_lock(&g->host->lock);
    g->balloon.target = pages;
    g->balloon.manual = true;
    mm_unlock(&g->host->lock);
    mm_guest_release(g->sys);
    return UMM_OK;
}

int umm_hv_balloon_auto(umm_hv_guest_t *g)
{
    HANDLE_CHECK(g, HANDLE_HV_GUEST);
    mm_guest_hold(g->sys);
    mm_lock(&g->host->lock);
    g->balloon.manual = false;
    mm_unlock(&g->host->lock);
    mm_guest_release(g->sys);
    return UMM_OK;
}
