/* SPDX-License-Identifier: MIT */
/* umm_win.h - the Win32 virtual-memory API over umm: Windows' own names, types, flags, error codes
 * and return conventions, so a Windows-style program compiles unchanged and runs on umm.
 *
 * Link with libumm_win (pkg-config umm_win), a separate small library whose exported names are the
 * Win32 ones by design; libumm itself exports only umm_* names. The calls work on a default system
 * and a default process, created on first use and configured from the environment (docs/win32.md):
 *   UMM_WIN_RAM            RAM pool in bytes (K, M, G suffixes; default 64M)
 *   UMM_WIN_PAGEFILE       paging file size (default 64M; 0: none)
 *   UMM_WIN_PAGEFILE_MAX   growth limit (default 4 x UMM_WIN_PAGEFILE)
 *   UMM_WIN_PAGEFILE_PATH  its path (default: a nameless file in $TMPDIR)
 *   UMM_WIN_CLUSTER        fault cluster in pages (default 16)
 *   UMM_WIN_NO_WORKERS     1: no background threads (UMM_CFG_NO_WORKERS)
 * GetCurrentProcess() is that default process, unless the calling thread was attached to another
 * with UmmWinAttachThread. More processes of the same system: UmmWinCreateProcess, then the *Ex
 * calls, MapViewOfFile2 and Read/WriteProcessMemory with their handles.
 *
 * Each call returns what Windows' returns (NULL, FALSE, 0 on failure) and sets the calling
 * thread's last error (GetLastError) to the code Microsoft documents for it. Deviations from
 * Windows, flag by flag, are in docs/win32.md. */
#ifndef UMM_WIN_H
#define UMM_WIN_H

#include <stddef.h>
#include <stdint.h>

#include "umm.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define UMM_WIN_API __attribute__((visibility("default")))
#else
#define UMM_WIN_API
#endif
#ifndef WINAPI
#define WINAPI
#endif

/* ---- types ---- */
typedef int BOOL;
typedef unsigned char BYTE;
typedef uint16_t WORD;
typedef uint32_t DWORD;
typedef uint64_t DWORD64;
typedef uint64_t ULONGLONG;
typedef int64_t LONGLONG;
typedef uintptr_t ULONG_PTR, DWORD_PTR, SIZE_T;
typedef SIZE_T *PSIZE_T;
typedef void *LPVOID, *PVOID, *HANDLE;
typedef const void *LPCVOID;
typedef DWORD *PDWORD, *LPDWORD;
typedef const char *LPCSTR;
typedef char CHAR;
typedef int32_t LONG;
typedef uint32_t ULONG, UINT;
typedef ULONG_PTR *PULONG_PTR;
#ifndef TRUE
#define TRUE 1
#define FALSE 0
#endif
#define INVALID_HANDLE_VALUE ((HANDLE)(intptr_t)-1)

/* ---- error codes (winerror.h) ---- */
#define ERROR_SUCCESS 0u
#define ERROR_FILE_NOT_FOUND 2u
#define ERROR_ACCESS_DENIED 5u
#define ERROR_INVALID_HANDLE 6u
#define ERROR_NOT_ENOUGH_MEMORY 8u
#define ERROR_OUTOFMEMORY 14u
#define ERROR_BAD_LENGTH 24u
#define ERROR_NOT_LOCKED 158u
#define ERROR_BUSY 170u
#define ERROR_NOT_SUPPORTED 50u
#define ERROR_INVALID_PARAMETER 87u
#define ERROR_CALL_NOT_IMPLEMENTED 120u
#define ERROR_ALREADY_EXISTS 183u
#define ERROR_PARTIAL_COPY 299u
#define ERROR_INVALID_ADDRESS 487u
#define ERROR_NOACCESS 998u
#define ERROR_INVALID_FLAGS 1004u
#define ERROR_FILE_INVALID 1006u
#define ERROR_MAPPED_ALIGNMENT 1132u
#define ERROR_NO_SYSTEM_RESOURCES 1450u
#define ERROR_WORKING_SET_QUOTA 1453u
#define ERROR_COMMITMENT_LIMIT 1455u

/* ---- memory flags (winnt.h) ---- */
#define PAGE_NOACCESS 0x01u
#define PAGE_READONLY 0x02u
#define PAGE_READWRITE 0x04u
#define PAGE_WRITECOPY 0x08u
#define PAGE_EXECUTE 0x10u
#define PAGE_EXECUTE_READ 0x20u
#define PAGE_EXECUTE_READWRITE 0x40u
#define PAGE_EXECUTE_WRITECOPY 0x80u
#define PAGE_GUARD 0x100u
#define PAGE_NOCACHE 0x200u
#define PAGE_WRITECOMBINE 0x400u

#define MEM_COMMIT 0x00001000u
#define MEM_RESERVE 0x00002000u
#define MEM_DECOMMIT 0x00004000u
#define MEM_RELEASE 0x00008000u
#define MEM_FREE 0x00010000u
#define MEM_PRIVATE 0x00020000u
#define MEM_MAPPED 0x00040000u
#define MEM_RESET 0x00080000u
#define MEM_TOP_DOWN 0x00100000u
#define MEM_WRITE_WATCH 0x00200000u
#define MEM_PHYSICAL 0x00400000u
#define MEM_RESET_UNDO 0x01000000u
#define MEM_IMAGE 0x01000000u
#define MEM_LARGE_PAGES 0x20000000u
#define MEM_COALESCE_PLACEHOLDERS 0x00000001u
#define MEM_PRESERVE_PLACEHOLDER 0x00000002u

#define SEC_RESERVE 0x04000000u
#define SEC_COMMIT 0x08000000u
#define SEC_NOCACHE 0x10000000u
#define SEC_WRITECOMBINE 0x40000000u
#define SEC_LARGE_PAGES 0x80000000u
#define SEC_IMAGE 0x01000000u

#define FILE_MAP_COPY 0x0001u
#define FILE_MAP_WRITE 0x0002u
#define FILE_MAP_READ 0x0004u
#define FILE_MAP_EXECUTE 0x0020u
#define FILE_MAP_ALL_ACCESS 0x000F001Fu

#define QUOTA_LIMITS_HARDWS_MIN_ENABLE 0x1u
#define QUOTA_LIMITS_HARDWS_MIN_DISABLE 0x2u
#define QUOTA_LIMITS_HARDWS_MAX_ENABLE 0x4u
#define QUOTA_LIMITS_HARDWS_MAX_DISABLE 0x8u

/* ---- structures ---- */
typedef struct _MEMORY_BASIC_INFORMATION {
    PVOID BaseAddress;
    PVOID AllocationBase;
    DWORD AllocationProtect;
    WORD PartitionId;
    SIZE_T RegionSize;
    DWORD State;
    DWORD Protect;
    DWORD Type;
} MEMORY_BASIC_INFORMATION, *PMEMORY_BASIC_INFORMATION;

typedef struct _SYSTEM_INFO {
    union {
        DWORD dwOemId;
        struct {
            WORD wProcessorArchitecture;
            WORD wReserved;
        };
    };
    DWORD dwPageSize;
    LPVOID lpMinimumApplicationAddress;
    LPVOID lpMaximumApplicationAddress;
    DWORD_PTR dwActiveProcessorMask;
    DWORD dwNumberOfProcessors;
    DWORD dwProcessorType;
    DWORD dwAllocationGranularity;
    WORD wProcessorLevel;
    WORD wProcessorRevision;
} SYSTEM_INFO, *LPSYSTEM_INFO;
#define PROCESSOR_ARCHITECTURE_AMD64 9
#define PROCESSOR_ARCHITECTURE_ARM64 12
#define PROCESSOR_ARCHITECTURE_UNKNOWN 0xffff

typedef uint64_t DWORDLONG;
typedef struct _MEMORYSTATUSEX {
    DWORD dwLength; /* set to sizeof(MEMORYSTATUSEX) before the call */
    DWORD dwMemoryLoad;            /* percent of RAM in use (not available) */
    DWORDLONG ullTotalPhys;        /* the RAM pool */
    DWORDLONG ullAvailPhys;        /* Zeroed + Free + Standby */
    DWORDLONG ullTotalPageFile;    /* the commit limit (Windows' meaning of this field) */
    DWORDLONG ullAvailPageFile;    /* commit limit - committed */
    DWORDLONG ullTotalVirtual;     /* the user address space */
    DWORDLONG ullAvailVirtual;     /* of which not reserved by the calling process */
    DWORDLONG ullAvailExtendedVirtual; /* always 0 */
} MEMORYSTATUSEX, *LPMEMORYSTATUSEX;

typedef struct _PROCESS_MEMORY_COUNTERS {
    DWORD cb; /* set to the size of the structure passed */
    DWORD PageFaultCount;
    SIZE_T PeakWorkingSetSize;
    SIZE_T WorkingSetSize;
    SIZE_T QuotaPeakPagedPoolUsage;
    SIZE_T QuotaPagedPoolUsage;
    SIZE_T QuotaPeakNonPagedPoolUsage;
    SIZE_T QuotaNonPagedPoolUsage;
    SIZE_T PagefileUsage;     /* the process's commit charge, bytes */
    SIZE_T PeakPagefileUsage; /* the highest seen through this call (umm keeps no peak per process) */
} PROCESS_MEMORY_COUNTERS, *PPROCESS_MEMORY_COUNTERS;
typedef struct _PROCESS_MEMORY_COUNTERS_EX {
    DWORD cb;
    DWORD PageFaultCount;
    SIZE_T PeakWorkingSetSize;
    SIZE_T WorkingSetSize;
    SIZE_T QuotaPeakPagedPoolUsage;
    SIZE_T QuotaPagedPoolUsage;
    SIZE_T QuotaPeakNonPagedPoolUsage;
    SIZE_T QuotaNonPagedPoolUsage;
    SIZE_T PagefileUsage;
    SIZE_T PeakPagefileUsage;
    SIZE_T PrivateUsage; /* the process's commit charge, bytes */
} PROCESS_MEMORY_COUNTERS_EX, *PPROCESS_MEMORY_COUNTERS_EX;

typedef enum _MEMORY_RESOURCE_NOTIFICATION_TYPE {
    LowMemoryResourceNotification = 0,
    HighMemoryResourceNotification = 1
} MEMORY_RESOURCE_NOTIFICATION_TYPE;

typedef struct _SECURITY_ATTRIBUTES {
    DWORD nLength;
    LPVOID lpSecurityDescriptor;
    BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;

/* ---- errors of the calling thread ---- */
UMM_WIN_API DWORD WINAPI GetLastError(void);
UMM_WIN_API void WINAPI SetLastError(DWORD dwErrCode);

/* ---- processes and handles ---- */
/* The calling thread's process: a pseudo-handle, as Windows' ((HANDLE)-1). */
UMM_WIN_API HANDLE WINAPI GetCurrentProcess(void);
/* Close a file mapping, a memory resource notification, or a process handle (the process itself
 * lives on: UmmWinDestroyProcess ends it). FALSE / ERROR_INVALID_HANDLE for anything else. */
UMM_WIN_API BOOL WINAPI CloseHandle(HANDLE hObject);

/* ---- virtual memory ---- */
UMM_WIN_API LPVOID WINAPI VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize, DWORD flAllocationType,
                                       DWORD flProtect);
UMM_WIN_API LPVOID WINAPI VirtualAllocEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize,
                                         DWORD flAllocationType, DWORD flProtect);
UMM_WIN_API BOOL WINAPI VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType);
UMM_WIN_API BOOL WINAPI VirtualFreeEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize,
                                      DWORD dwFreeType);
UMM_WIN_API BOOL WINAPI VirtualProtect(LPVOID lpAddress, SIZE_T dwSize, DWORD flNewProtect,
                                       PDWORD lpflOldProtect);
UMM_WIN_API BOOL WINAPI VirtualProtectEx(HANDLE hProcess, LPVOID lpAddress, SIZE_T dwSize,
                                         DWORD flNewProtect, PDWORD lpflOldProtect);
UMM_WIN_API SIZE_T WINAPI VirtualQuery(LPCVOID lpAddress, PMEMORY_BASIC_INFORMATION lpBuffer,
                                       SIZE_T dwLength);
UMM_WIN_API SIZE_T WINAPI VirtualQueryEx(HANDLE hProcess, LPCVOID lpAddress,
                                         PMEMORY_BASIC_INFORMATION lpBuffer, SIZE_T dwLength);
UMM_WIN_API BOOL WINAPI ReadProcessMemory(HANDLE hProcess, LPCVOID lpBaseAddress, LPVOID lpBuffer,
                                          SIZE_T nSize, SIZE_T *lpNumberOfBytesRead);
UMM_WIN_API BOOL WINAPI WriteProcessMemory(HANDLE hProcess, LPVOID lpBaseAddress,
                                           LPCVOID lpBuffer, SIZE_T nSize,
                                           SIZE_T *lpNumberOfBytesWritten);

/* ---- locked pages, prefetch, write watch, offered and reset contents ---- */
UMM_WIN_API BOOL WINAPI VirtualLock(LPVOID lpAddress, SIZE_T dwSize);
UMM_WIN_API BOOL WINAPI VirtualUnlock(LPVOID lpAddress, SIZE_T dwSize);

typedef struct _WIN32_MEMORY_RANGE_ENTRY {
    PVOID VirtualAddress;
    SIZE_T NumberOfBytes;
} WIN32_MEMORY_RANGE_ENTRY, *PWIN32_MEMORY_RANGE_ENTRY;
UMM_WIN_API BOOL WINAPI PrefetchVirtualMemory(HANDLE hProcess, ULONG_PTR NumberOfEntries,
                                              PWIN32_MEMORY_RANGE_ENTRY VirtualAddresses,
                                              ULONG Flags);

#define WRITE_WATCH_FLAG_RESET 0x01u
/* Both return 0 on success, else non-zero with the reason in GetLastError(). */
UMM_WIN_API UINT WINAPI GetWriteWatch(DWORD dwFlags, PVOID lpBaseAddress, SIZE_T dwRegionSize,
                                      PVOID *lpAddresses, ULONG_PTR *lpdwCount,
                                      LPDWORD lpdwGranularity);
UMM_WIN_API UINT WINAPI ResetWriteWatch(LPVOID lpBaseAddress, SIZE_T dwRegionSize);

typedef enum OFFER_PRIORITY {
    VmOfferPriorityVeryLow = 1,
    VmOfferPriorityLow,
    VmOfferPriorityBelowNormal,
    VmOfferPriorityNormal
} OFFER_PRIORITY;
/* Each returns ERROR_SUCCESS or an error code (and sets the last error too). */
UMM_WIN_API DWORD WINAPI OfferVirtualMemory(PVOID VirtualAddress, SIZE_T Size,
                                            OFFER_PRIORITY Priority);
UMM_WIN_API DWORD WINAPI ReclaimVirtualMemory(void const *VirtualAddress, SIZE_T Size);
UMM_WIN_API DWORD WINAPI DiscardVirtualMemory(PVOID VirtualAddress, SIZE_T Size);

/* QueryWorkingSetEx (psapi.h) */
typedef union _PSAPI_WORKING_SET_EX_BLOCK {
    ULONG_PTR Flags;
    struct {
        ULONG_PTR Valid : 1;
        ULONG_PTR ShareCount : 3;
        ULONG_PTR Win32Protection : 11;
        ULONG_PTR Shared : 1;
        ULONG_PTR Node : 6;
        ULONG_PTR Locked : 1;
        ULONG_PTR LargePage : 1;
        ULONG_PTR Priority : 3;
        ULONG_PTR Reserved : 3;
        ULONG_PTR SharedOriginal : 1;
        ULONG_PTR Bad : 1;
        ULONG_PTR ReservedUlong : 32;
    };
    struct {
        ULONG_PTR Valid : 1;
        ULONG_PTR Reserved0 : 14;
        ULONG_PTR Shared : 1;
        ULONG_PTR Reserved1 : 15;
        ULONG_PTR Bad : 1;
        ULONG_PTR ReservedUlong : 32;
    } Invalid;
} PSAPI_WORKING_SET_EX_BLOCK, *PPSAPI_WORKING_SET_EX_BLOCK;
typedef struct _PSAPI_WORKING_SET_EX_INFORMATION {
    PVOID VirtualAddress;
    PSAPI_WORKING_SET_EX_BLOCK VirtualAttributes;
} PSAPI_WORKING_SET_EX_INFORMATION, *PPSAPI_WORKING_SET_EX_INFORMATION;
UMM_WIN_API BOOL WINAPI QueryWorkingSetEx(HANDLE hProcess, PVOID pv, DWORD cb);

/* ---- vectored exception handlers ----
 * On the default system's memory (UmmWinSystem()): access violations, guard pages and in-page
 * errors, run outside the signal handler where umm can (x86-64 and AArch64 Linux; umm.h,
 * umm_add_vectored_handler), so a handler may allocate, print, call any of these functions and
 * touch any memory of the system. CONTEXT holds the integer registers with Windows' names (not
 * Windows' binary layout); a handler may change them before EXCEPTION_CONTINUE_EXECUTION. The
 * FP/SIMD state is preserved but not shown (UmmFpState points at umm's copy of it). */
#define EXCEPTION_ACCESS_VIOLATION 0xC0000005u
#define EXCEPTION_IN_PAGE_ERROR 0xC0000006u
#define EXCEPTION_GUARD_PAGE 0x80000001u
#define STATUS_GUARD_PAGE_VIOLATION EXCEPTION_GUARD_PAGE
#define EXCEPTION_CONTINUE_EXECUTION (-1)
#define EXCEPTION_CONTINUE_SEARCH 0
#define EXCEPTION_MAXIMUM_PARAMETERS 15
typedef struct _EXCEPTION_RECORD {
    DWORD ExceptionCode;
    DWORD ExceptionFlags;
    struct _EXCEPTION_RECORD *ExceptionRecord;
    PVOID ExceptionAddress;       /* the faulting instruction */
    DWORD NumberParameters;       /* 2 (3 for an in-page error) */
    ULONG_PTR ExceptionInformation[EXCEPTION_MAXIMUM_PARAMETERS]; /* [0] 0 read, 1 write, 8
                                     execute; [1] the data address; [2] an in-page error's cause
                                     (umm's umm_error_t) */
} EXCEPTION_RECORD, *PEXCEPTION_RECORD;
#if defined(__x86_64__)
typedef struct _CONTEXT {
    DWORD ContextFlags;
    DWORD EFlags;
    DWORD64 Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi, R8, R9, R10, R11, R12, R13, R14, R15;
    DWORD64 Rip;
    void *UmmFpState; /* umm's: the FP/SIMD state (umm_context_t.fp_state) */
} CONTEXT;
#elif defined(__aarch64__)
typedef struct _CONTEXT {
    DWORD ContextFlags;
    DWORD Cpsr;
    DWORD64 X[29]; /* X0..X28 */
    DWORD64 Fp, Lr, Sp, Pc;
    void *UmmFpState;
} CONTEXT;
#else
typedef struct _CONTEXT {
    DWORD ContextFlags; /* no registers on this platform */
    void *UmmFpState;
} CONTEXT;
#endif
typedef CONTEXT *PCONTEXT;
typedef struct _EXCEPTION_POINTERS {
    PEXCEPTION_RECORD ExceptionRecord;
    PCONTEXT ContextRecord;
} EXCEPTION_POINTERS, *PEXCEPTION_POINTERS;
typedef LONG(WINAPI *PVECTORED_EXCEPTION_HANDLER)(PEXCEPTION_POINTERS ExceptionInfo);
/* The handle for RemoveVectoredExceptionHandler, or NULL. First != 0: called before the others. */
UMM_WIN_API PVOID WINAPI AddVectoredExceptionHandler(ULONG First,
                                                     PVECTORED_EXCEPTION_HANDLER Handler);
/* Non-zero when Handle was a registered handler (it is removed), 0 otherwise. */
UMM_WIN_API ULONG WINAPI RemoveVectoredExceptionHandler(PVOID Handle);


/* ---- file mappings (sections backed by the paging file, or by a file: UmmWinFileHandle) ---- */
UMM_WIN_API HANDLE WINAPI CreateFileMappingA(HANDLE hFile, LPSECURITY_ATTRIBUTES lpAttributes,
                                             DWORD flProtect, DWORD dwMaximumSizeHigh,
                                             DWORD dwMaximumSizeLow, LPCSTR lpName);
UMM_WIN_API HANDLE WINAPI OpenFileMappingA(DWORD dwDesiredAccess, BOOL bInheritHandle,
                                           LPCSTR lpName);
UMM_WIN_API LPVOID WINAPI MapViewOfFile(HANDLE hFileMappingObject, DWORD dwDesiredAccess,
                                        DWORD dwFileOffsetHigh, DWORD dwFileOffsetLow,
                                        SIZE_T dwNumberOfBytesToMap);
UMM_WIN_API LPVOID WINAPI MapViewOfFileEx(HANDLE hFileMappingObject, DWORD dwDesiredAccess,
                                          DWORD dwFileOffsetHigh, DWORD dwFileOffsetLow,
                                          SIZE_T dwNumberOfBytesToMap, LPVOID lpBaseAddress);
/* Windows 10's form with a process handle: a view in another process of the same system.
 * PageProtection is PAGE_READONLY, PAGE_READWRITE or their EXECUTE forms. */
UMM_WIN_API PVOID WINAPI MapViewOfFile2(HANDLE FileMappingHandle, HANDLE ProcessHandle,
                                        ULONGLONG Offset, PVOID BaseAddress, SIZE_T ViewSize,
                                        DWORD AllocationType, DWORD PageProtection);
UMM_WIN_API BOOL WINAPI UnmapViewOfFile(LPCVOID lpBaseAddress);
UMM_WIN_API BOOL WINAPI UnmapViewOfFile2(HANDLE ProcessHandle, PVOID BaseAddress, DWORD UnmapFlags);
UMM_WIN_API BOOL WINAPI FlushViewOfFile(LPCVOID lpBaseAddress, SIZE_T dwNumberOfBytesToFlush);
#define CreateFileMapping CreateFileMappingA
#define OpenFileMapping OpenFileMappingA

/* ---- system and process information ---- */
UMM_WIN_API void WINAPI GetSystemInfo(LPSYSTEM_INFO lpSystemInfo);
UMM_WIN_API BOOL WINAPI GlobalMemoryStatusEx(LPMEMORYSTATUSEX lpBuffer);
UMM_WIN_API BOOL WINAPI GetProcessMemoryInfo(HANDLE Process, PPROCESS_MEMORY_COUNTERS ppsmemCounters,
                                             DWORD cb);
UMM_WIN_API BOOL WINAPI SetProcessWorkingSetSize(HANDLE hProcess, SIZE_T dwMinimumWorkingSetSize,
                                                 SIZE_T dwMaximumWorkingSetSize);
UMM_WIN_API BOOL WINAPI SetProcessWorkingSetSizeEx(HANDLE hProcess, SIZE_T dwMinimumWorkingSetSize,
                                                   SIZE_T dwMaximumWorkingSetSize, DWORD Flags);
UMM_WIN_API BOOL WINAPI GetProcessWorkingSetSize(HANDLE hProcess, PSIZE_T lpMinimumWorkingSetSize,
                                                 PSIZE_T lpMaximumWorkingSetSize);
UMM_WIN_API BOOL WINAPI GetProcessWorkingSetSizeEx(HANDLE hProcess, PSIZE_T lpMinimumWorkingSetSize,
                                                   PSIZE_T lpMaximumWorkingSetSize, PDWORD Flags);
UMM_WIN_API BOOL WINAPI EmptyWorkingSet(HANDLE hProcess);

/* ---- memory resource notifications ---- */
UMM_WIN_API HANDLE WINAPI CreateMemoryResourceNotification(
    MEMORY_RESOURCE_NOTIFICATION_TYPE NotificationType);
UMM_WIN_API BOOL WINAPI QueryMemoryResourceNotification(HANDLE ResourceNotificationHandle,
                                                        BOOL *ResourceState);

/* ---- umm's own: the default system and more processes (no Win32 counterpart) ---- */
/* The default system and process (created on first use from the environment); NULL with the
 * thread's last error set when it could not be created. */
UMM_WIN_API umm_system_t *UmmWinSystem(void);
UMM_WIN_API umm_process_t *UmmWinProcess(HANDLE hProcess);
/* A new process in the default system, and its handle. */
UMM_WIN_API HANDLE WINAPI UmmWinCreateProcess(void);
/* A HANDLE for CreateFileMapping's hFile over an open descriptor (umm_win has no CreateFile;
 * as the C runtime's _get_osfhandle). CloseHandle frees the handle, never the descriptor. The
 * mapping keeps a descriptor of its own: fd may be closed once the mapping exists. */
UMM_WIN_API HANDLE WINAPI UmmWinFileHandle(int fd);
/* End a process made by UmmWinCreateProcess (its memory goes) and close its handle. */
UMM_WIN_API BOOL WINAPI UmmWinDestroyProcess(HANDLE hProcess);
/* Make GetCurrentProcess() of the calling thread be hProcess (NULL: the default process again),
 * so a thread can act as a second process: OpenFileMapping, MapViewOfFile, VirtualAlloc... */
UMM_WIN_API BOOL WINAPI UmmWinAttachThread(HANDLE hProcess);
/* Tear the default system down (every process and mapping of it); the next call creates a
 * new one. For tests and orderly exits. */
UMM_WIN_API void WINAPI UmmWinShutdown(void);

#ifdef __cplusplus
}
#endif
#endif /* UMM_WIN_H */
