/* unit_util.h - helpers for the unit suites of the building blocks (test_unit_*.c).
 * Header-only, static inline; builds on paging_util.h (its PRNG) and test_util.h.
 *
 *   UT_SKIP_BUG(...):  a test that found a library bug reports it and is skipped, so the suite
 *                      stays green while the bug stays visible (named in every run's output)
 */
#ifndef UMM_UNIT_UTIL_H
#define UMM_UNIT_UTIL_H

#include "paging_util.h"

#define UT_SKIP_BUG(...)                                                                           \
    do {                                                                                           \
        print_message("[  KNOWN BUG ] " __VA_ARGS__);                                              \
        print_message("\n");                                                                       \
        skip();                                                                                    \
    } while (0)

#endif /* UMM_UNIT_UTIL_H */
