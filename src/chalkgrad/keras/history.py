"""``plot_history(history, path)``: loss and metric curves of a training run, as a PNG (matplotlib, Agg).

One panel for the loss and one per metric, training in solid lines, validation (``val_*``)
dashed, epochs on the x axis (1-based). matplotlib is the optional extra ``plot``
(``pip install chalkgrad[plot]``); without it a clear ImportError says so.
"""

from __future__ import annotations

import os

from ..errors import ConfigError, DTypeError

__all__ = ["plot_history"]


def _as_dict(history) -> dict:
    h = getattr(history, "history", history)
    if not isinstance(h, dict):
        raise DTypeError(f"plot_history: expected a History or a dict of lists, got {type(history).__name__}")
    return h


def plot_history(history, path, metrics=None, title: str | None = None, dpi: int = 100) -> str:
    """Write the curves of ``history`` (a History or its ``.history`` dict) to ``path`` (PNG); returns the path.

    ``metrics``: the names to plot (default: every training key except ``lr``, loss first).
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plot_history needs matplotlib: pip install 'chalkgrad[plot]' (or pip install "
                          "matplotlib)") from None
    h = _as_dict(history)
    if metrics is None:
        metrics = [k for k in h if not k.startswith("val_") and k != "lr"]
        metrics.sort(key=lambda k: k != "loss")
    metrics = [m for m in metrics if m in h or f"val_{m}" in h]
    if not metrics:
        raise ConfigError(f"plot_history: nothing to plot (history keys: {sorted(h)})")
    fig = Figure(figsize=(4.5 * len(metrics), 3.5), dpi=dpi)
    FigureCanvasAgg(fig)  # attaches the Agg canvas; no global backend change
    for i, name in enumerate(metrics):
        ax = fig.add_subplot(1, len(metrics), i + 1)
        for key, style, label in ((name, "-", "train"), (f"val_{name}", "--", "validation")):
            if key in h:
                ys = h[key]
                ax.plot(range(1, len(ys) + 1), ys, style, marker="o", markersize=3, label=label)
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.grid(True, alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = os.fspath(path)
    fig.savefig(path, format="png")
    return path
