"""Optimizers (``torch.optim`` names and update rules).

``optimizer.py`` holds the base class (parameter groups, state, state_dict);
each optimizer lives in its own file with its update rule in the docstring.
"""

from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD"]
