"""Worked solutions of layer internals: every value equals PyTorch's (float64), formulas verify,
golden renderings, the 'layer' problem kind with file:line errors, and a fuzz of mutated problem files."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chalkgrad as cg
import chalkgrad.nn.functional as F
from chalkgrad import nn
from chalkgrad.errors import ConfigError, ShapeError
from chalkgrad.explain import render
from chalkgrad.explain.layers import (
    explain_avg_pool2d,
    explain_batch_norm,
    explain_conv,
    explain_conv_transpose,
    explain_dropout,
    explain_global_avg_pool2d,
    explain_layer,
    explain_layer_norm,
    explain_max_pool2d,
    explain_max_unpool2d,
    explain_softmax_cross_entropy,
    output_names,
)
from chalkgrad.explain.problem import load_problem, solve_problem

from .problem_helpers import assert_bad_problem, solve_mutated, solve_text

ROOT = Path(__file__).resolve().parents[2]
PROBLEMS = ROOT / "examples" / "problems"
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CHALKGRAD_UPDATE_GOLDEN") == "1"


def T(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


def outputs(sol, shape, kind="conv"):
    """The solution's output elements y_... as an array of the batched output shape."""
    names = output_names(kind, shape)
    return np.array([sol[n] for n in names.ravel()]).reshape(shape)


def close(a, b):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=1e-12,
                               atol=1e-12)


# ----------------------------------------------------------------------------- convolution
CONV2D = [
    # (x shape, w shape, stride, padding, dilation, groups, bias)
    ((1, 1, 3, 3), (1, 1, 2, 2), 1, 0, 1, 1, True),
    ((1, 1, 4, 4), (1, 1, 3, 3), 2, 1, 1, 1, False),
    ((2, 2, 3, 4), (2, 2, 2, 2), (1, 2), (1, 0), 1, 1, True),
    ((1, 2, 5, 5), (2, 1, 2, 2), 1, 0, 2, 2, True),
    ((1, 1, 3, 3), (1, 1, 3, 3), 1, "same", 1, 1, True),
]


@pytest.mark.parametrize("xs,ws,stride,padding,dilation,groups,bias", CONV2D)
def test_conv2d_matches_torch(xs, ws, stride, padding, dilation, groups, bias):
    rng = np.random.default_rng(sum(xs) + sum(ws))
    x, w = rng.normal(size=xs).round(2), rng.normal(size=ws).round(2)
    b = rng.normal(size=ws[0]).round(2) if bias else None
    ref = TF.conv2d(T(x), T(w), T(b) if bias else None, stride, padding, dilation, groups).numpy()
    sol = explain_conv(x, w, b, stride, padding, dilation, groups)
    sol.verify()
    close(outputs(sol, ref.shape), ref)


def test_conv2d_padded_input_and_terms():
    sol = explain_conv([[[[1, 2], [3, 4]]]], [[[[1, 2], [3, 4]]]], None, stride=2, padding=1)
    assert sol["xp_11"] == 0 and sol["xp_22"] == 1 and sol["xp_33"] == 4
    text = render(sol)
    assert "y_11 = w_11·xp_11 + w_12·xp_12 + w_21·xp_21 + w_22·xp_22 = 1·0 + 2·0 + 3·0 + 4·1 = 4" in text
    assert "(window: rows 3 to 4, columns 3 to 4 of xp)" in text


def test_conv2d_gradient_of_one_output_matches_torch():
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(1, 2, 4, 4)).round(2), rng.normal(size=(2, 2, 2, 2)).round(2), np.array([0.1, -0.2])
    sol = explain_conv(x, w, b, stride=1, padding=1, grad="y_223")
    wt, bt = T(w).requires_grad_(), T(b).requires_grad_()
    TF.conv2d(T(x), wt, bt, padding=1)[0, 1, 1, 2].backward()
    for c in range(2):
        for u in range(2):
            for v in range(2):
                assert sol[f"∂y_223/∂w_2{c + 1}{u + 1}{v + 1}"] == wt.grad[1, c, u, v].item()
    assert sol["∂y_223/∂b_2"] == 1.0
    assert not wt.grad[0].any()  # weights of the other output channel do not reach it (and are not listed)
    assert all(not s.name.startswith("∂y_223/∂w_1") for s in sol.steps())
    assert explain_conv(x, w, b, padding=1, grad=(0, 1, 1, 2))["∂y_223/∂w_2111"] == wt.grad[1, 0, 0, 0].item()


def test_conv1d_matches_torch():
    rng = np.random.default_rng(2)
    x, w, b = rng.normal(size=(2, 2, 7)).round(2), rng.normal(size=(3, 2, 3)).round(2), rng.normal(size=3).round(2)
    ref = TF.conv1d(T(x), T(w), T(b), stride=2, padding=1, dilation=2).numpy()
    sol = explain_conv(x, w, b, stride=2, padding=1, dilation=2)
    close(outputs(sol, ref.shape), ref)
    text = render(explain_conv([[2, 1, 0, 3, -1]], [[[1, 0.5, -1]]], None, dilation=2))
    assert "y_1 = w_1·x_1 + w_2·x_3 + w_3·x_5 = 1·2 + 0.5·0 + (−1)·(−1) = 3   (window: positions 1, 3, 5 of x)" in text


def test_conv_refuses_large_inputs_saying_the_limit():
    with pytest.raises(ConfigError, match=r"conv2d: 196 output elements × 9 kernel terms .* limited to 400"):
        explain_conv(np.zeros((1, 1, 16, 16)), np.zeros((1, 1, 3, 3)))
    with pytest.raises(ShapeError, match="smaller than the kernel"):
        explain_conv(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 3, 3)))
    with pytest.raises(ConfigError, match="grad names 'y_99', which is not an output"):
        explain_conv(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 2, 2)), grad="y_99")


TRANSPOSED = [
    # (x shape, w shape, stride, padding, output_padding, dilation, groups, bias)
    ((1, 1, 2, 2), (1, 1, 2, 2), 2, 1, 1, 1, 1, True),
    ((1, 1, 2, 3), (1, 1, 3, 3), 1, 0, 0, 1, 1, False),
    ((2, 2, 2, 2), (2, 2, 2, 2), (2, 1), (0, 1), 0, 1, 1, True),
    ((1, 2, 2, 2), (2, 1, 2, 2), 2, 0, 1, 2, 2, True),
]


@pytest.mark.parametrize("xs,ws,stride,padding,output_padding,dilation,groups,bias", TRANSPOSED)
def test_conv_transpose2d_matches_torch(xs, ws, stride, padding, output_padding, dilation, groups, bias):
    rng = np.random.default_rng(sum(xs) + 7 * sum(ws))
    x, w = rng.normal(size=xs).round(2), rng.normal(size=ws).round(2)
    b = rng.normal(size=ws[1] * groups).round(2) if bias else None
    ref = TF.conv_transpose2d(T(x), T(w), T(b) if bias else None, stride, padding, output_padding, groups,
                              dilation).numpy()
    full = TF.conv_transpose2d(T(x), T(w), None, stride, 0, 0, groups, dilation).numpy()
    sol = explain_conv_transpose(x, w, b, stride, padding, output_padding, groups, dilation)
    sol.verify()
    close(outputs(sol, ref.shape), ref)
    names = np.array([s.name for s in sol.steps() if s.name.startswith("z")])
    close([sol[n] for n in names], full.ravel())


def test_conv_transpose1d_matches_torch():
    x, w = np.array([[[1.0, -2, 3]]]), np.array([[[1.0, 0.5, -1]]])
    ref = TF.conv_transpose1d(T(x), T(w), T([0.25]), stride=2, padding=1).numpy()
    close(outputs(explain_conv_transpose(x, w, [0.25], stride=2, padding=1), ref.shape), ref)


# ----------------------------------------------------------------------------- pooling
X44 = np.array([[[[1, 5, 2, 0], [3, 4, 8, 1], [0, 2, 6, 7], [9, 1, 3, 2]]]], dtype=np.float64)


@pytest.mark.parametrize("k,s,p,d,ceil", [(2, None, 0, 1, False), (3, 2, 1, 1, False), (2, 1, 1, 2, False),
                                          (3, 2, 0, 1, True)])
def test_max_pool2d_values_and_indices_match_torch(k, s, p, d, ceil):
    rng = np.random.default_rng(k + p)
    x = np.concatenate([X44, rng.normal(size=(1, 1, 4, 4)).round(2)], axis=1)
    ref, ridx = TF.max_pool2d(T(x), k, s, p, d, ceil, return_indices=True)
    sol = explain_max_pool2d(x, k, s, p, d, ceil)
    close(outputs(sol, ref.shape, "pool"), ref.numpy())
    idx_names = [n.replace("y", "idx", 1) for n in output_names("pool", ref.shape).ravel()]
    assert [int(sol[n]) for n in idx_names] == ridx.numpy().ravel().tolist()


def test_max_pool2d_text():
    text = render(explain_max_pool2d(X44, 2))
    assert "y_12 = max(x_13, x_14, x_23, x_24) = max(2, 0, 8, 1) = 8" in text
    assert "idx_12 = 1·4 + 2 = 6" in text
    assert "−∞" in render(explain_max_pool2d(X44, 3, 2, 1))


@pytest.mark.parametrize("k,s,p,include,div", [(2, None, 0, True, None), (3, 2, 1, True, None),
                                               (3, 2, 1, False, None), (2, 1, 1, True, 3)])
def test_avg_pool2d_matches_torch(k, s, p, include, div):
    ref = TF.avg_pool2d(T(X44), k, s, p, False, include, div).numpy()
    sol = explain_avg_pool2d(X44, k, s, p, count_include_pad=include, divisor_override=div)
    close(outputs(sol, ref.shape, "pool"), ref)


def test_global_avg_pool_matches_torch():
    x = np.arange(8.0).reshape(1, 2, 2, 2) - 3
    sol = explain_global_avg_pool2d(x)
    close([sol["y_1"], sol["y_2"]], TF.adaptive_avg_pool2d(T(x), 1).numpy().ravel())


def test_max_unpool2d_matches_torch():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(1, 2, 4, 4)).round(2)
    pooled, idx = TF.max_pool2d(T(x), 2, return_indices=True)
    ref = TF.max_unpool2d(pooled, idx, 2).numpy()
    sol = explain_max_unpool2d(pooled.numpy(), idx.numpy(), 2)
    close(outputs(sol, ref.shape, "pool"), ref)
    text = render(explain_max_unpool2d([[[[5, 8], [9, 7]]]], [[[[1, 6], [12, 11]]]], 2))
    assert "y_12 = x_11 = 5   (idx_11 = 1)" in text and "y_11 = 0" in text


# ----------------------------------------------------------------------------- normalization
@pytest.mark.parametrize("shape", [(3, 2), (2, 2, 3), (2, 1, 2, 2)])
def test_batch_norm_training_matches_torch(shape):
    rng = np.random.default_rng(len(shape))
    x = rng.normal(size=shape).round(2)
    c = shape[1]
    g, b = rng.normal(size=c).round(2), rng.normal(size=c).round(2)
    rm, rv = rng.normal(size=c).round(2), rng.uniform(0.5, 2, size=c).round(2)
    trm, trv = T(rm), T(rv)
    ref = TF.batch_norm(T(x), trm, trv, T(g), T(b), training=True, momentum=0.3, eps=1e-3).numpy()
    sol = explain_batch_norm(x, g, b, rm, rv, training=True, momentum=0.3, eps=1e-3)
    sol.verify()
    ys = np.array([s.value for s in sol.steps() if s.name.startswith("y")])
    close(ys, np.moveaxis(ref, 1, 0).ravel())  # the solution lists channel by channel
    sfx = [",1", ",2"] if c > 1 else [""]
    axes = tuple(i for i in range(len(shape)) if i != 1)
    close([sol["μ_B" + s] for s in sfx], x.mean(axis=axes))
    close([sol["σ²_B" + s] for s in sfx], x.var(axis=axes))
    close([sol["μ_run" + s + "⁺"] for s in sfx], trm.numpy())
    close([sol["σ²_run" + s + "⁺"] for s in sfx], trv.numpy())  # the unbiased variance, as torch


def test_batch_norm_eval_matches_torch():
    x = np.array([[[[1.0, 3], [5, -1]]]])
    ref = TF.batch_norm(T(x), T([1.0]), T([4.0]), T([2.0]), T([0.5]), training=False, eps=1e-5).numpy()
    sol = explain_batch_norm(x, [2], [0.5], [1], [4], training=False)
    close([sol["y_12"], sol["y_21"]], [ref[0, 0, 0, 1], ref[0, 0, 1, 0]])
    assert "μ_B" not in sol.values()


def test_layer_norm_matches_torch():
    rng = np.random.default_rng(3)
    x, g, b = rng.normal(size=(2, 2, 3)).round(2), rng.normal(size=(2, 3)).round(2), rng.normal(size=(2, 3)).round(2)
    ref = TF.layer_norm(T(x), (2, 3), T(g), T(b), 1e-4).numpy()
    sol = explain_layer_norm(x, (2, 3), g, b, 1e-4)
    ys = np.array([s.value for s in sol.steps() if s.name.startswith("y")])
    close(ys, ref.ravel())
    close([sol["μ_1"], sol["μ_2"]], x.reshape(2, -1).mean(1))


def test_dropout_uses_the_seeded_library_mask():
    x = np.arange(1.0, 13.0).reshape(3, 4)
    sol = explain_dropout(x, 0.25, seed=7)
    sol.verify()
    lib = F.dropout(cg.tensor(x), 0.25, generator=cg.random.Generator(7)).numpy()
    mask = np.array([sol[f"m_{i + 1}{j + 1}"] for i in range(3) for j in range(4)]).reshape(3, 4)
    assert set(np.unique(mask)) <= {0.0, 1.0}
    close(mask, (lib != 0).astype(float))
    ys = np.array([sol[f"y_{i + 1}{j + 1}"] for i in range(3) for j in range(4)]).reshape(3, 4)
    close(ys, (T(x) * T(mask) / 0.75).numpy())  # torch's inverted-dropout formula, with the same mask
    close(ys, lib)
    ev = explain_dropout(x, 0.25, seed=7, training=False)
    assert ev["y_23"] == x[1, 2] and "m_11" not in ev.values()


def test_softmax_cross_entropy_batch_matches_torch():
    z, t = np.array([[1.0, 2, 0.5], [0, 0, 1], [-1, 3, 0.25]]), [1, 2, 0]
    zt = T(z).requires_grad_()
    loss = TF.cross_entropy(zt, torch.tensor(t))
    loss.backward()
    sol = explain_softmax_cross_entropy(z, t)
    sol.verify()
    assert sol["E"] == pytest.approx(loss.item(), rel=1e-12)
    close([sol[f"E_{n + 1}"] for n in range(3)], TF.cross_entropy(T(z), torch.tensor(t), reduction="none").numpy())
    close([sol[f"p_{n + 1}{j + 1}"] for n in range(3) for j in range(3)], torch.softmax(T(z), 1).numpy().ravel())
    close([sol[f"∂E/∂z_{n + 1}{j + 1}"] for n in range(3) for j in range(3)], zt.grad.numpy().ravel())
    one = explain_softmax_cross_entropy([1.0, 2, 0.5], 1)
    assert one["E"] == pytest.approx(TF.cross_entropy(T([[1.0, 2, 0.5]]), torch.tensor([1])).item(), rel=1e-12)


def test_explain_layer_reads_the_module():
    conv = nn.Conv2d(1, 2, 2, padding=1, dtype=cg.float64)
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    ref = conv(cg.tensor(x)).detach().numpy()
    close(outputs(explain_layer(conv, x), ref.shape), ref)
    bn = nn.BatchNorm1d(2, momentum=0.5, dtype=cg.float64).eval()
    bn.running_mean.data[...] = [1.0, -1.0]
    ref = bn(cg.tensor([[1.0, 2], [3, 4]], dtype=cg.float64)).detach().numpy()
    sol = explain_layer(bn, [[1.0, 2], [3, 4]])
    close([sol["y_11"], sol["y_22"]], [ref[0, 0], ref[1, 1]])
    assert bn.running_mean.numpy().tolist() == [1.0, -1.0]  # the module is not changed
    pool = nn.MaxPool2d(2)
    close(outputs(explain_layer(pool, X44), (1, 1, 2, 2), "pool"), pool(cg.tensor(X44)).numpy())
    free = nn.BatchNorm1d(2, track_running_stats=False, dtype=cg.float64)
    ref = free(cg.tensor([[1.0, 2], [3, 5]], dtype=cg.float64)).detach().numpy()
    sol = explain_layer(free, [[1.0, 2], [3, 5]])
    close([sol["y_11"], sol["y_22"]], [ref[0, 0], ref[1, 1]])
    assert not any(sec.title.startswith("Running") for sec in sol.sections)
    drop = nn.Dropout(0.5)
    assert explain_layer(drop, [[1.0, 2, 3]], seed=3)["m_3"] == explain_dropout([[1.0, 2, 3]], 0.5, seed=3)["m_3"]
    with pytest.raises(ConfigError, match="cannot explain ReLU"):
        explain_layer(nn.ReLU(), x)
    with pytest.raises(ConfigError, match="needs the indices"):
        explain_layer(nn.MaxUnpool2d(2), x)


# ----------------------------------------------------------------------------- golden renderings
GOLDEN_CASES = [
    ("layer_conv2d.yaml", "text", "layer_conv2d.txt"),
    ("layer_conv2d.yaml", "tex", "layer_conv2d.tex"),
    ("layer_conv2d_padding.yaml", "text", "layer_conv2d_padding.txt"),
    ("layer_conv1d.yaml", "text", "layer_conv1d.txt"),
    ("layer_conv_transpose2d.yaml", "text", "layer_conv_transpose2d.txt"),
    ("layer_maxpool2d.yaml", "text", "layer_maxpool2d.txt"),
    ("layer_avgpool2d.yaml", "text", "layer_avgpool2d.txt"),
    ("layer_global_avgpool2d.yaml", "text", "layer_global_avgpool2d.txt"),
    ("layer_max_unpool2d.yaml", "text", "layer_max_unpool2d.txt"),
    ("layer_batchnorm1d.yaml", "text", "layer_batchnorm1d.txt"),
    ("layer_batchnorm2d_eval.yaml", "text", "layer_batchnorm2d_eval.txt"),
    ("layer_layernorm.yaml", "text", "layer_layernorm.txt"),
    ("layer_dropout.yaml", "text", "layer_dropout.txt"),
    ("layer_cross_entropy.yaml", "text", "layer_cross_entropy.txt"),
]


@pytest.mark.parametrize("problem,fmt,golden", GOLDEN_CASES, ids=[c[-1] for c in GOLDEN_CASES])
def test_layer_rendering_matches_golden_file(problem, fmt, golden):
    p = load_problem(PROBLEMS / problem)
    sol = solve_problem(p)
    sol.verify()
    text = render(sol, format=fmt, precision=p.precision or 6)
    path = GOLDEN / golden
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"golden file {path.name} is missing; run with CHALKGRAD_UPDATE_GOLDEN=1 to create it")
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_layer_latex_is_balanced():
    text = (GOLDEN / "layer_conv2d.tex").read_text(encoding="utf-8")
    assert text.count("{") == text.count("}") and text.count(r"\left") == text.count(r"\right")
    assert text.count(r"\begin{align*}") == text.count(r"\end{align*}")
    body = text.split(r"\begin{document}")[1]
    for ch in "·−∂Σ×–":
        assert ch not in body, ch


# ----------------------------------------------------------------------------- problem files


def read(name):
    return (PROBLEMS / name).read_text(encoding="utf-8")


CONV, BN, DROP, UNPOOL, CE = (read("layer_conv2d.yaml"), read("layer_batchnorm1d.yaml"), read("layer_dropout.yaml"),
                              read("layer_max_unpool2d.yaml"), read("layer_cross_entropy.yaml"))


def test_problem_files_give_torch_values(tmp_path):
    s = solve_text(tmp_path, CONV)
    ref = TF.conv2d(T([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]), T([[[[1, 0], [0, -1]]]]), T([0.5])).numpy()
    close(outputs(s, ref.shape), ref)
    assert s["∂y_12/∂w_22"] == 6
    s = solve_text(tmp_path, BN.replace("show: [forward, training, running_stats]", "show: [forward, training]"))
    assert not any(sec.title.startswith("Running") for sec in s.sections)


BAD = [
    (CONV, "conv2d: {", "conv3d: {", r"p\.yaml:6: layer: unknown layer 'conv3d'; expected one of conv1d, conv2d"),
    (CONV, "weight: [[[[1, 0], [0, -1]]]]", "weight: [[[1, 0], [0, -1]]]",
     r"p\.yaml:7: weight: has shape \(1, 2, 2\), expected \(1, 1, 2, 2\)"),
    (CONV, "bias: [0.5]", "bias: [0.5, 1]", r"p\.yaml:8: bias: has shape \(2,\), expected \(1,\)"),
    (CONV, "input: [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]", "input: [[[[1]]]]",
     r"p\.yaml:9: input: .*smaller than the kernel"),
    (CONV, "input: [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]", "input: [1, 2, 3]",
     r"p\.yaml:9: input: expected 3 or 4-D nested lists"),
    (CONV, "input: [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]", "input: [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]], "
     "[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]", r"p\.yaml:9: input: .*has 2 channels, expected 1"),
    (CONV, "input: [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]", "input: [[[[1, 2, 3], [4, .nan, 6], [7, 8, 9]]]]",
     r"p\.yaml:9: input: all numbers must be finite"),
    (CONV, "grad: y_12", "grad: y_33", r"p\.yaml:10: grad: .*'y_33', which is not an output"),
    (CONV, "stride: 1,", "stride: 0,", r"p\.yaml:6: layer\.conv2d: .*stride must be positive"),
    (CONV, "padding: 0}", "padding: 0, kernel: 3}", r"p\.yaml:6: layer\.conv2d: .*kernel"),
    (CONV, "bias: [0.5]\n", "", r"p\.yaml:\d+: problem: missing key 'bias'"),
    (CONV, "show: [forward]", "show: [forward, eval]", r"p\.yaml:11: show: training/eval only apply to"),
    (CONV, "grad: y_12", "seed: 3", r"p\.yaml:10: seed: does not apply to conv2d"),
    (CONV, "input: [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]", "input: " + str(np.zeros((1, 1, 30, 30)).tolist()),
     r"p\.yaml:9: input: .*limited to 400"),
    (CONV, "kernel_size: 2,", "kernel_size: 100000,", r"p\.yaml:6: layer\.conv2d\.kernel_size: 100000 is too large"),
    (CONV, "out_channels: 1,", "out_channels: 4000,", r"p\.yaml:6: layer\.conv2d: a kernel of 16000 weights"),
    (read("layer_layernorm.yaml"), "normalized_shape: 3", "normalized_shape: [1000, 1000, 1000]",
     r"p\.yaml:4: layer\.layernorm\.normalized_shape: .* too large"),
    (BN, "running_var: [1, 1]", "running_var: [1, -1]", r"p\.yaml:8: running_var: a variance cannot be negative"),
    (BN, "running_mean: [0, 1]", "running_mean: [0, 1, 2]", r"p\.yaml:7: running_mean: has shape \(3,\)"),
    (BN, "input: [[1, 2], [3, 5], [4, 0]]", "input: [[1, 2, 3], [3, 5, 4]]", r"p\.yaml:9: input: .*"),
    (BN, "input: [[1, 2], [3, 5], [4, 0]]", "input: [[1, 2]]", r"p\.yaml:9: input: training needs more than 1"),
    (BN, "momentum: 0.1", "momentum: 2", r"p\.yaml:4: layer\.batchnorm1d: .*momentum"),
    (BN, "show: [forward, training, running_stats]", "show: [forward, eval, running_stats]",
     r"p\.yaml:10: show: running_stats applies to batchnorm in training mode only"),
    (BN, "momentum: 0.1,", "momentum: 0.1, track_running_stats: false,",
     r"p\.yaml:7: running_mean: the layer keeps no running statistics"),
    (BN.replace("running_mean: [0, 1]\nrunning_var: [1, 1]\n", ""), "momentum: 0.1,",
     "momentum: 0.1, track_running_stats: false,", r"p\.yaml:8: show: the layer keeps no running statistics"),
    (DROP, "seed: 3\n", "", r"p\.yaml:\d+: problem: missing key 'seed'"),
    (DROP, "seed: 3", "seed: -3", r"p\.yaml:5: seed: expected a non-negative integer"),
    (DROP, "p: 0.5", "p: 1.5", r"p\.yaml:4: layer\.dropout: .*between 0 and 1"),
    (UNPOOL, "indices: [[[1, 6], [12, 11]]]", "indices: [[[1, 6], [12, 16]]]", r"p\.yaml:7: indices: .*\[0, 16\)"),
    (UNPOOL, "indices: [[[1, 6], [12, 11]]]", "indices: [[[1, 6]]]", r"p\.yaml:7: indices: has shape \(1, 1, 2\)"),
    (UNPOOL, "indices: [[[1, 6], [12, 11]]]", "indices: [[[1.5, 6], [12, 11]]]", r"p\.yaml:7: indices: .*whole"),
    (CE, "target: [1, 2]", "target: [1, 3]", r"p\.yaml:7: target: expected 2 class index\(es\) in \[0, 3\)"),
    (CE, "layer: cross_entropy", "layer: [cross_entropy]", r"p\.yaml:5: layer: expected a layer name"),
    (CE, "target: [1, 2]", "targets: [1, 2]", r"p\.yaml:7: problem: unknown key 'targets'"),
]


@pytest.mark.parametrize("base,old,new,message", BAD, ids=[f"{i}-{b[2][:24]}" for i, b in enumerate(BAD)])
def test_bad_layer_problem_files(tmp_path, capsys, base, old, new, message):
    assert old in base
    error = assert_bad_problem(tmp_path, capsys, base.replace(old, new), message)
    assert str(error).count("p.yaml") == 1


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**3), 10**3), st.sampled_from([2**12, 2**14, 10**9]),
                     st.floats(allow_nan=True, width=32),
                     st.text(max_size=6), st.sampled_from(["y_11", "same", "conv2d", "eval"]))
_values = st.recursive(
    _scalars,
    lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(st.text(max_size=6), c, max_size=3)),
    max_leaves=10,
)
_SOURCES = {"conv": CONV, "bn": BN, "drop": DROP, "unpool": UNPOOL, "ce": CE,
            "convt": read("layer_conv_transpose2d.yaml"), "ln": read("layer_layernorm.yaml"),
            "avg": read("layer_avgpool2d.yaml")}


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    which=st.sampled_from(sorted(_SOURCES)),
    key_path=st.sampled_from([("layer",), ("weight",), ("bias",), ("input",), ("show",), ("grad",), ("seed",),
                              ("indices",), ("target",), ("running_var",), ("kind",), ("layer", "*", "kernel_size"),
                              ("layer", "*", "stride"), ("layer", "*", "padding"), ("layer", "*"), ("input", 0),
                              ("weight", 0)]),
    value=_values,
)
def test_mutated_layer_files_never_crash(tmp_path, capsys, which, key_path, value):
    doc = yaml.safe_load(_SOURCES[which])
    solve_mutated(tmp_path, capsys, doc, key_path, value)
