/* SPDX-License-Identifier: MIT */
/* failpoint.h - named failure points: UMM_FAILPOINT(ID) is true when the point is enabled and
 * chooses to fail this check (docs/fault-injection.md). The points are declared once, below; the
 * public control API (umm_failpoint_enable, ...) is in umm.h.
 *
 * Every check is async-signal-safe (atomics only: the fault path evaluates points inside the
 * SIGSEGV handler). Random choices come from one seeded counter, so a single-threaded run with the
 * same seed fails the same checks. With UMM_FAILPOINTS undefined every check compiles to 0. */
#ifndef UMM_FAILPOINT_H
#define UMM_FAILPOINT_H

#include <stdbool.h>

/* ID, name. Names are what users enable; IDs are what the code checks. */
#define UMM_FAILPOINT_LIST(X)                                                                     \
    X(FRAME_ALLOC, "umm/frame/alloc")                                                             \
    X(OS_MAP, "umm/os/map")                                                                       \
    X(OS_PROTECT, "umm/os/protect")                                                               \
    X(OS_UNMAP, "umm/os/unmap")                                                                   \
    X(OS_RESERVE, "umm/os/reserve")                                                               \
    X(OS_USER_IO, "umm/os/user_io")                                                               \
    X(COMMIT_CHARGE, "umm/commit/charge")                                                         \
    X(PAGEFILE_OPEN, "umm/pagefile/open")                                                         \
    X(PAGEFILE_GROW, "umm/pagefile/grow")                                                         \
    X(PAGEFILE_WRITE, "umm/pagefile/write")                                                       \
    X(PAGEFILE_READ, "umm/pagefile/read")                                                         \
    X(FILE_WRITE, "umm/file/write")                                                               \
    X(FILE_READ, "umm/file/read")                                                                 \
    X(WORKER_START, "umm/worker/start")                                                           \
    X(HV_BALLOON_INFLATE, "umm/hv/balloon/inflate")                                               \
    X(HV_BALLOON_DEFLATE, "umm/hv/balloon/deflate")                                               \
    X(HV_SWAP_WRITE, "umm/hv/swap/write")                                                         \
    X(HV_SWAP_READ, "umm/hv/swap/read")                                                           \
    X(REDIS_CONNECT, "umm/redis/connect")                                                         \
    X(REDIS_WRITE, "umm/redis/write")                                                             \
    X(REDIS_READ, "umm/redis/read")                                                               \
    X(REDIS_DELETE, "umm/redis/delete")                                                           \
    X(REDIS_FLUSH, "umm/redis/flush")

enum umm_failpoint_id {
#define UMM_FP_ENUM_(id, name) UMM_FP_##id,
    UMM_FAILPOINT_LIST(UMM_FP_ENUM_)
#undef UMM_FP_ENUM_
    UMM_FP_COUNT_
};

#ifdef UMM_FAILPOINTS
/* Does point `id` fail this check? Async-signal-safe. */
bool mm_failpoint_hit(enum umm_failpoint_id id);
#define UMM_FAILPOINT(id) mm_failpoint_hit(UMM_FP_##id)
#define UMM_FAILPOINT_AT(id_value) mm_failpoint_hit(id_value)
#else
#define UMM_FAILPOINT(id) 0
#define UMM_FAILPOINT_AT(id_value) ((void)(id_value), 0)
#endif

/* At system create (never on the fault path): under fiu-run, or with UMM_FIU=1, checks ask
 * libfiu too. */
void mm_failpoint_read_environment(void);

#endif
