"""Keras learning-rate schedules: lr = schedule(step), step = optimizer updates so far (from 0).

* ExponentialDecay: lr₀·rate^(step/decay_steps) (``staircase``: the exponent floored)
* InverseTimeDecay: lr₀ / (1 + rate·step/decay_steps) (``staircase`` floors step/decay_steps)
* PiecewiseConstantDecay(boundaries, values): values[i] while step ≤ boundaries[i], values[-1] after
* CosineDecay: lr₀·((1 − α)·(1 + cos(π·min(step, decay_steps)/decay_steps))/2 + α), after an
  optional linear warmup of ``warmup_steps`` from lr₀ to ``warmup_target``
"""

from __future__ import annotations

import math

from ...errors import ConfigError

__all__ = ["LearningRateSchedule", "ExponentialDecay", "InverseTimeDecay", "PiecewiseConstantDecay", "CosineDecay"]


class LearningRateSchedule:
    def __call__(self, step: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> dict:
        return dict(self._config)

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _StepDecay(LearningRateSchedule):
    """A decay driven by p = step / decay_steps (⌊p⌋ with ``staircase``)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        if decay_steps <= 0:
            raise ConfigError(f"{type(self).__name__}: decay_steps must be positive, got {decay_steps}")
        self._config = dict(initial_learning_rate=initial_learning_rate, decay_steps=decay_steps,
                            decay_rate=decay_rate, staircase=staircase, name=name)

    def _progress(self, step) -> float:
        p = step / self._config["decay_steps"]
        return math.floor(p) if self._config["staircase"] else p


class ExponentialDecay(_StepDecay):
    """lr = lr₀ · rate^p"""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        c = self._config
        return c["initial_learning_rate"] * c["decay_rate"] ** self._progress(step)


class InverseTimeDecay(_StepDecay):
    """lr = lr₀ / (1 + rate · p)"""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        c = self._config
        return c["initial_learning_rate"] / (1 + c["decay_rate"] * self._progress(step))


class PiecewiseConstantDecay(LearningRateSchedule):
    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(values) != len(boundaries) + 1:
            raise ConfigError(f"PiecewiseConstantDecay: needs one more value than boundaries, got "
                              f"{len(boundaries)} boundaries and {len(values)} values")
        self._config = dict(boundaries=list(boundaries), values=list(values), name=name)

    def __call__(self, step):
        for b, v in zip(self._config["boundaries"], self._config["values"]):
            if step <= b:
                return v
        return self._config["values"][-1]


class CosineDecay(LearningRateSchedule):
    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        self._config = dict(initial_learning_rate=initial_learning_rate, decay_steps=decay_steps, alpha=alpha,
                            name=name, warmup_target=warmup_target, warmup_steps=warmup_steps)

    def __call__(self, step):
        c = self._config
        lr0, warm = c["initial_learning_rate"], c["warmup_steps"]
        if c["warmup_target"] is not None and step < warm:
            return lr0 + (c["warmup_target"] - lr0) * step / warm
        if c["warmup_target"] is not None:
            lr0, step = c["warmup_target"], step - warm
        frac = min(step, c["decay_steps"]) / c["decay_steps"]
        cosine = 0.5 * (1 + math.cos(math.pi * frac))
        return lr0 * ((1 - c["alpha"]) * cosine + c["alpha"])
