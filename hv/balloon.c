/* balloon.c - the balloon (virtio-balloon semantics): the guest's balloon driver takes frames
 * from its own lists (so the guest's own memory manager decides what to trim and page to make
 * room), hands them to the host, which frees their host frames; deflating gives them back.
 * Balloon frames are Active, unowned and flagged PFN_F_BALLOON in the guest's PFN database,
 * and charged to the guest's commit, as a driver's allocation is. */
#include "handle.h"
#include "host.h"

#include "failpoint.h"
#include "frames.h"
#include "reclaim.h"

#define BALLOON_BATCH 256

/* Take up to n frames into the balloon. Guest locked. Returns how many; fewer when the guest
 * must first trim or page (it is asked to, by the caller). */
static size_t inflate_locked(umm_hv_guest_t *g, size_t n)
{
    umm_system_t *sys = g->sys;
    uint64_t avail = mm_frames_available(sys), keep = sys->low_pages;
    uint64_t room = sys->commit_limit > sys->committed ? sys->commit_limit - sys->committed : 0;
    size_t take = avail > keep ? (size_t)(avail - keep) : 0;
    take = take < n ? take : n;
    take = take < room ? take : (size_t)room;
    mm_pfn_id_t frames[BALLOON_BATCH];
    if (UMM_FAILPOINT(HV_BALLOON_INFLATE))
        return 0;
    if (take == 0 || mm_frames_alloc(sys, take, PFN_NIL, frames, NULL, false) != UMM_OK)
        return 0;
    sys->committed += take;
    if (sys->committed > sys->commit_peak)
        sys->commit_peak = sys->committed;
    mm_lock(&g->host->lock);
    for (size_t k = 0; k < take; k++) {
        mm_pfn_entry(&sys->pfn, frames[k])->flags |= PFN_F_BALLOON;
        g->balloon.frames[g->balloon.actual++] = frames[k];
        hv_drop_backing(g, frames[k], P2M_BALLOONED);
    }
    g->balloon.inflated += take;
    mm_unlock(&g->host->lock);
    return take;
}

static size_t deflate_locked(umm_hv_guest_t *g, size_t n)
{
    umm_system_t *sys = g->sys;
    if (UMM_FAILPOINT(HV_BALLOON_DEFLATE))
        return 0;
    n = n < g->balloon.actual ? n : g->balloon.actual;
    mm_lock(&g->host->lock);
    for (size_t k = 0; k < n; k++) {
        mm_pfn_id_t f = g->balloon.frames[--g->balloon.actual];
        g->p2m[f] = p2m_make(P2M_NONE, 0); /* untouched again: reads zero, costs nothing */
        mm_pfn_entry(&sys->pfn, f)->flags &= (uint16_t)~PFN_F_BALLOON;
        mm_frame_release(sys, f, true);
    }
    g->balloon.deflated += n;
    mm_unlock(&g->host->lock);
    sys->committed -= n;
    return n;
}

size_t hv_balloon_deflate_locked(umm_hv_guest_t *g, size_t n)
{
    size_t got = deflate_locked(g, n);
    if (got) {
        g->balloon.on_pressure += got;
        if (g->balloon.target > g->balloon.actual) /* until the policy looks again */
            g->balloon.target = g->balloon.actual;
    }
    return got;
}

/* Up to BALLOON_STEP_BATCHES batches toward the target, the guest lock dropped between
 * batches so its threads keep faulting meanwhile. */
#define BALLOON_STEP_BATCHES 64

void hv_balloon_step(umm_hv_guest_t *g)
{
    if (g->flags & UMM_HV_GUEST_NO_BALLOON)
        return;
    umm_system_t *sys = g->sys;
    bool short_of_frames = false;
    for (int batch = 0; batch < BALLOON_STEP_BATCHES && !short_of_frames; batch++) {
        mm_lock(&sys->lock);
        size_t target = g->balloon.target, actual = g->balloon.actual;
        if (actual < target) {
            size_t want = target - actual < BALLOON_BATCH ? target - actual : BALLOON_BATCH;
            short_of_frames = inflate_locked(g, want) < want;
        } else if (actual > target) {
            deflate_locked(g, actual - target < BALLOON_BATCH ? actual - target : BALLOON_BATCH);
        }
        bool done = g->balloon.actual == g->balloon.target;
        mm_unlock(&sys->lock);
        if (done)
            break;
    }
    /* The guest makes room its own way: its balance-set manager trims and pages. */
    if (short_of_frames)
        umm_balance(sys);
}

int umm_hv_balloon_set_target(umm_hv_guest_t *g, size_t pages)
{
    HANDLE_CHECK(g, HANDLE_HV_GUEST);
    if (g->flags & UMM_HV_GUEST_NO_BALLOON)
        return UMM_E_NOT_SUPPORTED;
    if (pages > g->nframes)
        return UMM_E_RANGE;
    mm_lock(&g->sys->lock);
    g->balloon.target = pages;
    g->balloon.manual = true;
    mm_unlock(&g->sys->lock);
    return UMM_OK;
}

int umm_hv_balloon_auto(umm_hv_guest_t *g)
{
    HANDLE_CHECK(g, HANDLE_HV_GUEST);
    mm_lock(&g->sys->lock);
    g->balloon.manual = false;
    mm_unlock(&g->sys->lock);
    return UMM_OK;
}
