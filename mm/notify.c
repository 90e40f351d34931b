/* SPDX-License-Identifier: MIT */
/* notify.c - memory resource notifications (see notify.h). */
#include "notify.h"

#include "frames.h"
#include "handle.h"

#include "os.h"

#include <stdint.h>
#include <stdlib.h>

/* Invariant: signaled == 1 exactly when the event is set (its fd readable). */
struct umm_notification {
    umm_system_t *sys;
    umm_notify_type_t type;
    umm_notify_fn fn;
    void *ctx;
    mm_os_event_t ev;
    int signaled;
    umm_notification_t *next;
};

static int state_of(const umm_system_t *sys, umm_notify_type_t type, uint64_t avail)
{
    return type == UMM_NOTIFY_LOW_MEMORY ? avail < sys->low_pages : avail > sys->high_pages;
}

static void set_signaled(umm_notification_t *n, int on)
{
    if (on)
        mm_os_event_set(&n->ev);
    else
        mm_os_event_clear(&n->ev);
    n->signaled = on;
}

void mm_notify_evaluate(umm_system_t *sys)
{
    enum { MAX_CHANGES = 64 };
    umm_notification_t *changed[MAX_CHANGES];
    int states[MAX_CHANGES], nchanged = 0;
    mm_mutex_lock(&sys->notify_lock);
    mm_lock(&sys->lock);
    uint64_t avail = mm_frames_available(sys);
    sys->low_memory = avail < sys->low_pages;
    for (umm_notification_t *n = sys->notifications; n; n = n->next) {
        int on = state_of(sys, n->type, avail);
        if (on == n->signaled)
            continue;
        set_signaled(n, on);
        if (n->fn && nchanged < MAX_CHANGES) {
            changed[nchanged] = n;
            states[nchanged++] = on;
        }
    }
    mm_unlock(&sys->lock);
    /* Callbacks run without the system lock; they may call umm, but not destroy a notification
     * (destroy waits for notify_lock, which a callback holds). */
    for (int i = 0; i < nchanged; i++)
        changed[i]->fn(changed[i], states[i], changed[i]->ctx);
    mm_mutex_unlock(&sys->notify_lock);
}

int umm_notification_create(umm_system_t *sys, umm_notify_type_t type, umm_notify_fn fn,
                            void *ctx, umm_notification_t **out)
{
    HANDLE_CHECK(sys, HANDLE_SYSTEM);
    if (!out || (type != UMM_NOTIFY_LOW_MEMORY && type != UMM_NOTIFY_HIGH_MEMORY))
        return UMM_E_INVAL;
    umm_notification_t *n = mm_handle_alloc(HANDLE_NOTIFICATION, sizeof *n);
    if (!n)
        return UMM_E_NOMEM;
    int rc = mm_os_event_create(&n->ev);
    if (rc != UMM_OK) {
        mm_handle_free(n);
        return rc;
    }
    n->sys = sys;
    n->type = type;
    n->fn = fn;
    n->ctx = ctx;
    mm_lock(&sys->lock);
    set_signaled(n, state_of(sys, type, mm_frames_available(sys)));
    n->next = sys->notifications;
    sys->notifications = n;
    mm_unlock(&sys->lock);
    mm_handle_publish(n);
    *out = n;
    return UMM_OK;
}

int umm_notification_fd(umm_notification_t *n)
{
    return mm_handle_is_live(n, HANDLE_NOTIFICATION) ? n->ev.fd : -1;
}

int umm_notification_query(umm_notification_t *n, int *signaled)
{
    HANDLE_CHECK(n, HANDLE_NOTIFICATION);
    if (!signaled)
        return UMM_E_INVAL;
    mm_lock(&n->sys->lock);
    *signaled = n->signaled;
    mm_unlock(&n->sys->lock);
    return UMM_OK;
}

static void unlink_locked(umm_notification_t *n)
{
    for (umm_notification_t **pp = &n->sys->notifications; *pp; pp = &(*pp)->next)
        if (*pp == n) {
            *pp = n->next;
            break;
        }
}

void umm_notification_destroy(umm_notification_t *n)
{
    if (!mm_handle_is_live(n, HANDLE_NOTIFICATION))
        return;
    mm_handle_retire(n);
    mm_mutex_lock(&n->sys->notify_lock);
    mm_lock(&n->sys->lock);
    unlink_locked(n);
    mm_unlock(&n->sys->lock);
    mm_mutex_unlock(&n->sys->notify_lock);
    mm_os_event_destroy(&n->ev);
    mm_handle_free(n);
}

void mm_notify_destroy_all(umm_system_t *sys)
{
    while (sys->notifications)
        umm_notification_destroy(sys->notifications);
}
