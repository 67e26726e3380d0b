"""The process's memory allocator, set once by the command line before any work.

glibc gives each thread that allocates its own heap ("arena", up to eight per core).  A batch masters
episodes and their editions on several threads, each allocating and freeing audio buffers of tens of
megabytes; with many arenas the freed space stays spread over all of them and the peak memory grows
with the number of episodes.  Measured here, two runs each, batches of 2, 4 and 8 one-minute episodes:
380-430, 521-559 and 573-684 MB by default; 292-337, 319-369 and 321-393 MB with two arenas, at the
same speed.  One arena was flatter still for batches but made QA's parallel checks of a 60-minute
episode peak at 317 MB instead of 136 (two arenas: 120).  Nothing is done on other C libraries.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_ARENA_MAX = -8      # glibc's malloc.h
ARENAS = 2


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Ask glibc for at most *arenas* heaps; False where there is no glibc (or it refuses)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, arenas))
