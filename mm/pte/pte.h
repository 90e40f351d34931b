/* SPDX-License-Identifier: MIT */
/* pte.h - the software page table entry: the single source of truth for a virtual page.
 *
 * A PTE is 64 bits. Bits 0-2 hold its format; the rest depend on it:
 *
 *   bits   | VALID            | TRANSITION       | DEMAND_ZERO | PAGEFILE      | PROTOTYPE
 *   0-2    | 1                | 2                | 3           | 4             | 5
 *   3-6    | protection (UMM_PROT_READ/WRITE/EXEC/GUARD; 0 = no access), every committed format
 *   7      | HW: a kernel mapping exists at this address (see below)
 *   8      | ACCESSED         |                  |             |               |
 *   9      | DIRTY            |                  |             |               |
 *   10-12  | AGE (0-7)        |                  |             |               |
 *   13     | HW_RO            |                  |             |               |
 *   14     | LOCKED           |                  |             |               |
 *   15     |                  |                  | DISCARDED   |               |
 *   16-17  | cache attribute (UMM_PROT_NOCACHE/WRITECOMBINE >> 4), every committed format
 *   18     | MM_PROT_WATCH (write-watched, not written since the reset), every committed format
 *   19     | UMM_PROT_WRITECOPY: a view page umm_protect made copy-on-write (cow.h)
 *   20-63  | frame            | frame            |             | slot          | prototype index
 *
 * NONE (all zero) is a page that was never committed; DECOMMITTED (6) one that was and no
 * longer is. The OS mapping is a cache of the PTE. HW on a VALID or TRANSITION PTE means the
 * kernel maps exactly this PTE's frame at the page (with the protection mm_pte_hw_prot() derives,
 * PROT_NONE for TRANSITION), so restoring access is one mprotect. HW on any other format means a
 * stale PROT_NONE mapping of some frame is left there; it is harmless (never made accessible
 * again, only replaced) and only costs a kernel VMA until the VMA budget coalesces it.
 *
 * HW_RO (VALID only, guests): the kernel maps the page read-only although its PTE would allow
 * more, because the host shares the frame; the next write faults and breaks the sharing. Such a
 * mapping is never made accessible by mprotect, only replaced.
 *
 * LOCKED (VALID only): the page is locked in its working set (umm_lock, VirtualLock): never
 * trimmed, aged or unmapped until umm_unlock, decommit or release; its frame counts it in `locks`.
 *
 * Invariants (checked by mm_pte_write in debug builds): a VALID page is never GUARD; AGE, ACCESSED,
 * DIRTY, HW_RO and LOCKED are zero outside VALID; HW and HW_RO are never both set; every format change is one of the legal transitions in
 * pte.c. */
#ifndef UMM_PTE_H
#define UMM_PTE_H

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t mm_pte_t;

enum mm_pte_format {
    PTE_NONE = 0,
    PTE_VALID = 1,
    PTE_TRANSITION = 2,
    PTE_DEMAND_ZERO = 3,
    PTE_PAGEFILE = 4,
    PTE_PROTOTYPE = 5,
    PTE_DECOMMITTED = 6,
    PTE_FORMAT_COUNT_ = 7
};

/* A protection bit of umm's own, beside the public UMM_PROT_* (which never use 0x40): the page is in
 * a write-watched reservation and was not written since the watch was last reset. It is kept
 * with the protection through every format change, so it survives trimming and paging; while it
 * is set the page is mapped at most read-only, so the first write faults and clears it. */
#define MM_PROT_WATCH 0x40

#define PTE_FORMAT_MASK 0x7ull
#define PTE_PROT_SHIFT 3
#define PTE_PROT_EXTRA_SHIFT 16 /* protection bits 4-7: UMM_PROT_NOCACHE / WRITECOMBINE (0x10 /
                                   0x20, recorded only), MM_PROT_WATCH (0x40) and
                                   UMM_PROT_WRITECOPY (0x80) */
#define PTE_PROT_MASK ((0xfull << PTE_PROT_SHIFT) | (0xfull << PTE_PROT_EXTRA_SHIFT))
#define PTE_HW (1ull << 7)
#define PTE_ACCESSED (1ull << 8)
#define PTE_DIRTY (1ull << 9)
#define PTE_AGE_SHIFT 10
#define PTE_AGE_MASK (0x7ull << PTE_AGE_SHIFT)
#define PTE_HW_RO (1ull << 13)
#define PTE_LOCKED (1ull << 14)
/* DEMAND_ZERO only: offered contents (umm_offer) were discarded; umm_reclaim reports and clears it */
#define PTE_DISCARDED (1ull << 15)
#define PTE_NUM_SHIFT 20
#define PTE_NUM_MAX ((1ull << (64 - PTE_NUM_SHIFT)) - 1)

static inline unsigned mm_pte_format(mm_pte_t p) { return (unsigned)(p & PTE_FORMAT_MASK); }
/* The protection of a PTE as a UMM_PROT_* value (with MM_PROT_WATCH): its low four bits from
 * PTE bits 3-6, the next four from bits 16-19. */
static inline int mm_pte_prot(mm_pte_t p)
{
    return (int)(((p >> PTE_PROT_SHIFT) & 0xf) | (((p >> PTE_PROT_EXTRA_SHIFT) & 0xf) << 4));
}
static inline mm_pte_t mm_pte_prot_bits(int prot)
{
    return (((mm_pte_t)prot & 0xf) << PTE_PROT_SHIFT) |
           ((((mm_pte_t)prot >> 4) & 0xf) << PTE_PROT_EXTRA_SHIFT);
}
static inline uint64_t mm_pte_num(mm_pte_t p) { return p >> PTE_NUM_SHIFT; }
static inline unsigned mm_pte_age(mm_pte_t p) { return (unsigned)((p & PTE_AGE_MASK) >> PTE_AGE_SHIFT); }
static inline bool mm_pte_committed(mm_pte_t p)
{
    unsigned f = mm_pte_format(p);
    return f != PTE_NONE && f != PTE_DECOMMITTED;
}
/* Some kernel mapping may exist at the page (exact or read-only): revoke before freeing. */
static inline bool mm_pte_mapped(mm_pte_t p)
{
    return (p & (PTE_HW | PTE_HW_RO)) != 0;
}
static inline bool mm_pte_has_frame(mm_pte_t p)
{
    return mm_pte_format(p) == PTE_VALID || mm_pte_format(p) == PTE_TRANSITION;
}

static inline mm_pte_t mm_pte_make(unsigned format, int prot, uint64_t num)
{
    return (mm_pte_t)format | mm_pte_prot_bits(prot) | (num << PTE_NUM_SHIFT);
}
static inline mm_pte_t mm_pte_with_prot(mm_pte_t p, int prot)
{
    return (p & ~PTE_PROT_MASK) | mm_pte_prot_bits(prot);
}
static inline mm_pte_t mm_pte_with_age(mm_pte_t p, unsigned age)
{
    return (p & ~PTE_AGE_MASK) | ((mm_pte_t)age << PTE_AGE_SHIFT);
}

/* The kernel protection (PROT_*) a page in this PTE state must have: the emulated accessed and
 * dirty bits are protections. Not accessed: no access, so the next touch faults and sets it.
 * Accessed but clean: read-only, so the first write faults and sets dirty. */
int mm_pte_hw_prot(mm_pte_t p);

/* The one function that changes a PTE: asserts (debug builds) that old -> new is legal. */
void mm_pte_write(mm_pte_t *pte, mm_pte_t value);
bool mm_pte_transition_legal(mm_pte_t from, mm_pte_t to);
const char *mm_pte_format_name(unsigned format);

#endif
