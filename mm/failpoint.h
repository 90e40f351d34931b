/* failpoint.h - named failure points (libfiu). UMM_FAILPOINT(name) is true when the point is
 * enabled (fiu_enable, fiu-ctrl, umm.fault in Python). Names are listed in
 * docs/fault-injection.md. Without FIU_ENABLE they compile to false. */
#ifndef UMM_FAILPOINT_H
#define UMM_FAILPOINT_H

#ifdef FIU_ENABLE
#include <fiu.h>
#define UMM_FAILPOINT(name) (fiu_fail(name) != 0)
#else
#define UMM_FAILPOINT(name) 0
#endif

#endif
