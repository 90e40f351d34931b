/* SPDX-License-Identifier: MIT */
/* heap.c - umm_heap: jemalloc arenas whose extents are umm memory (see include/umm_heap.h and
 * docs/heap.md). A heap has one arena per thread using it at once, up to 4 x CPUs, all with the
 * same hooks; which thread uses which arena is mm/heap_tcache.c's business.
 *
 * jemalloc is loaded with dlopen(RTLD_LOCAL) once per process and used only through function
 * pointers from dlsym: Debian's libjemalloc exports unprefixed malloc/free, and linking it would
 * make it the allocator of every program that links libumm. <jemalloc/jemalloc.h> is included
 * with JEMALLOC_NO_RENAME only for extent_hooks_t and the MALLOCX_* macros; the functions it
 * declares are named je_* then, which the library does not export, so a direct call by mistake
 * fails to link instead of silently binding to some malloc.
 *
 * Extent hooks. Each heap embeds its extent_hooks_t as its first member, so the hooks pointer
 * jemalloc passes back is the heap. jemalloc's extents are page multiples; umm reservations are
 * 64 KiB multiples and can only be released whole (as VirtualAlloc regions), so the heap keeps a
 * table of its reservations (base, the size jemalloc asked for, bytes destroyed so far), in
 * memory from the system malloc, never from the heap itself, sorted by base, under a mutex.
 *   alloc     new reservation (alignment at least 64 KiB), committed if asked; *zero = true
 *   dalloc    the whole reservation: umm_release; a piece of one: opt out (return true), and
 *             jemalloc then decommits the piece (charge returned) and retains it for reuse
 *   destroy   count the piece; release the reservation when all of it has been destroyed
 *   commit / decommit   umm_commit / umm_decommit of the sub-range
 *   purge_lazy / purge_forced   not offered (true): umm has no "reset" that keeps the charge;
 *             decommit, which jemalloc always tries first, returns frames and charge instead
 *   split     allowed inside one reservation (pure bookkeeping for jemalloc)
 *   merge     allowed when both extents are in the same reservation, refused across
 * The hooks run on application threads, possibly under jemalloc's locks; they take the table
 * mutex (a leaf: no umm call is made while holding it) and umm's lock (inside umm calls). */
#include "handle.h"
#include "heap_tcache.h"
#include "umm_heap.h"

#include "state.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define JEMALLOC_NO_RENAME
#include <jemalloc/jemalloc.h>

#define HEAP_RW (UMM_PROT_READ | UMM_PROT_WRITE)
#define HEAP_LIBRARY "libjemalloc.so.2"

/* ---------------------------------------------------------------------------------------------
 * the private jemalloc instance
 * ------------------------------------------------------------------------------------------- */

typedef void *(*je_mallocx_fn)(size_t size, int flags);
typedef void (*je_dallocx_fn)(void *ptr, int flags);
typedef void *(*je_rallocx_fn)(void *ptr, size_t size, int flags);
typedef size_t (*je_sallocx_fn)(const void *ptr, int flags);
typedef int (*je_mallctl_fn)(const char *name, void *oldp, size_t *oldlenp, void *newp,
                             size_t newlen);

static struct {
    pthread_once_t once;
    bool ok;
    void *handle;
    je_mallocx_fn mallocx;
    je_dallocx_fn dallocx;
    je_rallocx_fn rallocx;
    je_sallocx_fn sallocx;
    je_mallctl_fn mallctl;
    size_t page;          /* jemalloc's page size ("arenas.page") */
    const char *error;    /* NULL or points into error_buf */
    char error_buf[512];
} je = {.once = PTHREAD_ONCE_INIT};

static void je_fail(const char *what, const char *detail)
{
    snprintf(je.error_buf, sizeof je.error_buf, "%s%s%s", what, detail ? ": " : "",
             detail ? detail : "");
    je.error = je.error_buf;
}

static void *je_sym(const char *name)
{
    dlerror();
    void *p = dlsym(je.handle, name);
    if (!p)
        je_fail("dlsym failed", dlerror());
    return p;
}

static void je_load(void)
{
    /* RTLD_LOCAL: the library's symbols stay out of the global scope, so the program's malloc
     * (and every other library's) still binds to glibc; jemalloc's own code binds to itself. */
    je.handle = dlopen(HEAP_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (!je.handle) {
        const char *e = dlerror();
        if (e && strstr(e, "static TLS"))
            snprintf(je.error_buf, sizeof je.error_buf,
                     "dlopen(%s) failed: %s (its initial-exec TLS needs more optional static TLS "
                     "than glibc reserves by default: start the program with "
                     "GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096)",
                     HEAP_LIBRARY, e);
        else
            snprintf(je.error_buf, sizeof je.error_buf, "dlopen(%s) failed: %s", HEAP_LIBRARY,
                     e ? e : "unknown error");
        je.error = je.error_buf;
        return;
    }
    if (!(je.mallocx = (je_mallocx_fn)je_sym("mallocx")) ||
        !(je.dallocx = (je_dallocx_fn)je_sym("dallocx")) ||
        !(je.rallocx = (je_rallocx_fn)je_sym("rallocx")) ||
        !(je.sallocx = (je_sallocx_fn)je_sym("sallocx")) ||
        !(je.mallctl = (je_mallctl_fn)je_sym("mallctl")))
        return;
    /* extent_hooks_t and the mallctl names used here are jemalloc 5's */
    const char *version = NULL;
    size_t sz = sizeof version;
    if (je.mallctl("version", &version, &sz, NULL, 0) != 0 || !version || version[0] != '5') {
        je_fail("unsupported jemalloc version (need 5.x)", version);
        return;
    }
    sz = sizeof je.page;
    if (je.mallctl("arenas.page", &je.page, &sz, NULL, 0) != 0 || je.page == 0) {
        je_fail("mallctl(\"arenas.page\") failed", NULL);
        return;
    }
    bool stats = false;
    sz = sizeof stats;
    if (je.mallctl("config.stats", &stats, &sz, NULL, 0) != 0 || !stats) {
        je_fail("jemalloc was built without statistics (config.stats)", NULL);
        return;
    }
    if (!mm_heap_tcache_setup(je.mallctl)) {
        je_fail("pthread_key_create failed (thread caches)", NULL);
        return;
    }
    je.ok = true;
}

static bool je_ready(void)
{
    pthread_once(&je.once, je_load);
    return je.ok;
}

int umm_heap_init(void)
{
    return je_ready() ? UMM_OK : UMM_E_NOT_SUPPORTED;
}

const char *umm_heap_load_error(void)
{
    return je_ready() ? NULL : je.error;
}

/* ---------------------------------------------------------------------------------------------
 * heaps and their reservations
 * ------------------------------------------------------------------------------------------- */

typedef struct heap_res {
    uintptr_t base;
    size_t size;     /* bytes jemalloc asked for (the extent it got) */
    size_t reserved; /* size rounded up to umm's granularity */
    size_t gone;     /* bytes of it jemalloc has destroyed */
} heap_res_t;

struct umm_heap {
    extent_hooks_t hooks; /* first: jemalloc hands &hooks back to every hook */
    umm_process_t *proc;
    mm_heap_tcaches_t tcaches; /* the heap's arenas and its threads' tcaches */
    int last_error;       /* last umm error a hook met (atomic), for umm_heap_create */
    mm_mutex_t lock; /* protects the table */
    heap_res_t *res;      /* sorted by base */
    size_t nres, cap;
    uint64_t reserved;
};

static inline umm_heap_t *heap_of(extent_hooks_t *hooks)
{
    return (umm_heap_t *)(void *)hooks;
}

static void note_error(umm_heap_t *h, int rc)
{
    __atomic_store_n(&h->last_error, rc, __ATOMIC_RELAXED);
}

/* Index of the first reservation with base > addr. Caller holds the lock. */
static size_t res_upper(const umm_heap_t *h, uintptr_t addr)
{
    size_t lo = 0, hi = h->nres;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->res[mid].base <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The reservation whose jemalloc extent contains [addr, addr + size), or NULL. Locked. */
static heap_res_t *res_find(umm_heap_t *h, const void *addr, size_t size)
{
    uintptr_t a = (uintptr_t)addr;
    size_t i = res_upper(h, a);
    if (i == 0)
        return NULL;
    heap_res_t *r = &h->res[i - 1];
    if (a - r->base >= r->size || size > r->size - (a - r->base))
        return NULL;
    return r;
}

static int res_insert(umm_heap_t *h, uintptr_t base, size_t size, size_t reserved)
{
    mm_mutex_lock(&h->lock);
    if (h->nres == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        heap_res_t *t = realloc(h->res, cap * sizeof *t); /* glibc's realloc, not the heap */
        if (!t) {
            mm_mutex_unlock(&h->lock);
            return UMM_E_NOMEM;
        }
        h->res = t;
        h->cap = cap;
    }
    size_t i = res_upper(h, base);
    memmove(&h->res[i + 1], &h->res[i], (h->nres - i) * sizeof *h->res);
    h->res[i] = (heap_res_t){.base = base, .size = size, .reserved = reserved, .gone = 0};
    h->nres++;
    h->reserved += reserved;
    mm_mutex_unlock(&h->lock);
    return UMM_OK;
}

/* Drop r from the table. Locked. */
static void res_remove(umm_heap_t *h, heap_res_t *r)
{
    size_t i = (size_t)(r - h->res);
    h->reserved -= r->reserved;
    memmove(&h->res[i], &h->res[i + 1], (h->nres - i - 1) * sizeof *h->res);
    h->nres--;
}

static size_t granule(size_t n)
{
    return (n + UMM_RESERVE_GRANULARITY - 1) & ~(UMM_RESERVE_GRANULARITY - 1);
}

/* ---- the hooks ---- */

static void *hook_alloc(extent_hooks_t *hooks, void *new_addr, size_t size, size_t alignment,
                        bool *zero, bool *commit, unsigned arena_ind)
{
    (void)arena_ind;
    umm_heap_t *h = heap_of(hooks);
    /* a given address would be an extension of an existing reservation: umm cannot do that */
    if (new_addr != NULL || size == 0)
        return NULL;
    if (alignment < UMM_RESERVE_GRANULARITY)
        alignment = UMM_RESERVE_GRANULARITY;
    void *p = NULL;
    int rc = umm_reserve_aligned(h->proc, size, alignment, HEAP_RW, &p);
    if (rc != UMM_OK) {
        note_error(h, rc);
        return NULL;
    }
    if (*commit && (rc = umm_commit(h->proc, p, size, HEAP_RW)) != UMM_OK) {
        note_error(h, rc);
        umm_release(h->proc, p);
        return NULL;
    }
    if ((rc = res_insert(h, (uintptr_t)p, size, granule(size))) != UMM_OK) {
        note_error(h, rc);
        umm_release(h->proc, p);
        return NULL;
    }
    *zero = true; /* fresh umm pages are demand-zero, committed now or later */
    return p;
}

static bool hook_dalloc(extent_hooks_t *hooks, void *addr, size_t size, bool committed,
                        unsigned arena_ind)
{
    (void)committed;
    (void)arena_ind;
    umm_heap_t *h = heap_of(hooks);
    mm_mutex_lock(&h->lock);
    heap_res_t *r = res_find(h, addr, size);
    if (!r || r->gone + size != r->size) {
        /* a piece of a reservation (or unknown): opt out; jemalloc decommits it (returning its
         * charge) and keeps the address range as "retained" for later extents */
        mm_mutex_unlock(&h->lock);
        return true;
    }
    uintptr_t base = r->base;
    res_remove(h, r);
    mm_mutex_unlock(&h->lock);
    int rc = umm_release(h->proc, (void *)base);
    if (rc != UMM_OK)
        note_error(h, rc);
    return false;
}

static void hook_destroy(extent_hooks_t *hooks, void *addr, size_t size, bool committed,
                         unsigned arena_ind)
{
    (void)arena_ind;
    umm_heap_t *h = heap_of(hooks);
    mm_mutex_lock(&h->lock);
    heap_res_t *r = res_find(h, addr, size);
    if (!r) {
        mm_mutex_unlock(&h->lock);
        return;
    }
    r->gone += size;
    if (r->gone >= r->size) {
        uintptr_t base = r->base;
        res_remove(h, r);
        mm_mutex_unlock(&h->lock);
        umm_release(h->proc, (void *)base);
        return;
    }
    mm_mutex_unlock(&h->lock);
    if (committed) /* the rest of the reservation is still in use: give this piece's charge back */
        umm_decommit(h->proc, addr, size);
}

static bool hook_commit(extent_hooks_t *hooks, void *addr, size_t size, size_t offset,
                        size_t length, unsigned arena_ind)
{
    (void)size;
    (void)arena_ind;
    umm_heap_t *h = heap_of(hooks);
    int rc = umm_commit(h->proc, (char *)addr + offset, length, HEAP_RW);
    if (rc != UMM_OK) {
        note_error(h, rc);
        return true;
    }
    return false;
}

static bool hook_decommit(extent_hooks_t *hooks, void *addr, size_t size, size_t offset,
                          size_t length, unsigned arena_ind)
{
    (void)size;
    (void)arena_ind;
    umm_heap_t *h = heap_of(hooks);
    int rc = umm_decommit(h->proc, (char *)addr + offset, length);
    if (rc != UMM_OK) {
        note_error(h, rc);
        return true;
    }
    return false;
}

/* Lazy purge (MADV_FREE) has no umm equivalent that keeps the charge. Forced purge would be
 * decommit + recommit, but between the two another thread can take the charge, and a failed
 * recommit would leave jemalloc believing decommitted pages committed. jemalloc tries decommit
 * before either purge, and umm's decommit does not fail on a valid range, so neither is needed. */
static bool hook_purge(extent_hooks_t *hooks, void *addr, size_t size, size_t offset,
                       size_t length, unsigned arena_ind)
{
    (void)hooks;
    (void)addr;
    (void)size;
    (void)offset;
    (void)length;
    (void)arena_ind;
    return true;
}

static bool hook_split(extent_hooks_t *hooks, void *addr, size_t size, size_t size_a,
                       size_t size_b, bool committed, unsigned arena_ind)
{
    (void)size_a;
    (void)size_b;
    (void)committed;
    (void)arena_ind;
    umm_heap_t *h = heap_of(hooks);
    mm_mutex_lock(&h->lock);
    bool inside = res_find(h, addr, size) != NULL;
    mm_mutex_unlock(&h->lock);
    return !inside;
}

static bool hook_merge(extent_hooks_t *hooks, void *addr_a, size_t size_a, void *addr_b,
                       size_t size_b, bool committed, unsigned arena_ind)
{
    (void)committed;
    (void)arena_ind;
    umm_heap_t *h = heap_of(hooks);
    mm_mutex_lock(&h->lock);
    heap_res_t *a = res_find(h, addr_a, size_a);
    heap_res_t *b = res_find(h, addr_b, size_b);
    mm_mutex_unlock(&h->lock);
    return a == NULL || a != b;
}

static const extent_hooks_t heap_hooks = {
    .alloc = hook_alloc,
    .dalloc = hook_dalloc,
    .destroy = hook_destroy,
    .commit = hook_commit,
    .decommit = hook_decommit,
    .purge_lazy = hook_purge,
    .purge_forced = hook_purge,
    .split = hook_split,
    .merge = hook_merge,
};

/* ---------------------------------------------------------------------------------------------
 * the API
 * ------------------------------------------------------------------------------------------- */

/* Release whatever reservations are left in the table (after the arena is gone). */
static void release_all(umm_heap_t *h)
{
    mm_mutex_lock(&h->lock);
    heap_res_t *res = h->res;
    size_t n = h->nres;
    h->res = NULL;
    h->nres = h->cap = 0;
    h->reserved = 0;
    mm_mutex_unlock(&h->lock);
    for (size_t i = 0; i < n; i++)
        umm_release(h->proc, (void *)res[i].base);
    free(res);
}

static void heap_free_struct(umm_heap_t *h)
{
    mm_mutex_destroy(&h->lock);
    mm_handle_free(h);
}

int umm_heap_create(umm_process_t *proc, umm_heap_t **out)
{
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    if (!out)
        return UMM_E_INVAL;
    *out = NULL;
    if (!je_ready())
        return UMM_E_NOT_SUPPORTED;
    /* jemalloc commits and decommits single pages of its own size */
    if (proc->sys->page_size != je.page)
        return UMM_E_NOT_SUPPORTED;
    umm_heap_t *h = mm_handle_alloc(HANDLE_HEAP, sizeof *h);
    if (!h)
        return UMM_E_NOMEM;
    h->hooks = heap_hooks;
    h->proc = proc;
    mm_mutex_init(&h->lock, MM_RANK_HEAP);
    int e = mm_heap_tcaches_init(&h->tcaches, &h->hooks);
    if (e != 0) {
        int rc = __atomic_load_n(&h->last_error, __ATOMIC_RELAXED);
        release_all(h);
        heap_free_struct(h);
        return rc != UMM_OK ? rc : e == ENOMEM ? UMM_E_NOMEM : UMM_E_OS;
    }
    mm_handle_publish(h);
    *out = h;
    return UMM_OK;
}

void umm_heap_destroy(umm_heap_t *heap)
{
    if (!mm_handle_is_live(heap, HANDLE_HEAP))
        return;
    mm_heap_tcaches_kill(&heap->tcaches); /* no thread's table entry stands for the check now */
    mm_handle_retire(heap);
    /* every tcache that touched an arena must be flushed before arena.<i>.destroy */
    mm_heap_tcaches_destroy(&heap->tcaches);
    /* discards every allocation, then gives every extent back through dalloc/destroy, and the
     * arenas' metadata ("base") through dalloc: the table should be empty afterwards */
    if (mm_heap_arenas_ctl(&heap->tcaches, "destroy") != 0) {
        /* jemalloc refused (a thread is bound to an arena with "thread.arena", which umm never
         * does): it still uses the memory and the hooks, so leave both; the reservations go
         * with the process. Give back what can be given back. */
        mm_heap_arenas_ctl(&heap->tcaches, "purge");
        return;
    }
    release_all(heap);
    heap_free_struct(heap);
}

umm_process_t *umm_heap_process(umm_heap_t *heap)
{
    return mm_handle_is_live(heap, HANDLE_HEAP) ? heap->proc : NULL;
}

int umm_heap_owns(umm_heap_t *heap, const void *ptr)
{
    if (!mm_handle_is_live(heap, HANDLE_HEAP) || !ptr)
        return 0;
    mm_mutex_lock(&heap->lock);
    uintptr_t a = (uintptr_t)ptr;
    size_t i = res_upper(heap, a);
    int owns = i > 0 && a - heap->res[i - 1].base < heap->res[i - 1].reserved;
    mm_mutex_unlock(&heap->lock);
    return owns;
}

/* An allocation failed: freed pages jemalloc still keeps committed (dirty) may be what is
 * missing under the commit limit. Purge them once and let the caller retry. */
static bool purge_for_retry(umm_heap_t *h)
{
    mm_heap_tcache_flush_mine(&h->tcaches);
    return mm_heap_arenas_ctl(&h->tcaches, "purge") == 0;
}

/* The calling thread's arena and tcache of the heap, or NULL if `heap` is not a live heap. Once
 * the thread has used the heap, its table entry answers for the handle check (mm/heap_tcache.h),
 * which walks the handle arena's chunks: perf put it at ~4 % of a small allocation and free. */
static inline const mm_tcache_tls_t *heap_entry(umm_heap_t *heap)
{
    if (!heap)
        return NULL;
    const mm_tcache_tls_t *e = mm_heap_tcache_cached(&heap->tcaches);
    if (__builtin_expect(e != NULL, 1))
        return e;
    return mm_handle_is_live(heap, HANDLE_HEAP) ? mm_heap_tcache_attach(&heap->tcaches) : NULL;
}

/* jemalloc's mallocx with the heap's flags, once more after a purge if it fails; ENOMEM if that
 * fails too. Size 0 asks for 1 byte: malloc(0) returns a unique pointer. */
static inline void *mallocx_or_purge(umm_heap_t *heap, size_t size, int flags)
{
    if (size == 0)
        size = 1;
    void *p = je.mallocx(size, flags);
    if (!p && purge_for_retry(heap))
        p = je.mallocx(size, flags);
    if (!p)
        errno = ENOMEM;
    return p;
}

void *umm_heap_malloc(umm_heap_t *heap, size_t size)
{
    const mm_tcache_tls_t *e = heap_entry(heap);
    if (!e) {
        errno = EINVAL;
        return NULL;
    }
    return mallocx_or_purge(heap, size, e->alloc_flags);
}

void *umm_heap_calloc(umm_heap_t *heap, size_t count, size_t size)
{
    const mm_tcache_tls_t *e = heap_entry(heap);
    if (!e) {
        errno = EINVAL;
        return NULL;
    }
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return mallocx_or_purge(heap, bytes, e->alloc_flags | MALLOCX_ZERO);
}

void *umm_heap_aligned_alloc(umm_heap_t *heap, size_t alignment, size_t size)
{
    const mm_tcache_tls_t *e = heap_entry(heap);
    if (!e) {
        errno = EINVAL;
        return NULL;
    }
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
        errno = EINVAL;
        return NULL;
    }
    return mallocx_or_purge(heap, size, e->alloc_flags | MALLOCX_ALIGN(alignment));
}

void *umm_heap_realloc(umm_heap_t *heap, void *ptr, size_t size)
{
    const mm_tcache_tls_t *e = heap_entry(heap);
    if (!e) {
        errno = EINVAL;
        return NULL;
    }
    if (!ptr)
        return umm_heap_malloc(heap, size);
    if (size == 0) {
        umm_heap_free(heap, ptr);
        return NULL;
    }
    UMM_ASSERT(umm_heap_owns(heap, ptr));
    int flags = e->alloc_flags;
    void *p = je.rallocx(ptr, size, flags);
    if (!p && purge_for_retry(heap))
        p = je.rallocx(ptr, size, flags);
    if (!p)
        errno = ENOMEM; /* ptr is untouched */
    return p;
}

void umm_heap_free(umm_heap_t *heap, void *ptr)
{
    if (!ptr)
        return;
    const mm_tcache_tls_t *e = heap_entry(heap);
    if (e) {
        /* another heap's object would land in this heap's tcache and be handed out by it */
        UMM_ASSERT(umm_heap_owns(heap, ptr));
        je.dallocx(ptr, e->free_flags);
    }
}

size_t umm_heap_malloc_usable_size(umm_heap_t *heap, const void *ptr)
{
    return ptr && mm_handle_is_live(heap, HANDLE_HEAP) ? je.sallocx(ptr, 0) : 0;
}

int umm_heap_purge(umm_heap_t *heap)
{
    HANDLE_CHECK(heap, HANDLE_HEAP);
    mm_heap_tcache_flush_mine(&heap->tcaches);
    return mm_heap_arenas_ctl(&heap->tcaches, "purge") == 0 ? UMM_OK : UMM_E_OS;
}

int umm_heap_set_decay(umm_heap_t *heap, long dirty_decay_ms)
{
    HANDLE_CHECK(heap, HANDLE_HEAP);
    if (dirty_decay_ms < -1)
        return UMM_E_INVAL;
    return mm_heap_arenas_set_decay(&heap->tcaches, (ssize_t)dirty_decay_ms) == 0 ? UMM_OK
                                                                                  : UMM_E_INVAL;
}

/* The sum over the heap's arenas of "stats.arenas.<i>.<what>". */
static int arena_stat(umm_heap_t *h, const char *what, size_t *out)
{
    return mm_heap_arenas_stat(&h->tcaches, what, out) == 0 ? UMM_OK : UMM_E_OS;
}

/* Bytes of the heap's reservations that umm has committed: walk the runs umm_query reports. */
static int committed_bytes(umm_heap_t *h, uint64_t *out)
{
    mm_mutex_lock(&h->lock);
    size_t n = h->nres;
    heap_res_t *copy = n ? malloc(n * sizeof *copy) : NULL;
    if (n && !copy) {
        mm_mutex_unlock(&h->lock);
        return UMM_E_NOMEM;
    }
    if (n)
        memcpy(copy, h->res, n * sizeof *copy);
    mm_mutex_unlock(&h->lock);
    uint64_t total = 0;
    int rc = UMM_OK;
    for (size_t i = 0; i < n && rc == UMM_OK; i++) {
        uintptr_t a = copy[i].base, end = copy[i].base + copy[i].reserved;
        while (a < end) {
            umm_region_info_t info;
            if ((rc = umm_query(h->proc, (const void *)a, &info)) != UMM_OK)
                break;
            if (info.state == UMM_REGION_FREE || info.size == 0)
                break; /* released meanwhile */
            uintptr_t run_end = (uintptr_t)info.base + info.size;
            if (run_end > end)
                run_end = end;
            if (info.state == UMM_REGION_COMMITTED)
                total += run_end - a;
            a = run_end;
        }
    }
    free(copy);
    *out = total;
    return rc;
}

int umm_heap_stats(umm_heap_t *heap, umm_heap_stats_t *out)
{
    HANDLE_CHECK(heap, HANDLE_HEAP);
    if (!out)
        return UMM_E_INVAL;
    memset(out, 0, sizeof *out);
    /* the caller's own cached objects are free as far as it is concerned; other threads'
     * tcaches cannot be flushed from here (a tcache is its thread's alone) */
    mm_heap_tcache_flush_mine(&heap->tcaches);
    uint64_t epoch = 1;
    size_t esz = sizeof epoch;
    if (je.mallctl("epoch", &epoch, &esz, &epoch, sizeof epoch) != 0)
        return UMM_E_OS;
    size_t small = 0, large = 0, pactive = 0, pdirty = 0, pmuzzy = 0, mapped = 0, retained = 0,
           base = 0;
    int rc = UMM_OK;
    if ((rc = arena_stat(heap, "small.allocated", &small)) != UMM_OK ||
        (rc = arena_stat(heap, "large.allocated", &large)) != UMM_OK ||
        (rc = arena_stat(heap, "pactive", &pactive)) != UMM_OK ||
        (rc = arena_stat(heap, "pdirty", &pdirty)) != UMM_OK ||
        (rc = arena_stat(heap, "pmuzzy", &pmuzzy)) != UMM_OK ||
        (rc = arena_stat(heap, "mapped", &mapped)) != UMM_OK ||
        (rc = arena_stat(heap, "retained", &retained)) != UMM_OK ||
        (rc = arena_stat(heap, "base", &base)) != UMM_OK)
        return rc;
    out->allocated = (uint64_t)small + large;
    out->active = (uint64_t)pactive * je.page;
    out->dirty = (uint64_t)pdirty * je.page;
    out->muzzy = (uint64_t)pmuzzy * je.page;
    out->mapped = mapped;
    out->retained = retained;
    out->metadata = base;
    mm_mutex_lock(&heap->lock);
    out->reserved = heap->reserved;
    out->reservations = heap->nres;
    mm_mutex_unlock(&heap->lock);
    out->arenas = mm_heap_arenas_count(&heap->tcaches);
    return committed_bytes(heap, &out->committed);
}
