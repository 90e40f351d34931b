/* SPDX-License-Identifier: MIT */
/* os_context.c - the OS half of delivering an exception outside the signal handler (os.h): saving
 * the interrupted context on the thread's stack, redirecting the signal's return, and resuming the
 * saved context: everything the kernel saved for the signal (general registers, flags, FP/SIMD
 * state of any size, the signal mask) and nothing less. glibc's setcontext is not enough: it
 * restores what a function call preserves (on x86-64 not RAX, R10, R11, the flags nor any vector
 * register). On x86-64 the resume stays in user space (XRSTOR of the saved FP image, the general
 * registers popped from the frame, IRETQ for RIP/RSP/RFLAGS, and one rt_sigprocmask for the mask):
 * a kernel entry fewer than rt_sigreturn's, which on a VM whose every entry goes through the
 * hypervisor is most of the difference (docs/performance.md). On AArch64, and on x86-64 with a
 * user shadow stack, rt_sigreturn on the saved frame does it. Built with either backend: the layout is Linux's signal frame, so
 * on anything but Linux on x86-64 or AArch64 mm_os_context_supported() is false and umm keeps
 * delivering exceptions inside the signal handler.
 *
 * Everything before the resume runs inside the SIGSEGV handler: only stores and system calls. The
 * copies are plain word loops that AddressSanitizer does not check: the kernel's signal frame and
 * the memory below the interrupted stack pointer are not objects it knows. */
#include "os.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
#define CTX_LINUX 1
#endif

#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 8)
#define NO_ASAN __attribute__((no_sanitize("address")))
#else
#define NO_ASAN
#endif

#define ALIGN64(x) (((x) + 63) & ~(size_t)63)

bool mm_os_context_on_altstack(const void *ucv, uintptr_t here)
{
    /* uc_stack is the thread's alternate stack as the signal found it: no system call needed */
    const stack_t *ss = &((const ucontext_t *)ucv)->uc_stack;
    uintptr_t lo = (uintptr_t)ss->ss_sp;
    return !(ss->ss_flags & SS_DISABLE) && ss->ss_size > 0 && here >= lo && here < lo + ss->ss_size;
}

_Noreturn void mm_os_die(int sig)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    _exit(128 + sig); /* not reached: the default action of sig ends the process */
}

#if CTX_LINUX
NO_ASAN static void copy_words(void *dst, const void *src, size_t bytes)
{
    volatile uint64_t *d = dst;
    const volatile uint64_t *s = src;
    for (size_t i = 0; i < bytes / 8; i++)
        d[i] = s[i];
}
#endif

#if CTX_LINUX && defined(__x86_64__)
/* A saved context is the kernel's ucontext (where rt_sigreturn expects it: at the stack pointer)
 * followed, 64-byte aligned as XRSTOR requires, by a copy of the signal's FP state, which the
 * copy's uc_mcontext.fpregs points at. The FP state is the FXSAVE area, extended (AVX, AVX-512,
 * ...) when its software bytes carry FP_XSTATE_MAGIC1: then `extended_size` bytes, trailer
 * included, are what the kernel checks and restores. Between the two, a struct resume_regs: the
 * general registers in the order the user-space resume pops them, then an IRETQ frame. */
#define FP_MAGIC1 0x46505853u
#define FP_SW_OFFSET 464 /* struct _fpx_sw_bytes inside the 512-byte FXSAVE area */
#define FXSAVE_BYTES 512
#define KERNEL_UC_BYTES (offsetof(ucontext_t, uc_sigmask) + 8) /* the kernel's sigset is 8 bytes */
#define MXCSR_DEFAULT 0x1f80
#define FCW_DEFAULT 0x37f
#define EFLAGS_DF 0x400

NO_ASAN static size_t fp_bytes(const ucontext_t *uc)
{
    if (!uc->uc_mcontext.fpregs)
        return 0;
    const volatile uint32_t *sw = (const uint32_t *)((const char *)uc->uc_mcontext.fpregs + FP_SW_OFFSET);
    return sw[0] == FP_MAGIC1 ? sw[1] : FXSAVE_BYTES;
}

/* Invariant: filled by resume_fast from the saved ucontext just before it is popped; the field
 * order is the pop order, then IRETQ's frame (rip, cs, rflags, rsp, ss), low address first. */
struct resume_regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rdi, rsi, rbp, rbx, rdx, rcx, rax;
    uint64_t rip, cs, rflags, rsp, ss;
};

static struct resume_regs *resume_regs_of(void *buf)
{
    return (struct resume_regs *)((char *)buf + ALIGN64(sizeof(ucontext_t)));
}

static size_t fp_offset(void)
{
    return ALIGN64(ALIGN64(sizeof(ucontext_t)) + sizeof(struct resume_regs));
}

bool mm_os_context_supported(void)
{
    return true;
}

size_t mm_os_context_size(const void *ucv)
{
    size_t fp = fp_bytes(ucv);
    return fp ? fp_offset() + ALIGN64(fp) : 0;
}

uintptr_t mm_os_context_sp(const void *ucv)
{
    return (uintptr_t)((const ucontext_t *)ucv)->uc_mcontext.gregs[REG_RSP];
}

void mm_os_context_save(const void *ucv, void *buf)
{
    const ucontext_t *uc = ucv;
    ucontext_t *saved = buf;
    char *fp = (char *)buf + fp_offset();
    copy_words(saved, uc, KERNEL_UC_BYTES);
    copy_words(fp, uc->uc_mcontext.fpregs, ALIGN64(fp_bytes(uc)));
    saved->uc_mcontext.fpregs = (fpregset_t)fp;
}

NO_ASAN void mm_os_context_redirect(void *ucv, uintptr_t sp, void (*fn)(void *), void *arg)
{
    ucontext_t *uc = ucv;
    sp -= 8;
    *(volatile uint64_t *)sp = 0; /* a null return address: unwinders stop at the dispatcher */
    uc->uc_mcontext.gregs[REG_RSP] = (greg_t)sp;
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)fn;
    uc->uc_mcontext.gregs[REG_RDI] = (greg_t)(uintptr_t)arg;
    uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)EFLAGS_DF; /* the ABI's state at a call */
    if (uc->uc_mcontext.fpregs) {
        uc->uc_mcontext.fpregs->mxcsr = MXCSR_DEFAULT;
        uc->uc_mcontext.fpregs->cwd = FCW_DEFAULT;
    }
}

void *mm_os_context_uc(void *buf)
{
    return buf;
}

/* umm_context_t's gpr order (the hardware encoding) to the kernel's gregs */
static const int gpr_reg[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};

void mm_os_context_get(void *ucv, umm_context_t *out)
{
    ucontext_t *uc = ucv;
    memset(out, 0, sizeof *out);
    out->arch = UMM_ARCH_X86_64;
    out->ip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    out->sp = (uint64_t)uc->uc_mcontext.gregs[REG_RSP];
    out->flags = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
    for (int i = 0; i < 16; i++)
        out->gpr[i] = (uint64_t)uc->uc_mcontext.gregs[gpr_reg[i]];
    out->fp_state = uc->uc_mcontext.fpregs;
    out->fp_size = fp_bytes(uc);
}

void mm_os_context_set(void *ucv, const umm_context_t *in)
{
    ucontext_t *uc = ucv;
    for (int i = 0; i < 16; i++)
        uc->uc_mcontext.gregs[gpr_reg[i]] = (greg_t)in->gpr[i];
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)in->ip;
    uc->uc_mcontext.gregs[REG_RSP] = (greg_t)in->sp;
    uc->uc_mcontext.gregs[REG_EFL] = (greg_t)in->flags;
}

static sigset_t *saved_mask(void *buf)
{
    return &((ucontext_t *)buf)->uc_sigmask;
}

_Noreturn static void resume_sigreturn(void *buf)
{
    /* rt_sigreturn reads the ucontext at the stack pointer */
    __asm__ volatile("mov %0, %%rsp\n\t"
                     "mov %1, %%eax\n\t"
                     "syscall\n\t"
                     "ud2"
                     :
                     : "r"(buf), "i"(SYS_rt_sigreturn)
                     : "memory");
    __builtin_unreachable();
}

/* With a user shadow stack, IRETQ would have to match it: rt_sigreturn keeps it right. RDSSPQ is
 * a no-op (RAX stays 0) when shadow stacks are off or the CPU has none. */
static bool shadow_stack_active(void)
{
    uint64_t ssp = 0;
    __asm__ volatile(".byte 0xf3, 0x48, 0x0f, 0x1e, 0xc8" /* rdsspq %rax */ : "+a"(ssp));
    return ssp != 0;
}

NO_ASAN static void fill_resume_regs(const ucontext_t *uc, struct resume_regs *r)
{
    const greg_t *g = uc->uc_mcontext.gregs;
    r->r15 = (uint64_t)g[REG_R15], r->r14 = (uint64_t)g[REG_R14], r->r13 = (uint64_t)g[REG_R13];
    r->r12 = (uint64_t)g[REG_R12], r->r11 = (uint64_t)g[REG_R11], r->r10 = (uint64_t)g[REG_R10];
    r->r9 = (uint64_t)g[REG_R9], r->r8 = (uint64_t)g[REG_R8], r->rdi = (uint64_t)g[REG_RDI];
    r->rsi = (uint64_t)g[REG_RSI], r->rbp = (uint64_t)g[REG_RBP], r->rbx = (uint64_t)g[REG_RBX];
    r->rdx = (uint64_t)g[REG_RDX], r->rcx = (uint64_t)g[REG_RCX], r->rax = (uint64_t)g[REG_RAX];
    r->rip = (uint64_t)g[REG_RIP], r->rsp = (uint64_t)g[REG_RSP], r->rflags = (uint64_t)g[REG_EFL];
    uint16_t cs, ss; /* this thread's own user selectors: the resume never changes them */
    __asm__ volatile("mov %%cs, %0\n\tmov %%ss, %1" : "=r"(cs), "=r"(ss));
    r->cs = cs;
    r->ss = ss;
}

/* The user-space resume: the mask first (a signal it unblocks, pending, is then delivered here,
 * in the dispatcher, before the interrupted state is loaded: harmless), then the FP/SIMD image,
 * then the general registers and IRETQ, which loads RIP, RSP and RFLAGS at once and writes
 * nothing below the interrupted stack pointer (its red zone stays intact). A signal arriving
 * after RSP points at the frame pushes its own frame below it, over the dead ucontext copy. */
_Noreturn NO_ASAN static void resume_fast(void *buf)
{
    ucontext_t *uc = buf;
    struct resume_regs *r = resume_regs_of(buf);
    fill_resume_regs(uc, r);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &uc->uc_sigmask, NULL, (size_t)8);
    const char *fp = (const char *)uc->uc_mcontext.fpregs;
    const volatile uint32_t *sw = (const uint32_t *)(fp + FP_SW_OFFSET);
    if (sw[0] == FP_MAGIC1) {
        uint64_t features = *(const volatile uint64_t *)(fp + FP_SW_OFFSET + 8);
        __asm__ volatile("xrstor64 (%0)" : : "r"(fp), "a"((uint32_t)features),
                         "d"((uint32_t)(features >> 32)) : "memory");
    } else {
        __asm__ volatile("fxrstor64 (%0)" : : "r"(fp) : "memory");
    }
    __asm__ volatile("mov %0, %%rsp\n\t"
                     "pop %%r15\n\t pop %%r14\n\t pop %%r13\n\t pop %%r12\n\t"
                     "pop %%r11\n\t pop %%r10\n\t pop %%r9\n\t pop %%r8\n\t"
                     "pop %%rdi\n\t pop %%rsi\n\t pop %%rbp\n\t pop %%rbx\n\t"
                     "pop %%rdx\n\t pop %%rcx\n\t pop %%rax\n\t"
                     "iretq"
                     :
                     : "r"(r)
                     : "memory");
    __builtin_unreachable();
}

_Noreturn void mm_os_context_resume(void *buf)
{
    const ucontext_t *uc = buf;
    if (!uc->uc_mcontext.fpregs || shadow_stack_active())
        resume_sigreturn(buf);
    resume_fast(buf);
}

#elif CTX_LINUX && defined(__aarch64__)
/* A saved context is the kernel's rt_sigframe: a siginfo, then the ucontext, whose
 * uc_mcontext.__reserved holds the FP/SIMD record (and the others the kernel wrote). rt_sigreturn
 * expects the frame at the 16-byte aligned stack pointer. A frame with an extra_context record
 * (SVE/SME state too big for __reserved) points outside itself and is not saved: such a fault
 * keeps in-signal delivery. */
struct a64_frame {
    siginfo_t si;
    ucontext_t uc;
};

NO_ASAN static const struct _aarch64_ctx *find_record(const ucontext_t *uc, uint32_t magic)
{
    const struct _aarch64_ctx *h = (const struct _aarch64_ctx *)uc->uc_mcontext.__reserved;
    const char *end = (const char *)uc->uc_mcontext.__reserved + sizeof uc->uc_mcontext.__reserved;
    for (; (const char *)h < end && h->magic; h = (const struct _aarch64_ctx *)((const char *)h + h->size)) {
        if (h->magic == magic)
            return h;
        if (h->size == 0)
            break;
    }
    return NULL;
}

bool mm_os_context_supported(void)
{
    return true;
}

size_t mm_os_context_size(const void *ucv)
{
    return find_record(ucv, EXTRA_MAGIC) ? 0 : ALIGN64(sizeof(struct a64_frame));
}

uintptr_t mm_os_context_sp(const void *ucv)
{
    return (uintptr_t)((const ucontext_t *)ucv)->uc_mcontext.sp;
}

void mm_os_context_save(const void *ucv, void *buf)
{
    struct a64_frame *f = buf;
    memset(&f->si, 0, sizeof f->si);
    copy_words(&f->uc, ucv, sizeof f->uc);
}

NO_ASAN void mm_os_context_redirect(void *ucv, uintptr_t sp, void (*fn)(void *), void *arg)
{
    ucontext_t *uc = ucv;
    uc->uc_mcontext.sp = sp;
    uc->uc_mcontext.pc = (uintptr_t)fn;
    uc->uc_mcontext.regs[0] = (uintptr_t)arg;
    uc->uc_mcontext.regs[29] = 0; /* frame pointer and link register: unwinders stop here */
    uc->uc_mcontext.regs[30] = 0;
    struct fpsimd_context *fp = (struct fpsimd_context *)find_record(uc, FPSIMD_MAGIC);
    if (fp)
        fp->fpcr = 0; /* round to nearest, no traps: the ABI's default */
}

void *mm_os_context_uc(void *buf)
{
    return &((struct a64_frame *)buf)->uc;
}

void mm_os_context_get(void *ucv, umm_context_t *out)
{
    ucontext_t *uc = ucv;
    memset(out, 0, sizeof *out);
    out->arch = UMM_ARCH_AARCH64;
    out->ip = uc->uc_mcontext.pc;
    out->sp = uc->uc_mcontext.sp;
    out->flags = uc->uc_mcontext.pstate;
    for (int i = 0; i < 31; i++)
        out->gpr[i] = uc->uc_mcontext.regs[i];
    struct _aarch64_ctx *fp = (struct _aarch64_ctx *)find_record(uc, FPSIMD_MAGIC);
    out->fp_state = fp;
    out->fp_size = fp ? fp->size : 0;
}

void mm_os_context_set(void *ucv, const umm_context_t *in)
{
    ucontext_t *uc = ucv;
    for (int i = 0; i < 31; i++)
        uc->uc_mcontext.regs[i] = in->gpr[i];
    uc->uc_mcontext.pc = in->ip;
    uc->uc_mcontext.sp = in->sp;
    /* only the condition flags: the kernel refuses a frame that changes the exception level */
    uc->uc_mcontext.pstate = (uc->uc_mcontext.pstate & ~0xf0000000ull) | (in->flags & 0xf0000000ull);
}

static sigset_t *saved_mask(void *buf)
{
    return &((struct a64_frame *)buf)->uc.uc_sigmask;
}

_Noreturn static void resume_sigreturn(void *buf)
{
    register uintptr_t x0 __asm__("x0") = (uintptr_t)buf;
    __asm__ volatile("mov sp, x0\n\t"
                     "mov x8, %1\n\t"
                     "svc #0\n\t"
                     "brk #0"
                     :
                     : "r"(x0), "i"(SYS_rt_sigreturn)
                     : "memory");
    __builtin_unreachable();
}

_Noreturn void mm_os_context_resume(void *buf)
{
    resume_sigreturn(buf);
}

#else
bool mm_os_context_supported(void)
{
    return false;
}

size_t mm_os_context_size(const void *uc)
{
    (void)uc;
    return 0;
}

uintptr_t mm_os_context_sp(const void *uc)
{
    (void)uc;
    return 0;
}

void mm_os_context_save(const void *uc, void *buf)
{
    (void)uc;
    (void)buf;
}

void mm_os_context_redirect(void *uc, uintptr_t sp, void (*fn)(void *), void *arg)
{
    (void)uc;
    (void)sp;
    (void)fn;
    (void)arg;
}

void *mm_os_context_uc(void *buf)
{
    return buf;
}

void mm_os_context_get(void *uc, umm_context_t *out)
{
    (void)uc;
    memset(out, 0, sizeof *out);
}

void mm_os_context_set(void *uc, const umm_context_t *in)
{
    (void)uc;
    (void)in;
}

static sigset_t *saved_mask(void *buf)
{
    return buf;
}

_Noreturn static void resume_sigreturn(void *buf)
{
    (void)buf;
    abort();
}

_Noreturn void mm_os_context_resume(void *buf)
{
    resume_sigreturn(buf);
}
#endif

_Noreturn void mm_os_context_resume_signal(void *buf, int sig, const siginfo_t *si)
{
    /* Blocked here so it is not delivered in the dispatcher; the saved mask (the interrupted
     * thread's, which cannot block a synchronous SIGSEGV) unblocks it at the faulting instruction. */
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, sig);
    pthread_sigmask(SIG_BLOCK, &block, NULL);
#if defined(__linux__)
    syscall(SYS_rt_tgsigqueueinfo, getpid(), (pid_t)syscall(SYS_gettid), sig, si);
#else
    (void)si;
    raise(sig);
#endif
    sigdelset(saved_mask(buf), sig);
    resume_sigreturn(buf); /* the mask and the registers at once: sig arrives at the instruction */
}
