/* SPDX-License-Identifier: MIT */
/* guest.h - the one door between the hypervisor (hv/) and the memory managers of its guests.
 *
 * A guest is a umm system whose frames come from a backend (phys.h) that the host implements.
 * Everything else the host needs from a guest goes through the calls below: it never takes a
 * guest's lock, reads a PTE or a PFN entry, or does a guest's accounting itself. To work on a
 * guest's frames the host *holds* the guest (its memory manager stands still: no fault, trim or
 * write changes a frame meanwhile); holding ranks below the host's own lock, so a host that
 * already holds its lock may only try to hold another guest (mm_guest_try_hold).
 *
 * This header also re-exports the base layer the hypervisor builds on, as mm/ does: locks,
 * assertions, failure points, handles, the OS contract, the loop thread and the paging file (the
 * host's swap file is one). hv/ includes nothing else from mm/. */
#ifndef UMM_GUEST_H
#define UMM_GUEST_H

#include "assert.h"
#include "failpoint.h"
#include "handle.h"
#include "lock.h"
#include "loopthread.h"
#include "os.h"
#include "store.h"
#include "phys.h"
#include "umm.h"

/* Create a guest system whose frames `ops` backs (ctx is returned by mm_guest_backend_ctx);
 * umm_system_destroy ends it. */
int mm_guest_create(const umm_config_t *cfg, const mm_phys_ops_t *ops, void *ctx,
                    umm_system_t **out);
/* The ctx given at create (for the backend's callbacks). */
void *mm_guest_backend_ctx(umm_system_t *sys);

/* Hold a guest still while the host works on its frames, and let go. */
void mm_guest_hold(umm_system_t *sys);
bool mm_guest_try_hold(umm_system_t *sys);
void mm_guest_release(umm_system_t *sys);
/* Does the calling thread hold the guest? (Exact in debug builds, for assertions.) */
bool mm_guest_is_held(umm_system_t *sys);

/* What the host may know about a guest frame. Guest held. */
typedef struct mm_guest_frame {
    bool busy;       /* guest I/O holds it (being read, written or zeroed unlocked) or its balloon
                        does: hands off */
    bool mapped;     /* a valid page maps it, and the kernel mapping is live */
    bool accessed;   /* that page's emulated accessed bit is set */
    bool free;       /* on the guest's Zeroed or Free list: its contents do not matter to it */
    bool standby;    /* on a Standby list: clean, a copy is in the guest's paging file */
    bool modified;   /* on a Modified list: the guest's writer will read it soon */
    bool has_copy;   /* the guest's paging file holds a copy of its contents */
    bool locked;     /* locked in a working set or pinned for a program's I/O: it must stay
                        backed and mapped (no unmapping, sharing, compressing or host paging) */
} mm_guest_frame_t;
void mm_guest_frame(umm_system_t *sys, uint32_t gfn, mm_guest_frame_t *out);
/* Take every kernel mapping of the frame away: its next access faults and maps it again through
 * the backend. Guest held. */
void mm_guest_frame_unmap(umm_system_t *sys, uint32_t gfn);

/* Give a Standby frame up, as the guest itself would to reuse it: the page that named it reads
 * its bytes back from the guest's paging file on its next touch (a hard fault), and the frame
 * goes to the guest's Free list, so its host may drop what backs it. Guest held. */
void mm_guest_frame_discard(umm_system_t *sys, uint32_t gfn);

/* The balloon driver. Guest held. Take up to n frames from the guest's free memory into the
 * balloon (the guest keeps its low-memory reserve and stays within its commit limit; the frames
 * are charged to its commit, as a driver's allocation is): their numbers go to frames[], the
 * count is returned, fewer when the guest must first trim or page. Frames the host shares
 * (mm_phys_ops_t.shared: giving one up frees no host frame) come last, and with private_only
 * not at all. */
size_t mm_guest_balloon_take(umm_system_t *sys, size_t n, uint32_t *frames, bool private_only);
/* The balloon driver took every private frame free and wants n more: the free frames the guest
 * keeps beyond its reserve are shared ones (*blocked: how many), which its balancer counts as
 * available. For as many of those (at most n) the guest trims pages whose frames the host does
 * not share from its working sets, idlest first, so its balance pass writes them out and the
 * balloon can take their frames. Returns how many. Guest held. */
uint64_t mm_guest_trim_private(umm_system_t *sys, uint64_t n, uint64_t *blocked);
/* The host now shares guest frame gfn (by content, or as the zero page): reclaiming it frees no
 * host memory and undoes the sharing. On a Standby list it moves to the tail (repurposed last).
 * True when it is a frame the guest counted as available (Zeroed, Free, Standby): its balancer
 * should then look again (mm_guest_rebalance). Guest held. */
bool mm_guest_frame_shared(umm_system_t *sys, uint32_t gfn);
/* The host shared frames the guest counted as available: a balance pass now, without aging
 * (its working sets were aged on its own schedule), trims private pages to make up for them
 * and writes them out, so its next faults repurpose private frames, not the shared ones. Guest
 * not held. */
void mm_guest_rebalance(umm_system_t *sys);
/* Give balloon frames back: they read as zeros (the host backs them afresh), the charge goes.
 * Both calls size the guest's free-memory thresholds from the frames it has outside its balloon,
 * so a ballooned guest keeps as little free as one booted with that much memory. */
void mm_guest_balloon_give(umm_system_t *sys, const uint32_t *frames, size_t n);

#endif
