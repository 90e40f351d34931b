/* SPDX-License-Identifier: MIT */
/* store_redis.h - a backing store in a Redis server or Redis Cluster (docs/far-memory.md). */
#ifndef UMM_STORE_REDIS_H
#define UMM_STORE_REDIS_H

#include "store.h"

/* Connect (AUTH from c), find out whether it is a cluster, remove stale keys under the prefix,
 * start the store's I/O thread. UMM_E_UNREACHABLE when no server answers or AUTH fails,
 * UMM_E_NOT_SUPPORTED in a build without hiredis. */
int mm_store_redis_open(mm_store_t *st, const umm_store_config_t *c, size_t page, unsigned index);

#endif
