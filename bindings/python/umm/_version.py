# SPDX-License-Identifier: MIT
"""The package's version: the C library's (include/umm.h UMM_VERSION_*), checked by the tests."""
__version__ = "0.1.0"
