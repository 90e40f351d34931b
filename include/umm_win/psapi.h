/* SPDX-License-Identifier: MIT */
/* psapi.h - GetProcessMemoryInfo and EmptyWorkingSet come with umm_win.h (see windows.h here). */
#ifndef UMM_WIN_PSAPI_H
#define UMM_WIN_PSAPI_H
#include "../umm_win.h"
#endif
