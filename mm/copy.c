/* SPDX-License-Identifier: MIT */
/* copy.c - copies between a process's pages and a caller's buffer (umm_process_read/write, as
 * ReadProcessMemory / WriteProcessMemory). Each page is made resident by the fault resolver,
 * called as the SIGSEGV handler calls it but without a signal (resolve_for_copy), then copied
 * through its frame while the system lock keeps it resident: no managed address is handed to the
 * kernel, so there is no EFAULT and no short count for a page that is merely not resident. The
 * caller's buffer, managed or not, is touched only with every lock dropped (through a bounce
 * buffer), so a fault on it is an ordinary fault. */
#include "fault.h"
#include "frames.h"
#include "handle.h"
#include "os.h"
#include "registry.h"

#include <string.h>

#define COPY_CHUNK 4096 /* bytes copied per locked step: the bounce buffer on the stack */

/* Why page p may not be copied from (write false) or to (write true), or UMM_OK. A guard page
 * stays armed: Windows' ReadProcessMemory fails on one and leaves it alone. */
static int copy_refused(mm_pte_t p, bool write)
{
    if (!mm_pte_committed(p))
        return UMM_E_NOT_COMMITTED;
    int prot = mm_pte_prot(p);
    if (prot & UMM_PROT_GUARD)
        return UMM_E_ACCESS;
    if (write)
        return (prot & UMM_PROT_WRITE) ? UMM_OK : UMM_E_ACCESS;
    return (prot & (UMM_PROT_READ | UMM_PROT_WRITE)) ? UMM_OK : UMM_E_ACCESS;
}

/* Resident enough to copy through the frame: valid and accessed; for a write also dirty (its
 * paging-file copy dropped) and not a guest's shared read-only frame. */
static bool copy_ready(mm_pte_t p, bool write)
{
    if (mm_pte_format(p) != PTE_VALID || !(p & PTE_ACCESSED))
        return false;
    return !write || ((p & PTE_DIRTY) && !(p & PTE_HW_RO));
}

/* Lock the system of proc's page at addr once it is resident for the copy; *frame gets its frame.
 * On failure nothing is locked. */
static int lock_resident(umm_process_t *proc, uintptr_t addr, bool write, mm_pfn_id_t *frame)
{
    for (;;) {
        mm_vad_t *vad = mm_registry_lookup_lock(addr);
        if (!vad)
            return UMM_E_NOT_RESERVED;
        umm_system_t *sys = vad->proc->sys;
        int rc = vad->proc != proc || vad->releasing ? UMM_E_NOT_RESERVED : UMM_OK;
        mm_pte_t p = rc == UMM_OK ? vad->pte[(addr - vad->start) >> sys->page_shift] : 0;
        if (rc == UMM_OK)
            rc = copy_refused(p, write);
        if (rc != UMM_OK) {
            mm_unlock(&sys->lock);
            return rc;
        }
        if (copy_ready(p, write)) {
            *frame = (mm_pfn_id_t)mm_pte_num(p);
            return UMM_OK;
        }
        mm_unlock(&sys->lock);
        umm_exception_t exc = {0};
        if ((rc = mm_fault_touch(addr, write, &exc)) != UMM_OK) /* the one resolver, no signal */
            return rc == UMM_E_GUARD ? UMM_E_ACCESS : rc;
    }
}

/* Copy one piece that lies inside one page: bounce <-> the page's frame. */
static int copy_piece(umm_process_t *proc, uintptr_t addr, uint8_t *bounce, size_t n, bool write)
{
    umm_system_t *sys = proc->sys;
    mm_pfn_id_t f;
    int rc = lock_resident(proc, addr, write, &f);
    if (rc != UMM_OK)
        return rc;
    uint8_t *frame = mm_frame_ptr(sys, f, write);
    if (frame) {
        frame += addr & (sys->page_size - 1);
        if (write)
            memcpy(frame, bounce, n);
        else
            memcpy(bounce, frame, n);
    }
    mm_unlock(&sys->lock);
    return frame ? UMM_OK : UMM_E_NO_FRAMES;
}

static int copy(umm_process_t *proc, uintptr_t addr, uint8_t *buf, size_t bytes, bool write,
                size_t *done)
{
    if (done)
        *done = 0;
    HANDLE_CHECK(proc, HANDLE_PROCESS);
    if ((!buf && bytes) || !addr)
        return UMM_E_INVAL;
    if (addr > UINTPTR_MAX - bytes)
        return UMM_E_RANGE;
    size_t page = proc->sys->page_size, off = 0;
    uint8_t bounce[COPY_CHUNK];
    int rc = UMM_OK;
    while (off < bytes && rc == UMM_OK) {
        uintptr_t a = addr + off;
        size_t n = bytes - off;
        if (n > page - (a & (page - 1)))
            n = page - (a & (page - 1));
        if (n > COPY_CHUNK)
            n = COPY_CHUNK;
        if (write)
            memcpy(bounce, buf + off, n); /* the caller's memory: no lock held */
        rc = copy_piece(proc, a, bounce, n, write);
        if (rc == UMM_OK && !write)
            memcpy(buf + off, bounce, n);
        if (rc == UMM_OK)
            off += n;
    }
    if (done)
        *done = off;
    return rc;
}

int umm_process_read(umm_process_t *proc, const void *addr, void *buf, size_t bytes, size_t *done)
{
    return copy(proc, (uintptr_t)addr, buf, bytes, false, done);
}

int umm_process_write(umm_process_t *proc, void *addr, const void *buf, size_t bytes, size_t *done)
{
    return copy(proc, (uintptr_t)addr, (uint8_t *)(uintptr_t)buf, bytes, true, done);
}
