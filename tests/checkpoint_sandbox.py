"""Run checkpoint loaders on untrusted files in a subprocess with a memory cap and a time limit per file.

``run_loaders([(loader, path), ...])`` starts one Python process that caps its address space
(``resource.setrlimit(RLIMIT_AS)``), then loads each file with ``loader`` ('load' =
``chalkgrad.load``, 'load_model' = ``chalkgrad.models.load_model``, 'fit_load_model' =
``chalkgrad.fit.load_model``) under a SIGALRM time limit, and reports for each file the outcome:
'ok', or the exception's class name, whether it is a ChalkgradError, and its message.
A MemoryError (the cap was hit), a timeout or a crash of the process shows in the outcomes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

MEMORY_CAP_MB = 768
SECONDS_PER_FILE = 5

_WORKER = r"""
import json, resource, signal, sys, time
cap = int(sys.argv[1]) << 20
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
import chalkgrad
from chalkgrad import fit, models
from chalkgrad.errors import ChalkgradError

LOADERS = {"load": chalkgrad.load, "load_model": models.load_model, "fit_load_model": fit.load_model}

class Timeout(BaseException):
    pass

def alarm(signum, frame):
    raise Timeout()

signal.signal(signal.SIGALRM, alarm)
for loader, path in json.loads(sys.stdin.read()):
    start = time.perf_counter()
    signal.alarm(int(sys.argv[2]))
    try:
        LOADERS[loader](path)
        result = {"outcome": "ok"}
    except BaseException as e:
        result = {"outcome": type(e).__name__, "chalkgrad": isinstance(e, ChalkgradError), "message": str(e)[:500]}
    finally:
        signal.alarm(0)
    result.update(loader=loader, path=path, seconds=round(time.perf_counter() - start, 3))
    print(json.dumps(result), flush=True)
"""


def run_loaders(cases, memory_mb: int = MEMORY_CAP_MB, seconds: int = SECONDS_PER_FILE) -> list[dict]:
    """The outcome of each ``(loader, path)`` in ``cases`` (see the module docstring)."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", _WORKER, str(memory_mb), str(seconds)],
                          input=json.dumps([list(c) for c in cases]), capture_output=True, text=True, env=env,
                          timeout=60 + seconds * len(cases))
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    if len(results) != len(cases):
        raise AssertionError(f"the loader process died after {len(results)} of {len(cases)} files "
                             f"(exit {proc.returncode}), at {cases[len(results)]}: {proc.stderr[-2000:]}")
    return results


def assert_refused_or_loaded(results) -> None:
    """Every file either loaded or raised a ChalkgradError naming it, within the limits."""
    bad = [r for r in results if r["outcome"] != "ok" and not (r["chalkgrad"] and r["path"] in r["message"])]
    assert not bad, f"{len(bad)} of {len(results)} files escaped the error hierarchy, e.g. {bad[:3]}"
