"""Shared benchmark helpers: interleaved timing, medians, and the machine's BLAS setup."""

from __future__ import annotations

import os
import platform
import statistics
import time


def environment() -> str:
    """One paragraph on what the numbers depend on: CPU, BLAS libraries, thread settings."""
    import numpy as np

    lines = [f"python {platform.python_version()}, numpy {np.__version__}, machine {platform.machine()}, "
             f"{os.cpu_count()} CPUs"]
    try:
        from threadpoolctl import threadpool_info

        for info in threadpool_info():
            lines.append(f"  {info.get('internal_api')} {info.get('version')} ({info.get('user_api')}, "
                         f"{info.get('num_threads')} threads, arch {info.get('architecture')}) "
                         f"from {os.path.basename(info.get('filepath', ''))}")
    except ImportError:
        lines.append("  (install threadpoolctl to see the BLAS libraries in use)")
    lines.append(f"  OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    return "\n".join(lines)


def interleaved(workloads: dict, rounds: int = 7, min_time: float = 0.2) -> dict:
    """Median seconds per call of each workload, timing them round-robin so noise hits all alike."""
    for fn in workloads.values():  # warm up
        fn()
    reps = {}
    for name, fn in workloads.items():
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < min_time / 4:
            fn()
            n += 1
        reps[name] = max(1, int(n * 4 * min_time / max(time.perf_counter() - start, 1e-9) / 4))
    samples = {name: [] for name in workloads}
    for _ in range(rounds):
        for name, fn in workloads.items():
            start = time.perf_counter()
            for _ in range(reps[name]):
                fn()
            samples[name].append((time.perf_counter() - start) / reps[name])
    return {name: statistics.median(s) for name, s in samples.items()}


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1e3:8.3f} ms"


def setup(argv, description: str):
    """Parse ``--rounds`` and ``--threads``, apply the thread limit, print the environment; return the args."""
    import argparse

    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--threads", type=int, default=0,
                    help="BLAS and torch threads (0: leave the defaults); needs threadpoolctl for BLAS")
    args = ap.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(args.threads)
        except ImportError:
            print("  (threadpoolctl missing: BLAS threads left at their default)")
    print(environment())
    print(f"  torch {torch.__version__}, {torch.get_num_threads()} threads")
    print()
    return args


def print_ratios(results: dict, rows, width: int = 62) -> None:
    """One line per (label, key): chalkgrad's and torch's medians (``'<key> chalkgrad'``/``'<key> torch'``), ratio."""
    print(f"{'workload':{width}} {'chalkgrad':>11} {'torch':>11} {'ratio':>7}")
    for label, key in rows:
        c, t = results[f"{key} chalkgrad"], results[f"{key} torch"]
        print(f"{label:{width}} {fmt_ms(c)} {fmt_ms(t)} {c / t:6.2f}x")


def backend(name: str):
    """``(library, functional)`` for ``'chalkgrad'`` or ``'torch'``: the two share the names benchmarks use
    (``from_numpy``, ``manual_seed``, ``nn``, ``optim``, ``F.conv2d``, ``F.cross_entropy``...)."""
    if name == "chalkgrad":
        import chalkgrad
        import chalkgrad.nn.functional as functional

        return chalkgrad, functional
    import torch

    return torch, torch.nn.functional


def sgd_train_step(name: str, build, xd, yd):
    """One cross-entropy training step (SGD, momentum 0.9) of ``build(lib.nn)`` in library ``name``."""
    import numpy as np

    lib, functional = backend(name)
    lib.manual_seed(0)
    model = build(lib.nn)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = lib.from_numpy(xd), lib.from_numpy(yd.astype(np.int64))

    def step():
        opt.zero_grad()
        loss = functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return step
