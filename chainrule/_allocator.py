"""Keep freed large arrays for reuse instead of returning them to the OS (glibc only).

Eager NumPy allocates a fresh multi-megabyte array for almost every op. glibc hands such
blocks straight back to the operating system (mmap/munmap) and the next allocation faults
the pages in again: measured here, that was 40-45% of a LeNet training step. PyTorch
avoids it with its own caching allocator. Raising glibc's mmap and trim thresholds makes
freed memory stay in the process for reuse -- the process keeps its peak memory, as
PyTorch's does.

Applied once at import on Linux with glibc. Opt out with ``CHAINRULE_MALLOC_TUNING=0``.
"""
import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

applied = False


def tune_allocator():
    """Raise glibc's mmap and trim thresholds; returns True when applied."""
    global applied
    if applied:
        return True
    if os.environ.get("CHAINRULE_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to tune
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = mallopt(M_MMAP_THRESHOLD, 1 << 28) == 1 and mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1
    applied = ok
    return ok
