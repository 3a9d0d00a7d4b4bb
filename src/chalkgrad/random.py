"""Seeded random numbers: ``manual_seed`` and ``Generator``.

Every random function in chalkgrad (``rand``, ``randn``, initializers, dropout,
shuffling) takes an optional ``generator=``; without one it uses the default
generator, which ``manual_seed(n)`` resets. The same seed gives the same numbers
on every run and every machine (NumPy's PCG64 bit generator).
"""

from __future__ import annotations

import numpy as np


class Generator:
    """A source of random numbers with its own state (wraps ``numpy.random.Generator``)."""

    def __init__(self, seed: int | None = None) -> None:
        self._initial_seed = seed
        self.manual_seed(seed if seed is not None else int(np.random.SeedSequence().entropy % (2**63)))

    def manual_seed(self, seed: int) -> Generator:
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            from .errors import ConfigError

            raise ConfigError(f"manual_seed: seed must be a non-negative integer, got {seed!r}")
        self._initial_seed = int(seed)
        self.np = np.random.Generator(np.random.PCG64(int(seed)))
        return self

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self) -> dict:
        return self.np.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.np.bit_generator.state = state


default_generator = Generator(0)


def manual_seed(seed: int) -> Generator:
    """Reseed the default generator; returns it."""
    return default_generator.manual_seed(seed)


def get_generator(generator: Generator | np.random.Generator | None) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (a chalkgrad Generator, a NumPy one, or None for the default)."""
    if generator is None:
        return default_generator.np
    if isinstance(generator, Generator):
        return generator.np
    if isinstance(generator, np.random.Generator):
        return generator
    from .errors import ConfigError

    raise ConfigError(f"generator must be a chalkgrad.Generator, a numpy.random.Generator or None, "
                      f"got {type(generator).__name__}")
