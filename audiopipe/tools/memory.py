"""The process's memory allocator, set once by the command line before any work.

glibc gives each thread that allocates its own heap ("arena", up to eight per core).  A batch masters
episodes on several threads, each allocating and freeing audio buffers of tens of megabytes; with
many arenas the freed space stays spread over all of them and the peak memory grows with the number of
episodes (measured here, batches of 2, 4 and 8 one-minute episodes: 327, 410-473 and 434-478 MB).  One
arena keeps it about flat (265, 277-319 and 299-336 MB) at the same speed.  Nothing is done on other C
libraries.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_ARENA_MAX = -8      # glibc's malloc.h
ARENAS = 1


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
