"""Global switch for graph recording: ``no_grad``, ``enable_grad``, ``set_grad_enabled``."""

from __future__ import annotations

import functools


class _State:
    enabled = True


state = _State()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded."""
    return state.enabled


class _GradMode:
    """Shared by the three switches: a context manager and a decorator setting ``mode``."""

    mode = True

    def __enter__(self) -> None:
        self.prev = state.enabled
        state.enabled = self.mode

    def __exit__(self, *exc) -> None:
        state.enabled = self.prev

    def __call__(self, func):
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            prev = state.enabled
            state.enabled = mode
            try:
                return func(*args, **kwargs)
            finally:
                state.enabled = prev

        return wrapper


class set_grad_enabled(_GradMode):
    """Set graph recording on or off: at once when called, undone at the end of a ``with`` block.

    As ``torch.set_grad_enabled``: ``set_grad_enabled(False)`` on its own line switches
    recording off until switched on again; ``with set_grad_enabled(False):`` switches it
    off for the block; ``@set_grad_enabled(False)`` for each call of the function.
    """

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev = state.enabled
        state.enabled = self.mode

    def __enter__(self) -> None:
        pass  # already set by __init__; __exit__ restores the mode from before

    def __call__(self, func):
        state.enabled = self.prev  # used as a decorator: no effect until the function runs
        return super().__call__(func)


class no_grad(_GradMode):
    """Do not record operations: results have ``requires_grad=False``.

    Use it for evaluation and for in-place parameter updates::

        with chalkgrad.no_grad():
            w -= lr * w.grad
    """

    mode = False


class enable_grad(_GradMode):
    """Record operations again inside a ``no_grad`` block."""

    mode = True
