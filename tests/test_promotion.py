"""Result dtypes of binary ops follow PyTorch's promotion: a table of operand kinds x ops, checked against torch."""

import itertools
import operator

import numpy as np
import pytest
import torch

import chalkgrad as cg

VALUES = {"bool": [True, False, True], "int64": [1, 2, 3], "float32": [0.5, 1.5, 2.5], "float64": [0.5, 1.5, 2.5]}


def _tensor(m, dtype, zero_dim):
    values = VALUES[dtype][:1][0] if zero_dim else VALUES[dtype]
    return m.tensor(values, dtype=getattr(m, dtype if dtype != "bool" else "bool"))


TENSORS = [(f"{d}{'[0-d]' if z else ''}", (lambda m, d=d, z=z: _tensor(m, d, z)))
           for d in VALUES for z in (False, True)]
SCALARS = [
    ("True", lambda m: True), ("2", lambda m: 2), ("2.5", lambda m: 2.5), ("-1", lambda m: -1),
    ("np.float64(2.5)", lambda m: np.float64(2.5)), ("np.float32(2.5)", lambda m: np.float32(2.5)),
    ("np.int32(2)", lambda m: np.int32(2)), ("-2", lambda m: -2), ("-0.5", lambda m: -0.5),
]
OPS = [("+", operator.add), ("-", operator.sub), ("*", operator.mul), ("/", operator.truediv),
       ("**", operator.pow), ("<", operator.lt), ("==", operator.eq)]
FUNCTIONS = [("maximum", lambda m, a, b: m.maximum(a, b)), ("minimum", lambda m, a, b: m.minimum(a, b)),
             ("where", lambda m, a, b: m.where(m.tensor([True, False, True]), a, b))]


def _compare(make):
    try:
        theirs = make(torch)
    except (RuntimeError, TypeError, NotImplementedError):
        with pytest.raises(cg.ChalkgradError):
            make(cg)
        return
    ours = make(cg)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), (ours.dtype, theirs.dtype)
    np.testing.assert_allclose(ours.numpy().astype(float), theirs.numpy().astype(float), rtol=1e-6)


CASES = [(f"{a} {op} {b}", fn, ma, mb) for (op, fn), (a, ma), (b, mb)
         in itertools.product(OPS, TENSORS, TENSORS + SCALARS)]
CASES += [(f"{b} {op} {a}", fn, mb, ma) for (op, fn), (a, ma), (b, mb) in itertools.product(OPS, TENSORS, SCALARS)]
# torch's pow(bool_tensor, True) takes a shortcut for the exponent 1 and returns the tensor, where every other
# bool ** bool raises "pow not implemented for 'Bool'"; chalkgrad refuses all bool ** bool alike.
CASES = [c for c in CASES if not c[0].startswith("bool") or not c[0].endswith("** True")]


@pytest.mark.parametrize("name,fn,left,right", CASES, ids=[c[0] for c in CASES])
def test_operator_result_dtype_matches_torch(name, fn, left, right):
    _compare(lambda m: fn(left(m), right(m)))


FN_CASES = [(f"{f}({a}, {b})", fn, ma, mb) for (f, fn), (a, ma), (b, mb)
            in itertools.product(FUNCTIONS, TENSORS, TENSORS)]


@pytest.mark.parametrize("name,fn,left,right", FN_CASES, ids=[c[0] for c in FN_CASES])
def test_function_result_dtype_matches_torch(name, fn, left, right):
    _compare(lambda m: fn(m, left(m), right(m)))


MATRICES = {d: (lambda m, d=d: m.tensor([[v] * 3 for v in VALUES[d]], dtype=getattr(m, d))) for d in VALUES}


@pytest.mark.parametrize("a,b", list(itertools.product(MATRICES, MATRICES)))
def test_matmul_takes_one_dtype_like_torch(a, b):
    """torch does not promote in matmul: mixed dtypes raise (a DTypeError naming both here)."""
    _compare(lambda m: MATRICES[a](m) @ MATRICES[b](m))
    if a != b:
        with pytest.raises(cg.DTypeError, match=f"{a}.*{b}"):
            MATRICES[a](cg) @ MATRICES[b](cg)


def test_result_type_matches_torch_result_type():
    from chalkgrad.ops.promotion import result_type

    for (_, ma), (_, mb) in itertools.product(TENSORS, TENSORS + SCALARS):
        a, b = ma(cg), mb(cg)
        expected = torch.result_type(ma(torch), mb(torch))
        assert str(result_type(a, b)) == str(expected).removeprefix("torch.")


LEAKS = [
    ("x * 0.1", lambda m, x: x * 0.1),
    ("x * np.float64(0.1)", lambda m, x: x * np.float64(0.1)),
    ("np.float64(2.0) / x", lambda m, x: np.float64(2.0) / x),
    ("x ** np.float64(2.0)", lambda m, x: x ** np.float64(2.0)),
    ("2.0 ** x", lambda m, x: 2.0 ** x),
    ("x + float64 tensor", lambda m, x: x + m.tensor([0.25, 0.5, 0.75], dtype=m.float64)),
    ("float64 tensor * x", lambda m, x: m.tensor([0.25, 0.5, 0.75], dtype=m.float64) * x),
    ("x / float64 0-d tensor", lambda m, x: x / m.tensor(3.0, dtype=m.float64)),
    ("maximum(x, float64)", lambda m, x: m.maximum(x, m.tensor([1.0, 0.0, 3.0], dtype=m.float64))),
    ("where(x, float64)", lambda m, x: m.where(m.tensor([True, False, True]), x,
                                                m.tensor([1.0, 2.0, 3.0], dtype=m.float64))),
    ("x * int tensor", lambda m, x: x * m.tensor([1, 2, 3])),
    ("x.double() * 3", lambda m, x: x.double() * 3),
]


@pytest.mark.parametrize("name,fn", LEAKS, ids=[c[0] for c in LEAKS])
def test_float32_leaf_gets_a_float32_gradient_like_torch(name, fn):
    values = [0.5, 1.5, 2.5]
    x_t = torch.tensor(values, requires_grad=True)
    fn(torch, x_t).sum().backward()
    x = cg.tensor(values, requires_grad=True)
    out = fn(cg, x)
    assert str(out.dtype) == str(fn(torch, torch.tensor(values)).dtype).removeprefix("torch.")
    out.sum().backward()
    assert x.grad.dtype == cg.float32
    np.testing.assert_allclose(x.grad.numpy(), x_t.grad.numpy(), rtol=1e-6)


def test_float32_leaf_gets_a_float32_gradient_with_create_graph():
    x = cg.tensor([0.5, 1.5], requires_grad=True)
    y = (x * cg.tensor([2.0, 3.0], dtype=cg.float64)) ** 2
    (g,) = cg.autograd.grad(y.sum(), x, create_graph=True)
    assert g.dtype == cg.float32
    g.sum().backward()
    assert x.grad.dtype == cg.float32


INPLACE = [
    ("int += 0.5", lambda m: m.tensor([1, 2]).__iadd__(0.5)),
    ("int *= 2.5", lambda m: m.tensor([1, 2]).mul_(2.5)),
    ("int /= 2", lambda m: m.tensor([1, 2]).div_(2)),
    ("int += 1", lambda m: m.tensor([1, 2]).add_(1)),
    ("bool += 1", lambda m: m.tensor([True]).__iadd__(1)),
    ("float32 += float64", lambda m: m.tensor([1.0]).__iadd__(m.tensor([1.0], dtype=m.float64))),
    ("float32 *= np.float64", lambda m: m.tensor([1.0]).mul_(np.float64(3.0))),
    ("int -= int tensor", lambda m: m.tensor([3, 4]).sub_(m.tensor([1, 1]))),
]


@pytest.mark.parametrize("name,op", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_ops_keep_the_tensor_dtype_or_refuse_like_torch(name, op):
    _compare(op)


NORMS = [
    ("layer_norm", lambda m, x, w: m.nn.functional.layer_norm(x, (3,), w, w)),
    ("group_norm", lambda m, x, w: m.nn.functional.group_norm(x, 1, w, w)),
    ("batch_norm train", lambda m, x, w: m.nn.functional.batch_norm(x, None, None, w, w, True)),
    ("batch_norm eval", lambda m, x, w: m.nn.functional.batch_norm(x, w * 0, w, None, None, False)),
]


@pytest.mark.parametrize("name,fn", NORMS, ids=[c[0] for c in NORMS])
def test_functional_norms_refuse_mixed_dtypes_like_torch(name, fn):
    x = np.arange(6.0).reshape(2, 3)
    with pytest.raises(RuntimeError):
        fn(torch, torch.tensor(x), torch.ones(3))
    with pytest.raises(cg.DTypeError, match="float32.*float64|float64.*float32"):
        fn(cg, cg.tensor(x, dtype=cg.float64), cg.ones(3))
    _compare(lambda m: fn(m, m.tensor(x, dtype=m.float64), m.ones(3, dtype=m.float64)))
