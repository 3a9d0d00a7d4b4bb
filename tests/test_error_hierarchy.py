"""One error hierarchy: chalkgrad raises ChalkgradError subclasses for bad input, never bare built-ins.

The scan reads every module of src/chalkgrad with ``ast`` and fails on a ``raise`` of a built-in
exception class that is not in the allowlist below. ``NotImplementedError`` (abstract methods)
and ``StopIteration`` (the iterator protocol) are not scanned.
"""

import ast
import builtins
from pathlib import Path

import numpy as np
import pytest
import torch

import chalkgrad as cg
from chalkgrad import nn

SRC = Path(cg.__file__).parent
PROTOCOL = {"NotImplementedError", "StopIteration", "StopAsyncIteration", "GeneratorExit", "KeyboardInterrupt",
            "SystemExit"}
BUILTIN_ERRORS = {n for n in dir(builtins) if isinstance(getattr(builtins, n), type)
                  and issubclass(getattr(builtins, n), BaseException)} - PROTOCOL

# Raises that are not about bad user input: (file, enclosing function, exception) -> why.
INTERNAL = {
    ("data/dataset.py", "_get_batch", "AttributeError"):
        "Subset._get_batch signals 'no fast batch path' to the DataLoader's getattr fallback",
    ("explain/dense.py", "_activation_formula", "AssertionError"):
        "unreachable: activation names are validated before the explainer runs",
    ("explain/dense.py", "_local_derivative", "AssertionError"):
        "unreachable: activation names are validated before the explainer runs",
    ("explain/sequences.py", "_check_close", "AssertionError"):
        "self-check: the step-by-step recurrence must equal the layer's own output",
    ("explain/steps.py", "verify", "AssertionError"):
        "Solution.verify exists to raise AssertionError when a displayed formula disagrees with its value",
    ("explain/problem_layers.py", "_build", "TypeError"):
        "caught by the problem-file builder beside it and re-raised as a ProblemError naming the file and line",
    ("classic/svm.py", "coef_", "AttributeError"):
        "scikit-learn's convention: hasattr(svc, 'coef_') is False for a non-linear kernel",
    ("interop/_torch.py", "require_torch", "ImportError"):
        "an optional dependency that is missing: ImportError, naming the extra to install",
    ("keras/history.py", "plot_history", "ImportError"):
        "an optional dependency that is missing: ImportError, naming the extra to install",
    ("keras/saving/archive.py", "read_keras_archive", "FileNotFoundError"):
        "a missing file is FileNotFoundError, as open(), torch.load and np.load raise it",
    ("keras/saving/h5.py", "read_weights_h5", "FileNotFoundError"):
        "a missing file is FileNotFoundError, as open() and h5py.File raise it",
    ("onnx/__init__.py", "<module>", "ImportError"):
        "an optional dependency that is missing: ImportError, naming the extra to install",
    ("serialization.py", "_decode", "TypeError"):
        "caught a few lines below and re-raised as a CheckpointError naming the file and key",
    ("serialization.py", "atomic_write_bytes", "FileNotFoundError"):
        "an OS error about the target path, named in the message and .filename, as open() raises it",
    ("serialization.py", "atomic_write_bytes", "PermissionError"):
        "an OS error about the target path, named in the message and .filename, as open() raises it",
    ("serialization.py", "read_checkpoint", "FileNotFoundError"):
        "a missing file is FileNotFoundError, as open(), torch.load and np.load raise it",
    ("tensor.py", "__array__", "ValueError"):
        "NumPy's array protocol: copy=False with a needed copy must raise ValueError, which np.asarray relays",
    ("tensor.py", "__dlpack__", "BufferError"):
        "the DLPack protocol: consumers (np.from_dlpack, torch.from_dlpack) expect BufferError for an unusable stream",
}


def _bare_raises():
    """(file, enclosing function, exception name, line) of every raise of a built-in exception class."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))

        def visit(node, function, rel=rel):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    visit(child, child.name, rel)
                    continue
                if isinstance(child, ast.Raise) and child.exc is not None:
                    target = child.exc.func if isinstance(child.exc, ast.Call) else child.exc
                    if isinstance(target, ast.Name) and target.id in BUILTIN_ERRORS:
                        found.append((rel, function, target.id, child.lineno))
                visit(child, function, rel)

        visit(tree, "<module>")
    return found


def test_no_bare_builtin_raises_outside_the_allowlist():
    unexpected = [f"{rel}:{line} in {fn}(): raise {exc}(...)" for rel, fn, exc, line in _bare_raises()
                  if (rel, fn, exc) not in INTERNAL]
    assert not unexpected, ("raise a chalkgrad.errors subclass (it keeps the built-in base) instead of:\n  "
                            + "\n  ".join(unexpected))


def test_the_internal_allowlist_has_no_stale_entries():
    present = {(rel, fn, exc) for rel, fn, exc, _ in _bare_raises()}
    assert set(INTERNAL) <= present, set(INTERNAL) - present


def test_every_error_class_keeps_its_builtin_base():
    pairs = {cg.ShapeError: ValueError, cg.DTypeError: TypeError, cg.ConfigError: ValueError,
             cg.errors.DomainError: ValueError, cg.errors.KeyNameError: KeyError, cg.GradError: RuntimeError,
             cg.errors.AttributeLookupError: AttributeError, cg.IndexOutOfRangeError: IndexError,
             cg.ClassIndexError: ValueError, cg.NumericalError: FloatingPointError}
    for cls, base in pairs.items():
        assert issubclass(cls, cg.ChalkgradError) and issubclass(cls, base), cls


# Constructor sizes: what PyTorch refuses, chalkgrad refuses with a ConfigError naming the argument and value.
# Where PyTorch accepts an empty layer (Linear(0, 3), Embedding(0, 4), Conv2d(3, 3, 0)...), chalkgrad is
# stricter: a layer with a zero size has no use and is always a typo or an off-by-one.
BAD_LAYERS = [
    ("Linear", lambda m: m.Linear(-1, 3), "in_features", -1, True),
    ("Linear", lambda m: m.Linear(4, 0), "out_features", 0, False),
    ("Embedding", lambda m: m.Embedding(0, 4), "num_embeddings", 0, False),
    ("Embedding", lambda m: m.Embedding(-1, 4), "num_embeddings", -1, True),
    ("Embedding", lambda m: m.Embedding(3, 0), "embedding_dim", 0, False),
    ("Conv2d", lambda m: m.Conv2d(0, 3, 3), "in_channels", 0, False),
    ("Conv2d", lambda m: m.Conv2d(3, 3, 0), "kernel_size", 0, False),
    ("Conv2d", lambda m: m.Conv2d(4, 6, 3, groups=3), "groups", 3, True),
    ("Conv2d", lambda m: m.Conv2d(3, 3, 3, stride=0), "stride", 0, False),
    ("ConvTranspose2d", lambda m: m.ConvTranspose2d(3, 3, 3, groups=0), "groups", 0, True),
    ("BatchNorm1d", lambda m: m.BatchNorm1d(-1), "num_features", -1, True),
    ("LSTM", lambda m: m.LSTM(0, 3), "input_size", 0, True),
    ("LSTM", lambda m: m.LSTM(3, 0), "hidden_size", 0, True),
    ("GRU", lambda m: m.GRU(3, 3, num_layers=0), "num_layers", 0, True),
    ("RNNCell", lambda m: m.RNNCell(-2, 3), "input_size", -2, True),
    ("GroupNorm", lambda m: m.GroupNorm(3, 4), "num_channels", 4, True),
    ("LayerNorm", lambda m: m.LayerNorm(0), "normalized_shape", 0, False),
    ("PReLU", lambda m: m.PReLU(0), "num_parameters", 0, False),
    ("MaxPool2d", lambda m: m.MaxPool2d(0), "kernel_size", 0, False),
]


@pytest.mark.parametrize("layer,make,arg,value,torch_refuses", BAD_LAYERS,
                         ids=[f"{c[0]}-{c[2]}={c[3]}" for c in BAD_LAYERS])
def test_bad_layer_sizes_raise_a_config_error_naming_the_argument(layer, make, arg, value, torch_refuses):
    if torch_refuses:
        with pytest.raises((RuntimeError, ValueError)):
            make(torch.nn)
    with pytest.raises(cg.ConfigError) as err:
        make(nn)
    message = str(err.value)
    assert layer in message and arg in message and str(value) in message


def test_ragged_nested_lists_are_a_shape_error_naming_the_row():
    with pytest.raises(ValueError):
        torch.tensor([[1, 2], [3]])
    with pytest.raises(cg.ShapeError, match=r"data\[1\] has length 1, expected length 2"):
        cg.tensor([[1, 2], [3]])
    with pytest.raises(cg.ShapeError, match=r"data\[0\]\[1\] has length 1"):
        cg.tensor([[[1, 2], [3]], [[1, 2], [3, 4]]])


@pytest.mark.parametrize("call,error", [
    (lambda: cg.randn(2.5), cg.ShapeError),
    (lambda: cg.zeros(-1), cg.ShapeError),
    (lambda: cg.arange(0, 5, 0), cg.ConfigError),
    (lambda: cg.randint(3, 2, (2,)), cg.ConfigError),
    (lambda: cg.linspace(0, 1, -1), cg.ConfigError),
    (lambda: cg.from_numpy([1, 2]), cg.DTypeError),
    (lambda: len(cg.tensor(1.0)), cg.DTypeError),
    (lambda: [1, 2][cg.tensor(0.5)], cg.DTypeError),
    (lambda: cg.ones(3).clamp(), cg.ConfigError),
    (lambda: cg.ones(3).split(0), cg.ConfigError),
    (lambda: nn.functional.one_hot(cg.tensor([-1])), cg.ClassIndexError),
    (lambda: nn.functional.binary_cross_entropy(cg.tensor([1.5]), cg.tensor([1.0])), cg.errors.DomainError),
    (lambda: nn.functional.mse_loss(cg.ones(2), cg.ones(2), reduction="avg"), cg.ConfigError),
    (lambda: nn.ModuleDict({"a": nn.ReLU()})["b"], cg.errors.KeyNameError),
    (lambda: nn.Sequential(nn.ReLU())[3], cg.IndexOutOfRangeError),
    (lambda: nn.Sequential(3), cg.DTypeError),
    (lambda: nn.Linear(2, 2).get_submodule("body"), cg.errors.AttributeLookupError),
    (lambda: nn.Linear(2, 2).train("yes"), cg.ConfigError),
    (lambda: nn.init.normal_(cg.ones(2), std=-1.0), cg.ConfigError),
    (lambda: nn.GELU(approximate="fast"), cg.ConfigError),
    (lambda: nn.utils.vector_to_parameters(cg.ones(3), nn.Linear(2, 2).parameters()), cg.ShapeError),
])
def test_bad_input_raises_a_chalkgrad_error_that_keeps_the_builtin_base(call, error):
    with pytest.raises(error):
        call()
    try:
        call()
    except cg.ChalkgradError as e:
        builtin = [c for c in type(e).__mro__ if c.__module__ == "builtins" and c is not Exception][0]
        assert builtin is not BaseException and isinstance(e, builtin)


def test_nonfinite_gradient_norm_is_a_numerical_error():
    layer = nn.Linear(2, 1)
    layer(cg.tensor([[np.inf, 1.0]])).sum().backward()
    with pytest.raises(cg.NumericalError, match="clip_grad_norm_"):
        nn.utils.clip_grad_norm_(layer.parameters(), 1.0, error_if_nonfinite=True)
