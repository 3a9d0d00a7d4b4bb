"""Losses (functions and modules) against PyTorch: values, input gradients, second derivatives, errors.

The main table, ``CASES``, lists each loss with a few settings; every case runs for each
reduction, in float32 and float64, in function and module form.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import chalkgrad as cg
from chalkgrad import nn
from chalkgrad.autograd import grad, gradcheck
from chalkgrad.errors import DTypeError, ShapeError
from chalkgrad.nn import functional as F
from chalkgrad.nn.functional.loss import ClassIndexError

pytestmark = [
    pytest.mark.filterwarnings("ignore:kl_div. reduction='mean'"),
    pytest.mark.filterwarnings("ignore:reduction. 'mean' divides"),  # PyTorch's kl_div warning
]


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny tensors: torch's thread pool only adds overhead here (restored afterwards)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


TOL = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-10, atol=1e-12)}
REDUCTIONS = ("none", "mean", "sum")
DTYPES = ("float32", "float64")


# ----------------------------------------------------------------------------- the table
@dataclass
class Case:
    """One loss with one setting: how to draw its arguments, which of them get gradients."""

    id: str
    fn: str  # the function's name, the same in chalkgrad and torch.nn.functional
    module: str  # the module's name, the same in chalkgrad.nn and torch.nn
    make: object  # rng -> list of NumPy arrays (positional arguments)
    diff: tuple = (0,)  # which positional arguments are differentiated
    kwargs: dict = field(default_factory=dict)  # arrays here become tensors of the case's dtype
    function_only: tuple = ()  # kwargs the module does not take


def randn(*shape):
    return lambda rng: rng.standard_normal(shape)


def classes(n, c, *spatial):
    return lambda rng: rng.integers(0, c, (n,) + spatial)


def signs(*shape):
    return lambda rng: rng.choice([-1.0, 1.0], shape)


def uniform(lo, hi, *shape):
    return lambda rng: rng.uniform(lo, hi, shape)


def log_probs(*shape):
    def draw(rng):
        x = rng.standard_normal(shape)
        return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))
    return draw


def probs(*shape, axis=-1):
    def draw(rng):
        e = np.exp(rng.standard_normal(shape))
        return e / e.sum(axis=axis, keepdims=True)
    return draw


def args(*makers):
    return lambda rng: [m(rng) for m in makers]


W4 = np.array([0.5, 2.0, 1.0, 3.0])
W5 = np.array([1.0, 0.5, 2.0, 0.0, 1.5])

CASES = [
    Case("mse", "mse_loss", "MSELoss", args(randn(4, 5), randn(4, 5)), diff=(0, 1)),
    Case("mse-weight", "mse_loss", "MSELoss", args(randn(4, 5), randn(4, 5)), diff=(0, 1),
         kwargs={"weight": np.abs(np.random.default_rng(1).standard_normal((4, 5)))}, function_only=("weight",)),
    Case("l1", "l1_loss", "L1Loss", args(randn(4, 5), randn(4, 5)), diff=(0, 1)),
    Case("l1-weight", "l1_loss", "L1Loss", args(randn(3, 2), randn(3, 2)),
         kwargs={"weight": np.arange(6.0).reshape(3, 2)}, function_only=("weight",)),
    Case("huber", "huber_loss", "HuberLoss", args(randn(6, 3), randn(6, 3)), diff=(0, 1), kwargs={"delta": 0.7}),
    Case("huber-weight", "huber_loss", "HuberLoss", args(randn(6, 3), randn(6, 3)),
         kwargs={"delta": 1.5, "weight": np.linspace(0, 2, 18).reshape(6, 3)}, function_only=("weight",)),
    Case("smooth_l1", "smooth_l1_loss", "SmoothL1Loss", args(randn(6, 3), randn(6, 3)), diff=(0, 1),
         kwargs={"beta": 0.5}),
    Case("smooth_l1-beta0", "smooth_l1_loss", "SmoothL1Loss", args(randn(5), randn(5)), kwargs={"beta": 0.0}),
    Case("bce", "binary_cross_entropy", "BCELoss", args(uniform(0.05, 0.95, 4, 5), uniform(0, 1, 4, 5)),
         diff=(0, 1)),
    Case("bce-weight", "binary_cross_entropy", "BCELoss", args(uniform(0.05, 0.95, 4, 5), uniform(0, 1, 4, 5)),
         kwargs={"weight": W5}),
    Case("bce_logits", "binary_cross_entropy_with_logits", "BCEWithLogitsLoss",
         args(randn(4, 5), uniform(0, 1, 4, 5)), diff=(0, 1)),
    Case("bce_logits-weights", "binary_cross_entropy_with_logits", "BCEWithLogitsLoss",
         args(randn(4, 5), uniform(0, 1, 4, 5)), diff=(0, 1),
         kwargs={"weight": W5, "pos_weight": np.array([0.5, 1.0, 2.0, 3.0, 1.5])}),
    Case("ce", "cross_entropy", "CrossEntropyLoss", args(randn(6, 4), classes(6, 4))),
    Case("ce-weight", "cross_entropy", "CrossEntropyLoss", args(randn(6, 4), classes(6, 4)), kwargs={"weight": W4}),
    Case("ce-ignore", "cross_entropy", "CrossEntropyLoss",
         args(randn(6, 4), lambda rng: np.array([0, 3, -100, 1, -100, 2])), kwargs={"weight": W4}),
    Case("ce-ignore-class", "cross_entropy", "CrossEntropyLoss",
         args(randn(6, 4), lambda rng: np.array([0, 3, 2, 1, 2, 2])), kwargs={"ignore_index": 2}),
    Case("ce-smoothing", "cross_entropy", "CrossEntropyLoss", args(randn(6, 4), classes(6, 4)),
         kwargs={"label_smoothing": 0.15}),
    Case("ce-all-options", "cross_entropy", "CrossEntropyLoss",
         args(randn(6, 4), lambda rng: np.array([0, 3, -1, 1, -1, 2])),
         kwargs={"weight": W4, "ignore_index": -1, "label_smoothing": 0.3}),
    Case("ce-spatial", "cross_entropy", "CrossEntropyLoss", args(randn(2, 3, 4, 5), classes(2, 3, 4, 5))),
    Case("ce-spatial-options", "cross_entropy", "CrossEntropyLoss",
         args(randn(2, 3, 4), lambda rng: np.array([[0, 2, -100, 1], [1, 1, 2, -100]])),
         kwargs={"weight": W4[:3], "label_smoothing": 0.1}),
    Case("ce-unbatched", "cross_entropy", "CrossEntropyLoss", args(randn(5), lambda rng: np.array(3))),
    Case("ce-unbatched-options", "cross_entropy", "CrossEntropyLoss", args(randn(5), lambda rng: np.array(3)),
         kwargs={"weight": W5 + 0.5, "label_smoothing": 0.2}),
    Case("ce-probs", "cross_entropy", "CrossEntropyLoss", args(randn(6, 4), probs(6, 4)), diff=(0, 1)),
    Case("ce-probs-options", "cross_entropy", "CrossEntropyLoss", args(randn(6, 4), probs(6, 4)), diff=(0, 1),
         kwargs={"weight": W4, "label_smoothing": 0.25}),
    Case("ce-probs-spatial", "cross_entropy", "CrossEntropyLoss", args(randn(2, 3, 4), probs(2, 3, 4, axis=1))),
    Case("nll", "nll_loss", "NLLLoss", args(log_probs(6, 4), classes(6, 4))),
    Case("nll-options", "nll_loss", "NLLLoss", args(log_probs(6, 4), lambda rng: np.array([0, 3, 7, 1, 7, 2])),
         kwargs={"weight": W4, "ignore_index": 7}),
    Case("nll-spatial", "nll_loss", "NLLLoss", args(randn(2, 3, 4), classes(2, 3, 4)), kwargs={"weight": W4[:3]}),
    Case("nll-unbatched", "nll_loss", "NLLLoss", args(log_probs(4), lambda rng: np.array(1))),
    Case("kl", "kl_div", "KLDivLoss", args(log_probs(3, 4), probs(3, 4)), diff=(0, 1)),
    Case("kl-zero-target", "kl_div", "KLDivLoss", args(log_probs(2, 3), lambda rng: np.array([[0.2, 0.8, 0.0],
                                                                                               [0.5, 0.5, 0.0]]))),
    Case("kl-log_target", "kl_div", "KLDivLoss", args(log_probs(3, 4), log_probs(3, 4)), diff=(0, 1),
         kwargs={"log_target": True}),
    Case("multi_margin", "multi_margin_loss", "MultiMarginLoss", args(randn(5, 4), classes(5, 4))),
    Case("multi_margin-p2", "multi_margin_loss", "MultiMarginLoss", args(randn(5, 4), classes(5, 4)),
         kwargs={"p": 2, "margin": 0.8, "weight": W4}),
    Case("multi_margin-unbatched", "multi_margin_loss", "MultiMarginLoss", args(randn(4), lambda rng: np.array(2)),
         kwargs={"weight": W4}),
    Case("hinge", "hinge_embedding_loss", "HingeEmbeddingLoss", args(randn(3, 4), signs(3, 4)),
         kwargs={"margin": 0.5}),
    Case("margin_ranking", "margin_ranking_loss", "MarginRankingLoss", args(randn(7), randn(7), signs(7)),
         diff=(0, 1), kwargs={"margin": 0.2}),
    Case("triplet", "triplet_margin_loss", "TripletMarginLoss", args(randn(5, 3), randn(5, 3), randn(5, 3)),
         diff=(0, 1, 2)),
    Case("triplet-p1-swap", "triplet_margin_loss", "TripletMarginLoss",
         args(randn(5, 3), randn(5, 3), randn(5, 3)), diff=(0, 1, 2),
         kwargs={"p": 1, "swap": True, "margin": 2.0, "eps": 1e-3}),
    Case("triplet-p3-1d", "triplet_margin_loss", "TripletMarginLoss", args(randn(4), randn(4), randn(4)),
         diff=(0, 1, 2), kwargs={"p": 3, "margin": 3.0}),
    Case("cosine", "cosine_embedding_loss", "CosineEmbeddingLoss", args(randn(5, 3), randn(5, 3), signs(5)),
         diff=(0, 1), kwargs={"margin": -0.2}),
    Case("cosine-1d", "cosine_embedding_loss", "CosineEmbeddingLoss",
         args(randn(4), randn(4), lambda rng: np.array(-1.0)), diff=(0, 1)),
]
CASE_IDS = [c.id for c in CASES]


def _prepare(case, dtype, seed=0):
    """chalkgrad tensors, torch tensors and the two kwargs dicts for ``case`` in ``dtype``."""
    arrays = case.make(np.random.default_rng(seed))
    cg_args, th_args = [], []
    for i, a in enumerate(arrays):
        a = np.asarray(a)
        if a.dtype.kind == "f":
            a = a.astype(dtype)
        needs = i in case.diff
        cg_args.append(cg.tensor(a, requires_grad=needs))
        th_args.append(torch.tensor(a, requires_grad=needs))
    cg_kw, th_kw = {}, {}
    for k, v in case.kwargs.items():
        if isinstance(v, np.ndarray):
            cg_kw[k], th_kw[k] = cg.tensor(v.astype(dtype)), torch.tensor(v.astype(dtype))
        else:
            cg_kw[k] = th_kw[k] = v
    return cg_args, th_args, cg_kw, th_kw


def _call(case, form, lib_args, kwargs, reduction, torch_side):
    if form == "function" or (torch_side and form == "module"):
        fn = getattr(TF if torch_side else F, case.fn)
        return fn(*lib_args, reduction=reduction, **kwargs)
    module = getattr(nn, case.module)(reduction=reduction, **kwargs)
    return module(*lib_args)


def assert_close(actual, expected, dtype, what=""):
    a = actual.detach().numpy() if isinstance(actual, cg.Tensor) else np.asarray(actual)
    e = expected.detach().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape}, expected {e.shape}"
    assert a.dtype == e.dtype, f"{what}: dtype {a.dtype}, expected {e.dtype}"
    np.testing.assert_allclose(a, e, equal_nan=True, err_msg=what, **TOL[dtype])


# ----------------------------------------------------------------------------- against torch
FORMS = [pytest.param(c, form, id=f"{c.id}-{form}") for c in CASES for form in ("function", "module")
         if form == "function" or not c.function_only]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case,form", FORMS)
def test_value_and_gradients_match_torch(case, form, reduction, dtype):
    cg_args, th_args, cg_kw, th_kw = _prepare(case, dtype)
    ours = _call(case, form, cg_args, cg_kw, reduction, torch_side=False)
    theirs = _call(case, form, th_args, th_kw, reduction, torch_side=True)
    assert_close(ours, theirs, dtype, f"{case.id} value")
    seed = np.random.default_rng(7).standard_normal(theirs.shape).astype(dtype)
    ours.backward(cg.tensor(seed))
    theirs.backward(torch.tensor(seed))
    for i in case.diff:
        assert_close(cg_args[i].grad, th_args[i].grad, dtype, f"{case.id} gradient of argument {i}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_div_batchmean_matches_torch(dtype):
    case = next(c for c in CASES if c.id == "kl")
    for form in ("function", "module"):
        cg_args, th_args, _, _ = _prepare(case, dtype)
        ours = _call(case, form, cg_args, {}, "batchmean", torch_side=False)
        theirs = TF.kl_div(*th_args, reduction="batchmean")
        assert_close(ours, theirs, dtype, "batchmean")
        ours.backward()
        theirs.backward()
        assert_close(cg_args[0].grad, th_args[0].grad, dtype, "batchmean gradient")
    # A 1-D input divides by its length (input.shape[0]), as PyTorch does.
    x, t = np.log([0.2, 0.3, 0.5]), np.array([0.1, 0.6, 0.3])
    assert_close(F.kl_div(cg.tensor(x), cg.tensor(t), reduction="batchmean"),
                 TF.kl_div(torch.tensor(x), torch.tensor(t), reduction="batchmean"), "float64")


# ----------------------------------------------------------------------------- the textbook convention
def test_half_sum_matches_the_hand_computation():
    # The classic 2-2-2 network: outputs o, targets t, E = ½·Σ(t − o)² = 0.298371109.
    o = cg.tensor([0.75136507, 0.772928465], dtype="float64", requires_grad=True)
    t = cg.tensor([0.01, 0.99], dtype="float64")
    e = F.mse_loss(o, t, reduction="half_sum")
    assert e.item() == pytest.approx(0.298371109, abs=1e-9)
    assert nn.MSELoss(reduction="half_sum")(o, t).item() == pytest.approx(0.298371109, abs=1e-9)
    e.backward()
    np.testing.assert_allclose(o.grad.numpy(), [0.74136507, -0.217071535], atol=1e-12)  # dE/do = o − t
    # 'sum' is Σ(t − o)², twice as much; 'mean' divides that by n = 2.
    assert F.mse_loss(o, t, reduction="sum").item() == pytest.approx(2 * 0.298371109, abs=1e-9)
    assert F.mse_loss(o, t).item() == pytest.approx(0.298371109, abs=1e-9)


def test_half_sum_is_only_for_mse():
    x = cg.ones(2)
    with pytest.raises(ValueError, match="'none', 'mean', 'sum'$"):
        F.l1_loss(x, x, reduction="half_sum")


# ----------------------------------------------------------------------------- cross-entropy specifics
@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("weighted", [False, True])
def test_all_ignored_batch_gives_nan_and_zero_gradient_like_torch(fn, weighted):
    x = np.random.default_rng(0).standard_normal((4, 3))
    y = np.full(4, -100)
    ours_x, theirs_x = cg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    kw_c = {"weight": cg.tensor([1.0, 2.0, 3.0], dtype="float64")} if weighted else {}
    kw_t = {"weight": torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)} if weighted else {}
    ours = getattr(F, fn)(ours_x, cg.tensor(y), **kw_c)
    theirs = getattr(TF, fn)(theirs_x, torch.tensor(y), **kw_t)
    assert np.isnan(ours.item()) and np.isnan(theirs.item())
    ours.backward()
    theirs.backward()
    assert_close(ours_x.grad, theirs_x.grad, "float64", "gradient")
    assert getattr(F, fn)(cg.tensor(x), cg.tensor(y), reduction="sum").item() == 0.0


def test_zero_total_weight_gives_nan_like_torch():
    x = np.random.default_rng(1).standard_normal((3, 3))
    y, w = np.zeros(3, dtype=np.int64), np.array([0.0, 1.0, 1.0])
    for fn in ("cross_entropy", "nll_loss"):
        a, b = cg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ours, theirs = getattr(F, fn)(a, cg.tensor(y), weight=cg.tensor(w)), getattr(TF, fn)(b, torch.tensor(y),
                                                                                              weight=torch.tensor(w))
        assert_close(ours, theirs, "float64", fn)
        ours.backward()
        theirs.backward()
        assert_close(a.grad, b.grad, "float64", f"{fn} gradient")


def test_unbatched_ignored_target_gives_nan():
    x = cg.tensor([0.1, 0.2, 0.3])
    assert np.isnan(F.cross_entropy(x, cg.tensor(-100)).item())
    assert F.cross_entropy(x, cg.tensor(-100), reduction="none").item() == 0.0


def test_cross_entropy_fast_path_gradient_is_softmax_minus_onehot_over_n():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((128, 10)), rng.integers(0, 10, 128)
    xt = cg.tensor(x, requires_grad=True)
    F.cross_entropy(xt, cg.tensor(y)).backward()
    p = np.exp(x - x.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(128), y] -= 1
    np.testing.assert_allclose(xt.grad.numpy(), p / 128, rtol=1e-12, atol=1e-15)


def test_cross_entropy_equals_nll_of_log_softmax():
    rng = np.random.default_rng(4)
    x = cg.tensor(rng.standard_normal((5, 3, 2)))
    y = cg.tensor(rng.integers(0, 3, (5, 2)))
    w = cg.tensor([0.3, 1.0, 2.0])
    for kw in ({}, {"weight": w}):
        a = F.cross_entropy(x, y, **kw).item()
        b = F.nll_loss(cg.log_softmax(x, 1), y, **kw).item()
        assert a == pytest.approx(b, rel=1e-6)


def test_empty_batch_like_torch():
    x, y = cg.zeros(0, 3), cg.tensor(np.zeros(0, dtype=np.int64))
    assert np.isnan(F.cross_entropy(x, y).item())
    assert F.cross_entropy(x, y, reduction="sum").item() == 0.0
    assert F.cross_entropy(x, y, reduction="none").shape == (0,)


# ----------------------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_is_stable_at_1e4(dtype):
    x = np.array([1e4, -1e4, 1e4, -1e4, 0.0, 40.0], dtype=dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.3, 0.7], dtype=dtype)
    pw = np.array(2.0, dtype=dtype)
    for kw in ({}, {"pos_weight": pw}):
        a, b = cg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ours = F.binary_cross_entropy_with_logits(a, cg.tensor(y), reduction="none",
                                                  **{k: cg.tensor(v) for k, v in kw.items()})
        theirs = TF.binary_cross_entropy_with_logits(b, torch.tensor(y), reduction="none",
                                                     **{k: torch.tensor(v) for k, v in kw.items()})
        assert np.all(np.isfinite(ours.numpy() if not ours.requires_grad else ours.detach().numpy()))
        assert_close(ours, theirs, dtype, "value")
        ours.sum().backward()
        theirs.sum().backward()
        assert np.all(np.isfinite(a.grad.numpy()))
        assert_close(a.grad, b.grad, dtype, "gradient")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kw", [{}, {"label_smoothing": 0.1}], ids=["plain", "smoothing"])
def test_cross_entropy_is_stable_at_1e4(dtype, kw):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [1e4, 1e4, -1e4]], dtype=dtype)
    y = np.array([1, 1, 2])
    a, b = cg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours, theirs = F.cross_entropy(a, cg.tensor(y), **kw), TF.cross_entropy(b, torch.tensor(y), **kw)
    assert np.isfinite(ours.item())
    assert_close(ours, theirs, dtype, "value")
    ours.backward()
    theirs.backward()
    assert_close(a.grad, b.grad, dtype, "gradient")


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_clamps_log_at_minus_100_like_torch(dtype):
    x = np.array([0.0, 1.0, 0.0, 1.0, 1e-30], dtype=dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0], dtype=dtype)
    a, b = cg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours = F.binary_cross_entropy(a, cg.tensor(y), reduction="none")
    theirs = TF.binary_cross_entropy(b, torch.tensor(y), reduction="none")
    assert_close(ours, theirs, dtype, "value")  # 0, 0, 100, 100, ...
    ours.sum().backward()
    theirs.sum().backward()
    assert_close(a.grad, b.grad, dtype, "gradient")  # ±1e12 at the ends, as PyTorch's (x − y)/max(x(1 − x), 1e-12)


KINKS = [  # inputs exactly at a corner of the loss, where the one-sided derivatives differ
    ("l1 at 0", "l1_loss", [[0.0, 1.0, -1.0], [0.0, 0.0, 0.0]], (0, 1), {}),
    ("huber at delta", "huber_loss", [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]], (0, 1), {"delta": 0.5}),
    ("smooth_l1 at beta", "smooth_l1_loss", [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]], (0, 1), {"beta": 0.5}),
    ("hinge at margin", "hinge_embedding_loss", [[1.0, 0.5, 2.0], [-1.0, -1.0, -1.0]], (0,), {}),
    ("ranking at 0", "margin_ranking_loss", [[1.0, 2.0], [1.0, 2.0], [1.0, -1.0]], (0, 1), {}),
    ("multi_margin at 0", "multi_margin_loss", [[[0.0, 1.0, 0.0]], [1]], (0,), {}),
    ("multi_margin p2 at 0", "multi_margin_loss", [[[0.0, 1.0, 0.5]], [1]], (0,), {"p": 2}),
]


@pytest.mark.parametrize("name,fn,values,diff,kw", KINKS, ids=[k[0] for k in KINKS])
def test_gradients_at_kinks_follow_torch(name, fn, values, diff, kw):
    arrays = [np.asarray(v) for v in values]
    ours = [cg.tensor(a, requires_grad=i in diff) for i, a in enumerate(arrays)]
    theirs = [torch.tensor(a, requires_grad=i in diff) for i, a in enumerate(arrays)]
    lo, lt = getattr(F, fn)(*ours, reduction="sum", **kw), getattr(TF, fn)(*theirs, reduction="sum", **kw)
    assert_close(lo, lt, "float64", "value")
    lo.backward()
    lt.backward()
    for i in diff:
        assert_close(ours[i].grad, theirs[i].grad, "float64", f"gradient of argument {i}")


# ----------------------------------------------------------------------------- finite differences
GRADCHECK_CASES = [c for c in CASES if not c.id.startswith(("smooth_l1-beta0",))]


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("case", GRADCHECK_CASES, ids=[c.id for c in GRADCHECK_CASES])
def test_gradcheck_float64(case, reduction):
    cg_args, _, cg_kw, _ = _prepare(case, "float64", seed=11)

    def fn(*inputs):
        return getattr(F, case.fn)(*inputs, reduction=reduction, **cg_kw)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradcheck(fn, cg_args, eps=1e-6, atol=1e-6, rtol=1e-4)


# ----------------------------------------------------------------------------- second derivatives
SECOND_ORDER = [
    ("mse", lambda lib: (lambda x, y: lib.mse_loss(x, y))),
    ("bce_logits", lambda lib: (lambda x, y: lib.binary_cross_entropy_with_logits(
        x, y, pos_weight=_t(lib, [0.5, 2.0, 1.0, 3.0, 1.5]), weight=_t(lib, W5)))),
    ("ce", lambda lib: (lambda x, y: lib.cross_entropy(x, y))),
    ("ce-options", lambda lib: (lambda x, y: lib.cross_entropy(x, y, weight=_t(lib, W5), label_smoothing=0.2,
                                                               ignore_index=1))),
    ("ce-none", lambda lib: (lambda x, y: lib.cross_entropy(x, y, reduction="none"))),
    ("ce-probs", lambda lib: (lambda x, y: lib.cross_entropy(x, y, label_smoothing=0.1))),
]


def _t(lib, v):
    return cg.tensor(np.asarray(v), dtype="float64") if lib is F else torch.tensor(np.asarray(v))


@pytest.mark.parametrize("name,build", SECOND_ORDER, ids=[s[0] for s in SECOND_ORDER])
def test_second_derivative_matches_torch(name, build):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 5))
    if name.startswith("ce") and name != "ce-probs":
        y = rng.integers(0, 5, 4)
    elif name == "ce-probs":
        y = np.exp(rng.standard_normal((4, 5)))
        y /= y.sum(1, keepdims=True)
    elif name == "mse":
        y = rng.standard_normal((4, 5))
    else:
        y = rng.uniform(0, 1, (4, 5))
    v = rng.standard_normal((4, 5))

    a = cg.tensor(x, requires_grad=True)
    loss = build(F)(a, cg.tensor(y))
    if loss.ndim:
        loss = (loss * cg.tensor(np.arange(1.0, loss.shape[0] + 1))).sum()
    (g,) = grad(loss, a, create_graph=True)
    (h,) = grad((g * cg.tensor(v)).sum(), a)

    b = torch.tensor(x, requires_grad=True)
    tl = build(TF)(b, torch.tensor(y))
    if tl.ndim:
        tl = (tl * torch.arange(1.0, tl.shape[0] + 1, dtype=torch.float64)).sum()
    (tg,) = torch.autograd.grad(tl, b, create_graph=True)
    (th,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), b)

    assert_close(g, tg, "float64", "first derivative")
    assert_close(h, th, "float64", "Hessian-vector product")


# ----------------------------------------------------------------------------- errors
X43 = np.random.default_rng(9).standard_normal((4, 3))
ERRORS = [
    ("mse shape", lambda: F.mse_loss(cg.zeros(3, 1), cg.zeros(3)), ShapeError,
     [r"mse_loss", r"\(3, 1\)", r"\(3,\)"]),
    ("l1 shape", lambda: nn.L1Loss()(cg.zeros(2, 3), cg.zeros(3, 2)), ShapeError,
     [r"l1_loss", r"\(2, 3\)", r"\(3, 2\)"]),
    ("bad reduction", lambda: F.mse_loss(cg.zeros(2), cg.zeros(2), reduction="avg"), ValueError,
     [r"mse_loss", r"'avg'", r"'none', 'mean', 'sum', 'half_sum'"]),
    ("bad reduction kl", lambda: F.kl_div(cg.zeros(2), cg.zeros(2), reduction="avg"), ValueError,
     [r"'batchmean'"]),
    ("bad reduction module", lambda: nn.CrossEntropyLoss(reduction="elementwise_mean"), ValueError,
     [r"CrossEntropyLoss", r"'elementwise_mean'", r"'none', 'mean', 'sum'"]),
    ("int input", lambda: F.mse_loss(cg.tensor([1, 2]), cg.tensor([1.0, 2.0])), DTypeError, [r"int64"]),
    ("ce index too big", lambda: F.cross_entropy(cg.tensor(X43), cg.tensor([0, 1, 7, 2])), ClassIndexError,
     [r"cross_entropy", r"\b7\b", r"3 classes", r"\[0, 2\]"]),
    ("ce negative index", lambda: F.cross_entropy(cg.tensor(X43), cg.tensor([0, -1, 1, 2])), IndexError,
     [r"-1", r"\[0, 2\]", r"ignore_index=-100"]),
    ("ce float class indices", lambda: F.cross_entropy(cg.tensor(X43), cg.tensor([0.0, 1.0, 1.0, 2.0])), DTypeError,
     [r"int64", r"float32", r"long\(\)"]),
    ("ce bool targets", lambda: F.cross_entropy(cg.tensor(X43), cg.tensor([True, False, True, True])), DTypeError,
     [r"int64", r"bool"]),
    ("ce target shape", lambda: F.cross_entropy(cg.tensor(X43), cg.tensor([0, 1, 1])), ShapeError,
     [r"\(4, 3\)", r"\(4,\)", r"\(3,\)"]),
    ("ce spatial target shape", lambda: F.cross_entropy(cg.zeros(2, 3, 5), cg.tensor(np.zeros((2, 4), np.int64))),
     ShapeError, [r"\(2, 5\)", r"\(2, 4\)"]),
    ("ce weight shape", lambda: F.cross_entropy(cg.tensor(X43), cg.tensor([0, 1, 1, 2]), weight=cg.ones(4)),
     ShapeError, [r"\(3,\)", r"\(4,\)"]),
    ("ce label smoothing", lambda: F.cross_entropy(cg.tensor(X43), cg.tensor([0, 1, 1, 2]), label_smoothing=1.5),
     ValueError, [r"label_smoothing", r"1\.5"]),
    ("ce ignore_index with probs", lambda: F.cross_entropy(cg.tensor(X43), cg.ones(4, 3) / 3, ignore_index=0),
     ValueError, [r"ignore_index=0", r"probabilit"]),
    ("ce probs out of range", lambda: F.cross_entropy(cg.tensor(X43), cg.ones(4, 3) * -0.5), ValueError,
     [r"between 0 and 1", r"-0\.5"]),
    ("ce 0-d input", lambda: F.cross_entropy(cg.tensor(1.0), cg.tensor(0)), ShapeError, [r"class dimension"]),
    ("nll index", lambda: F.nll_loss(cg.tensor(X43), cg.tensor([0, 3, 1, 2])), ClassIndexError,
     [r"nll_loss", r"\b3\b", r"\[0, 2\]"]),
    ("bce input above 1", lambda: F.binary_cross_entropy(cg.tensor([0.5, 1.5]), cg.tensor([1.0, 0.0])), ValueError,
     [r"binary_cross_entropy", r"input", r"between 0 and 1", r"1\.5"]),
    ("bce input nan", lambda: F.binary_cross_entropy(cg.tensor([np.nan]), cg.tensor([1.0])), ValueError,
     [r"between 0 and 1", r"nan"]),
    ("bce target", lambda: nn.BCELoss()(cg.tensor([0.5, 0.5]), cg.tensor([1.0, 2.0])), ValueError,
     [r"target", r"between 0 and 1", r"2\.0"]),
    ("bce weight", lambda: F.binary_cross_entropy(cg.full((3, 2), 0.5), cg.full((3, 2), 0.5), weight=cg.ones(3)),
     ShapeError, [r"weight", r"\(3,\)", r"\(3, 2\)"]),
    ("bce logits target", lambda: F.binary_cross_entropy_with_logits(cg.zeros(2), cg.tensor([1.0, -1.0])), ValueError,
     [r"binary_cross_entropy_with_logits", r"target", r"-1\.0"]),
    ("huber delta", lambda: F.huber_loss(cg.zeros(2), cg.zeros(2), delta=0.0), ValueError, [r"delta", r"0\.0"]),
    ("huber module delta", lambda: nn.HuberLoss(delta=-1.0), ValueError, [r"HuberLoss", r"delta"]),
    ("smooth l1 beta", lambda: F.smooth_l1_loss(cg.zeros(2), cg.zeros(2), beta=-1.0), ValueError, [r"beta", r"-1"]),
    ("mse weight shape", lambda: F.mse_loss(cg.zeros(2, 2), cg.zeros(2, 2), weight=cg.ones(2)), ShapeError,
     [r"weight", r"\(2,\)", r"\(2, 2\)"]),
    ("kl target", lambda: F.kl_div(cg.zeros(2), cg.tensor([0.5, -0.5]), reduction="sum"), ValueError,
     [r"kl_div", r"-0\.5", r"log_target"]),
    ("kl shape", lambda: F.kl_div(cg.zeros(2, 3), cg.zeros(3), reduction="sum"), ShapeError, [r"\(2, 3\)"]),
    ("multi margin p", lambda: F.multi_margin_loss(cg.tensor(X43), cg.tensor([0, 1, 1, 2]), p=3), ValueError,
     [r"p must be 1 or 2", r"3"]),
    ("multi margin index", lambda: nn.MultiMarginLoss()(cg.tensor(X43), cg.tensor([0, 1, 5, 2])), ClassIndexError,
     [r"\b5\b", r"\[0, 2\]"]),
    ("hinge target", lambda: F.hinge_embedding_loss(cg.zeros(3), cg.tensor([1.0, 0.0, -1.0])), ValueError,
     [r"hinge_embedding_loss", r"1 or -1", r"0\.0"]),
    ("ranking target", lambda: F.margin_ranking_loss(cg.zeros(2), cg.zeros(2), cg.tensor([1.0, 0.5])), ValueError,
     [r"1 or -1", r"0\.5"]),
    ("ranking shape", lambda: F.margin_ranking_loss(cg.zeros(2), cg.zeros(3), cg.ones(2)), ShapeError,
     [r"input1", r"input2", r"\(3,\)"]),
    ("triplet margin", lambda: F.triplet_margin_loss(cg.zeros(2, 3), cg.zeros(2, 3), cg.zeros(2, 3), margin=0.0),
     ValueError, [r"margin", r"greater than 0"]),
    ("triplet shape", lambda: nn.TripletMarginLoss()(cg.zeros(2, 3), cg.zeros(3), cg.zeros(2, 3)), ShapeError,
     [r"anchor", r"positive", r"\(2, 3\)", r"\(3,\)"]),
    ("triplet p", lambda: F.triplet_margin_loss(cg.zeros(2, 3), cg.zeros(2, 3), cg.zeros(2, 3), p=0), ValueError,
     [r"p must be a positive"]),
    ("cosine 3d", lambda: F.cosine_embedding_loss(cg.zeros(2, 3, 4), cg.zeros(2, 3, 4), cg.ones(2, 3)), ShapeError,
     [r"\(N, D\)", r"\(2, 3, 4\)"]),
    ("cosine target", lambda: F.cosine_embedding_loss(cg.zeros(2, 3), cg.zeros(2, 3), cg.tensor([1.0, 2.0])),
     ValueError, [r"1 or -1", r"2\.0"]),
    ("not a tensor", lambda: F.mse_loss("abc", cg.zeros(2)), TypeError, [r"mse_loss", r"str"]),
]


@pytest.mark.parametrize("name,call,exc,patterns", ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_input_messages(name, call, exc, patterns):
    with pytest.raises(exc) as info:
        call()
    for pattern in patterns:
        assert re.search(pattern, str(info.value)), f"{pattern!r} not found in: {info.value}"


FIRST_CASE = {c.fn: c for c in reversed(CASES)}  # one case per function


@pytest.mark.parametrize("case", list(FIRST_CASE.values()), ids=list(FIRST_CASE))
def test_every_loss_rejects_an_unknown_reduction(case):
    cg_args, _, cg_kw, _ = _prepare(case, "float64")
    with pytest.raises(ValueError, match=rf"{case.fn}: reduction='avg' is not valid; expected one of 'none', 'mean'"):
        getattr(F, case.fn)(*cg_args, reduction="avg", **cg_kw)
    with pytest.raises(ValueError, match=rf"{case.module}: reduction='avg' is not valid"):
        getattr(nn, case.module)(reduction="avg")


def test_class_index_error_is_an_index_error_and_a_value_error():
    assert issubclass(ClassIndexError, IndexError) and issubclass(ClassIndexError, ValueError)
    assert issubclass(ClassIndexError, cg.ChalkgradError)


# ----------------------------------------------------------------------------- modules and legacy flags
def test_module_repr_shows_non_default_settings():
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.MSELoss(reduction="half_sum")) == "MSELoss(reduction='half_sum')"
    assert repr(nn.CrossEntropyLoss(label_smoothing=0.1, ignore_index=3)) == \
        "CrossEntropyLoss(ignore_index=3, label_smoothing=0.1)"
    assert repr(nn.TripletMarginLoss(swap=True)) == "TripletMarginLoss(swap=True)"


def test_module_weights_are_buffers():
    m = nn.CrossEntropyLoss(weight=cg.tensor([1.0, 2.0, 3.0]))
    assert list(m.state_dict()) == ["weight"]
    m.to("float64")
    assert m.weight.dtype == np.float64
    b = nn.BCEWithLogitsLoss(pos_weight=np.array([2.0, 1.0]))
    assert isinstance(b.pos_weight, cg.Tensor) and b.weight is None
    assert list(b.state_dict()) == ["pos_weight"]


def test_legacy_size_average_and_reduce_map_to_reduction():
    x, y = cg.tensor([1.0, 2.0, 4.0]), cg.tensor([0.0, 0.0, 0.0])
    with pytest.warns(DeprecationWarning, match="reduction='sum'"):
        assert F.mse_loss(x, y, size_average=False).item() == pytest.approx(21.0)
    with pytest.warns(DeprecationWarning):
        assert F.l1_loss(x, y, reduce=False).shape == (3,)
    with pytest.warns(DeprecationWarning):
        assert nn.L1Loss(size_average=False).reduction == "sum"


def test_targets_of_another_dtype_are_computed_in_the_input_dtype():
    x = cg.tensor([0.5, 1.5], requires_grad=True)  # float32
    loss = F.mse_loss(x, cg.tensor([1, 1]))  # int64 target
    assert loss.dtype == np.float32
    loss = F.mse_loss(x, cg.tensor([1.0, 1.0], dtype="float64"))
    assert loss.dtype == np.float32
    loss.backward()
    assert x.grad.dtype == np.float32


def test_exports():
    names = {"mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
             "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "kl_div", "multi_margin_loss",
             "hinge_embedding_loss", "margin_ranking_loss", "triplet_margin_loss", "cosine_embedding_loss"}
    assert names <= set(dir(F))
    modules = {c.module for c in CASES}
    assert len(modules) == 14 and all(issubclass(getattr(nn, m), nn.Module) for m in modules)
