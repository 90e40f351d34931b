/* SPDX-License-Identifier: MIT */
/* view.h - the demo's live view (one compact table a second), its time series (CSV) and the
 * closing summary. */
#ifndef UMM_DEMO_VIEW_H
#define UMM_DEMO_VIEW_H

#include "workload.h"

#include <stdio.h>

typedef struct view {
    umm_hv_host_t *host;
    workload_t *wl;
    int n;
    FILE *csv;    /* may be NULL */
    bool tty;
    uint64_t last_ops[8];
} view_t;

void view_begin(view_t *v, umm_hv_host_t *host, workload_t *wl, int n, FILE *csv);
/* Print (and record) the state at second t. */
void view_tick(view_t *v, int t);
void view_summary(view_t *v);

#endif
