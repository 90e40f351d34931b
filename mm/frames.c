/* SPDX-License-Identifier: MIT */
/* frames.c - the RAM pool and frame allocation (see frames.h). */
#include "frames.h"

#include "assert.h"
#include "failpoint.h"
#include "handle.h"
#include "hwmap.h"
#include "readahead.h"
#include "readbuf.h"
#include "vma.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int mm_frames_pool_create(umm_system_t *sys)
{
    uint64_t nframes = sys->cfg.ram_bytes >> sys->page_shift;
    /* A guest has no pool: its frames are guest-physical, backed by the host on demand. */
    int rc = sys->phys ? UMM_OK : mm_os_pool_create(&sys->pool, sys->cfg.ram_bytes, "umm-ram");
    if (rc != UMM_OK)
        return rc;
    if (mm_pfndb_init(&sys->pfn, nframes, LIST_ZEROED) != 0 || mm_readbufs_create(sys) != UMM_OK) {
        mm_pfndb_destroy(&sys->pfn);
        if (!sys->phys)
            mm_os_pool_destroy(&sys->pool);
        return UMM_E_NOMEM;
    }
    return UMM_OK;
}

void mm_frames_pool_destroy(umm_system_t *sys)
{
    mm_readbufs_destroy(sys);
    mm_pfndb_destroy(&sys->pfn);
    if (!sys->phys)
        mm_os_pool_destroy(&sys->pool);
}

uint64_t mm_frames_free_or_zeroed(umm_system_t *sys)
{
    MM_ASSERT_HELD(&sys->lock);
    return mm_pfn_list_count(&sys->pfn, LIST_ZEROED) + mm_pfn_list_count(&sys->pfn, LIST_FREE);
}

uint64_t mm_frames_available(umm_system_t *sys)
{
    uint64_t n = mm_frames_free_or_zeroed(sys);
    for (int p = 0; p < STANDBY_PRIORITIES; p++)
        n += mm_pfn_list_count(&sys->pfn, (enum mm_list_id)(LIST_STANDBY0 + p));
    return n;
}

bool mm_frame_is_zero(umm_system_t *sys, mm_pfn_id_t f)
{
    MM_ASSERT_HELD(&sys->lock);
    const uint64_t *w = mm_frame_ptr(sys, f, MM_FRAME_READ);
    if (!w)
        return false; /* unknown: treat as data */
    size_t n = sys->page_size / sizeof *w;
    uint64_t acc = 0;
    for (size_t i = 0; i < n; i += 8) {
        acc |= w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7];
        if (acc)
            return false;
    }
    return true;
}

uint64_t mm_frames_available_private(umm_system_t *sys)
{
    MM_ASSERT_HELD(&sys->lock);
    if (!mm_frames_backend_shares(sys))
        return mm_frames_available(sys);
    uint64_t n = 0;
    for (int l = LIST_ZEROED; l < LIST_STANDBY0 + STANDBY_PRIORITIES; l++) /* as take_private */
        for (mm_pfn_id_t f = mm_pfn_list_head(&sys->pfn, (enum mm_list_id)l); f != PFN_NIL;
             f = mm_pfn_entry(&sys->pfn, f)->next)
            n += !mm_frame_backend_shared(sys, f);
    return n;
}

/* Shared Standby frames one search passes over before it settles for one of them. */
#define SHARED_SKIP 64

/* The Standby frame to repurpose: the oldest of the lowest-priority non-empty list, or PFN_NIL.
 * A guest passes over frames its host shares (repurposing one frees no host frame and undoes
 * the sharing): up to SHARED_SKIP of them move to the tail of their list, kept longest, and the
 * first private frame is taken; when there is none, the oldest shared one is. Each shared frame
 * is passed over once per trip through its list, so the search costs O(1) amortised. */
static mm_pfn_id_t standby_victim(umm_system_t *sys)
{
    mm_pfn_id_t oldest = PFN_NIL;
    unsigned skipped = 0;
    for (int p = 0; p < STANDBY_PRIORITIES; p++) {
        enum mm_list_id l = (enum mm_list_id)(LIST_STANDBY0 + p);
        for (uint64_t k = mm_pfn_list_count(&sys->pfn, l); k > 0; k--) {
            mm_pfn_id_t f = mm_pfn_list_head(&sys->pfn, l);
            if (oldest == PFN_NIL)
                oldest = f;
            if (!mm_frame_backend_shared(sys, f))
                return f;
            if (++skipped > SHARED_SKIP)
                return oldest;
            mm_pfn_unlink(&sys->pfn, f);
            mm_pfn_link_tail(&sys->pfn, f, l);
        }
    }
    return oldest;
}

bool mm_frames_spare_for_speculation(umm_system_t *sys, size_t n, size_t reserve, unsigned prio)
{
    uint64_t need = n + reserve;
    uint64_t have = mm_frames_free_or_zeroed(sys);
    for (unsigned p = 0; p <= prio && p < STANDBY_PRIORITIES && have < need; p++) {
        enum mm_list_id l = (enum mm_list_id)(LIST_STANDBY0 + p);
        for (mm_pfn_id_t f = mm_pfn_list_head(&sys->pfn, l); f != PFN_NIL && have < need;
             f = mm_pfn_entry(&sys->pfn, f)->next) {
            if ((mm_pfn_entry(&sys->pfn, f)->flags & PFN_F_READAHEAD) || mm_frame_backend_shared(sys, f))
                return false;
            have++;
        }
    }
    return have >= need;
}

/* Take a Standby frame away from the page that still names it: that page's PTE becomes a
 * paging-file PTE (its data is in its slot), keeping HW as a stale PROT_NONE mapping; an offered
 * page has no copy: it becomes demand-zero, marked as discarded. */
static void repurpose_standby(umm_system_t *sys, mm_pfn_id_t f)
{
    mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
    mm_vad_t *vad = mm_pfn_owner_vad(sys, f);
    bool offered = e->flags & PFN_F_OFFERED;
    UMM_ASSERT(vad && (e->slot != 0) != offered && !(e->flags & PFN_F_STALE_SLOT));
    mm_pte_t *pte = &vad->pte[e->index];
    UMM_ASSERT(mm_pte_format(*pte) == PTE_TRANSITION && mm_pte_num(*pte) == f);
    e->flags &= (uint16_t)~PFN_F_OFFERED;
    mm_pte_write(pte, (offered ? mm_pte_make(PTE_DEMAND_ZERO, mm_pte_prot(*pte), 0) | PTE_DISCARDED
                               : mm_pte_make(PTE_PAGEFILE, mm_pte_prot(*pte), e->slot - 1)) |
                          (*pte & PTE_HW));
    mm_vma_refresh(vad, e->index, e->index + 1);
    MM_COUNT(vad->proc, standby_repurposed, 1);
    mm_readahead_repurposed(vad, f);
    e->vad = 0;
    e->index = 0;
    e->slot = 0;
}

/* Take frame f off its list if it is Zeroed or Free; returns false otherwise. */
static bool take_if_free(umm_system_t *sys, mm_pfn_id_t f, bool *zeroed)
{
    enum mm_list_id l = mm_pfn_list(&sys->pfn, f);
    if (l != LIST_ZEROED && l != LIST_FREE)
        return false;
    *zeroed = (l == LIST_ZEROED);
    mm_pfn_unlink(&sys->pfn, f);
    mm_pfn_link_tail(&sys->pfn, f, LIST_ACTIVE);
    return true;
}

/* Take Standby frame f for a new use (Active, unowned). */
static void take_standby(umm_system_t *sys, mm_pfn_id_t f)
{
    repurpose_standby(sys, f);
    mm_pfn_move(&sys->pfn, f, LIST_ACTIVE);
}

static bool is_free(umm_system_t *sys, mm_pfn_id_t f)
{
    enum mm_list_id l = mm_pfn_list(&sys->pfn, f);
    return l == LIST_ZEROED || l == LIST_FREE;
}

/* May Standby frame f go with the oldest Standby frame (of priority `prio`) into one run? Only
 * from a list of no higher priority, never a page read ahead and not used yet (read-ahead does not
 * evict read-ahead) nor a guest's frame its host shares (standby_victim passes over those). */
static bool standby_run_member(umm_system_t *sys, mm_pfn_id_t f, int prio)
{
    enum mm_list_id l = mm_pfn_list(&sys->pfn, f);
    return prio >= 0 && mm_pfn_list_is_standby(l) && (int)(l - LIST_STANDBY0) <= prio &&
           !(mm_pfn_entry(&sys->pfn, f)->flags & PFN_F_READAHEAD) && !mm_frame_backend_shared(sys, f);
}

/* The frames around f that `member` accepts, up to `need` of them with f: where that run begins. */
static mm_pfn_id_t run_around(umm_system_t *sys, mm_pfn_id_t f, size_t need, int prio,
                              bool (*member)(umm_system_t *, mm_pfn_id_t, int))
{
    size_t up = 1;
    while (up < need && f + up < sys->pfn.nframes && member(sys, (mm_pfn_id_t)(f + up), prio))
        up++;
    size_t down = 0;
    while (up + down < need && f > down && member(sys, (mm_pfn_id_t)(f - down - 1), prio))
        down++;
    return (mm_pfn_id_t)(f - down);
}

static bool free_run_member(umm_system_t *sys, mm_pfn_id_t f, int prio)
{
    (void)prio;
    return is_free(sys, f);
}

/* Where a run of up to `need` consecutive frames to take begins, and *standby_prio: -1 for a run
 * of free frames, else the priority of the Standby frames it may repurpose. A run of free frames
 * ends at or starts at the head of Zeroed (else Free): frames freed together go to the head in
 * reverse (the last freed is the head), so the head is often the top of a free run. With none
 * free, the run is around the Standby frame repurposed next: the frames of pages trimmed together
 * are often consecutive, and taking its neighbours with it (a few places out of the list's
 * order, never above its priority) keeps a cluster's frames ascending too. Either way one kernel
 * mapping instead of one per page. PFN_NIL when there is nothing to take. */
static mm_pfn_id_t run_start(umm_system_t *sys, size_t need, int *standby_prio)
{
    *standby_prio = -1;
    mm_pfn_id_t f = mm_pfn_list_head(&sys->pfn, LIST_ZEROED);
    if (f == PFN_NIL)
        f = mm_pfn_list_head(&sys->pfn, LIST_FREE);
    if (f != PFN_NIL)
        return run_around(sys, f, need, -1, free_run_member);
    f = standby_victim(sys);
    if (f == PFN_NIL)
        return PFN_NIL;
    *standby_prio = (int)(mm_pfn_list(&sys->pfn, f) - LIST_STANDBY0);
    return run_around(sys, f, need, *standby_prio, standby_run_member);
}

int mm_frames_alloc(umm_system_t *sys, size_t n, mm_pfn_id_t hint, mm_pfn_id_t *out,
                 umm_process_t *for_proc, bool zero)
{
    MM_ASSERT_HELD(&sys->lock);
    if (UMM_FAILPOINT(FRAME_ALLOC) || mm_frames_available(sys) < n)
        return UMM_E_NO_FRAMES;
    mm_pfn_id_t want = hint;
    int standby_prio = -1; /* a run off Standby: the priority it may repurpose (run_start) */
    for (size_t i = 0; i < n; i++) {
        bool zeroed = false;
        if (!(want < sys->pfn.nframes &&
              (is_free(sys, want) || standby_run_member(sys, want, standby_prio))))
            want = run_start(sys, n - i, &standby_prio); /* some frame: n are available */
        UMM_ASSERT(want != PFN_NIL);
        mm_pfn_id_t f = want;
        if (!take_if_free(sys, f, &zeroed))
            take_standby(sys, f); /* the oldest Standby frame, or a member of its run */
        out[i] = f;
        if (zero && !zeroed) {
            void *bytes = mm_frame_ptr(sys, f, MM_FRAME_OVERWRITE);
            if (!bytes) { /* a guest's host could not back it: give back what we took */
                for (size_t k = i + 1; k-- > 0;)
                    mm_frame_release(sys, out[k], false);
                return UMM_E_NO_FRAMES;
            }
            memset(bytes, 0, sys->page_size);
            MM_COUNT(for_proc, pages_zeroed_in_fault, 1);
        }
        want = f + 1;
    }
    return UMM_OK;
}

int mm_frames_write_pool(umm_system_t *sys, const mm_pfn_id_t *frames, size_t n, const uint8_t *src)
{
    UMM_ASSERT(!sys->phys);
    for (size_t k = 0, run; k < n; k += run) {
        for (run = 1; k + run < n && frames[k + run] == frames[k] + run;)
            run++;
        int rc = mm_os_pool_write(&sys->pool, (size_t)frames[k] << sys->page_shift,
                                  src + (k << sys->page_shift), run << sys->page_shift);
        if (rc != UMM_OK)
            return rc;
    }
    return UMM_OK;
}

int mm_frames_fill(umm_system_t *sys, const mm_pfn_id_t *frames, size_t n, const uint8_t *src)
{
    MM_ASSERT_HELD(&sys->lock);
    if (!sys->phys)
        return mm_frames_write_pool(sys, frames, n, src);
    for (size_t k = 0; k < n; k++) {
        uint8_t *bytes = mm_frame_ptr(sys, frames[k], MM_FRAME_OVERWRITE);
        if (!bytes)
            return UMM_E_NO_FRAMES;
        memcpy(bytes, src + k * sys->page_size, sys->page_size);
    }
    return UMM_OK;
}

/* Take f (on Zeroed, Free or Standby) for the caller: Active and unowned. */
static void take_listed(umm_system_t *sys, mm_pfn_id_t f)
{
    bool zeroed;
    if (!take_if_free(sys, f, &zeroed)) {
        repurpose_standby(sys, f);
        mm_pfn_move(&sys->pfn, f, LIST_ACTIVE);
    }
}

size_t mm_frames_take_private(umm_system_t *sys, size_t n, mm_pfn_id_t *out)
{
    MM_ASSERT_HELD(&sys->lock);
    size_t got = 0;
    /* Zeroed, Free, then Standby by priority: list ids 0 .. LIST_STANDBY0 + 7, in order */
    for (int l = LIST_ZEROED; l < LIST_STANDBY0 + STANDBY_PRIORITIES && got < n; l++)
        for (mm_pfn_id_t f = mm_pfn_list_head(&sys->pfn, (enum mm_list_id)l), next;
             f != PFN_NIL && got < n; f = next) {
            next = mm_pfn_entry(&sys->pfn, f)->next;
            if (mm_frame_backend_shared(sys, f))
                continue;
            take_listed(sys, f);
            out[got++] = f;
        }
    return got;
}

void mm_frame_drop_copy(umm_system_t *sys, mm_pfn_id_t f)
{
    MM_ASSERT_HELD(&sys->lock);
    mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
    if (e->slot) {
        if (!mm_frame_in_file(sys, f)) /* a file's page is its slot: nothing to free */
            mm_stores_free(&sys->stores, e->slot - 1);
        e->slot = 0;
    }
    mm_frame_slot_fresh(sys, f);
}

void mm_frame_stale_copy(umm_system_t *sys, mm_pfn_id_t f)
{
    MM_ASSERT_HELD(&sys->lock);
    mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
    if (e->flags & PFN_F_STALE_SLOT)
        return;
    uint64_t used = mm_stores_used(&sys->stores), slots = mm_stores_slots(&sys->stores);
    if (e->slot && !mm_frame_in_file(sys, f) && used * 8 <= slots * 7) {
        e->flags |= PFN_F_STALE_SLOT;
        sys->stale_slots++;
    } else {
        mm_frame_drop_copy(sys, f);
    }
}

void mm_frame_slot_fresh(umm_system_t *sys, mm_pfn_id_t f)
{
    MM_ASSERT_HELD(&sys->lock);
    mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
    if (e->flags & PFN_F_STALE_SLOT) {
        UMM_ASSERT(sys->stale_slots > 0);
        sys->stale_slots--;
        e->flags &= (uint16_t)~PFN_F_STALE_SLOT;
    }
}

uint64_t mm_frames_free_stale_slots(umm_system_t *sys)
{
    MM_ASSERT_HELD(&sys->lock);
    uint64_t freed = 0;
    for (mm_pfn_id_t f = 0; sys->stale_slots > 0 && f < sys->pfn.nframes; f++) {
        const mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
        if ((e->flags & PFN_F_STALE_SLOT) && !(e->flags & PFN_F_IO)) {
            mm_frame_drop_copy(sys, f);
            freed++;
        }
    }
    return freed;
}

bool mm_frame_has_copy(umm_system_t *sys, mm_pfn_id_t f)
{
    const mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
    return e->slot != 0 && !(e->flags & PFN_F_STALE_SLOT);
}

void mm_frame_release(umm_system_t *sys, mm_pfn_id_t f, bool known_zero)
{
    MM_ASSERT_HELD(&sys->lock);
#if defined(UMM_DEBUG) && UMM_DEBUG
    /* The promise behind the Zeroed list (a frame there gives a fresh page zeros): checked at
     * every release, naming the caller, since a broken one hands one page's data to another. */
    if (known_zero && !sys->phys && !mm_frame_is_zero(sys, f)) {
        mm_sigsafe_hex("frame released as zero holds data; caller ", (uintptr_t)__builtin_return_address(0));
        mm_assert_fail("known_zero frame holds zeros", __FILE__, __LINE__);
    }
#endif
    mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
    mm_frame_drop_copy(sys, f);
    e->vad = 0;
    e->index = 0;
    e->slot = 0;
    e->flags = 0;
    /* At the head: the next allocation takes the frames just freed, in order, so a run freed
     * together is handed out together again and its mappings stay one VMA. Callers free runs
     * from the last frame to the first for that reason. */
    mm_pfn_unlink(&sys->pfn, f);
    mm_pfn_link_head(&sys->pfn, f, known_zero ? LIST_ZEROED : LIST_FREE);
}

void mm_frame_set_owner(umm_system_t *sys, mm_pfn_id_t f, const mm_vad_t *vad, size_t index)
{
    MM_ASSERT_HELD(&sys->lock);
    mm_pfn_t *e = mm_pfn_entry(&sys->pfn, f);
    if (e->list != LIST_ACTIVE)
        mm_pfn_move(&sys->pfn, f, LIST_ACTIVE);
    e->vad = vad->id + 1;
    e->index = (uint32_t)index;
}

void mm_frame_discard_standby(umm_system_t *sys, mm_pfn_id_t f)
{
    MM_ASSERT_HELD(&sys->lock);
    repurpose_standby(sys, f);
    mm_pfn_move(&sys->pfn, f, LIST_ACTIVE);
    mm_frame_release(sys, f, false);
}

int umm_standby_purge(umm_system_t *sys, unsigned max_priority, uint64_t *purged)
{
    HANDLE_CHECK(sys, HANDLE_SYSTEM);
    if (max_priority >= STANDBY_PRIORITIES)
        return UMM_E_INVAL;
    uint64_t n = 0;
    mm_lock(&sys->lock);
    for (unsigned p = 0; p <= max_priority; p++)
        for (mm_pfn_id_t f; (f = mm_pfn_list_head(&sys->pfn, (enum mm_list_id)(LIST_STANDBY0 + p))) != PFN_NIL; n++)
            mm_frame_discard_standby(sys, f);
    mm_unlock(&sys->lock);
    if (purged)
        *purged = n;
    return UMM_OK;
}
