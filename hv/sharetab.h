/* SPDX-License-Identifier: MIT */
/* sharetab.h - the sharing table: buckets of content hashes naming shared host frames and
 * candidates (share.c scans and fills it; a shared frame leaves it when freed). Host locked. */
#ifndef UMM_HV_SHARETAB_H
#define UMM_HV_SHARETAB_H

#include "host.h"

#define HV_SHARE_WAYS 8

/* A slot of the sharing table, 16 bytes so a bucket of HV_SHARE_WAYS is two cache lines.
 * Invariant: key 0 = empty; otherwise guest is HV_SLOT_SHARED and num a host frame with
 * HVF_SHARED whose hash is key, or guest is a guest's id and num one of its frames (a candidate:
 * a private frame seen with this hash; the guest may be gone, the frame changed, since). */
typedef struct hv_share_slot {
    uint64_t key;      /* content hash mixed with the sharing domain; 0 = empty */
    uint32_t guest;    /* HV_SLOT_SHARED, or a candidate's guest id */
    uint32_t num;      /* the shared host frame, or the candidate's guest frame */
} hv_share_slot_t;
#define HV_SLOT_SHARED UINT32_MAX

static inline hv_share_slot_t *hv_share_bucket(umm_hv_host_t *host, uint64_t key)
{
    return &host->share[(key & (host->share_buckets - 1)) * HV_SHARE_WAYS];
}
int hv_share_init(umm_hv_host_t *host);
/* Shared host frame h is freed: its slot goes. */
void hv_share_forget(umm_hv_host_t *host, uint32_t h);

#endif
