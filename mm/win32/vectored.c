/* SPDX-License-Identifier: MIT */
/* vectored.c - AddVectoredExceptionHandler / RemoveVectoredExceptionHandler over
 * umm_add_vectored_handler on the default system: each Windows handler is one umm vectored
 * handler whose context is the handler itself, so nothing is allocated and a stale handle is
 * caught by umm's handle check. The trampoline translates umm's exception and register context
 * into EXCEPTION_POINTERS and back; it allocates nothing (umm may run it inside the signal
 * handler on platforms without out-of-signal dispatch). */
#include "win.h"

static DWORD code_of(umm_exception_code_t code)
{
    switch (code) {
    case UMM_EXC_GUARD_PAGE: return EXCEPTION_GUARD_PAGE;
    case UMM_EXC_IN_PAGE_ERROR: return EXCEPTION_IN_PAGE_ERROR;
    default: return EXCEPTION_ACCESS_VIOLATION;
    }
}

static void record_of(const umm_exception_t *exc, const umm_context_t *uc, EXCEPTION_RECORD *rec)
{
    *rec = (EXCEPTION_RECORD){.ExceptionCode = code_of(exc->code),
                              .ExceptionAddress = (PVOID)(uintptr_t)uc->ip,
                              .NumberParameters = exc->code == UMM_EXC_IN_PAGE_ERROR ? 3 : 2};
    rec->ExceptionInformation[0] = exc->is_write < 0 ? 0 : (ULONG_PTR)exc->is_write;
    rec->ExceptionInformation[1] = (ULONG_PTR)exc->address;
    rec->ExceptionInformation[2] = (ULONG_PTR)exc->error;
}

/* umm's registers into Windows' CONTEXT (copy_in) or back (!copy_in). */
static void context_copy(umm_context_t *uc, CONTEXT *c, bool copy_in)
{
#if defined(__x86_64__)
    DWORD64 *regs[16] = {&c->Rax, &c->Rcx, &c->Rdx, &c->Rbx, &c->Rsp, &c->Rbp, &c->Rsi, &c->Rdi,
                         &c->R8,  &c->R9,  &c->R10, &c->R11, &c->R12, &c->R13, &c->R14, &c->R15};
    if (uc->arch != UMM_ARCH_X86_64)
        return;
    if (copy_in) {
        for (int i = 0; i < 16; i++)
            *regs[i] = uc->gpr[i];
        c->Rsp = uc->sp;
        c->Rip = uc->ip;
        c->EFlags = (DWORD)uc->flags;
    } else {
        for (int i = 0; i < 16; i++)
            uc->gpr[i] = *regs[i];
        uc->sp = c->Rsp;
        uc->ip = c->Rip;
        uc->flags = (uc->flags & ~(uint64_t)0xffffffff) | c->EFlags;
    }
#elif defined(__aarch64__)
    if (uc->arch != UMM_ARCH_AARCH64)
        return;
    if (copy_in) {
        for (int i = 0; i < 29; i++)
            c->X[i] = uc->gpr[i];
        c->Fp = uc->gpr[29];
        c->Lr = uc->gpr[30];
        c->Sp = uc->sp;
        c->Pc = uc->ip;
        c->Cpsr = (DWORD)uc->flags;
    } else {
        for (int i = 0; i < 29; i++)
            uc->gpr[i] = c->X[i];
        uc->gpr[29] = c->Fp;
        uc->gpr[30] = c->Lr;
        uc->sp = c->Sp;
        uc->ip = c->Pc;
        uc->flags = (uc->flags & ~(uint64_t)0xffffffff) | c->Cpsr;
    }
#else
    (void)uc;
    (void)c;
    (void)copy_in;
#endif
}

static umm_exception_action_t trampoline(umm_exception_t *exc, umm_context_t *uc, void *ctx)
{
    PVECTORED_EXCEPTION_HANDLER fn = (PVECTORED_EXCEPTION_HANDLER)(uintptr_t)ctx;
    EXCEPTION_RECORD rec;
    CONTEXT c = {.ContextFlags = 0, .UmmFpState = uc->fp_state};
    record_of(exc, uc, &rec);
    context_copy(uc, &c, true);
    EXCEPTION_POINTERS ep = {&rec, &c};
    if (fn(&ep) != EXCEPTION_CONTINUE_EXECUTION)
        return UMM_EXC_CONTINUE_SEARCH;
    context_copy(uc, &c, false);
    return UMM_EXC_CONTINUE_EXECUTION;
}

PVOID WINAPI AddVectoredExceptionHandler(ULONG First, PVECTORED_EXCEPTION_HANDLER Handler)
{
    umm_system_t *sys = win_system();
    if (!sys)
        return NULL;
    if (!Handler)
        return WIN_FAIL(ERROR_INVALID_PARAMETER, NULL);
    umm_vectored_handler_t *h;
    int rc = umm_add_vectored_handler(sys, First != 0, trampoline, (void *)(uintptr_t)Handler, &h);
    return rc == UMM_OK ? (PVOID)h : WIN_FAIL(win_error_of(rc), NULL);
}

ULONG WINAPI RemoveVectoredExceptionHandler(PVOID Handle)
{
    return umm_remove_vectored_handler(Handle) == UMM_OK;
}
