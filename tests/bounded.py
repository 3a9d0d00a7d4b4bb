"""Run calls in a subprocess with a memory cap and a time limit (for the hostile-file tests).

A hostile file must not make a loader allocate much more than the file holds, hang,
or raise anything but a ChalkgradError. In-process, an unbounded allocation would take
the test machine down with it, and a hang would stall the suite. :class:`BoundedWorker`
keeps a Python subprocess whose address space (``resource.setrlimit(RLIMIT_AS)``) may
grow by at most ``memory_mb`` over what it holds once chalkgrad is imported, and runs
calls in it one at a time; a call that takes longer than ``seconds`` kills the worker
(a fresh one serves the next call). One worker serves many Hypothesis examples, so a
case costs milliseconds, not an interpreter start.

``call(func, *args)`` returns an :class:`Outcome`: ``kind`` is ``"returned"``,
``"raised"`` (``error_types`` holds the names in the exception's MRO, ``message`` its
text), ``"timeout"`` or ``"died"``. ``func`` and ``args`` must be picklable, and ``func``
importable in the worker without the test modules (they import torch, whose libraries
do not fit under the cap): a chalkgrad function or class, ``functools.partial`` of one,
or a function of this module such as :func:`read_every_item`.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from dataclasses import dataclass

__all__ = ["BoundedWorker", "Outcome", "read_every_item", "samples_of", "run_cli", "SUPPORTED"]

#: The worker reads /proc/self/status and caps RLIMIT_AS: Linux only (elsewhere the tests skip).
SUPPORTED = sys.platform.startswith("linux")


@dataclass
class Outcome:
    kind: str  # "returned", "raised", "timeout", "died"
    value: object = None
    error_types: tuple = ()
    message: str = ""
    seconds: float = 0.0

    def raised(self, name: str) -> bool:
        return self.kind == "raised" and name in self.error_types

    def __str__(self) -> str:
        if self.kind == "raised":
            return f"raised {self.error_types[0]}: {self.message}"
        return f"{self.kind} {self.value!r}"[:500]


def read_every_item(dataset_factory, *args) -> int:
    """Build ``dataset_factory(*args)`` and read each of its items; returns its length."""
    ds = dataset_factory(*args)
    for i in range(len(ds)):
        ds[i]
    return len(ds)


def samples_of(dataset_factory, *args) -> list:
    """``dataset_factory(*args).samples`` (the files an ImageFolder found)."""
    return dataset_factory(*args).samples


def run_cli(argv: list) -> tuple:
    """``chalkgrad ARGV`` in-process: (exit status, stdout, stderr, seconds it took)."""
    import contextlib
    import io

    from chalkgrad.cli import main

    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue(), time.perf_counter() - start


def _address_space() -> int:
    """This process's virtual memory size in bytes (VmSize)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")


def _serve(conn, memory_bytes: int) -> None:
    """The worker: cap the address space, then answer (func, args) requests until the pipe closes."""
    import resource

    import chalkgrad  # noqa: F401  - the baseline includes chalkgrad, NumPy and their imports
    import chalkgrad.cli  # noqa: F401
    import chalkgrad.explain.problem  # noqa: F401

    limit = _address_space() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    conn.send("ready")
    while True:
        try:
            func, args = conn.recv()
        except EOFError:
            return
        start = time.perf_counter()
        try:
            value = func(*args)
            reply = Outcome("returned", value if _picklable(value) else repr(value)[:200])
        except BaseException as e:  # noqa: BLE001 - every escape is reported to the test, which judges it
            reply = Outcome("raised", None, tuple(c.__name__ for c in type(e).__mro__), str(e)[:2000])
        reply.seconds = time.perf_counter() - start
        conn.send(reply)


def _picklable(value) -> bool:
    import pickle

    try:
        pickle.dumps(value)
        return True
    except Exception:  # noqa: BLE001
        return False


class BoundedWorker:
    """A subprocess that runs calls with at most ``memory_mb`` more address space and ``seconds`` each."""

    def __init__(self, memory_mb: int = 256, seconds: float = 10.0) -> None:
        self.memory_bytes = memory_mb * 2**20
        self.seconds = seconds
        self._ctx = multiprocessing.get_context("spawn")
        self._proc = None
        self._conn = None

    def _start(self) -> None:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")  # one BLAS thread: no per-thread arenas in the address space
        self._conn, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(target=_serve, args=(child, self.memory_bytes), daemon=True)
        self._proc.start()
        child.close()
        if not self._conn.poll(120) or self._conn.recv() != "ready":  # imports take a while on a busy machine
            self.close()
            raise RuntimeError("the bounded worker did not start")

    def call(self, func, *args) -> Outcome:
        if self._proc is None or not self._proc.is_alive():
            self._start()
        start = time.perf_counter()
        self._conn.send((func, args))
        try:
            if not self._conn.poll(self.seconds):
                self.close()
                return Outcome("timeout", seconds=time.perf_counter() - start)
            return self._conn.recv()
        except EOFError:
            code = self._proc.exitcode if self._proc is not None else None
            self.close()
            return Outcome("died", code, seconds=time.perf_counter() - start)

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.is_alive():
                self._proc.kill()
            self._proc.join()
            self._conn.close()
        self._proc = self._conn = None

    def __enter__(self) -> BoundedWorker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
