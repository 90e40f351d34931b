/* SPDX-License-Identifier: MIT */
/* windows.h - lets a Windows program's `#include <windows.h>` find umm's Win32 memory API: put
 * this directory on the include path (pkg-config umm_win does). Only the memory calls of
 * umm_win.h are there (docs/win32.md lists them). */
#ifndef UMM_WIN_WINDOWS_H
#define UMM_WIN_WINDOWS_H
#include "../umm_win.h"
#endif
