"""The emulator process's heap policy: large blocks go back to the system when freed.

glibc's malloc serves a block above its mmap threshold with its own ``mmap`` and unmaps it on
``free``, but it raises that threshold (up to 32 MB) each time such a block is freed, after which
large blocks come from per-thread arenas that keep the memory. With up to 8 arenas per core,
each keeping the largest body it ever decoded, a burst of concurrent gzip bombs left the
emulator at ~380 MB although only two were decoded at a time (``sense_emulator.decoding``).
Setting the threshold explicitly turns that adjustment off, so the resident size follows the
bodies in flight. Elsewhere than glibc this does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util

#: mallopt parameter number of M_MMAP_THRESHOLD (glibc's malloc.h).
_M_MMAP_THRESHOLD = -3
#: Blocks from this size up are mapped on their own. Above the decoded size of the largest
#: ordinary batch (500 records, ~1-2 MB), which keep the speed of arena memory.
LARGE_BLOCK_BYTES = 4 * 1024 * 1024


def return_large_blocks() -> bool:
    """Fix malloc's mmap threshold; True if the C library took it (glibc), else False."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES) == 1
