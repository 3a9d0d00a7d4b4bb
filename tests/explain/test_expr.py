"""Formula trees: printed as text and LaTeX, with numbers put in, and evaluated."""

import math

import pytest

from chalkgrad.explain.expr import Call, Div, Mul, Neg, Num, Pow, Sub, Sym, add, fmt_number, tex_name


@pytest.mark.parametrize("value,precision,expected", [
    (0.05, 6, "0.05"),
    (3.0, 6, "3"),
    (-2.0, 6, "−2"),
    (0.123456789, 4, "0.1235"),
    (-0.0381, 3, "−0.038"),
    (0.00004, 4, "4e−05"),
    (0.9000000000000001, 4, "0.9"),
    (0.37799, 4, "0.378"),
    (1.5e12, 2, "1500000000000"),
    (2.5e9 + 0.125, 2, "2.5e+09"),
    (float("inf"), 3, "∞"),
    (0.1 + 0.2, None, "0.30000000000000004"),
])
def test_fmt_number(value, precision, expected):
    assert fmt_number(value, precision) == expected


@pytest.mark.parametrize("name,tex", [
    ("w5", "w_{5}"),
    ("net_h1", r"\mathrm{net}_{h1}"),
    ("δ_o1", r"\delta_{o1}"),
    ("∂E/∂w5", r"\frac{\partial E}{\partial w_{5}}"),
    ("w5⁺", "w_{5}^{+}"),
    ("η", r"\eta"),
])
def test_tex_names(name, tex):
    assert tex_name(name) == tex


def test_weighted_sum_prints_symbols_numbers_and_evaluates():
    f = add(Mul([Sym("w1"), Sym("i1")]), Mul([Sym("w2"), Sym("i2")]), Sym("b1"))
    values = {"w1": 0.15, "i1": 0.05, "w2": 0.2, "i2": 0.1, "b1": 0.35}
    assert f.text() == "w1·i1 + w2·i2 + b1"
    assert f.text(values, 4) == "0.15·0.05 + 0.2·0.1 + 0.35"
    assert f.tex() == r"w_{1} \cdot i_{1} + w_{2} \cdot i_{2} + b_{1}"
    assert f.evaluate(values) == pytest.approx(0.3775, abs=1e-15)
    assert f.symbols() == ["w1", "i1", "w2", "i2", "b1"]


def test_negative_numbers_get_parentheses_so_the_sign_is_visible():
    f = Sub(Sym("w"), Mul([Sym("eta"), Sym("g")]))
    assert f.text({"w": 0.5, "eta": 0.5, "g": -0.02}, 3) == "0.5 − 0.5·(−0.02)"
    assert f.evaluate({"w": 0.5, "eta": 0.5, "g": -0.02}) == pytest.approx(0.51)
    g = add(Mul([Sym("a"), Sym("b")]), Mul([Sym("c"), Sym("d")]))
    assert g.text({"a": 1.5, "b": 2.0, "c": -0.5, "d": 3.0}, 2) == "1.5·2 + (−0.5)·3"
    assert Sub(Sym("x"), Sym("y")).text({"x": 1.0, "y": -2.0}, 2) == "1 − (−2)"
    assert Neg(add(Sym("x"), Sym("y"))).text() == "−(x + y)"


def test_powers_functions_and_fractions():
    e = Mul([Num(0.5, "½"), Pow(Sub(Sym("t"), Sym("o")), Num(2))])
    assert e.text() == "½·(t − o)²"
    assert e.tex() == r"\tfrac{1}{2} \cdot \left(t - o\right)^{2}"
    assert e.evaluate({"t": 0.01, "o": 0.75}) == pytest.approx(0.5 * 0.74 ** 2)
    s = Call("σ", Sym("net"))
    assert s.text({"net": 0.0}, 3) == "σ(0)"
    assert s.evaluate({"net": 0.0}) == 0.5
    assert Call("σ", Sym("x")).evaluate({"x": -800.0}) == pytest.approx(0.0, abs=1e-300)
    d = Div(Call("exp", Sym("a")), add(Call("exp", Sym("a")), Call("exp", Sym("b"))))
    assert d.evaluate({"a": 1.0, "b": 2.0}) == pytest.approx(math.e / (math.e + math.e ** 2))
    assert d.tex().startswith(r"\frac{e^{a}}")
    assert Call("floor", Div(Sym("n"), Num(2))).evaluate({"n": 7}) == 3


def test_rounding_noise_prints_as_zero():
    assert 0.2 + 0.1 - 0.3 != 0 and fmt_number(0.2 + 0.1 - 0.3, 6) == "0"
    assert fmt_number(2.7755575615628914e-17, 6) == "0"
    assert fmt_number(3e-9, 6) == "3e−09"


def test_tiny_values_show_in_scientific_notation_when_many_decimals_are_asked_for():
    """Below 1e-12 a value is a zero's rounding noise at ordinary precision, but not at --precision 13+ (issue 11)."""
    from chalkgrad.explain.expr import fmt_number

    assert fmt_number(0.1 + 0.2 - 0.3, 9) == "0"
    assert fmt_number(3e-14, 9) == "0"
    assert fmt_number(3e-14, 17) == "3e−14"
    assert fmt_number(-3.25e-14, 17) == "−3.25e−14"
    assert fmt_number(0.1 + 0.2 - 0.3, 17) == "5.551115123125783e−17"
    assert fmt_number(2.5e-13, 13) == "2.5e−13"
