/* SPDX-License-Identifier: MIT */
/* test_store_redis.c - the Redis backing store against real redis-server processes started on
 * free local ports (and stopped) by each test: 8x RAM on one server and on a 3-master cluster,
 * every byte verified; keys gone when freed and at destroy, a stale prefix cleaned at create;
 * an unreachable server and a failed AUTH refused at create; a server restarted without
 * persistence surfacing as in-page errors, counted; failure points. Skipped, saying why, without
 * redis-server or without hiredis in the build. */
#include "paging_util.h"

#ifdef UMM_HAVE_HIREDIS
#include "redis_util.h"
#include "store.h"
#include <pthread.h>
#include <stdbool.h>

#define RAM (4 * TU_MIB)

static umm_store_config_t redis_store(const char *address, size_t bytes, const char *prefix) {
    return (umm_store_config_t){.kind = UMM_STORE_REDIS, .bytes = bytes, .address = address,
                                .prefix = prefix, .timeout_ms = 2000};
}

static void sys_with_store(const umm_store_config_t *st, umm_system_t **sys, umm_process_t **proc) {
    umm_config_t cfg = pu_config(RAM, 0, 0, 0);
    cfg.stores = st;
    cfg.nstores = 1;
    tu_sys_new_cfg(&cfg, sys, proc);
}

/* A fresh redis-server and a system whose one store is on it. */
static void server_and_system(ru_server_t *srv, const char *prefix, size_t bytes, umm_system_t **sys,
                              umm_process_t **proc) {
    ru_start(srv, 0, 0);
    char addr[32];
    ru_address(srv, addr, sizeof addr);
    umm_store_config_t st = redis_store(addr, bytes, prefix);
    sys_with_store(&st, sys, proc);
}

static umm_store_stats_t store_stats(umm_system_t *sys, unsigned index) {
    umm_store_stats_t st;
    assert_int_equal(umm_store_stats_get(sys, index, &st), UMM_OK);
    return st;
}

static bool store_counts_agree(const umm_stats_t *s, const umm_store_stats_t *st) {
    return st->pages_written == s->pages_output && st->pages_read == s->pages_input &&
           st->clusters_written + st->write_errors == s->page_writes &&
           st->clusters_read + st->read_errors == s->page_reads && st->used == s->pagefile_used;
}

/* The only store's counters agree with the system's. The workers may be writing: a write is
 * counted by the store when it is done and by the system a moment later, so the two are read
 * again (up to 2 s) until no write is between them. */
static void assert_store_counts(umm_system_t *sys) {
    umm_stats_t s = tu_stats(sys);
    umm_store_stats_t st = store_stats(sys, 0);
    for (int k = 0; k < 200 && !store_counts_agree(&s, &st); k++) {
        usleep(10000);
        s = tu_stats(sys);
        st = store_stats(sys, 0);
    }
    umm_store_stats_t none;
    assert_int_equal(umm_store_stats_get(sys, 1, &none), UMM_E_NOT_FOUND);
    assert_int_equal(umm_store_stats_get(sys, 0, NULL), UMM_E_INVAL);
    assert_string_equal(st.kind, "redis");
    assert_string_equal(st.name, "redis0");
    assert_int_equal(st.pages_written, s.pages_output);
    assert_int_equal(st.pages_read, s.pages_input);
    assert_int_equal(st.bytes_written, s.pages_output * PU_PG);
    assert_int_equal(st.bytes_read, s.pages_input * PU_PG);
    assert_int_equal(st.clusters_written + st.write_errors, s.page_writes);
    assert_int_equal(st.clusters_read + st.read_errors, s.page_reads);
    assert_int_equal(st.used, s.pagefile_used);
    assert_true(st.reconnects >= 1);
}

/* npages written in a random order, read back in another, every byte compared. */
static void random_write_read(umm_system_t *sys, umm_process_t *proc, size_t npages) {
    unsigned char *base = tu_alloc(proc, npages * PU_PG);
    size_t *order = pu_order(npages, 3);
    for (size_t k = 0; k < npages; k++)
        tu_fill(pu_at(base, order[k]), PU_PG, order[k] + 1);
    free(order);
    order = pu_order(npages, 5);
    for (size_t k = 0; k < npages; k++)
        tu_assert_pattern(pu_at(base, order[k]), PU_PG, order[k] + 1);
    free(order);
    umm_stats_t s = tu_stats(sys);
    assert_true(s.pages_output >= npages - RAM / PU_PG);
    assert_true(s.pages_input > npages / 2);
    assert_int_equal(s.read_errors, 0);
    assert_int_equal(s.writer_errors, 0);
    assert_store_counts(sys);
    umm_store_stats_t st = store_stats(sys, 0);
    assert_int_equal(st.read_errors + st.write_errors + st.pages_lost, 0);
    tu_assert_consistent(sys);
}

static void test_single_server_8x_ram(void **state) {
    (void)state;
    RU_SKIP_WITHOUT_REDIS();
    ru_server_t srv = {0};
    umm_system_t *sys;
    umm_process_t *proc;
    server_and_system(&srv, "t:single", 10 * RAM, &sys, &proc);
    random_write_read(sys, proc, 8 * RAM / PU_PG);
    assert_true(ru_cmd(srv.port, "DBSIZE") > 0);
    umm_system_destroy(sys);
    assert_int_equal(ru_cmd(srv.port, "DBSIZE"), 0); /* destroy removed every key */
    ru_destroy(&srv);
}

/* Three cluster nodes started and made a cluster of 3 masters, no replicas. */
static void start_cluster3(ru_server_t *nodes) {
    for (int i = 0; i < 3; i++)
        ru_start(&nodes[i], 0, 1);
    ru_cluster_create(nodes, 3, 0);
}

static void test_cluster_8x_ram(void **state) {
    (void)state;
    RU_SKIP_WITHOUT_REDIS();
    ru_server_t nodes[3] = {{0}};
    start_cluster3(nodes);
    char addr[32];
    ru_address(&nodes[1], addr, sizeof addr); /* any node is a seed */
    umm_store_config_t st = redis_store(addr, 10 * RAM, "t:cluster");
    umm_system_t *sys;
    umm_process_t *proc;
    sys_with_store(&st, &sys, &proc);
    random_write_read(sys, proc, 8 * RAM / PU_PG);
    for (int i = 0; i < 3; i++) /* the keys are spread over the three masters */
        assert_true(ru_cmd(nodes[i].port, "DBSIZE") > 0);
    umm_system_destroy(sys);
    for (int i = 0; i < 3; i++)
        assert_int_equal(ru_cmd(nodes[i].port, "DBSIZE"), 0);
    for (int i = 0; i < 3; i++)
        ru_destroy(&nodes[i]);
}

/* Fill (verify 0) or verify (verify 1) page i with gen, armed for an in-page error the whole way:
 * 0, or the exception code that stopped it. */
static int try_page(unsigned char *page, uint64_t gen, int verify, size_t *bad) {
    *bad = (size_t)-1;
    if (sigsetjmp(tu_exc.env, 1) != 0)
        return (int)tu_exc.last.code;
    tu_exc.armed = 1;
    if (verify)
        *bad = tu_verify(page, PU_PG, gen);
    else
        tu_fill(page, PU_PG, gen);
    tu_exc.armed = 0;
    return 0;
}

/* Page i read back: exactly generation gen[i], or an in-page error (lost[i] set). Anything else
 * fails the test. */
static void read_or_lost(unsigned char *base, size_t i, const uint64_t *gen, unsigned char *lost) {
    size_t bad;
    int code = try_page(pu_at(base, i), gen[i], 1, &bad);
    if (code != 0) {
        assert_int_equal(code, UMM_EXC_IN_PAGE_ERROR);
        lost[i] = 1;
    } else if (bad != (size_t)-1) {
        fail_msg("page %zu: word %zu is not generation %" PRIu64, i, bad, gen[i]);
    }
}

/* A 3-master cluster, a replica each. 8x RAM written; then read back, verified and rewritten in
 * another order while one master is SIGKILLed a quarter of the way in: its replica takes over,
 * the reads and writes caught in the failover are retried until it has, and each page reads
 * exactly what was last written or is an in-page error (the pages the dead master had not
 * replicated), counted; then every page is decommitted and reused. */
static void test_cluster_master_killed(void **state) {
    (void)state;
    RU_SKIP_WITHOUT_REDIS();
    ru_server_t nodes[6] = {{0}};
    for (int i = 0; i < 6; i++)
        ru_start(&nodes[i], 0, 1);
    ru_cluster_create(nodes, 6, 1);
    int victim = -1, seed = -1;
    for (int i = 0; i < 6; i++)
        if (ru_is_master(nodes[i].port))
            *(seed < 0 ? &seed : &victim) = i;
    assert_true(seed >= 0 && victim >= 0);
    char addr[32];
    ru_address(&nodes[seed], addr, sizeof addr);
    umm_store_config_t st = redis_store(addr, 10 * RAM, "t:failover");
    st.timeout_ms = 15000; /* a failover takes the node timeout (1 s) and an election */
    umm_system_t *sys;
    umm_process_t *proc;
    sys_with_store(&st, &sys, &proc);
    tu_exc_install(sys);
    size_t npages = 8 * RAM / PU_PG, bad;
    unsigned char *base = tu_alloc(proc, npages * PU_PG);
    uint64_t *gen = calloc(npages, sizeof *gen);
    unsigned char *lost = calloc(npages, 1);
    assert_true(gen && lost);
    size_t *order = pu_order(npages, 3);
    for (size_t k = 0; k < npages; k++) {
        size_t i = order[k];
        gen[i] = i + 1;
        assert_int_equal(try_page(pu_at(base, i), gen[i], 0, &bad), 0);
    }
    free(order);
    umm_stats_t s0 = tu_stats(sys);
    order = pu_order(npages, 5);
    for (size_t k = 0; k < npages; k++) {
        size_t i = order[k];
        if (k == npages / 4)
            ru_stop(&nodes[victim]);
        read_or_lost(base, i, gen, lost);
        if (lost[i])
            continue;
        gen[i] += npages;
        if (try_page(pu_at(base, i), gen[i], 0, &bad) != 0)
            lost[i] = 1; /* stopped half written: its content is no longer known */
    }
    free(order);
    size_t nlost = 0;
    for (size_t i = 0; i < npages; i++) /* every page once more: the same, or lost */
        if (!lost[i])
            read_or_lost(base, i, gen, lost);
    for (size_t i = 0; i < npages; i++)
        nlost += lost[i];
    umm_stats_t s1 = tu_stats(sys);
    umm_store_stats_t ss = store_stats(sys, 0);
    print_message("master killed: %zu of %zu pages lost, %" PRIu64 " in-page errors, %" PRIu64
                  " pages lost on the server, %" PRIu64 " read errors, %" PRIu64 " write retries, %" PRIu64
                  " command retries\n", nlost, npages, s1.faults_in_page_error - s0.faults_in_page_error,
                  ss.pages_lost, ss.read_errors, ss.write_errors, ss.command_retries);
    int masters = 0; /* the victim's replica took over */
    for (int k = 0; k < 1500 && masters != 3; k++, usleep(10000))
        for (int i = masters = 0; i < 6; i++)
            masters += i != victim && ru_is_master(nodes[i].port);
    assert_int_equal(masters, 3);
    assert_true(ss.command_retries > 0); /* the failover was waited out, not failed through */
    assert_true(s1.faults_in_page_error - s0.faults_in_page_error >= nlost);
    assert_true(nlost <= npages / 8);
    /* nothing else broke: every page decommitted, committed and used again */
    assert_int_equal(umm_decommit(proc, base, npages * PU_PG), UMM_OK);
    assert_int_equal(umm_commit(proc, base, npages * PU_PG, TU_RW), UMM_OK);
    pu_fill_range(base, npages, 77);
    pu_verify_range_order(base, npages, NULL, 77, 7);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
    for (int i = 0; i < 6; i++)
        if (nodes[i].pid > 0 && ru_is_master(nodes[i].port))
            assert_int_equal(ru_cmd(nodes[i].port, "DBSIZE"), 0);
    for (int i = 0; i < 6; i++)
        ru_destroy(&nodes[i]);
    free(gen);
    free(lost);
}

static void test_unreachable_and_auth(void **state) {
    (void)state;
    RU_SKIP_WITHOUT_REDIS();
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", ru_free_port());
    umm_store_config_t st = redis_store(addr, RAM, NULL);
    umm_config_t cfg = pu_config(RAM, 0, 0, 0);
    cfg.stores = &st;
    cfg.nstores = 1;
    umm_system_t *sys = NULL;
    assert_int_equal(umm_system_create(&cfg, &sys), UMM_E_UNREACHABLE);
    assert_null(sys);
    st.address = "no-port";
    assert_int_equal(umm_system_create(&cfg, &sys), UMM_E_INVAL);
    ru_server_t srv = {0};
    ru_start(&srv, 0, 0);
    assert_int_equal(ru_cmd(srv.port, "CONFIG SET requirepass s3cret"), 0);
    ru_address(&srv, addr, sizeof addr);
    st.address = addr;
    assert_int_equal(umm_system_create(&cfg, &sys), UMM_E_UNREACHABLE); /* no password */
    st.password = "wrong";
    assert_int_equal(umm_system_create(&cfg, &sys), UMM_E_UNREACHABLE);
    st.password = "s3cret";
    assert_int_equal(umm_system_create(&cfg, &sys), UMM_OK);
    umm_system_destroy(sys);
    ru_destroy(&srv);
}

/* Keys left by a dead system under a prefix go at the next create with it; a key whose slots
 * are all freed goes when they are. */
static void test_stale_prefix_and_freed_keys(void **state) {
    (void)state;
    RU_SKIP_WITHOUT_REDIS();
    ru_server_t srv = {0};
    ru_start(&srv, 0, 0);
    assert_int_equal(ru_cmd(srv.port, "SET t:stale:5 leftover"), 0);
    assert_int_equal(ru_cmd(srv.port, "SET other:1 keep"), 0);
    char addr[32];
    ru_address(&srv, addr, sizeof addr);
    umm_store_config_t st = redis_store(addr, 4 * RAM, "t:stale");
    umm_system_t *sys;
    umm_process_t *proc;
    sys_with_store(&st, &sys, &proc);
    assert_int_equal(ru_cmd(srv.port, "EXISTS t:stale:5"), 0);
    assert_int_equal(ru_cmd(srv.port, "EXISTS other:1"), 1);
    size_t npages = 3 * RAM / PU_PG;
    unsigned char *base = tu_alloc(proc, npages * PU_PG);
    pu_fill_range(base, npages, 9);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    long long keys = ru_cmd(srv.port, "DBSIZE") - 1;
    assert_true(keys > 0);
    assert_int_equal(store_stats(sys, 0).keys_deleted, 0);
    assert_int_equal(umm_decommit(proc, base, npages * PU_PG), UMM_OK);
    /* The I/O thread unlinks them, and counts them when the UNLINK's reply is in: the server
     * may show them gone a moment before the counter does. */
    int k = 0;
    while ((ru_cmd(srv.port, "DBSIZE") != 1 || store_stats(sys, 0).keys_deleted < (uint64_t)keys) &&
           k++ < 500)
        usleep(10000);
    assert_int_equal(ru_cmd(srv.port, "DBSIZE"), 1);
    /* every key it made went (the writer may have made some after the count above) */
    assert_true(store_stats(sys, 0).keys_deleted >= (uint64_t)keys);
    assert_true(store_stats(sys, 0).keys_deleted <= 4 * RAM / PU_PG / 16);
    umm_system_destroy(sys);
    ru_destroy(&srv);
}

/* Pages out, server restarted empty: each of them is an in-page error (counted), every page
 * still in RAM reads right, and the system keeps working. */
static void test_restart_without_persistence(void **state) {
    (void)state;
    RU_SKIP_WITHOUT_REDIS();
    ru_server_t srv = {0};
    umm_system_t *sys;
    umm_process_t *proc;
    server_and_system(&srv, "t:restart", 8 * RAM, &sys, &proc);
    tu_exc_install(sys);
    size_t npages = 4 * RAM / PU_PG;
    unsigned char *base = tu_alloc(proc, npages * PU_PG);
    for (size_t i = 0; i < npages; i++)
        tu_fill(pu_at(base, i), PU_PG, i + 1);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    ru_stop(&srv);
    ru_start(&srv, srv.port, 0);
    umm_stats_t s0 = tu_stats(sys);
    size_t good = 0, lost = 0;
    for (size_t i = 0; i < npages; i++) {
        unsigned char v;
        int code = tu_try_read(pu_at(base, i), &v);
        if (code == 0) {
            tu_assert_pattern(pu_at(base, i), PU_PG, i + 1);
            good++;
        } else {
            assert_int_equal(code, UMM_EXC_IN_PAGE_ERROR);
            lost++;
        }
    }
    umm_stats_t s1 = tu_stats(sys);
    print_message("restart: %zu pages read, %zu in-page errors, %" PRIu64 " failed reads\n", good,
                  lost, s1.read_errors - s0.read_errors);
    assert_true(lost >= npages / 2); /* at most RAM's worth was still in memory */
    assert_int_equal(s1.faults_in_page_error - s0.faults_in_page_error, lost);
    assert_true(s1.read_errors - s0.read_errors >= 1);
    umm_store_stats_t st = store_stats(sys, 0);
    assert_int_equal(st.pages_lost, lost); /* each lost page counted once, however often read */
    assert_int_equal(st.read_errors, s1.read_errors - s0.read_errors);
    assert_store_counts(sys);
    /* the lost pages stay lost (each access raises again) until decommitted; then all is well */
    assert_int_equal(umm_decommit(proc, base, npages * PU_PG), UMM_OK);
    assert_int_equal(umm_commit(proc, base, npages * PU_PG, TU_RW), UMM_OK);
    pu_fill_range(base, npages, 77);
    assert_int_equal(store_stats(sys, 0).pages_lost, lost); /* freed: no longer lost, not uncounted */
    pu_verify_range_order(base, npages, NULL, 77, 3);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
    ru_destroy(&srv);
}

/* umm/redis/write fails the writer's writes: the flush says so, the pages stay Modified and go
 * out on the next one, nothing lost; umm/redis/read fails a hard fault's read: an in-page error,
 * the page readable once the point is off. */
static void test_failure_points(void **state) {
    (void)state;
    RU_SKIP_WITHOUT_REDIS();
    ru_server_t srv = {0};
    umm_system_t *sys;
    umm_process_t *proc;
    server_and_system(&srv, "t:fp", 8 * RAM, &sys, &proc);
    tu_exc_install(sys);
    size_t npages = 3 * RAM / PU_PG, dirty = 64;
    unsigned char *base = tu_alloc(proc, npages * PU_PG);
    pu_fill_range(base, npages, 1);
    pu_fill_range(base, dirty, 2);
    assert_int_equal(umm_ws_empty(proc), UMM_OK); /* trimmed: Modified, for the writer */
    umm_stats_t s0 = tu_stats(sys);
    assert_int_equal(umm_failpoint_enable("umm/redis/write", 1.0, 0), UMM_OK);
    assert_int_equal(umm_flush_modified(sys), UMM_E_IO);
    assert_int_equal(umm_failpoint_disable("umm/redis/write"), UMM_OK);
    assert_true(tu_stats(sys).writer_errors > s0.writer_errors);
    assert_int_equal(store_stats(sys, 0).write_errors, tu_stats(sys).writer_errors - s0.writer_errors);
    assert_int_equal(umm_flush_modified(sys), UMM_OK);
    assert_int_equal(umm_failpoint_enable("umm/redis/read", 1.0, 0), UMM_OK);
    size_t raised = 0;
    for (size_t i = dirty; i < npages; i++) {
        unsigned char v;
        int code = tu_try_read(pu_at(base, i), &v);
        assert_true(code == 0 || code == UMM_EXC_IN_PAGE_ERROR);
        raised += code != 0;
    }
    assert_int_equal(umm_failpoint_disable("umm/redis/read"), UMM_OK);
    assert_true(raised > 0);
    assert_true(store_stats(sys, 0).read_errors >= raised); /* a read-ahead may fail too */
    assert_int_equal(store_stats(sys, 0).pages_lost, 0); /* failed reads, not missing pages */
    for (size_t i = 0; i < npages; i++)
        tu_assert_pattern(pu_at(base, i), PU_PG, i < dirty ? 2 : 1);
    tu_assert_consistent(sys);
    umm_system_destroy(sys);
    ru_destroy(&srv);
}

/* ---- concurrent write requests, pipelined in the I/O thread's rounds ---- */
#define PIPE_WRITERS 24
#define PIPE_PAGES 16 /* a writer's write: one key's worth of slots */
#define PIPE_PIECES 4 /* its pages in separate buffers, as frames are */

typedef struct pipe_write {
    mm_store_t *st;
    pthread_barrier_t *start;
    uint64_t slot;
    unsigned char *piece[PIPE_PIECES];
    int rc;
} pipe_write_t;

static void *pipe_writer(void *arg) {
    pipe_write_t *w = arg;
    struct iovec iov[PIPE_PIECES];
    for (int p = 0; p < PIPE_PIECES; p++) /* in reverse: nothing contiguous for the store to lean on */
        iov[p] = (struct iovec){w->piece[PIPE_PIECES - 1 - p], PIPE_PAGES / PIPE_PIECES * PU_PG};
    pthread_barrier_wait(w->start);
    w->rc = mm_store_write(w->st, w->slot, iov, PIPE_PIECES);
    return NULL;
}

/* Every writer's request at once (queued together, so most share a round); rc of each in w[]. */
static void write_all_at_once(pipe_write_t *w, uint64_t first_slot, uint64_t gen) {
    pthread_t t[PIPE_WRITERS];
    pthread_barrier_t start;
    assert_int_equal(pthread_barrier_init(&start, NULL, PIPE_WRITERS), 0);
    for (int i = 0; i < PIPE_WRITERS; i++) {
        w[i].start = &start;
        w[i].slot = first_slot + (uint64_t)i * PIPE_PAGES;
        for (int p = 0; p < PIPE_PIECES; p++)
            tu_fill(w[i].piece[p], PIPE_PAGES / PIPE_PIECES * PU_PG, gen + (uint64_t)i * PIPE_PIECES + (uint64_t)p);
        assert_int_equal(pthread_create(&t[i], NULL, pipe_writer, &w[i]), 0);
    }
    for (int i = 0; i < PIPE_WRITERS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    pthread_barrier_destroy(&start);
}

/* Writer i's pages read back from the store: UMM_OK and byte-exact (the pattern is keyed by
 * address, so it is compared with the pieces written), or the read's error. */
static int read_back(mm_store_t *st, const pipe_write_t *w, int i, uint64_t gen) {
    size_t piece = PIPE_PAGES / PIPE_PIECES * PU_PG;
    unsigned char *buf = malloc(PIPE_PAGES * PU_PG);
    assert_non_null(buf);
    struct iovec iov = {buf, PIPE_PAGES * PU_PG};
    int rc = mm_store_read(st, w[i].slot, &iov, 1);
    for (int p = 0; rc == UMM_OK && p < PIPE_PIECES; p++) { /* written in reverse */
        unsigned char *got = buf + (size_t)(PIPE_PIECES - 1 - p) * piece;
        assert_memory_equal(got, w[i].piece[p], piece);
        assert_int_equal(tu_verify(w[i].piece[p], piece, gen + (uint64_t)i * PIPE_PIECES + (uint64_t)p),
                         (size_t)-1); /* and the source still holds what this round wrote */
    }
    free(buf);
    return rc;
}

/* Run a command on whichever node answers it (the key's master in a cluster): its integer. */
static long long on_owner(const ru_server_t *nodes, int n, const char *cmd) {
    long long v = -1;
    for (int i = 0; i < n && v < 0; i++)
        v = ru_cmd(nodes[i].port, cmd);
    return v;
}

/* PIPE_WRITERS threads write at once, each a run of 16 slots from 4 scattered buffers: first
 * straddling two keys (two SETRANGEs a request), every byte read back; then one key per request,
 * with one key made a list on the server: only that request's SETRANGE fails (WRONGTYPE), only
 * its write says UMM_E_IO, every other lands byte-exact, and the list is untouched. */
static void concurrent_writes(const ru_server_t *nodes, int n, const char *prefix) {
    char addr[32], cmd[96];
    ru_address(&nodes[0], addr, sizeof addr);
    umm_store_config_t cfg = redis_store(addr, (PIPE_WRITERS + 1) * PIPE_PAGES * PU_PG, prefix);
    mm_store_t st;
    assert_int_equal(mm_store_open(&st, &cfg, PU_PG, 0), UMM_OK);
    assert_int_equal(mm_store_alloc_run(&st, (PIPE_WRITERS + 1) * PIPE_PAGES), 0);
    pipe_write_t w[PIPE_WRITERS] = {{0}};
    for (int i = 0; i < PIPE_WRITERS; i++) {
        w[i].st = &st;
        for (int p = 0; p < PIPE_PIECES; p++)
            assert_non_null(w[i].piece[p] = malloc(PIPE_PAGES / PIPE_PIECES * PU_PG));
    }
    write_all_at_once(w, PIPE_PAGES / 2, 1000);
    for (int i = 0; i < PIPE_WRITERS; i++) {
        assert_int_equal(w[i].rc, UMM_OK);
        assert_int_equal(read_back(&st, w, i, 1000), UMM_OK);
    }
    const int spoiled = 5; /* key 5 becomes a list: SETRANGE and GETRANGE on it say WRONGTYPE */
    snprintf(cmd, sizeof cmd, "DEL %s:%d", prefix, spoiled);
    assert_int_equal(on_owner(nodes, n, cmd), 1);
    snprintf(cmd, sizeof cmd, "RPUSH %s:%d x", prefix, spoiled);
    assert_int_equal(on_owner(nodes, n, cmd), 1);
    write_all_at_once(w, 0, 5000);
    for (int i = 0; i < PIPE_WRITERS; i++) {
        assert_int_equal(w[i].rc, i == spoiled ? UMM_E_IO : UMM_OK);
        assert_int_equal(read_back(&st, w, i, 5000), i == spoiled ? UMM_E_IO : UMM_OK);
    }
    snprintf(cmd, sizeof cmd, "LLEN %s:%d", prefix, spoiled);
    assert_int_equal(on_owner(nodes, n, cmd), 1);
    umm_store_stats_t ss;
    mm_store_stats(&st, &ss);
    assert_int_equal(ss.write_errors, 1);
    assert_int_equal(ss.clusters_written, 2 * PIPE_WRITERS - 1);
    mm_store_close(&st);
    for (int i = 0; i < n; i++) /* close removed every key, the list too */
        if (ru_is_master(nodes[i].port))
            assert_int_equal(ru_cmd(nodes[i].port, "DBSIZE"), 0);
    for (int i = 0; i < PIPE_WRITERS; i++)
        for (int p = 0; p < PIPE_PIECES; p++)
            free(w[i].piece[p]);
}

static void test_concurrent_writes_single(void **state) {
    (void)state;
    RU_SKIP_WITHOUT_REDIS();
    ru_server_t srv = {0};
    ru_start(&srv, 0, 0);
    concurrent_writes(&srv, 1, "t:pipe");
    ru_destroy(&srv);
}

static void test_concurrent_writes_cluster(void **state) {
    (void)state;
    RU_SKIP_WITHOUT_REDIS();
    ru_server_t nodes[3] = {{0}};
    start_cluster3(nodes);
    concurrent_writes(nodes, 3, "t:pipec");
    for (int i = 0; i < 3; i++)
        ru_destroy(&nodes[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_server_8x_ram),
        cmocka_unit_test(test_cluster_8x_ram),
        cmocka_unit_test(test_cluster_master_killed),
        cmocka_unit_test(test_unreachable_and_auth),
        cmocka_unit_test(test_stale_prefix_and_freed_keys),
        cmocka_unit_test(test_restart_without_persistence),
        cmocka_unit_test(test_failure_points),
        cmocka_unit_test(test_concurrent_writes_single),
        cmocka_unit_test(test_concurrent_writes_cluster),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#else /* no hiredis in this build */

static void test_redis_store_not_supported(void **state) {
    (void)state;
    umm_store_config_t st = {.kind = UMM_STORE_REDIS, .bytes = TU_MIB, .address = "127.0.0.1:6379"};
    umm_config_t cfg = pu_config(4 * TU_MIB, 0, 0, 0);
    cfg.stores = &st;
    cfg.nstores = 1;
    umm_system_t *sys = NULL;
    assert_int_equal(umm_system_create(&cfg, &sys), UMM_E_NOT_SUPPORTED);
    print_message("SKIP: this build has no hiredis (libhiredis-dev): the Redis store is not built\n");
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_redis_store_not_supported)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
