/* SPDX-License-Identifier: MIT */
/* redis_conn.c - connections to a Redis server or cluster (see redis_conn.h). */
#include "redis_conn.h"

#include "assert.h"
#include "failpoint.h"
#include "os.h"
#include "umm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

/* CRC16-CCITT (XMODEM), what Redis Cluster hashes keys with. */
static uint16_t crc16(const char *buf, size_t len)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)((uint8_t)buf[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    return crc;
}

/* The key's hash slot: of its {hash tag} when it has a non-empty one, as Redis does. */
static unsigned key_slot(const char *key, size_t len)
{
    const char *open = memchr(key, '{', len);
    if (open) {
        const char *close = memchr(open + 1, '}', len - (size_t)(open + 1 - key));
        if (close && close > open + 1)
            return crc16(open + 1, (size_t)(close - open - 1)) & (RC_HASH_SLOTS - 1);
    }
    return crc16(key, len) & (RC_HASH_SLOTS - 1);
}

static struct timeval ms_tv(unsigned ms)
{
    return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
}

/* The node at host:port, added if new; -1 when the table is full. */
static int node_index(rc_conn_t *rc, const char *host, size_t hostlen, int port)
{
    for (unsigned i = 0; i < rc->nnodes; i++)
        if (rc->nodes[i].port == port && strlen(rc->nodes[i].host) == hostlen &&
            memcmp(rc->nodes[i].host, host, hostlen) == 0)
            return (int)i;
    if (rc->nnodes == RC_MAX_NODES || hostlen >= sizeof rc->nodes[0].host)
        return -1;
    rc_node_t *n = &rc->nodes[rc->nnodes];
    memcpy(n->host, host, hostlen);
    n->host[hostlen] = '\0';
    n->port = port;
    n->ctx = NULL;
    return (int)rc->nnodes++;
}

static void drop(rc_node_t *n)
{
    if (n->ctx)
        redisFree(n->ctx);
    n->ctx = NULL;
}

static bool authenticate(rc_conn_t *rc, redisContext *c)
{
    if (!rc->password)
        return true;
    redisReply *r = rc->user ? redisCommand(c, "AUTH %s %s", rc->user, rc->password)
                             : redisCommand(c, "AUTH %s", rc->password);
    bool ok = r && r->type != REDIS_REPLY_ERROR;
    if (r)
        freeReplyObject(r);
    return ok;
}

/* The node's context, connected and authenticated, or NULL. */
static redisContext *connect_node(rc_conn_t *rc, rc_node_t *n)
{
    if (n->ctx)
        return n->ctx;
    if (UMM_FAILPOINT(REDIS_CONNECT))
        return NULL;
    redisContext *c = redisConnectWithTimeout(n->host, n->port, ms_tv(rc->timeout_ms));
    if (!c || c->err || redisSetTimeout(c, ms_tv(rc->timeout_ms)) != REDIS_OK || !authenticate(rc, c)) {
        if (c)
            redisFree(c);
        return NULL;
    }
    __atomic_fetch_add(&rc->reconnects, 1, __ATOMIC_RELAXED); /* read by umm_store_stats_get */
    return n->ctx = c;
}

/* Learn the slot map from CLUSTER SLOTS of node i. */
static bool learn_map_from(rc_conn_t *rc, unsigned i)
{
    redisContext *c = connect_node(rc, &rc->nodes[i]);
    redisReply *r = c ? redisCommand(c, "CLUSTER SLOTS") : NULL;
    if (!r) {
        drop(&rc->nodes[i]);
        return false;
    }
    bool ok = r->type == REDIS_REPLY_ARRAY && r->elements > 0;
    for (unsigned n = 0; ok && n < rc->nnodes; n++)
        rc->nodes[n].replicas = 0;
    for (size_t e = 0; ok && e < r->elements; e++) {
        redisReply *range = r->element[e];
        ok = range->type == REDIS_REPLY_ARRAY && range->elements >= 3 &&
             range->element[2]->type == REDIS_REPLY_ARRAY && range->element[2]->elements >= 2;
        if (!ok)
            break;
        redisReply *m = range->element[2];
        const char *host = m->element[0]->str;
        size_t hostlen = m->element[0]->len;
        if (hostlen == 0) { /* the node does not know its address: the one we reached it by */
            host = rc->nodes[i].host;
            hostlen = strlen(host);
        }
        int node = node_index(rc, host, hostlen, (int)m->element[1]->integer);
        long long lo = range->element[0]->integer, hi = range->element[1]->integer;
        ok = node >= 0 && lo >= 0 && hi < RC_HASH_SLOTS && lo <= hi;
        for (long long s = lo; ok && s <= hi; s++)
            rc->slot_node[s] = (uint16_t)node;
        if (ok)
            rc->nodes[node].replicas = (unsigned)(range->elements - 3);
    }
    freeReplyObject(r);
    return ok;
}

/* Relearn the map from any node that answers (after a failover the old master is gone). */
static bool learn_map(rc_conn_t *rc)
{
    for (unsigned i = 0; i < rc->nnodes; i++)
        if (learn_map_from(rc, i))
            return true;
    return false;
}

int rc_raw_socket(rc_conn_t *rc)
{
    rc_node_t n = rc->nodes[0];
    n.ctx = NULL;
    if (rc->cluster || !connect_node(rc, &n))
        return -1;
    return redisFreeKeepFd(n.ctx);
}

int rc_open(rc_conn_t *rc, const char *address, const char *user, const char *password,
            unsigned timeout_ms)
{
    memset(rc, 0, sizeof *rc);
    rc->user = user;
    rc->password = password;
    rc->timeout_ms = timeout_ms ? timeout_ms : 5000;
    const char *colon = strrchr(address, ':');
    int port = colon ? atoi(colon + 1) : 0;
    if (!colon || port <= 0 || port > 65535 || node_index(rc, address, (size_t)(colon - address), port) != 0)
        return UMM_E_INVAL;
    redisContext *c = connect_node(rc, &rc->nodes[0]);
    if (!c)
        return UMM_E_UNREACHABLE;
    redisReply *r = redisCommand(c, "CLUSTER SLOTS");
    if (!r) {
        rc_close(rc);
        return UMM_E_UNREACHABLE;
    }
    rc->cluster = r->type == REDIS_REPLY_ARRAY; /* a server without cluster support: an error */
    freeReplyObject(r);
    if (rc->cluster && !learn_map_from(rc, 0)) {
        rc_close(rc);
        return UMM_E_UNREACHABLE;
    }
    return UMM_OK;
}

void rc_close(rc_conn_t *rc)
{
    for (unsigned i = 0; i < rc->nnodes; i++)
        drop(&rc->nodes[i]);
    rc->nnodes = 0;
}

static int target(rc_conn_t *rc, const rc_cmd_t *cmd)
{
    return rc->cluster ? rc->slot_node[key_slot(cmd->argv[1], cmd->argvlen[1])] : 0;
}

/* "MOVED 3999 127.0.0.1:6381" or "ASK ...": the node it names, added if new; -1 if malformed. */
static int redirect_node(rc_conn_t *rc, const char *err, unsigned *slot)
{
    char host[64];
    int port;
    if (sscanf(err, "%*s %u %63[^:]:%d", slot, host, &port) != 3 || *slot >= RC_HASH_SLOTS)
        return -1;
    return node_index(rc, host, strlen(host), port);
}

static bool starts(const redisReply *r, const char *word)
{
    return r->type == REDIS_REPLY_ERROR && strncasecmp(r->str, word, strlen(word)) == 0;
}

/* Errors worth waiting out: a cluster mid-failover or a server still loading. */
static bool transient(const redisReply *r)
{
    return starts(r, "CLUSTERDOWN") || starts(r, "TRYAGAIN") || starts(r, "LOADING") ||
           starts(r, "MASTERDOWN");
}

/* Run one command until it gets a final reply or the deadline passes. */
static void run_one(rc_conn_t *rc, rc_cmd_t *cmd, uint64_t deadline)
{
    int node = target(rc, cmd), ask = -1;
    for (;;) {
        int at = ask >= 0 ? ask : node;
        redisContext *c = connect_node(rc, &rc->nodes[at]);
        redisReply *r = NULL;
        if (c && ask >= 0 && (r = redisCommand(c, "ASKING")))
            freeReplyObject(r);
        r = c ? redisCommandArgv(c, cmd->argc, cmd->argv, cmd->argvlen) : NULL;
        ask = -1;
        unsigned slot;
        if (r && r->type != REDIS_REPLY_ERROR) {
            cmd->reply = r;
            return;
        }
        if (r && (starts(r, "MOVED") || starts(r, "ASK"))) {
            int to = redirect_node(rc, r->str, &slot);
            __atomic_fetch_add(&rc->redirects, 1, __ATOMIC_RELAXED); /* read by umm_store_stats_get */
            if (to >= 0 && starts(r, "MOVED"))
                rc->slot_node[slot] = (uint16_t)(node = to);
            else if (to >= 0)
                ask = to;
            bool ok = to >= 0;
            freeReplyObject(r);
            if (ok && mm_os_now_ns() < deadline)
                continue;
            return;
        }
        bool retry = !r || transient(r);
        if (r)
            freeReplyObject(r);
        if (!r)
            drop(&rc->nodes[at]);
        if (!retry || mm_os_now_ns() >= deadline)
            return;
        __atomic_fetch_add(&rc->retries, 1, __ATOMIC_RELAXED); /* read by umm_store_stats_get */
        uv_sleep(50);
        if (rc->cluster && learn_map(rc))
            node = target(rc, cmd);
    }
}

void rc_run(rc_conn_t *rc, rc_cmd_t *cmds, size_t n)
{
    uint64_t deadline = mm_os_now_ns() + (uint64_t)rc->timeout_ms * 1000000;
    for (size_t k = 0; k < n; k++) { /* send everything, node by node */
        rc_cmd_t *cmd = &cmds[k];
        cmd->reply = NULL;
        cmd->node = target(rc, cmd);
        redisContext *c = connect_node(rc, &rc->nodes[cmd->node]);
        cmd->sent = c && redisAppendCommandArgv(c, cmd->argc, cmd->argv, cmd->argvlen) == REDIS_OK;
    }
    for (size_t k = 0; k < n; k++) { /* collect, in order: each node answers in its order */
        rc_cmd_t *cmd = &cmds[k];
        rc_node_t *node = &rc->nodes[cmd->node];
        void *r = NULL;
        if (cmd->sent && node->ctx && redisGetReply(node->ctx, &r) != REDIS_OK) {
            drop(node); /* the later replies of this node are lost too: they go one by one */
            r = NULL;
        }
        redisReply *reply = r;
        if (reply && reply->type == REDIS_REPLY_ERROR) {
            freeReplyObject(reply);
            reply = NULL;
        }
        cmd->reply = reply;
    }
    for (size_t k = 0; k < n; k++)
        if (!cmds[k].reply)
            run_one(rc, &cmds[k], deadline);
}

void rc_free(rc_cmd_t *cmds, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (cmds[k].reply)
            freeReplyObject(cmds[k].reply);
        cmds[k].reply = NULL;
    }
}

/* SCAN one node for `pattern` and UNLINK what it finds. */
static bool unlink_on(rc_conn_t *rc, rc_node_t *n, const char *pattern)
{
    redisContext *c = connect_node(rc, n);
    char cursor[32] = "0";
    do {
        redisReply *r = c ? redisCommand(c, "SCAN %s MATCH %s COUNT 1000", cursor, pattern) : NULL;
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            if (r)
                freeReplyObject(r);
            return false;
        }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        redisReply *keys = r->element[1];
        for (size_t k = 0; k < keys->elements; k++) {
            redisReply *u = redisCommand(c, "UNLINK %b", keys->element[k]->str, keys->element[k]->len);
            if (u)
                freeReplyObject(u);
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    return true;
}

/* Which nodes are masters (serve some hash slot)? */
static void masters(const rc_conn_t *rc, bool *is_master)
{
    memset(is_master, 0, RC_MAX_NODES * sizeof *is_master);
    if (!rc->cluster) {
        is_master[0] = true;
        return;
    }
    for (unsigned s = 0; s < RC_HASH_SLOTS; s++)
        is_master[rc->slot_node[s]] = true;
}

static bool ping(rc_conn_t *rc, rc_node_t *n, const char *pattern)
{
    (void)pattern;
    redisContext *c = connect_node(rc, n);
    redisReply *r = c ? redisCommand(c, "PING") : NULL;
    bool ok = r && r->type != REDIS_REPLY_ERROR;
    if (r)
        freeReplyObject(r);
    else
        drop(n);
    return ok;
}

static int on_masters(rc_conn_t *rc, bool (*fn)(rc_conn_t *, rc_node_t *, const char *), const char *arg)
{
    bool is_master[RC_MAX_NODES], ok = true;
    masters(rc, is_master);
    for (unsigned i = 0; i < rc->nnodes; i++)
        if (is_master[i])
            ok = fn(rc, &rc->nodes[i], arg) && ok;
    return ok ? UMM_OK : UMM_E_IO;
}

/* WAIT 1 on a master with replicas: an answer of at least one. */
static bool wait_one(rc_conn_t *rc, rc_node_t *n, const char *arg)
{
    (void)arg;
    if (n->replicas == 0)
        return true;
    redisContext *c = connect_node(rc, n);
    redisReply *r = c ? redisCommand(c, "WAIT 1 %u", rc->timeout_ms) : NULL;
    bool ok = r && r->type == REDIS_REPLY_INTEGER && r->integer >= 1;
    if (r)
        freeReplyObject(r);
    else
        drop(n);
    return ok;
}

int rc_wait_replicated(rc_conn_t *rc)
{
    if (!rc->cluster || on_masters(rc, wait_one, NULL) == UMM_OK)
        return UMM_OK;
    learn_map(rc); /* a replica that failed leaves the map: the next write waits for the others */
    return UMM_E_IO;
}

int rc_ping_masters(rc_conn_t *rc)
{
    return on_masters(rc, ping, NULL);
}

int rc_unlink_matching(rc_conn_t *rc, const char *pattern)
{
    if (UMM_FAILPOINT(REDIS_DELETE))
        return UMM_E_IO;
    return on_masters(rc, unlink_on, pattern);
}
