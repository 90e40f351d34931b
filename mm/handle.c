/* SPDX-License-Identifier: MIT */
/* handle.c - handle arenas (see handle.h).
 *
 * One arena per type: chunks of slots (chunk k holds 16 << k), each slot a 16-byte header and the
 * object. Chunks are never freed, so checking any pointer reads only memory that stays valid;
 * the check itself takes no lock (chunk pointers and slot states are atomics). Retired slots wait
 * in a FIFO and are reused only once QUARANTINE others are waiting. */
#include "handle.h"

#include "assert.h"
#include "lock.h"
#include "umm.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNKS 24
#define FIRST_CHUNK_SLOTS 16
#define QUARANTINE 256

typedef struct slot_hdr {
    _Atomic unsigned live; /* the type while live, 0 otherwise */
    unsigned type;
    struct slot_hdr *next_free;
} slot_hdr_t;

_Static_assert(sizeof(slot_hdr_t) == 16, "the object after the header stays 16-byte aligned");

/* Invariant: chunk[k] (k < nchunks) holds FIRST_CHUNK_SLOTS << k slots of slot_size bytes; slots
 * [0, used_in_last) of the newest chunk have been handed out; the FIFO holds retired, freed
 * slots. slot_size is set once, by the first allocation, after div (written before it, read
 * after it). */
typedef struct arena {
    mm_mutex_t lock;
    struct exact_div {     /* x % slot_size == 0 without a division (checks on hot paths) */
        unsigned shift;    /* slot_size = odd << shift */
        uint64_t inverse;  /* odd * inverse == 1 (mod 2^64) */
        uint64_t limit;    /* UINT64_MAX / odd */
    } div;
    _Atomic size_t slot_size;
    uint8_t *_Atomic chunk[ARENA_CHUNKS];
    unsigned nchunks;
    size_t used_in_last;
    slot_hdr_t *free_head, *free_tail;
    size_t nfree;
} arena_t;

static arena_t arenas[HANDLE_TYPES_] = {
#define ARENA_INIT_ {.lock = MM_MUTEX_INIT(MM_RANK_LEAF)}
    ARENA_INIT_, ARENA_INIT_, ARENA_INIT_, ARENA_INIT_,
    ARENA_INIT_, ARENA_INIT_, ARENA_INIT_, ARENA_INIT_, ARENA_INIT_,
#undef ARENA_INIT_
};

static size_t chunk_slots(unsigned k)
{
    return (size_t)FIRST_CHUNK_SLOTS << k;
}

/* Granlund-Montgomery: for odd d, x is a multiple of d iff x * d^-1 (mod 2^64) <= UINT64_MAX / d. */
static struct exact_div exact_div_of(size_t size)
{
    struct exact_div d = {.shift = (unsigned)__builtin_ctzll(size)};
    uint64_t odd = size >> d.shift, inv = odd; /* correct to 3 bits; each step doubles them */
    for (int i = 0; i < 5; i++)
        inv *= 2 - odd * inv;
    d.inverse = inv;
    d.limit = UINT64_MAX / odd;
    UMM_ASSERT(odd * inv == 1);
    return d;
}

static bool is_multiple(const struct exact_div *d, uint64_t x)
{
    return (x & ((1ull << d->shift) - 1)) == 0 && (x >> d->shift) * d->inverse <= d->limit;
}

static slot_hdr_t *hdr_of(const void *obj)
{
    return (slot_hdr_t *)((uint8_t *)(uintptr_t)obj - sizeof(slot_hdr_t));
}

/* A fresh slot at the end of the newest chunk (a new chunk when it is full). Arena locked. */
static slot_hdr_t *new_slot(arena_t *a)
{
    size_t size = atomic_load_explicit(&a->slot_size, memory_order_relaxed);
    if (a->nchunks == 0 || a->used_in_last == chunk_slots(a->nchunks - 1)) {
        if (a->nchunks == ARENA_CHUNKS)
            return NULL;
        uint8_t *c = calloc(chunk_slots(a->nchunks), size);
        if (!c)
            return NULL;
        atomic_store_explicit(&a->chunk[a->nchunks], c, memory_order_release);
        a->nchunks++;
        a->used_in_last = 0;
    }
    uint8_t *c = atomic_load_explicit(&a->chunk[a->nchunks - 1], memory_order_relaxed);
    return (slot_hdr_t *)(c + size * a->used_in_last++);
}

void *mm_handle_alloc(enum handle_type type, size_t size)
{
    UMM_ASSERT(type > 0 && type < HANDLE_TYPES_);
    arena_t *a = &arenas[type];
    size_t want = (sizeof(slot_hdr_t) + size + 15) & ~(size_t)15;
    mm_mutex_lock(&a->lock);
    if (atomic_load_explicit(&a->slot_size, memory_order_relaxed) == 0) {
        a->div = exact_div_of(want);
        atomic_store_explicit(&a->slot_size, want, memory_order_release);
    }
    UMM_ASSERT(atomic_load_explicit(&a->slot_size, memory_order_relaxed) == want);
    slot_hdr_t *h;
    if (a->nfree > QUARANTINE) {
        h = a->free_head;
        a->free_head = h->next_free;
        if (!a->free_head)
            a->free_tail = NULL;
        a->nfree--;
    } else {
        h = new_slot(a);
    }
    mm_mutex_unlock(&a->lock);
    if (!h)
        return NULL;
    memset(h + 1, 0, want - sizeof *h);
    h->type = type;
    h->next_free = NULL;
    return h + 1;
}

void mm_handle_publish(void *obj)
{
    slot_hdr_t *h = hdr_of(obj);
    atomic_store_explicit(&h->live, h->type, memory_order_release);
}

void mm_handle_retire(void *obj)
{
    if (obj)
        atomic_store_explicit(&hdr_of(obj)->live, 0, memory_order_release);
}

void mm_handle_free(void *obj)
{
    if (!obj)
        return;
    slot_hdr_t *h = hdr_of(obj);
    arena_t *a = &arenas[h->type];
    atomic_store_explicit(&h->live, 0, memory_order_release);
    mm_mutex_lock(&a->lock);
    h->next_free = NULL;
    if (a->free_tail)
        a->free_tail->next_free = h;
    else
        a->free_head = h;
    a->free_tail = h;
    a->nfree++;
    mm_mutex_unlock(&a->lock);
}

bool mm_handle_is_live(const void *obj, enum handle_type type)
{
    if (!obj || type <= 0 || type >= HANDLE_TYPES_)
        return false;
    arena_t *a = &arenas[type];
    size_t size = atomic_load_explicit(&a->slot_size, memory_order_acquire);
    uintptr_t p = (uintptr_t)obj;
    for (unsigned k = 0; size && k < ARENA_CHUNKS; k++) {
        uint8_t *c = atomic_load_explicit(&a->chunk[k], memory_order_acquire);
        if (!c)
            break;
        uintptr_t first = (uintptr_t)c + sizeof(slot_hdr_t);
        if (p < first || p - first >= chunk_slots(k) * size)
            continue;
        UMM_ASSERT(is_multiple(&a->div, p - first) == ((p - first) % size == 0));
        if (!is_multiple(&a->div, p - first))
            return false;
        return atomic_load_explicit(&hdr_of(obj)->live, memory_order_acquire) == (unsigned)type;
    }
    return false;
}

int mm_handle_check(const void *obj, enum handle_type type)
{
    if (!obj)
        return UMM_E_INVAL;
    return mm_handle_is_live(obj, type) ? UMM_OK : UMM_E_HANDLE;
}
