/* SPDX-License-Identifier: MIT */
/* loopthread.h - a libuv loop on a thread of its own, stopped from any thread: what the system's
 * workers and the hypervisor's host thread both run on. The owner initialises lt->loop's handles
 * between mm_loop_thread_init() and mm_loop_thread_start(); mm_loop_thread_stop() closes every handle on
 * the loop (uv_walk), joins the thread and closes the loop. */
#ifndef UMM_LOOPTHREAD_H
#define UMM_LOOPTHREAD_H

#include <uv.h>

typedef struct mm_loop_thread {
    uv_loop_t loop;
    uv_thread_t thread;
    uv_async_t stop;
} mm_loop_thread_t;

/* 0 or a umm error code. */
int mm_loop_thread_init(mm_loop_thread_t *lt);
/* Run the loop on a new thread; on failure the loop is closed. 0 or UMM_E_OS. */
int mm_loop_thread_start(mm_loop_thread_t *lt);
void mm_loop_thread_stop(mm_loop_thread_t *lt);

#endif
