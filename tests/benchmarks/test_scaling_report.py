"""benchmarks/scaling.py (CSV round trip, the plot file, the measured points) and benchmarks/report.py (Markdown
from saved runs). No timing is asserted."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))
scaling = importlib.import_module("scaling")
report = importlib.import_module("report")


def fake_rows():
    rows = []
    for name in ("mlp", "conv"):
        for axis, values in (("batch", (1, 2, 4)), ("width", (8, 16))):
            for v in values:
                batch, width = (v, 16) if axis == "batch" else (4, v)
                rows.append({"workload": name, "axis": axis, "batch": batch, "width": width,
                             "chalkgrad_s": 1e-3 * v, "torch_s": 2e-3 * v, "ratio_median": 0.5, "ratio_best": 0.4})
    return rows


def test_csv_round_trip_and_plot(tmp_path):
    rows = fake_rows()
    scaling.write_csv(rows, str(tmp_path / "s.csv"))
    back = scaling.read_csv(str(tmp_path / "s.csv"))
    assert back == [
        {k: (r[k] if k in ("workload", "axis") else float(r[k])) for k in scaling.FIELDS} for r in rows]
    png = tmp_path / "plots" / "s.png"
    assert scaling.main(["--from-csv", str(tmp_path / "s.csv"), "-o", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_curves_cover_batch_1_to_256_and_widths():
    full = {(c.workload, c.axis): c for c in scaling.curves(quick=False)}
    assert full["mlp", "batch"].values == (1, 2, 4, 8, 16, 32, 64, 128, 256)
    assert full["conv", "batch"].values == full["mlp", "batch"].values
    assert full["mlp", "width"].values[0] == 64 and full["mlp", "width"].values[-1] == 1024
    assert full["conv", "width"].values[0] == 8 and full["conv", "width"].values[-1] == 128


@pytest.mark.parametrize("name", ["mlp", "conv"])
def test_scaling_workloads_train_in_both_libraries(name):
    """Each point's two variants build and run a step on the same data (batch 2, smallest width)."""
    pytest.importorskip("torch")
    w = scaling.workload(name, 2, 8)
    for make in w.variants.values():
        make()()


def test_report_prints_markdown_from_json(tmp_path, capsys):
    run = {"script": "bench_x.py", "environment": {
        "python": "3", "numpy": "2", "cpu": "cpu", "cpus": 2, "pools": [],
        "variables": {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": None}}, "results": [
        {"key": "w", "label": "workload w", "reference": "torch", "medians": {"chalkgrad": 0.03, "torch": 0.02},
         "ratios": {"chalkgrad": {"median": 1.5, "best": 1.25, "per_round": [1.25, 1.5, 1.75]}}}]}
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"runs": [run]}))
    assert report.main([str(path), "--environment"]) == 0
    out = capsys.readouterr().out
    assert "OPENBLAS_CORETYPE=Haswell" in out
    assert "| workload w | 30 ms | 20 ms (torch) | 1.50× | 1.25× |" in out.splitlines()
