"""nn.Module, nn.Parameter and the containers: registration, state dicts, modes, repr, hooks."""
import copy
from collections import OrderedDict

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.norm = nn.BatchNorm1d(4)
        self.scale = nn.Parameter(cr.ones(4))
        self.register_buffer("steps", cr.zeros(1))
        self.register_buffer("cache", cr.zeros(2), persistent=False)
        self.note = "not registered"

    def forward(self, x):
        return self.norm(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(4, 2))

    def forward(self, x):
        return self.head(self.block(x))


# --------------------------------------------------------------------------- Parameter
def test_parameter_from_list_gets_default_dtype_and_requires_grad():
    p = nn.Parameter([1.0, 2.0])
    assert p.dtype == np.float32 and p.requires_grad and p.is_leaf
    cr.set_default_dtype(np.float64)
    try:
        assert nn.Parameter([1.0, 2.0]).dtype == np.float64
        assert nn.Linear(2, 3).weight.dtype == np.float64
        assert nn.BatchNorm1d(2).running_mean.dtype == np.float64
    finally:
        cr.set_default_dtype(np.float32)
    assert nn.Linear(2, 3).weight.dtype == np.float32


def test_parameter_keeps_ndarray_dtype_shares_tensor_data_and_rejects_int_grad():
    a = np.arange(3, dtype=np.float64)
    p = nn.Parameter(a)
    assert p.dtype == np.float64
    a[0] = 7
    assert p.data[0] == 0  # ndarrays are copied
    t = cr.zeros(2)
    q = nn.Parameter(t)
    t.data[0] = 5
    assert q.data[0] == 5  # a Tensor's array is shared, as nn.Parameter(t) in PyTorch
    with pytest.raises(TypeError, match="floating"):
        nn.Parameter(np.arange(3))
    assert nn.Parameter(np.arange(3), requires_grad=False).dtype == np.int64
    assert repr(nn.Parameter([1.0])).startswith("Parameter containing:")


# --------------------------------------------------------------------------- registration
def test_registration_named_parameters_buffers_and_children():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["block.scale", "block.fc.weight", "block.fc.bias", "block.norm.weight",
                     "block.norm.bias", "head.1.weight", "head.1.bias"]
    assert [n for n, _ in net.named_buffers()] == [
        "block.steps", "block.cache", "block.norm.running_mean", "block.norm.running_var",
        "block.norm.num_batches_tracked"]
    assert [n for n, _ in net.named_children()] == ["block", "head"]
    assert len(list(net.modules())) == 7
    assert net.block.note == "not registered"
    assert "note" not in net.block._parameters
    assert net.num_parameters() == 4 + 12 + 4 + 4 + 4 + 8 + 2
    assert net.get_submodule("head.1") is net.head[1]
    assert net.get_parameter("block.fc.bias") is net.block.fc.bias
    assert net.get_buffer("block.norm.running_var") is net.block.norm.running_var
    with pytest.raises(AttributeError, match="nope"):
        net.get_submodule("block.nope")


def test_reassignment_and_deletion_update_registries():
    m = nn.Module()
    m.w = nn.Parameter(cr.zeros(2))
    with pytest.raises(TypeError, match="parameter 'w'"):
        m.w = cr.zeros(2)          # a plain Tensor cannot replace a Parameter
    m.w = None
    assert "w" in m._parameters and m.w is None
    m.sub = nn.Linear(1, 1)
    m.sub = nn.Parameter(cr.zeros(1))   # a Parameter replaces a module of that name
    assert "sub" not in m._modules and "sub" in m._parameters
    del m.sub
    assert not hasattr(m, "sub")
    m.register_buffer("b", cr.ones(1))
    m.b = np.zeros(1)
    assert isinstance(m.b, cr.Tensor)
    with pytest.raises(TypeError, match="buffer 'b'"):
        m.b = "text"
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", cr.ones(1))
    with pytest.raises(KeyError, match="already exists"):
        m.register_parameter("b", None)
    with pytest.raises(TypeError, match="not a Module"):
        m.add_module("x", 3)


def test_assignment_before_init_is_explained():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)
            super().__init__()

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Bad()


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2
    # state_dict keeps every path, as PyTorch's does
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


# --------------------------------------------------------------------------- state dicts
def test_state_dict_keys_order_and_persistence():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["block.scale", "block.steps", "block.fc.weight", "block.fc.bias",
                        "block.norm.weight", "block.norm.bias", "block.norm.running_mean",
                        "block.norm.running_var", "block.norm.num_batches_tracked",
                        "head.1.weight", "head.1.bias"]
    assert not sd["block.fc.weight"].requires_grad
    assert np.shares_memory(sd["block.fc.weight"].data, net.block.fc.weight.data)
    assert net.state_dict(keep_vars=True)["block.fc.weight"] is net.block.fc.weight


def test_load_state_dict_copies_keeping_dtype_and_identity():
    src, dst = Net(), Net()
    weight = dst.block.fc.weight
    state = {k: v.data.astype(np.float64) for k, v in src.state_dict().items()}
    result = dst.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    assert dst.block.fc.weight is weight and weight.dtype == np.float32
    np.testing.assert_array_equal(weight.data, src.block.fc.weight.data)
    assert dst.block.norm.num_batches_tracked.dtype == np.int64
    x = cr.randn(5, 3)
    np.testing.assert_allclose(dst(x).data, src(x).data)
    # Tensors work as values too
    dst.load_state_dict(src.state_dict())
    dst.load_state_dict(state, assign=True)   # assign: the checkpoint's arrays (and dtype)
    assert dst.block.fc.weight is weight and weight.dtype == np.float64


def test_load_state_dict_strict_errors_list_keys():
    net = Net()
    state = dict(net.state_dict())
    del state["head.1.bias"]
    state["extra.weight"] = np.zeros(1)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(state)
    msg = str(info.value)
    assert 'Missing key(s) in state_dict: "head.1.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in msg
    before = net.head[1].weight.data.copy()
    state["head.1.weight"] = np.ones((2, 4))
    missing, unexpected = net.load_state_dict(state, strict=False)
    assert missing == ["head.1.bias"] and unexpected == ["extra.weight"]
    np.testing.assert_array_equal(net.head[1].weight.data, np.ones((2, 4)))
    assert not np.array_equal(before, net.head[1].weight.data)


def test_load_state_dict_shape_mismatch_changes_nothing():
    net = Net()
    state = {k: v.data.copy() for k, v in net.state_dict().items()}
    state["block.fc.bias"] = np.full(4, 9.0)
    state["head.1.weight"] = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"head.1.weight.*\(3, 4\).*\(2, 4\)"):
        net.load_state_dict(state)
    assert not np.any(net.block.fc.bias.data == 9.0)
    state["head.1.weight"] = np.array([["a"] * 4] * 2)
    with pytest.raises(TypeError, match="numeric"):
        net.load_state_dict(state)


def test_load_state_dict_fills_missing_num_batches_tracked_like_torch():
    bn = nn.BatchNorm1d(3)
    state = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    bn.load_state_dict(state)
    assert int(bn.num_batches_tracked.item()) == 0


def test_load_state_dict_bumps_versions_so_stale_graphs_fail():
    lin = nn.Linear(2, 2)
    y = (lin(cr.randn(3, 2)) ** 2).sum()
    lin.load_state_dict(nn.Linear(2, 2).state_dict())
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


# --------------------------------------------------------------------------- modes and utilities
def test_train_eval_recurse_and_return_self():
    net = Net()
    assert net.eval() is net
    assert all(not m.training for m in net.modules())
    net.block.train()
    assert net.block.norm.training and not net.head.training and not net.training
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")

    class Custom(nn.Module):
        calls = []

        def train(self, mode=True):
            Custom.calls.append(mode)
            return super().train(mode)

    outer = nn.Sequential(Custom())
    outer.eval()
    assert Custom.calls == [False]   # overrides of train() are honoured, as PyTorch


def test_zero_grad_apply_and_to():
    net = Net()
    net(cr.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.data == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())

    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen[0] == "Linear"

    def init_linear(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)

    net.apply(init_linear)
    assert np.all(net.head[1].weight.data == 0.5)
    net.to(cr.float64)
    assert net.block.fc.weight.dtype == np.float64
    assert net.block.norm.running_mean.dtype == np.float64
    assert net.block.norm.num_batches_tracked.dtype == np.int64
    assert net.float().block.fc.weight.dtype == np.float32


def test_requires_grad_and_deepcopy():
    net = Net()
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    assert net.num_parameters(trainable_only=True) == 0
    clone = copy.deepcopy(net.requires_grad_(True))
    assert clone.block.fc.weight is not net.block.fc.weight
    np.testing.assert_array_equal(clone.block.fc.weight.data, net.block.fc.weight.data)
    assert isinstance(clone.block.fc.weight, nn.Parameter)
    clone.block.fc.weight.data[...] = 0
    assert not np.all(net.block.fc.weight.data == 0)


def test_forward_hooks_run_and_remove():
    lin = nn.Linear(2, 2)
    calls = []
    pre = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = lin(cr.randn(3, 2))
    np.testing.assert_allclose(out.data, np.broadcast_to(lin.bias.data + 1, (3, 2)), rtol=1e-6)
    assert calls == [(3, 2)]
    pre.remove()
    post.remove()
    x = cr.randn(3, 2)
    np.testing.assert_allclose(lin(x).data, (x.data @ lin.weight.data.T + lin.bias.data),
                               rtol=1e-6)


def test_missing_forward_is_explained():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


# --------------------------------------------------------------------------- repr
def test_repr_is_pytorch_style():
    net = Net()
    assert repr(net) == (
        "Net(\n"
        "  (block): Block(\n"
        "    (fc): Linear(in_features=3, out_features=4, bias=True)\n"
        "    (norm): BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)\n"
        "  )\n"
        "  (head): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Linear(in_features=4, out_features=2, bias=True)\n"
        "  )\n"
        ")")
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()])
    assert repr(layers) == ("ModuleList(\n  (0-2): 3 x Linear(in_features=2, out_features=2, "
                            "bias=True)\n  (3): ReLU()\n)")


# --------------------------------------------------------------------------- containers
def test_sequential_indexing_slicing_and_editing():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b)
    assert len(seq) == 2 and seq[0] is a and seq[-1] is b
    seq.append(c)
    assert len(seq) == 3 and seq[2] is c
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == [a, b]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    x = cr.randn(4, 2)
    np.testing.assert_allclose(seq(x).data, c(b(a(x))).data)
    seq.insert(1, nn.Identity())
    assert [type(m).__name__ for m in seq] == ["Linear", "Identity", "ReLU", "Linear"]
    del seq[1]
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    assert list(seq._modules) == ["0", "1", "2"]
    assert seq.pop() is c and len(seq) == 2
    seq[1] = nn.Tanh()
    assert isinstance(seq[1], nn.Tanh)
    with pytest.raises(IndexError, match="out of range"):
        seq[5]
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.Linear(1, 1), np.tanh)
    extended = nn.Sequential(nn.ReLU()).extend([nn.Tanh(), nn.Sigmoid()])
    assert len(extended) == 3 and len(extended + nn.Sequential(nn.ReLU())) == 4


def test_sequential_from_ordered_dict_uses_names():
    seq = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(seq.state_dict()) == ["fc.weight", "fc.bias"]
    assert seq.fc is seq[0]


def test_sequential_error_names_the_layer():
    seq = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(4, 2))
    with pytest.raises(ValueError) as info:
        seq(cr.randn(5, 4))
    assert "Linear(in_features=4)" in str(info.value)
    notes = getattr(info.value, "__notes__", None)
    if notes is not None:  # Python >= 3.11
        assert any("layer (2)" in n for n in notes)


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
    layers.append(nn.ReLU())
    layers += [nn.Tanh()]
    assert len(layers) == 4 and isinstance(layers[-1], nn.Tanh)
    assert list(layers.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert isinstance(layers[1:], nn.ModuleList) and len(layers[1:]) == 3
    layers.insert(0, nn.Identity())
    assert isinstance(layers[0], nn.Identity) and len(layers) == 5
    del layers[0]
    assert list(layers._modules) == ["0", "1", "2", "3"]
    with pytest.raises(TypeError, match="iterable"):
        layers.extend(nn.Linear(1, 1))
    with pytest.raises(NotImplementedError):
        layers(cr.zeros(1))

    d = nn.ModuleDict({"enc": nn.Linear(2, 3), "dec": nn.Linear(3, 2)})
    assert "enc" in d and len(d) == 2 and list(d.keys()) == ["enc", "dec"]
    assert list(d.state_dict()) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    d["act"] = nn.ReLU()
    assert list(d) == ["enc", "dec", "act"]
    assert isinstance(d.pop("act"), nn.ReLU) and len(d) == 2
    d.update([("extra", nn.Tanh())])
    assert [k for k, _ in d.items()] == ["enc", "dec", "extra"]


def test_parameter_list_and_dict_register_parameters():
    pl = nn.ParameterList([cr.zeros(2), nn.Parameter(cr.ones(3))])
    assert all(isinstance(p, nn.Parameter) for p in pl) and len(pl) == 2
    assert list(pl.state_dict()) == ["0", "1"]
    pd = nn.ParameterDict({"a": cr.zeros(1)})
    pd["b"] = np.ones(2)
    assert list(pd.state_dict()) == ["a", "b"] and pd["b"].dtype == np.float64

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.ps = pl

    assert [n for n, _ in Holder().named_parameters()] == ["ps.0", "ps.1"]
