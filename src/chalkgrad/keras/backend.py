"""Keras's global state: automatic layer names, ``clear_session``, the image data format.

Names follow Keras 3: a class name in snake case (``Conv2D`` → ``conv2d``, ``ReLU`` → ``re_lu``),
then ``_1``, ``_2``... for later objects of the same prefix. ``clear_session()`` resets the counters.
"""

from __future__ import annotations

import re
from collections import defaultdict

__all__ = ["to_snake_case", "auto_name", "uniquify", "clear_session", "image_data_format", "floatx",
           "set_image_data_format"]

_uids: defaultdict[str, int] = defaultdict(int)
_image_data_format = "channels_last"


def to_snake_case(name: str) -> str:
    """Keras's snake case: 'Conv2DTranspose' -> 'conv2d_transpose', 'PReLU' -> 'p_re_lu'."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def uniquify(name: str) -> str:
    """``name`` the first time, then ``name_1``, ``name_2``... (Keras's counters, reset by clear_session)."""
    n = _uids[name]
    _uids[name] += 1
    return name if n == 0 else f"{name}_{n}"


def auto_name(class_name: str) -> str:
    return uniquify(to_snake_case(class_name))


def clear_session() -> None:
    """Reset the automatic name counters (as ``keras.backend.clear_session``)."""
    _uids.clear()


def image_data_format() -> str:
    return _image_data_format


def set_image_data_format(data_format: str) -> None:
    global _image_data_format
    from ..errors import ConfigError

    if data_format not in ("channels_last", "channels_first"):
        raise ConfigError(f"image data format must be 'channels_last' or 'channels_first', got {data_format!r}")
    _image_data_format = data_format


def floatx() -> str:
    return "float32"
