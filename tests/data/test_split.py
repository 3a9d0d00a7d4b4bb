"""chalkgrad.data.train_test_split against scikit-learn's: signature, sizes, stratified proportions, errors."""

import warnings

import numpy as np
import pytest
from sklearn.model_selection import train_test_split as sk_split

import chalkgrad as cg
from chalkgrad.data import Subset, TensorDataset, train_test_split

X = np.arange(60).reshape(30, 2)
Y = np.array([0] * 12 + [1] * 9 + [2] * 6 + [3] * 3)

SIZES = [
    {}, {"test_size": 0.25}, {"test_size": 0.33}, {"test_size": 7}, {"train_size": 0.5}, {"train_size": 11},
    {"test_size": 0.2, "train_size": 0.5}, {"test_size": 5, "train_size": 20}, {"test_size": 0.1},
    {"train_size": 0.9}, {"test_size": 29}, {"train_size": 1},
]


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("sizes", SIZES, ids=str)
def test_split_sizes_match_sklearn(sizes, shuffle):
    ours = train_test_split(X, Y, random_state=0, shuffle=shuffle, **sizes)
    theirs = sk_split(X, Y, random_state=0, shuffle=shuffle, **sizes)
    assert [len(p) for p in ours] == [len(p) for p in theirs]
    if not shuffle:  # no randomness: the same samples
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a, b)
    x_train, x_test, y_train, y_test = ours
    np.testing.assert_array_equal(x_train[:, 1], x_train[:, 0] + 1)  # rows stay whole
    np.testing.assert_array_equal(Y[x_train[:, 0] // 2], y_train)  # X and y rows stay paired
    np.testing.assert_array_equal(Y[x_test[:, 0] // 2], y_test)
    assert not set(x_train[:, 0]) & set(x_test[:, 0])


STRATIFIED = [{"test_size": 0.25}, {"test_size": 0.5}, {"test_size": 8}, {"train_size": 0.6}, {"test_size": 0.2,
              "train_size": 0.6}]


@pytest.mark.parametrize("sizes", STRATIFIED, ids=str)
def test_stratified_class_counts_match_sklearn(sizes):
    _, _, y_train, y_test = train_test_split(X, Y, stratify=Y, random_state=0, **sizes)
    _, _, sk_train, sk_test = sk_split(X, Y, stratify=Y, random_state=0, **sizes)
    assert len(y_train) == len(sk_train) and len(y_test) == len(sk_test)
    # Equal fractional parts are broken at random (differently seeded streams): allow one sample per class.
    assert np.abs(np.bincount(y_train, minlength=4) - np.bincount(sk_train, minlength=4)).max() <= 1
    assert np.abs(np.bincount(y_test, minlength=4) - np.bincount(sk_test, minlength=4)).max() <= 1


def test_stratified_counts_without_ties_are_exact():
    y = np.array([0] * 40 + [1] * 20 + [2] * 40)  # 25% of each class is a whole number
    for seed in range(3):
        ours = train_test_split(y, stratify=y, test_size=0.25, random_state=seed)
        theirs = sk_split(y, stratify=y, test_size=0.25, random_state=seed)
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(np.bincount(a), np.bincount(b))


def test_kinds_are_kept_and_the_split_is_reproducible():
    t = cg.tensor(X, dtype=cg.float64)
    ds = TensorDataset(cg.tensor(X), cg.tensor(Y))
    lst = list(range(30))
    t_tr, t_te, ds_tr, ds_te, l_tr, l_te = train_test_split(t, ds, lst, test_size=0.3, random_state=4)
    assert isinstance(t_tr, cg.Tensor) and t_tr.dtype == cg.float64 and t_tr.shape == (21, 2)
    assert isinstance(ds_tr, TensorDataset) and len(ds_te) == 9
    assert isinstance(l_tr, list) and sorted(l_tr + l_te) == lst
    np.testing.assert_array_equal(t_tr.numpy()[:, 0] // 2, l_tr)
    again = train_test_split(t, test_size=0.3, random_state=4)
    np.testing.assert_array_equal(again[0].numpy(), t_tr.numpy())
    cg.manual_seed(3)
    a = train_test_split(lst)
    cg.manual_seed(3)
    assert train_test_split(lst) == a


def test_a_plain_dataset_gives_subsets():
    class Squares(cg.data.Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            return i * i

    train, test = train_test_split(Squares(), test_size=0.3, random_state=0)
    assert isinstance(train, Subset) and (len(train), len(test)) == (7, 3)


@pytest.mark.parametrize("kwargs", [
    {"test_size": 0.0}, {"test_size": 1.0}, {"test_size": 30}, {"test_size": 0}, {"train_size": 30},
    {"test_size": -1}, {"test_size": 0.6, "train_size": 0.6}, {"test_size": 20, "train_size": 20},
    {"test_size": "0.2"}, {"stratify": Y, "shuffle": False}, {"stratify": np.arange(30)},
    {"stratify": Y, "test_size": 3},
])
def test_bad_arguments_are_refused_like_sklearn(kwargs):
    with pytest.raises(ValueError):
        sk_split(X, Y, **kwargs)
    with pytest.raises(cg.ConfigError, match="train_test_split"):
        train_test_split(X, Y, **kwargs)


def test_inconsistent_lengths_are_a_shape_error():
    with pytest.raises(ValueError):
        sk_split(X, Y[:5])
    with pytest.raises(cg.ShapeError, match=r"different numbers of samples \[30, 5\]"):
        train_test_split(X, Y[:5])


def test_the_dataset_form_still_works_and_only_its_bare_call_is_deprecated():
    ds = TensorDataset(cg.tensor(X), cg.tensor(Y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train, test = train_test_split(ds, test_fraction=0.2, seed=0)  # chalkgrad's named form: no warning
        unstratified = train_test_split(ds, test_fraction=0.2, seed=0, stratify=False)
        train_test_split(ds, test_size=0.2, random_state=0)  # scikit-learn's form
    assert len(test) == 6 and len(unstratified[1]) == 6
    # stratified: round(n_c * 0.2) samples of each class, in their original order
    np.testing.assert_array_equal(np.bincount(test.tensors[1].numpy()), [2, 2, 1, 1])
    assert np.all(np.diff(test.tensors[0].numpy()[:, 0]) > 0)
    with pytest.warns(DeprecationWarning, match="test_size"):
        again = train_test_split(ds, 0.2, 0)
    with pytest.warns(DeprecationWarning):
        default = train_test_split(ds)
    for other in (again, default):
        np.testing.assert_array_equal(other[1].tensors[0].numpy(), test.tensors[0].numpy())
