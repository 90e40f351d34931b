/* SPDX-License-Identifier: MIT */
/* workload.c - the demo's guest workloads (see workload.h). */
#define _GNU_SOURCE
#include "workload.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE 4096u
#define WORDS (PAGE / 8)
#define TEMPLATES 32

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

/* The words of a page: image and template pages depend only on their template (identical
 * wherever they are); data pages on their address and version (unique). */
static uint64_t word(const workload_t *w, size_t page, size_t i)
{
    if (page < w->image_pages)
        return mix(0x1000000ull + (page % 997) * WORDS + i);
    size_t d = page - w->image_pages;
    uint32_t v = w->version[d];
    if (w->kind == WL_CLONES && v == 0)
        return mix(0x2000000ull + (d % TEMPLATES) * WORDS + i);
    return mix((uint64_t)(uintptr_t)(w->base + (size_t)page * PAGE) + i * 8 + ((uint64_t)v << 40));
}

static void write_page(workload_t *w, size_t page)
{
    uint64_t *p = (uint64_t *)(w->base + page * PAGE);
    for (size_t i = 0; i < WORDS; i++)
        p[i] = word(w, page, i);
    atomic_fetch_add_explicit(&w->ops, 1, memory_order_relaxed);
}

const char *workload_kind_name(workload_kind_t kind)
{
    return kind == WL_BUSY ? "busy" : kind == WL_IDLE ? "idle" : "clones";
}

int workload_setup(workload_t *w, workload_kind_t kind, umm_hv_guest_t *guest, size_t image_mib,
                   size_t data_mib)
{
    memset(w, 0, sizeof *w);
    w->kind = kind;
    w->name = umm_hv_guest_name(guest);
    w->guest = guest;
    w->image_pages = image_mib * 256;
    w->data_pages = data_mib * 256;
    w->seed = 0x9E3779B97F4A7C15ull * (kind + 1);
    w->version = calloc(w->data_pages ? w->data_pages : 1, sizeof *w->version);
    if (!w->version)
        return UMM_E_NOMEM;
    size_t bytes = (w->image_pages + w->data_pages) * PAGE;
    void *base;
    int rc = umm_process_create(umm_hv_guest_system(guest), &w->proc);
    if (rc == UMM_OK)
        rc = umm_reserve(w->proc, bytes, UMM_PROT_READ | UMM_PROT_WRITE, &base);
    if (rc == UMM_OK)
        rc = umm_commit(w->proc, base, bytes, -1);
    if (rc != UMM_OK)
        return rc;
    w->base = base;
    return UMM_OK;
}

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *run(void *arg)
{
    workload_t *w = arg;
    /* Boot: load the image and the data set (the live view watches the host cope). */
    for (size_t p = 0; p < w->image_pages + w->data_pages && !atomic_load(&w->stop); p++)
        write_page(w, p);
    atomic_store(&w->loaded, true);
    while (!atomic_load(&w->stop)) {
        if (w->kind == WL_IDLE || w->data_pages == 0) {
            pause_ms(50);
            continue;
        }
        size_t d = next(&w->seed) % w->data_pages;
        w->version[d]++;
        write_page(w, w->image_pages + d);
        if (w->kind == WL_CLONES) /* a clone changes a page now and then */
            pause_ms(10);
        else if ((atomic_load_explicit(&w->ops, memory_order_relaxed) & 255) == 0)
            pause_ms(1); /* busy, but leave the other core some room */
    }
    return NULL;
}

int workload_start(workload_t *w)
{
    return pthread_create(&w->thread, NULL, run, w) == 0 ? UMM_OK : UMM_E_OS;
}

void workload_stop(workload_t *w)
{
    atomic_store(&w->stop, true);
    pthread_join(w->thread, NULL);
}

size_t workload_verify(const workload_t *w)
{
    size_t bad = 0;
    if (!atomic_load(&w->loaded))
        return SIZE_MAX; /* stopped while booting: nothing complete to verify */
    for (size_t p = 0; p < w->image_pages + w->data_pages; p++) {
        const uint64_t *q = (const uint64_t *)(w->base + p * PAGE);
        for (size_t i = 0; i < WORDS; i++)
            if (q[i] != word(w, p, i)) {
                bad++;
                break;
            }
    }
    return bad;
}
