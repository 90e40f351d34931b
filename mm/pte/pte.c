/* SPDX-License-Identifier: MIT */
/* pte.c - PTE transitions: the table of legal format changes and the one writer. */
#include "pte.h"

#include "assert.h"
#include "umm.h"

#include <sys/mman.h>

/* legal[from][to]: the state machine of docs/states.md. A format may always be rewritten to
 * itself (protection, HW, age, accessed, dirty changes). */
static const bool legal[PTE_FORMAT_COUNT_][PTE_FORMAT_COUNT_] = {
    /*                 NONE   VALID  TRANS  DZERO  PFILE  PROTO  DECOM */
    [PTE_NONE]       = {true, false, false, true,  true,  true,  false}, /* PFILE: a file section's page */
    [PTE_VALID]      = {true, true,  true,  true,  false, true,  true},
    [PTE_TRANSITION] = {true, true,  true,  true,  true,  false, true},
    [PTE_DEMAND_ZERO]= {true, true,  false, true,  false, false, true},
    [PTE_PAGEFILE]   = {true, true,  true,  true,  true,  false, true},
    [PTE_PROTOTYPE]  = {true, true,  false, false, false, true,  true},
    [PTE_DECOMMITTED]= {true, false, false, true,  false, true,  true},
};

bool mm_pte_transition_legal(mm_pte_t from, mm_pte_t to)
{
    unsigned f = mm_pte_format(from), t = mm_pte_format(to);
    if (f >= PTE_FORMAT_COUNT_ || t >= PTE_FORMAT_COUNT_ || !legal[f][t])
        return false;
    if (t != PTE_VALID && (to & (PTE_ACCESSED | PTE_DIRTY | PTE_AGE_MASK | PTE_HW_RO | PTE_LOCKED)))
        return false;
    if (t != PTE_DEMAND_ZERO && (to & PTE_DISCARDED))
        return false;
    if ((to & PTE_HW) && (to & PTE_HW_RO))
        return false;
    if (t == PTE_VALID && (mm_pte_prot(to) & UMM_PROT_GUARD))
        return false;
    if (!mm_pte_committed(to) && (to & ~PTE_FORMAT_MASK) != 0) /* none/decommitted carry nothing */
        return false;
    return true;
}

void mm_pte_write(mm_pte_t *pte, mm_pte_t value)
{
    UMM_ASSERT(mm_pte_transition_legal(*pte, value));
    *pte = value;
}

int mm_pte_hw_prot(mm_pte_t p)
{
    if (mm_pte_format(p) != PTE_VALID || !(p & PTE_ACCESSED))
        return PROT_NONE;
    int prot = mm_pte_prot(p);
    int exec = (prot & UMM_PROT_EXEC) ? PROT_EXEC : 0; /* real execute permission (DEP) */
    if ((prot & UMM_PROT_WRITE) && (p & PTE_DIRTY) && !(prot & MM_PROT_WATCH))
        return PROT_READ | PROT_WRITE | exec;
    if (prot & (UMM_PROT_READ | UMM_PROT_WRITE))
        return PROT_READ | exec;
    return exec;
}

const char *mm_pte_format_name(unsigned format)
{
    static const char *const names[PTE_FORMAT_COUNT_] = {
        "none", "valid", "transition", "demand-zero", "pagefile", "prototype", "decommitted"};
    return format < PTE_FORMAT_COUNT_ ? names[format] : "invalid";
}
