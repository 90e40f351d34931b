/* SPDX-License-Identifier: MIT */
/* os_common.h - what the OS backends (os_linux.c, os_posix.c) share with os_common.c: the flags of
 * an anonymous mapping and the error of a failed mapping call. Included by the os_*.c files only;
 * the rest of umm sees os.h. */
#ifndef UMM_OS_COMMON_H
#define UMM_OS_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

/* MAP_ANONYMOUS is POSIX only since 2024; the BSDs and macOS have had it, or MAP_ANON, forever. */
#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
#define MAP_ANONYMOUS MAP_ANON
#endif
/* MAP_NORESERVE (not POSIX): don't charge address space nobody has touched. Where it is missing the
 * kernel decides; macOS and FreeBSD do not charge anonymous mappings up front anyway. */
#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif
#define MM_OS_ANON_FLAGS (MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE)

/* Record err and return the umm code for a failed mapping call: ENOMEM means the kernel refused
 * another mapping (UMM_E_VMA_LIMIT), anything else is UMM_E_OS. [signal-safe] */
int mm_os_map_error(int err);

/* Move all of one buffer with pread or pwrite (they may stop short, so loop). Nothing moved is the
 * end of the file (read) or a full disk (write): UMM_E_IO, the caller keeps its data. */
int mm_os_transfer(int fd, uint64_t off, uint8_t *buf, size_t len, bool write);

/* mm_os_file_copy through a page-aligned bounce buffer (pread, then pwrite): the portable way,
 * and Linux's when copy_file_range cannot copy between these two files. */
int mm_os_copy_bounce(int in, uint64_t in_off, int out, uint64_t out_off, size_t len);

#endif
