"""Embedding and F.embedding against PyTorch: lookup, scatter-add gradient, padding_idx, max_norm,
scale_grad_by_freq, from_pretrained, gradcheck, static arithmetic and errors."""

import re

import numpy as np
import pytest
import torch

import chalkgrad as cg
import chalkgrad.nn.functional as F
from chalkgrad import nn
from chalkgrad.autograd import gradcheck
from chalkgrad.errors import ConfigError, DTypeError, IndexOutOfRangeError, ShapeError

TOL = {"float64": dict(rtol=1e-12, atol=1e-12), "float32": dict(rtol=1e-5, atol=1e-6)}
IDX = np.array([[1, 2, 2, 0], [3, 1, 9, 2]])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kw", [dict(), dict(padding_idx=2), dict(scale_grad_by_freq=True),
                                dict(padding_idx=-1, scale_grad_by_freq=True), dict(max_norm=1.0),
                                dict(max_norm=0.5, norm_type=1.0)])
def test_embedding_matches_torch(kw, dtype):
    te = torch.nn.Embedding(10, 3, dtype=getattr(torch, dtype), **kw)
    with torch.no_grad():
        te.weight.mul_(2)  # rows well above max_norm
    ce = nn.Embedding(10, 3, dtype=dtype, **kw)
    ce.load_state_dict(te.state_dict())
    g = np.random.default_rng(0).standard_normal(IDX.shape + (3,)).astype(dtype)
    y = ce(cg.tensor(IDX))
    ty = te(torch.from_numpy(IDX))
    (y * cg.tensor(g)).sum().backward()
    (ty * torch.from_numpy(g)).sum().backward()
    assert y.shape == ce.output_shape(IDX.shape) == (2, 4, 3) and y.dtype == dtype
    np.testing.assert_allclose(y.data, ty.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(ce.weight.grad.data, te.weight.grad.numpy(), **TOL[dtype])
    np.testing.assert_allclose(ce.weight.data, te.weight.detach().numpy(), **TOL[dtype])  # max_norm renorm


def test_repeated_indices_add_up_and_padding_row():
    e = nn.Embedding(5, 2, padding_idx=0, dtype="float64")
    assert np.all(e.weight.data[0] == 0)
    y = e(cg.tensor(np.array([1, 1, 1, 0, 3])))
    y.sum().backward()
    np.testing.assert_array_equal(e.weight.grad.data, [[0, 0], [3, 3], [0, 0], [1, 1], [0, 0]])
    assert e.count_parameters() == 10 and e.macs((7,)) == 0
    assert repr(e) == "Embedding(5, 2, padding_idx=0)"


def test_functional_and_list_indices():
    w = cg.tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    y = F.embedding([[3, 0]], w)
    np.testing.assert_array_equal(y.data, [[[9, 10, 11], [0, 1, 2]]])
    np.testing.assert_array_equal(F.embedding(cg.tensor(2), w).data, [6, 7, 8])  # a scalar index


def test_gradcheck_and_double_backward():
    w = cg.tensor(np.random.default_rng(1).standard_normal((6, 3)), requires_grad=True)
    idx = np.array([[1, 5, 1], [2, 2, 2]])
    assert gradcheck(lambda w: F.embedding(idx, w) ** 2, [w])  # (padding_idx and scale change it on purpose)
    # the gradient is itself differentiable: d/dw Σ (dL/dw)² with L = Σ (emb(idx))²
    (g,) = cg.autograd.grad((F.embedding(idx, w) ** 2).sum(), [w], create_graph=True)
    (g ** 2).sum().backward()
    wt = torch.tensor(w.data, requires_grad=True)
    (gt,) = torch.autograd.grad((torch.nn.functional.embedding(torch.from_numpy(idx), wt) ** 2).sum(), [wt],
                                create_graph=True)
    (gt ** 2).sum().backward()
    np.testing.assert_allclose(w.grad.data, wt.grad.numpy(), rtol=1e-12)


def test_from_pretrained():
    table = np.arange(6.0).reshape(3, 2)
    e = nn.Embedding.from_pretrained(cg.tensor(table))
    assert not e.weight.requires_grad and e.weight.dtype == np.float64
    np.testing.assert_array_equal(e(cg.tensor([2, 0])).data, [[4, 5], [0, 1]])
    table[0, 0] = 99  # a copy: the source can change afterwards
    assert e.weight.data[0, 0] == 0
    t = nn.Embedding.from_pretrained(np.ones((3, 2), np.float32), freeze=False, padding_idx=1)
    assert t.weight.requires_grad and t.padding_idx == 1 and np.all(t.weight.data[1] == 1)  # not zeroed, as torch
    t(cg.tensor([1, 2])).sum().backward()
    np.testing.assert_array_equal(t.weight.grad.data, [[0, 0], [0, 0], [1, 1]])


def test_errors():
    e = nn.Embedding(10, 3)
    with pytest.raises(DTypeError, match=re.escape("Embedding(10, 3): indices must be integers (int64), got dtype "
                                                   "float32")):
        e(cg.tensor([[1.0, 2.0]]))
    with pytest.raises(IndexOutOfRangeError, match=re.escape("Embedding(10, 3): index 10 is out of range for a "
                                                             "vocabulary of 10 embeddings (valid indices are 0..9)")):
        e(cg.tensor([3, 10]))
    with pytest.raises(IndexOutOfRangeError, match="index -1 is out of range"):
        e(cg.tensor([-1]))
    with pytest.raises(IndexOutOfRangeError, match=re.escape("[Sequential layer 'emb'] Embedding(10, 3)")):
        nn.Sequential({"emb": e})(cg.tensor([12]))
    with pytest.raises(IndexOutOfRangeError, match="embedding: index 4"):
        F.embedding([4], cg.zeros(4, 2))
    with pytest.raises(ConfigError, match="padding_idx"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(ConfigError, match="sparse"):
        nn.Embedding(5, 2, sparse=True)
    with pytest.raises(ShapeError, match="2-D"):
        nn.Embedding.from_pretrained(np.zeros(3))
