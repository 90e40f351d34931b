/* SPDX-License-Identifier: MIT */
/* redis_conn.h - talking to a Redis deployment: one server, or a Redis Cluster whose hash slots
 * are learnt from CLUSTER SLOTS. Commands are pipelined per node; a MOVED reply updates the slot
 * map and is retried, an ASK is retried once at the node it names (after ASKING), a lost
 * connection, CLUSTERDOWN, TRYAGAIN or LOADING is retried (reconnecting and relearning the map:
 * a failover) until the deadline. Used by one thread only (the store's I/O thread, and open and
 * close before and after it runs); hiredis mallocs, so none of this runs in a signal handler.
 *
 * Invariant: nnodes <= RC_MAX_NODES; slot_node[s] < nnodes for every hash slot once a map was
 * learnt (single server: every slot is node 0); a node's ctx is NULL or a connected context. */
#ifndef UMM_REDIS_CONN_H
#define UMM_REDIS_CONN_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RC_MAX_NODES 32
#define RC_HASH_SLOTS 16384

typedef struct rc_node {
    char host[64];
    int port;
    redisContext *ctx;
    unsigned replicas; /* a master's replicas in the last map learnt */
} rc_node_t;

typedef struct rc_conn {
    rc_node_t nodes[RC_MAX_NODES];
    unsigned nnodes;
    bool cluster;
    uint16_t slot_node[RC_HASH_SLOTS];
    const char *user, *password; /* AUTH on every connect; never logged */
    unsigned timeout_ms;
    uint64_t retries, redirects, reconnects; /* counters: atomic adds, read from any thread */
} rc_conn_t;

/* One command of a pipeline: argv (the key is argv[1]); reply set by rc_run (NULL: failed). */
typedef struct rc_cmd {
    int argc;
    const char *argv[4];
    size_t argvlen[4];
    redisReply *reply;
    int node;      /* internal: where it was sent */
    bool sent;
} rc_cmd_t;

/* Connect to the seed "host:port", AUTH, learn whether it is a cluster and its map. UMM_OK or
 * UMM_E_UNREACHABLE (UMM_E_INVAL for a malformed address). */
int rc_open(rc_conn_t *rc, const char *address, const char *user, const char *password,
            unsigned timeout_ms);
void rc_close(rc_conn_t *rc);
/* Run n commands, pipelined per node, each retried as the header says until timeout_ms; each
 * cmd's reply is a non-error reply or NULL (give up). Replies are the caller's to free (rc_free). */
void rc_run(rc_conn_t *rc, rc_cmd_t *cmds, size_t n);
void rc_free(rc_cmd_t *cmds, size_t n);
/* A connection to the single server, authenticated, handed over as a bare socket (its receive
 * and send timeouts set): the fault path's own; -1 on failure. Not for a cluster. */
int rc_raw_socket(rc_conn_t *rc);
/* WAIT on every master that has replicas until one of them has what this connection wrote there:
 * UMM_OK, or UMM_E_IO when none acknowledged within timeout_ms. Redis replicates asynchronously,
 * so a write a master acknowledged and then died with is otherwise lost, or read back from the
 * promoted replica as an older copy. */
int rc_wait_replicated(rc_conn_t *rc);
/* PING every master: UMM_OK when all answer (a flush: everything sent before was applied). */
int rc_ping_masters(rc_conn_t *rc);
/* Remove every key matching `pattern` (SCAN + UNLINK on every master). UMM_OK or UMM_E_IO. */
int rc_unlink_matching(rc_conn_t *rc, const char *pattern);

#endif
