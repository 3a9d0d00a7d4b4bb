"""Interoperability with PyTorch: modules, optimizers (tensors speak DLPack and ``__array__`` directly).

* ``to_torch(module)`` / ``from_torch(module)``: equal modules in the other library, weights,
  buffers and train/eval mode included (see modules.py for the rules, twins.py for the zoo);
* ``to_torch_optimizer(optimizer, params)`` / ``from_torch_optimizer(optimizer, params)``:
  the same optimizer with its hyperparameters and state (momentum buffers, moments, steps);
* ``register_twin(chalkgrad_class, torch_class)`` for your own modules whose ``forward`` calls
  chalkgrad functions (a ``forward`` using only children, attributes and tensor methods is reused as is).

PyTorch is an optional extra (``pip install 'chalkgrad[torch]'``), imported on first use.
"""

from .modules import from_torch, register_twin, to_torch
from .optim import from_torch_optimizer, to_torch_optimizer

__all__ = ["to_torch", "from_torch", "register_twin", "to_torch_optimizer", "from_torch_optimizer"]
