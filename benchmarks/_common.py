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


# --------------------------------------------------------------------------- isolated timing
# Timing chainrule (OpenBLAS threads) and PyTorch (its own OpenMP pool) alternately inside one
# process distorts both: each library's worker threads keep spinning after a call and fight
# the other's for the 2 cores (min and median then differ by 30x). So each library lives in
# its own worker process; the parent asks them in turn (interleaved rounds, one active at a
# time) and collects the times: the same run, interleaved, without the thread fight.
# Between batches the parent waits SETTLE seconds: OpenBLAS's idle workers busy-wait for
# about 0.1 s after a call (THREAD_TIMEOUT), which would otherwise slow whichever library
# runs next.
SETTLE = 0.3


def _worker(conn, module, factory, args, threads, path):
    import importlib
    import sys as _sys
    set_threads(threads)
    _sys.path.insert(0, path)
    fns = getattr(importlib.import_module(module), factory)(*args)
    if "torch" in _sys.modules:     # only where the factory used it: keep other workers torch-free
        _sys.modules["torch"].set_num_threads(threads)
    conn.send(sorted(fns))
    while True:
        msg = conn.recv()
        if msg is None:
            break
        name, n = msg
        times = []
        fn = fns[name]
        if n > 1:
            fn()    # untimed: after the settle pause the first call runs on cold caches
        for _ in range(n):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        conn.send(times)


def measure_isolated(groups, threads, repeats=30, warmup=3, rounds=5):
    """Time closures built in separate worker processes, interleaving them round by round.

    ``groups``: {label: (module, factory, args)}; ``factory(*args)`` returns {name: fn}.
    Returns {name: (median, min, max)} seconds over ``repeats`` timed calls each.
    """
    import multiprocessing as mp
    set_threads(threads)
    ctx = mp.get_context("spawn")
    path = os.path.dirname(os.path.abspath(__file__))
    workers = {}
    try:
        for label, (module, factory, args) in groups.items():
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker, args=(child, module, factory, args, threads, path),
                               daemon=True)
            proc.start()
            names = parent.recv()
            workers[label] = (proc, parent, names)
        for proc, conn, names in workers.values():      # warm up, one library at a time
            for name in names:
                conn.send((name, warmup))
                conn.recv()
                time.sleep(SETTLE)
        times = {name: [] for _, _, names in workers.values() for name in names}
        per_round = max(1, repeats // rounds)
        for _ in range(rounds):
            for proc, conn, names in workers.values():
                for name in names:
                    conn.send((name, per_round))
                    times[name].extend(conn.recv())
                    time.sleep(SETTLE)
    finally:
        for proc, conn, _ in workers.values():
            try:
                conn.send(None)
            except OSError:
                pass
            proc.join(timeout=10)
    return {name: (statistics.median(t), min(t), max(t)) for name, t in times.items()}
