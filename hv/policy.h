/* SPDX-License-Identifier: MIT */
/* policy.h - the host's memory policy and a host pass (policy.c). */
#ifndef UMM_HV_POLICY_H
#define UMM_HV_POLICY_H

#include "host.h"

/* Policy, balloon steps and (with scan) one sharing pass, under pass_lock. */
void hv_host_pass(umm_hv_host_t *host, bool scan);

#endif
