"""The main job: `chainrule train` / `eval` / `--version`, resume, interruption and bad input."""
import csv
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

import chainrule
from chainrule.cli import train as train_module
from chainrule.cli.main import main
from chainrule.io import load


def _rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def _train(tmp_path, name, *extra):
    out = tmp_path / name
    status = main(["train", "--quiet", "--out", str(out), *extra])
    return status, out


def test_train_writes_checkpoint_metrics_and_curves(tmp_path, capsys):
    status, out = _train(tmp_path, "run", "--epochs", "3")
    assert status == 0
    rows = _rows(out / "metrics.csv")
    assert list(rows[0].keys()) == ["epoch", "train_loss", "train_acc", "test_loss", "test_acc",
                                    "seconds"]
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    accs = [float(r["test_acc"]) for r in rows]
    assert all(0 <= a <= 1 for a in accs)
    assert accs[-1] > 0.85  # three epochs of the default MLP already learn the digits
    assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])
    ckpt = load(out / "checkpoint.safetensors")
    assert ckpt["epoch"] == 3 and ckpt["config"]["model"] == "mlp"
    printed = capsys.readouterr().out
    if importlib.util.find_spec("matplotlib") is not None:
        assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:  # the train extra is not installed: say so instead of failing
        assert not (out / "curves.png").exists()
        assert "curves.png needs matplotlib" in printed
    assert "test_acc" in printed and "done: test accuracy" in printed

    assert main(["eval", "--checkpoint", str(out / "checkpoint.safetensors")]) == 0
    line = capsys.readouterr().out
    assert f"accuracy {accs[-1]:.4f}" in line


def _interrupt_at(monkeypatch, epoch_to_stop):
    """Make the training loop raise KeyboardInterrupt when epoch ``epoch_to_stop`` starts."""
    original = train_module._progress
    calls = {"n": 0}

    def progress(iterable, total, desc, quiet):
        calls["n"] += 1
        if calls["n"] == epoch_to_stop:
            raise KeyboardInterrupt
        return original(iterable, total, desc, quiet)

    monkeypatch.setattr(train_module, "_progress", progress)


def test_resume_matches_uninterrupted_run_bit_for_bit(tmp_path, monkeypatch, capsys):
    status, full = _train(tmp_path, "full", "--epochs", "4", "--seed", "3")
    assert status == 0

    with monkeypatch.context() as m:
        _interrupt_at(m, 3)
        status, part = _train(tmp_path, "part", "--epochs", "4", "--seed", "3")
    assert status == 130  # Ctrl-C
    assert "--resume" in capsys.readouterr().err
    assert load(part / "checkpoint.safetensors")["epoch"] == 2  # the last good checkpoint

    status = main(["train", "--quiet", "--out", str(part), "--resume", "--epochs", "4"])
    assert status == 0
    a = load(full / "checkpoint.safetensors")
    b = load(part / "checkpoint.safetensors")
    assert a["epoch"] == b["epoch"] == 4
    for key in a["model"]:
        np.testing.assert_array_equal(a["model"][key].numpy(), b["model"][key].numpy(), err_msg=key)
    rows_a, rows_b = _rows(full / "metrics.csv"), _rows(part / "metrics.csv")
    assert len(rows_a) == len(rows_b) == 4
    for ra, rb in zip(rows_a, rows_b):
        ra.pop("seconds"), rb.pop("seconds")
        assert ra == rb


def test_same_seed_gives_identical_metrics(tmp_path):
    _train(tmp_path, "a", "--epochs", "2", "--seed", "5")
    _train(tmp_path, "b", "--epochs", "2", "--seed", "5")
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]  # noqa: E731
    assert strip(_rows(tmp_path / "a" / "metrics.csv")) == strip(_rows(tmp_path / "b" / "metrics.csv"))


@pytest.mark.parametrize("argv", [
    ["train", "--model", "transformer"],
    ["train", "--epochs", "-3"],
    ["train", "--epochs", "zero"],
    ["train", "--lr", "-0.1"],
    ["train", "--dataset", "cifar"],
    ["eval"],
])
def test_bad_options_exit_2_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_unwritable_out_exits_2(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user that ignores permissions")
        with pytest.raises(SystemExit) as e:
            main(["train", "--out", str(locked / "run")])
        assert e.value.code == 2
        assert "not writable" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def test_out_that_is_a_file_exits_2(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("keep me")
    with pytest.raises(SystemExit) as e:
        main(["train", "--out", str(f)])
    assert e.value.code == 2
    assert f.read_text() == "keep me"


def test_existing_checkpoint_is_never_overwritten_without_resume(tmp_path, capsys):
    status, out = _train(tmp_path, "run", "--epochs", "1")
    before = (out / "checkpoint.safetensors").read_bytes()
    with pytest.raises(SystemExit) as e:
        main(["train", "--quiet", "--out", str(out), "--epochs", "2"])
    assert e.value.code == 2
    assert "--resume" in capsys.readouterr().err
    assert (out / "checkpoint.safetensors").read_bytes() == before


def test_resume_with_a_different_model_exits_2(tmp_path, capsys):
    status, out = _train(tmp_path, "run", "--epochs", "1")
    with pytest.raises(SystemExit) as e:
        main(["train", "--quiet", "--out", str(out), "--resume", "--model", "cnn"])
    assert e.value.code == 2


def test_eval_rejects_a_garbage_checkpoint(tmp_path, capsys):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a checkpoint at all")
    with pytest.raises(SystemExit) as e:
        main(["eval", "--checkpoint", str(bad)])
    assert e.value.code == 2
    assert str(bad) in capsys.readouterr().err


def test_version_and_python_m(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert chainrule.__version__ in capsys.readouterr().out
    result = subprocess.run([sys.executable, "-m", "chainrule", "--version"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and chainrule.__version__ in result.stdout


@pytest.mark.parametrize("model", ["cnn", "lstm"])
def test_other_presets_train_one_epoch(tmp_path, model):
    status, out = _train(tmp_path, model, "--model", model, "--epochs", "1")
    assert status == 0
    rows = _rows(out / "metrics.csv")
    assert float(rows[0]["test_acc"]) > 0.3  # far above chance (0.1) after one epoch
