/* SPDX-License-Identifier: MIT */
/* pfn.c - the PFN database and its intrusive page lists. */
#include "pfn.h"

#include "assert.h"

#include <stdlib.h>

int mm_pfndb_init(mm_pfndb_t *db, uint64_t nframes, enum mm_list_id initial)
{
    if (nframes == 0 || nframes >= PFN_NIL)
        return -1;
    db->e = calloc(nframes, sizeof *db->e);
    if (!db->e)
        return -1;
    db->nframes = nframes;
    for (int l = 0; l < LIST_COUNT_; l++)
        db->lists[l] = (mm_list_t){PFN_NIL, PFN_NIL, 0};
    for (uint64_t f = 0; f < nframes; f++)
        mm_pfn_link_tail(db, (mm_pfn_id_t)f, initial);
    return 0;
}

void mm_pfndb_destroy(mm_pfndb_t *db)
{
    free(db->e);
    db->e = NULL;
    db->nframes = 0;
}

void mm_pfn_unlink(mm_pfndb_t *db, mm_pfn_id_t f)
{
    mm_pfn_t *e = &db->e[f];
    mm_list_t *l = &db->lists[e->list];
    UMM_ASSERT(l->count > 0);
    l->count--;
    if (e->list == LIST_ACTIVE)
        return;
    if (e->prev != PFN_NIL)
        db->e[e->prev].next = e->next;
    else
        l->head = e->next;
    if (e->next != PFN_NIL)
        db->e[e->next].prev = e->prev;
    else
        l->tail = e->prev;
    e->next = e->prev = PFN_NIL;
}

static void link_at(mm_pfndb_t *db, mm_pfn_id_t f, enum mm_list_id list, bool at_head)
{
    mm_pfn_t *e = &db->e[f];
    mm_list_t *l = &db->lists[list];
    bool was_active = e->list == LIST_ACTIVE; /* unlink leaves list as it was */
    /* a pinned or locked frame stays Active: linking it would overwrite its counts */
    UMM_ASSERT(list == LIST_ACTIVE || !was_active || (e->pins == 0 && e->locks == 0));
    e->list = (uint8_t)list;
    l->count++;
    if (was_active && list != LIST_ACTIVE)
        e->flags &= (uint16_t)~PFN_F_READ_BACK; /* an Active-only mark */
    if (list == LIST_ACTIVE) {
        if (!was_active) { /* the word held a link: the counts start at 0 */
            e->next = PFN_NIL;
            e->pins = e->locks = 0;
        }
        return;
    }
    if (at_head) {
        e->prev = PFN_NIL;
        e->next = l->head;
        if (l->head != PFN_NIL)
            db->e[l->head].prev = f;
        else
            l->tail = f;
        l->head = f;
    } else {
        e->next = PFN_NIL;
        e->prev = l->tail;
        if (l->tail != PFN_NIL)
            db->e[l->tail].next = f;
        else
            l->head = f;
        l->tail = f;
    }
}

void mm_pfn_link_tail(mm_pfndb_t *db, mm_pfn_id_t f, enum mm_list_id list)
{
    link_at(db, f, list, false);
}

void mm_pfn_link_head(mm_pfndb_t *db, mm_pfn_id_t f, enum mm_list_id list)
{
    link_at(db, f, list, true);
}

/* O(lists): the cheap half of the invariant, asserted on every move in debug builds. */
static bool counts_add_up(const mm_pfndb_t *db)
{
    uint64_t total = 0;
    for (int l = 0; l < LIST_COUNT_; l++)
        total += db->lists[l].count;
    return total == db->nframes;
}

void mm_pfn_move(mm_pfndb_t *db, mm_pfn_id_t f, enum mm_list_id list)
{
    mm_pfn_unlink(db, f);
    mm_pfn_link_tail(db, f, list);
    UMM_ASSERT(counts_add_up(db));
}

static bool list_consistent(const mm_pfndb_t *db, enum mm_list_id list)
{
    const mm_list_t *l = &db->lists[list];
    uint64_t n = 0;
    mm_pfn_id_t prev = PFN_NIL;
    for (mm_pfn_id_t f = l->head; f != PFN_NIL; f = db->e[f].next) {
        if (f >= db->nframes || db->e[f].list != list || db->e[f].prev != prev || ++n > l->count)
            return false;
        bool unowned = list == LIST_ZEROED || list == LIST_FREE || list == LIST_BAD ||
                       list == LIST_ZEROING;
        if (unowned && (db->e[f].vad != 0 || db->e[f].slot != 0))
            return false;
        prev = f;
    }
    return n == l->count && l->tail == prev;
}

/* Every frame's list field names a list (or Active) whose count includes it: the frames that
 * claim each list are exactly its count. (Walking the lists alone misses a frame that claims a
 * list it is not linked on, which the allocator would then take.) */
static bool claims_match_counts(const mm_pfndb_t *db)
{
    uint64_t claims[LIST_COUNT_] = {0};
    for (uint64_t f = 0; f < db->nframes; f++) {
        if (db->e[f].list >= LIST_COUNT_)
            return false;
        claims[db->e[f].list]++;
    }
    for (int l = 0; l < LIST_COUNT_; l++)
        if (claims[l] != db->lists[l].count)
            return false;
    return true;
}

bool mm_pfndb_check(const mm_pfndb_t *db)
{
    for (int l = 0; l < LIST_COUNT_; l++)
        if (l != LIST_ACTIVE && !list_consistent(db, (enum mm_list_id)l))
            return false;
    return counts_add_up(db) && claims_match_counts(db);
}

const char *mm_pfn_list_name(enum mm_list_id list)
{
    static const char *const names[LIST_COUNT_] = {
        "zeroed", "free", "standby0", "standby1", "standby2", "standby3", "standby4",
        "standby5", "standby6", "standby7", "modified", "modified-nowrite", "bad", "zeroing", "active"};
    return list < LIST_COUNT_ ? names[list] : "invalid";
}
