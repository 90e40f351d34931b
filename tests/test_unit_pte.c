/* SPDX-License-Identifier: MIT */
/* test_unit_pte.c - unit tests of the software PTE (mm/pte/pte.h, pte.c), no system needed.
 *
 * Covered: every one of the 7 x 7 format transitions against a table written here from
 * docs/states.md section 2 (not copied from pte.c), whatever other bits the old PTE carries; an
 * out-of-range format (7) is never legal; the extra rules of mm_pte_transition_legal (ACCESSED,
 * DIRTY, AGE and HW_RO only on VALID, never HW with HW_RO, a VALID page never GUARD, NONE and
 * DECOMMITTED carry no other bit); mm_pte_write applying legal values and, in debug builds,
 * aborting on an illegal one; mm_pte_hw_prot for every format x protection x ACCESSED x DIRTY
 * (plus HW, HW_RO and AGE, which must not matter) against docs/states.md section 7; the field
 * accessors and their round trips at the field limits; the format names. */
#include "test_util.h"

#include "pte.h"

#include <sys/wait.h>

static const unsigned all_formats[] = {PTE_NONE,     PTE_VALID,     PTE_TRANSITION, PTE_DEMAND_ZERO,
                                       PTE_PAGEFILE, PTE_PROTOTYPE, PTE_DECOMMITTED};
#define NFORMATS 7

/* docs/states.md, "Legal PTE transitions": row = from, column = to, in the order
 * NONE VALID TRANSITION DEMAND_ZERO PAGEFILE PROTOTYPE DECOMMITTED; 'x' = legal ("✓" and
 * "✓ (unused)" in the document), '-' = illegal. */
static const char *const docs_legal[NFORMATS] = {
    [PTE_NONE] = "x--xxx-",
    [PTE_VALID] = "xxxx-xx",
    [PTE_TRANSITION] = "xxxxx-x",
    [PTE_DEMAND_ZERO] = "xx-x--x",
    [PTE_PAGEFILE] = "xxxxx-x",
    [PTE_PROTOTYPE] = "xx---xx",
    [PTE_DECOMMITTED] = "x--x-xx",
};

static bool docs_says_legal(unsigned from, unsigned to) { return docs_legal[from][to] == 'x'; }

/* The plainest PTE of a format that obeys every rule: committed formats read-write with a number
 * (frame, slot or prototype index); NONE and DECOMMITTED nothing but the format. */
static mm_pte_t plain(unsigned format) {
    if (format == PTE_NONE || format == PTE_DECOMMITTED)
        return mm_pte_make(format, 0, 0);
    uint64_t num = format == PTE_DEMAND_ZERO ? 0 : 1234;
    return mm_pte_make(format, TU_RW, num);
}

/* Variants of a "from" PTE of a format: legality must depend only on the old format. */
static size_t from_variants(unsigned format, mm_pte_t *out) {
    size_t n = 0;
    out[n++] = plain(format);
    if (format == PTE_NONE || format == PTE_DECOMMITTED)
        return n;
    bool numbered = format != PTE_DEMAND_ZERO; /* docs: bits 16-63 of DEMAND_ZERO are 0 */
    out[n++] = plain(format) | PTE_HW;
    out[n++] = mm_pte_make(format, UMM_PROT_READ, numbered ? PTE_NUM_MAX : 0);
    out[n++] = mm_pte_make(format, 0, numbered ? 7 : 0);
    if (format == PTE_VALID) {
        out[n++] = mm_pte_with_age(plain(format) | PTE_ACCESSED | PTE_DIRTY | PTE_HW, 7);
        out[n++] = plain(format) | PTE_HW_RO | PTE_ACCESSED;
    } else {
        out[n++] = mm_pte_make(format, TU_RW | UMM_PROT_GUARD, numbered ? 99 : 0);
    }
    return n;
}

static void test_transition_table_matches_docs(void **state) {
    (void)state;
    int legal_seen = 0, illegal_seen = 0;
    for (size_t a = 0; a < NFORMATS; a++) {
        unsigned from = all_formats[a];
        mm_pte_t froms[8];
        size_t nf = from_variants(from, froms);
        for (size_t b = 0; b < NFORMATS; b++) {
            unsigned to = all_formats[b];
            bool want = docs_says_legal(from, to);
            for (size_t v = 0; v < nf; v++) {
                bool got = mm_pte_transition_legal(froms[v], plain(to));
                if (got != want)
                    fail_msg("%s (0x%" PRIx64 ") -> %s: legal %d, docs/states.md says %d",
                             mm_pte_format_name(from), froms[v], mm_pte_format_name(to), got, want);
            }
            want ? legal_seen++ : illegal_seen++;
        }
    }
    /* the table above is not all one value: 34 legal pairs, 15 illegal ones */
    assert_int_equal(legal_seen, 34);
    assert_int_equal(illegal_seen, 15);
}

/* Rewriting a format to itself is always legal (the diagonal), whatever fields change. */
static void test_same_format_rewrites_legal(void **state) {
    (void)state;
    for (size_t a = 0; a < NFORMATS; a++) {
        unsigned f = all_formats[a];
        assert_true(docs_says_legal(f, f));
        mm_pte_t froms[8];
        size_t nf = from_variants(f, froms);
        for (size_t v = 0; v < nf; v++)
            for (size_t w = 0; w < nf; w++)
                if (!mm_pte_transition_legal(froms[v], froms[w]))
                    fail_msg("%s: 0x%" PRIx64 " -> 0x%" PRIx64 " refused", mm_pte_format_name(f),
                             froms[v], froms[w]);
    }
}

/* The three format bits can hold 7, which is no format: never legal in either direction. */
static void test_format_7_never_legal(void **state) {
    (void)state;
    mm_pte_t bad = mm_pte_make(7, TU_RW, 1);
    assert_false(mm_pte_transition_legal(bad, bad));
    for (size_t a = 0; a < NFORMATS; a++) {
        assert_false(mm_pte_transition_legal(plain(all_formats[a]), bad));
        assert_false(mm_pte_transition_legal(bad, plain(all_formats[a])));
    }
    assert_string_equal(mm_pte_format_name(7), "invalid");
    assert_string_equal(mm_pte_format_name(1000), "invalid");
}

/* ACCESSED, DIRTY, AGE (each value) and HW_RO: accepted on VALID, refused on every other format,
 * even where the format change itself is legal (from the same format). */
static void test_valid_only_bits(void **state) {
    (void)state;
    mm_pte_t bits[3 + 7];
    size_t nb = 0;
    bits[nb++] = PTE_ACCESSED;
    bits[nb++] = PTE_DIRTY;
    bits[nb++] = PTE_HW_RO;
    for (unsigned age = 1; age <= 7; age++)
        bits[nb++] = (mm_pte_t)age << PTE_AGE_SHIFT;
    for (size_t a = 0; a < NFORMATS; a++) {
        unsigned f = all_formats[a];
        for (size_t k = 0; k < nb; k++) {
            mm_pte_t to = plain(f) | bits[k];
            bool got = mm_pte_transition_legal(plain(f), to);
            if (got != (f == PTE_VALID))
                fail_msg("%s with bits 0x%" PRIx64 ": legal %d", mm_pte_format_name(f), bits[k], got);
        }
    }
}

/* HW and HW_RO together never; each alone on VALID; HW alone on every committed format (a stale
 * mapping on DEMAND_ZERO, PAGEFILE, PROTOTYPE). */
static void test_hw_and_hw_ro(void **state) {
    (void)state;
    mm_pte_t v = plain(PTE_VALID) | PTE_ACCESSED;
    assert_true(mm_pte_transition_legal(v, v | PTE_HW));
    assert_true(mm_pte_transition_legal(v, v | PTE_HW_RO));
    assert_false(mm_pte_transition_legal(v, v | PTE_HW | PTE_HW_RO));
    assert_false(mm_pte_transition_legal(v | PTE_HW, v | PTE_HW | PTE_HW_RO));
    for (size_t a = 0; a < NFORMATS; a++) {
        unsigned f = all_formats[a];
        bool committed = f != PTE_NONE && f != PTE_DECOMMITTED;
        assert_int_equal(mm_pte_transition_legal(plain(f), plain(f) | PTE_HW), committed);
        assert_false(mm_pte_transition_legal(plain(f), plain(f) | PTE_HW | PTE_HW_RO));
    }
}

/* GUARD: never on VALID (any protection it is combined with), allowed on the other committed
 * formats (a guard page waits in DEMAND_ZERO, TRANSITION, PAGEFILE or PROTOTYPE). */
static void test_valid_never_guard(void **state) {
    (void)state;
    for (int prot = 0; prot < 16; prot++) {
        for (size_t a = 0; a < NFORMATS; a++) {
            unsigned f = all_formats[a];
            if (f == PTE_NONE || f == PTE_DECOMMITTED)
                continue;
            mm_pte_t to = mm_pte_make(f, prot, f == PTE_DEMAND_ZERO ? 0 : 5);
            bool want = !(f == PTE_VALID && (prot & UMM_PROT_GUARD));
            if (mm_pte_transition_legal(plain(f), to) != want)
                fail_msg("%s prot 0x%x: want legal %d", mm_pte_format_name(f), (unsigned)prot, want);
        }
    }
    /* from VALID to a guarded non-VALID page is fine (protect traps the page this way) */
    assert_true(mm_pte_transition_legal(plain(PTE_VALID), mm_pte_make(PTE_TRANSITION, TU_RW | UMM_PROT_GUARD, 1)));
}

/* NONE and DECOMMITTED carry nothing: any one bit above the format bits makes them illegal. */
static void test_uncommitted_carry_nothing(void **state) {
    (void)state;
    const unsigned f2[] = {PTE_NONE, PTE_DECOMMITTED};
    for (size_t a = 0; a < 2; a++) {
        assert_true(mm_pte_transition_legal(plain(f2[a]), plain(f2[a])));
        for (unsigned bit = 3; bit < 64; bit++) {
            mm_pte_t to = plain(f2[a]) | (1ull << bit);
            if (mm_pte_transition_legal(plain(f2[a]), to))
                fail_msg("%s with bit %u accepted", mm_pte_format_name(f2[a]), bit);
        }
    }
}

/* mm_pte_write stores a legal value exactly, along a page's ordinary life. */
static void test_write_applies_legal_values(void **state) {
    (void)state;
    mm_pte_t pte = 0;
    const mm_pte_t life[] = {
        mm_pte_make(PTE_DEMAND_ZERO, TU_RW, 0),
        mm_pte_make(PTE_VALID, TU_RW, 42) | PTE_HW | PTE_ACCESSED | PTE_DIRTY,
        mm_pte_with_age(mm_pte_make(PTE_VALID, TU_RW, 42) | PTE_HW, 3),
        mm_pte_make(PTE_TRANSITION, TU_RW, 42) | PTE_HW,
        mm_pte_make(PTE_PAGEFILE, TU_RW, 7) | PTE_HW,
        mm_pte_make(PTE_TRANSITION, TU_RW, 43),
        mm_pte_make(PTE_VALID, UMM_PROT_READ, 43) | PTE_ACCESSED,
        mm_pte_make(PTE_DECOMMITTED, 0, 0),
        mm_pte_make(PTE_DEMAND_ZERO, UMM_PROT_READ | UMM_PROT_GUARD, 0),
        0,
    };
    for (size_t k = 0; k < sizeof life / sizeof life[0]; k++) {
        mm_pte_write(&pte, life[k]);
        assert_int_equal(pte, life[k]);
    }
}

#if defined(UMM_DEBUG) && UMM_DEBUG
/* Run mm_pte_write(from -> to) in a child; its wait status. */
static int write_in_child(mm_pte_t from, mm_pte_t to) {
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *devnull = freopen("/dev/null", "w", stderr); /* the assertion message */
        (void)devnull;
        mm_pte_t p = from;
        mm_pte_write(&p, to);
        _exit(p == to ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

/* Debug builds: an illegal write aborts the process instead of corrupting the page table. */
static void test_write_asserts_illegal(void **state) {
    (void)state;
    int st = write_in_child(0, plain(PTE_VALID)); /* NONE -> VALID */
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    st = write_in_child(plain(PTE_TRANSITION), plain(PTE_TRANSITION) | PTE_DIRTY);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    st = write_in_child(0, plain(PTE_DEMAND_ZERO)); /* the control: legal, exits 0 */
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
#endif

/* docs/states.md section 7, written out: the kernel protection of a page (a write-watched page
 * not written since its reset, MM_PROT_WATCH, is mapped at most read-only). */
static int docs_hw_prot(unsigned format, int prot, bool accessed, bool dirty) {
    if (format != PTE_VALID || !accessed)
        return PROT_NONE;
    int exec = (prot & UMM_PROT_EXEC) ? PROT_EXEC : 0;
    if ((prot & UMM_PROT_WRITE) && dirty && !(prot & MM_PROT_WATCH))
        return PROT_READ | PROT_WRITE | exec;
    if (prot & (UMM_PROT_READ | UMM_PROT_WRITE))
        return PROT_READ | exec;
    return exec;
}

static void test_hw_prot_every_combination(void **state) {
    (void)state;
    /* bits that must not change the answer */
    const mm_pte_t neutral[] = {0, PTE_HW, PTE_HW_RO, (mm_pte_t)7 << PTE_AGE_SHIFT};
    int seen[8] = {0};
    for (unsigned f = 0; f < 8; f++) /* 7: no format, never mapped */
        for (int prot = 0; prot < 128; prot++) /* cache bits (0x30) change nothing; 0x40: watch */
            for (int a = 0; a < 2; a++)
                for (int d = 0; d < 2; d++)
                    for (size_t n = 0; n < sizeof neutral / sizeof neutral[0]; n++) {
                        mm_pte_t p = mm_pte_make(f, prot, 77) | neutral[n] | (a ? PTE_ACCESSED : 0) |
                                     (d ? PTE_DIRTY : 0);
                        int want = docs_hw_prot(f, prot, a, d), got = mm_pte_hw_prot(p);
                        if (got != want)
                            fail_msg("format %u prot 0x%x A%d D%d extra 0x%" PRIx64 ": %d, want %d", f,
                                     (unsigned)prot, a, d, neutral[n], got, want);
                        seen[got & 7]++;
                    }
    /* every answer occurs, with and without execute */
    assert_true(seen[PROT_NONE] > 0 && seen[PROT_READ] > 0 && seen[PROT_READ | PROT_WRITE] > 0);
    assert_true(seen[PROT_EXEC] > 0 && seen[PROT_READ | PROT_EXEC] > 0 &&
                seen[PROT_READ | PROT_WRITE | PROT_EXEC] > 0);
}

/* make / with_prot / with_age and the readers, at the limits of each field. */
static void test_accessors_round_trip(void **state) {
    (void)state;
    const uint64_t nums[] = {0, 1, 0xffff, 0x10000, 1ull << 31, 1ull << 32, PTE_NUM_MAX - 1, PTE_NUM_MAX};
    for (unsigned f = 0; f < 8; f++)
        for (int prot = 0; prot < 128; prot++) /* access bits, cache attribute, watch */
            for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
                mm_pte_t p = mm_pte_make(f, prot, nums[k]);
                assert_int_equal(mm_pte_format(p), f);
                assert_int_equal(mm_pte_prot(p), prot);
                assert_int_equal(mm_pte_num(p), nums[k]);
                assert_int_equal(mm_pte_age(p), 0);
                assert_int_equal(p & (PTE_HW | PTE_ACCESSED | PTE_DIRTY | PTE_HW_RO), 0);
            }
    /* with_prot and with_age change their field only, on a PTE with every other bit set */
    mm_pte_t full = ~(mm_pte_t)0;
    for (int prot = 0; prot < 256; prot++) {
        mm_pte_t q = mm_pte_with_prot(full, prot);
        assert_int_equal(mm_pte_prot(q), prot);
        assert_int_equal(q | PTE_PROT_MASK, full);
        assert_int_equal(mm_pte_with_prot(q, 255), full);
    }
    for (unsigned age = 0; age <= 7; age++) {
        mm_pte_t q = mm_pte_with_age(full, age);
        assert_int_equal(mm_pte_age(q), age);
        assert_int_equal(q | PTE_AGE_MASK, full);
        assert_int_equal(mm_pte_with_age(q, 7), full);
        mm_pte_t z = mm_pte_with_age(0, age);
        assert_int_equal(z, (mm_pte_t)age << PTE_AGE_SHIFT);
        assert_int_equal(mm_pte_format(z), PTE_NONE);
    }
    /* the masks tile bits 0-19 without overlap, as documented in pte.h (the cache attribute, the
     * watch bit and the copy-on-write bit, bits 16-19, are part of PTE_PROT_MASK) */
    mm_pte_t fields[] = {PTE_FORMAT_MASK, PTE_PROT_MASK, PTE_HW,     PTE_ACCESSED, PTE_DIRTY,
                         PTE_AGE_MASK,    PTE_HW_RO,     PTE_LOCKED, PTE_DISCARDED};
    mm_pte_t all = 0;
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
        assert_int_equal(all & fields[k], 0);
        all |= fields[k];
    }
    assert_int_equal(all, 0xfffff);
    assert_int_equal(PTE_NUM_MAX << PTE_NUM_SHIFT >> PTE_NUM_SHIFT, PTE_NUM_MAX);
}

static void test_format_predicates_and_names(void **state) {
    (void)state;
    static const char *const names[NFORMATS] = {"none",     "valid",     "transition", "demand-zero",
                                                "pagefile", "prototype", "decommitted"};
    for (size_t a = 0; a < NFORMATS; a++) {
        unsigned f = all_formats[a];
        mm_pte_t p = plain(f);
        assert_string_equal(mm_pte_format_name(f), names[f]);
        assert_int_equal(mm_pte_committed(p), f != PTE_NONE && f != PTE_DECOMMITTED);
        assert_int_equal(mm_pte_has_frame(p), f == PTE_VALID || f == PTE_TRANSITION);
        assert_false(mm_pte_mapped(p));
        if (mm_pte_committed(p))
            assert_true(mm_pte_mapped(p | PTE_HW));
    }
    assert_true(mm_pte_mapped(plain(PTE_VALID) | PTE_HW_RO));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transition_table_matches_docs),
        cmocka_unit_test(test_same_format_rewrites_legal),
        cmocka_unit_test(test_format_7_never_legal),
        cmocka_unit_test(test_valid_only_bits),
        cmocka_unit_test(test_hw_and_hw_ro),
        cmocka_unit_test(test_valid_never_guard),
        cmocka_unit_test(test_uncommitted_carry_nothing),
        cmocka_unit_test(test_write_applies_legal_values),
#if defined(UMM_DEBUG) && UMM_DEBUG
        cmocka_unit_test(test_write_asserts_illegal),
#endif
        cmocka_unit_test(test_hw_prot_every_combination),
        cmocka_unit_test(test_accessors_round_trip),
        cmocka_unit_test(test_format_predicates_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
