/* SPDX-License-Identifier: MIT */
/* handle.h - checking the handles the API hands out (systems, processes, sections,
 * notifications, heaps, hosts, guests, vectored exception handlers), as Windows checks a HANDLE:
 * a handle that was closed or destroyed, or a pointer that never was one, gets UMM_E_HANDLE, not
 * a crash.
 *
 * Every such object lives in type-stable memory: a slot of its type's handle arena, which is never
 * returned to the allocator. So a check never reads freed memory: the pointer must fall on a slot
 * of the right arena and the slot must be live. A retired slot is reused only after many others
 * (FIFO), so a stale handle rarely names a new object; like a recycled Windows handle, one that
 * does acts on that object.
 *
 * Invariant: an object is live from mm_handle_publish to mm_handle_retire; its memory stays valid
 * until mm_handle_free, which is what lets a closed section live on under its views. */
#ifndef UMM_HANDLE_H
#define UMM_HANDLE_H

#include <stdbool.h>
#include <stddef.h>

enum handle_type {
    HANDLE_SYSTEM = 1,
    HANDLE_PROCESS,
    HANDLE_SECTION,
    HANDLE_NOTIFICATION,
    HANDLE_HEAP,
    HANDLE_HV_HOST,
    HANDLE_HV_GUEST,
    HANDLE_VECTORED,
    HANDLE_TYPES_
};

/* A zeroed object of `size` bytes (the same size for every object of a type), not yet live, or
 * NULL when out of memory. */
void *mm_handle_alloc(enum handle_type type, size_t size);
/* The object may be passed to the API from now on. */
void mm_handle_publish(void *obj);
/* The handle is closed: checks fail from now on. The memory stays until mm_handle_free. */
void mm_handle_retire(void *obj);
/* Give the object's memory back for reuse (retiring it first if it is still live). */
void mm_handle_free(void *obj);

/* Is `obj` a live handle of this type? Safe for any pointer value. */
bool mm_handle_is_live(const void *obj, enum handle_type type);
/* UMM_OK for a live handle, UMM_E_INVAL for NULL, UMM_E_HANDLE otherwise. */
int mm_handle_check(const void *obj, enum handle_type type);

/* Return `err` unless `obj` is a live handle of `type` (NULL: UMM_E_INVAL). */
#define HANDLE_CHECK(obj, type)                                                                   \
    do {                                                                                          \
        int handle_rc_ = mm_handle_check((obj), (type));                                             \
        if (handle_rc_ != 0)                                                                      \
            return handle_rc_;                                                                    \
    } while (0)

#endif
