/* SPDX-License-Identifier: MIT */
/* error.c - the error table (expanded from UMM_ERRORS in umm.h) and the version string. */
#include "os.h"
#include "umm.h"

static const char *const error_text[] = {
#define UMM_ERROR_TEXT_(name, text) text,
    UMM_ERRORS(UMM_ERROR_TEXT_)
#undef UMM_ERROR_TEXT_
};

static const char *const error_names[] = {
#define UMM_ERROR_NAME_(name, text) #name,
    UMM_ERRORS(UMM_ERROR_NAME_)
#undef UMM_ERROR_NAME_
};

const char *umm_strerror(int code)
{
    if (code < 0 || code >= UMM_ERROR_COUNT_)
        return "unknown error";
    return error_text[code];
}

const char *umm_error_name(int code)
{
    if (code < 0 || code >= UMM_ERROR_COUNT_)
        return NULL;
    return error_names[code];
}

int umm_last_os_error(void)
{
    return mm_os_last_error();
}

const char *umm_version(void)
{
    return UMM_VERSION_STRING;
}
