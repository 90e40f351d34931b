/* SPDX-License-Identifier: MIT */
/* test_unit_lists.c - unit tests of the PFN database and its page lists (mm/lists/pfn.h), on
 * databases built here (no system).
 *
 * Covered: initialisation (argument limits, every frame on the initial list in frame order);
 * random link-at-head, link-at-tail, move and unlink against a reference model of every list's
 * order, with mm_pfndb_check true and the counts adding up to nframes after every step; FIFO order
 * of Standby and Modified (tail insert, the head is the oldest) and LIFO order at the head of Zeroed
 * and Free; mm_pfndb_check false after each kind of deliberate corruption (broken next/prev links,
 * a wrong head or tail, a wrong count, an owned frame on an unowned list, a frame whose list field
 * disagrees with the list holding it, a cycle, a link out of range) and true again once repaired. */
#include "unit_util.h"

#include "pfn.h"

/* ---------------------------------------------------------------------------------------------
 * the reference model: each list as an array in head-to-tail order
 * ------------------------------------------------------------------------------------------- */

#define MAXF 256

typedef struct model {
    uint64_t nframes;
    mm_pfn_id_t order[LIST_COUNT_][MAXF]; /* LIST_ACTIVE: unordered */
    size_t n[LIST_COUNT_];
    enum mm_list_id where[MAXF];
} model_t;

static void model_init(model_t *m, uint64_t nframes, enum mm_list_id initial) {
    memset(m, 0, sizeof *m);
    m->nframes = nframes;
    for (mm_pfn_id_t f = 0; f < nframes; f++) {
        m->order[initial][m->n[initial]++] = f;
        m->where[f] = initial;
    }
}

static void model_remove(model_t *m, mm_pfn_id_t f) {
    enum mm_list_id l = m->where[f];
    for (size_t k = 0; k < m->n[l]; k++)
        if (m->order[l][k] == f) {
            memmove(&m->order[l][k], &m->order[l][k + 1], (m->n[l] - k - 1) * sizeof(mm_pfn_id_t));
            m->n[l]--;
            return;
        }
    fail_msg("model: frame %u not on %s", f, mm_pfn_list_name(l));
}

static void model_insert(model_t *m, mm_pfn_id_t f, enum mm_list_id l, bool head) {
    if (head) {
        memmove(&m->order[l][1], &m->order[l][0], m->n[l] * sizeof(mm_pfn_id_t));
        m->order[l][0] = f;
    } else {
        m->order[l][m->n[l]] = f;
    }
    m->n[l]++;
    m->where[f] = l;
}

static bool unowned_list(enum mm_list_id l) {
    return l == LIST_ZEROED || l == LIST_FREE || l == LIST_BAD || l == LIST_ZEROING;
}

/* What the memory manager does before linking a frame: an unowned list gets no owner and no
 * slot; the others get some owner (the database does not check which). */
static void set_owner_for(mm_pfndb_t *db, mm_pfn_id_t f, enum mm_list_id l) {
    mm_pfn_t *e = mm_pfn_entry(db, f);
    if (unowned_list(l)) {
        e->vad = e->index = e->slot = 0;
    } else {
        e->vad = 1 + f % 3;
        e->index = f;
        e->slot = mm_pfn_list_is_standby(l) ? f + 1 : 0;
    }
}

/* The database equals the model: every list forwards and backwards, the counts, the list field
 * of every frame, Active frames unlinked; and the database's own check agrees. */
static void assert_matches(const mm_pfndb_t *db, const model_t *m, long step) {
    uint64_t total = 0;
    for (int l = 0; l < LIST_COUNT_; l++) {
        total += mm_pfn_list_count(db, (enum mm_list_id)l);
        if (mm_pfn_list_count(db, (enum mm_list_id)l) != m->n[l])
            fail_msg("step %ld: %s count %" PRIu64 ", model %zu", step, mm_pfn_list_name((enum mm_list_id)l),
                     mm_pfn_list_count(db, (enum mm_list_id)l), m->n[l]);
        if (l == LIST_ACTIVE)
            continue;
        mm_pfn_id_t f = mm_pfn_list_head(db, (enum mm_list_id)l);
        for (size_t k = 0; k < m->n[l]; k++, f = db->e[f].next)
            if (f != m->order[l][k])
                fail_msg("step %ld: %s[%zu] = %u, model %u", step, mm_pfn_list_name((enum mm_list_id)l), k, f,
                         m->order[l][k]);
        assert_int_equal(f, PFN_NIL);
        f = db->lists[l].tail;
        for (size_t k = m->n[l]; k-- > 0; f = db->e[f].prev)
            if (f != m->order[l][k])
                fail_msg("step %ld: %s backwards [%zu] = %u, model %u", step,
                         mm_pfn_list_name((enum mm_list_id)l), k, f, m->order[l][k]);
        assert_int_equal(f, PFN_NIL);
    }
    assert_int_equal(total, db->nframes);
    for (mm_pfn_id_t f = 0; f < db->nframes; f++) {
        assert_int_equal(mm_pfn_list(db, f), m->where[f]);
        if (m->where[f] == LIST_ACTIVE) { /* no links; the word of prev holds the counts */
            assert_int_equal(db->e[f].next, PFN_NIL);
            assert_int_equal(db->e[f].pins, 0);
            assert_int_equal(db->e[f].locks, 0);
        }
    }
    if (!mm_pfndb_check(db))
        fail_msg("step %ld: mm_pfndb_check false on a database equal to the model", step);
}

/* ---------------------------------------------------------------------------------------------
 * initialisation
 * ------------------------------------------------------------------------------------------- */

static void test_init_limits_and_order(void **state) {
    (void)state;
    mm_pfndb_t db;
    assert_int_equal(mm_pfndb_init(&db, 0, LIST_ZEROED), -1);
    assert_int_equal(mm_pfndb_init(&db, PFN_NIL, LIST_ZEROED), -1); /* PFN_NIL is no frame */
    assert_int_equal(mm_pfndb_init(&db, (uint64_t)PFN_NIL + 1, LIST_ZEROED), -1);

    const uint64_t sizes[] = {1, 2, 63, 200};
    const enum mm_list_id initial[] = {LIST_ZEROED, LIST_FREE, LIST_ACTIVE, LIST_STANDBY0 + 7};
    for (size_t s = 0; s < 4; s++) {
        model_t m;
        assert_int_equal(mm_pfndb_init(&db, sizes[s], initial[s]), 0);
        assert_int_equal(db.nframes, sizes[s]);
        model_init(&m, sizes[s], initial[s]);
        assert_matches(&db, &m, -1);
        for (mm_pfn_id_t f = 0; f < sizes[s]; f++) { /* zeroed entries: no owner, no slot, no flag */
            assert_int_equal(db.e[f].vad, 0);
            assert_int_equal(db.e[f].slot, 0);
            assert_int_equal(db.e[f].flags, 0);
        }
        mm_pfndb_destroy(&db);
        assert_null(db.e);
        assert_int_equal(db.nframes, 0);
    }
}

/* ---------------------------------------------------------------------------------------------
 * random operations against the model
 * ------------------------------------------------------------------------------------------- */

static void random_ops(uint64_t nframes, uint64_t seed, long steps) {
    mm_pfndb_t db;
    model_t m;
    assert_int_equal(mm_pfndb_init(&db, nframes, LIST_ZEROED), 0);
    model_init(&m, nframes, LIST_ZEROED);
    pu_rng_t r = {seed};
    long ops[4] = {0};
    for (long step = 0; step < steps; step++) {
        mm_pfn_id_t f = (mm_pfn_id_t)(pu_next(&r) % nframes);
        /* bias toward a few lists so they grow long enough for order to matter */
        uint64_t pick = pu_next(&r) % 20;
        enum mm_list_id to = pick < 14 ? (enum mm_list_id)pick
                             : pick < 16 ? LIST_STANDBY0 + 2
                             : pick < 18 ? LIST_MODIFIED
                                         : LIST_FREE;
        int op = (int)(pu_next(&r) % 4);
        ops[op]++;
        switch (op) {
        case 0: /* unlink, then link at the head (the frame release path) */
        case 1: /* unlink, then link at the tail */
            mm_pfn_unlink(&db, f);
            model_remove(&m, f);
            /* between the two, the frame is on no list: the others add up to nframes - 1 */
            {
                uint64_t t = 0;
                for (int l = 0; l < LIST_COUNT_; l++)
                    t += mm_pfn_list_count(&db, (enum mm_list_id)l);
                assert_int_equal(t, nframes - 1);
            }
            set_owner_for(&db, f, to);
            if (op == 0)
                mm_pfn_link_head(&db, f, to);
            else
                mm_pfn_link_tail(&db, f, to);
            model_insert(&m, f, to, op == 0);
            break;
        case 2: /* move: tail */
        case 3:
            set_owner_for(&db, f, to);
            mm_pfn_move(&db, f, to);
            model_remove(&m, f);
            model_insert(&m, f, to, false);
            break;
        }
        assert_matches(&db, &m, step);
    }
    assert_true(ops[0] > 0 && ops[1] > 0 && ops[2] + ops[3] > 0);
    /* the run did spread the frames over the lists */
    int nonempty = 0;
    for (int l = 0; l < LIST_COUNT_; l++)
        nonempty += m.n[l] > 0;
    assert_true(nonempty >= (nframes >= 100 ? 10 : 1));
    mm_pfndb_destroy(&db);
}

static void test_random_ops_against_model(void **state) {
    (void)state;
    random_ops(200, 0x5eed0001, 20000);
    random_ops(MAXF, 0x5eed0002, 20000);
    random_ops(1, 0x5eed0003, 500); /* a single frame moving between lists */
    random_ops(3, 0x5eed0004, 2000);
}

/* ---------------------------------------------------------------------------------------------
 * order
 * ------------------------------------------------------------------------------------------- */

/* Standby and Modified take frames at the tail (mm_pfn_move), so their head is the oldest:
 * the writer and repurposing take the oldest first. */
static void test_fifo_standby_modified(void **state) {
    (void)state;
    mm_pfndb_t db;
    assert_int_equal(mm_pfndb_init(&db, 16, LIST_ACTIVE), 0);
    const enum mm_list_id fifo[] = {LIST_STANDBY0, LIST_STANDBY0 + 5, LIST_STANDBY0 + 7, LIST_MODIFIED,
                                    LIST_MODIFIED_NOWRITE};
    const mm_pfn_id_t in[] = {9, 2, 14, 5};
    for (size_t k = 0; k < sizeof fifo / sizeof fifo[0]; k++) {
        for (size_t j = 0; j < 4; j++) {
            set_owner_for(&db, in[j], fifo[k]);
            mm_pfn_move(&db, in[j], fifo[k]);
        }
        for (size_t j = 0; j < 4; j++) {
            mm_pfn_id_t h = mm_pfn_list_head(&db, fifo[k]);
            assert_int_equal(h, in[j]); /* oldest first */
            mm_pfn_move(&db, h, LIST_ACTIVE);
        }
        assert_int_equal(mm_pfn_list_head(&db, fifo[k]), PFN_NIL);
        assert_int_equal(mm_pfn_list_count(&db, fifo[k]), 0);
        assert_true(mm_pfndb_check(&db));
    }
    mm_pfndb_destroy(&db);
}

/* Frames released to the head of Zeroed or Free come back last-in first-out: callers release a
 * run from its last frame to its first so that it is taken again in order. */
static void test_lifo_head_zeroed_free(void **state) {
    (void)state;
    mm_pfndb_t db;
    assert_int_equal(mm_pfndb_init(&db, 16, LIST_ACTIVE), 0);
    const enum mm_list_id lifo[] = {LIST_ZEROED, LIST_FREE};
    for (size_t k = 0; k < 2; k++) {
        for (mm_pfn_id_t f = 11; f-- > 7;) { /* release 10, 9, 8, 7 */
            mm_pfn_unlink(&db, f);
            mm_pfn_link_head(&db, f, lifo[k]);
        }
        for (mm_pfn_id_t want = 7; want <= 10; want++) { /* taken back as 7, 8, 9, 10 */
            mm_pfn_id_t h = mm_pfn_list_head(&db, lifo[k]);
            assert_int_equal(h, want);
            mm_pfn_move(&db, h, LIST_ACTIVE);
        }
        assert_int_equal(mm_pfn_list_count(&db, lifo[k]), 0);
        assert_true(mm_pfndb_check(&db));
    }
    mm_pfndb_destroy(&db);
}

/* ---------------------------------------------------------------------------------------------
 * corruption is detected
 * ------------------------------------------------------------------------------------------- */

/* 64 frames: Zeroed 0-9, Free 10-19, Standby2 20-29, Modified 30-39, Bad 40-41, Zeroing 42-43,
 * Active 44-63. */
static void build_mixed(mm_pfndb_t *db) {
    assert_int_equal(mm_pfndb_init(db, 64, LIST_ZEROED), 0);
    for (mm_pfn_id_t f = 10; f < 64; f++) {
        enum mm_list_id l = f < 20 ? LIST_FREE : f < 30 ? LIST_STANDBY0 + 2 : f < 40 ? LIST_MODIFIED
                          : f < 42 ? LIST_BAD : f < 44 ? LIST_ZEROING : LIST_ACTIVE;
        set_owner_for(db, f, l);
        mm_pfn_move(db, f, l);
    }
    assert_true(mm_pfndb_check(db));
}

/* Apply a corruption to a copy of the field, check, undo, check again. */
#define CORRUPT(db, lvalue, bad)                                                                   \
    do {                                                                                           \
        __typeof__(lvalue) saved_ = (lvalue);                                                      \
        (lvalue) = (bad);                                                                          \
        if (mm_pfndb_check(db))                                                                    \
            fail_msg("mm_pfndb_check true after %s = %s", #lvalue, #bad);                          \
        (lvalue) = saved_;                                                                         \
        assert_true(mm_pfndb_check(db));                                                           \
    } while (0)

static void test_check_detects_broken_links(void **state) {
    (void)state;
    mm_pfndb_t db;
    build_mixed(&db);
    /* next skips a frame; prev names the wrong frame or none; a link out of range */
    CORRUPT(&db, db.e[12].next, 14);
    CORRUPT(&db, db.e[13].prev, PFN_NIL);
    CORRUPT(&db, db.e[25].prev, 27);
    CORRUPT(&db, db.e[31].next, 64);
    CORRUPT(&db, db.e[31].next, PFN_NIL); /* the list ends early */
    /* head and tail */
    CORRUPT(&db, db.lists[LIST_FREE].head, 11);
    CORRUPT(&db, db.lists[LIST_MODIFIED].tail, 38);
    CORRUPT(&db, db.lists[LIST_ZEROED].head, PFN_NIL);
    CORRUPT(&db, db.lists[LIST_BAD].tail, 63);
    /* a cycle: the check must end (and fail), not walk forever */
    CORRUPT(&db, db.e[39].next, 30);
    CORRUPT(&db, db.e[9].next, 9);
    mm_pfndb_destroy(&db);
}

static void test_check_detects_wrong_counts(void **state) {
    (void)state;
    mm_pfndb_t db;
    build_mixed(&db);
    /* one list one too many, Active one too few: the total still adds up, the walk does not */
    const enum mm_list_id walked[] = {LIST_FREE, LIST_STANDBY0 + 2, LIST_ZEROED};
    for (size_t k = 0; k < 3; k++)
        for (int d = -1; d <= 1; d += 2) {
            db.lists[walked[k]].count += (uint64_t)(int64_t)d;
            db.lists[LIST_ACTIVE].count -= (uint64_t)(int64_t)d;
            bool ok = mm_pfndb_check(&db);
            db.lists[walked[k]].count -= (uint64_t)(int64_t)d;
            db.lists[LIST_ACTIVE].count += (uint64_t)(int64_t)d;
            if (ok)
                fail_msg("%s count off by %d (Active compensating) not detected",
                         mm_pfn_list_name(walked[k]), d);
            assert_true(mm_pfndb_check(&db));
        }
    /* the total is off */
    CORRUPT(&db, db.lists[LIST_ACTIVE].count, 21);
    CORRUPT(&db, db.lists[LIST_ACTIVE].count, 19);
    CORRUPT(&db, db.lists[LIST_ZEROING].count, 3);
    CORRUPT(&db, db.nframes, 65);
    mm_pfndb_destroy(&db);
}

static void test_check_detects_owned_frame_on_unowned_list(void **state) {
    (void)state;
    mm_pfndb_t db;
    build_mixed(&db);
    const mm_pfn_id_t unowned[] = {0, 9, 10, 15, 40, 43}; /* Zeroed, Free, Bad, Zeroing */
    for (size_t k = 0; k < sizeof unowned / sizeof unowned[0]; k++) {
        CORRUPT(&db, db.e[unowned[k]].vad, 1);
        CORRUPT(&db, db.e[unowned[k]].slot, 5);
    }
    /* an owner and a slot are what Standby frames have: no complaint there */
    assert_true(db.e[20].vad != 0 && db.e[20].slot != 0);
    mm_pfndb_destroy(&db);
}

static void test_check_detects_wrong_list_field(void **state) {
    (void)state;
    mm_pfndb_t db;
    build_mixed(&db);
    /* a frame linked into Free that says it is on another list */
    CORRUPT(&db, db.e[15].list, LIST_STANDBY0 + 2);
    CORRUPT(&db, db.e[15].list, LIST_ACTIVE);
    CORRUPT(&db, db.e[25].list, LIST_MODIFIED);
    mm_pfndb_destroy(&db);
}

/* The other direction: an Active frame (on no list) whose list field names Free. pfn.h's
 * invariant is that a frame on a list is reachable from that list's head; the allocator trusts
 * the field (a frame "on Free" may be taken), so such a frame could be handed out twice. */
static void test_check_detects_unreachable_frame(void **state) {
    (void)state;
    mm_pfndb_t db;
    build_mixed(&db);
    db.e[50].list = LIST_FREE; /* still counted as Active, reachable from no list */
    bool caught = !mm_pfndb_check(&db);
    db.e[50].list = LIST_ACTIVE;
    assert_true(mm_pfndb_check(&db));
    mm_pfndb_destroy(&db);
    assert_true(caught); /* was a bug: the check never counted the frames claiming each list */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_limits_and_order),
        cmocka_unit_test(test_random_ops_against_model),
        cmocka_unit_test(test_fifo_standby_modified),
        cmocka_unit_test(test_lifo_head_zeroed_free),
        cmocka_unit_test(test_check_detects_broken_links),
        cmocka_unit_test(test_check_detects_wrong_counts),
        cmocka_unit_test(test_check_detects_owned_frame_on_unowned_list),
        cmocka_unit_test(test_check_detects_wrong_list_field),
        cmocka_unit_test(test_check_detects_unreachable_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
