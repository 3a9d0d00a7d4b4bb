"""The benchmark harness (benchmarks/common.py): blocks alternate, each preceded by a pause and warm-up calls,
ratios come from the block medians of the same round, the BLAS in use is reported, and the separate-process
and both-BLAS modes run. A fake clock stands in for timing; no test asserts how fast anything is."""

from __future__ import annotations

import importlib
import io
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))
common = importlib.import_module("common")


class FakeClock:
    """``perf_counter`` that only advances when a workload says it ran for some seconds; logs sleeps and calls."""

    def __init__(self):
        self.now, self.log = 0.0, []

    def perf_counter(self):
        return self.now

    def sleep(self, seconds):
        self.log.append(("pause", seconds))

    def workload(self, name, costs):
        """A factory whose calls take ``costs[i]`` seconds during the i-th block (warm-ups included)."""
        calls = {"n": 0}

        def make():
            def run():
                self.log.append(("call", name))
                self.now += costs(calls["n"])
                calls["n"] += 1

            return run

        return make


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(common.time, "perf_counter", fake.perf_counter)
    monkeypatch.setattr(common.time, "sleep", fake.sleep)
    return fake


def test_blocks_alternate_and_each_starts_with_pause_and_warmup(clock):
    timing = common.Timing(rounds=3, calls=4, warmup=2, pause=0.5)
    w = common.Workload("w", "w", {"A": clock.workload("A", lambda i: 0.002),
                                   "B": clock.workload("B", lambda i: 0.001)}, reference="B")
    result = common.time_in_process(w, timing)
    assert [(b.variant, b.round) for b in result.blocks] == [("A", 0), ("B", 0), ("A", 1), ("B", 1), ("A", 2), ("B", 2)]
    assert all(b.calls == 4 for b in result.blocks)
    # after the initial warm-ups (2 calls of A, 2 of B), per block: a pause, 2 warm-up and 4 timed calls of one variant
    events = clock.log[4:]
    block = 1 + timing.warmup + timing.calls
    assert len(events) == 6 * block
    for i, variant in enumerate("ABABAB"):
        chunk = events[i * block:(i + 1) * block]
        assert chunk[0] == ("pause", 0.5)
        assert chunk[1:] == [("call", variant)] * (timing.warmup + timing.calls)


def test_ratios_come_from_block_medians_of_the_same_round(clock):
    # A's calls cost 3 ms in round 0 and 4 ms after; B's always 1 ms, with one slow outlier per block
    per_block = 2 + 5  # warm-up + calls
    a = clock.workload("A", lambda i: 0.003 if i < 2 + per_block else 0.004)
    b = clock.workload("B", lambda i: 0.050 if i % per_block == 3 else 0.001)
    w = common.Workload("w", "label", {"A": a, "B": b}, reference="B")
    result = common.time_in_process(w, common.Timing(rounds=3, calls=5, warmup=2, pause=0))
    assert result.block_times("A") == pytest.approx([0.003, 0.004, 0.004])
    assert result.block_times("B") == pytest.approx([0.001] * 3)  # the median drops the outlier
    s = result.summary()
    assert s["medians"] == pytest.approx({"A": 0.004, "B": 0.001})
    assert s["ratios"]["A"]["per_round"] == pytest.approx([3, 4, 4])
    assert s["ratios"]["A"]["median"] == pytest.approx(4)
    assert s["ratios"]["A"]["best"] == pytest.approx(3)
    assert "B" not in s["ratios"]


def test_calls_per_block_fill_the_block_time(clock):
    w = common.Workload("w", "w", {"A": clock.workload("A", lambda i: 0.01)}, reference=None)
    result = common.time_in_process(w, common.Timing(rounds=1, calls=0, warmup=1, pause=0, block_time=0.3))
    assert result.blocks[0].calls == 30
    assert result.summary()["ratios"] == {}


def test_child_serves_one_block_per_request(clock):
    timing = common.Timing(rounds=1, calls=3, warmup=1, pause=0.25)
    w = common.Workload("w", "w", {"A": clock.workload("A", lambda i: 0.002 * (i + 1)), "B": None}, reference="B")
    replies = io.StringIO()
    common.serve_blocks(w, "A", timing, requests=io.StringIO("block\nblock\n"), replies=replies)
    lines = replies.getvalue().splitlines()
    assert all(line.startswith(common.REPLY) for line in lines)
    answers = [json.loads(line[len(common.REPLY):]) for line in lines]
    # call costs 2, 4, 6 ... ms: warm-up (call 1), block 1 = warm-up call 2 + timed calls 3-5, block 2 = 6 + 7-9
    assert answers == [{"calls": 3}, {"median": pytest.approx(0.008)}, {"median": pytest.approx(0.016)}]
    assert [e for e in clock.log if e[0] == "pause"] == [("pause", 0.25)] * 2


def test_strip_args_drops_named_options():
    argv = ["--quick", "--json", "a.json", "--blas=both", "--markdown", "--only", "x", "--rounds", "3"]
    assert common.strip_args(argv, ("--json", "--blas", "--only"), ("--markdown",)) == ["--quick", "--rounds", "3"]


def test_markdown_table_has_a_row_per_compared_variant():
    run = {"environment": {"variables": {"OPENBLAS_CORETYPE": None, "OPENBLAS_L2_SIZE": None}}, "results": [
        {"key": "w", "label": "workload w", "reference": "torch", "medians": {"chalkgrad": 0.002, "torch": 0.001,
                                                                             "numpy": 0.0005},
         "ratios": {"chalkgrad": {"median": 2.0, "best": 1.5}, "numpy": {"median": 0.5, "best": 0.4}}}]}
    lines = common.markdown_table([run]).splitlines()
    assert lines[0] == "| workload | chalkgrad | reference | ratio | best ratio |"
    assert lines[2] == "| workload w | 2 ms | 1 ms (torch) | 2.00× | 1.50× |"
    assert lines[3] == "| workload w (numpy) | 0.5 ms | 1 ms (torch) | 0.50× | 0.40× |"


TRIVIAL = """
import sys
sys.path.insert(0, {bench!r})
import common

def summing(n):
    def make():
        return lambda: sum(range(n))
    return make

WORKLOADS = [common.Workload("sum", "sum of a range", {{"chalkgrad": summing(2000), "python": summing(1000)}},
                             reference="python")]
sys.exit(common.main(WORKLOADS, "trivial", __file__, imports=()))
"""


def run_trivial(tmp_path, *args, env=None):
    script = tmp_path / "bench_trivial.py"
    script.write_text(TRIVIAL.format(bench=str(BENCH)))
    out = tmp_path / "out.json"
    proc = subprocess.run([sys.executable, str(script), "--quick", "--pause", "0", "--json", str(out), *args],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, json.loads(out.read_text())["runs"]


def check_run(run):
    (s,) = run["results"]
    blocks = run["blocks"]["sum"]
    rounds = common.QUICK.rounds
    alternating = [(v, r) for r in range(rounds) for v in ("chalkgrad", "python")]
    assert [(b["variant"], b["round"]) for b in blocks] == alternating
    mine = [b["median"] for b in sorted(blocks, key=lambda b: b["round"]) if b["variant"] == "chalkgrad"]
    ref = [b["median"] for b in sorted(blocks, key=lambda b: b["round"]) if b["variant"] == "python"]
    assert len(mine) == len(ref) == rounds
    assert s["medians"]["chalkgrad"] == pytest.approx(statistics.median(mine))
    assert s["ratios"]["chalkgrad"]["per_round"] == pytest.approx([a / b for a, b in zip(mine, ref)])
    assert s["ratios"]["chalkgrad"]["best"] == pytest.approx(min(a / b for a, b in zip(mine, ref)))


def test_script_prints_blas_table_and_markdown(tmp_path):
    stdout, runs = run_trivial(tmp_path, "--markdown")
    check_run(runs[0])
    pools = runs[0]["environment"]["pools"]
    numpy_blas = [p for p in pools if p["owner"] == "numpy" and p["user_api"] == "blas"]
    assert numpy_blas and numpy_blas[0]["internal_api"] in ("openblas", "mkl", "blis", "flexiblas")
    assert f"numpy: {numpy_blas[0]['internal_api']}" in stdout
    assert "OPENBLAS_CORETYPE=" in stdout and "OPENBLAS_L2_SIZE=" in stdout
    assert "sum of a range" in stdout and "chalkgrad vs python" in stdout
    assert "| sum of a range |" in stdout


def test_separate_processes_mode(tmp_path):
    stdout, runs = run_trivial(tmp_path, "--processes")
    assert runs[0]["processes"] is True
    check_run(runs[0])
    assert "separate processes" in stdout


def test_both_blas_settings_run_numpy_twice(tmp_path):
    env = dict(os.environ, OPENBLAS_CORETYPE="Haswell", OPENBLAS_L2_SIZE="1048576")
    stdout, runs = run_trivial(tmp_path, "--blas", "both", env=env)
    assert [r["environment"]["variables"] for r in runs] == [
        {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "1048576"},
        {"OPENBLAS_CORETYPE": None, "OPENBLAS_L2_SIZE": None}]
    for run in runs:
        check_run(run)
    blas = [next(p for p in r["environment"]["pools"] if p["owner"] == "numpy") for r in runs]
    if blas[0]["internal_api"] == "openblas" and platform.machine() in ("x86_64", "AMD64"):
        assert blas[0]["architecture"] == "Haswell"
    assert "ratios (median over block pairs) by BLAS setting" in stdout


@pytest.mark.parametrize("name", sorted(p.stem for p in BENCH.glob("bench_*.py")))
def test_every_bench_script_lists_workloads_for_the_harness(name):
    module = importlib.import_module(name)
    keys = [w.key for w in module.WORKLOADS]
    assert keys and len(keys) == len(set(keys))
    for w in module.WORKLOADS:
        assert isinstance(w, common.Workload)
        assert w.reference is None or (w.reference in w.variants and "chalkgrad" in w.variants)
