/* SPDX-License-Identifier: MIT */
/* example.h - the one helper every example uses: stop with umm's message when a call fails. */
#ifndef UMM_EXAMPLE_H
#define UMM_EXAMPLE_H

#include <stdio.h>
#include <stdlib.h>
#include <umm.h>

#define CHECK(call)                                                                               \
    do {                                                                                          \
        int rc_ = (call);                                                                         \
        if (rc_ != UMM_OK) {                                                                      \
            fprintf(stderr, "%s:%d: %s: %s (%s)\n", __FILE__, __LINE__, #call,                   \
                    umm_strerror(rc_), umm_error_name(rc_));                                      \
            exit(1);                                                                              \
        }                                                                                         \
    } while (0)

#endif
