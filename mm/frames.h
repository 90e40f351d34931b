/* SPDX-License-Identifier: MIT */
/* frames.h - physical memory: the RAM pool (a memfd, frame f at offset f*page), the physical
 * view that maps it once, and frame allocation from the page lists. Everything but create/destroy
 * runs with the system lock held (asserted). */
#ifndef UMM_FRAMES_H
#define UMM_FRAMES_H

#include "state.h"

int mm_frames_pool_create(umm_system_t *sys);
void mm_frames_pool_destroy(umm_system_t *sys);

/* The frame's bytes through the physical view (never through a managed address). `use`: what
 * the caller does with them (phys.h): WRITE makes a guest's frame present and private first,
 * OVERWRITE also tells its host that the old contents are not wanted (not read back from host
 * swap). NULL only for a guest whose host could not produce the frame: callers give up, losing
 * nothing. */
static inline void *mm_frame_ptr(umm_system_t *sys, mm_pfn_id_t f, mm_frame_use_t use)
{
    if (sys->phys)
        return sys->phys->frame_ptr(sys, f, use);
    return sys->pool.view + ((size_t)f << sys->page_shift);
}

/* Does this system's backend share frames (a guest whose host merges identical pages)? */
static inline bool mm_frames_backend_shares(const umm_system_t *sys)
{
    return sys->phys && sys->phys->shared;
}

/* Does reclaiming frame f free nothing behind it (its host shares its bytes)? */
static inline bool mm_frame_backend_shared(umm_system_t *sys, mm_pfn_id_t f)
{
    return mm_frames_backend_shares(sys) && sys->phys->shared(sys, (uint32_t)f);
}

/* Frames taken without repurposing a page: Zeroed + Free. */
uint64_t mm_frames_free_or_zeroed(umm_system_t *sys);
/* Frames a fault could take now: Zeroed + Free + Standby. */
uint64_t mm_frames_available(umm_system_t *sys);
/* Of those, the ones whose reuse frees something: all of them, except in a guest whose host
 * shares some of its frames (mm_phys_ops_t.shared), where those do not count. O(available). */
uint64_t mm_frames_available_private(umm_system_t *sys);

/* Could a read-ahead nobody faulted for take n frames and still leave `reserve` for demand?
 * It may take Zeroed and Free frames, then the Standby frames demand would repurpose next, of
 * priority at most `prio`, but never a page read ahead and not used yet: read-ahead does not
 * evict read-ahead, so a window larger than RAM stops where it would (nor a guest's frame its
 * host shares, which frees nothing). So a scan of a file larger than RAM keeps reading ahead
 * after the first RAM's worth, into the frames of the pages it has passed. O(n + reserve). */
bool mm_frames_spare_for_speculation(umm_system_t *sys, size_t n, size_t reserve, unsigned prio);

/* Allocate n frames, all or nothing, Active and unowned. out[0] is `hint` when that frame is
 * free (so neighbouring pages get neighbouring frames and their mappings merge into one kernel
 * VMA), each next one out[i-1]+1 when free. Takes Zeroed first, then Free, then repurposes
 * Standby (a guest's frames its host shares last: see standby_victim), the oldest frame of the
 * lowest priority together with its neighbours on Standby of no higher priority, so the n frames
 * are consecutive there too. With `zero`, frames not from Zeroed are zeroed now (counted against
 * for_proc).
 * Returns UMM_OK or UMM_E_NO_FRAMES. */
int mm_frames_alloc(umm_system_t *sys, size_t n, mm_pfn_id_t hint, mm_pfn_id_t *out,
                 umm_process_t *for_proc, bool zero);

/* Fill frames[0 .. n) (Active, not yet named by any PTE) with the n pages at src, their old
 * contents unwanted: a pool's through the kernel (mm_os_pool_write, one call per run of
 * consecutive frames), a guest's through its backend (MM_FRAME_OVERWRITE). UMM_OK, or an error
 * when a frame could not be written (its contents are then undefined). */
int mm_frames_fill(umm_system_t *sys, const mm_pfn_id_t *frames, size_t n, const uint8_t *src);
/* The same for a memfd pool's frames, by the kernel's pwrite (never a store through the physical
 * view: readbuf.h says why). Needs no lock: for frames nobody else touches (fresh, or pinned). */
int mm_frames_write_pool(umm_system_t *sys, const mm_pfn_id_t *frames, size_t n, const uint8_t *src);
/* Take up to n frames that the backend does not share (a guest's frames whose host frame is
 * its own: giving one up frees host memory) off Zeroed, Free, then Standby (repurposed), oldest
 * first; Active and unowned, not zeroed. Returns how many. For a guest's balloon. */
size_t mm_frames_take_private(umm_system_t *sys, size_t n, mm_pfn_id_t *out);

/* Give a frame back: to Zeroed when its contents are known to be zero, else to Free. Its
 * paging-file copy, if any, is freed; it leaves unowned. */
void mm_frame_release(umm_system_t *sys, mm_pfn_id_t f, bool known_zero);

/* Take a Standby frame from the page that names it (that page's PTE points at its paging-file
 * slot again: the next touch reads it back) and put it on the Free list. */
void mm_frame_discard_standby(umm_system_t *sys, mm_pfn_id_t f);

/* The frame's contents are about to change: its paging-file copy (if any) is stale, free it. */
void mm_frame_drop_copy(umm_system_t *sys, mm_pfn_id_t f);

/* The page is being written: its copy goes stale. While the paging file is at most 7/8 full the
 * slot stays reserved for the page (PFN_F_STALE_SLOT), and the writer puts the page back there,
 * so the slots of a range a program rewrites in place stay consecutive and a hard fault reads
 * them back in one cluster (Linux keeps a swap slot the same way until swap is half full; the
 * paging file is sized tighter than swap); fuller, the slot is freed (mm_frame_drop_copy). */
void mm_frame_stale_copy(umm_system_t *sys, mm_pfn_id_t f);

/* The frame's slot (if any) is its copy again: written (or freed). */
void mm_frame_slot_fresh(umm_system_t *sys, mm_pfn_id_t f);

/* The paging file is full: free every slot kept for a rewrite (not one under I/O), so pages that
 * have no slot can be written. Returns how many. A kept slot is a slot and a frame for one page;
 * the commit limit counts one of them, so a full file must give the kept ones back. */
uint64_t mm_frames_free_stale_slots(umm_system_t *sys);

/* Does the frame's slot hold its current contents (a copy that standby or a discard may rely on)? */
bool mm_frame_has_copy(umm_system_t *sys, mm_pfn_id_t f);

/* True when every byte of the frame is zero. */
bool mm_frame_is_zero(umm_system_t *sys, mm_pfn_id_t f);

/* Make f Active for (vad, index): unlinks it from its list and records the reverse map. */
void mm_frame_set_owner(umm_system_t *sys, mm_pfn_id_t f, const mm_vad_t *vad, size_t index);

#endif
