/* SPDX-License-Identifier: MIT */
/* state.h - the data of a umm system (a machine: physical memory, its processes), of its
 * processes, reservations (VADs) and sections: the structures, their invariants and small inline
 * accessors, no behaviour. Every module builds on it; nothing in it calls up.
 *
 * Locking: one lock per system (sys->lock, Windows' PFN lock) protects everything reachable from
 * the system: the PFN database and lists, every PTE of every VAD of its processes, the VAD table,
 * the counters. The global address registry (registry.c) has its own lock, always taken before a
 * system lock. umm code never touches managed memory while holding either lock. */
#ifndef UMM_STATE_H
#define UMM_STATE_H

#include "counters.h"
#include "lock.h"
#include "os.h"
#include "store.h"
#include "pfn.h"
#include "phys.h"
#include "pte.h"
#include "umm.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mm_vad mm_vad_t;
typedef struct umm_section umm_section_t;


typedef struct mm_workers mm_workers_t;
typedef struct mm_writepool mm_writepool_t;

typedef struct umm_notification umm_notification_t;

/* The read window of a VAD's hard faults, adapted to whether read-ahead pages get used (as
 * Linux's VMA-based swap readahead does; mm/readahead.c). Invariant: 1 <= window <= the system's
 * cluster_pages once the VAD has taken a hard fault (0 before: none chosen yet); hits counts the
 * read-ahead pages soft-faulted since the last hard fault of this VAD; stream_faults is 0 unless
 * stream is set. System lock. */
typedef struct mm_readahead {
    uint32_t window; /* pages the last hard fault read (its aligned window) */
    uint32_t hits;   /* read-ahead pages used since the last hard fault */
    bool stream;     /* the last hard fault continued a stream: it maps what it read */
    bool descending; /* that stream runs towards lower pages */
    uint32_t stream_faults; /* hard faults in a row that continued the stream (0: none) */
    size_t next;     /* the page after the last read: a fault there (or past resident pages from there) continues a stream */
    size_t prev;     /* the first page of the last read: a fault just below it, a descending one */
} mm_readahead_t;

/* Whether a VAD's pages read back are soon written (mm/dirtypredict.h). Invariant: mapped_clean <
 * DIRTYPREDICT_WINDOW between faults (a full window is judged and restarted); `eager` is the
 * last window's verdict (dirtied >= three quarters of mapped_clean). System lock. */
typedef struct mm_dirtypredict {
    uint32_t mapped_clean; /* pages read faults mapped clean in this window */
    uint32_t dirtied;      /* dirty-bit faults in this window */
    uint32_t faults;       /* read faults while eager: every DIRTYPREDICT_SAMPLE-th maps clean */
    bool eager;            /* read faults map dirty at once */
} mm_dirtypredict_t;

/* Warm read buffers (mm/readbuf.h). Invariant: mem holds MM_READBUF_COUNT buffers of `bytes`
 * each (NULL and 0: none, for a guest); bit b of busy is set exactly while buffer b is lent to a
 * hard fault's read. System lock. */
#define MM_READBUF_COUNT 4
typedef struct mm_readbufs {
    uint8_t *mem;
    size_t bytes;
    uint32_t busy;
} mm_readbufs_t;

/* A reservation (Virtual Address Descriptor) with its own page table: a flat array of one PTE
 * per page, bracketed by two PTE_NONE sentinels so pte[-1] and pte[npages] can always be read.
 * Invariant: start and end are multiples of UMM_RESERVE_GRANULARITY, npages = (end-start)/page;
 * bbits[i] == mm_vma_is_boundary(i) for every pair and `boundaries` counts the set bits (the kernel
 * mappings this reservation needs are 1 + boundaries); `committed` counts committed PTEs;
 * chunk_valid[c] counts the VALID PTEs of pages [64c, 64c + 64) (kept by mm_vad_pte_write, so
 * walking a working set costs what it holds plus 1/64 of what is reserved). */
struct mm_vad {
    uintptr_t start, end;
    size_t npages;
    int prot;                /* protection given at reserve time */
    uint32_t id;             /* index in sys->vads */
    umm_process_t *proc;
    mm_pte_t *pte;          /* pte[0 .. npages-1], with pte[-1] == pte[npages] == PTE_NONE */
    mm_pte_t *pte_alloc;    /* the allocation behind pte */
    uint64_t boundaries;
    uint64_t *bbits;         /* bit i: pages i and i+1 need separate kernel mappings */
    uint8_t *chunk_valid;    /* per 64 pages: how many are VALID (walks skip empty chunks) */
    uint64_t committed;
    bool releasing;          /* umm_release has claimed it: no other call may use it */
    bool write_watch;        /* MEM_WRITE_WATCH: committed pages carry MM_PROT_WATCH until written */
    uint32_t io_pending;     /* hard faults through it reading with the lock dropped: releasing
                                it waits until none is left */
    mm_readahead_t ra;       /* the read window its hard faults adapt (mm/readahead.h) */
    mm_dirtypredict_t dirty; /* whether its read faults map dirty at once (mm/dirtypredict.h) */
    mm_vad_t *next_in_proc; /* the process's VADs, unordered */
    umm_section_t *section;  /* a view: the section it maps (its PTEs are PROTOTYPE or VALID) */
    size_t sec_first;        /* a view: page i is the section's page sec_first + i ... */
    size_t sec_pages;        /* ... for i < sec_pages; the pages after are its uncommitted tail */
    bool copy_on_write;      /* a view mapped UMM_PROT_WRITECOPY: written pages are its own (cow.h) */
    umm_section_t *proto_of; /* a section's prototype PTEs (no address range, not registered) */
    mm_vad_t *next_view;    /* the section's views */
};

/* Invariant: ws_size = VALID PTEs over its VADs; committed = committed PTEs over its VADs;
 * locked_pages = PTEs with PTE_LOCKED over its VADs <= ws_min when they were locked. */
struct umm_process {
    umm_system_t *sys;
    mm_vad_t *vads;
    uint64_t nvads;
    uint64_t ws_size, ws_peak, committed;
    uint64_t locked_pages; /* pages locked in its working set (umm_lock) */
    uint64_t vma_count; /* sum over its VADs of 1 + boundaries */
    mm_counters_t ctr;
    uint32_t clock_vad;   /* clock hand for trimming: VAD id and page */
    size_t clock_page;
    size_t ws_min, ws_max;/* working-set limits (pages) */
    unsigned ws_flags;    /* UMM_WS_HARD_MAX */
    uint8_t priority;     /* standby priority of its trimmed pages */
    umm_process_t *next, *prev;
};

struct umm_system {
    mm_lock_t lock;
    size_t page_size;
    unsigned page_shift;
    unsigned cluster_pages;
    unsigned vma_budget;
    umm_config_t cfg;

    mm_os_pool_t pool; /* the RAM: frame f is the page at offset f << page_shift; pool.view maps
                          it all once, read-write (the physical view). No pool for a guest. */
    mm_pfndb_t pfn;
    mm_readbufs_t readbufs; /* warm buffers hard-fault reads land in (mm/readbuf.h) */

    uint64_t committed, commit_limit, commit_peak;

    mm_vad_t **vads; /* VAD table by id (NULL: free id) */
    uint32_t nvad_slots;

    umm_process_t *procs;
    uint64_t nprocs;
    uint64_t ws_total;
    uint64_t locked_pages; /* sum over processes of locked_pages */
    uint64_t pinned_frames; /* frames with pins > 0 */

    uint64_t vma_count; /* 1 (physical view) + sum over processes */

    /* Vectored exception handlers (exception.c). Invariant: veh_head .. veh_tail is a doubly
     * linked list, in call order, of the handlers not yet removed and of removed ones some
     * dispatch is still calling; veh_live counts the former; veh_legacy is NULL or the list's
     * entry of umm_set_exception_handler. All guarded by veh_lock (a leaf, futex: the in-signal
     * fallback takes it too). */
    mm_lock_t veh_lock;
    struct umm_vectored_handler *veh_head, *veh_tail, *veh_legacy;
    _Atomic int veh_live;

    mm_counters_t ctr;

    const mm_phys_ops_t *phys; /* NULL: frames are this system's own memfd pool */
    void *phys_ctx;

    mm_pagefile_t pf;        /* the paging file of cfg.pagefile_*: pf.fd < 0: none */
    mm_stores_t stores;      /* every backing store, pf first when there is one */
    uint64_t stale_slots;    /* frames with PFN_F_STALE_SLOT: slots kept for a rewrite */
    uint64_t low_pages, high_pages; /* available-memory thresholds */
    uint64_t ballooned;       /* frames a hypervisor's balloon holds (not RAM to size from) */
    bool low_memory;          /* available < low_pages at the last evaluation */
    mm_workers_t *workers;   /* NULL with UMM_CFG_NO_WORKERS */
    mm_writepool_t *writepool; /* the writer's I/O threads, started with the workers (else NULL) */
    struct mm_filemap_queue *file_queue; /* file sections' read-ahead (filemap.h), while its
                                  threads run (filerd.h: from the first section reading O_DIRECT) */
    umm_notification_t *notifications;
    struct mm_prefetch_job *prefetch_jobs; /* queued for the workers (prefetch.c), FIFO */
    umm_process_t *section_proc;  /* owns the sections' prototype VADs; not in procs */
    umm_section_t *sections;
    uint64_t section_committed;   /* commit charged by sections */
    mm_mutex_t notify_lock; /* serializes evaluation + callbacks with destroy (a pthread
                                    mutex: callbacks may touch managed memory) */
    uint64_t last_age_ns;     /* when working sets were last aged */
    /* rates over the last balancer interval */
    uint64_t rate_t_ns, rate_out, rate_in, rate_faults;
    double out_per_sec, in_per_sec, faults_per_sec;
};


/* A section: shared memory backed by the paging file, or by a user's file (file != NULL:
 * mm/filemap.h says how its pages differ), with prototype PTEs.
 *
 * A section's pages live in a prototype VAD (no address range, not in the registry; owned by
 * the system's hidden section process): one prototype PTE per page, DEMAND_ZERO, VALID (the
 * frame is Active: at least one view maps it), TRANSITION (the frame is on Standby/Modified) or
 * PAGEFILE. A frame's reverse map names the prototype PTE. A view is an ordinary reservation of a
 * process whose PTEs are PROTOTYPE (index) or VALID (the section's frame, mapped here).
 *
 * A view maps the section's pages [sec_first, sec_first + sec_pages) (all of them, or a part:
 * MapViewOfFile's offset and size); its page i is the section's page sec_first + i.
 *
 * A UMM_SEC_RESERVE section's prototype PTEs start NONE (reserved); committing through a view
 * makes them DEMAND_ZERO and charges them then.
 *
 * Invariants (umm_check): share[k] = views whose PTE for section page k is VALID; the prototype
 * PTE k is VALID exactly when share[k] > 0, and then every such VALID view PTE names its frame;
 * `committed` = committed prototype PTEs, the section's whole charge (a view charges none); a
 * view's PTE for section page k is committed exactly when the prototype PTE k is; a view's pages
 * past sec_pages (its reservation's 64 KiB tail) stay uncommitted: commit and protect refuse
 * them, and refuse to raise a view's protection above what it was mapped with (as Windows); a
 * view's protection is within the section's. Names are unique among the open sections of a
 * system; `handles` counts create + opens not yet closed (0 exactly when `closed`). */
struct umm_section {
    umm_system_t *sys;
    mm_vad_t *proto;      /* prototype PTEs; the owner of the section's frames */
    uint32_t *share;       /* per page: VALID view PTEs naming its frame */
    mm_vad_t *views;      /* linked through next_view */
    size_t npages;
    struct mm_filemap *file; /* a file-backed section's store (filemap.h); NULL: paging file */
    size_t committed;      /* committed pages (npages unless UMM_SEC_RESERVE) */
    int prot;              /* the section's own protection: its views' upper bound */
    unsigned flags;        /* UMM_SEC_* */
    char *name;            /* NULL: unnamed; found by umm_section_open while not closed */
    unsigned handles;      /* create + opens not yet closed */
    bool closed;           /* the last handle is closed: the section goes with its last view */
    umm_section_t *next;   /* sys->sections */
};

/* Does view v map the section's page k (the view's page k - sec_first)? */
static inline bool mm_view_maps(const mm_vad_t *v, size_t k)
{
    return k >= v->sec_first && k - v->sec_first < v->sec_pages;
}

static inline bool mm_sys_has_pagefile(const umm_system_t *sys)
{
    return sys->stores.n > 0;
}

static inline uintptr_t mm_vad_page_addr(const mm_vad_t *v, size_t i, unsigned shift)
{
    return v->start + ((uintptr_t)i << shift);
}

#define VAD_CHUNK_SHIFT 6

/* Change PTE i of a VAD (through mm_pte_write's transition check), keeping its valid counts. */
static inline void mm_vad_pte_write(mm_vad_t *vad, size_t i, mm_pte_t value)
{
    bool was = mm_pte_format(vad->pte[i]) == PTE_VALID, is = mm_pte_format(value) == PTE_VALID;
    mm_pte_write(&vad->pte[i], value);
    if (was != is)
        vad->chunk_valid[i >> VAD_CHUNK_SHIFT] += is ? 1 : (uint8_t)-1;
}

/* First page at or after i that may be VALID: skips chunks with none (i itself if its chunk has
 * some). Returns npages when there is none. */
static inline size_t mm_vad_next_valid_chunk(const mm_vad_t *vad, size_t i)
{
    while (i < vad->npages && vad->chunk_valid[i >> VAD_CHUNK_SHIFT] == 0)
        i = ((i >> VAD_CHUNK_SHIFT) + 1) << VAD_CHUNK_SHIFT;
    return i < vad->npages ? i : vad->npages;
}

/* May trimming or aging take this VALID page's mapping away? Not while it is locked (umm_lock)
 * or its frame is pinned for an I/O (umm_probe_and_lock: the pin names the frame, so another
 * view's mapping of a pinned section frame stays too). Another view's mapping of a frame locked
 * through a view may go: the frame stays resident through the locked one. System locked. */
static inline bool mm_page_pinned(const umm_system_t *sys, mm_pte_t p)
{
    return (p & PTE_LOCKED) || mm_pfn_pins(&sys->pfn.e[mm_pte_num(p)]) != 0;
}

/* Page i of vad (VALID) stops being locked: by umm_unlock, decommit or release. System locked. */
static inline void mm_vad_forget_lock(mm_vad_t *vad, size_t i)
{
    mm_pte_t p = vad->pte[i];
    if (!(p & PTE_LOCKED))
        return;
    mm_vad_pte_write(vad, i, p & ~PTE_LOCKED);
    vad->proc->sys->pfn.e[mm_pte_num(p)].locks--;
    vad->proc->locked_pages--;
    vad->proc->sys->locked_pages--;
}

/* The VAD that owns frame f (its reverse map), or NULL. System locked. */
static inline mm_vad_t *mm_pfn_owner_vad(umm_system_t *sys, mm_pfn_id_t f)
{
    uint32_t id = sys->pfn.e[f].vad;
    return id ? sys->vads[id - 1] : NULL;
}

/* The file store of the section whose prototype VAD is vad, or NULL (not a file section). */
static inline struct mm_filemap *mm_vad_file(const mm_vad_t *vad)
{
    return vad && vad->proto_of ? vad->proto_of->file : NULL;
}

/* Has the system a file-backed section (whose dirty pages the writer can write to its file)? */
static inline bool mm_sys_has_file_sections(const umm_system_t *sys)
{
    for (const umm_section_t *sec = sys->sections; sec; sec = sec->next)
        if (sec->file)
            return true;
    return false;
}

/* Does frame f belong to a file-backed section (its copy is the file, not a slot)? Locked. */
static inline bool mm_frame_in_file(umm_system_t *sys, mm_pfn_id_t f)
{
    return mm_vad_file(mm_pfn_owner_vad(sys, f)) != NULL;
}

#endif
