/* SPDX-License-Identifier: MIT */
/* host.h - the hypervisor's internal objects: the host (its frame pool, swap file, guests,
 * sharing table, lock) and the guest (a umm system, its p2m table, its balloon).
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

/* Host frame. Invariant: free frames have ref 0 and owner HV_NO_GUEST; private frames ref 1 and
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

/* What taking a private frame costs its guest, cheapest first (hostswap.c). */
enum hv_victim_class {
    HV_VICTIM_FREE,     /* on the guest's Free/Zeroed list: dropped, never written */
    HV_VICTIM_STANDBY,  /* on a Standby list, copy in the guest's paging file: dropped */
    HV_VICTIM_IDLE,     /* not referenced since the host's clock last passed */
    HV_VICTIM_USED,     /* referenced (its bit is cleared as the clock passes) */
    HV_VICTIM_MODIFIED, /* on the guest's Modified list: its writer will read it soon */
    HV_VICTIM_NONE      /* busy: hands off */
};

typedef struct hv_balloon {
    uint32_t *frames;  /* guest frames held, a stack */
    size_t actual, target;
    bool manual;       /* target set by the caller, not the policy */
    bool starved;      /* no private frame free nor left to trim: inflating may take shared ones */
    int last_dir;      /* +1 the policy last raised the target, -1 lowered it, 0 never moved */
    uint64_t inflated, deflated, on_pressure;
    uint64_t reversals; /* changes of direction of the policy's target */
} hv_balloon_t;

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
    hv_share_slot_t *share;  /* buckets of HV_SHARE_WAYS slots */
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

#define HV_SHARE_WAYS 8

/* backing.c: host frames and what backs each guest frame (host locked) */
uint32_t hv_frame_alloc(umm_hv_host_t *host, umm_hv_guest_t *locked_guest, bool zero);
void hv_frame_put(umm_hv_host_t *host, uint32_t h);
static inline void *hv_frame_ptr(umm_hv_host_t *host, uint32_t h)
{
    return host->pool.view + ((size_t)h << host->page_shift);
}
/* Record host frame f as guest frame gfn's own (host locked). */
void hv_set_private(umm_hv_guest_t *g, uint32_t gfn, uint32_t f);
/* Make guest frame g privately present (zero-fill, swap-in or copy-on-write). Host locked. */
uint32_t hv_make_private(umm_hv_guest_t *g, uint32_t gfn);
/* Release whatever backs guest frame g (host locked); its p2m becomes `to`. */
void hv_drop_backing(umm_hv_guest_t *g, uint32_t gfn, unsigned to);
void hv_update_state(umm_hv_host_t *host);

/* host.c: the host's lifecycle, statistics and passes */
/* Guest frames promised over all guests; *reserved (may be NULL) gets their reservations. */
uint64_t hv_promised_frames(const umm_hv_host_t *host, uint64_t *reserved);
/* Host frames reservations may add up to: all but the zero frame and 1/16 to work with. */
static inline uint64_t hv_reservable_frames(const umm_hv_host_t *host)
{
    return host->nframes - 1 - host->nframes / 16;
}
/* Policy, balloon steps and (with scan) one sharing pass, under pass_lock. */
void hv_host_pass(umm_hv_host_t *host, bool scan);

/* guest.c */
extern const mm_phys_ops_t hv_guest_phys_ops;

/* balloon.c: one step toward the target (takes the guest lock, then the host lock). */
void hv_balloon_step(umm_hv_guest_t *g);
size_t hv_balloon_deflate_locked(umm_hv_guest_t *g, size_t n); /* guest locked */

/* share.c */
uint64_t hv_share_scan(umm_hv_host_t *host, size_t pages);
/* Guests whose free frames a scan just shared (g->rebalance) replace them with private ones
 * now, before their next faults repurpose (and unshare) them. Under pass_lock, no other lock. */
void hv_rebalance_guests(umm_hv_host_t *host);
void hv_share_forget(umm_hv_host_t *host, uint32_t h);
int hv_share_init(umm_hv_host_t *host);

/* hostswap.c */
/* Slots of the host's swap store (0: no host swapping). */
static inline uint64_t hv_swap_slots(const umm_hv_host_t *host)
{
    return host->swap_store.ops ? host->swap_store.slots->nslots : 0;
}
/* Free one private host frame (host locked, `locked` guest's lock held or NULL): drop a cheap
 * victim, else swap one out (the host lock is dropped during the write); true if one was freed. */
bool hv_swap_out_one(umm_hv_host_t *host, umm_hv_guest_t *locked);
/* Read guest frame gfn back from host swap (guest held, host locked; the lock is dropped during
 * the read). The new host frame, or UINT32_MAX (nothing changed). */
uint32_t hv_swap_in(umm_hv_guest_t *g, uint32_t gfn);
/* Copy host-swapped guest frame gfn to local slot `to` of a store of its guest (disk to disk to a
 * paging file; the guest's writer pins the frame; called with no lock held). UMM_OK or UMM_E_IO. */
int hv_swap_copy_out(umm_hv_guest_t *g, uint32_t gfn, mm_store_t *st, uint64_t to);
/* Drop a FREE or STANDBY victim (guest held, host locked); false for dearer classes. */
bool hv_take_cheap(umm_hv_guest_t *g, uint32_t h, enum hv_victim_class cls);
/* Count a victim that was compressed or written, by the guest list it came from. */
void hv_count_victim(umm_hv_guest_t *g, enum hv_victim_class cls);

/* compress.c: compress one private frame into the cache (host locked, `locked` guest held or
 * NULL); true when a host frame was freed. hv_decompress brings a page back (host locked). */
bool hv_compress_out_one(umm_hv_host_t *host, umm_hv_guest_t *locked);
uint32_t hv_decompress(umm_hv_guest_t *g, uint32_t gfn);
void hv_zslot_free(umm_hv_host_t *host, uint64_t slot);
int hv_compress_init(umm_hv_host_t *host);
/* Victim selection shared by compression and swapping: a private host frame whose guest frame
 * can be taken now, the cheapest found (*cls); its guest is locked on return (unlock if !=
 * locked). UINT32_MAX if none. */
uint32_t hv_pick_victim(umm_hv_host_t *host, umm_hv_guest_t *locked, umm_hv_guest_t **owner,
                        enum hv_victim_class *cls);

/* policy.c */
void hv_policy_pass(umm_hv_host_t *host);
void hv_sample_access(umm_hv_guest_t *g); /* guest and host locked */

/* workers */
int hv_workers_start(umm_hv_host_t *host);
void hv_workers_stop(umm_hv_host_t *host);

#endif
