/* SPDX-License-Identifier: MIT */
/* host.c - the host object's own figures: the guest frames promised, its free-memory state,
 * its statistics. Reads the objects of host.h only (the lifecycle is lifecycle.c's). */
#include "host.h"

uint64_t hv_promised_frames(const umm_hv_host_t *host, uint64_t *reserved)
{
    uint64_t sum = 0, res = 0;
    for (uint32_t i = 0; i < host->nguest_slots; i++)
        if (host->guests[i]) {
            sum += host->guests[i]->nframes;
            res += host->guests[i]->reservation;
        }
    if (reserved)
        *reserved = res;
    return sum;
}

const char *umm_hv_state_name(umm_hv_state_t state)
{
    static const char *const names[] = {"high", "clear", "soft", "hard", "low"};
    return (unsigned)state <= UMM_HV_STATE_LOW ? names[state] : "invalid";
}

int umm_hv_host_stats(umm_hv_host_t *host, umm_hv_host_stats_t *out)
{
    HANDLE_CHECK(host, HANDLE_HV_HOST);
    if (!out)
        return UMM_E_INVAL;
    mm_lock(&host->lock);
    uint64_t promised = hv_promised_frames(host, NULL), saved = 0;
    for (uint32_t i = 0; i < host->nguest_slots; i++)
        if (host->guests[i])
            saved += host->guests[i]->shared;
    saved = saved > host->shared_frames ? saved - host->shared_frames : 0;
    *out = (umm_hv_host_stats_t){
        .host_frames = host->nframes,
        .free_frames = host->nfree,
        .state = host->state,
        .overcommit = (double)promised / (double)host->nframes,
        .guests = host->nguests,
        .shared_frames = host->shared_frames,
        .saved = saved,
        .scanned = host->scanned,
        .merged = host->merged,
        .cow_breaks = host->cow_breaks,
        .scan_pages_per_sec = host->scan_rate,
        .scan_cpu_ns = host->scan_cpu_ns,
        .swap_slots = hv_swap_slots(host),
        .swap_used = host->swap_store.ops ? host->swap_store.slots->used : 0,
        .swapped_out = host->swapped_out,
        .swapped_in = host->swapped_in,
        .compressed = host->zpages,
        .compression_frames = host->zframes,
        .compressed_out = host->compressed_out,
        .decompressed = host->decompressed,
        .policy_passes = host->policy_passes,
    };
    mm_unlock(&host->lock);
    return UMM_OK;
}

/* ESXi's free-memory states, as percentages of host memory. */
void hv_update_state(umm_hv_host_t *host)
{
    uint64_t pct100 = host->nfree * 10000 / host->nframes; /* hundredths of a percent */
    host->state = pct100 >= 600   ? UMM_HV_STATE_HIGH
                : pct100 >= 400   ? UMM_HV_STATE_CLEAR
                : pct100 >= 200   ? UMM_HV_STATE_SOFT
                : pct100 >= 100   ? UMM_HV_STATE_HARD
                                  : UMM_HV_STATE_LOW;
}
