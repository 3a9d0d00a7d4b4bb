"""Keras optimizers over ``chalkgrad.optim``, with Keras's names, arguments and defaults.

``Adam(learning_rate=1e-3)`` is a description; the model creates the chalkgrad optimizer for
its parameters once built (``optimizer.build_for(params)``). ``learning_rate`` may be a float or
a schedule from :mod:`.schedules` (then lr = schedule(updates so far) before each update).

=========  ===================  ==================================================================
Keras      chalkgrad.optim      Keras defaults
=========  ===================  ==================================================================
SGD        SGD                  learning_rate 0.01, momentum 0, nesterov False
Adam       Adam                 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7, amsgrad False
AdamW      AdamW                0.001, weight_decay 0.004, betas as Adam, epsilon 1e-7
RMSprop    RMSprop              0.001, rho 0.9 (torch alpha), momentum 0, epsilon 1e-7, centered False
Adagrad    Adagrad              0.001, initial_accumulator_value 0.1, epsilon 1e-7
Adadelta   Adadelta             0.001, rho 0.95, epsilon 1e-7
Adamax     Adamax               0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7
Nadam      NAdam                0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7
=========  ===================  ==================================================================

Update rules are chalkgrad's (PyTorch's). Adam and AdamW follow Keras's placement of epsilon
(ε/√(1 − β₂ᵗ) per step); RMSprop adds ε to √v (Keras: inside the root) and Nadam uses PyTorch's
momentum schedule, so those two agree with Keras closely but not exactly.
"""

from __future__ import annotations

from ... import optim
from ...errors import ConfigError
from . import schedules
from .schedules import LearningRateSchedule

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "get",
           "schedules"]


class Optimizer:
    """A Keras optimizer description; ``build_for(params)`` makes the chalkgrad optimizer."""

    _cls = None

    def __init__(self, learning_rate=0.001, name=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 **kwargs) -> None:
        if clipnorm is not None or clipvalue is not None or global_clipnorm is not None:
            raise ConfigError(f"{type(self).__name__}: clipnorm / clipvalue / global_clipnorm are not supported")
        for key in kwargs:
            if key not in ("use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                           "gradient_accumulation_steps", "weight_decay"):
                raise ConfigError(f"{type(self).__name__}: unexpected argument {key!r}")
        self.learning_rate = learning_rate
        self.name = name or type(self).__name__.lower()
        self.weight_decay = kwargs.get("weight_decay")
        self.iterations = 0
        self.built_optimizer = None

    def _kwargs(self) -> dict:  # pragma: no cover - per subclass
        return {}

    def _lr0(self) -> float:
        lr = self.learning_rate
        return float(lr(0)) if isinstance(lr, LearningRateSchedule) else float(lr)

    def build_for(self, params):
        opt = getattr(optim, self._cls)(params, lr=self._lr0(), **self._kwargs())
        schedule = self.learning_rate if isinstance(self.learning_rate, LearningRateSchedule) else None
        step = opt.step
        owner = self

        def scheduled_step(*args, **kwargs):
            if schedule is not None:
                for group in opt.param_groups:
                    group["lr"] = float(schedule(owner.iterations))
            owner._before_step(opt)
            out = step(*args, **kwargs)
            owner.iterations += 1
            return out

        opt.step = scheduled_step
        opt.keras_optimizer = self
        self.built_optimizer = opt
        return opt

    def _before_step(self, opt) -> None:
        """Adjust the chalkgrad optimizer before update number ``iterations + 1`` (default: nothing)."""

    def get_config(self) -> dict:
        lr = self.learning_rate
        return {"name": self.name, "learning_rate": lr if not isinstance(lr, LearningRateSchedule) else
                {"class_name": type(lr).__name__, "config": lr.get_config()}, **self._config()}

    def _config(self) -> dict:
        return {}


class SGD(Optimizer):
    _cls = "SGD"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs) -> None:
        super().__init__(learning_rate, **kwargs)
        self.momentum, self.nesterov = momentum, nesterov

    def _kwargs(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}

    def _config(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class _AdamLike(Optimizer):
    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs) -> None:
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _kwargs(self):
        return {"betas": (self.beta_1, self.beta_2), "eps": self.epsilon}

    def _config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Adam(_AdamLike):
    """Keras adds ε to √v before the bias correction: ε_torch = ε/√(1 − β₂ᵗ) gives the same update."""

    _cls = "Adam"

    def _before_step(self, opt) -> None:
        for group in opt.param_groups:  # t from the optimizer's own state, so a reloaded state resumes exactly
            done = max((opt.state.get(p, {}).get("step", 0) for p in group["params"]), default=0)
            group["eps"] = self.epsilon / (1.0 - self.beta_2 ** (done + 1)) ** 0.5

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)
        self.amsgrad = amsgrad

    def _kwargs(self):
        return {**super()._kwargs(), "amsgrad": self.amsgrad}


class AdamW(Adam):
    _cls = "AdamW"

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, **kwargs)
        self.weight_decay = weight_decay

    def _kwargs(self):
        return {**super()._kwargs(), "weight_decay": self.weight_decay}


class Adamax(_AdamLike):
    _cls = "Adamax"


class Nadam(_AdamLike):
    _cls = "NAdam"


class RMSprop(Optimizer):
    _cls = "RMSprop"

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def _kwargs(self):
        return {"alpha": self.rho, "eps": self.epsilon, "momentum": self.momentum, "centered": self.centered}


class Adagrad(Optimizer):
    _cls = "Adagrad"

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _kwargs(self):
        return {"initial_accumulator_value": self.initial_accumulator_value, "eps": self.epsilon}


class Adadelta(Optimizer):
    _cls = "Adadelta"

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def _kwargs(self):
        return {"rho": self.rho, "eps": self.epsilon}


_NAMES = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad, "adadelta": Adadelta,
          "adamax": Adamax, "nadam": Nadam}


def get(identifier):
    """An optimizer from a Keras name ('adam'), a class name ('Adam') or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _NAMES.get(identifier.lower())
        if cls is None:
            raise ConfigError(f"unknown optimizer {identifier!r}; valid names: {', '.join(sorted(_NAMES))}")
        return cls()
    raise ConfigError(f"optimizer must be a name or a keras.optimizers.Optimizer, got {type(identifier).__name__}")
