"""What benchmark timings depend on: the CPU, the BLAS libraries and their threads, the OpenBLAS variables, torch."""

from __future__ import annotations

import os
import platform
import sys

BLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _owner(path: str) -> str:
    """Which package ships the library at ``path`` (NumPy's and SciPy's OpenBLAS, torch's OpenMP...)."""
    for folder, name in (("numpy", "numpy"), ("scipy", "scipy"), ("torch", "torch"), ("scikit_learn", "sklearn")):
        if f"/{folder}" in path:
            return name
    return "other"


def environment_info() -> dict:
    """What the timings depend on: CPU, BLAS libraries and their threads (threadpoolctl), BLAS variables, torch."""
    import numpy as np

    info = {"python": platform.python_version(), "numpy": np.__version__, "cpu": cpu_model(),
            "cpus": os.cpu_count(), "variables": {k: os.environ.get(k) for k in BLAS_VARIABLES}, "pools": []}
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        info["pools"] = None
    else:
        for pool in threadpool_info():
            info["pools"].append({
                "owner": _owner(pool.get("filepath", "")), "internal_api": pool.get("internal_api"),
                "user_api": pool.get("user_api"), "version": pool.get("version"),
                "architecture": pool.get("architecture") or pool.get("corename"),
                "threads": pool.get("num_threads"), "library": os.path.basename(pool.get("filepath", ""))})
    if "torch" in sys.modules:
        import torch

        config = torch.__config__.show()
        blas = next((p.split("=", 1)[1] for p in config.replace(",", " ").split() if p.startswith("BLAS_INFO=")), "?")
        info["torch"] = {"version": torch.__version__, "threads": torch.get_num_threads(), "blas": blas,
                         "cpu_capability": torch.backends.cpu.get_cpu_capability(),
                         "onednn": torch.backends.mkldnn.is_available()}
    if "chalkgrad" in sys.modules:
        from chalkgrad.ops import workspace

        info["chalkgrad"] = sys.modules["chalkgrad"].__version__
        info["chalkgrad_threads"] = workspace.get_num_threads()
    return info


def format_environment(info: dict) -> str:
    lines = [f"python {info['python']}, numpy {info['numpy']}, {info['cpus']} CPUs: {info['cpu']}"]
    if info["pools"] is None:
        lines.append("  (install threadpoolctl to see the BLAS libraries in use)")
    for p in info["pools"] or ():
        lines.append(f"  {p['owner']}: {p['internal_api']} {p['version'] or ''} ({p['user_api']}, "
                     f"architecture {p['architecture'] or '-'}, {p['threads']} threads) from {p['library']}")
    if "torch" in info:
        t = info["torch"]
        lines.append(f"  torch {t['version']}: BLAS {t['blas']} (linked in), {t['threads']} threads, "
                     f"CPU capability {t['cpu_capability']}, oneDNN {'on' if t['onednn'] else 'off'}")
    if "chalkgrad_threads" in info:
        lines.append(f"  chalkgrad {info.get('chalkgrad', '?')}: kernels on {info['chalkgrad_threads']} threads")
    lines.append("  " + ", ".join(f"{k}={v if v is not None else '(unset)'}" for k, v in info["variables"].items()))
    return "\n".join(lines)
