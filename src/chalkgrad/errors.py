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
    """A dtype or type the operation cannot take (float indices, int tensors that need grad, a list
    where a Module is expected...)."""


class GradError(ChalkgradError, RuntimeError):
    """Misuse of autograd: backward through a freed graph, non-scalar backward..."""


class StateDictError(ChalkgradError, KeyError):
    """A state_dict whose keys or shapes do not match the module."""

    def __str__(self) -> str:  # KeyError quotes its message; show it plainly
        return str(self.args[0]) if self.args else ""


class KeyNameError(ChalkgradError, KeyError):
    """A name that is missing, taken or malformed: a ModuleDict key, a parameter or buffer name, a step."""

    def __str__(self) -> str:  # KeyError quotes its message; show it plainly
        return str(self.args[0]) if self.args else ""


class AttributeLookupError(ChalkgradError, AttributeError):
    """An attribute, submodule, parameter or buffer that is not there (``get_submodule('body.9')``), or a
    module used before its ``__init__`` called ``super().__init__()``. ``hasattr`` still works."""


class IndexOutOfRangeError(ChalkgradError, IndexError):
    """An index or dimension outside the valid range."""


class ClassIndexError(IndexOutOfRangeError, ValueError):
    """A class-index target outside ``[0, C)`` (an IndexError as in PyTorch, and a bad value)."""


class ConfigError(ChalkgradError, ValueError):
    """An impossible hyperparameter or option: stride 0, negative learning rate, unknown name..."""


class DomainError(ChalkgradError, ValueError):
    """Input values outside what the operation is defined for: probabilities outside [0, 1],
    hinge targets other than ±1, negative class indices for one_hot."""


class NumericalError(ChalkgradError, FloatingPointError):
    """A value that must be finite is not: a NaN or infinite loss, a diverging update."""


class DataError(ChalkgradError, ValueError):
    """A dataset file that is missing, malformed or not what its loader expects."""


class CheckpointError(ChalkgradError, ValueError):
    """A checkpoint file that cannot be read: truncated, corrupt, or of another format."""


class ProblemError(ChalkgradError, ValueError):
    """A problem file (YAML) with an unknown key, a missing value or shapes that do not fit."""


class ExportError(ChalkgradError, ValueError):
    """A model that cannot be exported (ONNX): an op or layer option with no mapping, a data-dependent value."""


class ConversionError(ChalkgradError, TypeError):
    """A module, layer option or optimizer that has no equivalent in the other library (chalkgrad.interop)."""
