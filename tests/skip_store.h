/* SPDX-License-Identifier: MIT */
/* skip_store.h - a store whose fault a handler skips (header-only): store_then_add(p) puts 5 in
 * a register, stores 1 at p (SKIP_LEN bytes of instruction), then adds 1 to that register and
 * returns it. A handler that moves the instruction pointer past the store and sets the register
 * to 100 makes it return 101. The register: x86-64 RAX, AArch64 x2. Other architectures: no
 * SKIP_LEN (the tests that need it are skipped). */
#ifndef UMM_TEST_SKIP_STORE_H
#define UMM_TEST_SKIP_STORE_H

#if defined(__x86_64__)
#define SKIP_LEN 3 /* movb $1, (%rdi): c6 07 01 */
static inline long store_then_add(volatile unsigned char *p) {
    long rax;
    __asm__ volatile("mov $5, %%eax\n\t"
                     "movb $1, (%%rdi)\n\t"
                     "add $1, %%rax\n\t"
                     : "=&a"(rax)
                     : "D"(p)
                     : "memory", "cc");
    return rax;
}
#elif defined(__aarch64__)
#define SKIP_LEN 4 /* strb w1, [x0] */
static inline long store_then_add(volatile unsigned char *p) {
    register long x0 __asm__("x0") = (long)p;
    long out;
    __asm__ volatile("mov x2, #5\n\t"
                     "mov w1, #1\n\t"
                     "strb w1, [x0]\n\t"
                     "add %0, x2, #1\n\t"
                     : "=r"(out)
                     : "r"(x0)
                     : "x1", "x2", "memory");
    return out;
}
#endif

#endif
