"""Functional forms of the layers, activations and losses (``chalkgrad.nn.functional``, as ``F``)."""

from ...ops.linalg import linear
from ...ops.indexing import one_hot
from ...ops.shape import pad
from .activation import *  # noqa: F403 - each file lists its public names in __all__
from .loss import *  # noqa: F403
from .conv import *  # noqa: F403
from .pooling import *  # noqa: F403
from .normalization import *  # noqa: F403
from .dropout import *  # noqa: F403
from .sparse import *  # noqa: F403
