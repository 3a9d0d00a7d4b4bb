"""Global switch for graph recording: ``no_grad``, ``enable_grad``, ``set_grad_enabled``."""

from __future__ import annotations

import functools


class _State:
    enabled = True


state = _State()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded."""
    return state.enabled


class set_grad_enabled:
    """Context manager (and decorator) that sets graph recording on or off."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev = state.enabled

    def __enter__(self) -> None:
        self.prev = state.enabled
        state.enabled = self.mode

    def __exit__(self, *exc) -> None:
        state.enabled = self.prev

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__(self.mode):
                return func(*args, **kwargs)

        return wrapper


class no_grad(set_grad_enabled):
    """Do not record operations: results have ``requires_grad=False``.

    Use it for evaluation and for in-place parameter updates::

        with chalkgrad.no_grad():
            w -= lr * w.grad
    """

    def __init__(self) -> None:
        super().__init__(False)

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with no_grad():
                return func(*args, **kwargs)

        return wrapper


class enable_grad(set_grad_enabled):
    """Record operations again inside a ``no_grad`` block."""

    def __init__(self) -> None:
        super().__init__(True)

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with enable_grad():
                return func(*args, **kwargs)

        return wrapper
