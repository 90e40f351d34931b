/* SPDX-License-Identifier: MIT */
/* os.h - the operating-system contract: every kernel call umm makes goes through these functions,
 * and nothing else in mm/ or hv/ calls the kernel. A port supplies one implementation file:
 * os_linux.c (memfd, futex, eventfd, MAP_POPULATE, O_DIRECT, rt_tgsigqueueinfo) or os_posix.c
 * (POSIX only: shm_open frames, a pipe for events, no futex, no /proc); docs/porting.md says what
 * a macOS or FreeBSD port must supply. os_common.c, built with either, holds the calls every backend
 * makes alike (the error slot, clocks, installing the handler).
 *
 * Errors: a call returns UMM_OK or a umm_error_t, never an errno; the errno behind a failure is
 * kept per thread (mm_os_last_error(), public as umm_last_os_error()), so it is never relabelled
 * and never lost. ENOMEM from a mapping call is UMM_E_VMA_LIMIT (the kernel refused a mapping:
 * vm.max_map_count, or kernel memory), an I/O error UMM_E_IO, anything else UMM_E_OS.
 *
 * Failure points: each umm/os/... point is checked here and nowhere else.
 *
 * Calls marked [signal-safe] may run inside the SIGSEGV handler: they use system calls only. */
#ifndef UMM_OS_H
#define UMM_OS_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "umm.h"

/* Protections are POSIX's PROT_NONE / PROT_READ / PROT_WRITE. */

/* ---- errors ---- */
/* The errno of the last failed kernel call on this thread (0: none). [signal-safe] */
int mm_os_last_error(void);
/* Record errno as this thread's last error and return the umm code for it. [signal-safe] */
int mm_os_fail(int err, int code);
/* Forget this thread's last error (a fault starts clean). [signal-safe] */
void mm_os_clear_error(void);

/* ---- address space ---- */
size_t mm_os_page_size(void);
/* Reserve `bytes` of address space aligned to `align` (a power of two), inaccessible and not
 * charged by the kernel. */
int mm_os_reserve(size_t bytes, size_t align, void **out);
/* Reserve exactly [addr, addr + bytes) (as mm_os_reserve): UMM_E_BUSY when any of it is mapped. */
int mm_os_reserve_at(void *addr, size_t bytes);
/* As mm_os_reserve, top-down (MEM_TOP_DOWN): at the highest free address below the main stack's
 * growth room that umm's descending cursor finds, above everything mm_os_reserve places. */
int mm_os_reserve_top_down(size_t bytes, size_t align, void **out);
/* Give reserved or mapped address space back to the kernel. */
int mm_os_release(void *addr, size_t bytes);
/* Replace [va, va + len) with inaccessible reserved memory (what umm_reserve gives). [signal-safe] */
int mm_os_unmap(uintptr_t va, size_t len);
/* Change the protection of mapped pages. [signal-safe] */
int mm_os_protect(uintptr_t va, size_t len, int prot);
/* Map private anonymous memory (reads as zeros) at va. [signal-safe] */
int mm_os_map_anon(uintptr_t va, size_t len, int prot);

/* ---- frame pools: physical memory that can be mapped at many addresses ---- */
/* Invariant: view maps the whole pool read-write (bytes long) from create to destroy. */
typedef struct mm_os_pool {
    int fd;
    uint8_t *view;
    size_t bytes;
} mm_os_pool_t;
/* A pool of `bytes`, its memory taken now (a budget the host cannot honour fails here,
 * UMM_E_NOMEM), with its view mapped and populated. */
int mm_os_pool_create(mm_os_pool_t *pool, size_t bytes, const char *name);
void mm_os_pool_destroy(mm_os_pool_t *pool);
/* Map [off, off + len) of the pool at va (shared, fixed; populated when accessible). [signal-safe] */
int mm_os_pool_map(const mm_os_pool_t *pool, uintptr_t va, size_t off, size_t len, int prot);
/* Copy len bytes from src into the pool at off, without touching the view: through the kernel
 * where it can (pwrite), so no page table entry of the view needs to be brought in for it (on a
 * virtual machine with shadow paging a cold entry's first store costs far more than the copy).
 * UMM_OK or UMM_E_OS (errno kept; part of the range may have been written). */
int mm_os_pool_write(const mm_os_pool_t *pool, size_t off, const void *src, size_t len);

/* ---- files (paging files, swap files) ---- */
/* Open a named file (created, truncated, locked against a second opener: UMM_E_BUSY) or, with
 * path NULL, a nameless temporary one. `direct`: bypass the page cache where the file system
 * allows; *direct_used says whether it does. */
int mm_os_file_open(const char *path, bool direct, int *fd, bool *direct_used);
/* Close it (and remove a named one: it is umm's private file). */
void mm_os_file_close(int fd, const char *path);
int mm_os_file_resize(int fd, uint64_t bytes);
/* A user's file for a file-backed section: umm's own descriptor of it (a close-on-exec dup, so
 * the caller may close theirs), its size, and whether it was opened for writing. UMM_E_HANDLE for
 * a descriptor that is not an open regular file. */
int mm_os_file_adopt(int user_fd, int *fd, uint64_t *bytes, bool *writable);
/* A second descriptor on fd's file, read-only and O_DIRECT (reads go from the device straight
 * into the buffer, past the page cache). UMM_OK, or UMM_E_NOT_SUPPORTED where the file system or
 * the platform refuses it (tmpfs, POSIX). */
int mm_os_file_reopen_direct(int fd, int *out);
/* Read or write every byte of iov at off: UMM_OK, or UMM_E_IO (a short transfer included). */
int mm_os_file_read(int fd, uint64_t off, const struct iovec *iov, int n);
int mm_os_file_write(int fd, uint64_t off, const struct iovec *iov, int n);
/* Copy len bytes from file `in` at in_off to file `out` at out_off without them passing through
 * the caller's memory where the kernel can (Linux: copy_file_range), else through a page-aligned
 * bounce buffer. UMM_OK, or UMM_E_IO (a short copy included: the target range is then
 * undefined, the source untouched). */
int mm_os_file_copy(int in, uint64_t in_off, int out, uint64_t out_off, size_t len);

/* A program's I/O on its own descriptor (umm_io_*): one read, or write when `out`, of up to n bytes at off
 * (off < 0: at the descriptor's position), EINTR retried. UMM_OK with *got the bytes moved (0 on
 * a read: end of file), or UMM_E_OS with the errno kept. */
int mm_os_user_io(int fd, bool out, void *buf, size_t n, int64_t off, size_t *got);

/* ---- streams: a remote store's sockets, read on the fault path (os_common.c) ---- */
/* Write all len bytes. UMM_OK or UMM_E_IO (the socket's send timeout, a reset). [signal-safe] */
int mm_os_stream_write(int fd, const void *buf, size_t len);
/* One readv: wait for at least one byte, take what has arrived into iov[0..n) (n <= IOV_MAX):
 * how many bytes, or -1 (the socket's receive timeout, end of stream, a reset). [signal-safe] */
long mm_os_stream_readv_some(int fd, const struct iovec *iov, int n);
void mm_os_stream_close(int fd); /* [signal-safe] */

/* ---- waiting (the futex lock's slow path) ---- */
/* Sleep while *addr == expected (spurious wake-ups allowed). [signal-safe] */
void mm_os_wait(_Atomic int *addr, int expected);
/* Wake one waiter of addr. [signal-safe] */
void mm_os_wake_one(_Atomic int *addr);
/* Wake every waiter of addr. [signal-safe] */
void mm_os_wake_all(_Atomic int *addr);
/* Give the CPU to another thread. [signal-safe] */
void mm_os_yield(void);

/* ---- time ---- */
uint64_t mm_os_now_ns(void);        /* monotonic */
uint64_t mm_os_thread_cpu_ns(void); /* CPU time of the calling thread */

/* ---- events: a file descriptor readable exactly while set (notifications) ---- */
typedef struct mm_os_event {
    int fd;   /* what callers poll */
    int wfd;  /* the write end where the event is a pipe; fd itself otherwise */
} mm_os_event_t;
int mm_os_event_create(mm_os_event_t *ev);
void mm_os_event_set(mm_os_event_t *ev);
void mm_os_event_clear(mm_os_event_t *ev);
void mm_os_event_destroy(mm_os_event_t *ev);

/* ---- signals ---- */
typedef void (*mm_os_fault_fn)(int sig, siginfo_t *si, void *ucontext);
/* Install fn as the SIGSEGV handler (SA_SIGINFO | SA_ONSTACK | SA_RESTART, SIGBUS blocked while it
 * runs); *previous gets what was there. */
int mm_os_fault_handler_install(mm_os_fault_fn fn, struct sigaction *previous);
/* The handler installed now. */
int mm_os_fault_handler_current(struct sigaction *cur);
int mm_os_fault_handler_restore(const struct sigaction *previous);
/* Restore the default action for sig (the access then faults again and kills the process). */
void mm_os_signal_default(int sig);
/* Was the faulting access a write? 1 write, 0 read, -1 unknown (from the CPU's fault record
 * where the platform passes it). [signal-safe] */
int mm_os_fault_is_write(const void *ucontext);
/* Was the faulting access an instruction fetch? 1 yes, 0 no, -1 unknown. [signal-safe] */
int mm_os_fault_is_exec(const void *ucontext);
/* Queue SIGBUS for this thread, delivered when the handler returns; where the platform can,
 * si_addr = addr, si_code BUS_ADRERR and si_errno = code (else a plain SIGBUS). [signal-safe] */
void mm_os_raise_bus_error(void *addr, int code, void *ucontext);


/* ---- exceptions outside the signal handler (os_context.c, built with either backend) ----
 * The handler saves the interrupted context (the signal's ucontext: registers, flags, signal mask,
 * and a copy of its FP/SIMD state) in a buffer on the thread's stack, points the signal's return at
 * a dispatcher, and the dispatcher later resumes the saved context exactly (in user space on
 * x86-64, else rt_sigreturn on it). */
/* Can this platform do it? (Linux on x86-64 and AArch64.) */
bool mm_os_context_supported(void);
/* Bytes a saved copy of the signal's context `uc` needs (a multiple of 64), 0 when it cannot be
 * saved. [signal-safe] */
size_t mm_os_context_size(const void *uc);
/* The interrupted stack pointer. [signal-safe] */
uintptr_t mm_os_context_sp(const void *uc);
/* Save uc into buf (64-byte aligned, mm_os_context_size(uc) bytes). [signal-safe] */
void mm_os_context_save(const void *uc, void *buf);
/* Make the signal's return call fn(arg) on the stack ending at sp (16-byte aligned), with a clean
 * direction flag and default FP control state (the saved copy keeps the interrupted ones). [signal-safe] */
void mm_os_context_redirect(void *uc, uintptr_t sp, void (*fn)(void *), void *arg);
/* The ucontext inside a saved buffer (what get/set below take). */
void *mm_os_context_uc(void *buf);
/* Read the registers of a ucontext (a signal's or a saved one) as the public type, and write them
 * back (ip, sp, flags, general registers; the FP/SIMD state is changed in place). [signal-safe] */
void mm_os_context_get(void *uc, umm_context_t *out);
void mm_os_context_set(void *uc, const umm_context_t *in);
/* Resume a saved context exactly: registers, FP/SIMD state, flags, signal mask. */
_Noreturn void mm_os_context_resume(void *buf);
/* Resume it with `sig` (siginfo *si, as the kernel gave it) pending for this thread, so the signal
 * is delivered at the interrupted instruction, with its context, as a real fault would be. */
_Noreturn void mm_os_context_resume_signal(void *buf, int sig, const siginfo_t *si);
/* Does the signal handler with a local at `here` run on the thread's alternate signal stack
 * (the one uc_stack names)? [signal-safe] */
bool mm_os_context_on_altstack(const void *uc, uintptr_t here);
/* End the process with sig's default action (a core dump for SIGSEGV). [signal-safe] */
_Noreturn void mm_os_die(int sig);

#endif
