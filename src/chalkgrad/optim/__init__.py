"""Optimizers and learning-rate schedulers (``torch.optim`` names and update rules).

``optimizer.py`` holds the base class (parameter groups, state, state_dict, named_state);
each optimizer lives in its own file with its update rule in the docstring;
``lr_scheduler.py`` holds the schedulers (``chalkgrad.optim.lr_scheduler.StepLR``...).
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .nadam import NAdam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW", "NAdam", "Adamax", "Rprop",
           "lr_scheduler"]
