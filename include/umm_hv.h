/* SPDX-License-Identifier: MIT */
/* umm_hv.h - the mini-hypervisor: a host with its own RAM budget runs several guests, each a
 * complete umm system whose "physical" frames are guest-physical pages backed on demand by host
 * frames (the p2m table), and reclaims memory from them as VMware ESXi does: transparent page
 * sharing, ballooning, host swapping, driven by a shares/reservation/limit policy with an
 * idle-memory tax. See docs/hv.md. */
#ifndef UMM_HV_H
#define UMM_HV_H

#include "umm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct umm_hv_host umm_hv_host_t;
typedef struct umm_hv_guest umm_hv_guest_t;

/* umm_hv_host_config_t.flags */
#define UMM_HV_NO_WORKERS 0x1    /* no host thread: policy, balloon and scanner run only in
                                    umm_hv_host_step() */
#define UMM_HV_NO_SHARING 0x2    /* transparent page sharing off */
#define UMM_HV_SALT_GUESTS 0x4   /* no sharing across guests (each guest its own domain) */
#define UMM_HV_NO_COMPRESSION 0x8 /* no memory compression (lz4) before host swapping */

typedef struct umm_hv_host_config {
    size_t ram_bytes;            /* the host's RAM budget: its frame pool (required) */
    size_t page_size;            /* must equal the guests' page size (4096) */
    const char *swap_path;       /* host swap file (NULL: an unnamed file in $TMPDIR or /tmp) */
    size_t swap_bytes;           /* host swap size; 0 = no host swapping */
    unsigned flags;              /* UMM_HV_* */
    unsigned scan_pages;         /* sharing scanner: pages per pass (KSM pages_to_scan) */
    unsigned scan_sleep_ms;      /* sharing scanner: pause between passes (KSM sleep_millisecs) */
    unsigned policy_interval_ms; /* policy period */
    unsigned idle_tax_pct;       /* ESXi Mem.IdleTax: 75 means an idle page costs 4x an active one */
    const umm_store_config_t *swap_store; /* host paging to this store (a paging file or Redis,
                                            see umm.h) instead of swap_path/swap_bytes; NULL:
                                            the swap file */
} umm_hv_host_config_t;

#define UMM_HV_HOST_CONFIG_INIT                                                                  \
    { .ram_bytes = (size_t)256 << 20, .page_size = 4096, .swap_path = NULL,                      \
      .swap_bytes = (size_t)1 << 30, .flags = 0, .scan_pages = 2048, .scan_sleep_ms = 20,        \
      .policy_interval_ms = 1000, .idle_tax_pct = 75, .swap_store = NULL }

/* umm_hv_guest_config_t.flags */
#define UMM_HV_GUEST_NO_BALLOON 0x1 /* no balloon driver: only sharing and host swapping */
#define UMM_HV_GUEST_SALT 0x2       /* this guest shares pages only with itself */

typedef struct umm_hv_guest_config {
    umm_config_t sys;          /* the guest system: sys.ram_bytes is its "physical" memory */
    unsigned shares;           /* proportional share (ESXi: 1000 per normal VM); 0 = 1000 */
    size_t reservation_bytes;  /* host memory guaranteed to it */
    size_t limit_bytes;        /* host memory it may never exceed (0: its RAM) */
    unsigned flags;            /* UMM_HV_GUEST_* */
    const char *name;          /* for reports (copied, may be NULL) */
} umm_hv_guest_config_t;

UMM_API int umm_hv_host_create(const umm_hv_host_config_t *cfg, umm_hv_host_t **out);
/* Destroys every guest still running. No thread may touch guest memory any more. */
UMM_API void umm_hv_host_destroy(umm_hv_host_t *host);

/* A guest may be promised more than the host has (overcommit), but not more RAM than the host
 * could ever back with its RAM and swap (UMM_E_COMMIT_LIMIT), nor a reservation the host cannot
 * honour next to the others' (UMM_E_COMMIT_LIMIT). */
UMM_API int umm_hv_guest_create(umm_hv_host_t *host, const umm_hv_guest_config_t *cfg,
                        umm_hv_guest_t **out);
/* Destroy a guest: its processes, frames, swap slots. Rule: no thread may touch its memory any
 * more (as for umm_system_destroy); the host and other guests are unaffected. */
UMM_API void umm_hv_guest_destroy(umm_hv_guest_t *guest);
/* The guest's umm system: the whole core API works inside it unchanged. */
UMM_API umm_system_t *umm_hv_guest_system(umm_hv_guest_t *guest);

/* Balloon target in guest pages (virtio-balloon num_pages). Set by the policy each period
 * unless set here; UMM_E_RANGE beyond the guest's RAM, UMM_E_NOT_SUPPORTED without a balloon
 * driver. Setting it takes the target out of the policy's hands until umm_hv_balloon_auto(). */
UMM_API int umm_hv_balloon_set_target(umm_hv_guest_t *guest, size_t pages);
UMM_API int umm_hv_balloon_auto(umm_hv_guest_t *guest);
/* Policy knobs (ESXi: shares, reservation, limit). */
UMM_API int umm_hv_guest_set_policy(umm_hv_guest_t *guest, unsigned shares, size_t reservation_bytes,
                            size_t limit_bytes);

/* One host pass now, on the calling thread: policy, balloon steps, one sharing scan pass, host
 * swapping if needed. The host thread does this on its own unless UMM_HV_NO_WORKERS. */
UMM_API int umm_hv_host_step(umm_hv_host_t *host);
/* Scan up to `pages` guest frames for sharing now; returns frames merged in *merged. */
UMM_API int umm_hv_share_scan(umm_hv_host_t *host, size_t pages, uint64_t *merged);

typedef enum umm_hv_state {
    UMM_HV_STATE_HIGH = 0,  /* plenty free: sharing only, balloons deflate */
    UMM_HV_STATE_CLEAR = 1, /* sharing, balloon toward entitlements */
    UMM_HV_STATE_SOFT = 2,  /* ballooning and compression */
    UMM_HV_STATE_HARD = 3,  /* ballooning and host swapping */
    UMM_HV_STATE_LOW = 4    /* host swapping at every allocation until above hard */
} umm_hv_state_t;

typedef struct umm_hv_guest_stats {
    uint64_t guest_frames;     /* its RAM in pages */
    uint64_t granted;          /* guest frames backed by a host frame (private or shared) */
    uint64_t consumed;         /* host frames it costs: private + its fair part of shared ones */
    uint64_t private_frames;   /* guest frames with a host frame of their own */
    uint64_t shared;           /* guest frames mapped to a shared host frame (incl. zero) */
    uint64_t shared_zero;      /* of which the host's zero frame */
    uint64_t saved;            /* host frames sharing saves for this guest */
    uint64_t balloon_target, balloon_actual;
    uint64_t balloon_inflated, balloon_deflated, balloon_deflate_on_pressure;
    uint64_t host_swapped;     /* guest frames the host has in its swap file */
    uint64_t compressed;       /* guest frames the host holds lz4-compressed in memory */
    uint64_t swapped_out, swapped_in;
    uint64_t double_paging;    /* host-swapped frames the guest then paged out itself */
    uint64_t nested_zero_fill, nested_swap_in, nested_cow_break, nested_remap;
    uint64_t active_pct;       /* the host's estimate of the active fraction (sampled) */
    uint64_t entitlement;      /* pages the policy gives it now */
    unsigned shares;
    uint64_t reservation, limit; /* pages */
    /* host reclaim without waste (docs/hv.md): host swap-ins by cause */
    uint64_t swapin_access;    /* the guest touched a host-swapped page (a nested fault) */
    uint64_t swapin_writer;    /* its writer read one to page it out (= double_paging) */
    uint64_t reads_skipped;    /* it overwrote one whole (zeroing, a paging-file read): not read */
    uint64_t handed_over;      /* its writer's copy went host swap -> its paging file, disk to disk */
    /* host victims by the guest list they came from */
    uint64_t victims_free;     /* Free/Zeroed: dropped */
    uint64_t victims_standby;  /* Standby, copy in its paging file: dropped (re-read from there) */
    uint64_t victims_active;   /* in use: compressed or written to host swap */
    uint64_t victims_modified; /* on its Modified list: compressed or written */
    uint64_t dropped;          /* victims dropped instead of written (free + standby) */
    uint64_t balloon_reversals; /* changes of direction of the policy's balloon target */
} umm_hv_guest_stats_t;

typedef struct umm_hv_host_stats {
    uint64_t host_frames, free_frames;
    umm_hv_state_t state;
    double overcommit;         /* guest RAM promised / host RAM */
    uint64_t guests;
    uint64_t shared_frames;    /* distinct shared host frames (the zero frame not counted) */
    uint64_t saved;            /* host frames saved by sharing over all guests */
    uint64_t scanned, merged, cow_breaks;
    double scan_pages_per_sec;
    uint64_t scan_cpu_ns;      /* CPU time the scanner has used */
    uint64_t swap_slots, swap_used, swapped_out, swapped_in;
    uint64_t compressed, compression_frames; /* pages held compressed, frames holding them */
    uint64_t compressed_out, decompressed;
    uint64_t policy_passes;
} umm_hv_host_stats_t;

UMM_API int umm_hv_guest_stats(umm_hv_guest_t *guest, umm_hv_guest_stats_t *out);
UMM_API int umm_hv_host_stats(umm_hv_host_t *host, umm_hv_host_stats_t *out);
UMM_API const char *umm_hv_state_name(umm_hv_state_t state);
UMM_API const char *umm_hv_guest_name(umm_hv_guest_t *guest);

#ifdef __cplusplus
}
#endif
#endif /* UMM_HV_H */
