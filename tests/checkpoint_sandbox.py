"""Checkpoint loaders on untrusted files, run in the bounded worker of tests/bounded.py.

``run_loaders([(loader, path), ...])`` loads each file with ``loader`` ('load' =
``chalkgrad.load``, 'load_model' = ``chalkgrad.models.load_model``, 'fit_load_model' =
``chalkgrad.fit.load_model``) in one :class:`bounded.BoundedWorker` (a subprocess whose address
space may grow by ``memory_mb`` over its baseline, with a time limit per file), and reports for
each file the outcome: 'ok', or the exception's class name, whether it is a ChalkgradError, and
its message. A MemoryError (the cap was hit), a timeout ('timeout') or a dead worker ('died')
shows in the outcomes.
"""

from __future__ import annotations

import chalkgrad
from bounded import BoundedWorker
from chalkgrad import fit, models

MEMORY_CAP_MB = 512
SECONDS_PER_FILE = 5

LOADERS = {"load": chalkgrad.load, "load_model": models.load_model, "fit_load_model": fit.load_model}


def run_loaders(cases, memory_mb: int = MEMORY_CAP_MB, seconds: int = SECONDS_PER_FILE) -> list[dict]:
    """The outcome of each ``(loader, path)`` in ``cases`` (see the module docstring)."""
    results = []
    with BoundedWorker(memory_mb=memory_mb, seconds=seconds) as worker:
        for loader, path in cases:
            out = worker.call(LOADERS[loader], str(path))
            if out.kind == "returned":
                result = {"outcome": "ok"}
            elif out.kind == "raised":
                result = {"outcome": out.error_types[0], "chalkgrad": "ChalkgradError" in out.error_types,
                          "message": out.message[:500]}
            else:
                result = {"outcome": out.kind, "chalkgrad": False, "message": str(out)}
            result.update(loader=loader, path=str(path), seconds=round(out.seconds, 3))
            results.append(result)
    return results


def assert_refused_or_loaded(results) -> None:
    """Every file either loaded or raised a ChalkgradError naming it, within the limits."""
    bad = [r for r in results if r["outcome"] != "ok" and not (r["chalkgrad"] and r["path"] in r["message"])]
    assert not bad, f"{len(bad)} of {len(results)} files escaped the error hierarchy, e.g. {bad[:3]}"
