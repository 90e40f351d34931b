/* frames.c - the RAM pool and frame allocation (see frames.h). */
#define _GNU_SOURCE
#include "handle.h"
#include "frames.h"

#include "assert.h"
#include "failpoint.h"
#include "hwmap.h"
#include "section.h"
#include "vma.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int frames_pool_create(umm_system_t *sys)
{
    size_t bytes = sys->cfg.ram_bytes;
    if (sys->phys) /* a guest: frames are guest-physical, backed by the host on demand */
        return umm_pfndb_init(&sys->pfn, bytes >> sys->page_shift, LIST_ZEROED) == 0 ? UMM_OK
                                                                                 : UMM_E_NOMEM;
    sys->pool_fd = memfd_create("umm-ram", MFD_CLOEXEC);
    if (sys->pool_fd < 0)
        return UMM_E_OS;
    /* Populate now: the frames are the machine's RAM, real from the start, and a budget the
     * host cannot honour fails here rather than on some later fault. */
    if (ftruncate(sys->pool_fd, (off_t)bytes) != 0 || fallocate(sys->pool_fd, 0, 0, (off_t)bytes) != 0)
        goto fail;
    /* Populated now too: otherwise the first zeroing or check of each frame through the view
     * pays a kernel minor fault (the zero page thread ran 10x slower on a cold view). */
    sys->physview = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                         sys->pool_fd, 0);
    if (sys->physview == MAP_FAILED) {
        sys->physview = NULL;
        goto fail;
    }
    if (umm_pfndb_init(&sys->pfn, bytes >> sys->page_shift, LIST_ZEROED) != 0) {
        munmap(sys->physview, bytes);
        sys->physview = NULL;
        close(sys->pool_fd);
        sys->pool_fd = -1;
        return UMM_E_NOMEM;
    }
    return UMM_OK;
fail:
    close(sys->pool_fd);
    sys->pool_fd = -1;
    return UMM_E_NOMEM;
}

void frames_pool_destroy(umm_system_t *sys)
{
    umm_pfndb_destroy(&sys->pfn);
    if (sys->physview)
        munmap(sys->physview, sys->cfg.ram_bytes);
    if (sys->pool_fd >= 0)
        close(sys->pool_fd);
    sys->physview = NULL;
    sys->pool_fd = -1;
}

uint64_t frames_available(umm_system_t *sys)
{
    uint64_t n = pfn_list_count(&sys->pfn, LIST_ZEROED) + pfn_list_count(&sys->pfn, LIST_FREE);
    for (int p = 0; p < STANDBY_PRIORITIES; p++)
        n += pfn_list_count(&sys->pfn, (enum umm_list_id)(LIST_STANDBY0 + p));
    return n;
}

bool frame_is_zero(umm_system_t *sys, umm_pfn_id_t f)
{
    const uint64_t *w = frame_ptr(sys, f, false);
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

/* The oldest frame of the lowest-priority non-empty Standby list, or PFN_NIL. */
static umm_pfn_id_t standby_victim(umm_system_t *sys)
{
    for (int p = 0; p < STANDBY_PRIORITIES; p++) {
        umm_pfn_id_t f = pfn_list_head(&sys->pfn, (enum umm_list_id)(LIST_STANDBY0 + p));
        if (f != PFN_NIL)
            return f;
    }
    return PFN_NIL;
}

/* Take a Standby frame away from the page that still names it: that page's PTE becomes a
 * paging-file PTE (its data is in its slot), keeping HW as a stale PROT_NONE mapping. */
static void repurpose_standby(umm_system_t *sys, umm_pfn_id_t f)
{
    umm_pfn_t *e = pfn_entry(&sys->pfn, f);
    umm_vad_t *vad = pfn_owner_vad(sys, f);
    UMM_ASSERT(vad && e->slot != 0);
    umm_pte_t *pte = &vad->pte[e->index];
    UMM_ASSERT(pte_format(*pte) == PTE_TRANSITION && pte_num(*pte) == f);
    pte_write(pte, pte_make(PTE_PAGEFILE, pte_prot(*pte), e->slot - 1) | (*pte & PTE_HW));
    vma_refresh(vad, e->index, e->index + 1);
    UMM_COUNT(vad->proc, standby_repurposed, 1);
    e->vad = 0;
    e->index = 0;
    e->slot = 0;
}

/* Take frame f off its list if it is Zeroed or Free; returns false otherwise. */
static bool take_if_free(umm_system_t *sys, umm_pfn_id_t f, bool *zeroed)
{
    enum umm_list_id l = pfn_list(&sys->pfn, f);
    if (l != LIST_ZEROED && l != LIST_FREE)
        return false;
    *zeroed = (l == LIST_ZEROED);
    pfn_unlink(&sys->pfn, f);
    pfn_link_tail(&sys->pfn, f, LIST_ACTIVE);
    return true;
}

static umm_pfn_id_t take_any(umm_system_t *sys, bool *zeroed)
{
    umm_pfn_id_t f = pfn_list_head(&sys->pfn, LIST_ZEROED);
    if (f == PFN_NIL)
        f = pfn_list_head(&sys->pfn, LIST_FREE);
    if (f != PFN_NIL) {
        take_if_free(sys, f, zeroed);
        return f;
    }
    f = standby_victim(sys);
    if (f == PFN_NIL)
        return PFN_NIL;
    repurpose_standby(sys, f);
    pfn_move(&sys->pfn, f, LIST_ACTIVE);
    *zeroed = false;
    return f;
}

static bool is_free(umm_system_t *sys, umm_pfn_id_t f)
{
    enum umm_list_id l = pfn_list(&sys->pfn, f);
    return l == LIST_ZEROED || l == LIST_FREE;
}

/* Where a run of up to `need` consecutive free frames that ends at or starts at the head of
 * Zeroed (else Free) begins. Frames freed together go to the head in reverse (the last freed is
 * the head), so the head is often the top of a free run: starting below it keeps a cluster's
 * frames ascending, one kernel mapping instead of one per page. PFN_NIL when both are empty. */
static umm_pfn_id_t run_start(umm_system_t *sys, size_t need)
{
    umm_pfn_id_t f = pfn_list_head(&sys->pfn, LIST_ZEROED);
    if (f == PFN_NIL)
        f = pfn_list_head(&sys->pfn, LIST_FREE);
    if (f == PFN_NIL)
        return PFN_NIL;
    size_t up = 1;
    while (up < need && f + up < sys->pfn.nframes && is_free(sys, (umm_pfn_id_t)(f + up)))
        up++;
    size_t down = 0;
    while (up + down < need && f > down && is_free(sys, (umm_pfn_id_t)(f - down - 1)))
        down++;
    return (umm_pfn_id_t)(f - down);
}

int frames_alloc(umm_system_t *sys, size_t n, umm_pfn_id_t hint, umm_pfn_id_t *out,
                 umm_process_t *for_proc, bool zero)
{
    if (UMM_FAILPOINT(FRAME_ALLOC) || frames_available(sys) < n)
        return UMM_E_NO_FRAMES;
    umm_pfn_id_t want = hint;
    for (size_t i = 0; i < n; i++) {
        bool zeroed = false;
        umm_pfn_id_t f = PFN_NIL;
        if (!(want < sys->pfn.nframes && is_free(sys, want)))
            want = run_start(sys, n - i);
        if (want != PFN_NIL && take_if_free(sys, want, &zeroed))
            f = want;
        else
            f = take_any(sys, &zeroed);
        UMM_ASSERT(f != PFN_NIL);
        out[i] = f;
        if (zero && !zeroed) {
            void *bytes = frame_ptr(sys, f, true);
            if (!bytes) { /* a guest's host could not back it: give back what we took */
                for (size_t k = i + 1; k-- > 0;)
                    frame_release(sys, out[k], false);
                return UMM_E_NO_FRAMES;
            }
            memset(bytes, 0, sys->page_size);
            UMM_COUNT(for_proc, pages_zeroed_in_fault, 1);
        }
        want = f + 1;
    }
    return UMM_OK;
}

void frame_drop_copy(umm_system_t *sys, umm_pfn_id_t f)
{
    umm_pfn_t *e = pfn_entry(&sys->pfn, f);
    if (e->slot) {
        pagefile_free(&sys->pf, e->slot - 1);
        e->slot = 0;
    }
}

void frame_release(umm_system_t *sys, umm_pfn_id_t f, bool known_zero)
{
    umm_pfn_t *e = pfn_entry(&sys->pfn, f);
    frame_drop_copy(sys, f);
    e->vad = 0;
    e->index = 0;
    e->slot = 0;
    e->flags = 0;
    /* At the head: the next allocation takes the frames just freed, in order, so a run freed
     * together is handed out together again and its mappings stay one VMA. Callers free runs
     * from the last frame to the first for that reason. */
    pfn_unlink(&sys->pfn, f);
    pfn_link_head(&sys->pfn, f, known_zero ? LIST_ZEROED : LIST_FREE);
}

void frame_invalidate(umm_system_t *sys, umm_pfn_id_t f)
{
    umm_vad_t *vad = pfn_owner_vad(sys, f);
    if (!vad)
        return;
    size_t i = pfn_entry(&sys->pfn, f)->index;
    if (vad->proto_of) { /* a section's frame: mapped by its views, not by its owner */
        section_invalidate_frame(vad->proto_of, f, i);
        return;
    }
    umm_pte_t p = vad->pte[i];
    if (!pte_has_frame(p) || pte_num(p) != f || !pte_mapped(p))
        return;
    if (hw_unmap(sys, vad_page_addr(vad, i, sys->page_shift), 1) == 0)
        vad_pte_write(vad, i, p & ~(PTE_HW | PTE_HW_RO));
    vma_refresh(vad, i, i + 1);
}

void frame_set_owner(umm_system_t *sys, umm_pfn_id_t f, const umm_vad_t *vad, size_t index)
{
    umm_pfn_t *e = pfn_entry(&sys->pfn, f);
    if (e->list != LIST_ACTIVE)
        pfn_move(&sys->pfn, f, LIST_ACTIVE);
    e->vad = vad->id + 1;
    e->index = (uint32_t)index;
}

int umm_standby_purge(umm_system_t *sys, unsigned max_priority, uint64_t *purged)
{
    HANDLE_CHECK(sys, HANDLE_SYSTEM);
    if (max_priority >= STANDBY_PRIORITIES)
        return UMM_E_INVAL;
    uint64_t n = 0;
    umm_lock(&sys->lock);
    for (unsigned p = 0; p <= max_priority; p++)
        for (umm_pfn_id_t f; (f = pfn_list_head(&sys->pfn, (enum umm_list_id)(LIST_STANDBY0 + p))) != PFN_NIL; n++) {
            repurpose_standby(sys, f);
            pfn_move(&sys->pfn, f, LIST_ACTIVE);
            frame_release(sys, f, false);
        }
    umm_unlock(&sys->lock);
    if (purged)
        *purged = n;
    return UMM_OK;
}
