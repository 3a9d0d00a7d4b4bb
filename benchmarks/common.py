"""Shared benchmark harness: block timing, ratios to a reference library, the BLAS in use, separate processes.

How a comparison is timed (benchmarks/README.md has the reasons):

* each variant of a workload (``chalkgrad``, ``torch``, ...) is built once and called ``warmup`` times;
* then ``rounds`` rounds; in each round every variant runs one *block*, in a fixed order (A B A B ...):
  sleep ``pause`` seconds (the other library's thread pools stop spinning), ``warmup`` untimed calls,
  ``calls`` timed calls; the block's time is the median seconds per call;
* a variant's time is the median of its block times; round i gives ``ratio_i = block_i(variant) / block_i(ref)``,
  and the best (smallest) and the median of those ratios are reported.

``--processes`` times each variant in its own subprocess (same workload definition, same alternating blocks,
requested by the parent in turn);
``--blas both`` runs the whole script twice, as the environment has ``OPENBLAS_CORETYPE`` and with it and
``OPENBLAS_L2_SIZE`` unset (a subprocess per setting, since OpenBLAS reads them when NumPy is imported).

A benchmark script lists :class:`Workload` objects and calls :func:`main` with them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from harness_env import BLAS_VARIABLES, environment_info, format_environment  # noqa: F401 (re-exported)
from harness_tables import fmt_ms, format_table, markdown_table, ms_text, setting_name  # noqa: F401 (re-exported)

BLAS_SETTINGS = ("env", "unset")


# ----------------------------------------------------------------------------------------------- workloads


@dataclass(frozen=True)
class Workload:
    """One thing to time in several libraries.

    ``variants`` maps a name (``"chalkgrad"``, ``"torch"``, ``"numpy"``...) to a factory: called with no
    arguments, it builds the data and the model and returns the function to time. ``reference`` names the
    variant the others are divided by (``None``: no ratios).
    """

    key: str
    label: str
    variants: dict[str, Callable[[], Callable[[], object]]]
    reference: str | None = "torch"


@dataclass
class Timing:
    """Block settings. ``calls=0`` picks the number of calls so that one block lasts about ``block_time`` s."""

    rounds: int = 5
    calls: int = 0
    warmup: int = 2
    pause: float = 0.2
    block_time: float = 0.3


QUICK = Timing(rounds=2, calls=3, warmup=1, pause=0.02)


@dataclass
class Block:
    variant: str
    round: int
    median: float  # seconds per call
    calls: int


@dataclass
class Result:
    key: str
    label: str
    reference: str | None
    variants: list[str]
    blocks: list[Block] = field(default_factory=list)

    def block_times(self, variant: str) -> list[float]:
        """Block medians of one variant, in round order."""
        return [b.median for b in sorted(self.blocks, key=lambda b: b.round) if b.variant == variant]

    def median(self, variant: str) -> float:
        return statistics.median(self.block_times(variant))

    def ratios(self, variant: str) -> list[float]:
        """Per round: the variant's block median over the reference's block median of the same round."""
        return [a / b for a, b in zip(self.block_times(variant), self.block_times(self.reference))]

    def summary(self) -> dict:
        """Medians per variant and, for each non-reference variant, the median and best ratio over rounds."""
        out = {"key": self.key, "label": self.label, "reference": self.reference,
               "medians": {v: self.median(v) for v in self.variants}, "ratios": {}}
        if self.reference is not None:
            for v in self.variants:
                if v != self.reference:
                    rs = self.ratios(v)
                    out["ratios"][v] = {"median": statistics.median(rs), "best": min(rs), "per_round": rs}
        return out


# ----------------------------------------------------------------------------------------------- timing


def time_block(fn: Callable[[], object], calls: int, warmup: int, pause: float) -> float:
    """Median seconds per call of ``calls`` calls, after a ``pause`` s sleep and ``warmup`` untimed calls."""
    time.sleep(pause)
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def calls_for(fn: Callable[[], object], timing: Timing) -> int:
    """Warm ``fn`` up and return the number of calls per block (``timing.calls``, or enough for a block)."""
    start = time.perf_counter()
    for _ in range(max(timing.warmup, 1)):
        fn()
    if timing.calls:
        return timing.calls
    per_call = (time.perf_counter() - start) / max(timing.warmup, 1)
    return int(min(max(timing.block_time / max(per_call, 1e-9), 3), 1000))


def time_in_process(workload: Workload, timing: Timing) -> Result:
    """Blocks of every variant, alternating A B A B ... for ``timing.rounds`` rounds."""
    names = list(workload.variants)
    fns = {v: workload.variants[v]() for v in names}
    calls = {v: calls_for(fns[v], timing) for v in names}
    result = Result(workload.key, workload.label, workload.reference, names)
    for r in range(timing.rounds):
        for v in names:
            median = time_block(fns[v], calls[v], timing.warmup, timing.pause)
            result.blocks.append(Block(v, r, median, calls[v]))
    return result


REPLY = "BLOCK "  # prefix of the lines a child process answers with (anything else it prints is skipped)


def serve_blocks(workload: Workload, variant: str, timing: Timing, requests=sys.stdin, replies=sys.stdout) -> None:
    """Child side of ``--processes``: build and warm up one variant, then time one block per ``block`` line read."""
    fn = workload.variants[variant]()
    calls = calls_for(fn, timing)
    print(REPLY + json.dumps({"calls": calls}), file=replies, flush=True)
    for line in requests:
        if line.strip() != "block":
            break
        median = time_block(fn, calls, timing.warmup, timing.pause)
        print(REPLY + json.dumps({"median": median}), file=replies, flush=True)


def _reply(proc: subprocess.Popen, what: str) -> dict:
    for line in proc.stdout:
        if line.startswith(REPLY):
            return json.loads(line[len(REPLY):])
    raise SystemExit(f"the subprocess timing {what} stopped (exit status {proc.wait()}); its errors are above")


def time_in_processes(workload: Workload, timing: Timing, child_argv: list[str]) -> Result:
    """Like :func:`time_in_process`, but each variant lives in its own fresh process (``child_argv + ['--child',
    key, variant]``); the parent asks them for blocks in turn, so the blocks still alternate A B A B ..."""
    result = Result(workload.key, workload.label, workload.reference, list(workload.variants))
    procs, calls = {}, {}
    try:
        for v in workload.variants:  # one at a time, so that builds and warm-ups do not overlap
            procs[v] = subprocess.Popen(child_argv + ["--child", workload.key, v], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
            calls[v] = _reply(procs[v], f"{workload.key!r} / {v!r}")["calls"]
        for r in range(timing.rounds):
            for v, proc in procs.items():
                proc.stdin.write("block\n")
                proc.stdin.flush()
                median = _reply(proc, f"{workload.key!r} / {v!r}")["median"]
                result.blocks.append(Block(v, r, median, calls[v]))
    finally:
        for proc in procs.values():
            if proc.stdin and not proc.stdin.closed:
                proc.stdin.close()  # end of requests: the child returns
            proc.wait()
    return result


# ----------------------------------------------------------------------------------------------- command line


def parser(description: str) -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    timing_options(ap)
    ap.add_argument("--only", help="comma-separated workload keys to run")
    ap.add_argument("--processes", action="store_true",
                    help="time each library in its own subprocess (blocks still alternate)")
    ap.add_argument("--blas", choices=("env", "both"), default=os.environ.get("CHALKGRAD_BENCH_BLAS", "env"),
                    help="'both': run once as the environment has OPENBLAS_CORETYPE and once with it and "
                         "OPENBLAS_L2_SIZE unset (env CHALKGRAD_BENCH_BLAS)")
    ap.add_argument("--json", help="write the results (and the environment) to this JSON file")
    ap.add_argument("--markdown", action="store_true", help="also print the results as a Markdown table")
    ap.add_argument("--child", nargs=2, metavar=("KEY", "VARIANT"), help=argparse.SUPPRESS)
    return ap


def timing_options(ap: argparse.ArgumentParser) -> None:
    """The block and thread options every benchmark script takes."""
    ap.add_argument("--quick", action="store_true", help="a few calls per block, two rounds (a smoke test)")
    ap.add_argument("--rounds", type=int, help=f"block pairs (default {Timing.rounds})")
    ap.add_argument("--calls", type=int, help="timed calls per block (default: enough for about 0.3 s)")
    ap.add_argument("--warmup", type=int, help=f"untimed calls before each block (default {Timing.warmup})")
    ap.add_argument("--pause", type=float, help=f"seconds of sleep before each block (default {Timing.pause})")
    ap.add_argument("--threads", type=int, default=0,
                    help="torch, BLAS and chalkgrad kernel threads (0: leave the defaults)")


def timing_from(args) -> Timing:
    base = QUICK if args.quick else Timing()
    return Timing(rounds=args.rounds or base.rounds, calls=args.calls if args.calls is not None else base.calls,
                  warmup=args.warmup if args.warmup is not None else base.warmup,
                  pause=args.pause if args.pause is not None else base.pause, block_time=base.block_time)


def apply_threads(n: int):
    """Limit torch, NumPy's BLAS and chalkgrad's blocked kernels to ``n`` threads; return the BLAS limiter."""
    if not n:
        return None
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
    try:
        from chalkgrad.ops import workspace

        workspace.set_num_threads(n)
    except ImportError:
        pass
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("(threadpoolctl missing: set OPENBLAS_NUM_THREADS to limit NumPy's threads)")
        return None
    return threadpool_limits(n, user_api="blas")


def strip_args(argv: list[str], with_value: Sequence[str], flags: Sequence[str]) -> list[str]:
    """``argv`` without the named options (``--x v``, ``--x=v`` for ``with_value``; bare ``flags``)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a in with_value:
            skip = True
        elif a in flags or any(a.startswith(w + "=") for w in with_value):
            continue
        else:
            out.append(a)
    return out


def blas_environment(setting: str) -> dict:
    env = dict(os.environ, CHALKGRAD_BENCH_BLAS="env")
    if setting == "unset":
        for k in BLAS_VARIABLES:
            env.pop(k, None)
    return env


def run_both_settings(script: str, argv: list[str], args) -> list[dict]:
    """Run ``script`` once per BLAS setting, each in a fresh process; print the ratios side by side."""
    settings = list(BLAS_SETTINGS)
    if not any(os.environ.get(k) for k in BLAS_VARIABLES):
        print("(OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are already unset: the two settings are the same, one run)\n")
        settings = ["env"]
    base = strip_args(argv, ("--blas", "--json"), ("--markdown",))
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for setting in settings:
            path = os.path.join(tmp, f"{setting}.json")
            print(f"=== BLAS setting: {'as the environment has it' if setting == 'env' else 'variables unset'}",
                  flush=True)
            subprocess.run([sys.executable, script, *base, "--blas", "env", "--json", path],
                           env=blas_environment(setting), check=True)
            with open(path) as f:
                runs.extend(json.load(f)["runs"])
            print()
    if len(runs) > 1:
        print("ratios (median over block pairs) by BLAS setting:")
        names = [setting_name(r) for r in runs]
        rows = [(s["label"] + ("" if v == "chalkgrad" else f" ({v})"),
                 [f"{run['results'][i]['ratios'][v]['median']:.2f}x" for run in runs])
                for i, s in enumerate(runs[0]["results"]) for v in s["ratios"]]
        width = max(len("workload"), *(len(label) for label, _ in rows))
        print(f"{'workload':{width}}  " + "  ".join(f"{n:>28}" for n in names))
        for label, cells in rows:
            print(f"{label:{width}}  " + "  ".join(f"{c:>28}" for c in cells))
    return runs


def main(workloads: Sequence[Workload], description: str, script: str, argv: Sequence[str] | None = None,
         imports: Sequence[str] = ("torch", "chalkgrad"), before: Callable | None = None,
         after: Callable | None = None, defaults: dict | None = None,
         options: Callable[[argparse.ArgumentParser], None] | None = None) -> int:
    """Command line of a benchmark script: time ``workloads`` and print the environment and the ratios.

    ``imports``: modules to import before the environment is reported (their thread settings apply);
    ``before(args)`` / ``after(args, results)``: script-specific output around the table;
    ``defaults``: argument defaults of this script (e.g. ``{"threads": 1}``);
    ``options(parser)``: adds this script's own options.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = parser(description)
    if options:
        options(ap)
    if defaults:
        ap.set_defaults(**defaults)
    args = ap.parse_args(argv)
    if args.blas == "both" and not args.child:
        runs = run_both_settings(script, argv, args)
        finish(runs, args)
        return 0
    if args.child:  # a process of its own for one variant: it loads only that variant's library, as a user's does
        imports = [name for name in imports if name == args.child[1].split()[0]]
    for name in imports:
        __import__(name)
    limiter = apply_threads(args.threads)  # noqa: F841 (kept alive: the limit lasts as long as the object)
    timing = timing_from(args)
    by_key = {w.key: w for w in workloads}
    if args.child:  # one variant of one workload, in this fresh process: blocks on request
        key, variant = args.child
        serve_blocks(by_key[key], variant, timing)
        return 0
    selected = workloads
    if args.only:
        keys = args.only.split(",")
        unknown = [k for k in keys if k not in by_key]
        if unknown:
            raise SystemExit(f"--only: unknown workload(s) {unknown}; known: {list(by_key)}")
        selected = [by_key[k] for k in keys]
    info = environment_info()
    print(format_environment(info))
    print(f"  timing: {'separate processes, ' if args.processes else ''}{timing.rounds} rounds of blocks "
          f"(pause {timing.pause} s, {timing.warmup} warm-up call(s), "
          f"{timing.calls or 'about ' + str(timing.block_time) + ' s of'} calls)\n", flush=True)
    if before is not None:
        before(args)
    child_argv = [sys.executable, script] + strip_args(argv, ("--json", "--only", "--blas"),
                                                       ("--markdown", "--processes"))
    results = []
    for w in selected:
        result = time_in_processes(w, timing, child_argv) if args.processes else time_in_process(w, timing)
        results.append(result)
    summaries = [r.summary() for r in results]
    print(format_table(summaries))
    if after is not None:
        after(args, results)
    run = {"script": os.path.basename(script), "environment": info, "timing": asdict(timing),
           "processes": args.processes, "results": summaries,
           "blocks": {r.key: [asdict(b) for b in r.blocks] for r in results}}
    finish([run], args)
    return 0


def finish(runs: list[dict], args) -> None:
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"runs": runs}, f, indent=1)
    if args.markdown:
        print()
        print(markdown_table(runs))


# ----------------------------------------------------------------------------------------------- shared workloads


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


def pair(key: str, label: str, make: Callable[[str], Callable[[], object]], **extra) -> Workload:
    """A chalkgrad-vs-torch workload from ``make(library_name)``; ``extra`` variants are added after them."""
    return Workload(key, label, {"chalkgrad": lambda: make("chalkgrad"), "torch": lambda: make("torch"), **extra})
