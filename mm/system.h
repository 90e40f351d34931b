/* system.h - the system (a machine: physical memory, its processes) and the process and VAD
 * objects it owns. Internal to the library.
 *
 * Locking: one lock per system (sys->lock, Windows' PFN lock) protects everything reachable from
 * the system: the PFN database and lists, every PTE of every VAD of its processes, the VAD table,
 * the counters. The global address registry (registry.c) has its own lock, always taken before a
 * system lock. umm code never touches managed memory while holding either lock. */
#ifndef UMM_SYSTEM_H
#define UMM_SYSTEM_H

#include "lock.h"
#include "os.h"
#include "pagefile.h"
#include "pfn.h"
#include "pte.h"
#include "umm.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mm_vad mm_vad_t;
typedef struct umm_section umm_section_t;

/* Fault and trim counters, kept per system and per process, updated under the system lock. */
typedef struct mm_counters {
    uint64_t faults_total, faults_demand_zero, faults_transition, faults_hard;
    uint64_t faults_access_bit, faults_dirty_bit, faults_access_violation, faults_guard;
    uint64_t faults_in_page_error, faults_spurious, pages_zeroed_in_fault;
    uint64_t pages_trimmed, pages_trimmed_zero, standby_repurposed;
    uint64_t pages_output, page_writes, pages_input, page_reads, writer_errors, read_errors;
    uint64_t pages_zeroed_by_thread, balancer_passes, balancer_trimmed, pages_aged;
} mm_counters_t;

typedef struct mm_workers mm_workers_t;

/* Where a system's frames live. NULL for an ordinary system (its own memfd pool). A guest of the
 * hypervisor supplies these: its frames are guest-physical pages backed on demand by host
 * frames. Called with the system locked; they may take the host's lock (order: guest, host). */
typedef struct mm_phys_ops {
    /* Map frames f .. f+n-1 at va with `prot`. `write` asks for them privately writable now (a
     * write fault). *exact is set false when a page had to be mapped with less than prot (a
     * shared frame read-only): the caller marks those PTE_HW_RO instead of PTE_HW. UMM_OK or an
     * error code: UMM_E_NO_FRAMES when no frame could be had behind this one. */
    int (*map)(umm_system_t *sys, uintptr_t va, uint32_t f, size_t n, int prot, bool write,
               bool *exact);
    /* The frame's bytes, made present (and private when `write`) first; NULL when that failed
     * (no host frame, a host swap read error): the caller gives up without losing data. */
    void *(*frame_ptr)(umm_system_t *sys, uint32_t f, bool write);
    /* Are the frame's bytes in memory now (not paged out by the host)? A hint for checks that
     * may be skipped, so they do not page a frame in just to look at it. */
    bool (*resident)(umm_system_t *sys, uint32_t f);
    /* Give back up to n frames held by a balloon (deflate on pressure); returns how many. */
    size_t (*deflate)(umm_system_t *sys, size_t n);
} mm_phys_ops_t;
typedef struct umm_notification umm_notification_t;

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
    mm_vad_t *next_in_proc; /* the process's VADs, unordered */
    umm_section_t *section;  /* a view: the section it maps (its PTEs are PROTOTYPE or VALID) */
    umm_section_t *proto_of; /* a section's prototype PTEs (no address range, not registered) */
    mm_vad_t *next_view;    /* the section's views */
};

/* Invariant: ws_size = VALID PTEs over its VADs; committed = committed PTEs over its VADs. */
struct umm_process {
    umm_system_t *sys;
    mm_vad_t *vads;
    uint64_t nvads;
    uint64_t ws_size, ws_peak, committed;
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

    uint64_t committed, commit_limit, commit_peak;

    mm_vad_t **vads; /* VAD table by id (NULL: free id) */
    uint32_t nvad_slots;

    umm_process_t *procs;
    uint64_t nprocs;
    uint64_t ws_total;

    uint64_t vma_count; /* 1 (physical view) + sum over processes */
    uint64_t vma_coalesce_runs;

    umm_exception_handler_t exc_fn;
    void *exc_ctx;

    mm_counters_t ctr;

    const mm_phys_ops_t *phys; /* NULL: frames are this system's own memfd pool */
    void *phys_ctx;

    mm_pagefile_t pf;        /* pf.fd < 0: no paging file */
    uint64_t low_pages, high_pages; /* available-memory thresholds */
    bool low_memory;          /* available < low_pages at the last evaluation */
    mm_workers_t *workers;   /* NULL with UMM_CFG_NO_WORKERS */
    umm_notification_t *notifications;
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

/* umm_system_create with a frame backend (a hypervisor guest); NULL phys = ordinary system. */
int mm_system_create_with_phys(const umm_config_t *cfg, const mm_phys_ops_t *phys, void *phys_ctx,
                            umm_system_t **out);

static inline bool mm_sys_has_pagefile(const umm_system_t *sys)
{
    return sys->pf.fd >= 0;
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

/* The VAD that owns frame f (its reverse map), or NULL. Caller holds the system lock. */
static inline mm_vad_t *mm_pfn_owner_vad(umm_system_t *sys, mm_pfn_id_t f)
{
    uint32_t id = sys->pfn.e[f].vad;
    return id ? sys->vads[id - 1] : NULL;
}

/* Count an event on both the system and the process. */
#define MM_COUNT(proc, field, n)                                                                 \
    do {                                                                                          \
        (proc)->sys->ctr.field += (n);                                                            \
        (proc)->ctr.field += (n);                                                                 \
    } while (0)

#endif
