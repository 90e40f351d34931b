/* notify.c - memory resource notifications (see notify.h). */
#define _GNU_SOURCE
#include "handle.h"
#include "notify.h"

#include "frames.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* Invariant: signaled == 1 exactly when the eventfd's counter is non-zero. */
struct umm_notification {
    umm_system_t *sys;
    umm_notify_type_t type;
    umm_notify_fn fn;
    void *ctx;
    int efd;
    int signaled;
    umm_notification_t *next;
};

static int state_of(const umm_system_t *sys, umm_notify_type_t type, uint64_t avail)
{
    return type == UMM_NOTIFY_LOW_MEMORY ? avail < sys->low_pages : avail > sys->high_pages;
}

static void set_signaled(umm_notification_t *n, int on)
{
    uint64_t v = 1;
    if (on)
        (void)!write(n->efd, &v, sizeof v);
    else
        (void)!read(n->efd, &v, sizeof v); /* drain: not readable any more */
    n->signaled = on;
}

void notify_evaluate(umm_system_t *sys)
{
    enum { MAX_CHANGES = 64 };
    umm_notification_t *changed[MAX_CHANGES];
    int states[MAX_CHANGES], nchanged = 0;
    pthread_mutex_lock(&sys->notify_lock);
    umm_lock(&sys->lock);
    uint64_t avail = frames_available(sys);
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
    umm_unlock(&sys->lock);
    /* Callbacks run without the system lock; they may call umm, but not destroy a notification
     * (destroy waits for notify_lock, which a callback holds). */
    for (int i = 0; i < nchanged; i++)
        changed[i]->fn(changed[i], states[i], changed[i]->ctx);
    pthread_mutex_unlock(&sys->notify_lock);
}

int umm_notification_create(umm_system_t *sys, umm_notify_type_t type, umm_notify_fn fn,
                            void *ctx, umm_notification_t **out)
{
    HANDLE_CHECK(sys, HANDLE_SYSTEM);
    if (!out || (type != UMM_NOTIFY_LOW_MEMORY && type != UMM_NOTIFY_HIGH_MEMORY))
        return UMM_E_INVAL;
    umm_notification_t *n = handle_alloc(HANDLE_NOTIFICATION, sizeof *n);
    if (!n)
        return UMM_E_NOMEM;
    n->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (n->efd < 0) {
        handle_free(n);
        return UMM_E_OS;
    }
    n->sys = sys;
    n->type = type;
    n->fn = fn;
    n->ctx = ctx;
    umm_lock(&sys->lock);
    set_signaled(n, state_of(sys, type, frames_available(sys)));
    n->next = sys->notifications;
    sys->notifications = n;
    umm_unlock(&sys->lock);
    handle_publish(n);
    *out = n;
    return UMM_OK;
}

int umm_notification_fd(umm_notification_t *n)
{
    return handle_is_live(n, HANDLE_NOTIFICATION) ? n->efd : -1;
}

int umm_notification_query(umm_notification_t *n, int *signaled)
{
    HANDLE_CHECK(n, HANDLE_NOTIFICATION);
    if (!signaled)
        return UMM_E_INVAL;
    umm_lock(&n->sys->lock);
    *signaled = n->signaled;
    umm_unlock(&n->sys->lock);
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
    if (!handle_is_live(n, HANDLE_NOTIFICATION))
        return;
    handle_retire(n);
    pthread_mutex_lock(&n->sys->notify_lock);
    umm_lock(&n->sys->lock);
    unlink_locked(n);
    umm_unlock(&n->sys->lock);
    pthread_mutex_unlock(&n->sys->notify_lock);
    close(n->efd);
    handle_free(n);
}

void notify_destroy_all(umm_system_t *sys)
{
    while (sys->notifications)
        umm_notification_destroy(sys->notifications);
}
