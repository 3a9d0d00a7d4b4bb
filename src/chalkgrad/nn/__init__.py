"""Neural-network building blocks with PyTorch's names: ``Module``, layers, losses, ``init``.

Where things live:
``module.py`` (Module), ``parameter.py``, ``containers.py`` (Sequential, ModuleList,
ModuleDict), ``linear.py`` (Linear, Identity, Flatten, Unflatten), ``activation.py``
(activation modules), ``loss.py`` (loss modules), ``init.py`` (initializers) and
``functional/`` (the same operations as functions).
"""

from . import functional, init
from .module import Module
from .parameter import Parameter
from .containers import Sequential, ModuleList, ModuleDict
from .linear import Linear, Identity, Flatten, Unflatten
from .activation import *  # noqa: F403 - each file lists its public names in __all__
from .loss import *  # noqa: F403
from . import utils
from .dropout import *  # noqa: F403
from .conv import *  # noqa: F403
from .pooling import *  # noqa: F403
from .upsampling import *  # noqa: F403
from .normalization import *  # noqa: F403
from .rnn import *  # noqa: F403
from .sparse import *  # noqa: F403
from . import regularization
from .summary import *  # noqa: F403
