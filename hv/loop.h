/* SPDX-License-Identifier: MIT */
/* loop.h - the host's thread (loop.c): a libuv loop running host passes and the scanner. */
#ifndef UMM_HV_LOOP_H
#define UMM_HV_LOOP_H

#include "host.h"

int hv_workers_start(umm_hv_host_t *host);
void hv_workers_stop(umm_hv_host_t *host);

#endif
