"""Course-style Keras scripts (tests/keras/corpus/) run under Keras 3 and under chalkgrad.keras.

Each script imports from the placeholder ``KERAS`` (``from KERAS import layers, models``), which
is replaced by ``keras`` or ``chalkgrad.keras``, and leaves ``model`` and ``x_sample`` behind
(``checkpoint_file`` too when it trains with ModelCheckpoint). For each script:

* summary figures: every layer's name, class, output shape and parameter count, the totals
  (total / trainable / non-trainable) and the "Total params: N (size)" lines of the printed table;
* predictions: Keras' weights copied layer by layer with get_weights/set_weights give the same outputs;
* files: chalkgrad's ``.keras`` loads in Keras 3 and Keras 3's loads in chalkgrad (same predictions),
  and ``.weights.h5`` both ways.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

from chalkgrad.keras import backend as chalkgrad_backend  # noqa: E402

CORPUS = Path(__file__).parent / "corpus"
SCRIPTS = sorted(p.stem for p in CORPUS.glob("*.py"))

#: scripts that do not run under chalkgrad yet, with the reason (strict: they fail the suite once fixed)
XFAIL: dict = {}

#: scripts whose printed totals differ, with the reason (strict)
TOTALS_XFAIL: dict = {}

#: scripts whose file round trips are skipped for time (the weights are large; the same layers are
#: covered by smaller scripts and by tests/keras/test_applications.py)
NO_FILES = {"vgg16_features"}


def run_script(name: str, library: str, workdir: Path) -> dict:
    """Execute corpus/<name>.py with KERAS replaced by ``library`` in ``workdir``; returns its namespace
    and the printed output under '__stdout__'."""
    source = (CORPUS / f"{name}.py").read_text()
    source = re.sub(r"^(from|import) KERAS\b", rf"\1 {library}", source, flags=re.M)
    assert "KERAS" not in source, f"{name}: the placeholder KERAS is used outside an import line"
    workdir.mkdir(parents=True, exist_ok=True)
    namespace = {"__name__": f"corpus_{name}"}
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        keras.backend.clear_session()  # automatic names (dense, dense_1, ...) restart in both libraries
        chalkgrad_backend.clear_session()
        keras.utils.set_random_seed(0)
        with contextlib.redirect_stdout(out):
            exec(compile(source, str(CORPUS / f"{name}.py"), "exec"), namespace)
    finally:
        os.chdir(cwd)
    namespace["__stdout__"] = out.getvalue()
    return namespace


def shape_of(tensor):
    if isinstance(tensor, (list, tuple)):
        return [shape_of(t) for t in tensor]
    return tuple(None if s is None else int(s) for s in tensor.shape)


def figures(model) -> dict:
    """What a student reads off ``model.summary()``: per layer (name, class, output shape, params) and totals."""
    rows = [(layer.name, type(layer).__name__, shape_of(layer.output), int(layer.count_params()))
            for layer in model.layers]
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return {"rows": rows, "total": int(model.count_params()), "trainable": trainable,
            "non_trainable": non_trainable}


TOTALS = re.compile(r"(Total|Trainable|Non-trainable) params: ([\d,]+) \(([\d.]+ \w+)\)")


def summary_totals(text: str) -> list:
    return TOTALS.findall(text)


def keras_summary_text(model) -> str:
    lines = []
    model.summary(print_fn=lambda line, *a, **k: lines.append(line))
    return "\n".join(lines)


def chalkgrad_summary_text(model) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        returned = model.summary()
    assert returned is None, "summary() must print and return None (Keras 3)"
    return out.getvalue()


def predict(model, x):
    """Outputs as a list of arrays (Keras models are called directly: quicker than predict for one batch)."""
    if type(model).__module__.startswith("keras"):
        out = model(x, training=False)
        out = out if isinstance(out, (list, tuple)) else [out]
        return [np.asarray(keras.ops.convert_to_numpy(o)) for o in out]
    out = model.predict(x, verbose=0)
    return [np.asarray(o) for o in out] if isinstance(out, list) else [np.asarray(out)]


def assert_same_predictions(a, b, what: str):
    assert len(a) == len(b), what
    for pa, pb in zip(a, b):
        np.testing.assert_allclose(pa, pb, rtol=2e-4, atol=2e-5, err_msg=what)


def copy_weights(source, target) -> None:
    assert len(source.layers) == len(target.layers)
    for s, t in zip(source.layers, target.layers):
        t.set_weights(s.get_weights())


def zero_weights(model) -> None:
    for layer in model.layers:
        layer.set_weights([np.zeros_like(np.asarray(w)) for w in layer.get_weights()])


@pytest.fixture(scope="module")
def cache():
    """The scripts' namespaces, kept while this module's tests run (the models are large)."""
    runs: dict = {}
    yield runs
    runs.clear()


@pytest.fixture
def runs(cache, tmp_path_factory):
    """``runs(name)``: the script's namespaces under Keras 3 and chalkgrad (each script runs once)."""
    def get(name):
        if name not in cache:
            folder = tmp_path_factory.mktemp(name)
            cache[name] = (run_script(name, "keras", folder / "keras"),
                           run_script(name, "chalkgrad.keras", folder / "chalkgrad"), folder)
        return cache[name]

    return get


def scripts(xfail: dict):
    return [pytest.param(n, marks=pytest.mark.xfail(reason=xfail[n], strict=True)) if n in xfail else n
            for n in SCRIPTS]


@pytest.mark.parametrize("name", scripts(XFAIL))
def test_summary_figures(name, runs):
    theirs, ours, _ = runs(name)
    assert figures(ours["model"]) == figures(theirs["model"])


@pytest.mark.parametrize("name", scripts({**XFAIL, **TOTALS_XFAIL}))
def test_summary_totals(name, runs):
    theirs, ours, _ = runs(name)
    expected = summary_totals(keras_summary_text(theirs["model"]))
    assert expected and summary_totals(chalkgrad_summary_text(ours["model"])) == expected


@pytest.mark.parametrize("name", scripts(XFAIL))
def test_predictions_and_files(name, runs):
    theirs, ours, folder = runs(name)
    k_model, c_model, x = theirs["model"], ours["model"], theirs["x_sample"]
    copy_weights(k_model, c_model)
    expected = predict(k_model, x)
    assert_same_predictions(predict(c_model, x), expected, f"{name}: predictions with Keras' weights")

    if "checkpoint_file" in theirs:  # each library's training checkpoint loads in the other
        assert figures(keras.models.load_model(folder / "chalkgrad" / theirs["checkpoint_file"])) == \
            figures(k_model)
        import chalkgrad.keras as ck

        assert figures(ck.models.load_model(folder / "keras" / theirs["checkpoint_file"])) == figures(k_model)
    if name in NO_FILES:
        return
    import chalkgrad.keras as ck

    c_model.save(folder / "ours.keras")
    assert_same_predictions(predict(keras.models.load_model(folder / "ours.keras"), x), expected,
                            f"{name}: chalkgrad's .keras loaded by Keras 3")
    k_model.save(folder / "theirs.keras")
    loaded = ck.models.load_model(folder / "theirs.keras")
    assert figures(loaded) == figures(k_model)
    assert_same_predictions(predict(loaded, x), expected, f"{name}: Keras 3's .keras loaded by chalkgrad")

    k_model.save_weights(folder / "theirs.weights.h5")
    c_model.save_weights(folder / "ours.weights.h5")
    zero_weights(c_model)
    zero_weights(k_model)
    c_model.load_weights(folder / "theirs.weights.h5")
    assert_same_predictions(predict(c_model, x), expected, f"{name}: Keras 3's .weights.h5 loaded by chalkgrad")
    k_model.load_weights(folder / "ours.weights.h5")
    assert_same_predictions(predict(k_model, x), expected, f"{name}: chalkgrad's .weights.h5 loaded by Keras 3")
