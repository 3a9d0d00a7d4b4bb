"""__array__, __dlpack__, from_dlpack and tensor()/as_tensor() with torch tensors: values and shared memory."""

import numpy as np
import pytest
import torch

import chalkgrad as cg
from chalkgrad.errors import ChalkgradError, DTypeError, GradError


def _ptr(t) -> int:
    return t.data.ctypes.data if isinstance(t, cg.Tensor) else t.data_ptr()


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_torch_reads_chalkgrad_tensors_without_a_copy(dtype):
    t = cg.tensor(np.arange(6).reshape(2, 3).astype(dtype))
    for made in (torch.as_tensor(t), torch.from_dlpack(t), torch.utils.dlpack.from_dlpack(t.__dlpack__())):
        assert str(made.dtype) == f"torch.{dtype}"
        assert made.data_ptr() == _ptr(t)
        np.testing.assert_array_equal(made.numpy(), t.numpy())
    shared = torch.from_dlpack(t)
    if dtype != "bool":
        shared += 1  # a write on either side is seen by the other
        np.testing.assert_array_equal(t.numpy(), shared.numpy())


def test_numpy_reads_chalkgrad_tensors_through_both_protocols():
    t = cg.randn(3, 4)
    assert np.shares_memory(np.asarray(t), t.data)
    assert np.shares_memory(np.from_dlpack(t), t.data)
    assert t.__dlpack_device__() == torch.tensor(0.0).__dlpack_device__()  # (kDLCPU, 0)


def test_array_protocol_follows_numpy_2_copy_rules():
    t = cg.tensor([1.0, 2.0])
    assert not np.shares_memory(np.array(t, copy=True), t.data)
    assert np.shares_memory(np.asarray(t, copy=False), t.data)
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError):
        np.asarray(t, dtype=np.float64, copy=False)
    with pytest.raises(ValueError):  # NumPy's own rule, for comparison
        np.asarray(np.ones(2, np.float32), dtype=np.float64, copy=False)


def test_dlpack_keywords_are_accepted_as_numpy_does():
    t = cg.ones(2, 2)
    for kwargs in ({}, {"max_version": (1, 0)}, {"dl_device": (1, 0)}, {"stream": None}, {"copy": False}):
        cap = t.__dlpack__(**kwargs)
        ref = np.ones((2, 2), np.float32).__dlpack__(**kwargs)
        assert type(cap) is type(ref)
    copied = np.from_dlpack(t, copy=True)
    assert not np.shares_memory(copied, t.data)
    with pytest.raises(BufferError):
        t.__dlpack__(stream=1)
    with pytest.raises((BufferError, ValueError)):
        t.__dlpack__(dl_device=(2, 0))  # CUDA


def test_tensor_that_requires_grad_is_refused_as_in_torch():
    """torch raises for numpy()/__array__/__dlpack__ on a tensor that requires grad; chalkgrad raises GradError."""
    w = cg.randn(2, requires_grad=True)
    tw = torch.randn(2, requires_grad=True)
    with pytest.raises(RuntimeError):
        np.asarray(tw)
    with pytest.raises(BufferError):
        tw.__dlpack__()
    for call in (lambda: np.asarray(w), lambda: w.__dlpack__(), lambda: torch.from_dlpack(w)):
        with pytest.raises(GradError, match="detach"):
            call()
    assert np.shares_memory(np.asarray(w.detach()), w.data)


def test_chalkgrad_reads_torch_tensors():
    src = torch.arange(12, dtype=torch.float64).reshape(3, 4)
    shared = cg.as_tensor(src)
    assert shared.dtype == np.float64 and _ptr(shared) == src.data_ptr()
    dl = cg.from_dlpack(src)
    assert _ptr(dl) == src.data_ptr()
    dl.data[0, 0] = 100.0
    assert src[0, 0].item() == 100.0
    copied = cg.tensor(src)
    assert _ptr(copied) != src.data_ptr()
    np.testing.assert_array_equal(copied.numpy(), src.numpy())


def test_torch_dtypes_follow_chalkgrad_rules():
    assert cg.tensor(torch.ones(2, dtype=torch.int32)).dtype == np.int64
    assert cg.from_dlpack(torch.ones(2, dtype=torch.float16)).dtype == np.float32
    assert cg.as_tensor(torch.ones(2), dtype="float64").dtype == np.float64
    with pytest.raises(DTypeError) as err:
        cg.tensor(torch.ones(2, dtype=torch.bfloat16))
    assert isinstance(err.value, ChalkgradError) and "bfloat16" in str(err.value)
    with pytest.raises(DTypeError, match="__dlpack__"):
        cg.from_dlpack([1, 2])


def test_torch_tensor_that_requires_grad_gives_its_values():
    """torch.tensor(t) of a tensor that requires grad copies its values (a leaf without grad); so does chalkgrad."""
    src = torch.randn(3, requires_grad=True)
    mine = cg.tensor(src)
    assert not mine.requires_grad
    np.testing.assert_array_equal(mine.numpy(), src.detach().numpy())
    assert cg.tensor(src, requires_grad=True).requires_grad


def test_round_trip_keeps_values_and_memory():
    t = cg.randn(2, 3, dtype="float64")
    back = cg.from_dlpack(torch.from_dlpack(t))
    assert _ptr(back) == _ptr(t)
    np.testing.assert_array_equal(back.numpy(), t.numpy())


def test_scalars_and_strided_views_cross_both_ways():
    s = cg.tensor(3.5)
    for made in (torch.as_tensor(s), torch.from_dlpack(s), torch.tensor(s)):
        assert made.shape == () and made.item() == 3.5
    view = cg.arange(12, dtype="float64").reshape(3, 4)[:, 1]
    np.testing.assert_array_equal(torch.from_dlpack(view).numpy(), view.numpy())
    transposed = torch.arange(6.0).reshape(2, 3).t()
    shared = cg.from_dlpack(transposed)
    assert _ptr(shared) == transposed.data_ptr()
    np.testing.assert_array_equal(shared.numpy(), transposed.numpy())
