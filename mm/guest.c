/* SPDX-License-Identifier: MIT */
/* guest.c - the door between the hypervisor and a guest's memory manager (see guest.h). */
#include "guest.h"

#include "balancer.h"
#include "commit.h"
#include "frames.h"
#include "hwmap.h"
#include "proto.h"
#include "system.h"
#include "vma.h"

int mm_guest_create(const umm_config_t *cfg, const mm_phys_ops_t *ops, void *ctx,
                    umm_system_t **out)
{
    if (!ops)
        return UMM_E_INVAL;
    return mm_system_create_with_phys(cfg, ops, ctx, out);
}

void *mm_guest_backend_ctx(umm_system_t *sys)
{
    return sys->phys_ctx;
}

void mm_guest_hold(umm_system_t *sys)
{
    mm_lock(&sys->lock);
}

bool mm_guest_try_hold(umm_system_t *sys)
{
    return mm_trylock(&sys->lock);
}

void mm_guest_release(umm_system_t *sys)
{
    mm_unlock(&sys->lock);
}

bool mm_guest_is_held(umm_system_t *sys)
{
    return mm_lock_held(&sys->lock);
}

/* The PTE that maps frame f where its owner lives, or NULL (unowned, or a section's frame, which
 * its views map). */
static mm_pte_t *owner_pte(umm_system_t *sys, mm_pfn_id_t f, mm_vad_t **vadp)
{
    mm_vad_t *vad = mm_pfn_owner_vad(sys, f);
    if (!vad || vad->proto_of)
        return NULL;
    mm_pte_t *p = &vad->pte[mm_pfn_entry(&sys->pfn, f)->index];
    if (!mm_pte_has_frame(*p) || mm_pte_num(*p) != f)
        return NULL;
    *vadp = vad;
    return p;
}

void mm_guest_frame(umm_system_t *sys, uint32_t gfn, mm_guest_frame_t *out)
{
    MM_ASSERT_HELD(&sys->lock);
    const mm_pfn_t *e = mm_pfn_entry(&sys->pfn, gfn);
    enum mm_list_id l = (enum mm_list_id)e->list;
    mm_vad_t *vad;
    mm_pte_t *p = owner_pte(sys, gfn, &vad);
    bool valid = p && l == LIST_ACTIVE && mm_pte_format(*p) == PTE_VALID;
    *out = (mm_guest_frame_t){
        /* the zero page thread writes a Zeroing frame with the lock dropped */
        .busy = (e->flags & (PFN_F_IO | PFN_F_BALLOON)) != 0 || l == LIST_ZEROING,
        .mapped = valid && mm_pte_mapped(*p),
        .accessed = valid && (*p & PTE_ACCESSED),
        .free = l == LIST_ZEROED || l == LIST_FREE,
        .standby = mm_pfn_list_is_standby(l) && !(e->flags & PFN_F_OFFERED), /* no copy */
        .modified = l == LIST_MODIFIED || l == LIST_MODIFIED_NOWRITE,
        .has_copy = mm_frame_has_copy(sys, gfn),
        .locked = mm_pfn_pins(e) != 0 || mm_pfn_locks(e) != 0,
    };
}

void mm_guest_frame_discard(umm_system_t *sys, uint32_t gfn)
{
    MM_ASSERT_HELD(&sys->lock);
    const mm_pfn_t *e = mm_pfn_entry(&sys->pfn, gfn);
    UMM_ASSERT(mm_pfn_list_is_standby((enum mm_list_id)e->list) && e->slot != 0 &&
               !(e->flags & PFN_F_IO));
    (void)e; /* read by the debug check alone */
    mm_frame_discard_standby(sys, gfn);
}

void mm_guest_frame_unmap(umm_system_t *sys, uint32_t gfn)
{
    MM_ASSERT_HELD(&sys->lock);
    const mm_pfn_t *e = mm_pfn_entry(&sys->pfn, gfn);
    if (mm_pfn_pins(e) || mm_pfn_locks(e)) /* a locked or pinned page keeps its mapping */
        return;
    mm_vad_t *owner = mm_pfn_owner_vad(sys, gfn);
    if (owner && owner->proto_of) { /* a section's frame: mapped by its views */
        mm_proto_unmap_frame(owner->proto_of, gfn, mm_pfn_entry(&sys->pfn, gfn)->index);
        return;
    }
    mm_vad_t *vad;
    mm_pte_t *p = owner_pte(sys, gfn, &vad);
    if (!p || !mm_pte_mapped(*p))
        return;
    size_t i = (size_t)(p - vad->pte);
    if (mm_hw_unmap(sys, mm_vad_page_addr(vad, i, sys->page_shift), 1) == UMM_OK)
        mm_vad_pte_write(vad, i, *p & ~(PTE_HW | PTE_HW_RO));
    mm_vma_refresh(vad, i, i + 1);
}

size_t mm_guest_balloon_take(umm_system_t *sys, size_t n, uint32_t *frames, bool private_only)
{
    MM_ASSERT_HELD(&sys->lock);
    uint64_t avail = mm_frames_available(sys), keep = sys->low_pages;
    uint64_t room = sys->commit_limit > sys->committed ? sys->commit_limit - sys->committed : 0;
    size_t take = avail > keep ? (size_t)(avail - keep) : 0;
    take = take < n ? take : n;
    take = take < room ? take : (size_t)room;
    if (take == 0 || mm_commit_charge_system(sys, take) != UMM_OK)
        return 0;
    size_t got = mm_frames_take_private(sys, take, frames);
    if (!private_only && got < take &&
        mm_frames_alloc(sys, take - got, PFN_NIL, frames + got, NULL, false) == UMM_OK)
        got = take;
    mm_commit_uncharge_system(sys, take - got);
    for (size_t k = 0; k < got; k++)
        mm_pfn_entry(&sys->pfn, frames[k])->flags |= PFN_F_BALLOON;
    sys->ballooned += got;
    mm_system_set_thresholds(sys);
    return got;
}

uint64_t mm_guest_trim_private(umm_system_t *sys, uint64_t n, uint64_t *blocked)
{
    MM_ASSERT_HELD(&sys->lock);
    uint64_t avail = mm_frames_available(sys);
    *blocked = avail > sys->low_pages ? avail - sys->low_pages : 0;
    return mm_balancer_trim_private(sys, n < *blocked ? n : *blocked);
}

void mm_guest_balloon_give(umm_system_t *sys, const uint32_t *frames, size_t n)
{
    MM_ASSERT_HELD(&sys->lock);
    for (size_t k = 0; k < n; k++) {
        mm_pfn_entry(&sys->pfn, frames[k])->flags &= (uint16_t)~PFN_F_BALLOON;
        mm_frame_release(sys, frames[k], true); /* backed afresh by the host: reads as zeros */
    }
    mm_commit_uncharge_system(sys, n);
    UMM_ASSERT(sys->ballooned >= n);
    sys->ballooned -= n;
    mm_system_set_thresholds(sys);
}

bool mm_guest_frame_shared(umm_system_t *sys, uint32_t gfn)
{
    MM_ASSERT_HELD(&sys->lock);
    enum mm_list_id l = mm_pfn_list(&sys->pfn, gfn);
    if (mm_pfn_list_is_standby(l)) {
        mm_pfn_unlink(&sys->pfn, gfn);
        mm_pfn_link_tail(&sys->pfn, gfn, l);
    }
    return l == LIST_ZEROED || l == LIST_FREE || mm_pfn_list_is_standby(l);
}

void mm_guest_rebalance(umm_system_t *sys)
{
    mm_balancer_pass(sys, BAL_NO_AGING);
}
