"""Benchmark results as text: the console table and the README's Markdown table."""

from __future__ import annotations

from harness_env import BLAS_VARIABLES


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.3f} ms"


def format_table(summaries: list[dict]) -> str:
    """One line per (workload, non-reference variant): its median, the reference's, median and best ratio."""
    rows = []
    for s in summaries:
        label, ref = s["label"], s["reference"]
        for v, t in s["medians"].items():
            if v == ref:
                continue
            cells = [label, v + (f" vs {ref}" if ref else ""), fmt_ms(t)]
            if ref is not None:
                r = s["ratios"][v]
                cells += [fmt_ms(s["medians"][ref]), f"{r['median']:6.2f}x", f"{r['best']:6.2f}x"]
            rows.append(cells)
            label = ""
    wl = max([len("workload")] + [len(r[0]) for r in rows])
    wv = max([len("variant vs reference")] + [len(r[1]) for r in rows])
    head = f"{'workload':{wl}}  {'variant vs reference':{wv}} {'median':>12}"
    if any(s["reference"] for s in summaries):
        head += f" {'reference':>12} {'ratio':>7} {'best':>7}"
    return "\n".join([head] + [f"{r[0]:{wl}}  {r[1]:{wv}} " + " ".join(r[2:]) for r in rows])


def ms_text(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.0f} ms" if ms >= 100 else f"{ms:.3g} ms"


def setting_name(run: dict) -> str:
    v = run["environment"]["variables"]
    return ", ".join(f"{k}={v[k]}" for k in BLAS_VARIABLES if v.get(k)) or "OpenBLAS variables unset"


def markdown_table(runs: list[dict]) -> str:
    """The README's table: workload, chalkgrad, reference, ratio (median and best over block pairs)."""
    several = len({setting_name(r) for r in runs}) > 1
    head = ["workload"] + (["BLAS setting"] if several else []) + ["chalkgrad", "reference", "ratio", "best ratio"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for run in runs:
        for s in run["results"]:
            ref = s["reference"]
            for v, t in s["medians"].items():
                if v == ref or ref is None:
                    continue
                name = s["label"] if v == "chalkgrad" else f"{s['label']} ({v})"
                r = s["ratios"][v]
                cells = [name] + ([setting_name(run)] if several else []) + [
                    ms_text(t), f"{ms_text(s['medians'][ref])} ({ref})",
                    f"{r['median']:.2f}×", f"{r['best']:.2f}×"]
                lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
