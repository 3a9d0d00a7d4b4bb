"""plot_history writes a PNG; a clear error without matplotlib."""

import sys

import pytest

from chalkgrad.fit import History, plot_history


def _history():
    h = History()
    for e, (loss, acc) in enumerate([(1.0, 0.5), (0.6, 0.7), (0.4, 0.8)]):
        h.on_epoch_end(e, {"loss": loss, "accuracy": acc, "val_loss": loss + 0.1, "val_accuracy": acc - 0.05,
                           "lr": 0.01})
    return h


def test_plot_history_writes_a_png(tmp_path):
    path = plot_history(_history(), tmp_path / "h.png", title="run")
    data = (tmp_path / "h.png").read_bytes()
    assert path == str(tmp_path / "h.png") and data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    from PIL import Image

    with Image.open(tmp_path / "h.png") as im:
        assert im.size == (900, 350)  # two panels (loss, accuracy) of 4.5 x 3.5 inches at 100 dpi
    plot_history({"loss": [1.0, 0.5]}, tmp_path / "d.png")  # a plain dict works too
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_history({"lr": [0.1]}, tmp_path / "e.png")


def test_plot_history_without_matplotlib(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    with pytest.raises(ImportError, match=r"pip install 'chalkgrad\[plot\]'"):
        plot_history(_history(), tmp_path / "h.png")
