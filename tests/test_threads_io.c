/* SPDX-License-Identifier: MIT */
/* test_threads_io.c - a program's I/O on managed memory while other threads take its pages away:
 * two threads read a file into their own halves of a region with umm_io_read and write them back
 * out with umm_io_write, while a third empties the working set, writes out and purges, and the
 * workers balance every 20 ms; each round starts after the disturber emptied the working set. No
 * call may fail (no EFAULT, no short count) and every byte must
 * match. Small sizes: TSan runs it too. */
#include "paging_util.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define PG PU_PG
#define HALF (64 * PG)
#define ROUNDS 200

typedef struct io_thread {
    umm_process_t *proc;
    unsigned char *buf;
    int in_fd, out_fd;
    const unsigned char *ref;
    int failures;
} io_thread_t;

static atomic_int stop_disturbing, disturbing;
static atomic_uint disturber_passes; /* working-set empties done so far */

static void *io_worker(void *arg)
{
    io_thread_t *t = arg;
    unsigned char *got = malloc(HALF);
    while (!atomic_load(&disturbing))
        sched_yield();
    for (int r = 0; r < ROUNDS; r++) {
        /* the buffer is unpinned here: wait until the disturber has emptied the working set once
         * more, so every round starts on pages taken away (and the test does not depend on who
         * the scheduler favours) */
        unsigned seen = atomic_load(&disturber_passes);
        while (atomic_load(&disturber_passes) < seen + 2)
            sched_yield();
        size_t done = 0;
        if (umm_io_read(t->proc, t->in_fd, t->buf, HALF, 0, &done) != UMM_OK || done != HALF)
            t->failures++;
        if (umm_io_write(t->proc, t->out_fd, t->buf, HALF, 0, &done) != UMM_OK || done != HALF)
            t->failures++;
        if (pread(t->out_fd, got, HALF, 0) != (ssize_t)HALF || memcmp(got, t->ref, HALF) != 0)
            t->failures++;
    }
    free(got);
    return NULL;
}

static void *disturber(void *arg)
{
    umm_process_t *proc = arg;
    atomic_store(&disturbing, 1);
    while (!atomic_load(&stop_disturbing)) {
        umm_ws_empty(proc);
        umm_ws_trim(proc, 16);
        atomic_fetch_add(&disturber_passes, 1);
    }
    return NULL;
}

static int scratch_file(const unsigned char *data, size_t n)
{
    char path[] = "/tmp/umm_test_tio_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    if (data)
        assert_int_equal(pwrite(fd, data, n, 0), (ssize_t)n);
    return fd;
}

static void test_io_while_trimming(void **state)
{
    (void)state;
    umm_config_t c = pu_config(4 * TU_MIB, 16 * TU_MIB, 0, 0);
    c.balance_interval_ms = 20;
    umm_system_t *sys;
    umm_process_t *proc;
    tu_sys_new_cfg(&c, &sys, &proc);
    unsigned char *region = tu_alloc(proc, 2 * HALF);
    unsigned char *ref = malloc(2 * HALF);
    for (size_t k = 0; k < 2 * HALF; k++)
        ref[k] = (unsigned char)(k * 131 + 7);
    io_thread_t t[2];
    pthread_t th[3];
    atomic_store(&stop_disturbing, 0);
    atomic_store(&disturbing, 0);
    for (int k = 0; k < 2; k++) {
        t[k] = (io_thread_t){.proc = proc, .buf = region + k * HALF, .ref = ref + k * HALF,
                             .in_fd = scratch_file(ref + k * HALF, HALF), .out_fd = scratch_file(NULL, 0)};
        assert_int_equal(pthread_create(&th[k], NULL, io_worker, &t[k]), 0);
    }
    assert_int_equal(pthread_create(&th[2], NULL, disturber, proc), 0);
    for (int k = 0; k < 2; k++)
        assert_int_equal(pthread_join(th[k], NULL), 0);
    atomic_store(&stop_disturbing, 1);
    assert_int_equal(pthread_join(th[2], NULL), 0);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(t[k].failures, 0);
        close(t[k].in_fd);
        close(t[k].out_fd);
    }
    assert_memory_equal(region, ref, 2 * HALF);
    umm_stats_t s = tu_stats(sys);
    print_message("  trimmed %" PRIu64 ", pinned now %" PRIu64 "\n", s.pages_trimmed, s.pinned_frames);
    assert_int_equal(s.pinned_frames, 0);
    assert_true(s.pages_trimmed > ROUNDS);
    tu_assert_consistent(sys);
    free(ref);
    umm_system_destroy(sys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_io_while_trimming),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
