"""Datasets, samplers, DataLoader and default_collate: batches, seeds, fast path, torch parity, errors."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest
import torch
import torch.utils.data as tud
from hypothesis import given
from hypothesis import strategies as st
from tests.helpers import examples

import chalkgrad as cg
from chalkgrad.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
    random_split,
)
from chalkgrad.errors import ConfigError, DTypeError, IndexOutOfRangeError, ShapeError


def _xy(n=10, f=3):
    x = np.arange(n * f, dtype=np.float32).reshape(n, f)
    y = np.arange(n, dtype=np.int64)
    return x, y


class ListDataset(Dataset):
    """A plain Python dataset (no fast path): sample i is (x[i] as an array, int label)."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], int(self.y[i])


# ---------------------------------------------------------------------------- datasets
def test_tensor_dataset_accepts_arrays_and_tensors():
    x, y = _xy()
    ds = TensorDataset(x, cg.tensor(y))
    assert len(ds) == 10
    assert all(isinstance(t, cg.Tensor) for t in ds.tensors)
    assert ds.tensors[0].dtype == cg.float32 and ds.tensors[1].dtype == cg.int64
    xi, yi = ds[3]
    np.testing.assert_array_equal(xi.numpy(), x[3])
    assert yi.item() == 3
    assert ds[-1][1].item() == 9
    f64 = TensorDataset(x.astype(np.float64))
    assert f64.tensors[0].dtype == cg.float64
    u8 = TensorDataset(np.zeros((4, 2), dtype=np.uint8))
    assert u8.tensors[0].dtype == cg.int64


def test_tensor_dataset_errors():
    x, y = _xy()
    with pytest.raises(ShapeError, match=r"same size in dim 0.*\(10, 3\), \(9,\)"):
        TensorDataset(x, y[:9])
    with pytest.raises(ShapeError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(ShapeError, match="0-d"):
        TensorDataset(np.array(1.0))
    with pytest.raises(ShapeError, match="argument 1 is a list"):
        TensorDataset(x, [1, 2])
    with pytest.raises(IndexOutOfRangeError, match="index 10 is out of range for a dataset of 10"):
        TensorDataset(x, y)[10]


def test_subset_concat_and_add():
    x, y = _xy()
    ds = TensorDataset(x, y)
    sub = Subset(ds, [7, 2, 5])
    assert len(sub) == 3 and sub[0][1].item() == 7 and sub[-1][1].item() == 5
    cat = ConcatDataset([sub, ds])
    assert len(cat) == 13 and cat[2][1].item() == 5 and cat[3][1].item() == 0 and cat[12][1].item() == 9
    assert cat.cumulative_sizes == [3, 13]
    assert len(sub + ds) == 13
    with pytest.raises(IndexOutOfRangeError):
        cat[13]
    with pytest.raises(ConfigError):
        ConcatDataset([])


# ---------------------------------------------------------------------------- random_split
@pytest.mark.parametrize("lengths", [[0.3, 0.3, 0.4], [0.5, 0.5], [0.1, 0.2, 0.3, 0.4], [1.0], [0.33, 0.67]])
@pytest.mark.parametrize("n", [7, 10, 11])
def test_random_split_fraction_lengths_match_torch(lengths, n):
    ours = [len(s) for s in random_split(list(range(n)), lengths, generator=cg.Generator(0))]
    theirs = [len(s) for s in tud.random_split(list(range(n)), lengths, generator=torch.Generator().manual_seed(0))]
    assert ours == theirs


def test_random_split_partition_and_seed():
    parts = random_split(range(20), [5, 15], generator=cg.Generator(3))
    got = sorted(parts[0].indices + parts[1].indices)
    assert got == list(range(20)) and len(parts[0]) == 5
    again = random_split(range(20), [5, 15], generator=cg.Generator(3))
    assert again[0].indices == parts[0].indices
    cg.manual_seed(1)
    a = random_split(range(20), [0.5, 0.5])[0].indices
    cg.manual_seed(1)
    assert random_split(range(20), [0.5, 0.5])[0].indices == a


def test_random_split_errors():
    with pytest.raises(ConfigError, match=r"sum to 9, but the dataset has 10"):
        random_split(range(10), [4, 5])
    with pytest.raises(ConfigError, match="sum to 1"):
        random_split(range(10), [0.5, 0.6])
    with pytest.raises(ConfigError, match="non-negative"):
        random_split(range(10), [-1, 11])


# ---------------------------------------------------------------------------- DataLoader
def test_loader_batches_len_and_drop_last():
    x, y = _xy(10)
    ds = TensorDataset(x, y)
    dl = DataLoader(ds, batch_size=4)
    batches = list(dl)
    assert len(dl) == 3 and [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), y)
    assert isinstance(batches[0], tuple)
    dl = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(dl) == 2 and len(list(dl)) == 2
    assert len(DataLoader(ds)) == 10
    assert len(DataLoader(ds, batch_size=5, drop_last=True)) == 2


@given(n=st.integers(1, 30), bs=st.integers(1, 12), drop=st.booleans(), shuffle=st.booleans())
@examples(25)
def test_loader_len_matches_torch_and_covers_dataset(n, bs, drop, shuffle):
    x, y = _xy(n, 2)
    dl = DataLoader(TensorDataset(x, y), batch_size=bs, drop_last=drop, shuffle=shuffle, generator=cg.Generator(0))
    tdl = tud.DataLoader(tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=bs, drop_last=drop)
    assert len(dl) == len(tdl)
    labels = [b[1].numpy() for b in dl]
    assert len(labels) == len(dl)
    seen = np.concatenate(labels) if labels else np.zeros(0)
    assert len(set(seen.tolist())) == len(seen) == (n // bs * bs if drop else n)


def test_fast_path_equals_slow_path():
    x, y = _xy(23)
    fast = DataLoader(TensorDataset(x, y), batch_size=5, shuffle=True, generator=cg.Generator(7))
    slow = DataLoader(ListDataset(x, y), batch_size=5, shuffle=True, generator=cg.Generator(7))
    via_collate = DataLoader(TensorDataset(x, y), batch_size=5, shuffle=True, generator=cg.Generator(7),
                             collate_fn=default_collate)
    for (a, b), (c, d), (e, f) in zip(fast, slow, via_collate, strict=True):
        np.testing.assert_array_equal(a.numpy(), c.numpy())
        np.testing.assert_array_equal(b.numpy(), d.numpy())
        np.testing.assert_array_equal(a.numpy(), e.numpy())
        assert a.dtype == c.dtype == cg.float32 and b.dtype == d.dtype == cg.int64 == f.dtype


def test_fast_path_used_for_tensor_dataset_and_subset(monkeypatch):
    x, y = _xy(12)
    ds = TensorDataset(x, y)

    def boom(self, i):
        raise AssertionError("per-sample __getitem__ called on the fast path")

    monkeypatch.setattr(TensorDataset, "__getitem__", boom)
    out = list(DataLoader(ds, batch_size=5, shuffle=True))
    assert sum(len(b[1]) for b in out) == 12
    sub = Subset(ds, [11, 3, 4, 0])
    got = np.concatenate([b[1].numpy() for b in DataLoader(sub, batch_size=3)])
    np.testing.assert_array_equal(got, [11, 3, 4, 0])


def test_same_seed_same_batches_and_each_epoch_reshuffles():
    x, y = _xy(40)
    ds = TensorDataset(x, y)

    def epoch(dl):
        return np.concatenate([b[1].numpy() for b in dl])

    cg.manual_seed(5)
    dl = DataLoader(ds, batch_size=8, shuffle=True)
    e1, e2 = epoch(dl), epoch(dl)
    assert not np.array_equal(e1, e2)
    assert sorted(e1.tolist()) == list(range(40))
    cg.manual_seed(5)
    np.testing.assert_array_equal(epoch(dl), e1)
    np.testing.assert_array_equal(epoch(dl), e2)
    g1 = DataLoader(ds, batch_size=8, shuffle=True, generator=cg.Generator(9))
    g2 = DataLoader(ds, batch_size=8, shuffle=True, generator=cg.Generator(9))
    np.testing.assert_array_equal(epoch(g1), epoch(g2))
    np.testing.assert_array_equal(epoch(g1), epoch(g2))
    np.testing.assert_array_equal(epoch(DataLoader(ds, batch_size=8)), np.arange(40))


def test_samplers():
    ds = list(range(10))
    assert list(SequentialSampler(ds)) == list(range(10))
    rs = RandomSampler(ds, generator=cg.Generator(0))
    assert sorted(rs) == list(range(10)) and len(rs) == 10
    long = list(RandomSampler(ds, num_samples=25, generator=cg.Generator(0)))
    assert len(long) == 25 and sorted(long[:10]) == list(range(10))
    rep = list(RandomSampler(ds, replacement=True, num_samples=50, generator=cg.Generator(0)))
    assert len(rep) == 50 and set(rep) <= set(range(10))
    sr = SubsetRandomSampler([2, 4, 6], generator=cg.Generator(0))
    assert sorted(sr) == [2, 4, 6]
    assert list(BatchSampler(SequentialSampler(ds), 4, False)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert list(BatchSampler(iter(range(5)), 2, True)) == [[0, 1], [2, 3]]
    with pytest.raises(ConfigError, match="num_samples"):
        RandomSampler(ds, num_samples=0)


def test_loader_with_sampler_and_batch_sampler():
    x, y = _xy(10)
    ds = TensorDataset(x, y)
    dl = DataLoader(ds, batch_size=2, sampler=[9, 8, 7])
    assert [b[1].tolist() for b in dl] == [[9, 8], [7]] and len(dl) == 2
    dl = DataLoader(ds, batch_sampler=[[1, 2, 3], [0]])
    assert [b[1].tolist() for b in dl] == [[1, 2, 3], [0]] and len(dl) == 2


def test_loader_batch_size_none_yields_samples():
    x, y = _xy(3)
    items = list(DataLoader(ListDataset(x, y), batch_size=None))
    assert len(items) == 3 and isinstance(items[0][0], cg.Tensor) and items[0][0].shape == (3,)
    assert items[2][1] == 2


def test_loader_with_custom_collate():
    x, y = _xy(6)
    dl = DataLoader(TensorDataset(x, y), batch_size=4, collate_fn=lambda samples: len(samples))
    assert list(dl) == [4, 2]


def test_loader_config_errors():
    ds = TensorDataset(*_xy())
    with pytest.raises(ConfigError, match=r"num_workers=2 is not supported.*main process"):
        DataLoader(ds, num_workers=2)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ConfigError, match="batch_size must be a positive integer"):
            DataLoader(ds, batch_size=bad)
    with pytest.raises(ConfigError, match="sampler or shuffle"):
        DataLoader(ds, sampler=[0], shuffle=True)
    with pytest.raises(ConfigError, match="batch_sampler excludes"):
        DataLoader(ds, batch_sampler=[[0]], batch_size=3)
    with pytest.raises(ConfigError, match="drop_last"):
        DataLoader(ds, batch_size=None, drop_last=True)


# ---------------------------------------------------------------------------- default_collate
def test_collate_dtypes_and_structures_against_torch():
    Point = namedtuple("Point", "a b")
    samples = [
        {"img": np.full((2, 2), i, dtype=np.uint8), "f64": np.full(3, i, dtype=np.float64),
         "t": cg.tensor([float(i), 1.0]), "n": i, "x": float(i), "flag": i % 2 == 0,
         "name": f"s{i}", "pt": Point(np.float32(i), i)}
        for i in range(3)
    ]
    b = default_collate(samples)
    assert b["img"].dtype == cg.int64 and b["img"].shape == (3, 2, 2)
    assert b["f64"].dtype == cg.float64 and b["f64"].shape == (3, 3)
    assert b["t"].dtype == cg.float32 and b["t"].shape == (3, 2)
    assert b["n"].dtype == cg.int64 and b["n"].tolist() == [0, 1, 2]
    assert b["x"].dtype == cg.float32  # torch would give float64 here (documented deviation)
    assert b["flag"].dtype == cg.bool_ and b["flag"].tolist() == [True, False, True]
    assert b["name"] == ["s0", "s1", "s2"]
    assert isinstance(b["pt"], Point) and b["pt"].a.dtype == cg.float32 and b["pt"].b.dtype == cg.int64
    tsamples = [{k: v for k, v in s.items() if k not in ("t", "pt")} for s in samples]
    tb = tud.default_collate(tsamples)
    for k in ("img", "f64", "n", "flag"):
        np.testing.assert_array_equal(b[k].numpy(), tb[k].numpy())
    np.testing.assert_allclose(b["x"].numpy(), tb["x"].numpy())
    nested = default_collate([(np.zeros(2, np.float32), [1, 2.0]), (np.ones(2, np.float32), [3, 4.0])])
    assert isinstance(nested, tuple) and isinstance(nested[1], list)
    assert nested[1][0].tolist() == [1, 3] and nested[1][1].dtype == cg.float32


def test_collate_keeps_grad_when_needed():
    a = cg.tensor([1.0, 2.0], requires_grad=True)
    b = cg.tensor([3.0, 4.0], requires_grad=True)
    s = default_collate([a, b])
    s.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 1.0])


def test_collate_errors():
    with pytest.raises(ShapeError, match=r"shapes \(2,\) and \(3,\).*collate_fn"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(ShapeError, match="different lengths"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(DTypeError, match="cannot batch samples of type object"):
        default_collate([object(), object()])
    with pytest.raises(ShapeError, match="empty"):
        default_collate([])
