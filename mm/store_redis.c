/* SPDX-License-Identifier: MIT */
/* store_redis.c - a backing store in Redis (see store_redis.h, docs/far-memory.md).
 *
 * Keys: one per cluster of KEY_PAGES consecutive slots, "<prefix>:<slot / KEY_PAGES>" (slot
 * numbers, never addresses), a string of KEY_PAGES pages written with SETRANGE and read with
 * GETRANGE, so any run of slots is one command per key it touches. A key whose slots are all
 * free is UNLINKed; every key under the prefix is removed at open (a dead system's leftovers)
 * and at close.
 *
 * The hard fault reads in the SIGSEGV handler, and hiredis mallocs: so no hiredis call is ever
 * made on the faulting thread. Each store has an I/O thread that owns the hiredis connections; a
 * caller (the faulting thread, the writer) claims one of NREQ preallocated request entries with a
 * CAS, fills it, wakes the thread through a futex word and sleeps on its entry's futex until the
 * thread marks it done: atomics and futex calls only, async-signal-safe. The thread takes every
 * queued request at once (the writes as far as the stage holds their bytes) and pipelines all
 * their commands, reads, SETRANGEs and pending UNLINKs, in one round trip per node, then one WAIT
 * when there were writes, following redirections and retrying through failovers.
 *
 * A read from a single server first tries the fast path: one of NFAST preallocated sockets
 * (connected and authenticated by the I/O thread, then handed over bare), claimed with a CAS; the
 * faulting thread writes the GETRANGEs itself (RESP built on its stack) and reads the replies
 * straight into the frames: one send and, since the replies' headers are known in advance, one
 * readv in the usual case, as a hiredis GET costs (async-signal-safe, no malloc). That saves the
 * two thread hand-offs, which cost more than the round trip on a busy machine. Anything
 * unexpected (no socket free, a timeout, an error reply, a key gone) closes that socket and
 * falls back to the I/O thread, which reopens it. A cluster always goes through the I/O thread
 * (MOVED/ASK).
 *
 * Invariant: key_used[k] = used slots of key k (under the system lock); a key's bit in
 * unlink_pending is set only while key_used[k] == 0 (set by the last free, cleared by an
 * allocation or by the I/O thread taking it); a slot's bit in lost is set only while the slot is
 * used (cleared when it is freed); a request entry goes FREE -> CLAIMED (its owner
 * fills it) -> QUEUED -> RUNNING (the I/O thread) -> DONE -> FREE (its owner). */
#include "store_redis.h"

#include "assert.h"
#include "failpoint.h"
#include "os.h"
#include "redis_conn.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define KEY_PAGES 16
#define NREQ 64
#define MAX_REQ_PAGES 64 /* a fault cluster's most (FAULT_MAX_CLUSTER); a write has fewer */
#define MAX_CMDS_PER_REQ (MAX_REQ_PAGES / KEY_PAGES + 1)
#define STAGE_REQ_PAGES 16 /* the writer's writes (WRITER_CLUSTER_PAGES): the stage holds NREQ */
#define UNLINK_BATCH 256
#define NFAST 4 /* sockets for reads on the faulting thread; more readers use the I/O thread */
#define FAST_MAX_IOV (MAX_REQ_PAGES + 3 * MAX_CMDS_PER_REQ) /* a fast read's iovecs, all pieces */

enum { REQ_FREE, REQ_CLAIMED, REQ_QUEUED, REQ_RUNNING, REQ_DONE };
enum { OP_WRITE, OP_READ, OP_FLUSH };

typedef struct redis_req {
    _Atomic int state;
    int op, n, rc;
    uint64_t slot;
    const struct iovec *iov;
} redis_req_t;

/* A command's key and numbers, and where its bytes go or come from. */
typedef struct redis_cmd_ctx {
    char key[96], off[24], end[24];
    redis_req_t *req;      /* NULL: an UNLINK */
    size_t first, bytes;   /* the bytes of req's iovecs this command covers */
} redis_cmd_ctx_t;

/* A socket the faulting thread itself reads from (single server): state FAST_DEAD (the I/O
 * thread reconnects it), FAST_IDLE, FAST_BUSY (claimed by one reader with a CAS). */
enum { FAST_DEAD, FAST_IDLE, FAST_BUSY };
typedef struct fast_conn {
    _Atomic int state;
    int fd;
} fast_conn_t;

typedef struct mm_redis {
    mm_pagefile_t slots;
    size_t page;
    char prefix[64];
    char *user, *password;
    rc_conn_t conn;
    uint32_t *key_used;
    _Atomic uint64_t *unlink_pending;
    uint64_t nkeys;
    fast_conn_t fast[NFAST];
    redis_req_t req[NREQ];
    _Atomic int work;  /* bumped for each queued request or pending unlink */
    _Atomic int stop;
    uv_thread_t thread;
    /* A round's SETRANGE bytes, each in one piece (a write's pages are frames all over RAM);
     * hiredis copies them at append, but a retry appends again, so every command of the round
     * keeps its own piece until rc_run returns. Invariant: a round stages at most stage_size
     * bytes, NREQ writes of the writer's largest; a larger write waits for a round with room. */
    uint8_t *stage;
    size_t stage_size;
    rc_cmd_t *cmds;
    redis_cmd_ctx_t *ctx;
    size_t max_cmds;
    _Atomic uint64_t *lost; /* a bit per slot whose page a read found missing, until it is freed */
    uint64_t pages_lost, keys_deleted; /* counters: atomic adds, read from any thread */
} mm_redis_t;

static _Atomic unsigned next_instance; /* default prefixes: one per store in this process */

/* ---- the callers' side: [signal-safe] ---- */
static redis_req_t *claim(mm_redis_t *r)
{
    for (;;) {
        for (unsigned i = 0; i < NREQ; i++) {
            int expect = REQ_FREE;
            if (atomic_compare_exchange_strong(&r->req[i].state, &expect, REQ_CLAIMED))
                return &r->req[i];
        }
        mm_os_yield(); /* NREQ callers waiting already: one will be done soon */
    }
}

static void kick(mm_redis_t *r)
{
    atomic_fetch_add(&r->work, 1);
    mm_os_wake_one(&r->work);
}

static int submit(mm_redis_t *r, int op, uint64_t slot, const struct iovec *iov, int n)
{
    redis_req_t *q = claim(r);
    q->op = op;
    q->slot = slot;
    q->iov = iov;
    q->n = n;
    atomic_store_explicit(&q->state, REQ_QUEUED, memory_order_release);
    kick(r);
    int st;
    while ((st = atomic_load_explicit(&q->state, memory_order_acquire)) != REQ_DONE)
        mm_os_wait(&q->state, st);
    int rc = q->rc;
    atomic_store_explicit(&q->state, REQ_FREE, memory_order_release);
    return rc;
}

static size_t iov_bytes(const struct iovec *iov, int n)
{
    size_t b = 0;
    for (int k = 0; k < n; k++)
        b += iov[k].iov_len;
    return b;
}

/* Slots [lo, hi) hold pages the server no longer has: count each once until it is freed. */
static void mark_lost(mm_redis_t *r, uint64_t lo, uint64_t hi)
{
    for (uint64_t s = lo; s < hi; s++)
        if (!(atomic_fetch_or(&r->lost[s / 64], 1ull << (s % 64)) & (1ull << (s % 64))))
            __atomic_fetch_add(&r->pages_lost, 1, __ATOMIC_RELAXED);
}

/* ---- the fast read: on the faulting thread, a preallocated socket, no malloc ---- */
/* Append the decimal v at *p. */
static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while (v /= 10);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

static char *put_bulk(char *p, const char *s, size_t len)
{
    *p++ = '$';
    p = put_u64(p, len);
    *p++ = '\r';
    *p++ = '\n';
    memcpy(p, s, len);
    p += len;
    *p++ = '\r';
    *p++ = '\n';
    return p;
}

static char *put_bulk_u64(char *p, uint64_t v)
{
    char num[24];
    return put_bulk(p, num, (size_t)(put_u64(num, v) - num));
}

/* "*4 GETRANGE <prefix>:<key> <off> <end>" in RESP. */
static char *put_getrange(const mm_redis_t *r, char *p, uint64_t key, size_t off, size_t bytes)
{
    char k[96];
    size_t plen = strlen(r->prefix);
    memcpy(k, r->prefix, plen);
    k[plen] = ':';
    size_t klen = (size_t)(put_u64(k + plen + 1, key) - k);
    memcpy(p, "*4\r\n$8\r\nGETRANGE\r\n", 18);
    p = put_bulk(p + 18, k, klen);
    p = put_bulk_u64(p, off);
    return put_bulk_u64(p, off + bytes - 1);
}

/* The iovecs covering bytes [first, first + bytes) of iov[0..n); how many (<= max). */
static int slice_iov(const struct iovec *iov, int n, size_t first, size_t bytes, struct iovec *out, int max)
{
    int m = 0;
    for (int k = 0; k < n && bytes > 0 && m < max; k++) {
        if (first >= iov[k].iov_len) {
            first -= iov[k].iov_len;
            continue;
        }
        size_t len = iov[k].iov_len - first < bytes ? iov[k].iov_len - first : bytes;
        out[m++] = (struct iovec){(char *)iov[k].iov_base + first, len};
        bytes -= len;
        first = 0;
    }
    return m;
}

/* The replies of a fast read, laid out as they must arrive: per GETRANGE "$<bytes>\r\n", its
 * bytes straight into the frames, "\r\n". Any other reply (an error, a nil, a short string: the
 * key is gone) differs from the expected header before it ends, so the read never waits for
 * bytes that will not come: it stops there and the I/O thread does the read instead.
 *
 * Invariant: the iovecs cover exactly `total` bytes, piece k's header at hdr_at[k] and its
 * "\r\n" at crlf_at[k], in increasing order. */
typedef struct fast_reply {
    struct iovec iov[FAST_MAX_IOV];
    int niov;
    char want[MAX_CMDS_PER_REQ][24], got[MAX_CMDS_PER_REQ][24], crlf[MAX_CMDS_PER_REQ][2];
    size_t hdr_at[MAX_CMDS_PER_REQ], hdr_len[MAX_CMDS_PER_REQ], crlf_at[MAX_CMDS_PER_REQ];
    int npieces;
    size_t total; /* bytes of all the replies */
} fast_reply_t;

static void expect_piece(fast_reply_t *fr, const struct iovec *iov, int n, size_t first, size_t bytes)
{
    int k = fr->npieces++;
    char *h = fr->want[k];
    *h++ = '$';
    h = put_u64(h, bytes);
    *h++ = '\r';
    *h++ = '\n';
    fr->hdr_len[k] = (size_t)(h - fr->want[k]);
    fr->hdr_at[k] = fr->total;
    fr->iov[fr->niov++] = (struct iovec){fr->got[k], fr->hdr_len[k]};
    fr->niov += slice_iov(iov, n, first, bytes, fr->iov + fr->niov, FAST_MAX_IOV - 1 - fr->niov);
    fr->crlf_at[k] = fr->total + fr->hdr_len[k] + bytes;
    fr->iov[fr->niov++] = (struct iovec){fr->crlf[k], 2};
    fr->total = fr->crlf_at[k] + 2;
    UMM_ASSERT(iov_bytes(fr->iov, fr->niov) == fr->total);
}

/* Do the bytes that arrived so far (the first `have`) agree with the replies expected? */
static bool replies_agree(const fast_reply_t *fr, size_t have)
{
    for (int k = 0; k < fr->npieces && fr->hdr_at[k] < have; k++) {
        size_t h = have - fr->hdr_at[k];
        if (memcmp(fr->got[k], fr->want[k], h < fr->hdr_len[k] ? h : fr->hdr_len[k]) != 0)
            return false;
        if (fr->crlf_at[k] + 2 <= have && memcmp(fr->crlf[k], "\r\n", 2) != 0)
            return false;
    }
    return true;
}

/* Read every reply: one readv when they have all arrived (the usual case). UMM_OK, or 1: the
 * stream is broken or answered something else (the I/O thread does the read then). */
static int read_replies(int fd, fast_reply_t *fr)
{
    struct iovec *at = fr->iov;
    int left = fr->niov;
    for (size_t have = 0; have < fr->total;) {
        long r = mm_os_stream_readv_some(fd, at, left);
        if (r <= 0)
            return 1;
        have += (size_t)r;
        if (!replies_agree(fr, have))
            return 1;
        for (size_t skip = (size_t)r; skip > 0 || (left > 0 && at->iov_len == 0);) {
            size_t take = skip < at->iov_len ? skip : at->iov_len;
            at->iov_base = (char *)at->iov_base + take;
            at->iov_len -= take;
            skip -= take;
            if (at->iov_len == 0) {
                at++;
                left--;
            }
        }
    }
    return UMM_OK;
}

/* The read on this thread: UMM_OK, or 1 when it could not be done here (no socket free, a
 * broken connection, a reply other than the pages: a key gone): the I/O thread does it then. */
static int fast_read(mm_redis_t *r, uint64_t slot, const struct iovec *iov, int n)
{
    fast_conn_t *fc = NULL;
    for (unsigned i = 0; i < NFAST && !fc; i++) {
        int expect = FAST_IDLE;
        if (atomic_compare_exchange_strong(&r->fast[i].state, &expect, FAST_BUSY))
            fc = &r->fast[i];
    }
    if (!fc)
        return 1;
    char cmd[MAX_CMDS_PER_REQ * 192];
    char *p = cmd;
    fast_reply_t fr;
    fr.niov = fr.npieces = 0;
    fr.total = 0;
    size_t total = iov_bytes(iov, n), done = 0;
    for (uint64_t s = slot; done < total;) {
        size_t in_key = s % KEY_PAGES, bytes = (KEY_PAGES - in_key) * r->page;
        bytes = bytes < total - done ? bytes : total - done;
        p = put_getrange(r, p, s / KEY_PAGES, in_key * r->page, bytes);
        expect_piece(&fr, iov, n, done, bytes);
        done += bytes;
        s += bytes / r->page;
    }
    int rc = mm_os_stream_write(fc->fd, cmd, (size_t)(p - cmd)) == UMM_OK ? read_replies(fc->fd, &fr) : 1;
    if (rc == 1) { /* the I/O thread opens a new one */
        mm_os_stream_close(fc->fd);
        fc->fd = -1;
        atomic_store(&fc->state, FAST_DEAD);
    } else {
        atomic_store(&fc->state, FAST_IDLE);
    }
    return rc;
}

/* (I/O thread) Open the fast sockets that are missing. */
static void revive_fast(mm_redis_t *r)
{
    for (unsigned i = 0; i < NFAST && !r->conn.cluster; i++)
        if (atomic_load(&r->fast[i].state) == FAST_DEAD && (r->fast[i].fd = rc_raw_socket(&r->conn)) >= 0)
            atomic_store(&r->fast[i].state, FAST_IDLE);
}

static int redis_write(void *impl, uint64_t slot, const struct iovec *iov, int n)
{
    if (UMM_FAILPOINT(REDIS_WRITE))
        return mm_os_fail(EIO, UMM_E_IO);
    return submit(impl, OP_WRITE, slot, iov, n);
}

static int redis_read(void *impl, uint64_t slot, const struct iovec *iov, int n)
{
    if (UMM_FAILPOINT(REDIS_READ))
        return mm_os_fail(EIO, UMM_E_IO);
    int rc = fast_read(impl, slot, iov, n);
    return rc != 1 ? rc : submit(impl, OP_READ, slot, iov, n);
}

static int redis_flush(void *impl)
{
    if (UMM_FAILPOINT(REDIS_FLUSH))
        return mm_os_fail(EIO, UMM_E_IO);
    return submit(impl, OP_FLUSH, 0, NULL, 0);
}

/* Under the system lock. */
static void redis_allocated(void *impl, uint64_t slot, size_t n)
{
    mm_redis_t *r = impl;
    for (size_t k = 0; k < n; k++) {
        uint64_t key = (slot + k) / KEY_PAGES;
        if (r->key_used[key]++ == 0) /* cancel an unlink not yet taken: the key is in use again */
            atomic_fetch_and(&r->unlink_pending[key / 64], ~(1ull << (key % 64)));
    }
}

/* Under the system lock, maybe in the signal handler: bits and a futex wake only. */
static void redis_freed(void *impl, uint64_t slot)
{
    mm_redis_t *r = impl;
    uint64_t key = slot / KEY_PAGES;
    UMM_ASSERT(r->key_used[key] > 0);
    atomic_fetch_and(&r->lost[slot / 64], ~(1ull << (slot % 64)));
    if (--r->key_used[key] == 0) {
        atomic_fetch_or(&r->unlink_pending[key / 64], 1ull << (key % 64));
        kick(r);
    }
}

/* ---- the I/O thread ---- */
static void copy_iov(const struct iovec *iov, int n, size_t first, uint8_t *buf, size_t bytes,
                     bool to_iov)
{
    for (int k = 0; k < n && bytes > 0; k++) {
        if (first >= iov[k].iov_len) {
            first -= iov[k].iov_len;
            continue;
        }
        size_t len = iov[k].iov_len - first < bytes ? iov[k].iov_len - first : bytes;
        if (to_iov)
            memcpy((uint8_t *)iov[k].iov_base + first, buf, len);
        else
            memcpy(buf, (uint8_t *)iov[k].iov_base + first, len);
        buf += len;
        bytes -= len;
        first = 0;
    }
}

static rc_cmd_t *new_cmd(mm_redis_t *r, size_t *n, uint64_t key, redis_req_t *q)
{
    UMM_ASSERT(*n < r->max_cmds);
    rc_cmd_t *c = &r->cmds[*n];
    redis_cmd_ctx_t *x = &r->ctx[(*n)++];
    memset(c, 0, sizeof *c);
    x->req = q;
    snprintf(x->key, sizeof x->key, "%s:%llu", r->prefix, (unsigned long long)key);
    c->argv[1] = x->key;
    c->argvlen[1] = strlen(x->key);
    return c;
}

/* The commands of a read or write: one per key the run of slots touches. */
static void request_cmds(mm_redis_t *r, redis_req_t *q, size_t *n)
{
    size_t total = iov_bytes(q->iov, q->n), done = 0;
    uint64_t s = q->slot;
    while (done < total) {
        uint64_t key = s / KEY_PAGES, in_key = s % KEY_PAGES;
        size_t bytes = (size_t)(KEY_PAGES - in_key) * r->page;
        bytes = bytes < total - done ? bytes : total - done;
        rc_cmd_t *c = new_cmd(r, n, key, q);
        redis_cmd_ctx_t *x = &r->ctx[*n - 1];
        x->first = done;
        x->bytes = bytes;
        size_t off = (size_t)in_key * r->page;
        snprintf(x->off, sizeof x->off, "%zu", off);
        c->argv[2] = x->off;
        c->argvlen[2] = strlen(x->off);
        c->argc = 4;
        if (q->op == OP_READ) {
            snprintf(x->end, sizeof x->end, "%zu", off + bytes - 1);
            c->argv[0] = "GETRANGE";
            c->argv[3] = x->end;
            c->argvlen[3] = strlen(x->end);
        } else {
            c->argv[0] = "SETRANGE";
            c->argv[3] = NULL; /* its bytes are staged when it is appended (rc_run copies them) */
        }
        c->argvlen[0] = 8;
        done += bytes;
        s += bytes / r->page;
    }
}

static size_t take_unlinks(mm_redis_t *r, size_t *n)
{
    size_t taken = 0;
    for (uint64_t w = 0; w < (r->nkeys + 63) / 64 && taken < UNLINK_BATCH; w++) {
        uint64_t bits = atomic_exchange(&r->unlink_pending[w], 0);
        for (; bits; bits &= bits - 1, taken++) {
            rc_cmd_t *c = new_cmd(r, n, w * 64 + (uint64_t)__builtin_ctzll(bits), NULL);
            c->argc = 2;
            c->argv[0] = "UNLINK";
            c->argvlen[0] = 6;
        }
    }
    return taken;
}

/* Commands [from, n) are SETRANGEs: copy each one's bytes to its own piece of the stage. */
static void stage_writes(mm_redis_t *r, size_t from, size_t n)
{
    size_t at = 0;
    for (size_t k = from; k < n; k++) {
        redis_cmd_ctx_t *x = &r->ctx[k];
        UMM_ASSERT(x->req->op == OP_WRITE && at + x->bytes <= r->stage_size);
        copy_iov(x->req->iov, x->req->n, x->first, r->stage + at, x->bytes, false);
        r->cmds[k].argv[3] = (const char *)r->stage + at;
        r->cmds[k].argvlen[3] = x->bytes;
        at += x->bytes;
    }
}

/* Take the queued requests (QUEUED -> RUNNING) into taken[]; writes while the stage has room for
 * their bytes (the others stay queued for the next round). How many were taken. */
static size_t take_requests(mm_redis_t *r, redis_req_t **taken)
{
    size_t ntaken = 0, staged = 0;
    for (unsigned i = 0; i < NREQ; i++) {
        redis_req_t *q = &r->req[i];
        if (atomic_load_explicit(&q->state, memory_order_acquire) != REQ_QUEUED)
            continue;
        size_t bytes = q->op == OP_WRITE ? iov_bytes(q->iov, q->n) : 0;
        UMM_ASSERT(bytes <= r->stage_size);
        if (staged + bytes > r->stage_size)
            continue;
        int expect = REQ_QUEUED;
        if (atomic_compare_exchange_strong(&q->state, &expect, REQ_RUNNING)) {
            taken[ntaken++] = q;
            staged += bytes;
        }
    }
    return ntaken;
}

/* Is command k's reply what its request wanted (reads: copied into the request's pages)? */
static bool cmd_ok(mm_redis_t *r, size_t k)
{
    redisReply *rep = r->cmds[k].reply;
    redis_cmd_ctx_t *x = &r->ctx[k];
    if (!rep)
        return false;
    if (x->req->op != OP_READ)
        return true;
    /* a missing key (a server restarted without persistence) reads as "": an in-page error */
    if (rep->type != REDIS_REPLY_STRING || (size_t)rep->len != x->bytes) {
        uint64_t first = x->req->slot + x->first / r->page;
        mark_lost(r, first + (rep->type == REDIS_REPLY_STRING ? (size_t)rep->len / r->page : 0),
                  first + x->bytes / r->page);
        return false;
    }
    copy_iov(x->req->iov, x->req->n, x->first, (uint8_t *)rep->str, x->bytes, true);
    return true;
}

/* Commands [from, to) were UNLINKs: count the keys they removed. */
static void count_unlinked(mm_redis_t *r, size_t from, size_t to)
{
    for (size_t k = from; k < to; k++)
        if (r->cmds[k].reply && r->cmds[k].reply->type == REDIS_REPLY_INTEGER)
            __atomic_fetch_add(&r->keys_deleted, (uint64_t)r->cmds[k].reply->integer, __ATOMIC_RELAXED);
}

static void finish(redis_req_t *q, int rc)
{
    q->rc = rc;
    atomic_store_explicit(&q->state, REQ_DONE, memory_order_release);
    mm_os_wake_one(&q->state);
}

/* One round, one pipeline per node: the pending unlinks first (an allocation after one was taken
 * is written after it: a node answers its commands in order), then every queued read, then the
 * queued writes; one WAIT after the writes. False when there was nothing to do. */
static bool run_round(mm_redis_t *r)
{
    size_t n = 0;
    take_unlinks(r, &n);
    size_t unlinks = n;
    redis_req_t *taken[NREQ];
    size_t ntaken = take_requests(r, taken);
    if (n == 0 && ntaken == 0)
        return false;
    for (int op = OP_READ; op >= OP_WRITE; op--) /* reads, then writes */
        for (size_t i = 0; i < ntaken; i++)
            if (taken[i]->op == op)
                request_cmds(r, taken[i], &n);
    size_t reads_end = unlinks;
    while (reads_end < n && r->ctx[reads_end].req->op == OP_READ)
        reads_end++;
    stage_writes(r, reads_end, n);
    size_t first = UMM_FAILPOINT(REDIS_DELETE) ? unlinks : 0; /* the keys stay: garbage, never loss */
    rc_run(&r->conn, r->cmds + first, n - first);
    count_unlinked(r, first, unlinks);
    int replicated = n > reads_end ? rc_wait_replicated(&r->conn) : UMM_OK;
    for (size_t i = 0; i < ntaken; i++)
        taken[i]->rc = taken[i]->op == OP_FLUSH ? rc_ping_masters(&r->conn)
                     : taken[i]->op == OP_WRITE ? replicated : UMM_OK;
    for (size_t k = unlinks; k < n; k++)
        if (!cmd_ok(r, k))
            r->ctx[k].req->rc = UMM_E_IO;
    rc_free(r->cmds, n);
    for (size_t i = 0; i < ntaken; i++)
        finish(taken[i], taken[i]->rc);
    return true;
}

static void io_thread(void *arg)
{
    mm_redis_t *r = arg;
    for (;;) {
        int seen = atomic_load(&r->work);
        if (run_round(r))
            continue;
        if (atomic_load(&r->stop))
            return;
        revive_fast(r);
        mm_os_wait(&r->work, seen);
    }
}

/* ---- open and close ---- */
static void wipe_free(char *secret)
{
    if (secret) {
        volatile char *p = secret;
        while (*p)
            *p++ = 0;
    }
    free(secret);
}

static void destroy(mm_redis_t *r)
{
    for (unsigned i = 0; i < NFAST; i++)
        if (atomic_load(&r->fast[i].state) != FAST_DEAD)
            mm_os_stream_close(r->fast[i].fd);
    rc_close(&r->conn);
    wipe_free(r->password);
    free(r->user);
    free(r->slots.bitmap);
    free(r->key_used);
    free((void *)r->unlink_pending);
    free((void *)r->lost);
    free(r->stage);
    free(r->cmds);
    free(r->ctx);
    free(r);
}

/* "<prefix>:*" with the prefix's glob characters escaped. */
static void key_pattern(const mm_redis_t *r, char *out, size_t size)
{
    size_t o = 0;
    for (const char *p = r->prefix; *p && o + 4 < size; p++) {
        if (strchr("*?[]\\", *p))
            out[o++] = '\\';
        out[o++] = *p;
    }
    snprintf(out + o, size - o, ":*");
}

static void redis_close(void *impl)
{
    mm_redis_t *r = impl;
    atomic_store(&r->stop, 1);
    kick(r);
    uv_thread_join(&r->thread);
    char pattern[160];
    key_pattern(r, pattern, sizeof pattern);
    rc_unlink_matching(&r->conn, pattern);
    destroy(r);
}

static void redis_counters(void *impl, umm_store_stats_t *out)
{
    mm_redis_t *r = impl;
    out->pages_lost = __atomic_load_n(&r->pages_lost, __ATOMIC_RELAXED);
    out->keys_deleted = __atomic_load_n(&r->keys_deleted, __ATOMIC_RELAXED);
    out->command_retries = __atomic_load_n(&r->conn.retries, __ATOMIC_RELAXED);
    out->redirects = __atomic_load_n(&r->conn.redirects, __ATOMIC_RELAXED);
    out->reconnects = __atomic_load_n(&r->conn.reconnects, __ATOMIC_RELAXED);
}

static const mm_store_ops_t redis_ops = {
    .kind = "redis",
    .allocated = redis_allocated,
    .freed = redis_freed,
    .write = redis_write,
    .read = redis_read,
    .flush = redis_flush,
    .close = redis_close,
    .counters = redis_counters,
};

static int setup(mm_redis_t *r, const umm_store_config_t *c, size_t page)
{
    r->page = page;
    uint64_t nslots = c->bytes / page;
    r->nkeys = (nslots + KEY_PAGES - 1) / KEY_PAGES;
    r->max_cmds = NREQ * MAX_CMDS_PER_REQ + UNLINK_BATCH + 64;
    if (c->prefix)
        snprintf(r->prefix, sizeof r->prefix, "%s", c->prefix);
    else
        snprintf(r->prefix, sizeof r->prefix, "umm:%llx:%u", (unsigned long long)mm_os_now_ns(),
                 atomic_fetch_add(&next_instance, 1));
    if ((c->user && !(r->user = strdup(c->user))) || (c->password && !(r->password = strdup(c->password))))
        return UMM_E_NOMEM;
    r->key_used = calloc(r->nkeys, sizeof *r->key_used);
    r->unlink_pending = calloc((r->nkeys + 63) / 64, sizeof *r->unlink_pending);
    r->lost = calloc((nslots + 63) / 64, sizeof *r->lost);
    r->stage_size = (size_t)NREQ * STAGE_REQ_PAGES * page;
    r->stage = malloc(r->stage_size);
    r->cmds = calloc(r->max_cmds, sizeof *r->cmds);
    r->ctx = calloc(r->max_cmds, sizeof *r->ctx);
    if (!r->key_used || !r->unlink_pending || !r->lost || !r->stage || !r->cmds || !r->ctx)
        return UMM_E_NOMEM;
    return mm_store_slots_init(&r->slots, nslots, page);
}

int mm_store_redis_open(mm_store_t *st, const umm_store_config_t *c, size_t page, unsigned index)
{
    if (strlen(c->address) >= 64 || (c->prefix && (strlen(c->prefix) == 0 || strlen(c->prefix) >= 64)))
        return UMM_E_INVAL;
    mm_redis_t *r = calloc(1, sizeof *r);
    if (!r)
        return UMM_E_NOMEM;
    int rc = setup(r, c, page);
    if (rc == UMM_OK)
        rc = rc_open(&r->conn, c->address, r->user, r->password, c->timeout_ms);
    char pattern[160];
    key_pattern(r, pattern, sizeof pattern);
    if (rc == UMM_OK && rc_unlink_matching(&r->conn, pattern) != UMM_OK)
        rc = UMM_E_UNREACHABLE;
    if (rc == UMM_OK)
        revive_fast(r);
    if (rc == UMM_OK && uv_thread_create(&r->thread, io_thread, r) != 0)
        rc = UMM_E_OS;
    if (rc != UMM_OK) {
        destroy(r);
        return rc;
    }
    memset(st, 0, sizeof *st);
    st->ops = &redis_ops;
    st->impl = r;
    st->slots = &r->slots;
    snprintf(st->name, sizeof st->name, "redis%u", index);
    return UMM_OK;
}
