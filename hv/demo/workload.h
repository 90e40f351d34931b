/* SPDX-License-Identifier: MIT */
/* workload.h - the demo's guest workloads: address-keyed page contents that can be verified
 * after any amount of ballooning, sharing and paging. Every guest first loads the same "boot
 * image" (identical pages across guests: what page sharing finds), then runs one of: */
#ifndef UMM_DEMO_WORKLOAD_H
#define UMM_DEMO_WORKLOAD_H

#include <umm_hv.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum workload_kind {
    WL_BUSY,   /* rewrites random pages of its data continuously */
    WL_IDLE,   /* writes a large data set once, then sleeps: idle memory */
    WL_CLONES  /* data made of a few template pages (identical), rarely changed */
} workload_kind_t;

typedef struct workload {
    workload_kind_t kind;
    const char *name;
    umm_hv_guest_t *guest;
    umm_process_t *proc;
    uint8_t *base;          /* image pages first, then data pages */
    size_t image_pages, data_pages;
    uint32_t *version;      /* per data page: how many times it was rewritten */
    _Atomic bool stop;
    _Atomic bool loaded;    /* the boot fill is complete */
    _Atomic uint64_t ops;   /* pages written */
    pthread_t thread;
    uint64_t seed;
} workload_t;

/* Reserve and commit image + data in a new process of the guest; the thread started by
 * workload_start loads them, then runs the workload. */
int workload_setup(workload_t *w, workload_kind_t kind, umm_hv_guest_t *guest, size_t image_mib,
                   size_t data_mib);
int workload_start(workload_t *w);
void workload_stop(workload_t *w);
/* Pages whose contents differ from what was last written (0 = all intact; SIZE_MAX when the
 * workload was stopped before it finished loading). */
size_t workload_verify(const workload_t *w);
const char *workload_kind_name(workload_kind_t kind);

#endif
