"""Learning-rate schedulers against torch.optim.lr_scheduler, driving a torch optimizer."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.optim.lr_scheduler as TS

import chalkgrad as cg
from chalkgrad import optim
from chalkgrad.errors import ConfigError
from chalkgrad.optim import lr_scheduler as CS


def decay(epoch):
    return 0.95**epoch


def halve_every_third(epoch):
    return 0.5 if epoch % 3 == 0 else 1.0


#: (id, build(lr_scheduler module, optimizer), steps, optimizer kind)
CASES = [
    ("LambdaLR", lambda S, o: S.LambdaLR(o, decay), 40, "sgd"),
    ("LambdaLR-per-group", lambda S, o: S.LambdaLR(o, [decay, lambda e: 1 / (1 + e)]), 40, "sgd"),
    ("MultiplicativeLR", lambda S, o: S.MultiplicativeLR(o, halve_every_third), 40, "sgd"),
    ("StepLR", lambda S, o: S.StepLR(o, step_size=7, gamma=0.5), 50, "sgd"),
    ("MultiStepLR", lambda S, o: S.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3), 50, "sgd"),
    ("ConstantLR", lambda S, o: S.ConstantLR(o, factor=0.25, total_iters=6), 30, "sgd"),
    ("LinearLR", lambda S, o: S.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=10), 30, "sgd"),
    ("LinearLR-defaults", lambda S, o: S.LinearLR(o), 30, "sgd"),
    ("ExponentialLR", lambda S, o: S.ExponentialLR(o, gamma=0.93), 60, "sgd"),
    ("PolynomialLR", lambda S, o: S.PolynomialLR(o, total_iters=20, power=2.0), 30, "sgd"),
    ("CosineAnnealingLR", lambda S, o: S.CosineAnnealingLR(o, T_max=20, eta_min=0.001), 100, "sgd"),
    ("CosineAnnealingLR-eta0", lambda S, o: S.CosineAnnealingLR(o, T_max=7), 30, "sgd"),
    ("OneCycleLR-cos", lambda S, o: S.OneCycleLR(o, max_lr=[0.5, 1.0], total_steps=61), 60, "sgd"),
    ("OneCycleLR-linear", lambda S, o: S.OneCycleLR(o, max_lr=0.8, epochs=6, steps_per_epoch=10,
                                                    anneal_strategy="linear", pct_start=0.25), 60, "sgd"),
    ("OneCycleLR-three-phase", lambda S, o: S.OneCycleLR(o, max_lr=0.8, total_steps=50, three_phase=True,
                                                         base_momentum=0.8, max_momentum=0.9), 50, "sgd"),
    ("OneCycleLR-adam-betas", lambda S, o: S.OneCycleLR(o, max_lr=0.01, total_steps=40, div_factor=10.0,
                                                        final_div_factor=100.0), 40, "adam"),
    ("OneCycleLR-no-momentum", lambda S, o: S.OneCycleLR(o, max_lr=0.3, total_steps=30, cycle_momentum=False),
     30, "sgd"),
    ("SequentialLR", lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.1, total_iters=5), S.ExponentialLR(o, gamma=0.9)], milestones=[5]),
     40, "sgd"),
    ("SequentialLR-three", lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o, factor=0.5, total_iters=4), S.CosineAnnealingLR(o, T_max=12, eta_min=0.01),
            S.StepLR(o, step_size=3, gamma=0.5)], milestones=[4, 20]), 40, "sgd"),
    ("ChainedScheduler", lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.1, total_iters=10), S.ExponentialLR(o, gamma=0.9)]), 30, "sgd"),
    ("ChainedScheduler-optimizer", lambda S, o: S.ChainedScheduler(
        [S.LinearLR(o, start_factor=0.5, total_iters=8), S.MultiStepLR(o, [4, 9], gamma=0.5)], optimizer=o),
     30, "sgd"),
]


def make_optimizers(kind):
    cp = [cg.nn.Parameter(cg.zeros(2)), cg.nn.Parameter(cg.zeros(3))]
    tp = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))]
    if kind == "adam":
        return (optim.Adam([{"params": [cp[0]]}, {"params": [cp[1]], "lr": 0.02}], lr=0.01),
                torch.optim.Adam([{"params": [tp[0]]}, {"params": [tp[1]], "lr": 0.02}], lr=0.01))
    return (optim.SGD([{"params": [cp[0]]}, {"params": [cp[1]], "lr": 0.3}], lr=0.1, momentum=0.9),
            torch.optim.SGD([{"params": [tp[0]]}, {"params": [tp[1]], "lr": 0.3}], lr=0.1, momentum=0.9))


def group_values(opt):
    keys = ("lr", "momentum", "betas")
    return [{k: g[k] for k in keys if k in g} for g in opt.param_groups]


def assert_same(c, t, what):
    assert c == pytest.approx(t, rel=1e-12, abs=1e-15), what


@pytest.mark.parametrize("build,steps,kind", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_learning_rates_match_torch(build, steps, kind):
    copt, topt = make_optimizers(kind)
    csched, tsched = build(CS, copt), build(TS, topt)
    assert_same(csched.get_last_lr(), tsched.get_last_lr(), "after construction")
    for step in range(steps):
        copt.step()
        topt.step()
        csched.step()
        tsched.step()
        assert_same(csched.get_last_lr(), tsched.get_last_lr(), f"step {step}")
        for cg_group, t_group in zip(group_values(copt), group_values(topt)):
            for k in cg_group:
                assert_same(cg_group[k], t_group[k], f"step {step} {k}")
    if hasattr(tsched, "last_epoch"):
        assert csched.last_epoch == tsched.last_epoch


@pytest.mark.parametrize("build,steps,kind", [c[1:] for c in CASES if c[0] in (
    "MultiStepLR", "CosineAnnealingLR", "OneCycleLR-cos", "SequentialLR-three", "ChainedScheduler", "LambdaLR")],
    ids=["MultiStepLR", "CosineAnnealingLR", "OneCycleLR-cos", "SequentialLR-three", "ChainedScheduler",
         "LambdaLR"])
def test_state_dict_round_trip_mid_run(build, steps, kind):
    copt, _ = make_optimizers(kind)
    sched = build(CS, copt)
    for _ in range(steps // 2):
        copt.step()
        sched.step()
    saved_opt, saved_sched = copt.state_dict(), sched.state_dict()
    copt2, _ = make_optimizers(kind)
    sched2 = build(CS, copt2)  # as in torch: build the scheduler, then load both states
    copt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    assert sched2.get_last_lr() == sched.get_last_lr()
    for _ in range(steps - steps // 2):
        copt.step()
        sched.step()
        copt2.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()
        assert group_values(copt2) == group_values(copt)


def test_step_with_epoch_uses_the_closed_form():
    copt, topt = make_optimizers("sgd")
    cs, ts = CS.CosineAnnealingLR(copt, T_max=10), TS.CosineAnnealingLR(topt, T_max=10)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (3, 7, 12):
            cs.step(epoch)
            ts.step(epoch)
            assert_same(cs.get_last_lr(), ts.get_last_lr(), f"epoch {epoch}")


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(mode="max", patience=2, cooldown=1, factor=0.5),
    dict(mode="min", threshold_mode="abs", threshold=0.05, patience=1, min_lr=[0.02, 0.05]),
    dict(mode="max", threshold_mode="abs", threshold=0.01, patience=0, cooldown=2, min_lr=0.01, eps=0.02),
])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    rng = np.random.default_rng(1)
    metrics = np.concatenate([np.linspace(1.0, 0.5, 10), 0.5 + 0.05 * rng.standard_normal(50)])
    copt, topt = make_optimizers("sgd")
    cs, ts = CS.ReduceLROnPlateau(copt, **kwargs), TS.ReduceLROnPlateau(topt, **kwargs)
    lrs = set()
    for i, m in enumerate(metrics):
        cs.step(float(m) if i % 2 else cg.tensor(float(m), dtype="float64"))
        ts.step(float(m))
        assert_same(cs.get_last_lr(), ts.get_last_lr(), f"step {i}")
        assert (cs.best, cs.num_bad_epochs, cs.cooldown_counter, cs.last_epoch) == (
            ts.best, ts.num_bad_epochs, ts.cooldown_counter, ts.last_epoch)
        lrs.add(tuple(cs.get_last_lr()))
    assert len(lrs) > 1  # the rate was reduced at least once
    restored = CS.ReduceLROnPlateau(make_optimizers("sgd")[0], **kwargs)
    restored.load_state_dict(cs.state_dict())
    assert restored.best == cs.best and restored.num_bad_epochs == cs.num_bad_epochs


@pytest.mark.parametrize("make,message", [
    (lambda o: CS.StepLR(o, step_size=0), r"StepLR: invalid step_size=0; expected an integer >= 1"),
    (lambda o: CS.LinearLR(o, start_factor=0), r"LinearLR: invalid start_factor=0; expected 0 < start_factor <= 1"),
    (lambda o: CS.ConstantLR(o, factor=1.5), r"ConstantLR: invalid factor=1.5"),
    (lambda o: CS.CosineAnnealingLR(o, T_max=0), r"CosineAnnealingLR: invalid T_max=0"),
    (lambda o: CS.LambdaLR(o, [decay]), r"lr_lambda has 1 values, the optimizer has 2 parameter groups"),
    (lambda o: CS.LambdaLR(o, 3), r"lr_lambda should be a function"),
    (lambda o: CS.ReduceLROnPlateau(o, factor=1.0), r"invalid factor=1.0; expected 0 <= factor < 1"),
    (lambda o: CS.ReduceLROnPlateau(o, mode="up"), r"invalid mode='up'"),
    (lambda o: CS.ReduceLROnPlateau(o, threshold_mode="x"), r"invalid threshold_mode='x'"),
    (lambda o: CS.OneCycleLR(o, max_lr=0.1), r"give total_steps, or epochs and steps_per_epoch"),
    (lambda o: CS.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.5), r"invalid pct_start=1.5"),
    (lambda o: CS.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="exp"), r"anneal_strategy='exp'"),
    (lambda o: CS.OneCycleLR(optim.Rprop(o.param_groups[0]["params"]), max_lr=0.1, total_steps=10),
     r"needs an optimizer with momentum or betas"),
    (lambda o: CS.SequentialLR(o, [CS.StepLR(o, 2)], milestones=[3]), r"1 schedulers need 0 milestones"),
    (lambda o: CS.SequentialLR(o, [CS.ReduceLROnPlateau(o)], milestones=[]), r"ReduceLROnPlateau"),
    (lambda o: CS.StepLR(o, 3, last_epoch=4), r"has no 'initial_lr'"),
    (lambda o: CS.StepLR(object(), 3), r"expected a chalkgrad optimizer, got object"),
])
def test_invalid_arguments_raise_config_error(make, message):
    with pytest.raises(ConfigError, match=message):
        make(make_optimizers("sgd")[0])


def test_one_cycle_refuses_to_step_past_total_steps():
    opt = make_optimizers("sgd")[0]
    sched = CS.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ConfigError, match="tried to step 4 times; total_steps is 3"):
        sched.step()


def test_scheduler_drives_training_lr():
    p = cg.nn.Parameter(cg.tensor([1.0]))
    opt = optim.SGD([p], lr=1.0)
    sched = CS.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = cg.tensor([1.0])
        opt.step()
        sched.step()
    np.testing.assert_allclose(p.data, [1.0 - 1.0 - 0.5 - 0.25])
    assert opt.param_groups[0]["initial_lr"] == 1.0 and sched.last_epoch == 3
