"""RNN / LSTM / GRU layers and cells against PyTorch (a torch state_dict loaded unchanged), options,
variable lengths, gradcheck, static arithmetic, parameter-count helpers and errors."""

import re

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import chalkgrad as cg
from chalkgrad import nn
from chalkgrad.autograd import gradcheck
from chalkgrad.errors import ConfigError, DTypeError, GradError, ShapeError

TOL = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=2e-4, atol=2e-5)}
MODES = {"LSTM": ("LSTM", {}), "GRU": ("GRU", {}), "RNN_TANH": ("RNN", {}),
         "RNN_RELU": ("RNN", {"nonlinearity": "relu"})}


def make_pair(mode, dtype="float64", fused=True, **kw):
    """A chalkgrad layer and the torch layer with the same weights (torch's state_dict loaded into chalkgrad)."""
    name, extra = MODES[mode]
    kw = {**extra, **kw}
    tdt = getattr(torch, dtype)
    tm = getattr(torch.nn, name)(3, 4, dtype=tdt, **kw)
    cm = getattr(nn, name)(3, 4, dtype=dtype, fused=fused, **kw)
    cm.load_state_dict(tm.state_dict())
    return cm, tm


def states(mode, D, B, dtype, rng, unbatched=False):
    shape = (D, 4) if unbatched else (D, B, 4)
    n = 2 if mode == "LSTM" else 1
    return [rng.standard_normal(shape).astype(dtype) for _ in range(n)]


def run_both(cm, tm, mode, x_np, hx_np=None, lengths=None, dtype="float64", weights=None):
    """Forward both, backward a random projection of output and final states; return all values and grads."""
    x, xt = cg.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    hs = [cg.tensor(h, requires_grad=True) for h in hx_np] if hx_np else None
    hts = [torch.tensor(h, requires_grad=True) for h in hx_np] if hx_np else None
    lstm = mode == "LSTM"
    hx = None if hs is None else (tuple(hs) if lstm else hs[0])
    htx = None if hts is None else (tuple(hts) if lstm else hts[0])
    out, hn = cm(x, hx, lengths=lengths)
    if lengths is None:
        tout, thn = tm(xt, htx)
    else:
        packed = pack_padded_sequence(xt, torch.tensor(lengths), batch_first=tm.batch_first, enforce_sorted=False)
        tp, thn = tm(packed, htx)
        T = x_np.shape[1] if tm.batch_first else x_np.shape[0]
        tout, _ = pad_packed_sequence(tp, batch_first=tm.batch_first, total_length=T)
    finals = list(hn) if lstm else [hn]
    tfinals = list(thn) if lstm else [thn]
    rng = np.random.default_rng(7)
    loss, tloss = 0, 0
    for a, b in zip([out] + finals, [tout] + tfinals):
        w = rng.standard_normal(a.shape).astype(dtype)
        loss = loss + (a * cg.tensor(w)).sum()
        tloss = tloss + (b * torch.from_numpy(w)).sum()
    loss.backward()
    tloss.backward()
    got = {"output": out, **{f"final{i}": f for i, f in enumerate(finals)}, "dx": x.grad}
    want = {"output": tout, **{f"final{i}": f for i, f in enumerate(tfinals)}, "dx": xt.grad}
    for i, (h, ht) in enumerate(zip(hs or [], hts or [])):
        got[f"dh{i}"], want[f"dh{i}"] = h.grad, ht.grad
    tparams = dict(tm.named_parameters())
    for n, p in cm.named_parameters():
        got[n], want[n] = p.grad, tparams[n].grad
    return got, want


def assert_match(got, want, dtype):
    assert got.keys() == want.keys()
    for k in got:
        a = got[k].data if isinstance(got[k], cg.Tensor) else got[k]
        b = want[k].detach().numpy()
        assert a.shape == b.shape, k
        assert a.dtype == b.dtype, k
        np.testing.assert_allclose(a, b, err_msg=k, **TOL[dtype])


CONFIGS = [
    dict(),
    dict(num_layers=2, bidirectional=True, hx=True),
    dict(num_layers=2, bias=False, batch_first=True),
    dict(bidirectional=True, batch_first=True, hx=True, lengths=True),
    dict(num_layers=2, dropout=0.5, eval=True, lengths=True),
    dict(num_layers=2, dropout=0.0, hx=True, bidirectional=True, lengths=True),
]


# the unrolled path is compared in float64 only (its float32 arithmetic is the same ops)
@pytest.mark.parametrize("dtype,fused", [("float64", True), ("float32", True), ("float64", False)],
                         ids=["f64-fused", "f32-fused", "f64-unrolled"])
@pytest.mark.parametrize("cfg", range(len(CONFIGS)))
@pytest.mark.parametrize("mode", list(MODES))
def test_layer_matches_torch(mode, cfg, dtype, fused):
    cfg = dict(CONFIGS[cfg])
    use_hx, use_len, ev = cfg.pop("hx", False), cfg.pop("lengths", False), cfg.pop("eval", False)
    cm, tm = make_pair(mode, dtype, fused, **cfg)
    if ev:
        cm.eval()
        tm.eval()
    rng = np.random.default_rng(0)
    T, B = 5, 3
    D = (2 if cfg.get("bidirectional") else 1) * cfg.get("num_layers", 1)
    x_np = rng.standard_normal((B, T, 3) if cfg.get("batch_first") else (T, B, 3)).astype(dtype)
    hx = states(mode, D, B, dtype, rng) if use_hx else None
    lengths = [5, 2, 4] if use_len else None
    got, want = run_both(cm, tm, mode, x_np, hx, lengths, dtype)
    assert_match(got, want, dtype)
    assert tuple(got["output"].shape) == cm.output_shape(x_np.shape)
    assert tuple(got["final0"].shape) == cm.state_shape(x_np.shape)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "unrolled"])
@pytest.mark.parametrize("mode", list(MODES))
def test_unbatched_input_matches_torch(mode, fused):
    cm, tm = make_pair(mode, "float64", fused, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(1)
    x_np = rng.standard_normal((4, 3))
    got, want = run_both(cm, tm, mode, x_np, states(mode, 4, 1, "float64", rng, unbatched=True))
    assert_match(got, want, "float64")
    assert got["output"].shape == (4, 8) == cm.output_shape((4, 3))
    assert cm.state_shape((4, 3)) == (4, 4)


@pytest.mark.parametrize("mode", list(MODES))
def test_lengths_all_full_equals_no_lengths_and_padding_is_ignored(mode):
    cm, _ = make_pair(mode, "float64", bidirectional=True)
    rng = np.random.default_rng(2)
    x_np = rng.standard_normal((6, 2, 3))
    a, ha = cm(cg.tensor(x_np), lengths=[6, 6])
    b, hb = cm(cg.tensor(x_np))
    np.testing.assert_array_equal(a.data, b.data)
    # garbage in the padded steps changes nothing, and outputs there are zero
    y = x_np.copy()
    y[3:, 1] = 1e3
    c, hc = cm(cg.tensor(y), lengths=cg.tensor(np.array([6, 3])))
    d, hd = cm(cg.tensor(x_np), lengths=np.array([6, 3]))
    np.testing.assert_array_equal(c.data, d.data)
    assert np.all(c.data[3:, 1] == 0)
    first = lambda h: h[0] if mode == "LSTM" else h  # noqa: E731
    np.testing.assert_array_equal(first(hc).data, first(hd).data)


def test_dropout_between_layers_is_seeded_and_only_in_training():
    m = nn.LSTM(3, 4, num_layers=2, dropout=0.5, dtype="float64")
    x = cg.tensor(np.random.default_rng(3).standard_normal((5, 2, 3)))
    cg.manual_seed(11)
    a, _ = m(x)
    cg.manual_seed(11)
    b, _ = m(x)
    c, _ = m(x)
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.allclose(a.data, c.data)
    m.eval()
    e1, _ = m(x)
    e2, _ = m(x)
    np.testing.assert_array_equal(e1.data, e2.data)
    m0 = nn.LSTM(3, 4, num_layers=2, dropout=0.0, dtype="float64")
    m0.load_state_dict(m.state_dict())
    np.testing.assert_allclose(m0(x)[0].data, e1.data)
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.GRU(3, 4, dropout=0.2)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "unrolled"])
@pytest.mark.parametrize("mode", list(MODES))
def test_gradcheck(mode, fused):
    name, extra = MODES[mode]
    cg.manual_seed(0)
    L = 2 if fused else 1  # the unrolled path is checked against torch above; keep its gradcheck small
    m = getattr(nn, name)(2, 2, num_layers=L, bidirectional=True, dtype="float64", fused=fused, **extra)
    rng = np.random.default_rng(4)
    x = cg.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h = cg.tensor(rng.standard_normal((2 * L, 2, 2)), requires_grad=True)
    c = cg.tensor(rng.standard_normal((2 * L, 2, 2)), requires_grad=True)
    params = list(m.parameters())

    def f(x, h, c, *ps):
        out, hn = m(x, (h, c) if mode == "LSTM" else h, lengths=[3, 2])
        hn = hn[1] if mode == "LSTM" else hn
        return out.sum() + (hn * hn).sum()

    assert gradcheck(f, [x, h, c] + params, atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mode", list(MODES))
def test_cells_match_torch(mode, dtype):
    name, extra = MODES[mode]
    tdt = getattr(torch, dtype)
    tc = getattr(torch.nn, name + "Cell")(3, 4, dtype=tdt, **extra)
    cc = getattr(nn, name + "Cell")(3, 4, dtype=dtype, **extra)
    cc.load_state_dict(tc.state_dict())
    rng = np.random.default_rng(5)
    for shape, hshape in (((2, 3), (2, 4)), ((3,), (4,))):
        x_np = rng.standard_normal(shape).astype(dtype)
        hx_np = [rng.standard_normal(hshape).astype(dtype) for _ in range(2 if mode == "LSTM" else 1)]
        x, xt = cg.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
        hs = [cg.tensor(h, requires_grad=True) for h in hx_np]
        hts = [torch.tensor(h, requires_grad=True) for h in hx_np]
        out = cc(x, tuple(hs) if mode == "LSTM" else hs[0])
        tout = tc(xt, tuple(hts) if mode == "LSTM" else hts[0])
        outs, touts = (list(out), list(tout)) if mode == "LSTM" else ([out], [tout])
        loss = sum(((o * o).sum() for o in outs), cg.tensor(0.0, dtype=dtype))
        sum((o * o).sum() for o in touts).backward()
        loss.backward()
        for a, b in zip(outs, touts):
            np.testing.assert_allclose(a.data, b.detach().numpy(), **TOL[dtype])
        assert outs[0].shape == cc.output_shape(shape)
        for a, b in [(x, xt)] + list(zip(hs, hts)):
            np.testing.assert_allclose(a.grad.data, b.grad.numpy(), **TOL[dtype])
        tp = dict(tc.named_parameters())
        for n, p in cc.named_parameters():
            np.testing.assert_allclose(p.grad.data, tp[n].grad.numpy(), err_msg=n, **TOL[dtype])
            p.grad, tp[n].grad = None, None
    h0 = cc(cg.tensor(x_np))  # hx=None means zeros
    h1 = cc(cg.tensor(x_np), tuple(cg.zeros(4, dtype=dtype) for _ in range(2)) if mode == "LSTM"
            else cg.zeros(4, dtype=dtype))
    for a, b in zip(h0 if mode == "LSTM" else [h0], h1 if mode == "LSTM" else [h1]):
        np.testing.assert_array_equal(a.data, b.data)


def test_layer_is_the_cell_unrolled():
    cg.manual_seed(1)
    layer = nn.GRU(3, 4, dtype="float64", gate_activation="identity", candidate_activation="relu")
    cell = nn.GRUCell(3, 4, dtype="float64", gate_activation="identity", candidate_activation="relu")
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in layer.state_dict().items()})
    x = cg.tensor(np.random.default_rng(6).standard_normal((4, 2, 3)))
    out, hn = layer(x)
    h = None
    for t in range(4):
        h = cell(x[t], h)
        np.testing.assert_allclose(out.data[t], h.data, rtol=1e-12)
    np.testing.assert_allclose(hn.data[0], h.data, rtol=1e-12)


def _manual_lstm(x, w_ih, w_hh, b, acts):
    gate, cand, cell = acts
    H = w_hh.shape[1]
    h = c = np.zeros((x.shape[1], H))
    outs = []
    for t in range(x.shape[0]):
        a = x[t] @ w_ih.T + h @ w_hh.T + b
        i, f, g, o = gate(a[:, :H]), gate(a[:, H:2 * H]), cand(a[:, 2 * H:3 * H]), gate(a[:, 3 * H:])
        c = f * c + i * g
        h = o * cell(c)
        outs.append(h)
    return np.stack(outs), h, c


SIG = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
IDENT = lambda a: a  # noqa: E731


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "unrolled"])
@pytest.mark.parametrize("acts", [("sigmoid", "sigmoid", "tanh"), ("sigmoid", "tanh", "identity"),
                                  ("sigmoid", "relu", "linear")])
def test_lstm_activation_options_and_single_bias(acts, fused):
    m = nn.LSTM(3, 4, dtype="float64", gate_activation=acts[0], candidate_activation=acts[1],
                cell_activation=acts[2], bias_style="single", fused=fused)
    assert [n for n, _ in m.named_parameters()] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0"]
    assert m.count_parameters() == nn.lstm_param_count(3, 4, "single") == 4 * (4 * (3 + 4) + 4)
    fns = {"sigmoid": SIG, "tanh": np.tanh, "identity": IDENT, "linear": IDENT, "relu": lambda a: np.maximum(a, 0)}
    x_np = np.random.default_rng(8).standard_normal((5, 2, 3))
    out, (h, c) = m(cg.tensor(x_np))
    ref = _manual_lstm(x_np, m.weight_ih_l0.data, m.weight_hh_l0.data, m.bias_ih_l0.data, [fns[a] for a in acts])
    for a, b in zip((out, h[0], c[0]), ref):
        np.testing.assert_allclose(a.data, b, rtol=1e-12, atol=1e-14)
    assert "bias_style='single'" in repr(m)


def test_callable_activation_equals_named_and_gradients_agree():
    cg.manual_seed(2)
    a = nn.RNN(3, 4, nonlinearity="sigmoid", dtype="float64")
    b = nn.RNN(3, 4, nonlinearity=lambda t: t.sigmoid(), dtype="float64")
    b.load_state_dict(a.state_dict())
    x_np = np.random.default_rng(9).standard_normal((4, 2, 3))
    for m in (a, b):
        out, _ = m(cg.tensor(x_np))
        (out ** 2).sum().backward()
    np.testing.assert_allclose(a(cg.tensor(x_np))[0].data, b(cg.tensor(x_np))[0].data, rtol=1e-12)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_allclose(p.grad.data, q.grad.data, rtol=1e-10)


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH"])
def test_single_bias_equals_torch_with_zero_hidden_bias(mode):
    name, _ = MODES[mode]
    tm = getattr(torch.nn, name)(3, 4, num_layers=2, dtype=torch.float64)
    with torch.no_grad():
        for n, p in tm.named_parameters():
            if n.startswith("bias_hh"):
                p.zero_()
    cm = getattr(nn, name)(3, 4, num_layers=2, dtype="float64", bias_style="single")
    cm.load_state_dict({k: v for k, v in tm.state_dict().items() if not k.startswith("bias_hh")})
    x_np = np.random.default_rng(10).standard_normal((4, 2, 3))
    np.testing.assert_allclose(cm(cg.tensor(x_np))[0].data, tm(torch.from_numpy(x_np))[0].detach().numpy(),
                               rtol=1e-12)
    assert cm.count_parameters() == nn.recurrent_param_count(name, 3, 4, 2, bias_style="single")


@pytest.mark.parametrize("mode", list(MODES))
def test_state_dict_keys_repr_and_init_like_torch(mode):
    name, extra = MODES[mode]
    for kw in (dict(), dict(num_layers=2, bidirectional=True, bias=False, batch_first=True, dropout=0.3)):
        tm = getattr(torch.nn, name)(3, 4, **extra, **kw)
        cm = getattr(nn, name)(3, 4, **extra, **kw)
        assert list(cm.state_dict()) == list(tm.state_dict())
        # torch's RNN repr omits the nonlinearity (its RNNCell shows it); chalkgrad shows it on both
        assert repr(cm).replace(", nonlinearity=relu", "") == repr(tm)
        assert ("nonlinearity=relu" in repr(cm)) == bool(extra)
        assert cm.count_parameters() == sum(p.numel() for p in tm.parameters())
        for p in cm.parameters():
            assert np.abs(p.data).max() <= 0.5 and p.dtype == np.float32
    cell, tcell = getattr(nn, name + "Cell")(3, 4, **extra), getattr(torch.nn, name + "Cell")(3, 4, **extra)
    assert repr(cell) == repr(tcell)
    assert list(cell.state_dict()) == list(tcell.state_dict())
    assert len(nn.LSTM(3, 4, num_layers=2).all_weights) == 2


def test_truncated_bptt_with_detach():
    cg.manual_seed(3)
    m = nn.LSTM(2, 3, dtype="float64")
    x = cg.tensor(np.random.default_rng(11).standard_normal((8, 1, 2)), requires_grad=True)
    out1, (h, c) = m(x[:4])
    h, c = h.detach(), c.detach()
    out2, _ = m(x[4:], (h, c))
    out2.sum().backward()
    assert np.all(x.grad.data[:4] == 0) and np.any(x.grad.data[4:] != 0)
    full, _ = m(x)
    np.testing.assert_allclose(full.data[4:], out2.data, rtol=1e-12)  # same values, shorter graph


def test_double_backward_unrolled_matches_torch_and_fused_refuses():
    cm, tm = make_pair("LSTM", "float64", fused=False)
    x_np = np.random.default_rng(12).standard_normal((3, 2, 3))
    x, xt = cg.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    (g,) = cg.autograd.grad(cm(x)[0].sum(), [x], create_graph=True)
    (gt,) = torch.autograd.grad(tm(xt)[0].sum(), [xt], create_graph=True)
    (g * g).sum().backward()
    (gt * gt).sum().backward()
    tp = dict(tm.named_parameters())
    for n, p in cm.named_parameters():
        np.testing.assert_allclose(p.grad.data, tp[n].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=n)
    fused = nn.LSTM(3, 4, dtype="float64")
    (g,) = cg.autograd.grad(fused(x)[0].sum(), [x], create_graph=True)
    with pytest.raises(GradError, match="fused=False"):
        (g * g).sum().backward()


def test_static_arithmetic():
    m = nn.LSTM(10, 20, num_layers=2, bidirectional=True, batch_first=True)
    assert m.output_shape((8, 5, 10)) == (8, 5, 40)
    assert m.state_shape((8, 5, 10)) == (4, 8, 20)
    assert m.macs((8, 5, 10)) == 2 * 5 * 8 * 80 * (10 + 20) + 2 * 5 * 8 * 80 * (40 + 20)
    assert m.receptive_field() == "global"
    g = nn.GRU(4, 6)
    assert g.output_shape((7, 3, 4)) == (7, 3, 6) and g.output_shape((7, 4)) == (7, 6)
    assert g.macs((7, 3, 4)) == 7 * 3 * 18 * 10
    assert nn.RNNCell(4, 6).macs((3, 4)) == 3 * 6 * 10 and nn.LSTMCell(4, 6).output_shape((4,)) == (6,)
    with pytest.raises(ShapeError, match=re.escape("GRU(4, 6): input shape (7, 3, 5)")):
        g.output_shape((7, 3, 5))
    for cell, G in (("lstm", 4), ("gru", 3), ("rnn", 1)):
        for style, nb in (("torch", 2), ("single", 1)):
            assert nn.recurrent_param_count(cell, 7, 5, bias_style=style) == G * (5 * (7 + 5) + nb * 5)
    assert nn.lstm_param_count(64, 128) == 4 * (128 * (64 + 128) + 2 * 128)
    assert nn.gru_param_count(3, 4, num_layers=2, bidirectional=True) == nn.GRU(
        3, 4, num_layers=2, bidirectional=True).count_parameters()
    assert nn.rnn_param_count(3, 4, bias_style="single") == 4 * 7 + 4


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("kw", [dict(), dict(bias_style="single"), dict(num_layers=3, bidirectional=True),
                                dict(bias=False, num_layers=2)])
def test_solve_hidden_size_roundtrip(cell, kw):
    for h in (1, 7, 128):
        total = nn.recurrent_param_count(cell, 33, h, **kw)
        assert nn.solve_hidden_size(total, 33, cell, **kw) == h


def test_solve_hidden_size_error_names_nearest():
    total = nn.lstm_param_count(64, 128) + 1
    msg = (f"no integer hidden size gives {total} parameters for an LSTM with input_size=64, num_layers=1, "
           f"bias_style='torch' (nearest: h=128 gives {total - 1}, h=129 gives {nn.lstm_param_count(64, 129)})")
    with pytest.raises(ConfigError, match=re.escape(msg)):
        nn.solve_hidden_size(total, 64, "lstm")
    assert nn.solve_hidden_size(nn.lstm_param_count(64, 128, "single"), 64, bias_style="single") == 128
    with pytest.raises(ConfigError, match="cell must be"):
        nn.solve_hidden_size(10, 3, "transformer")
    with pytest.raises(ConfigError, match="bias_style"):
        nn.lstm_param_count(3, 4, "keras")


def test_errors():
    m = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ShapeError, match=re.escape("LSTM(3, 4, num_layers=2): expected an input of shape")):
        m(cg.zeros(2, 3, 4, 3))
    with pytest.raises(ShapeError, match=re.escape("has 5 features, expected input_size=3")):
        m(cg.zeros(2, 3, 5))
    h = cg.zeros(2, 3, 4)
    with pytest.raises(ShapeError, match=re.escape("LSTM(3, 4, num_layers=2): c0 has shape (1, 3, 4), "
                                                   "expected (2, 3, 4)")):
        m(cg.zeros(5, 3, 3), (h, cg.zeros(1, 3, 4)))
    with pytest.raises(ShapeError, match=re.escape("GRU(3, 4): h0 has shape (1, 2, 4), expected (1, 3, 4)")):
        nn.GRU(3, 4)(cg.zeros(5, 3, 3), cg.zeros(1, 2, 4))
    with pytest.raises(ShapeError, match=re.escape("hx must be a tuple (h0, c0)")):
        m(cg.zeros(5, 3, 3), h)
    with pytest.raises(ShapeError, match=re.escape("h0 has shape (1, 3, 4), expected (1, 4)")):
        nn.RNN(3, 4)(cg.zeros(5, 3), cg.zeros(1, 3, 4))  # unbatched input, batched state
    with pytest.raises(DTypeError, match="input has dtype int64, expected float32"):
        m(cg.zeros(5, 3, 3, dtype="int64"))
    with pytest.raises(DTypeError, match=re.escape(".double()")):
        m(cg.zeros(5, 3, 3, dtype="float64"))
    r = nn.RNN(3, 4)
    with pytest.raises(ShapeError, match=re.escape("RNN(3, 4): lengths must be between 1 and the sequence length "
                                                   "5, got 6")):
        r(cg.zeros(5, 2, 3), lengths=[6, 2])
    with pytest.raises(ShapeError, match="got 0"):
        r(cg.zeros(5, 2, 3), lengths=[0, 2])
    with pytest.raises(ShapeError, match="3 lengths given for a batch of 2 sequences"):
        r(cg.zeros(5, 2, 3), lengths=[1, 2, 3])
    with pytest.raises(DTypeError, match="lengths must be integers"):
        r(cg.zeros(5, 2, 3), lengths=[1.5, 2.0])
    with pytest.raises(ShapeError, match=re.escape("[Sequential layer '0'] RNN(3, 4)")):
        nn.Sequential(r)(cg.zeros(5, 2, 7))
    with pytest.raises(ShapeError, match=re.escape("LSTMCell(3, 4): h has shape (2, 4), expected (3, 4)")):
        nn.LSTMCell(3, 4)(cg.zeros(3, 3), (cg.zeros(2, 4), cg.zeros(3, 4)))
    with pytest.raises(ShapeError, match=re.escape("GRUCell(3, 4): expected an input of shape (batch, 3)")):
        nn.GRUCell(3, 4)(cg.zeros(2, 2, 3))
    with pytest.raises(ConfigError, match="unknown gate_activation 'softmax'"):
        nn.LSTM(3, 4, gate_activation="softmax")
    with pytest.raises(ConfigError, match="proj_size"):
        nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(ConfigError, match="dropout"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.raises(ConfigError, match="bias_style"):
        nn.GRU(3, 4, bias_style="double")


@pytest.mark.parametrize("name,acts", [
    ("LSTM", dict(gate_activation="identity", candidate_activation="relu", cell_activation="sigmoid")),
    ("GRU", dict(gate_activation="tanh", candidate_activation="identity")),
    ("RNN", dict(nonlinearity="sigmoid")),
    ("RNN", dict(nonlinearity="identity", bias_style="single")),
])
def test_fused_equals_unrolled_for_other_activations_with_lengths(name, acts):
    cg.manual_seed(4)
    a = getattr(nn, name)(3, 4, num_layers=2, bidirectional=True, dtype="float64", **acts)
    b = getattr(nn, name)(3, 4, num_layers=2, bidirectional=True, dtype="float64", fused=False, **acts)
    b.load_state_dict(a.state_dict())
    x_np = np.random.default_rng(13).standard_normal((5, 3, 3))
    results = []
    for m in (a, b):
        x = cg.tensor(x_np, requires_grad=True)
        out, hn = m(x, lengths=[2, 5, 4])
        finals = list(hn) if name == "LSTM" else [hn]
        loss = (out * out).sum() + sum((f * f * f).sum() for f in finals)
        loss.backward()
        results.append([out.data, *(f.data for f in finals), x.grad.data] + [p.grad.data for p in m.parameters()])
    for u, v in zip(*results):
        np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12)
