/* SPDX-License-Identifier: MIT */
/* redis_util.h - real redis-server processes for the Redis store's tests (header-only).
 *
 *   ru_have_redis():     redis-server and redis-cli are on PATH (else the suites skip, saying so)
 *   ru_free_port():      a TCP port nobody listens on now (bound to port 0, then closed)
 *   ru_address():        "127.0.0.1:<port>" of a server, for a store's address
 *   ru_start()/ru_stop(): a redis-server on a port, no persistence, in its own temp directory;
 *                         cluster mode on request; started means it answers PING
 *   ru_cluster_create(): `redis-cli --cluster create` over started nodes, waiting for state ok
 *   ru_cmd():            one command through hiredis, the reply's integer (or -1)
 *   ru_is_master():      ROLE says "master"
 */
#ifndef UMM_REDIS_UTIL_H
#define UMM_REDIS_UTIL_H

#include "paging_util.h"

#include <hiredis/hiredis.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/wait.h>

typedef struct ru_server {
    pid_t pid;
    int port;
    char dir[64];
} ru_server_t;

static inline int ru_have_redis(void) {
    return system("command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1") == 0;
}

#define RU_SKIP_WITHOUT_REDIS()                                                                  \
    do {                                                                                         \
        if (!ru_have_redis()) {                                                                  \
            print_message("SKIP: redis-server/redis-cli not installed (apt-get install "        \
                          "redis-server redis-tools)\n");                                        \
            skip();                                                                              \
        }                                                                                        \
    } while (0)

/* Bind `port` (0: any) on loopback; the port bound, or 0 when taken. */
static inline int ru_try_port(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)port)};
    socklen_t len = sizeof a;
    int got = bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
              getsockname(fd, (struct sockaddr *)&a, &len) == 0 ? ntohs(a.sin_port) : 0;
    close(fd);
    return got;
}

static inline int ru_free_port(void) {
    int port = ru_try_port(0);
    assert_true(port > 0);
    return port;
}

/* A free port whose cluster bus port (+10000) is free too. */
static inline int ru_free_cluster_port(void) {
    for (int i = 0; i < 1000; i++) {
        int port = 20000 + (int)(tu_mix((uint64_t)getpid() * 1000 + (uint64_t)i) % 30000);
        if (ru_try_port(port) && ru_try_port(port + 10000))
            return port;
    }
    fail_msg("no free port pair for a cluster node");
    return 0;
}

/* The integer reply of a command at 127.0.0.1:port (-1: no answer or not an integer). */
static inline long long ru_cmd(int port, const char *cmd) {
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (!c || c->err) {
        if (c)
            redisFree(c);
        return -1;
    }
    redisReply *r = redisCommand(c, cmd);
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer
                : r && r->type == REDIS_REPLY_STATUS ? 0 : -1;
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return v;
}

/* Does the server at 127.0.0.1:port say it is a master (ROLE)? */
static inline int ru_is_master(int port) {
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    redisReply *r = c && !c->err ? redisCommand(c, "ROLE") : NULL;
    int master = r && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
                 r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, "master") == 0;
    if (r)
        freeReplyObject(r);
    if (c)
        redisFree(c);
    return master;
}

/* Servers still running: killed at exit, so a failed test (cmocka leaves its body early) leaves
 * none behind. */
static pid_t ru_live[16];

static void ru_kill_live(void) {
    for (int i = 0; i < 16; i++)
        if (ru_live[i] > 0)
            kill(ru_live[i], SIGKILL);
}

static inline void ru_track(pid_t pid, pid_t was) {
    static int registered;
    if (!registered++)
        atexit(ru_kill_live);
    for (int i = 0; i < 16; i++)
        if (ru_live[i] == was) {
            ru_live[i] = pid;
            return;
        }
}

static inline void ru_stop(ru_server_t *s) {
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        ru_track(0, s->pid);
    }
    s->pid = 0;
}

/* Run redis-server on s->port and wait until it answers. False when it exited first (a port found
 * free by probing can be taken by another process before the server binds it) or never answered
 * (then stopped). */
static inline bool ru_spawn(ru_server_t *s, int cluster) {
    char portbuf[16];
    snprintf(portbuf, sizeof portbuf, "%d", s->port);
    pid_t parent = getpid();
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
#ifdef __linux__
        /* killed with the test too when the test itself is killed (ctest's timeout sends SIGKILL,
         * which runs no atexit handler): no server outlives its test */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(127);
#endif
        if (chdir(s->dir) != 0)
            _exit(127);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1); /* not the test's stdout or stderr: ctest waits for those to close */
        dup2(null, 2);
        execlp("redis-server", "redis-server", "--port", portbuf, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--protected-mode", "no", "--cluster-enabled",
               cluster ? "yes" : "no", "--cluster-node-timeout", "1000", "--cluster-config-file",
               "nodes.conf", "--repl-diskless-sync-delay", "0", (char *)NULL);
        _exit(127);
    }
    ru_track(s->pid, 0);
    for (int i = 0; i < 500; i++, usleep(10000)) {
        if (ru_cmd(s->port, "PING") == 0)
            return true;
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
            ru_track(0, s->pid);
            s->pid = 0;
            return false;
        }
    }
    ru_stop(s);
    return false;
}

static inline void ru_start(ru_server_t *s, int port, int cluster) {
    if (!s->dir[0]) {
        snprintf(s->dir, sizeof s->dir, "/tmp/umm-redis-XXXXXX");
        assert_non_null(mkdtemp(s->dir));
    }
    bool up = false; /* a fresh port for each try, unless the caller named one */
    for (int attempt = 0; attempt < 5 && !up; attempt++) {
        if (attempt > 0 && !port) { /* a new node: not what the failed one wrote */
            char conf[sizeof s->dir + 16];
            snprintf(conf, sizeof conf, "%s/nodes.conf", s->dir);
            unlink(conf);
        }
        s->port = port ? port : cluster ? ru_free_cluster_port() : ru_free_port();
        up = ru_spawn(s, cluster);
    }
    assert_true(up);
}

/* "127.0.0.1:<port>", what a store's address is. */
static inline void ru_address(const ru_server_t *s, char *buf, size_t size) {
    snprintf(buf, size, "127.0.0.1:%d", s->port);
}

/* Stop and remove its directory. */
static inline void ru_destroy(ru_server_t *s) {
    ru_stop(s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s->dir);
    if (s->dir[0] && system(cmd) != 0)
        print_message("could not remove %s\n", s->dir);
    s->dir[0] = '\0';
}

/* Make a cluster of n started nodes (masters, then replicas per master); returns once the cluster
 * is up and every replica in sync. */
static inline void ru_cluster_create(ru_server_t *nodes, int n, int replicas) {
    char cmd[1024];
    int o = snprintf(cmd, sizeof cmd, "redis-cli --cluster create");
    for (int i = 0; i < n; i++)
        o += snprintf(cmd + o, sizeof cmd - (size_t)o, " 127.0.0.1:%d", nodes[i].port);
    snprintf(cmd + o, sizeof cmd - (size_t)o, " --cluster-replicas %d --cluster-yes >/dev/null 2>&1", replicas);
    assert_int_equal(system(cmd), 0);
    for (int i = 0; i < n; i++) { /* every node agrees the cluster is up */
        snprintf(cmd, sizeof cmd, "redis-cli -p %d cluster info | grep -q cluster_state:ok", nodes[i].port);
        int k = 0;
        while (system(cmd) != 0 && k++ < 1000)
            usleep(10000);
        assert_true(k < 1000);
    }
    for (int i = 0; i < n; i++) { /* every replica has its master's data: a replica that never
                                     synced refuses to take over, and no failover would come */
        snprintf(cmd, sizeof cmd, "redis-cli -p %d info replication | grep -q -e role:master "
                 "-e master_link_status:up", nodes[i].port);
        int k = 0;
        while (system(cmd) != 0 && k++ < 3000)
            usleep(10000);
        assert_true(k < 3000);
    }
}

#endif
