/* SPDX-License-Identifier: MIT */
/* host.h - the hypervisor's internal objects: the host (its frame pool, swap file, guests,
 * sharing table, lock) and the guest (a umm system, its p2m table, its balloon); host.c keeps
 * what reads them only (state, statistics). The bottom of hv/: every other file includes it,
 * and each concept above has its own header, included only from above (the layers:
 * docs/architecture.md, section 1).
 *
 * Everything about a guest's memory manager goes through the door, mm/guest.h. Locking: holding
 * a guest (mm_guest_hold), then the host lock (the guest's fault path holds its guest when it
 * asks the host for a frame). Host-side work on a guest holds that guest first; touching a second
 * guest while holding locks uses mm_guest_try_hold and skips on failure. The host never changes a
 * guest frame the guest calls busy (its own I/O on it, or its balloon's). */
#ifndef UMM_HV_HOST_H
#define UMM_HV_HOST_H

#include "guest.h"
#include "umm_hv.h"

#include <pthread.h>
#include <stdatomic.h>

/* p2m entry: what backs guest frame g. Bits 0-2 state, 8-63 host frame or swap slot.
 * Invariants: PRESENT names a host frame whose owner is (guest, g) and ref == 1; SHARED names a
 * host frame with ref >= 1 counting exactly the SHARED entries naming it; ZERO maps the host's
 * zero frame; SWAPPED names a used slot of the host swap file; COMPRESSED names an occupied half
 * of a compression-cache frame; NONE and BALLOONED cost nothing. */
enum p2m_state {
    P2M_NONE = 0,      /* never touched: reads as zero */
    P2M_PRESENT = 1,   /* a private host frame */
    P2M_SHARED = 2,    /* a shared, read-only host frame (copy on write) */
    P2M_ZERO = 3,      /* collapsed into the host's zero frame */
    P2M_SWAPPED = 4,   /* in the host swap file */
    P2M_BALLOONED = 5, /* given to the host by the guest's balloon driver */
    P2M_COMPRESSED = 6 /* lz4-compressed in half a compression-cache frame */
};
typedef uint64_t p2m_t;
static inline unsigned p2m_state(p2m_t e) { return (unsigned)(e & 7); }
static inline uint64_t p2m_num(p2m_t e) { return e >> 8; }
static inline p2m_t p2m_make(unsigned st, uint64_t num) { return (p2m_t)st | (num << 8); }

#define HV_ZERO_FRAME 0u
#define HV_NO_GUEST UINT32_MAX

/* Host frame. Invariant: free frames have ref 0, owner HV_NO_GUEST and no flag but HVF_ZEROED
 * (set only at pool creation, cleared by the first take); private frames ref 1 and
 * an owner; shared frames ref >= 1, no owner, and their content hash in the sharing table. */
typedef struct hv_frame {
    uint32_t ref;
    uint32_t owner;  /* guest id of a private frame */
    uint32_t gfn;    /* its guest frame */
    uint32_t flags;  /* HVF_* */
    uint64_t hash;   /* content hash of a shared frame */
} hv_frame_t;

#define HVF_SHARED 0x1
#define HVF_PIN 0x2    /* resolved for a mapping in progress, or under host swap I/O: not a
                          victim */
#define HVF_ZCACHE 0x4 /* holds compressed pages in its two halves; ref = halves in use */
#define HVF_REF 0x8    /* referenced: mapped for its guest since the victim clock last passed */
#define HVF_SAMPLED 0x10 /* in its guest's access sample: the victim clock leaves its mapping */
#define HVF_ZEROED 0x20 /* free and never written since the pool was made (a fresh memfd page
                          reads as zeros): taking it zero-filled needs no memset */

/* A guest's balloon. Locking, so that umm_hv_guest_stats (host lock) and the guest's own paths
 * (guest held) each read it whole: frames[] and actual change with the guest held and the host
 * locked; target and manual with the host locked and either the guest held or the pass lock
 * (the policy pass, which also reads them under it); the counters and last_dir with the host
 * locked; starved with the guest held. Invariant: actual <= the guest's frames, and
 * frames[0, actual) are the guest frames the balloon holds (P2M_BALLOONED). */
typedef struct hv_balloon {
    uint32_t *frames;  /* guest frames held, a stack */
    size_t actual, target;
    bool manual;       /* target set by the caller, not the policy */
    bool starved;      /* no private frame free nor left to trim: inflating may take shared ones */
    int last_dir;      /* +1 the policy last raised the target, -1 lowered it, 0 never moved */
    uint64_t inflated, deflated, on_pressure;
    uint64_t reversals; /* changes of direction of the policy's target */
} hv_balloon_t;

struct umm_hv_guest {
    umm_hv_host_t *host;
    uint32_t id;
    char name[32];
    umm_system_t *sys;
    p2m_t *p2m;
    uint64_t nframes;
    unsigned flags;
    unsigned shares;
    uint64_t reservation, limit; /* pages */
    uint32_t domain;             /* sharing domain */
    hv_balloon_t balloon;
    bool rebalance;              /* the scanner shared frames it counted as available (below) */
    /* counters, under the host lock */
    uint64_t private_frames, shared, shared_zero, swapped, compressed;
    uint64_t swapped_out, swapped_in, double_paging;
    uint64_t swapin_access;      /* host swap-ins for a guest access (nested fault) */
    uint64_t reads_skipped;      /* host-swapped pages the guest overwrote whole: not read */
    uint64_t handed_over;        /* host-swapped pages copied disk to disk to the guest's file */
    uint64_t victims_free, victims_standby, victims_active, victims_modified;
    uint64_t dropped;            /* victims dropped instead of written (free + standby) */
    uint64_t nested_zero_fill, nested_swap_in, nested_cow_break, nested_remap;
    /* access sampling (ESXi's idle-memory estimate) */
    uint32_t sample[100];
    unsigned nsample;
    uint64_t active_pct;
    uint64_t entitlement;
};

struct umm_hv_host {
    mm_lock_t lock;
    umm_hv_host_config_t cfg;
    size_t page_size;
    unsigned page_shift;
    mm_os_pool_t pool;       /* host frames: frame h at offset h << page_shift */
    hv_frame_t *frames;
    uint64_t nframes;
    uint32_t *free_stack;
    uint64_t nfree;
    mm_pagefile_t swap;     /* the host swap file (swap.fd < 0: none, or swap_store is remote) */
    mm_store_t swap_store;  /* where host paging goes: the file, or cfg.swap_store (ops NULL:
                               no host swapping). Slot numbers in SWAPPED p2m entries are its */
    umm_hv_guest_t **guests; /* by id */
    uint32_t nguest_slots;
    uint64_t nguests;
    struct hv_share_slot *share; /* buckets of HV_SHARE_WAYS slots (sharetab.h) */
    uint64_t share_buckets;
    uint64_t shared_frames, scanned, merged, cow_breaks, swapped_out, swapped_in;
    uint64_t policy_passes, scan_cpu_ns;
    double scan_rate;
    uint64_t scan_rate_t, scan_rate_n;
    uint32_t scan_guest;     /* scanner cursor */
    uint64_t scan_gfn;
    uint64_t swap_hand;      /* clock hand over host frames for swap victims */
    umm_hv_guest_t *victim_only; /* when set (policy enforcing a limit), victims come from it */
    umm_hv_state_t state;
    /* compression cache: half-frame slots (slot = frame * 2 + half) */
    uint16_t *zlen;          /* compressed length per slot */
    uint32_t *zfree;         /* free slots, a stack */
    uint64_t nzfree;
    uint64_t zframes, zpages, compressed_out, decompressed;
    void *lz4_state;         /* LZ4's compression state (16 KiB): never on a signal stack */
    uint8_t *zbuf;           /* one compressed page, under the host lock */
    struct hv_workers *workers;
    mm_mutex_t pass_lock; /* one host pass at a time; guests come and go between passes */
};

/* Guest frames promised over all guests; *reserved (may be NULL) gets their reservations. */
uint64_t hv_promised_frames(const umm_hv_host_t *host, uint64_t *reserved);
/* Host frames reservations may add up to: all but the zero frame and 1/16 to work with. */
static inline uint64_t hv_reservable_frames(const umm_hv_host_t *host)
{
    return host->nframes - 1 - host->nframes / 16;
}
/* Slots of the host's swap store (0: no host swapping). */
static inline uint64_t hv_swap_slots(const umm_hv_host_t *host)
{
    return host->swap_store.ops ? host->swap_store.slots->nslots : 0;
}
/* The host's free-memory state from its free frames (host locked). */
void hv_update_state(umm_hv_host_t *host);

#endif
