"""Shared timing helpers: warm, interleaved, medians over many repetitions."""
import os
import platform
import statistics
import time


def set_threads(n):
    """Fix BLAS/OpenMP threads (call before importing numpy/torch for full effect)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)


def blas_info():
    try:
        from threadpoolctl import threadpool_info
        infos = threadpool_info()
        return "; ".join(f"{i.get('internal_api')} {i.get('version')} ({i.get('num_threads')} threads)"
                         for i in infos)
    except ImportError:
        return "threadpoolctl not installed"


def machine_line():
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def measure(fns, repeats=30, warmup=3, inner=1):
    """Time each callable in ``fns`` (dict name -> fn), interleaved; returns name -> (median, min, max) seconds."""
    times = {name: [] for name in fns}
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(inner):
                fn()
            times[name].append((time.perf_counter() - start) / inner)
    return {name: (statistics.median(t), min(t), max(t)) for name, t in times.items()}
