"""Data loading: datasets, a mini-batch ``DataLoader``, image transforms and ready-made datasets.

Shaped like ``torch.utils.data`` and ``torchvision``::

    from chalkgrad.data import DataLoader, digits, train_test_split
    train, test = train_test_split(digits(), test_size=0.2, random_state=0)
    for x, y in DataLoader(train, batch_size=32, shuffle=True):
        ...

* :mod:`.dataset`: ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``, ``random_split``
* :mod:`.sampler`: ``SequentialSampler``, ``RandomSampler``, ``SubsetRandomSampler``, ``BatchSampler``
* :mod:`.dataloader`: ``DataLoader``, ``default_collate``
* :mod:`.transforms`: ``Compose``, ``ToTensor``, ``Normalize``, flips, ``RandomCrop``,
  ``RandomRotation``, ``ColorJitter``, ``GaussianNoise`` (also importable as ``chalkgrad.data.transforms``)
* :mod:`.split`: ``train_test_split`` (scikit-learn's signature)
* :mod:`.datasets`: ``digits``, ``MNIST``, ``FashionMNIST``, ``CIFAR10``,
  ``ImageFolder``, ``read_idx`` (no downloading)
"""

from . import transforms
from ._unpickle import restricted_load
from .dataloader import DataLoader, default_collate, default_convert
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .datasets import (
    CIFAR10, IMG_EXTENSIONS, MNIST, FashionMNIST, ImageFolder, digits, read_idx,
)
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler
from .split import train_test_split
from .transforms import (
    ColorJitter, Compose, GaussianNoise, Lambda, Normalize, RandomCrop, RandomHorizontalFlip, RandomRotation,
    RandomVerticalFlip, ToTensor, rotate,
)

__all__ = [
    "Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
    "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "BatchSampler",
    "DataLoader", "default_collate", "default_convert",
    "transforms", "Compose", "Lambda", "ToTensor", "Normalize", "RandomHorizontalFlip", "RandomVerticalFlip",
    "RandomCrop", "RandomRotation", "ColorJitter", "GaussianNoise", "rotate",
    "digits", "train_test_split", "read_idx", "MNIST", "FashionMNIST", "CIFAR10", "ImageFolder",
    "IMG_EXTENSIONS", "restricted_load",
]
