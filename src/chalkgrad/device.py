"""``chalkgrad.device``: where a tensor's memory lives. chalkgrad computes with NumPy, on the CPU.

PyTorch code names devices (``device='cpu'``, ``torch.device('cpu')``, ``.to('cpu')``); chalkgrad
accepts the same spellings wherever a device is taken, so such code runs unchanged. Asking for
an accelerator ('cuda', 'mps', ...) raises a :class:`~chalkgrad.errors.ConfigError` that says so.
"""

from __future__ import annotations

from .errors import ConfigError

#: Device types PyTorch knows that chalkgrad cannot use (yet): named in the error message.
_ACCELERATORS = ("cuda", "mps", "xpu", "xla", "hip", "meta", "ipu", "vulkan", "mtia", "privateuseone")


class device:  # noqa: N801 - PyTorch's name
    """A device: ``chalkgrad.device('cpu')`` (also ``'cpu:0'`` or ``device('cpu', 0)``).

    Unlike ``torch.device`` it also compares equal to its string, so ``t.device == 'cpu'`` holds.
    """

    __slots__ = ("type", "index")

    def __init__(self, type: str | device = "cpu", index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index  # noqa: A001
        if not isinstance(type, str) and isinstance(getattr(type, "type", None), str):  # a torch.device
            type = str(type)  # noqa: A001
        if not isinstance(type, str):
            raise ConfigError(f"device: expected a string such as 'cpu' or a chalkgrad.device, got {type!r}")
        name, _, number = type.strip().lower().partition(":")
        if number:
            if index is not None or not number.isdigit():
                raise ConfigError(f"device: cannot read the device index in {type!r}; expected 'cpu' or 'cpu:0'")
            index = int(number)
        if name in _ACCELERATORS:
            raise ConfigError(f"device {type!r}: chalkgrad runs on the CPU (its arrays are NumPy arrays); "
                              "use device='cpu' (or leave device out)")
        if name != "cpu":
            raise ConfigError(f"device: unknown device type {type!r}; expected 'cpu'")
        if index is not None and (isinstance(index, bool) or not isinstance(index, int) or index != 0):
            raise ConfigError(f"device: the CPU has the single index 0, got {index!r}")
        self.type, self.index = name, index

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except ConfigError:
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type

    def __hash__(self) -> int:
        return hash(self.type)

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{index})"


CPU = device("cpu")


def check_device(value, where: str) -> device:
    """The device ``value`` names (None means the CPU); an accelerator or unknown name raises a ConfigError."""
    if value is None:
        return CPU
    try:
        return value if isinstance(value, device) else device(value)
    except ConfigError as err:
        raise ConfigError(f"{where}: {err}") from None


def is_device(value) -> bool:
    """True for a ``chalkgrad.device`` or a string that names a device type (as ``.to()`` must tell it from a dtype)."""
    if isinstance(value, device):
        return True
    if type(value).__name__ == "device" and isinstance(getattr(value, "type", None), str):  # a torch.device
        return True
    return isinstance(value, str) and value.strip().lower().partition(":")[0] in ("cpu",) + _ACCELERATORS


def to_arguments(args, dtype, device, where: str):
    """Read ``.to(...)``'s positional arguments as PyTorch does: a device, a dtype, both, or a tensor
    (its dtype). Returns ``(dtype or None, device)``; the device must be the CPU."""
    from .errors import DTypeError
    from .tensor import Tensor, canonical_dtype

    if len(args) > 2:
        raise DTypeError(f"{where}: expected at most a device and a dtype, got {len(args)} arguments {args!r}")
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif is_device(a):
            device = a
        elif isinstance(a, str) and not _numpy_dtype_name(a):
            raise DTypeError(f"{where}: {a!r} is neither a dtype (float32, float64, int64, bool) nor a "
                             "device ('cpu')")
        else:
            dtype = a
    return (None if dtype is None else canonical_dtype(dtype)), check_device(device, where)


def _numpy_dtype_name(name: str) -> bool:
    import numpy as np

    try:
        np.dtype(name)
    except TypeError:
        return False
    return True
