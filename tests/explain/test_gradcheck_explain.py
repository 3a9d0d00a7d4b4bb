"""The gradient check written out: the same numbers gradcheck uses, and a failing op shown as failing."""

import numpy as np
import pytest

import chalkgrad as cg
from chalkgrad.autograd import Function, gradcheck
from chalkgrad.autograd.functional import gradcheck_report
from chalkgrad.explain import render
from chalkgrad.explain.gradcheck import explain_gradcheck


class WrongSquare(Function):
    """y = x², with a deliberately wrong derivative 3x (a typical slip)."""

    def forward(self, x):
        return x * x

    def backward(self, g):
        return g * 3 * self.inputs[0]


def test_passing_check_matches_gradcheck_numbers():
    x = cg.tensor([[0.5, -1.0], [2.0, 0.1]], dtype=cg.float64, requires_grad=True)
    w = cg.tensor([0.3, -0.7], dtype=cg.float64, requires_grad=True)
    fn = lambda a, b: (a @ b).tanh()  # noqa: E731
    s = explain_gradcheck(fn, (x, w), names=["x", "w"])
    s.verify()
    assert s.passed and gradcheck(fn, (x, w))
    report = gradcheck_report(fn, (x, w))
    worst = report[0].worst
    assert s[f"∂L/∂x[{worst[0]},{worst[1]}] (numeric)"] == report[0].numeric[worst]
    assert "(L⁺_x" in render(s) and "central difference" in render(s)


def test_a_wrong_backward_is_shown_failing():
    x = cg.tensor([1.0, -2.0, 0.5], dtype=cg.float64, requires_grad=True)
    s = explain_gradcheck(lambda t: WrongSquare.apply(t), (x,))
    assert not s.passed
    text = render(s, precision=6)
    assert "FAILS" in text and "exceeded" in text
    worst = [st for st in s.steps() if st.name.endswith("(analytic)")][0]
    numeric = [st for st in s.steps() if st.name.endswith("(numeric)")][0]
    assert worst.value == pytest.approx(1.5 * numeric.value, rel=1e-6)  # 3x against 2x
    with pytest.raises(cg.autograd.GradcheckError):
        gradcheck(lambda t: WrongSquare.apply(t), (x,))


def test_float32_inputs_are_refused():
    x = cg.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    with pytest.raises(cg.GradError, match="float64"):
        explain_gradcheck(lambda t: t * 2, (x,))
