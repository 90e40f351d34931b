/* SPDX-License-Identifier: MIT */
/* dirtypredict.c - mapping pages read back dirty at once when their VAD's pages mostly are
 * written soon after (see dirtypredict.h). */
#include "dirtypredict.h"

#include "assert.h"

static bool applies(const mm_vad_t *vad)
{
    return !vad->section && !vad->proto_of && !vad->write_watch && !vad->proc->sys->phys;
}

bool mm_dirtypredict_write(mm_vad_t *vad)
{
    MM_ASSERT_HELD(&vad->proc->sys->lock);
    mm_dirtypredict_t *d = &vad->dirty;
    UMM_ASSERT(d->mapped_clean < DIRTYPREDICT_WINDOW);
    if (!d->eager || !applies(vad))
        return false;
    return ++d->faults % DIRTYPREDICT_SAMPLE != 0; /* the sample maps clean and measures */
}

void mm_dirtypredict_mapped_clean(mm_vad_t *vad, size_t n)
{
    MM_ASSERT_HELD(&vad->proc->sys->lock);
    mm_dirtypredict_t *d = &vad->dirty;
    if (n == 0)
        return;
    d->mapped_clean += (uint32_t)n;
    if (d->mapped_clean < DIRTYPREDICT_WINDOW)
        return;
    d->eager = 4 * d->dirtied >= 3 * d->mapped_clean;
    d->mapped_clean = 0;
    d->dirtied = 0;
}

void mm_dirtypredict_dirtied(mm_vad_t *vad, mm_pfn_t *e)
{
    MM_ASSERT_HELD(&vad->proc->sys->lock);
    if (!(e->flags & PFN_F_READ_BACK))
        return; /* not brought back clean by a read fault (a zero page, a page mapped dirty) */
    e->flags &= (uint16_t)~PFN_F_READ_BACK;
    vad->dirty.dirtied++;
}
