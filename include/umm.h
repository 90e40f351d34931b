/* SPDX-License-Identifier: MIT */
/* umm.h - the public C API of umm, the Windows memory manager as a userspace library.
 *
 * An application creates a system (physical memory: a pool of frames), one or more processes
 * (address spaces) in it, reserves address space, commits pages and then simply loads and stores.
 * Every page becomes valid through umm's own SIGSEGV handler, software page tables and the PFN
 * database. See docs/api.md for the full reference and docs/architecture.md for the design.
 *
 * Conventions: every function that can fail returns 0 (UMM_OK) or a positive umm_error_t code and
 * never aborts on bad input; handles are opaque; sizes are bytes. */
#ifndef UMM_H
#define UMM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* The version of this header; CMakeLists.txt reads it from here (the one place it is written).
 * umm_version() gives the library's at run time. While MAJOR is 0 a new MINOR may break the ABI:
 * the shared library's SONAME is libumm.so.MAJOR.MINOR (libumm.so.MAJOR from 1.0 on). */
#define UMM_VERSION_MAJOR 0
#define UMM_VERSION_MINOR 1
#define UMM_VERSION_PATCH 0
#define UMM_VERSION_STRING "0.1.0"
/* Compare against a version: #if UMM_VERSION_NUMBER >= UMM_MAKE_VERSION(0, 2, 0) */
#define UMM_MAKE_VERSION(major, minor, patch) ((major) * 10000 + (minor) * 100 + (patch))
#define UMM_VERSION_NUMBER UMM_MAKE_VERSION(UMM_VERSION_MAJOR, UMM_VERSION_MINOR, UMM_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define UMM_API __attribute__((visibility("default")))
#else
#define UMM_API
#endif

/* ---- errors: declared once, expanded into the enum and into umm_strerror()'s table ---- */
#define UMM_ERRORS(X)                                                                            \
    X(UMM_OK, "success")                                                                         \
    X(UMM_E_INVAL, "invalid argument")                                                           \
    X(UMM_E_NOMEM, "out of host memory for umm's own structures")                                \
    X(UMM_E_COMMIT_LIMIT, "commit charge would exceed the commit limit")                         \
    X(UMM_E_ACCESS, "access denied by the page protection")                                      \
    X(UMM_E_NOT_RESERVED, "address is not inside a reservation of this process")                 \
    X(UMM_E_NOT_COMMITTED, "page is not committed")                                              \
    X(UMM_E_RANGE, "range is empty, overflows or crosses a reservation boundary")                \
    X(UMM_E_ALIGN, "address is not aligned as required")                                         \
    X(UMM_E_BUSY, "object is busy")                                                              \
    X(UMM_E_IO, "paging I/O failed")                                                             \
    X(UMM_E_NO_FRAMES, "no physical frame is available")                                         \
    X(UMM_E_VMA_LIMIT, "the kernel refused a mapping (ENOMEM: vm.max_map_count or its memory)")     \
    X(UMM_E_OS, "an operating-system call failed")                                               \
    X(UMM_E_NOT_SUPPORTED, "not supported by this build or configuration")                       \
    X(UMM_E_STATE, "object is in the wrong state for this call")                                 \
    X(UMM_E_HANDLE, "invalid handle: closed, destroyed, or never a handle of this type")       \
    X(UMM_E_GUARD, "the range contains a guard page")                                            \
    X(UMM_E_QUOTA, "locking would take the locked pages past the working-set minimum")           \
    X(UMM_E_NOT_LOCKED, "some page of the range was not locked")                             \
    X(UMM_E_NOT_FOUND, "no object has that name")                                              \
    X(UMM_E_EXISTS, "an object of that name exists already")                                   \
    X(UMM_E_UNREACHABLE, "a backing store could not be reached (connect, AUTH or timeout)")

typedef enum umm_error {
#define UMM_ERROR_ENUM_(name, text) name,
    UMM_ERRORS(UMM_ERROR_ENUM_)
#undef UMM_ERROR_ENUM_
    UMM_ERROR_COUNT_
} umm_error_t;

/* Text of an error code ("unknown error" for a value outside the enum). Never NULL. */
UMM_API const char *umm_strerror(int code);
/* Name of an error code ("UMM_E_INVAL"), or NULL outside the enum. */
UMM_API const char *umm_error_name(int code);

/* ---- protection: a page is readable, read-write or inaccessible; EXEC, GUARD and a cache
 * attribute combine ---- */
#define UMM_PROT_NONE 0x0  /* committed, no access (PAGE_NOACCESS) */
#define UMM_PROT_READ 0x1  /* PAGE_READONLY */
#define UMM_PROT_WRITE 0x2 /* PAGE_READWRITE (implies READ) */
#define UMM_PROT_EXEC 0x4  /* PAGE_EXECUTE*: the mapping gets PROT_EXEC; an instruction fetch from
                              a page without it is an access violation (is_write UMM_EXC_EXECUTE) */
#define UMM_PROT_GUARD 0x8 /* PAGE_GUARD: the first access raises a one-shot exception */
#define UMM_PROT_NOCACHE 0x10      /* PAGE_NOCACHE: accepted and reported back, no effect on RAM */
#define UMM_PROT_WRITECOMBINE 0x20 /* PAGE_WRITECOMBINE: the same; not with NOCACHE, GUARD, or
                                      without access (UMM_E_INVAL, as Windows) */
#define UMM_PROT_WRITECOPY 0x80 /* PAGE_WRITECOPY (FILE_MAP_COPY): a section view whose reads share
                                   the section's frames and whose first write to a page gives the
                                   view a private copy; for umm_section_map* and, page by page on
                                   any view, umm_protect; reported by umm_query for copy-on-write
                                   pages not written yet */

/* ---- configuration ---- */
/* umm_config_t.flags */
#define UMM_CFG_PAGEFILE_DIRECT 0x1 /* O_DIRECT paging file: the default now, kept for old
                                       callers (falls back to buffered where refused) */
#define UMM_CFG_NO_WORKERS 0x2      /* no background threads: balancing, writing and zeroing
                                       happen only in umm_balance()/umm_flush_modified() and,
                                       when frames run out, on the faulting thread */
#define UMM_CFG_EXCEPTIONS_IN_SIGNAL 0x4 /* call exception handlers inside umm's signal handler, as
                                            platforms without out-of-signal dispatch do: handlers
                                            must then be async-signal-safe (and are cheaper) */
#define UMM_CFG_PAGEFILE_BUFFERED 0x8 /* paging-file I/O through the kernel's page cache (memory
                                         outside ram_bytes); without it the file is opened with
                                         O_DIRECT where the filesystem allows (stats:
                                         pagefile_direct). Not with UMM_CFG_PAGEFILE_DIRECT */
#define UMM_CFG_FILE_BUFFERED 0x10 /* file-backed sections read only through the page cache, by
                                      their faults: no O_DIRECT read-ahead threads (mm/filerd.h) */

/* A backing store (umm_config_t.stores): where paged-out pages go besides (or instead of) the
 * paging file of pagefile_*. Up to UMM_STORES_MAX per system, counting that paging file. */
#define UMM_STORES_MAX 16
#define UMM_STORE_PAGEFILE 0 /* a paging file: path (NULL: unnamed), bytes, max_bytes */
#define UMM_STORE_REDIS 1    /* a Redis server or Redis Cluster (docs/far-memory.md) */

typedef struct umm_store_config {
    unsigned kind;          /* UMM_STORE_* */
    size_t bytes;           /* capacity (a paging file's initial size); > 0, whole pages */
    size_t max_bytes;       /* paging file: growth limit (0: no growth); Redis: unused */
    const char *path;       /* paging file: its path (NULL: unnamed in $TMPDIR or /tmp) */
    const char *address;    /* Redis: "host:port" of the server or of any node of a cluster */
    const char *prefix;     /* Redis: key prefix, one per system (NULL: "umm"); stale keys under
                               it are removed at create */
    const char *user;       /* Redis: ACL user (NULL: AUTH with the password alone) */
    const char *password;   /* Redis: AUTH password (NULL: none). Never logged */
    unsigned timeout_ms;    /* Redis: per-operation timeout, failover retries included (0: 5000) */
} umm_store_config_t;

typedef struct umm_config {
    size_t ram_bytes;          /* physical memory budget: the frame pool (required, > 0) */
    size_t page_size;          /* bytes per page: the OS page size or a power-of-two multiple */
    unsigned cluster_pages;    /* fault-in cluster in pages, 1..64 (1 = no clustering) */
    const char *pagefile_path; /* paging file (NULL: an unnamed file in $TMPDIR or /tmp) */
    size_t pagefile_bytes;     /* initial paging file size; 0 = no paging file */
    unsigned vma_budget;       /* most kernel mappings (VMAs) this system may create */
    size_t pagefile_max_bytes; /* growth limit (0 or less than pagefile_bytes: no growth) */
    unsigned flags;            /* UMM_CFG_* */
    unsigned balance_interval_ms; /* balance-set manager period (0: 1000 ms) */
    size_t low_memory_bytes;   /* available below this is "low memory" (0: RAM/16, >= 64 pages);
                                  at most ram_bytes and high_memory_bytes, else UMM_E_INVAL */
    size_t high_memory_bytes;  /* available above this is "high memory" (0: 3 x low); at most
                                  ram_bytes, else UMM_E_INVAL */
    unsigned trim_policy;      /* UMM_TRIM_*: how the balance-set manager picks pages to trim */
    const umm_store_config_t *stores; /* more backing stores (NULL: none); the writer spreads
                                         clusters over them and the paging file in turn */
    unsigned nstores;          /* entries in stores; with a paging file at most 15 */
} umm_config_t;

/* umm_config_t.trim_policy */
#define UMM_TRIM_AGING 0 /* Windows: per-page age from the emulated accessed bit, oldest first */
#define UMM_TRIM_FIFO 1  /* age counts passes since the page came in, accessed or not */
#define UMM_TRIM_CLOCK 2 /* one-bit clock with second chance, no ages */

/* Defaults: 64 MiB of RAM, 4 KiB pages, 64 KiB clusters, no paging file, 16384 VMAs,
 * workers on, balancing every second. */
#define UMM_CONFIG_INIT                                                                          \
    { .ram_bytes = (size_t)64 << 20, .page_size = 4096, .cluster_pages = 16,                     \
      .pagefile_path = NULL, .pagefile_bytes = 0, .vma_budget = 16384,                           \
      .pagefile_max_bytes = 0, .flags = 0, .balance_interval_ms = 1000,                          \
      .low_memory_bytes = 0, .high_memory_bytes = 0, .trim_policy = UMM_TRIM_AGING,              \
      .stores = NULL, .nstores = 0 }

/* Reservation granularity (Windows' allocation granularity). */
#define UMM_RESERVE_GRANULARITY ((size_t)64 << 10)

typedef struct umm_system umm_system_t;
typedef struct umm_process umm_process_t;

/* ---- systems and processes ---- */
/* Create a system: allocates the RAM pool (memfd, populated now), the PFN database and installs
 * the fault handler (chaining to whatever handler was there). The handler is re-checked at every
 * create, so a test framework that swaps SIGSEGV handlers between tests is tolerated. */
UMM_API int umm_system_create(const umm_config_t *cfg, umm_system_t **out);
/* Destroy a system and every process still in it. No thread may touch its memory any more. */
UMM_API void umm_system_destroy(umm_system_t *sys);

UMM_API int umm_process_create(umm_system_t *sys, umm_process_t **out);
/* Release every reservation of the process and return its frames and commit charge. */
UMM_API void umm_process_destroy(umm_process_t *proc);

/* ---- virtual memory ---- */
/* Reserve address space: bytes rounded up to UMM_RESERVE_GRANULARITY, aligned to it. `prot` is the
 * reservation's default protection, used by umm_commit when it is given -1. */
UMM_API int umm_reserve(umm_process_t *proc, size_t bytes, int prot, void **out);
/* As umm_reserve, aligned to `alignment` (a power of two >= UMM_RESERVE_GRANULARITY). */
UMM_API int umm_reserve_aligned(umm_process_t *proc, size_t bytes, size_t alignment, int prot,
                                void **out);
/* umm_reserve_ex flags */
#define UMM_MEM_WRITE_WATCH 0x1 /* track the pages written (GetWriteWatch): umm_write_watch_* */
/* As umm_reserve_aligned, with flags UMM_MEM_WRITE_WATCH (VirtualAlloc's MEM_RESERVE |
 * MEM_WRITE_WATCH) and UMM_RESERVE_TOP_DOWN (see umm_reserve_at). */
UMM_API int umm_reserve_ex(umm_process_t *proc, size_t bytes, size_t alignment, int prot,
                           unsigned flags, void **out);
/* Reserve at a chosen address: `addr` (a multiple of UMM_RESERVE_GRANULARITY) or NULL for
 * anywhere. UMM_E_BUSY when any of [addr, addr + bytes) is already mapped (a reservation, or
 * memory umm does not manage). flags: UMM_RESERVE_TOP_DOWN (MEM_TOP_DOWN, addr NULL: the highest
 * free address umm finds, above every reservation placed without it; docs/api.md),
 * UMM_MEM_WRITE_WATCH (as umm_reserve_ex). */
#define UMM_RESERVE_TOP_DOWN 0x2 /* distinct from UMM_MEM_WRITE_WATCH: one flag space */
UMM_API int umm_reserve_at(umm_process_t *proc, void *addr, size_t bytes, int prot,
                           unsigned flags, void **out);
/* Commit pages [addr, addr + bytes) (addr page-aligned, bytes rounded up to pages) inside one
 * reservation. Already committed pages keep their contents and are not charged again; they get
 * the new protection (as Windows' VirtualAlloc(MEM_COMMIT)), unless prot is -1 (new pages then
 * get the reservation's protection, committed ones keep theirs). Fails with UMM_E_COMMIT_LIMIT,
 * changing nothing, when the charge would pass the limit. In a section's view: UMM_E_INVAL for
 * a protection above the view's (WRITE on a read-only view), UMM_E_ACCESS past the section. */
UMM_API int umm_commit(umm_process_t *proc, void *addr, size_t bytes, int prot);
/* Decommit pages: their frames and paging-file slots are freed and the charge returned. */
UMM_API int umm_decommit(umm_process_t *proc, void *addr, size_t bytes);
/* Release a whole reservation; `base` must be what umm_reserve returned. */
UMM_API int umm_release(umm_process_t *proc, void *base);
/* Change the protection of committed pages; *old_prot (may be NULL) gets the first page's.
 * UMM_E_INVAL for a protection above a view's (WRITE on a read-only view, as Windows).
 * UMM_PROT_WRITECOPY (with EXEC or alone; views only): the pages become copy-on-write, each
 * charged commit now (UMM_E_COMMIT_LIMIT), as VirtualProtect(PAGE_WRITECOPY).
 * UMM_E_VMA_LIMIT if the kernel refuses a protection change midway: the pages before the
 * failing run have the new protection, the rest the old one (the kernel cannot split further). */
UMM_API int umm_protect(umm_process_t *proc, void *addr, size_t bytes, int prot, int *old_prot);

typedef enum umm_region_state {
    UMM_REGION_FREE = 0,     /* not reserved by this process */
    UMM_REGION_RESERVED = 1, /* reserved, not committed */
    UMM_REGION_COMMITTED = 2
} umm_region_state_t;

typedef enum umm_region_type {
    UMM_REGION_TYPE_NONE = 0,    /* free */
    UMM_REGION_TYPE_PRIVATE = 1, /* MEM_PRIVATE: umm_reserve's reservations */
    UMM_REGION_TYPE_MAPPED = 2   /* MEM_MAPPED: a view of a section */
} umm_region_type_t;

typedef struct umm_region_info {
    void *base;              /* the page that contains the address */
    size_t size;             /* bytes from base to the end of the run of pages with the same
                                state and protection (VirtualQuery looks forward only) */
    void *allocation_base;   /* base of the reservation (NULL when free) */
    size_t allocation_size;  /* size of the reservation */
    int allocation_prot;     /* protection given to umm_reserve */
    umm_region_state_t state;
    int prot;                /* protection of the run (committed pages only) */
    size_t resident_pages;   /* pages of the run that are valid (in the working set) */
    umm_region_type_t type;  /* private or mapped (a view); NONE when free */
} umm_region_info_t;

/* Describe the run of pages that starts at the page containing `addr` (VirtualQuery).
 * UMM_E_NOT_RESERVED when the address is in no reservation of this process (NULL, another
 * process's or unmanaged memory, a released reservation): *out then describes that one page as
 * UMM_REGION_FREE. */
UMM_API int umm_query(umm_process_t *proc, const void *addr, umm_region_info_t *out);

/* Per-page attributes (QueryWorkingSetEx's PSAPI_WORKING_SET_EX_BLOCK). */
typedef struct umm_page_info {
    void *address;        /* in: any address in the page */
    uint8_t valid;        /* the page is in a working set (resident and mapped for the process) */
    uint8_t locked;       /* locked in the working set (umm_lock) */
    uint8_t shared;       /* a section page: its frame may be mapped by other views */
    uint8_t share_count;  /* views of the section mapping the frame now (saturates at 255) */
    uint8_t priority;     /* standby priority its frame has or will get (0-7) */
    uint8_t committed;    /* committed (0 also for addresses outside the process's reservations) */
    uint8_t pinned;       /* pinned for an I/O (umm_probe_and_lock) */
    uint8_t resident;     /* its contents are in RAM now: valid, or on Standby/Modified (not
                             while a hard fault is still reading them) */
    int prot;             /* UMM_PROT_* of a committed page, else 0 */
    umm_process_t *working_set; /* the process whose working set holds it (valid only), else NULL */
} umm_page_info_t;
/* Describe n pages at once (QueryWorkingSetEx): each entry's address in, the rest out. Addresses
 * outside proc's reservations are described as not committed and not valid; UMM_OK unless an
 * argument is bad. */
UMM_API int umm_query_pages(umm_process_t *proc, umm_page_info_t *pages, size_t n);
/* ---- copies between processes (ReadProcessMemory / WriteProcessMemory) ----
 * Copy `bytes` between [addr, addr + bytes) of proc and buf (any memory of the caller, managed
 * or not). Pages of proc are made resident as a fault would (demand-zero, soft, hard), never
 * through the kernel, so no EFAULT and no short count for a page that is merely not resident.
 * *done (may be NULL) gets the bytes copied. Errors: UMM_E_NOT_RESERVED (a page in no
 * reservation of proc), UMM_E_NOT_COMMITTED, UMM_E_ACCESS (no read, resp. write, permission,
 * or a guard page: left armed), UMM_E_IO / UMM_E_NO_FRAMES (an in-page error); the bytes before
 * the failing page are copied. */
UMM_API int umm_process_read(umm_process_t *proc, const void *addr, void *buf, size_t bytes,
                             size_t *done);
UMM_API int umm_process_write(umm_process_t *proc, void *addr, const void *buf, size_t bytes,
                              size_t *done);

/* ---- sections: shared memory backed by the paging file (CreateFileMapping + MapViewOfFile) ----
 * A section's pages live in prototype PTEs; each view maps them (all, or a part) into a process,
 * so two views, in one process or two, share the same frames. Its pages are committed (charged)
 * when it is created, or, with UMM_SEC_RESERVE, only reserved until umm_commit of a view's range
 * commits them (charged then, and committed in every view that maps them: Windows' SEC_RESERVE).
 * A view is released with umm_release(proc, view_base); its pages cannot be decommitted
 * (UMM_E_ACCESS, as VirtualFree on a view fails). Its pages are in the process's working set
 * while valid, are trimmed like any other, and page to the paging file once no view maps them. */
typedef struct umm_section umm_section_t;
/* A section of `bytes`, committed, unnamed, whose protection allows every view (READ|WRITE|EXEC). */
UMM_API int umm_section_create(umm_system_t *sys, size_t bytes, umm_section_t **out);
/* umm_section_create_ex flags */
#define UMM_SEC_RESERVE 0x1 /* pages reserved, committed later through a view (SEC_RESERVE) */
/* A section with its own protection (`prot`: UMM_PROT_READ or READ|WRITE, either with EXEC,
 * else UMM_E_INVAL): a view asking for more (WRITE of a read-only section, EXEC of one without)
 * is refused with UMM_E_ACCESS, as MapViewOfFile refuses it with ERROR_ACCESS_DENIED. `name`
 * (NULL: unnamed; else 1..UMM_SECTION_NAME_MAX bytes) makes it findable with umm_section_open
 * from any process of the system; names are unique per system (UMM_E_EXISTS, nothing made). */
#define UMM_SECTION_NAME_MAX 255
UMM_API int umm_section_create_ex(umm_system_t *sys, size_t bytes, int prot, unsigned flags,
                                  const char *name, umm_section_t **out);
/* Open the named section of sys (OpenFileMapping): *out is the same section, with one more
 * handle on it; every create and open is matched by one umm_section_close, and the section's
 * handle stays valid until the last. The name goes with the last handle (views keep the memory,
 * not the name). UMM_E_NOT_FOUND when no open section has the name. */
UMM_API int umm_section_open(umm_system_t *sys, const char *name, umm_section_t **out);
/* What a section is: its size, protection, flags, and how much of it is committed. */
typedef struct umm_section_info {
    size_t bytes;           /* whole pages */
    int prot;               /* as created */
    unsigned flags;         /* UMM_SEC_* */
    size_t committed_bytes; /* bytes (without UMM_SEC_RESERVE: all of them) */
} umm_section_info_t;
UMM_API int umm_section_query(umm_section_t *sec, umm_section_info_t *out);
/* Map a view of the whole section with `prot` (UMM_PROT_READ, READ|WRITE or WRITECOPY, any with
 * EXEC; not above the section's protection: UMM_E_ACCESS; WRITECOPY needs only READ). Pages of a
 * UMM_SEC_RESERVE section that are not committed yet are reserved in the view (access
 * violations until umm_commit); a WRITECOPY view of such a section is UMM_E_INVAL. A WRITECOPY
 * view charges commit for its pages now (as Windows does) and may be mapped from a read-only
 * file section; its writes stay its own (docs/api.md). */
UMM_API int umm_section_map(umm_process_t *proc, umm_section_t *sec, int prot, void **out);
/* Map a view of part of it (MapViewOfFileEx): the section's bytes [offset, offset + bytes), bytes 0
 * meaning to its end, at `addr` (NULL: anywhere). offset and addr are multiples of
 * UMM_RESERVE_GRANULARITY (UMM_E_ALIGN); the part must lie inside the section (UMM_E_RANGE);
 * UMM_E_BUSY when addr's range is in use. The view's page i is the section's page
 * offset / page + i: views at different offsets share the frames of the pages they both map. */
UMM_API int umm_section_map_view(umm_process_t *proc, umm_section_t *sec, size_t offset,
                                 size_t bytes, void *addr, int prot, void **out);
/* Close a handle: after the last one the section goes (frames, slots and charge back) when its
 * last view is released, at once if it has none. A file-backed section first writes its
 * modified pages to its file. */
UMM_API int umm_section_close(umm_section_t *sec);

/* A file-backed section (CreateFileMapping over a file): its pages are the bytes of the open
 * regular file `fd` (umm keeps its own descriptor: the caller may close fd), not paging-file
 * slots; nothing is charged against the commit limit, so it may be far larger than RAM and
 * the paging file. `bytes` 0 means the file's size; a larger size grows the file (READ|WRITE
 * only). `prot` is UMM_PROT_READ (views may only read: a write view is UMM_E_ACCESS) or
 * READ|WRITE (fd must be open O_RDWR: UMM_E_ACCESS). Views fault pages in from the file,
 * clustered; modified pages go back to it through the modified page writer, umm_view_flush and
 * the section's end (its close or last view's release). A read or write error of the file is an
 * in-page error (UMM_E_IO) or a writer error, as for the paging file. Errors: UMM_E_HANDLE (fd
 * is not an open regular file), UMM_E_RANGE (an empty file, or a read-only one smaller than
 * bytes), UMM_E_INVAL. */
UMM_API int umm_section_create_file(umm_system_t *sys, int fd, uint64_t bytes, int prot,
                                    umm_section_t **out);
/* umm_section_create_file with a name, as umm_section_create_ex gives one (NULL: none):
 * umm_section_open finds it; a name in use is UMM_E_EXISTS. */
UMM_API int umm_section_create_file_ex(umm_system_t *sys, int fd, uint64_t bytes, int prot,
                                       const char *name, umm_section_t **out);
/* FlushViewOfFile: write the modified pages of the view's range [addr, addr + bytes) (bytes 0:
 * to the view's end) to the section's file and wait for the writes. The range's pages leave
 * the views' working sets (the next touch is a soft fault); pages locked or pinned stay and are
 * written once they leave. A paging-file-backed section has nothing to flush (UMM_OK).
 * UMM_E_IO: a write failed, its pages stay modified (nothing lost; flush again). */
UMM_API int umm_view_flush(umm_process_t *proc, void *addr, size_t bytes);

/* ---- memory the kernel and I/O may use (docs/api.md, "System calls on managed memory") ----
 * The kernel never takes umm's SIGSEGV: a system call that reaches a managed page that is not
 * resident and accessible (never touched, trimmed, paged out, aged) fails with EFAULT or a short
 * count. These calls make pages resident first and keep them so, as Windows' kernel does.
 *
 * Locked pages (VirtualLock / VirtualUnlock). umm_lock makes [addr, addr + bytes) resident and
 * keeps it in the working set: never trimmed, aged, written out or repurposed, and a guest's
 * locked page is never unmapped, shared, compressed or paged by its host, until umm_unlock,
 * decommit or release (which unlock). A lock is not counted: one umm_unlock unlocks. Locked pages
 * count against the working-set minimum: the process may lock at most ws_min pages
 * (UMM_E_QUOTA otherwise, nothing locked). Every page must be committed and accessible
 * (UMM_E_NOT_COMMITTED, UMM_E_ACCESS, UMM_E_GUARD: checked before anything changes).
 * umm_unlock unlocks the locked pages of the range and returns UMM_E_NOT_LOCKED if some page
 * was not locked (as VirtualUnlock). addr and bytes need not be page-aligned: every page they
 * touch counts. */
UMM_API int umm_lock(umm_process_t *proc, void *addr, size_t bytes);
UMM_API int umm_unlock(umm_process_t *proc, void *addr, size_t bytes);

/* Probe and lock for an I/O (MmProbeAndLockPages, the MDL model). Make every page that
 * [addr, addr + bytes) touches resident for `access` (UMM_PROT_READ: the I/O reads the memory, as
 * write(2) does; UMM_PROT_WRITE: it stores into it, as read(2) does, and the pages become dirty)
 * and pin them until umm_unlock_pages: while pinned they stay mapped with that access, and
 * decommit, release and protect of them wait for the unpin. Errors, before anything is pinned:
 * UMM_E_NOT_RESERVED / UMM_E_RANGE (not inside one reservation), UMM_E_NOT_COMMITTED,
 * UMM_E_ACCESS (the protection forbids the access), UMM_E_GUARD (a guard page: it stays armed),
 * an in-page error's cause (UMM_E_IO, UMM_E_NO_FRAMES). Do not decommit or release pinned pages
 * from the thread that pinned them: the call would wait for itself. */
typedef struct umm_mdl {
    umm_process_t *process;
    void *address;   /* the first page */
    size_t bytes;    /* whole pages */
    int access;      /* UMM_PROT_READ or UMM_PROT_WRITE */
    void *internal_; /* umm's: the reservation (NULL once unlocked) */
} umm_mdl_t;
UMM_API int umm_probe_and_lock(umm_process_t *proc, void *addr, size_t bytes, int access,
                               umm_mdl_t *mdl);
UMM_API int umm_unlock_pages(umm_mdl_t *mdl);

/* I/O on managed memory that never fails with EFAULT on committed, accessible pages and never
 * stops short silently: each call pins the buffer a piece at a time (probe-and-lock) and repeats
 * the system call until every byte moved, end of file (reads: UMM_OK with *done < bytes, as
 * POSIX), or an error: the error returned (UMM_E_OS with umm_last_os_error() the errno, or one of
 * umm_probe_and_lock's) and *done the bytes that did move. The whole buffer is checked before the
 * first byte moves. offset >= 0: pread/pwrite at that offset (files, block devices); -1: read or
 * write at the descriptor's position (pipes, sockets, terminals). EINTR is retried. */
UMM_API int umm_io_read(umm_process_t *proc, int fd, void *buf, size_t bytes, int64_t offset,
                        size_t *done);
UMM_API int umm_io_write(umm_process_t *proc, int fd, const void *buf, size_t bytes,
                         int64_t offset, size_t *done);
/* Vectored forms: the iovecs in order, as one transfer (readv/preadv, writev/pwritev). */
UMM_API int umm_io_readv(umm_process_t *proc, int fd, const struct iovec *iov, int iovcnt,
                         int64_t offset, size_t *done);
UMM_API int umm_io_writev(umm_process_t *proc, int fd, const struct iovec *iov, int iovcnt,
                          int64_t offset, size_t *done);

/* Write watch (GetWriteWatch / ResetWriteWatch) on a reservation made with UMM_MEM_WRITE_WATCH:
 * the exact set of its committed pages written since they were committed or last reset, from the
 * emulated dirty bit, kept through trimming, paging out and back in. umm_write_watch_get stores
 * the addresses of up to *count such pages of [addr, addr + bytes), in address order, in
 * addresses[] and sets *count to how many it stored (more may follow: ask again from the last
 * one); *granularity (may be NULL) gets the page size. With UMM_WRITE_WATCH_RESET the pages it
 * reports are reset at once. A reset page's next write faults once (a page that is pinned for
 * an I/O stays reported as written). UMM_E_INVAL for a reservation without the flag. */
#define UMM_WRITE_WATCH_RESET 0x1
UMM_API int umm_write_watch_get(umm_process_t *proc, void *addr, size_t bytes, unsigned flags,
                                void **addresses, size_t *count, size_t *granularity);
UMM_API int umm_write_watch_reset(umm_process_t *proc, void *addr, size_t bytes);

/* Prefetch (PrefetchVirtualMemory): read the paged-out pages of several ranges ahead of use, so
 * that later accesses are soft faults or none. Asynchronous: the ranges are checked (each inside
 * one reservation of proc: UMM_E_NOT_RESERVED / UMM_E_RANGE, nothing queued), queued, and read by
 * the system's worker thread through the fault resolver; without workers (UMM_CFG_NO_WORKERS)
 * the reads happen before the call returns. A hint: pages that are not committed, not
 * accessible or already resident are skipped, and the pages read may be trimmed again under
 * pressure. The reads count as hard faults of the process. */
typedef struct umm_range {
    void *address;
    size_t bytes;
} umm_range_t;
UMM_API int umm_prefetch(umm_process_t *proc, const umm_range_t *ranges, size_t n);

/* Contents the program no longer needs (OfferVirtualMemory / ReclaimVirtualMemory /
 * DiscardVirtualMemory; MEM_RESET is umm_offer with priority 0 and MEM_RESET_UNDO umm_reclaim).
 * umm_offer takes the committed private pages of the range out of the working set onto Standby
 * at `priority` (0-7; repurposed lowest first) with no paging-file copy: they are never written
 * to the paging file, and a frame repurposed or purged loses its page's contents. Locked and
 * pinned pages stay as they are. umm_reclaim makes offered pages ordinary again (dirty: kept and
 * written out like any other) and sets *lost (may be NULL) to 1 if some page's contents were
 * discarded meanwhile (those pages read as zeros), else 0; a page touched before reclaim was
 * already reclaimed by the touch. umm_discard drops the contents of the range now (they read as
 * zeros; frames and paging-file slots are freed, the commit charge stays). Views of sections:
 * UMM_E_ACCESS. Errors as umm_decommit, UMM_E_INVAL for a priority above 7. */
UMM_API int umm_offer(umm_process_t *proc, void *addr, size_t bytes, unsigned priority);
UMM_API int umm_reclaim(umm_process_t *proc, void *addr, size_t bytes, int *lost);
UMM_API int umm_discard(umm_process_t *proc, void *addr, size_t bytes);

/* ---- working sets ---- */
/* Take up to `pages` pages out of the working set (oldest first, clock with second chance, under
 * UMM_TRIM_AGING for dirty pages only, under UMM_TRIM_FIFO for none):
 * clean pages go to Standby, dirty ones to Modified, never-written ones back to demand-zero. */
UMM_API int umm_ws_trim(umm_process_t *proc, size_t pages);
/* Take every page out of the working set (EmptyWorkingSet). */
UMM_API int umm_ws_empty(umm_process_t *proc);

/* Working-set limits in pages (SetProcessWorkingSetSizeEx). Defaults are Windows': 50 and 345.
 * The balance-set manager trims a process toward its minimum only when memory is short and
 * never below it; with UMM_WS_HARD_MAX a process's faults first trim its own oldest pages to
 * stay at max (a fault still maps its one page if nothing can be trimmed). Without the flag max
 * is reported, not enforced. min <= max, max >= 1; UMM_E_NO_FRAMES when min exceeds RAM. */
#define UMM_WS_HARD_MAX 0x1
#define UMM_WS_DEFAULT_MIN 50
#define UMM_WS_DEFAULT_MAX 345
UMM_API int umm_ws_set_limits(umm_process_t *proc, size_t min_pages, size_t max_pages,
                              unsigned flags);
UMM_API int umm_ws_get_limits(umm_process_t *proc, size_t *min_pages, size_t *max_pages,
                              unsigned *flags);

/* Standby priority (0-7, default 5) given to the process's pages when they leave its working
 * set; frames are repurposed from the lowest priority first. */
UMM_API int umm_process_set_priority(umm_process_t *proc, unsigned priority);
/* Empty the Standby lists of priority <= max_priority (7: all), as RAMMap's "Empty Standby
 * List": the frames go to Free, the pages keep their paging-file copies. Returns the count in
 * *purged (may be NULL). */
UMM_API int umm_standby_purge(umm_system_t *sys, unsigned max_priority, uint64_t *purged);

/* One pass of the balance-set manager now (age, trim to the available target, write modified
 * pages, evaluate notifications, zero the Free frames), on the calling thread. The workers do
 * this every interval. */
UMM_API int umm_balance(umm_system_t *sys);
/* Write every modified page to the paging file now. UMM_E_IO if some write failed (those pages
 * stay on Modified, nothing is lost); UMM_E_NOT_SUPPORTED without a paging file. */
UMM_API int umm_flush_modified(umm_system_t *sys);

/* ---- memory resource notifications (CreateMemoryResourceNotification) ---- */
typedef struct umm_notification umm_notification_t;
typedef enum umm_notify_type {
    UMM_NOTIFY_LOW_MEMORY = 0, /* signaled while available < low_memory_bytes */
    UMM_NOTIFY_HIGH_MEMORY = 1 /* signaled while available > high_memory_bytes */
} umm_notify_type_t;
/* Called on a worker thread (or in umm_balance) when the state changes: signaled 1 or 0. */
typedef void (*umm_notify_fn)(umm_notification_t *n, int signaled, void *ctx);
UMM_API int umm_notification_create(umm_system_t *sys, umm_notify_type_t type, umm_notify_fn fn,
                                    void *ctx, umm_notification_t **out);
/* A file descriptor that is readable exactly while the notification is signaled (poll/epoll it):
 * an eventfd with the Linux backend, a pipe's read end with the POSIX one. */
UMM_API int umm_notification_fd(umm_notification_t *n);
UMM_API int umm_notification_query(umm_notification_t *n, int *signaled);
UMM_API void umm_notification_destroy(umm_notification_t *n);

/* ---- exceptions: guard pages, access violations, in-page errors ---- */
typedef enum umm_exception_code {
    UMM_EXC_GUARD_PAGE = 1,       /* first touch of a guard page (the guard is already cleared) */
    UMM_EXC_ACCESS_VIOLATION = 2, /* umm address, but not committed or protection forbids it */
    UMM_EXC_IN_PAGE_ERROR = 3     /* the page could not be made valid (no frame, I/O error) */
} umm_exception_code_t;

#define UMM_EXC_EXECUTE 8 /* umm_exception_t.is_write of an instruction fetch (DEP) */

typedef enum umm_exception_action {
    UMM_EXC_CONTINUE_EXECUTION = 0, /* retry the faulting access */
    UMM_EXC_CONTINUE_SEARCH = 1     /* not handled: the default disposition (see below) */
} umm_exception_action_t;

typedef struct umm_exception {
    umm_exception_code_t code;
    void *address;          /* faulting address */
    int is_write;           /* 1 when the access was a write, 0 a read, UMM_EXC_EXECUTE (8) an
                               instruction fetch (as Windows' ExceptionInformation[0]), -1 unknown */
    int error;              /* umm_error_t cause for UMM_EXC_IN_PAGE_ERROR, else 0 */
    umm_process_t *process; /* owner of the address */
    int os_error;           /* the errno behind `error` when the kernel refused something, else 0 */
} umm_exception_t;

/* The thread's registers at an exception, portably (Windows' CONTEXT): a handler may read and
 * change them before it returns UMM_EXC_CONTINUE_EXECUTION (skip the faulting instruction, redirect
 * to a recovery path), as debuggers and JITs do. `arch` says which registers gpr holds:
 *   UMM_ARCH_X86_64:  gpr[UMM_X86_RAX .. UMM_X86_R15] in the hardware's encoding order; `flags` is
 *                     RFLAGS; gpr[UMM_X86_RSP] is a copy of `sp` (`sp` is what is restored).
 *   UMM_ARCH_AARCH64: gpr[0..30] are x0..x30; `flags` is PSTATE (only NZCV may be changed).
 *   UMM_ARCH_NONE:    no registers (another platform); changes are ignored.
 * fp_state is the FP/SIMD state, opaque and platform-defined (x86-64: the XSAVE image, standard
 * format, that Linux stores for a signal; AArch64: Linux's fpsimd_context record); it may be changed
 * in place and is restored with the rest. */
typedef enum umm_arch { UMM_ARCH_NONE = 0, UMM_ARCH_X86_64 = 1, UMM_ARCH_AARCH64 = 2 } umm_arch_t;
enum umm_x86_reg {
    UMM_X86_RAX, UMM_X86_RCX, UMM_X86_RDX, UMM_X86_RBX, UMM_X86_RSP, UMM_X86_RBP, UMM_X86_RSI,
    UMM_X86_RDI, UMM_X86_R8, UMM_X86_R9, UMM_X86_R10, UMM_X86_R11, UMM_X86_R12, UMM_X86_R13,
    UMM_X86_R14, UMM_X86_R15
};
typedef struct umm_context {
    umm_arch_t arch;
    uint64_t ip;       /* instruction pointer: the faulting instruction */
    uint64_t sp;       /* stack pointer */
    uint64_t flags;    /* RFLAGS / PSTATE */
    uint64_t gpr[32];  /* general registers, see above */
    void *fp_state;    /* FP/SIMD state (opaque), fp_size bytes */
    size_t fp_size;
} umm_context_t;

/* Vectored exception handlers (Windows' AddVectoredExceptionHandler), several per system, each
 * with its own ctx, called in list order until one returns UMM_EXC_CONTINUE_EXECUTION.
 *
 * Where they run: on x86-64 and AArch64 Linux, OUTSIDE the signal handler, on the faulting
 * thread's own stack (its normal stack even when the fault ran on an alternate signal stack), with
 * the thread's signal mask: a handler may allocate, print, take locks, call any umm function and
 * touch any managed memory; a fault inside it (demand-zero, soft, hard, or another guard page) is
 * an ordinary fault, and a further exception is dispatched the same way (nested). CONTINUE_EXECUTION
 * resumes the interrupted thread exactly as `context` then says (all registers, FP/SIMD state,
 * flags, signal mask); leaving with longjmp/siglongjmp is allowed too. On other platforms handlers
 * run inside the signal handler and must be async-signal-safe (docs/api.md, "Exceptions").
 *
 * Unhandled (every handler returned CONTINUE_SEARCH, or none is registered): guard pages and access
 * violations are delivered as a real SIGSEGV with the original siginfo and context to the handler
 * installed before umm's (so an unhandled one still crashes); in-page errors raise SIGBUS on the
 * thread with si_code BUS_ADRERR, si_addr the address and si_errno the umm_error_t cause.
 * A handler that keeps faulting inside itself (UMM_EXC_MAX_NESTING exceptions deep) ends the
 * process with a message and the default SIGSEGV, not a hang or a stack overflow.
 *
 * Stacks: umm's fault handler itself runs on the thread's alternate signal stack if it has one
 * (give such stacks at least 64 KiB: a guest's fault may compress a page for the host); a thread
 * whose stack is managed memory needs one (docs/embedding.md). */
#define UMM_EXC_MAX_NESTING 32
typedef umm_exception_action_t (*umm_vectored_handler_fn)(umm_exception_t *exc,
                                                          umm_context_t *context, void *ctx);
typedef struct umm_vectored_handler umm_vectored_handler_t;
/* Add fn first (first != 0) or last in sys's list; *out identifies it for removal. */
UMM_API int umm_add_vectored_handler(umm_system_t *sys, int first, umm_vectored_handler_fn fn,
                                     void *ctx, umm_vectored_handler_t **out);
/* Remove it (safe from inside a handler, its own included); UMM_E_HANDLE when already removed. */
UMM_API int umm_remove_vectored_handler(umm_vectored_handler_t *h);

/* The older single handler, kept: it is one vectored handler (added last when first set, replaced
 * in place when set again, removed with fn NULL) that does not see the context. */
typedef umm_exception_action_t (*umm_exception_handler_t)(const umm_exception_t *exc, void *ctx);
UMM_API int umm_set_exception_handler(umm_system_t *sys, umm_exception_handler_t fn, void *ctx);

/* ---- statistics: names after the Windows performance counters (pages unless said) ----
 * Every field is declared once, in the lists below, with its meaning: the structs, umm's internal
 * counters, the copy-out, Python's structs (through umm_stats_field) and the tables of docs/api.md
 * all come from, or are checked against, these lists. Kinds: G a gauge (a uint64_t the snapshot
 * computes), C a counter (a uint64_t umm counts as events happen), R a rate (a double), A an
 * array of 8 uint64_t. */
#define UMM_STATS_FIELDS(G, C, R, A)                                                              \
    G(page_size, "bytes per page")                                                                \
    G(total_frames, "the RAM pool in pages")                                                      \
    G(available, "Zeroed + Free + Standby: frames a fault may take (frames being zeroed count with Free)") \
    G(zeroed, "frames on the Zeroed list")                                                        \
    G(free, "frames on the Free list, and frames the zero page thread is clearing")               \
    G(standby, "frames on the Standby lists (all priorities)")                                    \
    G(modified, "frames on the Modified list")                                                    \
    G(modified_nowrite, "frames on the ModifiedNoWrite list")                                     \
    G(bad, "frames on the Bad list")                                                              \
    G(active, "frames on no list: valid pages, frames being read in, a guest's balloon frames; the lists and active add up to total_frames") \
    A(standby_by_priority, "Standby frames per priority 0-7 (they sum to standby)")               \
    G(committed, "commit charge of the system (a guest's balloon frames included)")               \
    G(commit_limit, "RAM, or RAM + paging file - slack; grows with the paging file")              \
    G(commit_peak, "highest committed seen")                                                      \
    G(working_set, "valid pages over all processes (at most active)")                             \
    G(processes, "processes in the system")                                                       \
    G(locked_pages, "pages locked in working sets (umm_lock) over all processes")                 \
    G(pinned_frames, "frames pinned by probe-and-lock for an I/O now")                            \
    C(faults_total, "SIGSEGVs umm handled for this system (resolved, raised as exceptions, or retried because a page was busy)") \
    C(faults_demand_zero, "pages made valid from a zeroed frame (a 16-page cluster adds 16)")     \
    C(faults_transition, "pages made valid by soft faults (the frame still on Standby or Modified, or resident for another view of a section), and the pages a stream's hard fault read and mapped with its own") \
    C(faults_hard, "hard faults: a page read from the paging file on the faulting thread (its read-ahead neighbours count in pages_input)") \
    C(faults_access_bit, "faults that set the emulated accessed bit of an aged page")             \
    C(faults_dirty_bit, "faults that set the emulated dirty bit (first write to a clean, accessed page)") \
    C(pages_dirty_predicted, "pages a read fault mapped writable and dirty at once: most pages its reservation read back were soon written (no dirty-bit fault to come)") \
    C(faults_copy_on_write, "first writes to a page of a copy-on-write view: the page got a private copy") \
    C(faults_access_violation, "access violations raised (handled or not)")                       \
    C(faults_guard, "guard-page exceptions raised")                                               \
    C(faults_in_page_error, "in-page errors raised (no frame, a failed read, a refused mapping)") \
    C(faults_spurious, "faults another thread had already resolved")                              \
    C(pages_zeroed_in_fault, "frames that had to be zeroed on the fault path (taken from Free or Standby)") \
    C(pages_trimmed, "pages taken out of working sets (calls, balancer, emergency reclaim, hard maximum, guard protect, VMA coalescing)") \
    C(pages_trimmed_zero, "of those, pages whose frame held only zeros: back to demand-zero, the frame to Zeroed") \
    C(standby_repurposed, "Standby frames taken from the page that still named them (allocations and umm_standby_purge)") \
    C(hw_map_calls, "kernel calls that mapped frames at a program's addresses (mm/hwmap.h: one per run of consecutive frames; a section view's read fault maps its page and its fault-around neighbours together)") \
    C(hw_protect_calls, "kernel calls that changed the protection of a program's pages (mm/hwmap.h: emulated accessed and dirty bits set or cleared, soft faults, trimming pages the program may still touch)") \
    G(vma_count, "kernel mappings umm estimates its pages need (the physical view, plus each reservation's)") \
    G(vma_budget, "the configured VMA budget")                                                    \
    C(vma_coalesce_runs, "times the budget made umm coalesce mappings")                           \
    C(pages_output, "pages written to the paging file (Pages Output)")                            \
    C(page_writes, "write operations to the paging file (Page Writes)")                           \
    C(pages_input, "pages read from the paging file (Pages Input)")                               \
    C(page_reads, "read operations from the paging file, failed ones included (Page Reads)")      \
    C(page_reads_buffered, "of those, reads that landed in a warm read buffer and were copied into their frames by the kernel (mm/readbuf.h)") \
    C(file_reads_direct, "of those, O_DIRECT reads of a file-backed section's pages straight into frames, issued by I/O threads ahead of a sequential read through a view (mm/filerd.h)") \
    C(file_reads_direct_skipped, "pieces of such read-ahead not read: the queue full, too few frames speculation may take (never a page read ahead and unused: the stream queues the piece again at its next fault), no view left, the stream already past it, or a read error (the fault reads the page itself)") \
    C(file_direct_refused, "file-backed sections whose file refused a second O_DIRECT descriptor (tmpfs, POSIX): they read only the buffered way") \
    C(pages_read_ahead, "pages a hard fault read for neighbours of the faulting page (in pages_input too)") \
    C(readahead_hits, "of those, pages a fault used while they were still on Standby")          \
    C(readahead_wasted, "of those, pages repurposed before any use: read for nothing")           \
    C(pages_dropped_behind, "pages a long sequential stream of hard faults trimmed behind itself, their clean frames put first in line for reuse (drop-behind)") \
    C(io_reads_skipped, "paged-out pages a program's read (umm_io_read, umm_io_readv) filled whole: new frames took the data and their paging-file reads were skipped") \
    G(pagefile_slots, "the paging file's size in pages (0 without one)")                          \
    G(pagefile_max_slots, "the size the paging file may grow to, in pages")                       \
    G(pagefile_used, "paging-file slots in use")                                                  \
    G(pagefile_peak, "the most paging-file slots ever in use")                                    \
    G(pagefile_grows, "times the paging file grew")                                               \
    G(pagefile_direct, "1 when paging-file I/O bypasses the page cache (O_DIRECT), 0 when it goes through it (UMM_CFG_PAGEFILE_BUFFERED, or a filesystem that refuses O_DIRECT, e.g. tmpfs)") \
    G(pages_through_cache, "pages written to or read from the paging file through the kernel's page cache, which holds them in memory outside ram_bytes (0 while pagefile_direct)") \
    C(writer_errors, "failed writes of the modified page writer (each a cluster)")                \
    C(reclaim_writes, "modified clusters a faulting thread wrote itself, finding no frame available (emergency reclaim): faults that waited for a write") \
    C(read_errors, "failed hard-fault reads")                                                     \
    C(pages_zeroed_by_thread, "Free frames the zero page thread moved to Zeroed")                 \
    C(balancer_passes, "balance passes (timer, wake-ups, umm_balance)")                           \
    C(balancer_trimmed, "pages the balance-set manager trimmed")                                  \
    C(pages_aged, "unaccessed pages that grew one older in aging passes (under FIFO: every valid page each pass)") \
    G(low_memory, "1 while available is below the low threshold (at the snapshot)")              \
    G(low_memory_pages, "the low-memory threshold in effect")                                     \
    G(high_memory_pages, "the high-memory threshold in effect")                                   \
    R(pages_output_per_sec, "pages written per second over the last interval of at least 0.5 s between balance passes") \
    R(pages_input_per_sec, "pages read per second over the same interval")                        \
    R(faults_per_sec, "faults per second over the same interval")

/* One process: gauges, and the counters of the list above that are kept per process. */
#define UMM_PROCESS_STATS_FIELDS(G, C)                                                            \
    G(working_set, "valid pages of the process")                                                  \
    G(working_set_peak, "the most valid pages it ever had")                                       \
    G(committed, "commit charge of the process")                                                  \
    G(reservations, "reservations of the process")                                                \
    G(locked_pages, "pages locked in its working set (umm_lock); at most ws_min")                 \
    C(faults_total, "as for the system, restricted to this process's addresses")                 \
    C(faults_demand_zero, "as for the system, this process")                                      \
    C(faults_transition, "as for the system, this process")                                       \
    C(faults_hard, "as for the system, this process")                                             \
    C(faults_access_bit, "as for the system, this process")                                       \
    C(faults_dirty_bit, "as for the system, this process")                                        \
    C(pages_dirty_predicted, "as for the system, this process")                                   \
    C(faults_copy_on_write, "as for the system, this process")                                    \
    C(faults_access_violation, "as for the system, this process")                                 \
    C(faults_guard, "as for the system, this process")                                            \
    C(pages_trimmed, "pages taken out of this process's working set")                             \
    G(vma_count, "kernel mappings this process's reservations need (estimate)")                   \
    G(ws_min, "the working-set minimum, pages")                                                   \
    G(ws_max, "the working-set maximum, pages")                                                   \
    G(aged_pages, "valid pages with age at least 1 that the balance-set manager may trim")

#define UMM_STAT_U64_(name, doc) uint64_t name;
#define UMM_STAT_F64_(name, doc) double name;
#define UMM_STAT_A8_(name, doc) uint64_t name[8];
typedef struct umm_stats {
    UMM_STATS_FIELDS(UMM_STAT_U64_, UMM_STAT_U64_, UMM_STAT_F64_, UMM_STAT_A8_)
} umm_stats_t;
typedef struct umm_process_stats {
    UMM_PROCESS_STATS_FIELDS(UMM_STAT_U64_, UMM_STAT_U64_)
} umm_process_stats_t;

UMM_API int umm_stats_get(umm_system_t *sys, umm_stats_t *out);
UMM_API int umm_process_stats_get(umm_process_t *proc, umm_process_stats_t *out);

/* One backing store's own counters (store `index`: 0 is the legacy paging file when there is one,
 * then the entries of umm_config_t.stores in order). A "cluster" is one write or read call: a run
 * of consecutive slots. The remote counters are 0 for a paging file. */
typedef struct umm_store_stats {
    char kind[16];              /* "pagefile" or "redis" */
    char name[40];              /* "pagefile0", "redis1": the store's kind and index */
    uint64_t slots, used;       /* gauges: its slots, and those holding a page */
    uint64_t clusters_written, clusters_read;
    uint64_t pages_written, pages_read, bytes_written, bytes_read; /* by calls that succeeded */
    uint64_t write_errors;      /* writes that failed: the writer keeps the pages and retries */
    uint64_t read_errors;       /* reads that failed: each an in-page error for its fault */
    uint64_t pages_lost;        /* pages a read found missing on the server (restarted without
                                   persistence, or writes a failover lost), each counted once
                                   until its slot is freed: their faults are in-page errors */
    uint64_t keys_deleted;      /* keys UNLINKed when their last slot was freed */
    uint64_t command_retries;   /* commands retried through a lost connection or a failover */
    uint64_t redirects;         /* MOVED and ASK replies followed */
    uint64_t reconnects;        /* connections (re)opened to a node */
} umm_store_stats_t;
/* UMM_E_NOT_FOUND when the system has no store `index`. */
UMM_API int umm_store_stats_get(umm_system_t *sys, unsigned index, umm_store_stats_t *out);

/* A description of one field of umm_stats_t (which 0) or umm_process_stats_t (which 1), for
 * bindings that build their view of the structs at run time. */
typedef struct umm_stat_field {
    const char *name;
    const char *doc;
    size_t offset;    /* offsetof in the struct */
    char kind;        /* 'G' gauge, 'C' counter, 'R' rate (double), 'A' array of 8 uint64_t */
} umm_stat_field_t;
/* Field i of the struct (NULL past the last); *struct_size (may be NULL) gets its sizeof. */
UMM_API const umm_stat_field_t *umm_stats_field(unsigned which, unsigned i, size_t *struct_size);

/* Verify every internal invariant of the system (list counts add up to the frame total, each
 * frame's state matches the PTE that maps it, commit charge equals committed pages, the VMA
 * estimate equals a recount, paging-file slots are each referenced once). Returns UMM_OK or
 * UMM_E_STATE (UMM_CHECK_VERBOSE=1 in the environment names the invariant on stderr); cost
 * O(frames + reserved pages): for tests and debugging. */
UMM_API int umm_check(umm_system_t *sys);

/* ---- failure points (docs/fault-injection.md) ----
 * Named points where umm can be told to behave as if an operation had failed ("umm/os/map",
 * "umm/pagefile/read", ...). Every check is async-signal-safe. A build without failure points
 * (UMM_FAILPOINTS off) returns UMM_E_NOT_SUPPORTED from every call below. */
#define UMM_FAILPOINT_ONCE 0x1 /* switch the point off after its first failure */
/* Enable every point that `pattern` names (an exact name, or a prefix ending in '*'): each check
 * fails with `probability` (0 < p <= 1). UMM_E_INVAL for an unknown name or a bad argument. */
UMM_API int umm_failpoint_enable(const char *pattern, double probability, unsigned flags);
UMM_API int umm_failpoint_disable(const char *pattern);
/* A hook decides instead: called on every check of the point (possibly inside the fault handler,
 * so it must be async-signal-safe), the check fails when it returns non-zero. */
typedef int (*umm_failpoint_hook_t)(const char *name, void *ctx);
UMM_API int umm_failpoint_set_hook(const char *pattern, umm_failpoint_hook_t fn, void *ctx);
/* Seed the random choices: a single-threaded run with the same seed fails the same checks. */
UMM_API int umm_failpoint_seed(uint64_t seed);
/* Evaluate a point once, as umm would (*failed = 1 when it fails); consumes a ONCE point. */
UMM_API int umm_failpoint_check(const char *name, int *failed);
/* Failures of a point since it was last enabled. */
UMM_API int umm_failpoint_failures(const char *name, uint64_t *out);
/* Name of point i, NULL past the last: the list of every point. */
UMM_API const char *umm_failpoint_name(unsigned i);

/* The errno behind the last error this thread got from a kernel call inside umm (0: none yet):
 * what UMM_E_OS, UMM_E_IO, UMM_E_VMA_LIMIT or UMM_E_BUSY stood for. Async-signal-safe. */
UMM_API int umm_last_os_error(void);

/* The library's version, "MAJOR.MINOR.PATCH". */
UMM_API const char *umm_version(void);

#ifdef __cplusplus
}
#endif
#endif /* UMM_H */
