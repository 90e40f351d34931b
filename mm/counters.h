/* SPDX-License-Identifier: MIT */
/* counters.h - the events umm counts, per system and per process: generated from the counter
 * (C) entries of UMM_STATS_FIELDS in umm.h, so a counter is declared once, with its meaning. */
#ifndef UMM_COUNTERS_H
#define UMM_COUNTERS_H

#include "umm.h"

#define MM_COUNTER_FIELD_(name, doc) uint64_t name;
#define MM_NOT_A_COUNTER_(name, doc)

/* Invariant: only ever increased (under the system lock), never reset. */
typedef struct mm_counters {
    UMM_STATS_FIELDS(MM_NOT_A_COUNTER_, MM_COUNTER_FIELD_, MM_NOT_A_COUNTER_, MM_NOT_A_COUNTER_)
} mm_counters_t;

/* Count an event on both the system and the process. */
#define MM_COUNT(proc, field, n)                                                                  \
    do {                                                                                          \
        (proc)->sys->ctr.field += (n);                                                            \
        (proc)->ctr.field += (n);                                                                 \
    } while (0)

#endif
