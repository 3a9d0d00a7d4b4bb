"""Export a model, check the file with onnx.checker, run it in onnxruntime and compare with chalkgrad."""

from __future__ import annotations

import numpy as np
import pytest

import chalkgrad as cg

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from chalkgrad.onnx import export  # noqa: E402

TOL = 1e-5


def run_onnx(path, inputs: dict) -> list:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session.run(None, inputs)


def outputs_of(value) -> list:
    if isinstance(value, cg.Tensor):
        return [value.detach().numpy()]
    return [a for v in value for a in outputs_of(v)] if isinstance(value, (tuple, list)) else []


def check_export(model, inputs, tmp_path, other_batch: int | None = 3, name="model.onnx", tol=TOL, **kwargs):
    """Export ``model`` on ``inputs`` (tuple of arrays, batch first), compare onnxruntime with chalkgrad.

    With ``other_batch``, the batch axis of every input and output is dynamic and the file is also
    run on inputs with that batch size.
    """
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    path = tmp_path / name
    model.eval()
    n_out = len(outputs_of(model(*[cg.tensor(x) for x in inputs])))
    in_names = [f"in{k}" for k in range(len(inputs))]
    out_names = [f"out{k}" for k in range(n_out)]
    if other_batch is not None:
        outs = outputs_of(model(*[cg.tensor(x) for x in inputs]))
        kwargs.setdefault("dynamic_axes", {n: {0: "batch"} for n, o in zip(in_names + out_names, [*inputs, *outs])
                                           if o.ndim})
    proto = export(model, tuple(cg.tensor(x) for x in inputs), path, input_names=in_names, output_names=out_names,
                   **kwargs)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    assert proto.producer_name == "chalkgrad" and proto.graph.name
    batches = [inputs]
    if other_batch is not None:
        rng = np.random.default_rng(1)
        batches.append(tuple(_resample(x, other_batch, rng) for x in inputs))
    for batch in batches:
        expected = outputs_of(model(*[cg.tensor(x) for x in batch]))
        got = run_onnx(path, dict(zip(in_names, batch)))
        assert len(got) == len(expected)
        for e, o in zip(expected, got):
            assert o.shape == e.shape
            np.testing.assert_allclose(o, e, rtol=tol, atol=tol)
    return proto


def _resample(x, batch, rng):
    if x.dtype.kind in "iu":
        return rng.integers(0, max(int(x.max()), 1) + 1, size=(batch,) + x.shape[1:]).astype(x.dtype)
    return rng.standard_normal((batch,) + x.shape[1:]).astype(x.dtype)


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
