/* SPDX-License-Identifier: MIT */
/* assert.c - async-signal-safe diagnostics for UMM_ASSERT. */
#include "assert.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void mm_sigsafe_message(const char *a, const char *b)
{
    const char *parts[] = {"umm: ", a, b, "\n"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (!parts[i])
            continue;
        size_t n = strlen(parts[i]);
        while (n > 0) {
            ssize_t w = write(STDERR_FILENO, parts[i], n);
            if (w <= 0)
                break;
            parts[i] += w;
            n -= (size_t)w;
        }
    }
}

static void format_uint(char *buf, size_t cap, unsigned long v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && n < sizeof tmp);
    size_t i = 0;
    while (n > 0 && i + 1 < cap)
        buf[i++] = tmp[--n];
    buf[i] = '\0';
}

void mm_sigsafe_hex(const char *label, uintptr_t v)
{
    char buf[2 + 2 * sizeof v + 1];
    buf[0] = '0', buf[1] = 'x';
    for (size_t i = 0; i < 2 * sizeof v; i++)
        buf[2 + i] = "0123456789abcdef"[(v >> (4 * (2 * sizeof v - 1 - i))) & 0xf];
    buf[sizeof buf - 1] = '\0';
    mm_sigsafe_message(label, buf);
}

_Noreturn void mm_assert_fail(const char *expr, const char *file, int line)
{
    char num[24];
    format_uint(num, sizeof num, (unsigned long)line);
    mm_sigsafe_message("assertion failed: ", expr);
    mm_sigsafe_message(file, "");
    mm_sigsafe_message("line ", num);
    abort();
}
