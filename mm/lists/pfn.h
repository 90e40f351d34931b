/* SPDX-License-Identifier: MIT */
/* pfn.h - the PFN database: one entry per physical frame, and the Windows page lists.
 *
 * Every frame is in exactly one state: on one of the lists (Zeroed, Free, Standby[0..7],
 * Modified, ModifiedNoWrite, Bad, Zeroing) or Active (mapped by a VALID PTE, on no list). Lists are
 * intrusive doubly linked lists threaded through the entries by frame number, so insert and
 * remove are O(1) and cost no memory beyond the entry.
 *
 * Invariants (mm_pfndb_check, UMM_ASSERT in debug builds):
 *  - the counts of all lists plus Active add up to the number of frames;
 *  - a frame on a list is reachable from that list's head and its links are consistent;
 *  - a frame on Zeroed, Free, Zeroing or Bad has no owner (vad == 0) and no paging-file slot;
 *  - Zeroing holds the frames the zero page thread is clearing with the system lock dropped: free
 *    frames in transit to Zeroed, never allocated from, reported with Free in the statistics;
 *  - a frame that is Standby or Modified has an owner whose PTE at (vad, index) is TRANSITION and
 *    names this frame; an Active frame is named by a VALID PTE of its owner, except frames in
 *    transit (PFN_F_IO: being read in, named by a TRANSITION PTE) and
 *    frames held by a hypervisor guest's balloon (PFN_F_BALLOON, unowned);
 *  - a frame with pins or locks is Active: a pinned or locked page stays VALID and mapped.
 * The whole database is protected by the system lock. */
#ifndef UMM_PFN_H
#define UMM_PFN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t mm_pfn_id_t;
#define PFN_NIL UINT32_MAX

enum mm_list_id {
    LIST_ZEROED = 0,
    LIST_FREE = 1,
    LIST_STANDBY0 = 2, /* Standby priority p is LIST_STANDBY0 + p, p = 0..7 */
    LIST_MODIFIED = 10,
    LIST_MODIFIED_NOWRITE = 11,
    LIST_BAD = 12,
    LIST_ZEROING = 13, /* being zeroed by the zero page thread (lock dropped) */
    LIST_ACTIVE = 14,  /* not a list: the frame is mapped by a VALID PTE */
    LIST_COUNT_ = 15
};

#define STANDBY_PRIORITIES 8
#define STANDBY_DEFAULT_PRIORITY 5

enum mm_pfn_flag {
    PFN_F_IO = 1u << 0,      /* a paging read or write is in progress: the frame is pinned */
    PFN_F_BALLOON = 1u << 1, /* held by a hypervisor guest's balloon driver (Active, unowned) */
    PFN_F_MODIFIED = 1u << 2,/* a section frame written through some view since it was last
                                written out: it goes to Modified when no view maps it */
    PFN_F_OFFERED = 1u << 3, /* on Standby without a copy: offered (umm_offer) contents that are
                                never written out; repurposing it loses them (PTE_DISCARDED) */
    PFN_F_READAHEAD = 1u << 4, /* read ahead by a hard fault for a neighbour of the faulting page
                                  and not used since (Standby): a soft fault on it is a read-ahead
                                  hit, repurposing it a miss (mm/readahead.h) */
    PFN_F_STALE_SLOT = 1u << 5, /* slot (nonzero) stays reserved for the page though its copy is
                                   stale (written since): the writer writes the page back into it,
                                   so a stream's slots stay consecutive. Only on a dirty page:
                                   Active with PTE_DIRTY, on Modified, or a written section frame;
                                   never on Standby (mm/frames.h, mm_frame_stale_copy) */
    PFN_F_READ_BACK = 1u << 6,  /* Active only: a read fault brought the page back and mapped it
                                   clean; its first write (a dirty-bit fault) is evidence for its
                                   VAD's dirty prediction (mm/dirtypredict.h). Cleared when the
                                   frame leaves Active */
};

/* 24 bytes per frame (0.59 % of RAM at 4 KiB pages). A frame is either on a list (it needs
 * `prev`) or Active (it may be pinned or locked), never both, so the Active-only counts share the
 * word of `prev`: read them with mm_pfn_pins/mm_pfn_locks unless the frame is known to be Active
 * (for any other frame the word is a list link). Becoming Active zeroes them (link_at); leaving
 * Active with either non-zero breaks the invariant above and is asserted against. */
typedef struct mm_pfn {
    mm_pfn_id_t next;        /* list link while on a list */
    union {
        mm_pfn_id_t prev;    /* list link while on a list */
        struct {             /* while Active: */
            uint16_t pins;   /* probe-and-lock pins (an I/O of the program uses the page) */
            uint16_t locks;  /* PTEs with PTE_LOCKED that name it (VirtualLock) */
        };
    };
    uint32_t vad;            /* reverse map: owner VAD id + 1 (0: no owner) */
    uint32_t index;          /* reverse map: page index inside the owner VAD */
    uint32_t slot;           /* paging-file slot + 1 holding a copy (0: none), or reserved for
                                the page's next write (PFN_F_STALE_SLOT) */
    uint8_t list;            /* enum mm_list_id */
    uint8_t prio;            /* standby priority */
    uint16_t flags;          /* enum mm_pfn_flag */
} mm_pfn_t;

_Static_assert(sizeof(mm_pfn_t) == 24, "the PFN entry is the per-frame metadata (docs/performance.md)");

/* Pins and locks of any frame (0 for a frame on a list, whose word holds a link). */
static inline unsigned mm_pfn_pins(const mm_pfn_t *e)
{
    return e->list == LIST_ACTIVE ? e->pins : 0;
}
static inline unsigned mm_pfn_locks(const mm_pfn_t *e)
{
    return e->list == LIST_ACTIVE ? e->locks : 0;
}

typedef struct mm_list {
    mm_pfn_id_t head, tail;
    uint64_t count;
} mm_list_t;

typedef struct mm_pfndb {
    mm_pfn_t *e;
    uint64_t nframes;
    mm_list_t lists[LIST_COUNT_]; /* LIST_ACTIVE uses only count */
} mm_pfndb_t;

/* All frames start on `initial` (Zeroed for a fresh memfd pool), in frame order. */
int mm_pfndb_init(mm_pfndb_t *db, uint64_t nframes, enum mm_list_id initial);
void mm_pfndb_destroy(mm_pfndb_t *db);

static inline mm_pfn_t *mm_pfn_entry(mm_pfndb_t *db, mm_pfn_id_t f) { return &db->e[f]; }
static inline enum mm_list_id mm_pfn_list(const mm_pfndb_t *db, mm_pfn_id_t f)
{
    return (enum mm_list_id)db->e[f].list;
}

/* Remove f from the list it is on (or from Active). */
void mm_pfn_unlink(mm_pfndb_t *db, mm_pfn_id_t f);
void mm_pfn_link_tail(mm_pfndb_t *db, mm_pfn_id_t f, enum mm_list_id list);
void mm_pfn_link_head(mm_pfndb_t *db, mm_pfn_id_t f, enum mm_list_id list);
/* Move f from wherever it is to `list` (tail, FIFO order). */
void mm_pfn_move(mm_pfndb_t *db, mm_pfn_id_t f, enum mm_list_id list);
/* Head of a list or PFN_NIL. */
static inline mm_pfn_id_t mm_pfn_list_head(const mm_pfndb_t *db, enum mm_list_id list)
{
    return db->lists[list].head;
}
static inline uint64_t mm_pfn_list_count(const mm_pfndb_t *db, enum mm_list_id list)
{
    return db->lists[list].count;
}
static inline bool mm_pfn_list_is_standby(enum mm_list_id l)
{
    return l >= LIST_STANDBY0 && l < LIST_STANDBY0 + STANDBY_PRIORITIES;
}

/* Verify the list invariants above (not the PTE cross-check: see check.c). O(frames). */
bool mm_pfndb_check(const mm_pfndb_t *db);
const char *mm_pfn_list_name(enum mm_list_id list);

#endif
