"""Scaling curves: MLP and conv-net training steps against batch size and against width, chalkgrad beside PyTorch.

Run by hand:  python benchmarks/scaling.py [--quick] [-o benchmarks/results/scaling.png]   (needs torch, matplotlib)

Workloads (cross-entropy, SGD with momentum 0.9, float32, one training step per call):

* MLP 784-h-h-10 (ReLU): batch 1, 2, 4, ..., 256 at h = 256; h = 64 ... 1024 at batch 64;
* conv net on 3x32x32 images: conv 3x3 (3->c) - ReLU - max-pool 2 - conv 3x3 (c->2c) - ReLU - max-pool 2 -
  Linear(2c*8*8 -> 10): batch 1 ... 256 at c = 16; c = 8 ... 128 at batch 32.

Each point is timed with the block harness of common.py (alternating blocks after a pause and warm-up calls).
Writes a CSV (one row per point: medians and the median and best ratio chalkgrad / PyTorch) and a PNG with two
panels per workload (time per sample against batch size and against width, log-x, with the ratio on the right
axis). ``--from-csv`` redraws the plot from a CSV without timing anything.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
from dataclasses import dataclass

import common as harness
import numpy as np
from common import sgd_train_step

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PNG = os.path.join(HERE, "results", "scaling.png")


@dataclass(frozen=True)
class Curve:
    workload: str  # "mlp" or "conv"
    axis: str  # "batch" or "width"
    values: tuple[int, ...]
    fixed: int  # the width when the axis is batch, the batch when the axis is width


def curves(quick: bool) -> list[Curve]:
    batches = (1, 8, 64) if quick else tuple(2 ** i for i in range(9))
    return [
        Curve("mlp", "batch", batches, 256),
        Curve("mlp", "width", (64, 256) if quick else (64, 128, 256, 512, 1024), 64),
        Curve("conv", "batch", batches, 16),
        Curve("conv", "width", (8, 32) if quick else (8, 16, 32, 64, 128), 32),
    ]


def mlp(width: int):
    def build(nn):
        return nn.Sequential(nn.Linear(784, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                             nn.Linear(width, 10))

    return build, (784,)


def convnet(channels: int):
    def build(nn):
        return nn.Sequential(
            nn.Conv2d(3, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(channels, 2 * channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(2 * channels * 8 * 8, 10))

    return build, (3, 32, 32)


MODELS = {"mlp": mlp, "conv": convnet}
TITLES = {"mlp": "MLP 784-h-h-10 train step", "conv": "conv net (c, 2c channels) train step, 3x32x32"}
AXIS_LABELS = {("mlp", "width"): "hidden width h", ("conv", "width"): "channels c", ("mlp", "batch"): "batch size",
               ("conv", "batch"): "batch size"}


def workload(name: str, batch: int, width: int) -> harness.Workload:
    build, shape = MODELS[name](width)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, *shape)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    return harness.pair(f"{name}-b{batch}-w{width}", f"{name} batch {batch} width {width}",
                        lambda lib: sgd_train_step(lib, build, x, y))


FIELDS = ["workload", "axis", "batch", "width", "chalkgrad_s", "torch_s", "ratio_median", "ratio_best"]


def measure(curve_list: list[Curve], timing: harness.Timing) -> list[dict]:
    rows = []
    for c in curve_list:
        for v in c.values:
            batch, width = (v, c.fixed) if c.axis == "batch" else (c.fixed, v)
            s = harness.time_in_process(workload(c.workload, batch, width), timing).summary()
            row = {"workload": c.workload, "axis": c.axis, "batch": batch, "width": width,
                   "chalkgrad_s": s["medians"]["chalkgrad"], "torch_s": s["medians"]["torch"],
                   "ratio_median": s["ratios"]["chalkgrad"]["median"], "ratio_best": s["ratios"]["chalkgrad"]["best"]}
            rows.append(row)
            print(f"{c.workload:5} {c.axis:6} batch {batch:4} width {width:5}  "
                  f"chalkgrad {harness.fmt_ms(row['chalkgrad_s'])}  torch {harness.fmt_ms(row['torch_s'])}"
                  f"  ratio {row['ratio_median']:5.2f}x"
                  f" (best {row['ratio_best']:.2f}x)", flush=True)
    return rows


def write_csv(rows: list[dict], path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows(rows)


def read_csv(path: str) -> list[dict]:
    with open(path, newline="") as f:
        return [{k: (v if k in ("workload", "axis") else float(v)) for k, v in row.items()}
                for row in csv.DictReader(f)]


def minor_label(value: float, _pos) -> str:
    """Label the 2x and 5x minor ticks of a log axis (a panel often spans less than a decade)."""
    if value <= 0:
        return ""
    mantissa = round(value / 10 ** math.floor(math.log10(value)), 6)
    return f"{value:g}" if mantissa in (2, 5) else ""


def plot(rows: list[dict], path: str, note: str = "") -> None:
    """Two panels per workload: time per sample (ms, log-log) against batch size and against width, both libraries,
    and the median ratio chalkgrad / PyTorch on a right-hand axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    workloads = [w for w in MODELS if any(r["workload"] == w for r in rows)]
    fig, axes = plt.subplots(len(workloads), 2, figsize=(11, 4.2 * len(workloads)), squeeze=False)
    for i, name in enumerate(workloads):
        for j, axis in enumerate(("batch", "width")):
            ax = axes[i][j]
            pts = sorted((r for r in rows if r["workload"] == name and r["axis"] == axis), key=lambda r: r[axis])
            if not pts:
                ax.set_visible(False)
                continue
            xs = [r[axis] for r in pts]
            for lib, style in (("chalkgrad", "o-"), ("torch", "s-")):
                ax.plot(xs, [r[f"{lib}_s"] / r["batch"] * 1e3 for r in pts], style, label=lib)
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(FuncFormatter(minor_label))
            ax.set_xticks(xs, [str(int(x)) for x in xs])
            ax.set_xlabel(AXIS_LABELS[name, axis])
            ax.set_ylabel("time per sample (ms)")
            fixed = f"width {int(pts[0]['width'])}" if axis == "batch" else f"batch {int(pts[0]['batch'])}"
            ax.set_title(f"{TITLES[name]}\nagainst {'batch size' if axis == 'batch' else 'width'} ({fixed})",
                         fontsize=10)
            ax.grid(True, which="both", alpha=0.3)
            right = ax.twinx()
            right.plot(xs, [r["ratio_median"] for r in pts], "d--", color="grey", label="ratio chalkgrad / torch")
            right.axhline(1.0, color="grey", lw=0.8, alpha=0.6)
            right.set_ylim(0, max(2.0, 1.1 * max(r["ratio_median"] for r in pts)))
            right.set_ylabel("ratio chalkgrad / torch (median)", color="grey")
            lines = ax.get_legend_handles_labels()
            extra = right.get_legend_handles_labels()
            ax.legend(lines[0] + extra[0], lines[1] + extra[1], fontsize=8, loc="best", framealpha=0.7)
    if note:
        fig.text(0.01, 0.005, note, fontsize=7, color="dimgrey", va="bottom")
    fig.tight_layout(rect=(0, 0.03 if note else 0, 1, 1))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def environment_note(info: dict) -> str:
    numpy_blas = next((p for p in info["pools"] or () if p["owner"] == "numpy" and p["user_api"] == "blas"), None)
    blas = f"{numpy_blas['internal_api']} {numpy_blas['architecture']}" if numpy_blas else "?"
    torch = info.get("torch", {})
    return (f"{info['cpus']} CPUs ({info['cpu']}); numpy {info['numpy']} with {blas}, "
            f"OPENBLAS_CORETYPE={info['variables']['OPENBLAS_CORETYPE'] or '(unset)'}; "
            f"torch {torch.get('version', '?')} {torch.get('threads', '?')} threads")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    harness.timing_options(ap)
    ap.add_argument("-o", "--output", default=DEFAULT_PNG, help="PNG to draw (default benchmarks/results/scaling.png)")
    ap.add_argument("--csv", help="CSV to write (default: the PNG's path with .csv)")
    ap.add_argument("--from-csv", help="draw the plot from this CSV instead of timing")
    ap.add_argument("--only", choices=sorted(MODELS), help="one workload only")
    args = ap.parse_args(argv)
    if args.from_csv:
        plot(read_csv(args.from_csv), args.output)
        print(f"plot: {args.output}")
        return 0
    import torch  # noqa: F401 (imported before the thread settings and the environment report)

    limiter = harness.apply_threads(args.threads)  # noqa: F841 (the limit lasts as long as the object)
    info = harness.environment_info()
    print(harness.format_environment(info), "\n")
    selected = [c for c in curves(args.quick) if args.only in (None, c.workload)]
    rows = measure(selected, harness.timing_from(args))
    csv_path = args.csv or os.path.splitext(args.output)[0] + ".csv"
    write_csv(rows, csv_path)
    plot(rows, args.output, environment_note(info))
    print(f"\ncsv: {csv_path}\nplot: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
