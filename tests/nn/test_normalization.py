"""Normalization layers and functions against PyTorch: forward, gradients, running statistics, errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

import chalkgrad as cg
import chalkgrad.nn.functional as F
from chalkgrad import nn
from chalkgrad.autograd import gradcheck
from helpers import assert_close, examples, to_torch

TDTYPE = {"float32": torch.float32, "float64": torch.float64}


def _pair(layer, torch_cls, *args, dtype="float64", **kwargs):
    """A torch layer of the same configuration with chalkgrad's state loaded (tests load_state_dict too)."""
    ref = torch_cls(*args, dtype=TDTYPE[dtype], **kwargs)
    sd = {k: torch.from_numpy(v.numpy().copy()) for k, v in layer.state_dict().items()}
    ref.load_state_dict(sd)
    return ref


def _randomize_affine(layer, rng):
    for p in layer.parameters():
        p.data[...] = rng.standard_normal(p.shape).astype(p.dtype)


def _steps_match(layer, ref, shapes, dtype, rng, train=True):
    """Run both layers on the same inputs; compare outputs and input/parameter gradients each step."""
    layer.train(train)
    ref.train(train)
    for shape in shapes:
        xd = (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)
        x, xt = cg.tensor(xd, requires_grad=True), to_torch(xd, requires_grad=True)
        for p in layer.parameters():
            p.grad = None
        ref.zero_grad()
        y, yt = layer(x), ref(xt)
        assert y.dtype == dtype and y.shape == layer.output_shape(shape)
        assert_close(y, yt, dtype, what="forward")
        g = rng.standard_normal(shape).astype(dtype)
        y.backward(cg.tensor(g))
        yt.backward(torch.from_numpy(g))
        assert_close(x.grad, xt.grad, dtype, scale=10, what="input grad")
        for (name, p), (tname, tp) in zip(layer.named_parameters(), ref.named_parameters()):
            assert name == tname
            assert_close(p.grad, tp.grad, dtype, scale=10, what=f"{name} grad")
    for name, buf in ref.state_dict().items():
        ours = layer.state_dict()[name]
        assert ours.dtype.name == str(buf.dtype).removeprefix("torch."), name
        assert_close(ours, buf, dtype if ours.dtype.kind == "f" else "float64", what=name)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm2d_matches_torch(dtype, momentum, affine):
    rng = np.random.default_rng(0)
    layer = nn.BatchNorm2d(3, momentum=momentum, affine=affine, dtype=dtype)
    if affine:
        _randomize_affine(layer, rng)
    ref = _pair(layer, torch.nn.BatchNorm2d, 3, momentum=momentum, affine=affine, dtype=dtype)
    _steps_match(layer, ref, [(4, 3, 5, 5), (2, 3, 3, 4), (5, 3, 2, 2)], dtype, rng)
    assert int(layer.num_batches_tracked.item()) == 3
    _steps_match(layer, ref, [(2, 3, 4, 4)], dtype, rng, train=False)  # eval: running statistics


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 5)])
def test_batchnorm1d_matches_torch(dtype, shape):
    rng = np.random.default_rng(1)
    layer = nn.BatchNorm1d(4, eps=1e-3, momentum=0.3, dtype=dtype)
    _randomize_affine(layer, rng)
    ref = _pair(layer, torch.nn.BatchNorm1d, 4, eps=1e-3, momentum=0.3, dtype=dtype)
    _steps_match(layer, ref, [shape, shape], dtype, rng)
    _steps_match(layer, ref, [shape], dtype, rng, train=False)


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval():
    rng = np.random.default_rng(2)
    layer = nn.BatchNorm2d(2, track_running_stats=False, dtype="float64")
    assert layer.running_mean is None and list(layer.state_dict()) == ["weight", "bias"]
    ref = _pair(layer, torch.nn.BatchNorm2d, 2, track_running_stats=False)
    _steps_match(layer, ref, [(3, 2, 2, 2)], "float64", rng, train=False)
    _steps_match(layer, ref, [(3, 2, 2, 2)], "float64", rng, train=True)


def test_batchnorm_state_dict_from_torch():
    ref = torch.nn.BatchNorm2d(3)
    ref(torch.randn(4, 3, 2, 2))
    layer = nn.BatchNorm2d(3)
    assert list(layer.state_dict()) == list(ref.state_dict())
    layer.load_state_dict(ref.state_dict())
    assert layer.num_batches_tracked.dtype == np.int64 and int(layer.num_batches_tracked.item()) == 1
    assert_close(layer.running_var, ref.running_var, "float32")
    layer.eval(), ref.eval()
    x = np.random.default_rng(3).standard_normal((2, 3, 2, 2)).astype(np.float32)
    assert_close(layer(cg.tensor(x)), ref(torch.from_numpy(x)), "float32")
    assert repr(layer) == repr(ref)
    layer.reset_parameters()
    assert int(layer.num_batches_tracked.item()) == 0 and np.all(layer.running_var.numpy() == 1)


def test_batch_norm_functional_gradcheck_and_second_order():
    rng = np.random.default_rng(4)
    x = cg.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    w = cg.tensor(rng.standard_normal(2) + 1.5, requires_grad=True)
    b = cg.tensor(rng.standard_normal(2), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [x, w, b])
    rm, rv = cg.zeros(2, dtype="float64"), cg.ones(2, dtype="float64")
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), [x, w, b])

    # Gradient-penalty style second order: d/d(x, w) of Σ (∂L/∂x)² with L = Σ y·c.
    c = rng.standard_normal((3, 2, 4))

    def penalty_cg(x, w):
        with cg.enable_grad():  # gradcheck's finite differences run without grad mode
            y = F.batch_norm(x, None, None, w, None, training=True)
            (gx,) = cg.autograd.grad((y * cg.tensor(c) * y).sum(), [x], create_graph=True)
            return (gx * gx).sum()

    assert gradcheck(penalty_cg, [x, w])
    pen = penalty_cg(x, w)
    pen.backward()
    xt, wt = to_torch(x, True), to_torch(w, True)
    yt = torch.nn.functional.batch_norm(xt, None, None, wt, None, training=True)
    (gxt,) = torch.autograd.grad((yt * torch.from_numpy(c) * yt).sum(), [xt], create_graph=True)
    pt = (gxt * gxt).sum()
    pt.backward()
    assert_close(pen, pt)
    assert_close(x.grad, xt.grad, scale=100)
    assert_close(w.grad, wt.grad, scale=100)


def test_batchnorm_errors():
    bn = nn.BatchNorm2d(3)
    with pytest.raises(cg.ShapeError, match=r"BatchNorm2d\(3\): expected an input \(N, C, H, W\), got an input of "
                                            r"shape \(2, 3, 4\)"):
        bn(cg.zeros(2, 3, 4))
    with pytest.raises(cg.ShapeError, match=r"has 4 channels \(dim 1\), expected num_features=3"):
        bn(cg.zeros(2, 4, 2, 2))
    with pytest.raises(cg.ShapeError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(cg.zeros(1, 3))
    with pytest.raises(cg.ShapeError, match="expected num_features=3"):
        bn.output_shape((2, 5, 4, 4))
    with pytest.raises(cg.ShapeError, match="expected an input"):
        nn.BatchNorm1d(3).macs((2, 3, 4, 4))
    nn.BatchNorm1d(3).eval()(cg.zeros(1, 3))  # eval mode: a batch of one is fine
    with pytest.raises(cg.ShapeError, match=r"running_mean must have shape \(3,\)"):
        F.batch_norm(cg.zeros(2, 3), cg.zeros(4), cg.ones(4), training=True)
    with pytest.raises(cg.ConfigError, match="momentum"):
        nn.BatchNorm1d(3, momentum=2.0)
    with pytest.raises(cg.ConfigError, match="num_features"):
        nn.BatchNorm1d(0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("normalized_shape,shape,bias", [(5, (3, 5), True), ((2, 3), (4, 2, 3), False)])
def test_layernorm_matches_torch(dtype, normalized_shape, shape, bias):
    rng = np.random.default_rng(5)
    layer = nn.LayerNorm(normalized_shape, eps=1e-4, bias=bias, dtype=dtype)
    _randomize_affine(layer, rng)
    ref = _pair(layer, torch.nn.LayerNorm, normalized_shape, eps=1e-4, bias=bias, dtype=dtype)
    _steps_match(layer, ref, [shape], dtype, rng)
    assert repr(layer) == repr(ref)
    x = cg.tensor(rng.standard_normal(shape), requires_grad=True)
    assert gradcheck(lambda x: F.layer_norm(x, normalized_shape) ** 2, [x])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("affine", [True, False])
def test_groupnorm_matches_torch(dtype, affine):
    rng = np.random.default_rng(6)
    layer = nn.GroupNorm(2, 6, affine=affine, dtype=dtype)
    if affine:
        _randomize_affine(layer, rng)
    ref = _pair(layer, torch.nn.GroupNorm, 2, 6, affine=affine, dtype=dtype)
    _steps_match(layer, ref, [(3, 6, 2, 3), (2, 6, 4)], dtype, rng)
    assert repr(layer) == repr(ref)
    with pytest.raises(cg.ConfigError, match="num_channels=6 must be divisible by num_groups=4"):
        nn.GroupNorm(4, 6)
    with pytest.raises(cg.ShapeError, match="C=6"):
        layer(cg.zeros(2, 4, 3, dtype=dtype))


@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (3, 4, 5)), ("InstanceNorm2d", (2, 4, 3, 3)),
                                       ("InstanceNorm2d", (4, 3, 3))])
@pytest.mark.parametrize("affine,track", [(False, False), (True, True)])
def test_instancenorm_matches_torch(cls, shape, affine, track):
    rng = np.random.default_rng(7)
    layer = getattr(nn, cls)(4, affine=affine, track_running_stats=track, dtype="float64")
    if affine:
        _randomize_affine(layer, rng)
    ref = _pair(layer, getattr(torch.nn, cls), 4, affine=affine, track_running_stats=track, dtype="float64")
    assert repr(layer) == repr(ref) and list(layer.state_dict()) == list(ref.state_dict())
    _steps_match(layer, ref, [shape, shape], "float64", rng)
    _steps_match(layer, ref, [shape], "float64", rng, train=False)


def test_instance_norm_gradcheck():
    x = cg.tensor(np.random.default_rng(8).standard_normal((2, 3, 4)), requires_grad=True)
    assert gradcheck(lambda x: F.instance_norm(x) * x, [x])
    assert gradcheck(lambda x: F.group_norm(x, 3) * x, [x])


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_local_response_norm_matches_torch(size):
    rng = np.random.default_rng(9)
    layer = nn.LocalResponseNorm(size, alpha=0.5, beta=0.75, k=2.0)
    ref = torch.nn.LocalResponseNorm(size, alpha=0.5, beta=0.75, k=2.0)
    assert repr(layer) == repr(ref)
    _steps_match(layer, ref, [(2, 4, 3, 3), (2, 5, 3)], "float64", rng)


def test_static_arithmetic():
    layers = [nn.BatchNorm2d(3), nn.BatchNorm1d(3), nn.LayerNorm(5), nn.GroupNorm(3, 3), nn.InstanceNorm2d(3),
              nn.LocalResponseNorm(3)]
    shapes = [(2, 3, 4, 5), (2, 3, 5), (2, 3, 5), (2, 3, 5), (2, 3, 4, 5), (2, 3, 5)]
    for layer, shape in zip(layers, shapes):
        assert layer.output_shape(shape) == shape
        assert layer.receptive_field() is None
        per = 3 if isinstance(layer, nn.LocalResponseNorm) else 1
        assert layer.macs(shape) == per * int(np.prod(shape))
        assert layer(cg.zeros(*shape)).shape == shape
    assert nn.BatchNorm2d(3).count_parameters() == 6
    assert nn.BatchNorm2d(3, affine=False).count_parameters() == 0
    assert nn.LayerNorm((2, 3)).count_parameters() == 12


@pytest.mark.parametrize("which", ["layer", "group", "instance"])
def test_normalize_second_order_matches_torch(which):
    """Gradient penalty through layer/group/instance norm: exercises the Tensor-op backward (create_graph)."""
    rng = np.random.default_rng(10)
    xd, c = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 4, 3))
    fns = {
        "layer": (lambda x: F.layer_norm(x, (4, 3)), lambda x: torch.nn.functional.layer_norm(x, (4, 3))),
        "group": (lambda x: F.group_norm(x, 2), lambda x: torch.nn.functional.group_norm(x, 2)),
        "instance": (lambda x: F.instance_norm(x), lambda x: torch.nn.functional.instance_norm(x)),
    }
    f_cg, f_t = fns[which]
    x = cg.tensor(xd, requires_grad=True)
    y = f_cg(x)
    (gx,) = cg.autograd.grad((y * cg.tensor(c) * y).sum(), [x], create_graph=True)
    (gx * gx).sum().backward()
    xt = to_torch(xd, True)
    yt = f_t(xt)
    (gxt,) = torch.autograd.grad((yt * torch.from_numpy(c) * yt).sum(), [xt], create_graph=True)
    (gxt * gxt).sum().backward()
    assert_close(gx, gxt, scale=10)
    assert_close(x.grad, xt.grad, scale=100)


@examples(12)
@given(n=st.integers(2, 4), c=st.integers(1, 3), spatial=st.lists(st.integers(1, 3), max_size=2),
       affine=st.booleans(), training=st.booleans(), seed=st.integers(0, 2**16))
def test_batch_norm_functional_random_shapes(n, c, spatial, affine, training, seed):
    rng = np.random.default_rng(seed)
    shape = (n, c, *spatial)
    xd = rng.standard_normal(shape) * 3 + 1
    w, b = (rng.standard_normal(c), rng.standard_normal(c)) if affine else (None, None)
    rm, rv = rng.standard_normal(c), rng.uniform(0.5, 2, c)
    ours = [cg.tensor(xd, requires_grad=True)] + [cg.tensor(v, requires_grad=True) for v in (w, b) if v is not None]
    theirs = [to_torch(xd, True)] + [to_torch(v, True) for v in (w, b) if v is not None]
    crm, crv, trm, trv = cg.tensor(rm), cg.tensor(rv), to_torch(rm), to_torch(rv)
    y = F.batch_norm(ours[0], crm, crv, *ours[1:], training=training, momentum=0.2, eps=1e-3)
    yt = torch.nn.functional.batch_norm(theirs[0], trm, trv, *theirs[1:], training=training, momentum=0.2, eps=1e-3)
    assert_close(y, yt)
    assert_close(crm, trm)
    assert_close(crv, trv)
    g = rng.standard_normal(shape)
    y.backward(cg.tensor(g))
    yt.backward(torch.from_numpy(g))
    for a, t in zip(ours, theirs):
        assert_close(a.grad, t.grad, scale=100)


# -- the cache-blocked kernels (ops/norm.py) and their workspace buffers ------------------------------

_BLOCKED_CASES = [
    ("batch", (5, 2, 2)),  # several samples per block, the last block partial
    ("batch", (3, 4, 5)),  # a sample spans blocks: channel ranges
    ("batch", (3, 2, 20)),  # a channel's row spans blocks: scalar factors
    ("batch_eval", (3, 2, 20)),
    ("batch_eval", (3, 4, 5)),
    ("layer", (6, 3, 3)),  # several rows per block
    ("layer", (3, 4, 5)),  # a row spans blocks
    ("layer_weight", (3, 4, 5)),
    ("layer_plain", (3, 20)),
    ("group", (2, 4, 5)),
    ("instance", (2, 4, 25)),
]


def _blocked_fns(which, shape, rng, dtype):
    c = shape[1]
    rm, rv = rng.standard_normal(c), rng.uniform(0.5, 2, c)
    ln_shape = shape[1:]
    return {
        "batch": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                  lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True), (c,), 2),
        "batch_eval": (lambda x, w, b: F.batch_norm(x, cg.tensor(rm.astype(dtype)), cg.tensor(rv.astype(dtype)), w, b),
                       lambda x, w, b: TF.batch_norm(x, to_torch(rm.astype(dtype)), to_torch(rv.astype(dtype)), w, b),
                       (c,), 2),
        "layer": (lambda x, w, b: F.layer_norm(x, ln_shape, w, b), lambda x, w, b: TF.layer_norm(x, ln_shape, w, b),
                  ln_shape, 2),
        "layer_weight": (lambda x, w: F.layer_norm(x, ln_shape, w), lambda x, w: TF.layer_norm(x, ln_shape, w),
                         ln_shape, 1),
        "layer_plain": (lambda x: F.layer_norm(x, ln_shape), lambda x: TF.layer_norm(x, ln_shape), ln_shape, 0),
        "group": (lambda x, w, b: F.group_norm(x, 2, w, b), lambda x, w, b: TF.group_norm(x, 2, w, b), (c,), 2),
        "instance": (lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
                     lambda x, w, b: TF.instance_norm(x, weight=w, bias=b), (c,), 2),
    }[which]


@pytest.fixture(params=[1, 2], ids=["1-thread", "2-threads"])
def kernel_threads(request):
    from chalkgrad.ops import workspace

    before = workspace.get_num_threads()
    workspace.set_num_threads(request.param)
    yield request.param
    workspace.set_num_threads(before)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("which,shape", _BLOCKED_CASES)
def test_blocked_kernels_match_torch(monkeypatch, kernel_threads, which, shape, dtype):
    """Tiny blocks (16 bytes) make every layout of the block loops run on small inputs, on one thread
    and split over two."""
    from chalkgrad.ops import norm as norm_ops

    monkeypatch.setattr(norm_ops, "_BLOCK_BYTES", 16)
    rng = np.random.default_rng(11)
    f_cg, f_t, pshape, nparams = _blocked_fns(which, shape, rng, dtype)
    xd = (rng.standard_normal(shape) * 2 + 3).astype(dtype)
    ps = [rng.standard_normal(pshape).astype(dtype) for _ in range(nparams)]
    ours = [cg.tensor(xd, requires_grad=True)] + [cg.tensor(p, requires_grad=True) for p in ps]
    theirs = [to_torch(xd, True)] + [to_torch(p, True) for p in ps]
    y, yt = f_cg(*ours), f_t(*theirs)
    assert y.dtype == dtype
    assert_close(y, yt, dtype, what="forward")
    g = rng.standard_normal(shape).astype(dtype)
    y.backward(cg.tensor(g))
    yt.backward(torch.from_numpy(g))
    for i, (a, t) in enumerate(zip(ours, theirs)):
        assert_close(a.grad, t.grad, dtype, scale=10, what=f"grad {i}")
    with cg.no_grad():  # forward without a kept buffer
        assert_close(f_cg(*ours), yt, dtype, what="forward without grad")


def test_workspace_buffers_are_reused_but_never_returned(monkeypatch):
    """Batch/layer norm keep x − μ (or x̂) in a workspace buffer until the graph is released; outputs and
    gradients handed out stay intact when later steps reuse the buffers."""
    from chalkgrad.ops import workspace

    monkeypatch.setattr(workspace, "SPARE_MIN", 0)
    workspace.clear_workspace()
    rng = np.random.default_rng(12)
    w = cg.tensor(rng.standard_normal(3), requires_grad=True)
    lw = cg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    kept = []
    for step in range(3):
        xd, gd = rng.standard_normal((2, 3, 4)) + 1, rng.standard_normal((2, 3, 4))
        x = cg.tensor(xd, requires_grad=True)
        y = F.batch_norm(x, None, None, w, None, training=True)
        z = F.layer_norm(y, (3, 4), lw)
        z.backward(cg.tensor(gd), retain_graph=step == 0)
        if step == 0:  # the graph is still there: a second backward accumulates the same gradient
            first = x.grad.numpy().copy()
            z.backward(cg.tensor(gd))
            assert_close(x.grad, 2 * first)
        xt = to_torch(xd, True)
        zt = TF.layer_norm(TF.batch_norm(xt, None, None, to_torch(w), None, training=True), (3, 4), to_torch(lw))
        zt.backward(torch.from_numpy(gd) * (2 if step == 0 else 1))
        assert_close(x.grad, xt.grad, scale=10)
        kept.append((z, zt, x.grad, xt.grad))
        assert workspace.SPARE  # released graphs handed their buffers back
    for z, zt, gx, gxt in kept:  # nothing handed out was overwritten by later steps
        assert_close(z, zt)
        assert_close(gx, gxt, scale=10)
    workspace.clear_workspace()
    assert not workspace.SPARE


def test_layer_norm_affine_second_order_matches_torch():
    """Gradient penalty through layer norm with γ and β: the Tensor-op backward of the fused affine."""
    rng = np.random.default_rng(13)
    xd, c, wd, bd = (rng.standard_normal(s) for s in ((2, 4, 3), (2, 4, 3), (4, 3), (4, 3)))
    x, w, b = (cg.tensor(v, requires_grad=True) for v in (xd, wd, bd))
    xt, wt, bt = (to_torch(v, True) for v in (xd, wd, bd))
    y = F.layer_norm(x, (4, 3), w, b)
    (gx, gw) = cg.autograd.grad((y * cg.tensor(c) * y).sum(), [x, w], create_graph=True)
    ((gx * gx).sum() + (gw * gw).sum()).backward()
    yt = TF.layer_norm(xt, (4, 3), wt, bt)
    (gxt, gwt) = torch.autograd.grad((yt * torch.from_numpy(c) * yt).sum(), [xt, wt], create_graph=True)
    ((gxt * gxt).sum() + (gwt * gwt).sum()).backward()
    assert_close(gx, gxt, scale=10)
    assert_close(gw, gwt, scale=10)
    for a, t in ((x, xt), (w, wt), (b, bt)):
        assert_close(a.grad, t.grad, scale=100)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (4, 3), w, b) ** 2, [x, w, b])


def test_thread_setting_and_normalize_over_leading_axes():
    from chalkgrad.ops import workspace
    from chalkgrad.ops.norm import Normalize

    with pytest.raises(ValueError, match="set_num_threads: expected a positive number of threads, got 0"):
        workspace.set_num_threads(0)
    assert workspace.split_blocks(lambda lo, hi: (lo, hi), 1) == [(0, 1)]
    # axes that are not trailing take the general path
    xd = np.random.default_rng(14).standard_normal((4, 3, 2))
    x = cg.tensor(xd, requires_grad=True)
    y = Normalize.apply(x, axes=(0,), eps=1e-5, stats=None)
    xt = to_torch(xd, True)
    yt = (xt - xt.mean(0, keepdim=True)) / torch.sqrt(xt.var(0, unbiased=False, keepdim=True) + 1e-5)
    assert_close(y, yt)
    g = np.random.default_rng(15).standard_normal((4, 3, 2))
    y.backward(cg.tensor(g))
    yt.backward(torch.from_numpy(g))
    assert_close(x.grad, xt.grad, scale=10)
