"""Every op against PyTorch: forward values, gradients, and gradcheck — driven by one table.

Each row of ``OPS`` names an op, gives the chalkgrad callable (and the torch one when the
spelling differs) and a generator of inputs. To cover a new op, add a row::

    Op("exp", lambda x: x.exp(), unary(REAL)),
    Op("pad", lambda x, pad: F.pad(x, pad), pad_case("constant"), torch=lambda x, pad: TF.pad(x, pad)),

A generator ``gen(draw, kinks)`` returns a :class:`Case`: the differentiable inputs (float64
arrays; the tests cast them to each dtype) and keyword parameters passed to both callables
(NumPy arrays among them become tensors of each library). With ``kinks=True`` inputs may sit on
ties, zeros and clamp boundaries, where the gradient follows a convention to compare with PyTorch;
with ``kinks=False`` they stay in the smooth interior, as finite differences need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

import chalkgrad as cg
import chalkgrad.nn.functional as F
from helpers import DTYPES, assert_close, dtype_name, examples

MAX_SIDE = 3  # small sides keep finite differences cheap; 0 and 1 are drawn too


# ----------------------------------------------------------------------------- the table's types
class Case(NamedTuple):
    arrays: list  # float64 arrays: the differentiable inputs, positional
    params: dict  # everything else, passed by keyword to both callables


@dataclass(frozen=True)
class Op:
    name: str
    fn: Callable  # the chalkgrad callable: fn(*tensors, **params)
    gen: Callable  # gen(draw, kinks) -> Case
    torch: Callable | None = None  # the torch callable when it is spelled differently
    grad: bool = True  # differentiable: compare gradients, gradcheck, second derivatives
    gradcheck: dict = field(default_factory=dict)  # extra keywords for cg.autograd.gradcheck
    tol: float = 1.0  # scale of the tolerance when comparing with torch

    @property
    def torch_fn(self):
        return self.torch or self.fn

    def __repr__(self) -> str:
        return self.name


# ----------------------------------------------------------------------------- generators
REAL = (-2.0, 2.0, False)  # (low, high, random sign): uniform values in [low, high]
WIDE = (-5.0, 5.0, False)
POSITIVE = (0.2, 3.0, False)
NONZERO = (0.5, 2.0, True)  # magnitude in [0.5, 2], either sign


def draw_shape(draw, min_dims=0, max_dims=3, min_side=0, max_side=MAX_SIDE):
    return draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side))


def draw_values(draw, shape, domain=REAL, kinks=False):
    """Random values in ``domain``; with ``kinks`` maybe rounded to multiples of ½ (ties, zeros, bounds)."""
    lo, hi, signed = domain
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    x = rng.uniform(lo, hi, size=shape)
    if kinks and draw(st.booleans(), label="round to halves"):
        x = np.clip(np.round(x * 2) / 2, lo, hi)
    if signed:
        x = x * rng.choice([-1.0, 1.0], size=shape)
    return np.asarray(x, dtype=np.float64)


def draw_dim(draw, ndim, none=False, tuples=False):
    """A valid ``dim`` for a tensor with ``ndim`` dimensions: None, an int (maybe negative) or a tuple."""
    n = max(ndim, 1)
    options = [st.integers(-n, n - 1)]
    if none:
        options.append(st.none())
    if tuples and ndim > 0:
        options.append(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple))
    return draw(st.one_of(*options), label="dim")


def reduced_axes(dim, ndim):
    if dim is None:
        return set(range(ndim))
    dims = (dim,) if isinstance(dim, int) else dim
    return {d % max(ndim, 1) for d in dims} if ndim else set()


def unary(domain=REAL, **shape_kw):
    def gen(draw, kinks):
        return Case([draw_values(draw, draw_shape(draw, **shape_kw), domain, kinks)], {})

    return gen


def binary(domain_a=REAL, domain_b=REAL):
    def gen(draw, kinks):
        shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, min_side=0, max_side=MAX_SIDE))
        sa, sb = shapes.input_shapes
        return Case([draw_values(draw, sa, domain_a, kinks), draw_values(draw, sb, domain_b, kinks)], {})

    return gen


def with_scalar(domain=REAL, scalars=(2, -1, 0.5, 1.5, -2.5)):
    """One tensor and a Python number ``s`` (int or float) from ``scalars``."""

    def gen(draw, kinks):
        x = draw_values(draw, draw_shape(draw), domain, kinks)
        return Case([x], {"s": draw(st.sampled_from(scalars), label="s")})

    return gen


def reduction(domain=REAL, none=True, tuples=True, keepdim=True, min_reduced=0, extra=None):
    """One tensor and a ``dim`` (+ ``keepdim``); reduced dimensions get at least ``min_reduced`` elements.

    Only with ``kinks`` may such a reduction see a 0-d tensor (one element, maybe too few for var's correction).
    """

    def gen(draw, kinks):
        shape = list(draw_shape(draw, min_dims=0 if none and (kinks or not min_reduced) else 1))
        dim = draw_dim(draw, len(shape), none=none, tuples=tuples)
        for a in reduced_axes(dim, len(shape)):
            shape[a] = max(shape[a], min_reduced)
        x = draw_values(draw, tuple(shape), domain, kinks)
        params = {"dim": dim}
        if keepdim:
            params["keepdim"] = draw(st.booleans(), label="keepdim")
        if extra:
            params.update({k: draw(s, label=k) for k, s in extra.items()})
        return Case([x], params)

    return gen


def with_zeros(gen):
    """Wrap a generator: with ``kinks``, maybe zero some elements (or all of them)."""

    def wrapped(draw, kinks):
        case = gen(draw, kinks)
        if kinks and case.arrays[0].size:
            mode = draw(st.sampled_from(["none", "some", "all"]), label="zeros")
            x = case.arrays[0].copy()
            if mode == "all":
                x[...] = 0.0
            elif mode == "some":
                rng = np.random.default_rng(x.size)
                x[rng.random(x.shape) < 0.3] = 0.0
            case = Case([x] + case.arrays[1:], case.params)
        return case

    return wrapped


def with_nonfinite(draw, kinks):
    x = draw_values(draw, draw_shape(draw), WIDE)
    rng = np.random.default_rng(draw(st.integers(0, 1000), label="seed"))
    x[rng.random(x.shape) < 0.4] = rng.choice([np.nan, np.inf, -np.inf])
    return Case([x], {})


def matmul_case(draw, kinks):
    """1-D and n-D operands in every combination, with broadcast batch dimensions."""
    n, k, m = (draw(st.integers(0, MAX_SIDE), label=s) for s in "nkm")
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, min_side=1, max_side=MAX_SIDE))
    ba, bb = batch.input_shapes
    a_shape = (k,) if draw(st.booleans(), label="a is 1-D") else ba + (n, k)
    b_shape = (k,) if draw(st.booleans(), label="b is 1-D") else bb + (k, m)
    return Case([draw_values(draw, a_shape), draw_values(draw, b_shape)], {})


def clamp_case(draw, kinks):
    x = draw_values(draw, draw_shape(draw), REAL, kinks)
    bounds = st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0])
    which = draw(st.sampled_from(["min", "max", "both"]), label="bounds")
    lo = draw(bounds, label="min") if which != "max" else None
    hi = draw(bounds, label="max") if which != "min" else None
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    return Case([x], {"min": lo, "max": hi})


def where_case(draw, kinks):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, min_side=0, max_side=MAX_SIDE))
    sc, sa, sb = shapes.input_shapes
    rng = np.random.default_rng(draw(st.integers(0, 1000), label="seed"))
    return Case([draw_values(draw, sa), draw_values(draw, sb)], {"cond": np.asarray(rng.random(sc) < 0.5)})


def reshape_case(draw, kinks):
    shape = draw_shape(draw)
    n = int(np.prod(shape))
    options = [(-1,), (n,), tuple(reversed(shape)), shape + (1,), (1,) + shape]
    if shape and shape[-1] > 0:
        options.append((-1, shape[-1]))
    if n and n % 2 == 0:
        options.append((2, -1))
    return Case([draw_values(draw, shape)], {"shape": draw(st.sampled_from(options), label="shape")})


def flatten_case(draw, kinks):
    shape = draw_shape(draw, min_dims=1)
    a, b = sorted(draw(st.lists(st.integers(0, len(shape) - 1), min_size=2, max_size=2), label="dims"))
    neg = draw(st.booleans(), label="negative end")
    return Case([draw_values(draw, shape)], {"start_dim": a, "end_dim": b - len(shape) if neg else b})


def squeeze_case(draw, kinks):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=2))
    return Case([draw_values(draw, shape)], {"dim": draw_dim(draw, len(shape), none=True, tuples=True)})


def unsqueeze_case(draw, kinks):
    shape = draw_shape(draw)
    return Case([draw_values(draw, shape)], {"dim": draw(st.integers(-len(shape) - 1, len(shape)), label="dim")})


def transpose_case(draw, kinks):
    shape = draw_shape(draw, min_dims=1)
    n = len(shape)
    dims = st.integers(-n, n - 1)
    return Case([draw_values(draw, shape)], {"dim0": draw(dims), "dim1": draw(dims)})


def permute_case(draw, kinks):
    shape = draw_shape(draw, min_dims=1, max_dims=4, max_side=2)
    return Case([draw_values(draw, shape)], {"dims": tuple(draw(st.permutations(range(len(shape))), label="dims"))})


def expand_case(draw, kinks):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=MAX_SIDE))
    lead = draw(st.lists(st.integers(0, 2), max_size=2), label="new leading sizes")
    sizes = [draw(st.integers(0, 3)) if s == 1 else draw(st.sampled_from([s, -1])) for s in shape]
    return Case([draw_values(draw, shape)], {"sizes": tuple(lead) + tuple(sizes)})


def broadcast_case(draw, kinks):
    """A shape that ``x`` broadcasts to (``expand``'s sizes with -1 resolved)."""
    case = expand_case(draw, kinks)
    sizes, shape = case.params["sizes"], case.arrays[0].shape
    lead = len(sizes) - len(shape)
    return Case(case.arrays, {"shape": tuple(shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))})


def repeat_case(draw, kinks):
    shape = draw_shape(draw, max_dims=2)
    sizes = draw(st.lists(st.integers(0, 2), min_size=len(shape), max_size=len(shape) + 1), label="repeats")
    return Case([draw_values(draw, shape)], {"sizes": tuple(sizes)})


def cat_case(draw, kinks):
    shape = list(draw_shape(draw, min_dims=1))
    dim = draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    arrays = []
    for _ in range(draw(st.integers(1, 3), label="count")):
        shape[dim] = draw(st.integers(0, MAX_SIDE))
        arrays.append(draw_values(draw, tuple(shape)))
    return Case(arrays, {"dim": dim})


def stack_case(draw, kinks):
    shape = draw_shape(draw)
    count = draw(st.integers(1, 3), label="count")
    dim = draw(st.integers(-len(shape) - 1, len(shape)), label="dim")
    return Case([draw_values(draw, shape) for _ in range(count)], {"dim": dim})


def split_case(draw, kinks):
    shape = draw_shape(draw, min_dims=1, max_side=4)
    dim = draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    n = shape[dim]
    if n and draw(st.booleans(), label="sections"):
        cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3), label="cuts"))
        sections = np.diff([0] + cuts + [n]).tolist()
    else:
        sections = draw(st.integers(1, 3), label="split size")
    return Case([draw_values(draw, shape)], {"sections": sections, "dim": dim})


def chunk_case(draw, kinks):
    shape = draw_shape(draw, min_dims=1, max_side=5)
    dim = draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    return Case([draw_values(draw, shape)], {"chunks": draw(st.integers(1, 4), label="chunks"), "dim": dim})


def pad_case(mode):
    """``constant``: pad any of the last dims of an n-D tensor. Other modes: torch's 2-D to 4-D inputs."""

    def gen(draw, kinks):
        if mode == "constant":
            shape = draw_shape(draw, min_dims=1)
            k = draw(st.integers(1, len(shape)), label="padded dims")
        else:
            k = draw(st.integers(1, 2), label="padded dims")
            lead = draw(st.lists(st.integers(1, 2), min_size=1, max_size=2), label="batch, channels")
            shape = tuple(lead) + tuple(draw(st.integers(2 if mode == "reflect" else 1, 4)) for _ in range(k))
        limit = {"constant": 2, "replicate": 2, "reflect": None, "circular": None}[mode]
        pad = []
        for size in reversed(shape[len(shape) - k:]):  # last dim first, as torch
            hi = limit if limit is not None else size - 1 if mode == "reflect" else size
            pad += [draw(st.integers(0, hi)), draw(st.integers(0, hi))]
        params = {"pad": tuple(pad)}
        if mode == "constant":
            params["value"] = draw(st.sampled_from([0.0, -1.5]), label="value")
        return Case([draw_values(draw, shape)], params)

    return gen


def basic_index_case(draw, kinks):
    shape = draw_shape(draw, min_dims=1, max_dims=3, max_side=4)
    index = []
    for size in shape:
        kind = draw(st.sampled_from(["int", "slice", "full"]) if size else st.sampled_from(["slice", "full"]))
        if kind == "int":
            index.append(draw(st.integers(-size, size - 1)))
        elif kind == "slice":
            bound = st.one_of(st.none(), st.integers(-size - 1, size + 1))
            index.append(slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1, 2, 3]))))
        else:
            index.append(slice(None))
    if draw(st.booleans(), label="insert None"):
        index.insert(draw(st.integers(0, len(index))), None)
    if len(index) > 1 and draw(st.booleans(), label="use Ellipsis"):
        index = [Ellipsis] + index[2:] if index[0] is not None else index
    return Case([draw_values(draw, shape)], {"index": tuple(index)})


def advanced_index_case(draw, kinks):
    """Integer arrays (with repeated and negative indices), alone, paired, or after a slice."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=MAX_SIDE))
    rng = np.random.default_rng(draw(st.integers(0, 1000), label="seed"))

    def ints(size, idx_shape):
        return rng.integers(-size, size, size=idx_shape)

    idx_shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=4), label="index shape")
    kind = draw(st.sampled_from(["first", "pair", "after slice"]) if len(shape) > 1 else st.just("first"))
    if kind == "first":
        index = (ints(shape[0], idx_shape),)
    elif kind == "pair":
        index = (ints(shape[0], idx_shape), ints(shape[1], idx_shape[-1:]))
    else:
        index = (slice(None), ints(shape[1], idx_shape))
    return Case([draw_values(draw, shape)], {"index": index})


def mask_index_case(draw, kinks):
    shape = draw_shape(draw, min_dims=1)
    rng = np.random.default_rng(draw(st.integers(0, 1000), label="seed"))
    k = draw(st.integers(1, len(shape)), label="mask dims")
    return Case([draw_values(draw, shape)], {"index": rng.random(shape[:k]) < 0.5})


def gather_case(draw, kinks):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=MAX_SIDE))
    dim = draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    d = dim % len(shape)
    idx_shape = tuple(draw(st.integers(0, MAX_SIDE if i == d else s)) for i, s in enumerate(shape))
    rng = np.random.default_rng(draw(st.integers(0, 1000), label="seed"))
    return Case([draw_values(draw, shape)], {"dim": dim, "index": rng.integers(0, shape[d], size=idx_shape)})


def scatter_add_case(draw, kinks):
    case = gather_case(draw, kinks)
    # src as large as index: torch 2.13 cannot differentiate a larger src (its gradient has the index's shape)
    return Case(case.arrays + [draw_values(draw, case.params["index"].shape)], case.params)


def masked_fill_case(draw, kinks):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=1, base_shape=(), max_dims=3, max_side=MAX_SIDE))
    shape = shapes.result_shape
    mask_shape = tuple(draw(st.sampled_from([1, s])) for s in shape[draw(st.integers(0, len(shape))):])
    rng = np.random.default_rng(draw(st.integers(0, 1000), label="seed"))
    value = draw(st.sampled_from([0.0, -3.5, float("-inf")] if kinks else [0.0, -3.5]), label="value")
    return Case([draw_values(draw, shape)], {"mask": np.asarray(rng.random(mask_shape) < 0.5), "value": value})


def one_hot_case(draw, kinks):
    shape = draw_shape(draw)
    rng = np.random.default_rng(draw(st.integers(0, 1000), label="seed"))
    classes = draw(st.integers(1, 4), label="classes")
    idx = rng.integers(0, classes, size=shape)
    num = draw(st.sampled_from([-1, classes, classes + 2]), label="num_classes")
    if num == -1 and idx.size == 0:
        num = classes
    return Case([], {"indices": idx, "num_classes": num})


def tri_case(draw, kinks):
    shape = draw_shape(draw, min_dims=2)
    return Case([draw_values(draw, shape)], {"diagonal": draw(st.integers(-3, 3), label="diagonal")})


def flip_case(draw, kinks):
    shape = draw_shape(draw, min_dims=1)
    dims = draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1, max_size=len(shape),
                         unique_by=lambda d: d % len(shape)), label="dims")
    return Case([draw_values(draw, shape)], {"dims": tuple(dims)})


def index_select_case(draw, kinks):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=MAX_SIDE))
    dim = draw(st.integers(-len(shape), len(shape) - 1), label="dim")
    rng = np.random.default_rng(draw(st.integers(0, 1000), label="seed"))
    index = rng.integers(0, shape[dim], size=draw(st.integers(0, 4), label="length"))
    return Case([draw_values(draw, shape)], {"dim": dim, "index": index})


def softmax_case(draw, kinks):
    shape = draw_shape(draw, min_dims=1)
    scale = draw(st.sampled_from([1.0, 50.0]), label="scale")  # large logits: the shift must keep it finite
    return Case([draw_values(draw, shape, WIDE) * scale], {"dim": draw_dim(draw, len(shape))})


# ----------------------------------------------------------------------------- torch spellings
def t_all_dims(x, dim):
    """torch's spelling of "all dimensions" for ops whose ``dim`` cannot be None."""
    return tuple(range(x.ndim)) if dim is None else dim


def t_prod_all(x, keepdim):
    """torch.prod over every dimension has no keepdim."""
    return x.prod().reshape([1] * x.ndim if keepdim else [])


def t_norm(x, p, dim, keepdim):
    return torch.linalg.vector_norm(x, 2 if p == "fro" else p, dim=dim, keepdim=keepdim)


# ----------------------------------------------------------------------------- the table
INF = float("inf")

OPS = [
    # arithmetic
    Op("add", lambda a, b: a + b, binary()),
    Op("sub", lambda a, b: a - b, binary()),
    Op("mul", lambda a, b: a * b, binary()),
    Op("div", lambda a, b: a / b, binary(REAL, NONZERO)),
    Op("pow_scalar", lambda x, s: x ** s, with_scalar(POSITIVE, (2, 3, 0, 1, -1, 0.5, -1.5, 2.5))),
    Op("pow_int_negative_base", lambda x, s: x ** s, with_scalar(NONZERO, (2, 3, -2))),
    Op("pow_tensor", lambda a, b: a ** b, binary(POSITIVE, REAL)),
    Op("rpow", lambda x, s: s ** x, with_scalar(REAL, (0.5, 2, 3.5))),
    Op("neg", lambda x: -x, unary()),
    Op("radd", lambda x, s: s + x, with_scalar()),
    Op("rsub", lambda x, s: s - x, with_scalar()),
    Op("rmul", lambda x, s: s * x, with_scalar()),
    Op("rdiv", lambda x, s: s / x, with_scalar(NONZERO)),
    Op("sub_scalar", lambda x, s: x - s, with_scalar()),
    Op("div_scalar", lambda x, s: x / s, with_scalar()),
    Op("matmul", lambda a, b: a @ b, matmul_case),
    Op("matmul_fn", lambda a, b: cg.matmul(a, b), matmul_case, torch=torch.matmul),
    # pointwise
    Op("exp", lambda x: x.exp(), unary()),
    Op("log", lambda x: x.log(), unary(POSITIVE)),
    Op("log1p", lambda x: x.log1p(), unary((-0.8, 3.0, False))),
    Op("expm1", lambda x: x.expm1(), unary()),
    Op("sqrt", lambda x: x.sqrt(), unary(POSITIVE)),
    Op("rsqrt", lambda x: x.rsqrt(), unary(POSITIVE)),
    Op("abs", lambda x: abs(x), unary()),
    Op("sign", lambda x: x.sign(), unary()),
    Op("sin", lambda x: x.sin(), unary(WIDE)),
    Op("cos", lambda x: x.cos(), unary(WIDE)),
    Op("tanh", lambda x: x.tanh(), unary(WIDE)),
    Op("sigmoid", lambda x: x.sigmoid(), unary((-30.0, 30.0, False))),
    Op("relu", lambda x: x.relu(), unary()),
    Op("clamp", lambda x, min, max: x.clamp(min, max), clamp_case),
    Op("clip", lambda x, min, max: cg.clip(x, min=min, max=max), clamp_case,
       torch=lambda x, min, max: x.clip(min, max)),
    Op("maximum", lambda a, b: cg.maximum(a, b), binary(), torch=torch.maximum),
    Op("minimum", lambda a, b: a.minimum(b), binary()),
    Op("where", lambda a, b, cond: cg.where(cond, a, b), where_case, torch=lambda a, b, cond: torch.where(cond, a, b)),
    # comparisons and tests (no gradient)
    Op("lt", lambda a, b: a < b, binary(), grad=False),
    Op("le", lambda a, b: a <= b, binary(), grad=False),
    Op("gt", lambda a, b: a > b, binary(), grad=False),
    Op("ge", lambda a, b: a >= b, binary(), grad=False),
    Op("eq", lambda a, b: a == b, binary(), grad=False),
    Op("ne", lambda a, b: a != b, binary(), grad=False),
    Op("isnan", lambda x: x.isnan(), with_nonfinite, grad=False),
    Op("isfinite", lambda x: cg.isfinite(x), with_nonfinite, grad=False, torch=torch.isfinite),
    # reductions
    Op("sum", lambda x, dim, keepdim: x.sum(dim, keepdim), reduction(),
       torch=lambda x, dim, keepdim: x.sum(dim=dim, keepdim=keepdim)),
    Op("mean", lambda x, dim, keepdim: x.mean(dim, keepdim), reduction(),
       torch=lambda x, dim, keepdim: x.mean(dim=dim, keepdim=keepdim)),
    Op("prod", lambda x, dim, keepdim: x.prod(dim, keepdim), with_zeros(reduction(tuples=False)),
       torch=lambda x, dim, keepdim: x.prod(dim, keepdim) if dim is not None else t_prod_all(x, keepdim)),
    Op("max", lambda x: x.max(), unary(min_side=1)),
    Op("min", lambda x: cg.min(x), unary(min_side=1), torch=torch.min),
    Op("max_dim", lambda x, dim, keepdim: x.max(dim, keepdim), reduction(none=False, tuples=False, min_reduced=1)),
    Op("min_dim", lambda x, dim, keepdim: cg.min(x, dim, keepdim=keepdim),
       reduction(none=False, tuples=False, min_reduced=1), torch=lambda x, dim, keepdim: torch.min(x, dim, keepdim)),
    Op("amax", lambda x, dim, keepdim: x.amax(dim, keepdim), reduction(min_reduced=1),
       torch=lambda x, dim, keepdim: x.amax(t_all_dims(x, dim), keepdim)),
    Op("amin", lambda x, dim, keepdim: cg.amin(x, dim, keepdim), reduction(min_reduced=1),
       torch=lambda x, dim, keepdim: x.amin(t_all_dims(x, dim), keepdim)),
    Op("argmax", lambda x, dim, keepdim: x.argmax(dim, keepdim), reduction(tuples=False, min_reduced=1), grad=False),
    Op("argmin", lambda x, dim, keepdim: cg.argmin(x, dim, keepdim), reduction(tuples=False, min_reduced=1),
       grad=False, torch=lambda x, dim, keepdim: torch.argmin(x, dim, keepdim)),
    Op("var", lambda x, dim, keepdim, unbiased: x.var(dim, unbiased, keepdim),
       reduction(min_reduced=3, extra={"unbiased": st.booleans()}),
       torch=lambda x, dim, keepdim, unbiased: x.var(dim, unbiased=unbiased, keepdim=keepdim)),
    Op("var_correction", lambda x, dim, keepdim, c: cg.var(x, dim, keepdim=keepdim, correction=c),
       reduction(min_reduced=3, extra={"c": st.integers(0, 2)}),
       torch=lambda x, dim, keepdim, c: torch.var(x, dim, keepdim=keepdim, correction=c)),
    Op("std", lambda x, dim, keepdim, unbiased: x.std(dim, unbiased, keepdim),
       reduction(min_reduced=3, extra={"unbiased": st.booleans()}),
       torch=lambda x, dim, keepdim, unbiased: x.std(dim, unbiased=unbiased, keepdim=keepdim)),
    Op("std_correction", lambda x, dim, keepdim, c: x.std(dim, keepdim=keepdim, correction=c),
       reduction(min_reduced=3, extra={"c": st.integers(0, 2)})),
    Op("logsumexp", lambda x, dim, keepdim: x.logsumexp(dim, keepdim), reduction(WIDE),
       torch=lambda x, dim, keepdim: x.logsumexp(t_all_dims(x, dim), keepdim)),
    Op("norm", lambda x, p, dim, keepdim: x.norm(p, dim, keepdim),
       with_zeros(reduction(min_reduced=1, extra={"p": st.sampled_from(["fro", 2, 1, INF])})),
       torch=t_norm),
    Op("cumsum", lambda x, dim: x.cumsum(dim), reduction(none=False, tuples=False, keepdim=False)),
    # shape
    Op("reshape", lambda x, shape: x.reshape(shape), reshape_case),
    Op("view", lambda x, shape: x.view(*shape), reshape_case, torch=lambda x, shape: x.view(shape)),
    Op("flatten", lambda x, start_dim, end_dim: x.flatten(start_dim, end_dim), flatten_case),
    Op("squeeze", lambda x, dim: x.squeeze(dim), squeeze_case,
       torch=lambda x, dim: x.squeeze() if dim is None else x.squeeze(dim)),
    Op("unsqueeze", lambda x, dim: cg.unsqueeze(x, dim), unsqueeze_case, torch=torch.unsqueeze),
    Op("transpose", lambda x, dim0, dim1: x.transpose(dim0, dim1), transpose_case),
    Op("permute", lambda x, dims: x.permute(*dims), permute_case),
    Op("T", lambda x: x.T, unary(min_dims=2, max_dims=2)),
    Op("mT", lambda x: x.mT, unary(min_dims=2)),
    Op("expand", lambda x, sizes: x.expand(*sizes), expand_case, torch=lambda x, sizes: x.expand(sizes)),
    Op("broadcast_to", lambda x, shape: cg.broadcast_to(x, shape), broadcast_case,
       torch=lambda x, shape: torch.broadcast_to(x, shape)),
    Op("repeat", lambda x, sizes: x.repeat(*sizes), repeat_case, torch=lambda x, sizes: x.repeat(sizes)),
    Op("cat", lambda *xs, dim: cg.cat(xs, dim), cat_case, torch=lambda *xs, dim: torch.cat(xs, dim)),
    Op("stack", lambda *xs, dim: cg.stack(xs, dim), stack_case, torch=lambda *xs, dim: torch.stack(xs, dim)),
    Op("split", lambda x, sections, dim: x.split(sections, dim), split_case),
    Op("chunk", lambda x, chunks, dim: x.chunk(chunks, dim), chunk_case),
    Op("pad_constant", lambda x, pad, value: F.pad(x, pad, value=value), pad_case("constant"),
       torch=lambda x, pad, value: TF.pad(x, pad, value=value)),
    *[Op(f"pad_{mode}", lambda x, pad, mode=mode: F.pad(x, pad, mode=mode), pad_case(mode),
         torch=lambda x, pad, mode=mode: TF.pad(x, pad, mode=mode)) for mode in ("reflect", "replicate", "circular")],
    Op("tril", lambda x, diagonal: x.tril(diagonal), tri_case),
    Op("triu", lambda x, diagonal: cg.triu(x, diagonal), tri_case, torch=torch.triu),
    Op("flip", lambda x, dims: x.flip(dims), flip_case),
    # indexing
    Op("getitem_basic", lambda x, index: x[index], basic_index_case),
    Op("getitem_advanced", lambda x, index: x[index], advanced_index_case),
    Op("getitem_mask", lambda x, index: x[index], mask_index_case),
    Op("gather", lambda x, dim, index: x.gather(dim, index), gather_case),
    Op("scatter_add", lambda x, src, dim, index: x.scatter_add(dim, index, src), scatter_add_case),
    Op("masked_fill", lambda x, mask, value: x.masked_fill(mask, value), masked_fill_case),
    Op("index_select", lambda x, dim, index: x.index_select(dim, index), index_select_case),
    Op("one_hot", lambda indices, num_classes: F.one_hot(indices, num_classes), one_hot_case, grad=False,
       torch=lambda indices, num_classes: TF.one_hot(indices, num_classes)),
    # softmax
    Op("softmax", lambda x, dim: cg.softmax(x, dim), softmax_case, torch=torch.softmax),
    Op("log_softmax", lambda x, dim: cg.log_softmax(x, dim), softmax_case, torch=torch.log_softmax),
    # dtype conversion
    Op("double", lambda x: x.double(), unary()),
    Op("float", lambda x: x.float(), unary(), gradcheck={"eps": 1e-3, "atol": 1e-4}),
    Op("to_float64", lambda x: x.to(cg.float64), unary(), torch=lambda x: x.to(torch.float64)),
    Op("long", lambda x: x.long(), unary(WIDE), grad=False),
]

OPS_BY_NAME = {op.name: op for op in OPS}
DIFFERENTIABLE = [op for op in OPS if op.grad]


# ----------------------------------------------------------------------------- running a case
def case_of(op: Op, kinks: bool):
    return st.composite(op.gen)(kinks)


def _convert(value, make):
    if isinstance(value, np.ndarray):
        return make(value)
    if isinstance(value, tuple):
        return tuple(_convert(v, make) for v in value)
    return value


def cg_params(params: dict) -> dict:
    return {k: _convert(v, cg.tensor) for k, v in params.items()}


def torch_params(params: dict) -> dict:
    return {k: _convert(v, lambda a: torch.from_numpy(a.copy())) for k, v in params.items()}


def as_list(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def run_both(op: Op, case: Case, dtype: str, requires_grad: bool):
    """Inputs and outputs (as lists) of the chalkgrad and the torch callables on one case."""
    xs = [cg.tensor(a.astype(dtype), requires_grad=requires_grad) for a in case.arrays]
    ts = [torch.tensor(a.astype(dtype), requires_grad=requires_grad) for a in case.arrays]
    outs = as_list(op.fn(*xs, **cg_params(case.params)))
    touts = as_list(op.torch_fn(*ts, **torch_params(case.params)))
    return xs, ts, outs, touts


def gradient_seeds(outs, seed: int) -> list:
    """A random upstream gradient (vector of the VJP) for each floating output."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(o.shape).astype(o.dtype) for o in outs]


def cg_grads(outs, xs, seeds, create_graph=False):
    """d(Σ_k <out_k, seed_k>)/dx for each x (zeros where unused), with chalkgrad."""
    pairs = [(o, cg.tensor(s)) for o, s in zip(outs, seeds) if o.requires_grad]
    if not pairs:
        return [cg.zeros_like(x) for x in xs]
    grads = cg.autograd.grad([o for o, _ in pairs], xs, grad_outputs=[s for _, s in pairs],
                             allow_unused=True, create_graph=create_graph)
    return [cg.zeros_like(x) if g is None else g for x, g in zip(xs, grads)]


def torch_grads(outs, ts, seeds, create_graph=False):
    pairs = [(o, torch.from_numpy(s)) for o, s in zip(outs, seeds) if o.requires_grad]
    if not pairs:
        return [torch.zeros_like(t) for t in ts]
    grads = torch.autograd.grad([o for o, _ in pairs], ts, grad_outputs=[s for _, s in pairs],
                                allow_unused=True, create_graph=create_graph)
    return [torch.zeros_like(t) if g is None else g for t, g in zip(ts, grads)]


def floating(outs) -> list:
    return [o for o in outs if dtype_name(o.dtype).startswith("float")]


# ----------------------------------------------------------------------------- the tests
def test_table_names_are_unique():
    assert len(OPS_BY_NAME) == len(OPS)


def check_against_torch(op: Op, case: Case, dtype: str, seed: int) -> None:
    """Outputs (shape, dtype, values) and, for differentiable ops, every input's gradient."""
    xs, ts, outs, touts = run_both(op, case, dtype, requires_grad=op.grad)
    assert len(outs) == len(touts), f"{op.name}: {len(outs)} outputs, torch gives {len(touts)}"
    for k, (o, t) in enumerate(zip(outs, touts)):
        assert isinstance(o, cg.Tensor)
        assert dtype_name(o.dtype) == dtype_name(t.dtype), f"{op.name} output {k}: dtype {o.dtype} vs torch {t.dtype}"
        out_dtype = dtype_name(o.dtype) if dtype_name(o.dtype) in DTYPES else "float64"
        assert_close(o, t, out_dtype, op.tol, what=f"{op.name} output {k}")
    if not op.grad:
        assert not any(o.requires_grad for o in outs), f"{op.name} must not be differentiable"
        return
    outs, touts = floating(outs), floating(touts)
    assert [o.requires_grad for o in outs] == [t.requires_grad for t in touts]
    seeds = gradient_seeds(outs, seed)
    for i, (g, tg) in enumerate(zip(cg_grads(outs, xs, seeds), torch_grads(touts, ts, seeds))):
        assert g.dtype == xs[i].dtype, f"{op.name}: gradient {i} is {g.dtype} for a {xs[i].dtype} input"
        assert_close(g, tg, dtype, op.tol, what=f"{op.name}: gradient of input {i}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", OPS, ids=repr)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # means of empty slices, as torch's nan
@examples(15)
@given(data=st.data())
def test_matches_torch(op, dtype, data):
    case = data.draw(case_of(op, kinks=True), label="case")
    check_against_torch(op, case, dtype, data.draw(st.integers(0, 2**32 - 1), label="gradient seed"))


def _a(*values):
    return np.array(values, dtype=np.float64)


#: Inputs that random draws may miss: ties, zeros, bounds, repeats, empty and -inf.
EDGE_CASES = [
    ("max", Case([_a(1.0, 3.0, 3.0, 2.0)], {})),  # ties share the gradient
    ("min", Case([np.array([[2.0, 1.0], [1.0, 5.0]])], {})),
    ("amax", Case([np.array([[2.0, 2.0], [1.0, 2.0]])], {"dim": (0, 1), "keepdim": False})),
    ("amin", Case([np.array([[2.0, 2.0], [1.0, 1.0]])], {"dim": 1, "keepdim": True})),
    ("max_dim", Case([np.array([[1.0, 3.0, 3.0], [0.0, 0.0, -1.0]])], {"dim": 1, "keepdim": False})),
    ("min_dim", Case([np.array([[1.0, 3.0, 1.0], [0.0, 0.0, -1.0]])], {"dim": 0, "keepdim": True})),
    ("argmax", Case([_a(1.0, 3.0, 3.0)], {"dim": None, "keepdim": False})),
    ("maximum", Case([_a(1.0, 2.0, 3.0), _a(1.0, 0.0, 3.0)], {})),
    ("minimum", Case([_a(1.0, 2.0, 3.0), _a(1.0, 0.0, 3.0)], {})),
    ("clamp", Case([_a(-1.0, -0.5, 0.0, 0.5, 1.0)], {"min": -0.5, "max": 0.5})),
    ("clamp", Case([_a(-1.0, 0.5, 1.0)], {"min": 0.5, "max": 0.5})),
    ("clip", Case([_a(-1.0, 0.0, 1.0)], {"min": None, "max": 0.0})),
    ("relu", Case([_a(-1.0, 0.0, 1.0)], {})),
    ("abs", Case([_a(-1.0, 0.0, 1.0)], {})),
    ("sign", Case([_a(-1.0, 0.0, 1.0)], {})),
    ("prod", Case([_a(2.0, 0.0, 3.0)], {"dim": None, "keepdim": False})),  # one zero
    ("prod", Case([_a(2.0, 0.0, 0.0)], {"dim": 0, "keepdim": False})),  # two zeros
    ("prod", Case([np.array([[0.0, 2.0], [3.0, 4.0], [0.0, 0.0]])], {"dim": 1, "keepdim": True})),
    ("norm", Case([np.zeros((2, 3))], {"p": 2, "dim": None, "keepdim": False})),  # zero vector
    ("norm", Case([np.zeros((2, 3))], {"p": 1, "dim": 1, "keepdim": False})),
    ("norm", Case([np.zeros((2, 3))], {"p": INF, "dim": 0, "keepdim": True})),
    ("norm", Case([_a(-2.0, 1.0, 2.0)], {"p": INF, "dim": None, "keepdim": False})),  # tie in |x|
    ("getitem_advanced", Case([_a(1.0, 2.0, 3.0)], {"index": (np.array([0, 0, 2, 0, -1]),)})),  # repeats add up
    ("index_select", Case([np.ones((3, 2))], {"dim": 0, "index": np.array([2, 2, 0])})),
    ("scatter_add", Case([np.zeros((2, 3)), np.ones((2, 3))], {"dim": 1, "index": np.array([[0, 0, 0], [2, 1, 2]])})),
    ("getitem_mask", Case([np.arange(6.0).reshape(2, 3)], {"index": np.array([[1, 0, 1], [0, 0, 1]], dtype=bool)})),
    ("softmax", Case([_a(0.0, -np.inf, 1.0)], {"dim": 0})),
    ("log_softmax", Case([np.array([[1000.0, 0.0], [-1000.0, -1000.0]])], {"dim": 1})),
    ("logsumexp", Case([_a(-np.inf, 0.0, 1.0)], {"dim": 0, "keepdim": False})),
    ("sum", Case([np.zeros((0, 3))], {"dim": 0, "keepdim": False})),
    ("prod", Case([np.zeros((0, 3))], {"dim": 0, "keepdim": True})),
    ("matmul", Case([np.ones((2, 0)), np.ones((0, 3))], {})),
    ("cumsum", Case([np.array(2.0)], {"dim": 0})),
    ("var", Case([np.array(2.0)], {"dim": None, "keepdim": False, "unbiased": False})),
    ("std_correction", Case([np.ones((2, 3))], {"dim": 1, "keepdim": False, "c": 0})),  # std 0: gradient 0
    ("pow_scalar", Case([_a(0.5, 2.0)], {"s": 0})),
    ("cat", Case([np.ones((2, 0)), np.ones((2, 2))], {"dim": 1})),
    ("chunk", Case([np.ones(0)], {"chunks": 3, "dim": 0})),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, case", EDGE_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(EDGE_CASES)])
def test_edge_cases_match_torch(name, case, dtype):
    check_against_torch(OPS_BY_NAME[name], case, dtype, seed=0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_keeps_relative_precision_in_the_tail(dtype):
    x = np.linspace(-80.0, 80.0, 161).astype(dtype)
    expected = torch.sigmoid(torch.tensor(x)).numpy()
    np.testing.assert_allclose(cg.tensor(x).sigmoid().numpy(), expected, rtol=1e-5, atol=0)


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=repr)
@examples(5)
@given(data=st.data())
def test_gradcheck(op, data):
    case = data.draw(case_of(op, kinks=False), label="case")
    xs = [cg.tensor(a, dtype=cg.float64, requires_grad=True) for a in case.arrays]
    params = cg_params(case.params)
    assert cg.autograd.gradcheck(lambda *ts: op.fn(*ts, **params), xs, **op.gradcheck)
