"""``chalkgrad.fit``: the older name of :mod:`chalkgrad.keras` (the same modules and classes).

``import chalkgrad.fit.callbacks`` and the like give the ``chalkgrad.keras`` modules themselves.
"""

import sys as _sys

from .. import keras as _keras
from ..keras import *  # noqa: F401,F403
from ..keras import __all__  # noqa: F401

for _name in ("activations", "backend", "callbacks", "history", "initializers", "layers", "losses", "metrics",
              "models", "optimizers", "progress", "registry", "regularizers", "utils"):
    _sys.modules[f"{__name__}.{_name}"] = getattr(_keras, _name) if hasattr(_keras, _name) else \
        __import__(f"chalkgrad.keras.{_name}", fromlist=["_"])
    globals()[_name] = _sys.modules[f"{__name__}.{_name}"]
_sys.modules[f"{__name__}.model"] = _keras.models.training
