/* SPDX-License-Identifier: MIT */
/* store_redis_none.c - the Redis store in a build without hiredis: not supported. */
#include "store_redis.h"

int mm_store_redis_open(mm_store_t *st, const umm_store_config_t *c, size_t page, unsigned index)
{
    (void)st, (void)c, (void)page, (void)index;
    return UMM_E_NOT_SUPPORTED;
}
