"""``chalkgrad.fit``: the older name of :mod:`chalkgrad.keras`, kept as an alias.

Importing it gives the ``chalkgrad.keras`` package itself (``chalkgrad.fit is chalkgrad.keras``),
and ``chalkgrad.fit.callbacks``, ``chalkgrad.fit.layers``... are the ``chalkgrad.keras`` modules;
``chalkgrad.fit.model`` is ``chalkgrad.keras.models.training``.
"""

import importlib as _importlib
import sys as _sys

_keras = _importlib.import_module("chalkgrad.keras")
for _name in ("activations", "backend", "callbacks", "history", "initializers", "layers", "losses", "metrics",
              "models", "optimizers", "progress", "registry", "regularizers", "utils"):
    _sys.modules[f"{__name__}.{_name}"] = _importlib.import_module(f"chalkgrad.keras.{_name}")
_sys.modules[f"{__name__}.model"] = _importlib.import_module("chalkgrad.keras.models.training")
_keras.model = _sys.modules[f"{__name__}.model"]  # ``from chalkgrad.fit import model`` (the older module name)
_sys.modules[__name__] = _keras
