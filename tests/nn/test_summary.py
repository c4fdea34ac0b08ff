"""nn.summary / Module.summary: the Keras-style table, its totals, and the train header line."""
import pathlib

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule.cli.main import main
from chainrule.cli.models import build_model
from chainrule.core.modes import is_grad_enabled


def _hooks_clean(model):
    """No hook of summary's left, and no module's forward replaced."""
    for m in model.modules():
        assert not m._forward_hooks and not m._forward_pre_hooks
        assert "forward" not in m.__dict__ and "__call__" not in m.__dict__


def test_linear_784_512_parameter_counts():
    s = nn.summary(nn.Linear(784, 512))
    assert (s.total_params, s.trainable_params, s.non_trainable_params) == (401_920, 401_920, 0)
    assert s.param_bytes == 401_920 * 4 and s.param_size == "1.53 MiB"
    assert s.layers == 1
    assert [(r.name, r.type, r.params, r.trainable) for r in s.rows] == [("", "Linear", 401_920,
                                                                         401_920)]
    text = str(s)
    assert "Total params: 401,920" in text and "Trainable params: 401,920" in text
    assert "Non-trainable params: 0" in text and "Params size: 1.53 MiB (1,607,680 bytes)" in text


def test_mlp_table_exactly():
    cr.manual_seed(0)
    s = nn.summary(build_model("mlp", (1, 8, 8), 10), (1, 1, 8, 8))
    assert str(s) == """\
Model: Sequential (input shape (1, 1, 8, 8))
=============================================
Layer (type)  Output shape  Params  Trainable
---------------------------------------------
Sequential    (1, 10)            0          0
0 (Flatten)   (1, 64)            0          0
1 (Linear)    (1, 256)      16,640     16,640
2 (ReLU)      (1, 256)           0          0
3 (Linear)    (1, 128)      32,896     32,896
4 (ReLU)      (1, 128)           0          0
5 (Linear)    (1, 10)        1,290      1,290
=============================================
Total params: 50,826
Trainable params: 50,826
Non-trainable params: 0
Params size: 199 KiB (203,304 bytes)"""
    assert s.line == "Sequential, 6 layers, 50,826 parameters (50,826 trainable), 199 KiB"
    assert repr(s).startswith("<Summary of Sequential, 6 layers")


def test_cnn_output_shapes():
    s = nn.summary(build_model("cnn", (1, 28, 28), 10), (2, 1, 28, 28))
    shapes = [(r.name, r.output_shapes[0][1], r.params) for r in s.rows]
    assert shapes == [
        ("", "(2, 10)", 0),
        ("0", "(2, 16, 28, 28)", 416), ("1", "(2, 16, 28, 28)", 0), ("2", "(2, 16, 14, 14)", 0),
        ("3", "(2, 32, 10, 10)", 12_832), ("4", "(2, 32, 10, 10)", 0),
        ("5", "(2, 32, 5, 5)", 0), ("6", "(2, 800)", 0), ("7", "(2, 128)", 102_528),
        ("8", "(2, 128)", 0), ("9", "(2, 10)", 1_290)]
    assert s.total_params == 117_066 and s.param_size == "457 KiB"


def test_lstm_tuple_output_shows_each_shape():
    s = nn.summary(build_model("lstm", (1, 8, 8), 10), (3, 1, 8, 8))
    lstm = s.rows[1]
    assert (lstm.name, lstm.type, lstm.params) == ("lstm", "LSTM", 4 * 128 * (8 + 128 + 2))
    assert lstm.output_shapes == [("0", "(3, 8, 128)"), ("1.0", "(1, 3, 128)"),
                                  ("1.1", "(1, 3, 128)")]
    lines = str(s).splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("lstm (LSTM)"))
    assert "0: (3, 8, 128)" in lines[i] and "70,656" in lines[i]
    assert lines[i + 1].strip() == "1.0: (1, 3, 128)" and lines[i + 2].strip() == "1.1: (1, 3, 128)"
    assert s.rows[2].output_shapes == [("", "(3, 10)")] and s.total_params == 71_946


def test_without_input_shape_the_shape_column_is_left_out():
    text = str(nn.summary(build_model("mlp", (1, 8, 8), 10)))
    assert "Output shape" not in text
    assert text.splitlines()[2].split() == ["Layer", "(type)", "Params", "Trainable"]
    assert "1 (Linear)    16,640     16,640" in text.splitlines()
    assert "Total params: 50,826" in text


class _Tied(nn.Module):
    """Tied embedding/output weights, a frozen parameter, ModuleList and ModuleDict."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 4)
        self.blocks = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])
        self.heads = nn.ModuleDict({"a": nn.Linear(4, 3)})
        self.out = nn.Linear(4, 10, bias=False)
        self.out.weight = self.embed.weight
        self.scale = nn.Parameter(np.ones(4, np.float32), requires_grad=False)

    def forward(self, x):
        h = self.embed(x)
        for block in self.blocks:
            h = block(h)
        return self.out(h * self.scale), self.heads["a"](h)


def test_shared_parameters_are_counted_once_and_containers_listed():
    model = _Tied()
    s = nn.summary(model, (2, 5), dtype=np.int64)
    assert (s.total_params, s.trainable_params, s.non_trainable_params) == (99, 95, 4)
    assert s.total_params == model.num_parameters() == sum(r.params for r in s.rows)
    assert s.shared == [("out.weight", "embed.weight", 40)]
    got = [(r.name, r.type, r.depth, r.params, r.trainable) for r in s.rows]
    assert got == [("", "_Tied", 0, 4, 0), ("embed", "Embedding", 1, 40, 40),
                   ("blocks", "ModuleList", 1, 0, 0), ("blocks.0", "Linear", 2, 20, 20),
                   ("blocks.1", "Linear", 2, 20, 20), ("heads", "ModuleDict", 1, 0, 0),
                   ("heads.a", "Linear", 2, 15, 15), ("out", "Linear", 1, 0, 0)]
    rows = {r.name: r for r in s.rows}
    assert rows["blocks"].output_shapes is None            # a ModuleList is never called
    assert rows[""].output_shapes == [("0", "(2, 5, 10)"), ("1", "(2, 5, 3)")]
    text = str(s)
    assert "  blocks.0 (Linear)  (2, 5, 4)" in text and "blocks (ModuleList)  --" in text
    assert "Shared: out.weight is embed.weight (40 parameters, counted once)" in text
    assert "Non-trainable params: 4" in text and "Params size: 396 B" in text


def test_depth_hides_children_and_counts_them_in_the_parent():
    s = nn.summary(_Tied(), depth=1)
    assert [(r.name, r.params, r.hidden) for r in s.rows] == [
        ("", 4, False), ("embed", 40, False), ("blocks", 40, True), ("heads", 15, True),
        ("out", 0, False)]
    assert s.total_params == 99 and s.layers == 5
    s0 = nn.summary(_Tied(), depth=0)
    assert [(r.name, r.params, r.trainable) for r in s0.rows] == [("", 99, 95)]


def test_a_module_called_twice_shows_its_calls():
    lin = nn.Linear(3, 3)
    s = nn.summary(nn.Sequential(lin, nn.ReLU(), lin), (4, 3))
    assert s.rows[1].calls == 2 and s.total_params == 12
    assert "(4, 3) (x2 calls)" in str(s)


def test_bad_input_shape_names_the_model_layer_and_expected_shape():
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU())
    model.train()
    with pytest.raises(ValueError) as e:
        nn.summary(model, (2, 28))
    assert str(e.value) == (
        "nn.summary(Sequential): input_shape (2, 28) does not fit the model: layer '1' "
        "(Linear) raised ValueError: Linear(in_features=784): input has 28 features on its "
        "last axis (input shape (2, 28)), expected 784. Linear expects input of shape (*, 784).")
    _hooks_clean(model)
    assert all(m.training for m in model.modules()) and is_grad_enabled()
    assert model(cr.zeros((2, 28, 28))).shape == (2, 512)   # the model still works

    conv = nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU())
    with pytest.raises(ValueError, match=r"nn\.summary\(Sequential\): input_shape \(1, 3, 8, 8\) "
                       r"does not fit the model: layer '0' \(Conv2d\).*Conv2d expects input of "
                       r"shape \(N, 1, H, W\)\."):
        conv.summary((1, 3, 8, 8))
    _hooks_clean(conv)
    with pytest.raises(ValueError, match=r"LSTM expects input of shape \(N, L, 8\)"):
        nn.summary(build_model("lstm", (1, 8, 8), 10), (1, 1, 8, 5))


@pytest.mark.parametrize("shape", ["abc", (2, -1), (2, 3.0), (True, 3), None])
def test_invalid_input_shape_values(shape):
    if shape is None:
        nn.summary(nn.Linear(2, 2), shape)   # None: no forward, no error
        return
    with pytest.raises(ValueError, match=r"^nn\.summary\(Linear\): input_shape must be a tuple "
                       r"of non-negative ints including the batch axis, e\.g\. \(1, 784\)"):
        nn.summary(nn.Linear(2, 2), shape)
    with pytest.raises(TypeError, match="expected an nn.Module, got int"):
        nn.summary(3)
    with pytest.raises(ValueError, match="depth must be a non-negative int"):
        nn.summary(nn.Linear(2, 2), depth=-1)


def test_model_is_left_as_it_was():
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Dropout(0.5), nn.Linear(6, 2))
    seen = []
    handle = model[0].register_forward_hook(lambda m, a, out: seen.append(out.shape))
    model[3].eval()                                       # a mixed train/eval model
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    rng = cr.get_rng_state()
    s = model.summary((5, 4))
    assert [r.output_shapes[0][1] for r in s.rows[1:]] == ["(5, 6)"] * 3 + ["(5, 2)"]
    assert seen == [(5, 6)]                               # the user's hook ran, and is kept
    assert [m.training for m in model.modules()] == [True, True, True, True, False]
    for k, v in model.state_dict().items():               # no running statistics updated
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)
    assert cr.get_rng_state() == rng and is_grad_enabled()
    assert list(model[0]._forward_hooks.values())[0] is not None
    assert not model[0]._forward_pre_hooks and not model[1]._forward_hooks
    handle.remove()
    _hooks_clean(model)


def test_table_fits_100_columns():
    deep = nn.Sequential()
    deep.add_module("a_rather_long_block_name_for_the_encoder_stack",
                    nn.Sequential(nn.LSTM(8, 300, num_layers=2, batch_first=True)))
    deep.add_module("identity_with_a_long_name", nn.Identity())
    s = nn.summary(deep, (1, 3, 8))
    lines = str(s).splitlines()
    assert max(len(line) for line in lines) <= 100
    assert any("0: (1, 3, 300)" in line for line in lines)
    wide = nn.Sequential(nn.Identity(), nn.Linear(8, 2))
    lines = str(nn.summary(wide, (1,) * 40 + (8,))).splitlines()
    assert max(len(line) for line in lines) <= 100 and any("..." in line for line in lines)
    assert "a_rather_long_block_name_for_the_encoder_stack.0 (LSTM)" in str(
        nn.summary(deep)).replace("...", "")


def test_module_summary_prints_and_returns(capsys):
    model = nn.Sequential(nn.Linear(3, 2))
    result = model.summary()
    printed = capsys.readouterr().out
    assert isinstance(result, nn.Summary) and printed == str(result) + "\n"
    assert "0 (Linear)" in printed and "Total params: 8" in printed


def test_train_header_prints_the_summary_line(tmp_path, capsys):
    assert main(["train", "--quiet", "--epochs", "1", "--out", str(tmp_path / "run")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("chainrule train: mlp on digits (1438 train / 359 test images, "
                               "50,826 parameters)")
    assert lines[1] == "model: Sequential, 6 layers, 50,826 parameters (50,826 trainable), 199 KiB"
    assert lines[2].split() == ["epoch", "train_loss", "train_acc", "test_loss", "test_acc",
                                "seconds"]
    assert lines[3].split()[:5] == ["1", "0.9743", "0.8380", "1.0063", "0.8134"]
    readme = (pathlib.Path(__file__).parents[2] / "README.md").read_text()
    assert "\n" + lines[1] + "\nepoch train_loss train_acc test_loss test_acc seconds\n" in readme
