/* SPDX-License-Identifier: MIT */
/* policy.c - the host's memory policy, as ESXi's: each period it estimates every guest's active
 * memory by sampling (invalidate 100 random mapped frames, count those touched again), computes
 * entitlements by proportional share with an idle-memory tax (an idle page costs k = 1/(1-tax)
 * times an active one), bounded by reservation and limit, and turns them into balloon targets.
 * In the soft state it compresses guest frames (lz4), in hard and low it also swaps them out,
 * until free memory is back to the clear threshold. A host pass runs it, then the balloons'
 * steps and (when asked) a sharing scan. */
#include "policy.h"

#include "balloon.h"
#include "compress.h"
#include "hostswap.h"
#include "share.h"

#include <stdlib.h>

#define SAMPLE 100

static uint64_t rng(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* Is guest frame gfn mapped by a valid page of the guest? Guest held. */
static bool mapped(umm_system_t *sys, uint32_t gfn, bool *busy)
{
    mm_guest_frame_t info;
    mm_guest_frame(sys, gfn, &info);
    if (busy)
        *busy = info.busy || info.locked; /* a locked page's mapping stays */
    return info.mapped;
}

/* Mark the host frame behind a sampled guest frame, so the victim clock does not take its
 * mapping away (which would read as "not touched"). */
static void set_sampled(umm_hv_guest_t *g, uint32_t gfn, bool on)
{
    if (p2m_state(g->p2m[gfn]) != P2M_PRESENT)
        return; /* reclaimed since: nothing to mark */
    hv_frame_t *e = &g->host->frames[p2m_num(g->p2m[gfn])];
    e->flags = on ? e->flags | HVF_SAMPLED : e->flags & ~(uint32_t)HVF_SAMPLED;
}

/* Guest and host locked. */
static void sample_access(umm_hv_guest_t *g)
{
    UMM_ASSERT(mm_guest_is_held(g->sys));
    MM_ASSERT_HELD(&g->host->lock);
    umm_system_t *sys = g->sys;
    if (g->nsample > 0) {
        unsigned touched = 0;
        for (unsigned k = 0; k < g->nsample; k++) {
            touched += mapped(sys, g->sample[k], NULL);
            set_sampled(g, g->sample[k], false);
        }
        uint64_t pct = 100u * touched / g->nsample;
        g->active_pct = (g->active_pct * 3 + pct) / 4; /* smoothed, as ESXi's moving averages */
    }
    g->nsample = 0;
    uint64_t seed = 0x9E3779B97F4A7C15ull ^ (g->id + 1) * 0x2545F4914F6CDD1Dull ^ g->host->policy_passes;
    for (unsigned tries = 0; tries < 8 * SAMPLE && g->nsample < SAMPLE && g->nframes; tries++) {
        uint32_t gfn = (uint32_t)(rng(&seed) % g->nframes);
        bool busy;
        if (p2m_state(g->p2m[gfn]) != P2M_PRESENT || !mapped(sys, gfn, &busy) || busy)
            continue;
        mm_guest_frame_unmap(sys, gfn); /* the next touch remaps it: that is the sample's answer */
        set_sampled(g, gfn, true);
        g->sample[g->nsample++] = gfn;
    }
}

static void sample_all(umm_hv_host_t *host)
{
    for (uint32_t i = 0; i < host->nguest_slots; i++) {
        umm_hv_guest_t *g = host->guests[i];
        if (!g)
            continue;
        mm_guest_hold(g->sys);
        mm_lock(&host->lock);
        sample_access(g);
        mm_unlock(&host->lock);
        mm_guest_release(g->sys);
    }
}

/* Shares per page, idle pages taxed: the weight a guest's claim has. */
static double weight(const umm_hv_guest_t *g, unsigned tax_pct)
{
    double active = (double)g->active_pct / 100.0;
    double k = 100.0 / (100.0 - tax_pct);
    return (double)g->shares / (active + k * (1.0 - active));
}

/* Water-filling: split m pages by weight, each guest within [reservation, min(limit, RAM)]. */
static void entitle(umm_hv_host_t *host, uint64_t m)
{
    enum { MAXG = 64 };
    umm_hv_guest_t *gs[MAXG];
    bool fixed[MAXG] = {false};
    size_t n = 0;
    for (uint32_t i = 0; i < host->nguest_slots && n < MAXG; i++)
        if (host->guests[i])
            gs[n++] = host->guests[i];
    for (size_t round = 0; round <= n; round++) {
        double wsum = 0;
        uint64_t left = m;
        for (size_t i = 0; i < n; i++) {
            if (fixed[i])
                left = left > gs[i]->entitlement ? left - gs[i]->entitlement : 0;
            else
                wsum += weight(gs[i], host->cfg.idle_tax_pct);
        }
        bool changed = false;
        for (size_t i = 0; i < n; i++) {
            if (fixed[i])
                continue;
            uint64_t hi = gs[i]->limit < gs[i]->nframes ? gs[i]->limit : gs[i]->nframes;
            double share = wsum > 0 ? (double)left * weight(gs[i], host->cfg.idle_tax_pct) / wsum : 0;
            uint64_t e = (uint64_t)share;
            if (e < gs[i]->reservation || e > hi) {
                e = e < gs[i]->reservation ? gs[i]->reservation : hi;
                fixed[i] = changed = true;
            }
            gs[i]->entitlement = e;
        }
        if (!changed)
            break;
    }
}

/* The balloon target the entitlement asks for, moved as a damped controller: it inflates toward
 * it at once, deflates toward it only while the host is in its high state and by at most 4 % of
 * host memory a period (never below it: memory beyond a guest's entitlement stays free for the
 * others), and it reverses direction only for a change larger than the dead band, so sampling
 * noise in the active estimate does not flip it every period. */
static uint64_t next_target(const umm_hv_host_t *host, const umm_hv_guest_t *g, uint64_t want)
{
    uint64_t target = g->balloon.target;
    uint64_t step = host->nframes / 25, band = host->nframes / 32;
    if (want < target) {
        if (host->state != UMM_HV_STATE_HIGH)
            return target; /* memory is short: never give it back now */
        want = target - want > step ? target - step : want;
    }
    int dir = want > target ? 1 : want < target ? -1 : 0;
    uint64_t change = want > target ? want - target : target - want;
    if (dir && dir == -g->balloon.last_dir && change < band)
        return target; /* a small reversal: noise, hold */
    return want;
}

static void set_targets(umm_hv_host_t *host)
{
    uint64_t promised = hv_promised_frames(host, NULL);
    uint64_t m = host->nframes * 94 / 100; /* keep the host in its high state */
    entitle(host, m);
    for (uint32_t i = 0; i < host->nguest_slots; i++) {
        umm_hv_guest_t *g = host->guests[i];
        if (!g || (g->flags & UMM_HV_GUEST_NO_BALLOON) || g->balloon.manual)
            continue;
        uint64_t want = promised > m && g->nframes > g->entitlement ? g->nframes - g->entitlement : 0;
        uint64_t over_limit = g->nframes > g->limit ? g->nframes - g->limit : 0;
        want = want > over_limit ? want : over_limit; /* a limit holds in any state */
        uint64_t next = next_target(host, g, want);
        if (next < over_limit)
            next = over_limit;
        int dir = next > g->balloon.target ? 1 : next < g->balloon.target ? -1 : 0;
        if (dir && dir == -g->balloon.last_dir)
            g->balloon.reversals++;
        if (dir)
            g->balloon.last_dir = dir;
        g->balloon.target = next;
    }
}

/* A guest above its limit (no balloon, or one not there yet) gives frames back now:
 * compression or host swapping restricted to it. Host locked. */
static void enforce_limits(umm_hv_host_t *host)
{
    for (uint32_t i = 0; i < host->nguest_slots; i++) {
        umm_hv_guest_t *g = host->guests[i];
        if (!g || g->private_frames <= g->limit)
            continue;
        host->victim_only = g;
        while (g->private_frames > g->limit &&
               (hv_compress_out_one(host, NULL) || hv_swap_out_one(host, NULL)))
            ;
        host->victim_only = NULL;
    }
}

static void policy_pass(umm_hv_host_t *host)
{
    sample_all(host);
    mm_lock(&host->lock);
    host->policy_passes++;
    hv_update_state(host);
    set_targets(host);
    enforce_limits(host);
    /* Soft: compress; hard and low: compress, then swap (the last resort), until free memory
     * is back to the clear threshold. */
    while (host->state >= UMM_HV_STATE_SOFT && host->nfree * 100 < host->nframes * 4) {
        if (hv_compress_out_one(host, NULL))
            continue;
        if (host->state < UMM_HV_STATE_HARD || !hv_swap_out_one(host, NULL))
            break;
    }
    hv_update_state(host);
    mm_unlock(&host->lock);
}

void hv_host_pass(umm_hv_host_t *host, bool scan)
{
    mm_mutex_lock(&host->pass_lock);
    policy_pass(host);
    for (uint32_t i = 0; i < host->nguest_slots; i++)
        if (host->guests[i])
            hv_balloon_step(host->guests[i]);
    if (scan && !(host->cfg.flags & UMM_HV_NO_SHARING))
        hv_share_scan(host, host->cfg.scan_pages ? host->cfg.scan_pages : 2048);
    hv_rebalance_guests(host);
    mm_mutex_unlock(&host->pass_lock);
}

int umm_hv_host_step(umm_hv_host_t *host)
{
    HANDLE_CHECK(host, HANDLE_HV_HOST);
    hv_host_pass(host, true);
    return UMM_OK;
}
