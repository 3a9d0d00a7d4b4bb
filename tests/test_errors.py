"""Bad input raises a chalkgrad error whose message names the operation, what it got and what it expected.

Each row: an id, a callable that must fail, the exception type, and a regex its message must match.
Every chalkgrad error is also the built-in exception a Python user expects (ShapeError is a
ValueError, DTypeError a TypeError, GradError a RuntimeError), checked at the end.
"""

from __future__ import annotations

import numpy as np
import pytest

import chalkgrad as cg
import chalkgrad.nn.functional as F
from chalkgrad.errors import ChalkgradError, DTypeError, GradError, ShapeError

x = cg.ones(2, 3)
W = cg.ones(2, requires_grad=True)
BROADCAST = r"shapes \(2, 3\) and \(4,\) do not broadcast: dimension -1 has sizes 3 and 4; expected equal sizes"

CASES = [
    # broadcasting in binary ops (NumPy's own ValueError must not leak through)
    ("add", lambda: x + cg.ones(4), ShapeError, r"add \(\+\): " + BROADCAST),
    ("radd", lambda: np.ones(4) + x, ShapeError, r"add \(\+\): shapes \(4,\) and \(2, 3\) do not broadcast"),
    ("sub", lambda: x - cg.ones(4), ShapeError, r"sub \(-\): " + BROADCAST),
    ("mul", lambda: x * cg.ones(3, 3), ShapeError,
     r"mul \(\*\): shapes \(2, 3\) and \(3, 3\) do not broadcast: dimension -2 has sizes 2 and 3"),
    ("div", lambda: x / cg.ones(4), ShapeError, r"div \(/\): " + BROADCAST),
    ("pow", lambda: x ** cg.ones(4), ShapeError, r"pow \(\*\*\): " + BROADCAST),
    ("maximum", lambda: cg.maximum(x, cg.ones(4)), ShapeError, "maximum: " + BROADCAST),
    ("minimum", lambda: cg.minimum(x, cg.ones(4)), ShapeError, "minimum: " + BROADCAST),
    ("comparison", lambda: x < cg.ones(4), ShapeError, "<: " + BROADCAST),
    ("equality", lambda: x == cg.ones(4), ShapeError, "==: " + BROADCAST),
    ("in-place add", lambda: x.__iadd__(cg.ones(4)), ShapeError, r"\+=: " + BROADCAST),
    ("in-place result shape", lambda: cg.ones(3).add_(cg.ones(2, 3)), ShapeError,
     r"add_: result of shape \(2, 3\) cannot be written into a tensor of shape \(3,\)"),
    ("setitem shape", lambda: x.__setitem__(0, cg.ones(4)), ShapeError,
     r"__setitem__: a value of shape \(4,\) cannot be assigned to tensor\[0\], which has shape \(3,\)"),
    # matmul
    ("matmul inner", lambda: x @ cg.ones(2, 3), ShapeError,
     r"matmul: cannot multiply shapes \(2, 3\) and \(2, 3\): inner dimensions 3 and 2 differ"),
    ("matmul 1-D", lambda: cg.ones(3) @ cg.ones(4), ShapeError,
     r"matmul: cannot multiply shapes \(3,\) and \(4,\): inner dimensions 3 and 4 differ"),
    ("matmul 0-d", lambda: x @ cg.tensor(1.0), ShapeError,
     r"matmul: both operands need at least 1 dimension, got shapes \(2, 3\) and \(\)"),
    ("matmul batch", lambda: cg.ones(2, 2, 3) @ cg.ones(3, 3, 4), ShapeError,
     r"matmul: batch dimensions of \(2, 2, 3\) and \(3, 3, 4\) do not broadcast"),
    ("mm", lambda: cg.mm(cg.ones(3), cg.ones(3, 2)), ShapeError, r"mm: expected two 2-D tensors, got shapes \(3,\)"),
    ("dot", lambda: cg.dot(x, x), ShapeError, r"dot: expected two 1-D tensors, got shapes \(2, 3\)"),
    ("linear", lambda: F.linear(x, cg.ones(4, 2)), ShapeError,
     r"linear: input of shape \(2, 3\) has 3 features in its last dimension, expected in_features=2"),
    # joining and splitting
    ("cat", lambda: cg.cat([x, cg.ones(3, 3)], 1), ShapeError,
     r"cat: tensor 1 has shape \(3, 3\), which does not match tensor 0's shape \(2, 3\) outside dim 1"),
    ("cat ranks", lambda: cg.cat([x, cg.ones(3)]), ShapeError, r"cat: tensor 1 has shape \(3,\)"),
    ("cat nothing", lambda: cg.cat([]), ShapeError, "cat: expected a non-empty sequence of tensors"),
    ("cat 0-d", lambda: cg.cat([cg.tensor(1.0)]), ShapeError, "cat: tensor 0 is 0-d and cannot be concatenated"),
    ("stack", lambda: cg.stack([x, cg.ones(3, 2)]), ShapeError,
     r"stack: tensor 1 has shape \(3, 2\), expected \(2, 3\) like tensor 0"),
    ("split sections", lambda: x.split([1, 1], 1),
     ShapeError, r"split: sections \[1, 1\] sum to 2, but dim 1 has size 3"),
    ("split size", lambda: x.split(0), ValueError, "split: split_size must be positive, got 0"),
    ("chunk", lambda: x.chunk(0), ValueError, "chunk: chunks must be positive, got 0"),
    # reshaping
    ("reshape", lambda: x.reshape(4, 2), ShapeError,
     r"reshape: cannot view a tensor of shape \(2, 3\) \(6 elements\) as shape \(4, 2\)"),
    ("reshape -1", lambda: x.reshape(-1, 4), ShapeError, r"reshape: cannot view .* as shape \(-1, 4\)"),
    ("reshape two -1", lambda: x.reshape(-1, -1), ShapeError, r"reshape: only one dimension can be -1, got \(-1, -1\)"),
    ("view", lambda: x.view(7),
     ShapeError, r"reshape: cannot view a tensor of shape \(2, 3\) \(6 elements\) as shape \(7,\)"),
    ("expand", lambda: x.expand(3, 3), ShapeError, r"expand/broadcast_to: cannot broadcast shape \(2, 3\) to \(3, 3\)"),
    ("expand rank", lambda: x.expand(3), ShapeError, "expand: 1 sizes given for a tensor with 2 dimensions"),
    ("repeat", lambda: x.repeat(2), ShapeError, "repeat: 1 repeat counts for a tensor with 2 dimensions"),
    ("permute", lambda: x.permute(0, 0), ShapeError, r"permute: \(0, 0\) is not a permutation of the 2 dimensions"),
    ("flatten", lambda: x.flatten(1, 0), ShapeError, r"flatten: start_dim \(1\) comes after end_dim \(0\)"),
    ("t", lambda: cg.ones(2, 2, 2).t(),
     ShapeError, r"t\(\) expects a tensor with at most 2 dimensions, got shape \(2, 2, 2\)"),
    ("tril", lambda: cg.ones(3).tril(), ShapeError, r"tril: expected at least 2 dimensions, got shape \(3,\)"),
    ("pad pairs", lambda: F.pad(x, (1,)), ShapeError, r"pad: \(1,\) must hold a \(before, after\) pair"),
    ("pad reflect", lambda: F.pad(x, (3, 0), mode="reflect"), ShapeError,
     r"pad: reflect padding \(3, 0\) must be smaller than the size 3 of dimension 1"),
    ("pad circular", lambda: F.pad(x, (0, 4), mode="circular"), ShapeError,
     r"pad: circular padding \(0, 4\) must not exceed the size 3"),
    ("pad mode", lambda: F.pad(x, (1, 1), mode="wrap"), ValueError, "pad: unknown mode 'wrap'; expected 'constant'"),
    ("pad negative", lambda: F.pad(x, (-1, 1)), ValueError, r"pad: negative padding \(-1, 1\) is not supported"),
    # dimensions
    ("sum dim", lambda: x.sum(2),
     IndexError, r"sum: dim 2 is out of range for a tensor with 2 dimensions \(expected -2 to 1\)"),
    ("float dim", lambda: x.sum(1.5), TypeError, "sum: dim must be an int, got 1.5"),
    ("softmax dim", lambda: cg.softmax(x, 5), IndexError, "softmax: dim 5 is out of range"),
    ("transpose dim", lambda: x.transpose(0, 3), IndexError, "transpose: dim 3 is out of range"),
    ("unsqueeze dim", lambda: x.unsqueeze(4), IndexError,
     r"unsqueeze: dim 4 is out of range for a tensor with 3 dimensions \(expected -3 to 2\)"),
    ("max dim", lambda: x.max(3), IndexError, "max: dim 3 is out of range"),
    ("cumsum dim", lambda: x.cumsum(-3), IndexError, "cumsum: dim -3 is out of range"),
    # indexing
    ("float index", lambda: x[1.0], DTypeError, "index: 1.0 is a float; indices must be integers, slices"),
    ("float in tuple", lambda: x[0, 1.5], DTypeError, "index: 1.5 is a float"),
    ("float tensor index", lambda: x[cg.tensor([0.0])], DTypeError,
     "index: tensors used as indices must be int64 or bool, got dtype float32"),
    ("index out of range", lambda: x[5], IndexError,
     r"index 5 does not fit a tensor of shape \(2, 3\): index 5 is out of bounds for axis 0 with size 2"),
    ("advanced out of range", lambda: x[cg.tensor([0, 7])], IndexError, r"does not fit a tensor of shape \(2, 3\)"),
    ("gather out of range", lambda: x.gather(1, cg.tensor([[0, 3]])), IndexError,
     r"gather: index values must be in \[0, 3\) for dim 1 of shape \(2, 3\); got 0..3"),
    ("gather ranks", lambda: x.gather(1, cg.tensor([0])), ShapeError,
     r"gather: index has 1 dimensions, the tensor has 2 \(shape \(2, 3\)\)"),
    ("gather index shape", lambda: x.gather(1, cg.tensor([[0], [0], [0]])), ShapeError,
     r"gather: index shape \(3, 1\) is larger than the tensor shape \(2, 3\) in dim 0"),
    ("gather float index", lambda: x.gather(1, cg.tensor([[0.0]])), DTypeError, "gather: .* must be int64 or bool"),
    ("gather bool index", lambda: x.gather(1, cg.tensor([[True]])),
     DTypeError, "gather: index must be int64, got bool"),
    ("scatter_add src", lambda: x.scatter_add(1, cg.tensor([[0, 1]]), cg.ones(1, 1)), ShapeError,
     r"scatter_add: src shape \(1, 1\) must cover the index shape \(1, 2\)"),
    ("index_select rank", lambda: x.index_select(0, cg.tensor([[0]])), ShapeError,
     r"index_select: index must be 1-D, got shape \(1, 1\)"),
    ("index_select range", lambda: x.index_select(0, cg.tensor([5])), IndexError,
     r"index_select: index values must be in \[0, 2\) for dim 0 of shape \(2, 3\); got 5..5"),
    ("one_hot range", lambda: F.one_hot(cg.tensor([0, 5]), 3), ValueError,
     "one_hot: class index 5 is out of range for num_classes=3"),
    ("one_hot negative", lambda: F.one_hot(cg.tensor([-1]), 3),
     ValueError, "one_hot: class indices must be non-negative, got -1"),
    ("one_hot float", lambda: F.one_hot(cg.tensor([1.0]), 3), DTypeError, "one_hot: .* must be int64"),
    # conditions and masks
    ("where condition dtype", lambda: cg.where(cg.tensor([1, 0, 1]), cg.ones(3), cg.zeros(3)), DTypeError,
     "where: condition must be a bool tensor, got dtype int64"),
    ("where shapes", lambda: cg.where(cg.tensor([True, False]), cg.ones(3), cg.zeros(3)), ShapeError,
     r"where: shapes \(2,\) and \(3,\) and \(3,\) do not broadcast"),
    ("masked_fill mask dtype", lambda: x.masked_fill(cg.ones(2, 3), 0.0), DTypeError,
     "masked_fill: mask must be a bool tensor, got dtype float32"),
    ("masked_fill mask shape", lambda: x.masked_fill(cg.ones(4) > 0, 0.0), ShapeError,
     r"masked_fill: mask of shape \(4,\) does not broadcast to the tensor shape \(2, 3\)"),
    ("masked_fill larger mask", lambda: x.masked_fill(cg.ones(2, 2, 3) > 0, 0.0), ShapeError,
     r"masked_fill: mask of shape \(2, 2, 3\) does not broadcast to the tensor shape \(2, 3\)"),
    ("invert", lambda: ~x, DTypeError, "~ needs a bool tensor, got float32"),
    ("truth value", lambda: bool(x),
     ShapeError, r"the truth value of a tensor with 6 elements is ambiguous; use .any\(\) or .all\(\)"),
    # reductions and values
    ("amax empty", lambda: cg.ones(0).amax(), ShapeError, r"amax: reduction over an empty dimension of shape \(0,\)"),
    ("max dim empty", lambda: cg.ones(0, 2).max(0), ShapeError, r"max: dim 0 of shape \(0, 2\) is empty"),
    ("mean of ints", lambda: cg.tensor([1, 2]).mean(),
     DTypeError, "mean: expected a floating-point tensor, got dtype int64"),
    ("softmax of ints", lambda: cg.softmax(cg.tensor([1, 2]), 0),
     DTypeError, "softmax: expected a floating-point tensor"),
    ("norm p", lambda: x.norm(-1),
     ValueError, "norm: unsupported p=-1; expected 'fro', a positive number, inf or -inf"),
    ("var arguments", lambda: x.var(unbiased=True, correction=1),
     ValueError, "var/std: give either unbiased or correction"),
    ("clamp bounds", lambda: x.clamp(), ValueError, "clamp: at least one of min and max must be given"),
    ("clamp order", lambda: x.clamp(1.0, 0.0), ValueError, r"clamp: min \(1.0\) must not exceed max \(0.0\)"),
    ("item", lambda: x.item(), ShapeError, r"item\(\): the tensor has 6 elements, expected exactly 1"),
    # creation and dtypes
    ("negative size", lambda: cg.zeros(-1, 2), ShapeError, r"negative dimension in size \(-1, 2\)"),
    ("randint range", lambda: cg.randint(5, 2), ValueError, r"randint: high \(2\) must be greater than low \(5\)"),
    ("arange step", lambda: cg.arange(0, 1, 0), ValueError, "arange: step must be non-zero"),
    ("dtype", lambda: x.to("int8"),
     DTypeError, "unsupported dtype 'int8': chalkgrad tensors are float32, float64, int64 or bool"),
    ("data dtype", lambda: cg.tensor(np.array([1j])), DTypeError, "cannot make a tensor from data of dtype complex128"),
    ("from_numpy", lambda: cg.from_numpy([1, 2]), TypeError, "from_numpy: expected a numpy.ndarray, got list"),
    ("int requires grad", lambda: cg.tensor([1], requires_grad=True), DTypeError,
     "only floating-point tensors can require gradients, got dtype int64"),
    # autograd misuse
    ("numpy of a graph tensor", lambda: cg.ones(2, requires_grad=True).numpy(),
     GradError, r"call .detach\(\).numpy\(\)"),
    ("grad_outputs count", lambda: cg.autograd.grad([W.sum()], [W], grad_outputs=[None, None]),
     ShapeError, "grad: 2 grad_outputs for 1 outputs"),
    ("grad_output shape", lambda: cg.autograd.grad(W * 2.0, W, grad_outputs=cg.ones(3)),
     ShapeError, r"grad: grad_output of shape \(3,\) for an output of shape \(2,\)"),
    ("grad of an unused input", lambda: cg.autograd.grad((W * 2.0).sum(), [W, cg.ones(1, requires_grad=True)]),
     GradError, r"grad: input 1 \(shape \(1,\)\) was not used to compute the outputs; pass allow_unused=True"),
]


@pytest.mark.parametrize("fails, error, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_a_clear_error(fails, error, message):
    with pytest.raises(error, match=message):
        fails()


@pytest.mark.parametrize("fails, error", [c[1:3] for c in CASES], ids=[c[0] for c in CASES])
def test_errors_are_chalkgrad_errors_when_they_are_about_tensors(fails, error):
    """Shape, dtype and autograd errors are ChalkgradErrors and the matching built-in exception."""
    with pytest.raises(Exception) as info:
        fails()
    builtin = {ShapeError: ValueError, DTypeError: TypeError, GradError: RuntimeError}
    if error in builtin:
        assert isinstance(info.value, ChalkgradError) and isinstance(info.value, builtin[error])
    assert "operands could not be broadcast" not in str(info.value), "NumPy's message leaked through"


def test_failed_binary_op_leaves_no_graph_and_no_partial_state():
    w = cg.ones(2, 3, requires_grad=True)
    with pytest.raises(ShapeError):
        w * cg.ones(4)
    (w * 2.0).sum().backward()
    assert w.grad.tolist() == [[2.0] * 3] * 2
