/* SPDX-License-Identifier: MIT */
/* loopthread.c - a libuv loop on its own thread (see loopthread.h). */
#include "loopthread.h"

#include "umm.h"

static void close_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void on_stop(uv_async_t *a)
{
    uv_walk(a->loop, close_handle, NULL); /* the loop ends when its last handle is closed */
}

static void run(void *arg)
{
    mm_loop_thread_t *lt = arg;
    uv_run(&lt->loop, UV_RUN_DEFAULT);
}

int mm_loop_thread_init(mm_loop_thread_t *lt)
{
    if (uv_loop_init(&lt->loop) != 0)
        return UMM_E_OS;
    uv_async_init(&lt->loop, &lt->stop, on_stop);
    return UMM_OK;
}

int mm_loop_thread_start(mm_loop_thread_t *lt)
{
    if (uv_thread_create(&lt->thread, run, lt) == 0)
        return UMM_OK;
    on_stop(&lt->stop);
    uv_run(&lt->loop, UV_RUN_DEFAULT);
    uv_loop_close(&lt->loop);
    return UMM_E_OS;
}

void mm_loop_thread_stop(mm_loop_thread_t *lt)
{
    uv_async_send(&lt->stop);
    uv_thread_join(&lt->thread);
    uv_loop_close(&lt->loop);
}
