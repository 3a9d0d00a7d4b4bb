"""The exception hierarchy.

Every error chalkgrad raises for bad user input is a :class:`ChalkgradError`, and
also a subclass of the built-in exception a Python user would expect, so both
``except chalkgrad.ShapeError`` and ``except ValueError`` work.
Messages say where (the operation or the layer path), what was received and
what was expected.
"""


class ChalkgradError(Exception):
    """Base class of every error raised by chalkgrad for bad input."""


class ShapeError(ChalkgradError, ValueError):
    """Shapes that do not fit: mismatched operands, wrong rank, bad sizes."""


class DTypeError(ChalkgradError, TypeError):
    """A dtype the operation cannot take (float indices, int tensors that need grad...)."""


class GradError(ChalkgradError, RuntimeError):
    """Misuse of autograd: backward through a freed graph, non-scalar backward..."""


class StateDictError(ChalkgradError, KeyError):
    """A state_dict whose keys or shapes do not match the module."""

    def __str__(self) -> str:  # KeyError quotes its message; show it plainly
        return str(self.args[0]) if self.args else ""


class IndexOutOfRangeError(ChalkgradError, IndexError):
    """An index or dimension outside the valid range."""


class ClassIndexError(IndexOutOfRangeError, ValueError):
    """A class-index target outside ``[0, C)`` (an IndexError as in PyTorch, and a bad value)."""


class ConfigError(ChalkgradError, ValueError):
    """An impossible hyperparameter or option: stride 0, negative learning rate, unknown name..."""


class NumericalError(ChalkgradError, FloatingPointError):
    """A value that must be finite is not: a NaN or infinite loss, a diverging update."""


class DataError(ChalkgradError, ValueError):
    """A dataset file that is missing, malformed or not what its loader expects."""


class CheckpointError(ChalkgradError, ValueError):
    """A checkpoint file that cannot be read: truncated, corrupt, or of another format."""


class ProblemError(ChalkgradError, ValueError):
    """A problem file (YAML) with an unknown key, a missing value or shapes that do not fit."""


class ConversionError(ChalkgradError, TypeError):
    """A module, layer option or optimizer that has no equivalent in the other library (chalkgrad.interop)."""
