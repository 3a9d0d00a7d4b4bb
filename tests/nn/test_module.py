"""Module, Parameter and the containers: PyTorch's nn.Module contract, checked against torch itself."""

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch

import chalkgrad as cg
from chalkgrad import nn
from chalkgrad.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters

# --------------------------------------------------------------------------- models used below


class Tanh(nn.Module):
    """An activation written with the tensor method, so these tests need no activation module."""

    def forward(self, x):
        return x.tanh()


def mlp(dtype=cg.float32, sizes=(4, 8, 6, 3)):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(Tanh())
    return nn.Sequential(*layers)


def torch_mlp(dtype=torch.float32, sizes=(4, 8, 6, 3)):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers)


def to_numpy(state):
    return {k: v.detach().numpy() if isinstance(v, torch.Tensor) else v.numpy() for k, v in state.items()}


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 4), Tanh())
        self.head = nn.Linear(4, 2)
        self.register_buffer("steps", cg.tensor(0))
        self.register_buffer("cache", cg.zeros(2), persistent=False)

    def forward(self, x):
        return self.head(self.body(x))


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh())
        self.head = torch.nn.Linear(4, 2)
        self.register_buffer("steps", torch.tensor(0))
        self.register_buffer("cache", torch.zeros(2), persistent=False)


# --------------------------------------------------------------------------- the MLP against PyTorch

TOL = {cg.float64: dict(rtol=1e-12, atol=1e-13), cg.float32: dict(rtol=2e-5, atol=2e-6)}


@pytest.mark.parametrize("dtype, tdtype", [(cg.float64, torch.float64), (cg.float32, torch.float32)])
def test_mlp_outputs_and_gradients_match_torch(dtype, tdtype):
    cg.manual_seed(0)
    model = mlp(dtype)
    ref = torch_mlp(tdtype)
    # chalkgrad -> NumPy -> torch
    ref.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in to_numpy(model.state_dict()).items()})
    assert list(model.state_dict()) == list(ref.state_dict())
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((5, 4)).astype(dtype)
    w_np = rng.standard_normal((5, 3)).astype(dtype)
    out = model(cg.tensor(x_np))
    out_t = ref(torch.from_numpy(x_np))
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), **TOL[dtype])
    (out * cg.tensor(w_np)).sum().backward()
    (out_t * torch.from_numpy(w_np)).sum().backward()
    grads_t = {n: p.grad.numpy() for n, p in ref.named_parameters()}
    names = [n for n, _ in model.named_parameters()]
    assert names == list(grads_t) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    for name, p in model.named_parameters():
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad.data, grads_t[name], **TOL[dtype], err_msg=name)
    # and back: torch -> NumPy -> a fresh chalkgrad model gives the same outputs
    fresh = mlp(dtype)
    assert repr(fresh.load_state_dict(to_numpy(ref.state_dict()))) == "<All keys matched successfully>"
    np.testing.assert_allclose(fresh(cg.tensor(x_np)).data, out_t.detach().numpy(), **TOL[dtype])


def test_loads_torch_tensors_directly():
    ref = torch_mlp()
    model = mlp()
    model.load_state_dict(ref.state_dict())
    model.load_state_dict(dict(ref.named_parameters()))  # even tensors that require grad
    x = np.ones((2, 4), np.float32)
    np.testing.assert_allclose(model(cg.tensor(x)).data, ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-5)


# --------------------------------------------------------------------------- registration and traversal


def test_traversal_matches_torch():
    ours, ref = Net(), TorchNet()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in ref.named_buffers()] == ["steps", "cache"]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in ref.named_children()] == ["body", "head"]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in ref.named_modules()]
    assert list(ours.state_dict()) == list(ref.state_dict())  # "cache" is not persistent
    assert "cache" not in ours.state_dict() and "steps" in ours.state_dict()
    assert [type(m).__name__ for m in ours.modules()] == ["Net", "Sequential", "Linear", "Tanh", "Linear"]
    assert list(ours.children()) == [ours.body, ours.head]
    assert [n for n, _ in ours.named_parameters(recurse=False)] == []
    assert [n for n, _ in ours.head.named_parameters(prefix="head")] == ["head.weight", "head.bias"]
    assert len(list(ours.parameters())) == 4 and len(list(ours.buffers())) == 2
    assert ours.count_parameters() == 3 * 4 + 4 + 4 * 2 + 2


def test_shared_parameters_and_modules_are_deduplicated_like_torch():
    def build(lib):
        a, b = lib.Linear(3, 3), lib.Linear(3, 3)
        b.weight = a.weight  # tied weights
        shared = lib.Linear(3, 3)
        return lib.Sequential(a, b, shared, shared)

    ours, ref = build(nn), build(torch.nn)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert [n for n, _ in ours.named_parameters()] == ["0.weight", "0.bias", "1.bias", "2.weight", "2.bias"]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in ref.named_modules()]
    assert len(list(ours.named_modules(remove_duplicate=False))) == 5
    assert len(list(ours.named_parameters(remove_duplicate=False))) == 8
    # state_dict keeps every name, as torch does, so torch checkpoints of tied models load
    assert list(ours.state_dict()) == list(ref.state_dict())
    ours.load_state_dict(to_numpy(ref.state_dict()))
    assert ours.count_parameters() == 9 + 3 + 3 + 9 + 3  # 0.weight, 0.bias, 1.bias, 2.weight, 2.bias
    assert ours[0].weight is ours[1].weight


def test_assigning_attributes_registers_and_unregisters():
    m = nn.Module()
    m.w = nn.Parameter(cg.ones(2))
    m.child = nn.Linear(2, 2)
    m.plain = cg.ones(2)  # a plain tensor attribute is neither parameter nor buffer
    assert list(m._parameters) == ["w"] and list(m._modules) == ["child"] and not m._buffers
    m.w = nn.Linear(1, 1)  # re-assigning as a module moves it
    assert "w" not in m._parameters and list(m._modules) == ["child", "w"]
    del m.child
    assert list(m._modules) == ["w"] and not hasattr(m, "child")
    m.register_buffer("buf", cg.zeros(3))
    m.buf = cg.ones(3)
    assert np.array_equal(m._buffers["buf"].data, np.ones(3))
    with pytest.raises(TypeError, match=r"cannot assign a int to buffer 'buf' of Module \(expected a Tensor or None\)"):
        m.buf = 3
    m.buf = None
    assert m._buffers["buf"] is None and list(m.state_dict()) == ["w.weight", "w.bias"]


def test_assigning_non_parameter_to_parameter_name_errors():
    layer = nn.Linear(2, 3)
    with pytest.raises(TypeError, match=r"cannot assign a Tensor to parameter 'weight' of Linear \(expected a "
                                        r"Parameter or None\)"):
        layer.weight = cg.zeros(3, 2)
    with pytest.raises(TypeError, match="cannot assign a ndarray to parameter 'bias'"):
        layer.bias = np.zeros(3)
    layer.bias = None  # allowed: the layer now has no bias
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    layer.bias = nn.Parameter(cg.zeros(3))
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    seq = nn.Sequential(nn.Linear(1, 1))
    with pytest.raises(TypeError, match="cannot assign a str to child module '0'"):
        setattr(seq, "0", "layer")


def test_module_without_super_init_gives_a_clear_error():
    class Forgot(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"cannot assign submodule 'fc' before Module.__init__\(\) was called: "
                                             r"call super\(\).__init__\(\) first in Forgot.__init__"):
        Forgot()

    class ForgotParam(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(cg.zeros(1))

    with pytest.raises(AttributeError, match="cannot assign parameter 'w' before Module.__init__"):
        ForgotParam()

    class ForgotPlain(nn.Module):
        def __init__(self):
            self.scale = 2.0

        def forward(self, x):
            return x * self.scale

    m = ForgotPlain()
    for use in (lambda: m(cg.ones(1)), lambda: list(m.parameters()), lambda: repr(m), m.train):
        with pytest.raises(AttributeError, match=r"ForgotPlain is not initialized: its __init__ must call "
                                                 r"super\(\).__init__\(\)"):
            use()
    with pytest.raises(AttributeError, match="must call super"):
        m.register_buffer("b", cg.zeros(1))
    with pytest.raises(AttributeError, match=r"'Linear' object has no attribute 'wieght'"):
        nn.Linear(1, 1).wieght  # noqa: B018 - ordinary typos still read as usual


def test_register_name_checks():
    m = nn.Linear(2, 2)
    with pytest.raises(KeyError, match=r"invalid name 'a.b'"):
        m.register_buffer("a.b", cg.zeros(1))
    with pytest.raises(KeyError, match="invalid name ''"):
        m.add_module("", nn.Identity())
    with pytest.raises(KeyError, match="attribute 'in_features' already exists on Linear"):
        m.register_parameter("in_features", nn.Parameter(cg.zeros(1)))
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        m.register_buffer("weight", cg.zeros(1))  # a parameter is not silently turned into a buffer
    with pytest.raises(TypeError, match="must be a Parameter or None, got Tensor"):
        m.register_parameter("extra", cg.zeros(1))
    with pytest.raises(TypeError, match="must be a Tensor or None, got ndarray"):
        m.register_buffer("extra", np.zeros(1))
    with pytest.raises(TypeError, match="must be a Module or None, got int"):
        m.add_module("extra", 3)
    with pytest.raises(KeyError, match="attribute 'train' already exists on ModuleDict"):
        nn.ModuleDict({"train": nn.Identity()})  # would shadow Module.train()
    m.register_parameter("weight", nn.Parameter(cg.zeros(2, 2)))  # re-registering the same kind is fine
    assert np.array_equal(m.weight.data, np.zeros((2, 2)))


def test_get_submodule_parameter_buffer():
    net = Net()
    assert net.get_submodule("body.0") is net.body[0]
    assert net.get_submodule("") is net
    assert net.get_parameter("head.bias") is net.head.bias
    assert net.get_buffer("steps") is net.steps
    with pytest.raises(AttributeError, match=r"Sequential has no submodule '7' \(looking up 'body.7'\)"):
        net.get_submodule("body.7")
    with pytest.raises(AttributeError, match=r"Linear has no parameter 'scale' \(looking up 'head.scale'\)"):
        net.get_parameter("head.scale")
    with pytest.raises(AttributeError, match="has no buffer 'nope'"):
        net.get_buffer("nope")


def test_apply_visits_children_first_like_torch():
    seen, seen_t = [], []
    Net().apply(lambda m: seen.append(type(m).__name__))
    TorchNet().apply(lambda m: seen_t.append(type(m).__name__))
    assert seen == ["Linear", "Tanh", "Sequential", "Linear", "Net"]
    assert seen == [s.replace("TorchNet", "Net") for s in seen_t]

    def init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)

    net = Net().apply(init_weights)
    assert np.all(net.body[0].weight.data == 0.5) and np.all(net.head.weight.data == 0.5)


# --------------------------------------------------------------------------- modes, grads, dtypes


def test_train_eval_recursive():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.body.train()
    assert net.body.training and net.body[0].training and not net.training and not net.head.training
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="mode must be a bool"):
        net.train("no")


def test_train_calls_children_overrides():
    calls = []

    class Frozen(nn.Module):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(False)  # e.g. a layer that always stays in eval mode

    seq = nn.Sequential(nn.Linear(1, 1), Frozen())
    seq.train()
    assert calls == [True] and seq[0].training and not seq[1].training


def test_zero_grad_and_requires_grad():
    model = mlp()
    model(cg.ones(2, 4)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.data.any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert model[0].requires_grad_(False) is model[0]
    model(cg.ones(2, 4)).sum().backward()
    assert model[0].weight.grad is None and model[2].weight.grad is not None
    assert model.count_parameters(trainable_only=True) == model.count_parameters() - (4 * 8 + 8)


def test_to_double_float():
    net = Net()
    net(cg.ones(1, 3)).sum().backward()
    assert net.double() is net
    assert all(p.dtype == cg.float64 and p.grad.dtype == cg.float64 for p in net.parameters())
    assert net.steps.dtype == cg.int64  # integer buffers stay as they are
    assert net.cache.dtype == cg.float64
    assert net(cg.ones(1, 3, dtype=cg.float64)).dtype == cg.float64
    net.float()
    assert all(p.dtype == cg.float32 for p in net.parameters())
    assert net.to(cg.float64).head.weight.dtype == cg.float64
    assert net.to(cg.zeros(1)).head.weight.dtype == cg.float32  # the dtype of a tensor
    assert net.to("cpu") is net and net.to(device="cpu", dtype="double").head.bias.dtype == cg.float64
    with pytest.raises(cg.DTypeError, match="only accepts floating dtypes"):
        net.to(cg.int64)
    with pytest.raises(ValueError, match="runs on the CPU"):
        net.to("cuda")


# --------------------------------------------------------------------------- state_dict


def test_state_dict_round_trip_and_memory_sharing():
    a, b = Net(), Net()
    a.steps.data[...] = 7
    sd = a.state_dict()
    assert list(sd) == ["steps", "body.0.weight", "body.0.bias", "head.weight", "head.bias"]
    assert all(type(v) is cg.Tensor and not v.requires_grad for v in sd.values())
    sd["head.bias"].data[0] = 42.0  # values share memory with the module, as in torch
    assert a.head.bias.data[0] == 42.0
    b.load_state_dict(sd)
    for (k, v), (k2, v2) in zip(a.state_dict().items(), b.state_dict().items()):
        assert k == k2 and np.array_equal(v.data, v2.data)
    b.head.bias.data[0] = 0.0
    assert a.head.bias.data[0] == 42.0  # loading copies
    assert a.state_dict(keep_vars=True)["head.bias"] is a.head.bias
    assert list(a.head.state_dict(prefix="head.")) == ["head.weight", "head.bias"]
    # a plain NumPy checkpoint of another dtype loads and is cast to the module's dtype
    b.load_state_dict({k: v.numpy().astype(np.float64) if v.dtype == np.float32 else v.numpy()
                       for k, v in sd.items()})
    assert b.head.weight.dtype == np.float32 and np.array_equal(b.head.weight.data, a.head.weight.data)


def test_load_state_dict_strict_lists_missing_and_unexpected():
    net = Net()
    sd = to_numpy(Net().state_dict())
    del sd["head.bias"], sd["steps"]
    sd["head.scale"] = np.ones(2)
    before = net.head.weight.data.copy()
    with pytest.raises(cg.StateDictError, match=r"missing keys: 'steps', 'head.bias'\n  unexpected keys: "
                                                r"'head.scale'") as info:
        net.load_state_dict(sd)
    assert "strict=False" in str(info.value) and isinstance(info.value, KeyError)
    assert np.array_equal(net.head.weight.data, before)  # nothing is loaded when a check fails
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["steps", "head.bias"] and result.unexpected_keys == ["head.scale"]
    missing, unexpected = result
    assert missing == ["steps", "head.bias"]
    np.testing.assert_array_equal(net.head.weight.data, sd["head.weight"])
    with pytest.raises(cg.StateDictError, match="unexpected keys: 'cache'"):  # non-persistent buffers are not loaded
        net.load_state_dict({**to_numpy(net.state_dict()), "cache": np.zeros(2)})


def test_load_state_dict_shape_mismatch_always_raises():
    net = Net()
    sd = to_numpy(net.state_dict())
    sd["head.weight"] = np.zeros((4, 2))
    for strict in (True, False):
        with pytest.raises(cg.StateDictError, match=r"shape mismatch for 'head.weight': the state_dict has shape "
                                                    r"\(4, 2\), the module expects \(2, 4\)"):
            net.load_state_dict(sd, strict=strict)
    with pytest.raises(TypeError, match="expected a dict of names to arrays, got list"):
        net.load_state_dict([1, 2])
    with pytest.raises(cg.StateDictError, match="the value for 'steps' is a dict"):
        net.load_state_dict({**to_numpy(net.state_dict()), "steps": {"a": 1}})


def test_state_dict_works_with_pytorch_checkpoints_of_the_same_model():
    ref = TorchNet()
    ref.steps += 3
    net = Net()
    net.load_state_dict(to_numpy(ref.state_dict()))
    assert net.steps.item() == 3
    np.testing.assert_array_equal(net.body[0].weight.data, ref.body[0].weight.detach().numpy())
    # and back into torch
    ref2 = TorchNet()
    ref2.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in to_numpy(net.state_dict()).items()})
    assert torch.equal(ref2.head.weight, ref.head.weight)


def test_deepcopy_and_pickle():
    net = Net()
    clone = copy.deepcopy(net)
    assert clone.head.weight is not net.head.weight and isinstance(clone.head.weight, nn.Parameter)
    assert clone.head.weight.requires_grad
    np.testing.assert_array_equal(clone.head.weight.data, net.head.weight.data)
    clone.head.weight.data[...] = 0
    assert net.head.weight.data.any()
    restored = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(restored(cg.ones(1, 3)).data, net(cg.ones(1, 3)).data)


# --------------------------------------------------------------------------- repr


class Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = 2
        self.inner = nn.Linear(2, 2)

    def extra_repr(self):
        return f"scale={self.scale}"


class TorchScaled(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = 2
        self.inner = torch.nn.Linear(2, 2)

    def extra_repr(self):
        return f"scale={self.scale}"


def test_repr_golden_and_equal_to_torch():
    ours = nn.Sequential(nn.Linear(4, 8), Tanh(), nn.Sequential(OrderedDict(out=nn.Linear(8, 3, bias=False))),
                         nn.Flatten())
    ref = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(),
                              torch.nn.Sequential(OrderedDict(out=torch.nn.Linear(8, 3, bias=False))),
                              torch.nn.Flatten())
    golden = (
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=8, bias=True)\n"
        "  (1): Tanh()\n"
        "  (2): Sequential(\n"
        "    (out): Linear(in_features=8, out_features=3, bias=False)\n"
        "  )\n"
        "  (3): Flatten(start_dim=1, end_dim=-1)\n"
        ")"
    )
    assert repr(ours) == golden == repr(ref)
    # extra_repr together with children goes on its own line, as in torch
    assert repr(Scaled()) == repr(TorchScaled()).replace("TorchScaled", "Scaled") == (
        "Scaled(\n  scale=2\n  (inner): Linear(in_features=2, out_features=2, bias=True)\n)")
    assert repr(nn.Sequential()) == repr(torch.nn.Sequential()) == "Sequential()"
    assert repr(nn.ModuleDict({"a": nn.Identity()})) == repr(torch.nn.ModuleDict({"a": torch.nn.Identity()}))


def test_module_list_repr_compresses_repeats_like_torch():
    ours = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [Tanh(), nn.Linear(2, 2)])
    ref = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)] + [torch.nn.Tanh(), torch.nn.Linear(2, 2)])
    assert repr(ours) == repr(ref) == (
        "ModuleList(\n"
        "  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
        "  (3): Tanh()\n"
        "  (4): Linear(in_features=2, out_features=2, bias=True)\n"
        ")"
    )
    assert repr(nn.ModuleList()) == "ModuleList()"


def test_parameter_basics():
    p = nn.Parameter(cg.tensor([1.0, 2.0]))
    assert isinstance(p, cg.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert not nn.Parameter(cg.zeros(2), requires_grad=False).requires_grad
    assert type(p * 2) is cg.Tensor and type(p.detach()) is cg.Tensor
    t = cg.zeros(3)
    assert nn.Parameter(t).data is t.data  # shares memory, as torch.nn.Parameter(tensor)
    assert nn.Parameter().shape == (0,)
    with pytest.raises(cg.DTypeError, match="only floating-point tensors can require gradients"):
        nn.Parameter(cg.tensor([1, 2]))


# --------------------------------------------------------------------------- hooks


def test_forward_hooks():
    layer = nn.Linear(2, 2)
    seen = []
    handle = layer.register_forward_hook(lambda m, args, out: seen.append((m, args, out)))
    x = cg.ones(1, 2)
    y = layer(x)
    assert len(seen) == 1 and seen[0][0] is layer and seen[0][1][0] is x and seen[0][2] is y
    replace = layer.register_forward_hook(lambda m, args, out: out * 0)
    assert not layer(x).data.any()
    replace.remove()
    handle.remove()
    handle.remove()  # removing twice is harmless
    assert layer(x).data.any() and len(seen) == 2 and not layer._hooked
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    np.testing.assert_allclose(layer(x).data, layer.bias.data[None])
    pre.remove()
    with layer.register_forward_hook(lambda m, args, out: seen.append(1)):
        layer(x)
    layer(x)
    assert seen[-1] == 1 and len(seen) == 3


def test_hooks_see_the_path_of_shape_errors_too():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(4, 1))
    model.register_forward_hook(lambda m, a, o: None)
    with pytest.raises(cg.ShapeError, match=r"^\[Sequential layer '1'\] Linear\(4, 1\)"):
        model(cg.ones(1, 2))


# --------------------------------------------------------------------------- containers


def test_sequential_indexing_slicing_and_editing():
    layers = [nn.Linear(2, 3), Tanh(), nn.Linear(3, 1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and list(seq) == layers
    assert seq[0] is layers[0] and seq[-1] is layers[2]
    with pytest.raises(IndexError, match="Sequential index 3 is out of range for 3 modules"):
        seq[3]
    with pytest.raises(TypeError, match="indices must be integers or slices, got str"):
        seq["0"]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2] and head[0] is layers[0]
    assert list(seq[1:]._modules) == ["1", "2"]  # slicing keeps the keys, as in torch
    x = cg.ones(4, 2)
    np.testing.assert_array_equal(seq(x).data, seq[2](seq[1](seq[0](x))).data)
    extra = nn.Identity()
    assert seq.append(extra) is seq and seq[3] is extra and list(seq._modules) == ["0", "1", "2", "3"]
    del seq[1]
    assert list(seq) == [layers[0], layers[2], extra] and list(seq._modules) == ["0", "1", "2"]
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    seq.insert(1, layers[1])
    assert list(seq) == [layers[0], layers[1], layers[2], extra]
    assert seq.pop() is extra and len(seq) == 3
    seq[1] = nn.Identity()
    assert isinstance(seq[1], nn.Identity) and not hasattr(seq, "3")
    with pytest.raises(TypeError, match="argument 1 is a int, expected a Module"):
        nn.Sequential(nn.Identity(), 3)


def test_sequential_from_ordered_dict_matches_torch_keys():
    ours = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 3)), ("act", Tanh()), ("out", nn.Linear(3, 1))]))
    ref = torch.nn.Sequential(OrderedDict([("hidden", torch.nn.Linear(2, 3)), ("act", torch.nn.Tanh()),
                                           ("out", torch.nn.Linear(3, 1))]))
    assert list(ours.state_dict()) == list(ref.state_dict()) == ["hidden.weight", "hidden.bias", "out.weight",
                                                                "out.bias"]
    assert ours.hidden is ours[0] and ours[-1] is ours.out
    ours.load_state_dict(to_numpy(ref.state_dict()))
    x = np.ones((2, 2), np.float32)
    np.testing.assert_allclose(ours(cg.tensor(x)).data, ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-5)


def test_module_list():
    blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(blocks) == 3 and [n for n, _ in blocks.named_parameters()][:2] == ["0.weight", "0.bias"]
    assert isinstance(blocks[1:], nn.ModuleList) and blocks[1:][0] is blocks[1]
    blocks.append(Tanh())
    blocks += [nn.Identity()]
    assert [type(m).__name__ for m in blocks] == ["Linear", "Linear", "Linear", "Tanh", "Identity"]
    new = nn.Linear(2, 2)
    blocks[0] = new
    assert blocks[0] is new and blocks.get_parameter("0.weight") is new.weight
    del blocks[0]
    assert list(blocks._modules) == ["0", "1", "2", "3"] and new not in list(blocks)
    with pytest.raises(TypeError, match="expected a Module, got int"):
        blocks.append(1)
    with pytest.raises(NotImplementedError, match="ModuleList does not define forward"):
        blocks(cg.ones(1))

    class Stack(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x).tanh()
            return x

    assert list(Stack().state_dict()) == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]


def test_module_dict():
    d = nn.ModuleDict({"enc": nn.Linear(2, 3), "dec": nn.Linear(3, 2)})
    d.update([("act", Tanh())])
    assert list(d) == list(d.keys()) == ["enc", "dec", "act"] and len(d) == 3 and "enc" in d
    assert [n for n, _ in d.named_parameters()] == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    assert d["enc"] is d.enc and list(d.values())[2] is d["act"]
    assert isinstance(d.pop("act"), Tanh) and "act" not in d
    with pytest.raises(KeyError, match=r"ModuleDict has no key 'act'; keys are \['enc', 'dec'\]"):
        d["act"]
    with pytest.raises(TypeError, match="must be a Module, got int"):
        d["x"] = 1
    with pytest.raises(TypeError, match="element 0 is not a"):
        d.update([1])
    d.clear()
    assert len(d) == 0 and list(d.parameters()) == []


# --------------------------------------------------------------------------- utils


def test_parameters_to_vector_round_trip():
    model = mlp()
    vec = parameters_to_vector(model.parameters())
    assert isinstance(vec, cg.Tensor) and vec.shape == (model.count_parameters(),)
    ref = torch_mlp()
    ref.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in to_numpy(model.state_dict()).items()})
    np.testing.assert_array_equal(vec.data, torch.nn.utils.parameters_to_vector(ref.parameters()).detach().numpy())
    vector_to_parameters(cg.zeros(vec.shape[0]), model.parameters())
    assert not any(p.data.any() for p in model.parameters())
    vector_to_parameters(vec, model.parameters())
    np.testing.assert_array_equal(parameters_to_vector(model.parameters()).data, vec.data)
    with pytest.raises(ValueError, match="expected a 1-D vector of"):
        vector_to_parameters(cg.zeros(3), model.parameters())


@pytest.mark.parametrize("max_norm, norm_type", [(0.5, 2.0), (100.0, 2.0), (0.1, 1.0), (0.05, float("inf"))])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    model, ref = mlp(cg.float64), torch_mlp(torch.float64)
    ref.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in to_numpy(model.state_dict()).items()})
    x = np.random.default_rng(0).standard_normal((3, 4))
    (model(cg.tensor(x)) ** 2).sum().backward()
    (ref(torch.from_numpy(x)) ** 2).sum().backward()
    total = clip_grad_norm_(model.parameters(), max_norm, norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(ref.parameters(), max_norm, norm_type)
    assert total.item() == pytest.approx(total_t.item(), rel=1e-12)
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-12, atol=1e-15)
    clip_grad_value_(model.parameters(), 1e-3)
    torch.nn.utils.clip_grad_value_(ref.parameters(), 1e-3)
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-12, atol=1e-18)


def test_prelu_keeps_torchs_num_parameters_int_and_is_counted_and_explained():
    """nn.PReLU(num_parameters=3).num_parameters is torch's int; counting and the architecture explainer still work."""
    import torch

    from chalkgrad.explain import explain_architecture

    model = nn.Sequential(nn.Linear(4, 3), nn.PReLU(3), nn.Linear(3, 2))
    twin = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.PReLU(3), torch.nn.Linear(3, 2))
    assert model[1].num_parameters == twin[1].num_parameters == 3
    expected = sum(p.numel() for p in twin.parameters())
    assert model.count_parameters() == model.num_parameters() == expected
    text = str(explain_architecture(model, (4,)))
    assert f"{expected}" in text and "PReLU" in text
