"""``train_test_split`` with scikit-learn's signature and size rules.

``train_test_split(*arrays, test_size=None, train_size=None, random_state=None, shuffle=True,
stratify=None)`` splits NumPy arrays, tensors, lists and datasets alike and returns
``[a_train, a_test, b_train, b_test, ...]``.

Sizes, as in scikit-learn: a float is a fraction of the n samples, strictly between 0 and 1;
an int is a count, between 1 and n - 1. The test part gets ⌈test_size·n⌉ samples, the train
part ⌊train_size·n⌋, and whichever is not given gets the rest; with neither, test_size = 0.25.

Stratified (``stratify=labels``): the train part takes n_train samples spread over the classes
in proportion to their counts (the floors of count·n_train/n, the remaining samples going to
the classes with the largest fractional parts, ties drawn at random), then the test part is
drawn the same way from what is left, so both keep the class proportions.

The samples come in random order (``shuffle=False``: the first n_train, then the next n_test).
``random_state`` is an int seed, a ``chalkgrad.Generator``/``numpy.random.Generator``, or None
for chalkgrad's default generator (reproducible after ``chalkgrad.manual_seed``). The
partition is the one scikit-learn's rules give, but not the same samples: the random streams
differ.

chalkgrad's own form ``train_test_split(dataset, test_fraction=0.2, seed=0, stratify=True)`` keeps
working: it returns ``(train, test)``, stratified by the dataset's labels unless ``stratify=False``,
with round(n_c·test_fraction) test samples of each class n_c, in their original order. Only the
bare ``train_test_split(dataset)`` (whose defaults differ from scikit-learn's: 20 % stratified,
seed 0, against 25 % shuffled) and positional fractions warn that they are deprecated.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ..errors import ConfigError, ShapeError
from ..random import Generator, get_generator
from ..tensor import Tensor
from .dataset import Dataset, Subset, TensorDataset

_LEGACY = object()  # marks a keyword left out


def train_test_split(*arrays, test_size=None, train_size=None, random_state=None, shuffle=True, stratify=None,
                     test_fraction=_LEGACY, seed=_LEGACY):
    """Split ``arrays`` (equal lengths) into random train and test parts, as scikit-learn's function.

    Returns a list of 2·len(arrays) items: ``X_train, X_test, y_train, y_test, ...``, each of the
    input's kind (NumPy array, Tensor, list; a TensorDataset or other Dataset gives a
    TensorDataset or a Subset).
    """
    if _is_legacy_call(arrays, test_size, train_size, random_state, shuffle, stratify, test_fraction, seed):
        return _legacy(arrays, stratify, test_fraction, seed)
    if not arrays:
        raise ConfigError("train_test_split: at least one array required as input")
    n = _common_length(arrays)
    n_train, n_test = _split_sizes(n, test_size, train_size)
    if not shuffle:
        if stratify is not None:
            raise ConfigError("train_test_split: stratified splits need shuffle=True; got shuffle=False with "
                              "stratify given")
        train, test = np.arange(n_train), np.arange(n_train, n_train + n_test)
    else:
        rng = _rng(random_state)
        if stratify is None:
            order = rng.permutation(n)
            test, train = order[:n_test], order[n_test:n_test + n_train]
        else:
            train, test = _stratified(_class_ids(stratify, n), n_train, n_test, rng)
    out = []
    for a in arrays:
        out += [_take(a, train), _take(a, test)]
    return out


# ------------------------------------------------------------------------------ sizes
def _split_sizes(n: int, test_size, train_size) -> tuple[int, int]:
    """(n_train, n_test) by scikit-learn's rules for int and float sizes."""
    if test_size is None and train_size is None:
        test_size = 0.25
    for name, size in (("test_size", test_size), ("train_size", train_size)):
        if size is None:
            continue
        if isinstance(size, (bool, np.bool_)) or not isinstance(size, numbers.Real):
            raise ConfigError(f"train_test_split: {name} must be an int, a float or None, got {size!r}")
        if isinstance(size, numbers.Integral):
            if not 0 < size < n:
                raise ConfigError(f"train_test_split: {name}={size} must be a count between 1 and n_samples - 1 "
                                  f"= {n - 1}, or a float in (0, 1)")
        elif not 0 < size < 1:
            raise ConfigError(f"train_test_split: {name}={size} must be a float strictly between 0 and 1 "
                              "(a fraction of the samples), or an int count")
    if (isinstance(test_size, float) and isinstance(train_size, float) and test_size + train_size > 1):
        raise ConfigError(f"train_test_split: test_size + train_size = {test_size + train_size} must be at most 1")
    n_test = None if test_size is None else (
        math.ceil(test_size * n) if isinstance(test_size, float) else int(test_size))
    n_train = None if train_size is None else (
        math.floor(train_size * n) if isinstance(train_size, float) else int(train_size))
    if n_train is None:
        n_train = n - n_test
    elif n_test is None:
        n_test = n - n_train
    if n_train + n_test > n:
        raise ConfigError(f"train_test_split: train_size ({n_train} samples) and test_size ({n_test}) add up to "
                          f"more than the {n} samples")
    if n_train == 0:
        raise ConfigError(f"train_test_split: with n_samples={n}, test_size={test_size!r} and "
                          f"train_size={train_size!r} the train part would be empty; adjust the sizes")
    return n_train, n_test


# ------------------------------------------------------------------------------ stratified
def _apportion(counts: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """How many of ``draws`` samples each class gets: floors of the proportional share, the rest to the
    classes with the largest fractional parts (equal fractions: chosen at random)."""
    share = counts / counts.sum() * draws
    taken = np.floor(share).astype(np.int64)
    left = draws - int(taken.sum())
    fraction = share - taken
    for value in np.sort(np.unique(fraction))[::-1]:
        if left == 0:
            break
        candidates = np.flatnonzero(fraction == value)
        chosen = rng.choice(candidates, size=min(len(candidates), left), replace=False)
        taken[chosen] += 1
        left -= len(chosen)
    return taken


def _stratified(classes: np.ndarray, n_train: int, n_test: int, rng) -> tuple[np.ndarray, np.ndarray]:
    counts = np.bincount(classes)
    if counts.min() < 2:
        raise ConfigError(f"train_test_split: the least populated class in stratify has only {counts.min()} member; "
                          "every class needs at least 2 (one for each part)")
    for name, size in (("train", n_train), ("test", n_test)):
        if size < len(counts):
            raise ConfigError(f"train_test_split: the {name} part ({size} samples) must hold at least one sample "
                              f"of each of the {len(counts)} classes")
    per_train = _apportion(counts, n_train, rng)
    per_test = _apportion(counts - per_train, n_test, rng)
    train, test = [], []
    for c in range(len(counts)):
        members = rng.permutation(np.flatnonzero(classes == c))
        train.append(members[:per_train[c]])
        test.append(members[per_train[c]:per_train[c] + per_test[c]])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _class_ids(labels, n: int) -> np.ndarray:
    """Class numbers 0..C-1 of ``labels`` (1-D, or rows of a 2-D array such as one-hot)."""
    y = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if len(y) != n:
        raise ShapeError(f"train_test_split: stratify has {len(y)} labels for {n} samples; expected one per sample")
    if y.ndim == 1:
        return np.unique(y, return_inverse=True)[1].reshape(-1)
    return np.unique(y.reshape(n, -1), axis=0, return_inverse=True)[1].reshape(-1)


# ------------------------------------------------------------------------------ arrays
def _length(a) -> int:
    if isinstance(a, (Tensor, np.ndarray)) and a.ndim == 0:
        raise ShapeError(f"train_test_split: a 0-d {type(a).__name__} has no samples to split; expected an "
                         "array with one sample per row")
    try:
        return len(a)
    except TypeError:
        raise ShapeError(f"train_test_split: expected arrays, tensors, lists or datasets, got a "
                         f"{type(a).__name__}") from None


def _common_length(arrays) -> int:
    lengths = [_length(a) for a in arrays]
    if len(set(lengths)) > 1:
        raise ShapeError(f"train_test_split: the inputs have different numbers of samples {lengths}; expected "
                         "one length for all")
    return lengths[0]


def _take(a, idx: np.ndarray):
    """Rows ``idx`` of ``a``, of the same kind as ``a``."""
    if isinstance(a, TensorDataset):
        return TensorDataset(*(Tensor._wrap(t.data[idx]) for t in a.tensors))
    if isinstance(a, Dataset):
        return Subset(a, idx.tolist())
    if isinstance(a, Tensor):
        return Tensor._wrap(a.data[idx])
    if isinstance(a, np.ndarray):
        return a[idx]
    if hasattr(a, "iloc"):  # a pandas DataFrame or Series
        return a.iloc[idx]
    return [a[i] for i in idx.tolist()]


def _rng(random_state) -> np.random.Generator:
    if isinstance(random_state, (Generator, np.random.Generator)) or random_state is None:
        return get_generator(random_state)
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)) or random_state < 0:
        raise ConfigError(f"train_test_split: random_state must be a non-negative int seed, a Generator or None, "
                          f"got {random_state!r}")
    return np.random.Generator(np.random.PCG64(int(random_state)))


# ------------------------------------------------------------------------------ the older form
def _is_legacy_call(arrays, test_size, train_size, random_state, shuffle, stratify, test_fraction, seed) -> bool:
    """``train_test_split(dataset, test_fraction=..., seed=..., stratify=True/False)``,
    ``train_test_split(dataset, 0.2, 0)`` or ``train_test_split(dataset)``: chalkgrad's own form."""
    if test_fraction is not _LEGACY or seed is not _LEGACY or isinstance(stratify, bool):
        return True
    single_dataset = bool(arrays) and isinstance(arrays[0], Dataset) and all(
        isinstance(a, numbers.Real) for a in arrays[1:])
    if not single_dataset:
        return False
    if len(arrays) > 1:
        return True
    return test_size is None and train_size is None and random_state is None and shuffle is True and stratify is None


def _legacy(arrays, stratify, test_fraction, seed):
    from .datasets import train_test_split as split_dataset

    if not arrays or isinstance(arrays[0], numbers.Real) or not all(isinstance(a, numbers.Real) for a in arrays[1:]):
        raise ConfigError("train_test_split: test_fraction=/seed= belong to the older form "
                          "train_test_split(dataset, test_fraction=0.2, seed=0, stratify=True); with arrays use "
                          "test_size= and random_state=")
    dataset, positional = arrays[0], list(arrays[1:])
    explicit = not positional and (test_fraction is not _LEGACY or seed is not _LEGACY or stratify is not None)
    if test_fraction is _LEGACY:
        test_fraction = positional.pop(0) if positional else 0.2
    if seed is _LEGACY:
        seed = positional.pop(0) if positional else 0
    if explicit is False:
        warnings.warn("train_test_split(dataset) and positional fractions are deprecated (the defaults differ "
                      "from scikit-learn's: 20 % stratified, seed 0): name the sizes, as in "
                      "train_test_split(dataset, test_size=0.2, random_state=0) or "
                      "train_test_split(dataset, test_fraction=0.2, seed=0)", DeprecationWarning, stacklevel=3)
    stratify = True if stratify is None else stratify
    return split_dataset(dataset, test_fraction=test_fraction, seed=seed, stratify=stratify)
