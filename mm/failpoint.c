/* SPDX-License-Identifier: MIT */
/* failpoint.c - the failure-point table and its control API (see failpoint.h, umm.h).
 *
 * Each point is one atomic word: 0 when off, else the probability as a 32-bit threshold (a
 * check fails when a random 32-bit draw is below it; UINT32_MAX + 1 saturates to "always"), plus
 * flag bits. Enabling stores the word with release order; a check loads it with acquire order and
 * may fail: all lock-free, so a check is async-signal-safe and may run inside the fault handler.
 *
 * Randomness: draw k is splitmix64(seed + k) for a global counter k, so a single-threaded run
 * with the same seed and the same sequence of checks fails the same checks (the stress tests
 * print their seed and replay it).
 *
 * libfiu: under fiu-run (FIU_CTRL_FIFO in the environment), or with UMM_FIU=1, when a system is
 * created, every check also asks libfiu's fiu_fail(name), so fiu-run and fiu-ctrl drive the points. libfiu is not async-signal-safe (it takes a rwlock and
 * may allocate); umm's own table is. */
#include "failpoint.h"

#include "umm.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef UMM_FAILPOINTS

#ifdef UMM_FAILPOINTS_LIBFIU
#include <fiu.h>
#endif

static const char *const point_names[UMM_FP_COUNT_] = {
#define UMM_FP_NAME_(id, name) name,
    UMM_FAILPOINT_LIST(UMM_FP_NAME_)
#undef UMM_FP_NAME_
};

/* Point state: bits 0-32 threshold (0: off; 1 << 32: always), bit 33 once, bit 34 hook. */
#define FP_THRESHOLD_MASK ((1ull << 33) - 1)
#define FP_ONCE (1ull << 33)
#define FP_HOOK (1ull << 34)

static struct {
    _Atomic uint64_t state;
    _Atomic uint64_t failures;
    umm_failpoint_hook_t _Atomic hook;
    void *_Atomic hook_ctx;
} points[UMM_FP_COUNT_];

static _Atomic uint64_t draw_counter, draw_seed = 0x5eedull;
static _Atomic unsigned enabled_points; /* fast path: no point enabled, no libfiu */
static _Atomic bool use_libfiu;

static uint64_t splitmix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t draw(void)
{
    uint64_t k = atomic_fetch_add_explicit(&draw_counter, 1, memory_order_relaxed);
    return (uint32_t)(splitmix64(atomic_load_explicit(&draw_seed, memory_order_relaxed) + k) >> 32);
}

/* Evaluate a point whose state is s (non-zero). */
static bool decide(enum umm_failpoint_id id, uint64_t s)
{
    if (s & FP_HOOK) {
        umm_failpoint_hook_t fn = atomic_load_explicit(&points[id].hook, memory_order_acquire);
        void *ctx = atomic_load_explicit(&points[id].hook_ctx, memory_order_acquire);
        return fn && fn(point_names[id], ctx) != 0;
    }
    uint64_t threshold = s & FP_THRESHOLD_MASK;
    if (threshold <= UINT32_MAX && draw() >= threshold)
        return false;
    /* A one-shot point fails once: the check that switches it off is the one that fails. */
    if ((s & FP_ONCE) && !atomic_compare_exchange_strong_explicit(&points[id].state, &s, 0,
                                                                  memory_order_acq_rel,
                                                                  memory_order_relaxed))
        return false;
    if (s & FP_ONCE)
        atomic_fetch_sub_explicit(&enabled_points, 1, memory_order_relaxed);
    return true;
}

bool mm_failpoint_hit(enum umm_failpoint_id id)
{
    if (atomic_load_explicit(&enabled_points, memory_order_acquire) == 0 &&
        !atomic_load_explicit(&use_libfiu, memory_order_relaxed))
        return false;
    uint64_t s = atomic_load_explicit(&points[id].state, memory_order_acquire);
    bool fail = s != 0 && decide(id, s);
#ifdef UMM_FAILPOINTS_LIBFIU
    if (!fail && atomic_load_explicit(&use_libfiu, memory_order_relaxed))
        fail = fiu_fail(point_names[id]) != 0;
#endif
    if (fail)
        atomic_fetch_add_explicit(&points[id].failures, 1, memory_order_relaxed);
    return fail;
}

/* Does `name` match `pattern` (an exact name, or a prefix followed by '*')? */
static bool matches(const char *pattern, const char *name)
{
    size_t n = strlen(pattern);
    if (n > 0 && pattern[n - 1] == '*')
        return strncmp(pattern, name, n - 1) == 0;
    return strcmp(pattern, name) == 0;
}

/* Set the state of every point matching pattern; UMM_E_INVAL when none does. */
static int set_matching(const char *pattern, uint64_t state, umm_failpoint_hook_t fn, void *ctx)
{
    if (!pattern || !*pattern)
        return UMM_E_INVAL;
    int found = 0;
    for (int id = 0; id < UMM_FP_COUNT_; id++) {
        if (!matches(pattern, point_names[id]))
            continue;
        found++;
        atomic_store_explicit(&points[id].hook, fn, memory_order_release);
        atomic_store_explicit(&points[id].hook_ctx, ctx, memory_order_release);
        if (state)
            atomic_store_explicit(&points[id].failures, 0, memory_order_relaxed);
        uint64_t old = atomic_exchange_explicit(&points[id].state, state, memory_order_acq_rel);
        if (!old && state)
            atomic_fetch_add_explicit(&enabled_points, 1, memory_order_release);
        else if (old && !state)
            atomic_fetch_sub_explicit(&enabled_points, 1, memory_order_release);
    }
    return found ? UMM_OK : UMM_E_INVAL;
}

int umm_failpoint_enable(const char *pattern, double probability, unsigned flags)
{
    if (!(probability > 0.0 && probability <= 1.0) || (flags & ~(unsigned)UMM_FAILPOINT_ONCE))
        return UMM_E_INVAL;
    uint64_t threshold = probability >= 1.0 ? 1ull << 32 : (uint64_t)(probability * 4294967296.0);
    if (threshold == 0)
        threshold = 1;
    return set_matching(pattern, threshold | ((flags & UMM_FAILPOINT_ONCE) ? FP_ONCE : 0), NULL,
                        NULL);
}

int umm_failpoint_set_hook(const char *pattern, umm_failpoint_hook_t fn, void *ctx)
{
    if (!fn)
        return UMM_E_INVAL;
    return set_matching(pattern, FP_HOOK | 1, fn, ctx);
}

int umm_failpoint_disable(const char *pattern)
{
    return set_matching(pattern, 0, NULL, NULL);
}

int umm_failpoint_seed(uint64_t seed)
{
    atomic_store_explicit(&draw_seed, seed, memory_order_relaxed);
    atomic_store_explicit(&draw_counter, 0, memory_order_relaxed);
    return UMM_OK;
}

int umm_failpoint_check(const char *name, int *failed)
{
    if (!name || !failed)
        return UMM_E_INVAL;
    for (int id = 0; id < UMM_FP_COUNT_; id++)
        if (strcmp(name, point_names[id]) == 0) {
            *failed = mm_failpoint_hit((enum umm_failpoint_id)id);
            return UMM_OK;
        }
    return UMM_E_INVAL;
}

int umm_failpoint_failures(const char *name, uint64_t *out)
{
    if (!name || !out)
        return UMM_E_INVAL;
    for (int id = 0; id < UMM_FP_COUNT_; id++)
        if (strcmp(name, point_names[id]) == 0) {
            *out = atomic_load_explicit(&points[id].failures, memory_order_relaxed);
            return UMM_OK;
        }
    return UMM_E_INVAL;
}

const char *umm_failpoint_name(unsigned i)
{
    return i < UMM_FP_COUNT_ ? point_names[i] : NULL;
}

void mm_failpoint_read_environment(void)
{
#ifdef UMM_FAILPOINTS_LIBFIU
    /* fiu-run exports FIU_CTRL_FIFO for every program it starts (fiu-ctrl talks to it there) */
    const char *v = getenv("UMM_FIU");
    if ((v && *v == '1') || getenv("FIU_CTRL_FIFO"))
        atomic_store_explicit(&use_libfiu, true, memory_order_relaxed);
#endif
}

#else /* no failure points in this build */

int umm_failpoint_enable(const char *pattern, double probability, unsigned flags)
{
    (void)pattern, (void)probability, (void)flags;
    return UMM_E_NOT_SUPPORTED;
}
int umm_failpoint_set_hook(const char *pattern, umm_failpoint_hook_t fn, void *ctx)
{
    (void)pattern, (void)fn, (void)ctx;
    return UMM_E_NOT_SUPPORTED;
}
int umm_failpoint_disable(const char *pattern)
{
    (void)pattern;
    return UMM_E_NOT_SUPPORTED;
}
int umm_failpoint_seed(uint64_t seed)
{
    (void)seed;
    return UMM_E_NOT_SUPPORTED;
}
int umm_failpoint_check(const char *name, int *failed)
{
    (void)name, (void)failed;
    return UMM_E_NOT_SUPPORTED;
}
int umm_failpoint_failures(const char *name, uint64_t *out)
{
    (void)name, (void)out;
    return UMM_E_NOT_SUPPORTED;
}
const char *umm_failpoint_name(unsigned i)
{
    (void)i;
    return NULL;
}
void mm_failpoint_read_environment(void) {}

#endif
