"""Findings 7, 8, 12 and 17 of the CLI: resume continues the recorded schedule, corrupt
checkpoints are refused, Ctrl-C messages tell the truth, user errors exit 2 in one sentence."""
import csv
import os
import sys

import numpy as np
import pytest

from chainrule.cli import train as train_module
from chainrule.cli.main import main
from chainrule.io import load, save


def _rows(path):
    with open(path) as f:
        return [{k: v for k, v in r.items() if k != "seconds"} for r in csv.DictReader(f)]


def _run(out, *extra):
    return main(["train", "--quiet", "--out", str(out), *extra])


def _interrupt_when_epoch_starts(monkeypatch, epoch):
    original = train_module._progress
    calls = {"n": 0}

    def progress(iterable, total, desc, quiet):
        calls["n"] += 1
        if calls["n"] == epoch:
            raise KeyboardInterrupt
        return original(iterable, total, desc, quiet)

    monkeypatch.setattr(train_module, "_progress", progress)


def _assert_same_run(a, b):
    ca, cb = load(a / "checkpoint.safetensors"), load(b / "checkpoint.safetensors")
    assert ca["epoch"] == cb["epoch"]
    for key in ca["model"]:
        np.testing.assert_array_equal(ca["model"][key].numpy(), cb["model"][key].numpy(),
                                      err_msg=key)
    assert _rows(a / "metrics.csv") == _rows(b / "metrics.csv")


# --------------------------------------------------------------------------- finding 7
def test_f16_7_resume_without_epochs_continues_the_recorded_run(tmp_path, monkeypatch, capsys):
    assert _run(tmp_path / "full", "--epochs", "3", "--seed", "1") == 0
    with monkeypatch.context() as m:
        _interrupt_when_epoch_starts(m, 2)
        assert _run(tmp_path / "part", "--epochs", "3", "--seed", "1") == 130
    assert _run(tmp_path / "part", "--resume") == 0       # no --epochs: the recorded 3
    ckpt = load(tmp_path / "part" / "checkpoint.safetensors")
    assert ckpt["epoch"] == 3 and ckpt["config"]["epochs"] == 3
    assert ckpt["scheduler"]["T_max"] == 3
    _assert_same_run(tmp_path / "full", tmp_path / "part")


def test_f16_7_resume_to_fewer_epochs_keeps_the_schedule(tmp_path, monkeypatch):
    assert _run(tmp_path / "full", "--epochs", "3") == 0
    with monkeypatch.context() as m:
        _interrupt_when_epoch_starts(m, 2)
        assert _run(tmp_path / "part", "--epochs", "3") == 130
    assert _run(tmp_path / "part", "--resume", "--epochs", "2") == 0   # stop early ...
    ckpt = load(tmp_path / "part" / "checkpoint.safetensors")
    assert ckpt["epoch"] == 2 and ckpt["scheduler"]["T_max"] == 3      # ... on the same schedule
    assert ckpt["config"]["epochs"] == 3
    assert _run(tmp_path / "part", "--resume") == 0                    # then finish it
    _assert_same_run(tmp_path / "full", tmp_path / "part")


def test_f16_7_extending_a_finished_run_restretches_the_schedule(tmp_path, monkeypatch):
    out = tmp_path / "run"
    assert _run(out, "--epochs", "1") == 0
    first = load(out / "checkpoint.safetensors")

    seen = []
    original = train_module._make_optimizer

    def recording(name, params, lr):
        opt = original(name, params, lr)
        step = opt.step

        def recorded_step(closure=None):
            seen.append(opt.param_groups[0]["lr"])
            return step(closure)

        opt.step = recorded_step
        return opt

    monkeypatch.setattr(train_module, "_make_optimizer", recording)
    assert _run(out, "--resume", "--epochs", "2") == 0
    second = load(out / "checkpoint.safetensors")
    assert second["epoch"] == 2 and second["config"]["epochs"] == 2
    assert second["scheduler"]["T_max"] == 2
    # epoch 2 used the lr a 2-epoch run has at epoch 2 (half the base lr), not 0
    assert seen and all(v == pytest.approx(0.5e-3, rel=1e-12) for v in seen)
    changed = [k for k in first["model"]
               if not np.array_equal(first["model"][k].numpy(), second["model"][k].numpy())]
    assert changed
    rows = _rows(out / "metrics.csv")
    assert [r["epoch"] for r in rows] == ["1", "2"] and rows[0] != rows[1]


# --------------------------------------------------------------------------- finding 8
def test_f16_8_resume_refuses_a_non_finite_optimizer_state(tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(out, "--epochs", "1") == 0
    path = out / "checkpoint.safetensors"
    ckpt = load(path)
    exp_avg = ckpt["optimizer"]["state"]["0"]["exp_avg"].numpy().copy()
    exp_avg.flat[3] = np.nan
    ckpt["optimizer"]["state"]["0"]["exp_avg"] = exp_avg
    save(ckpt, path)                       # a well-formed file holding a corrupt state
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        _run(out, "--resume", "--epochs", "3")
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "Adam.load_state_dict: parameter 0, state key 'exp_avg': holds 1 non-finite" in err
    assert load(path)["epoch"] == 1        # nothing trained


def test_f16_8_resume_refuses_a_damaged_tensor_naming_it(tmp_path, capsys):
    import json
    import struct
    out = tmp_path / "run"
    assert _run(out, "--epochs", "1") == 0
    path = out / "checkpoint.safetensors"
    data = bytearray(path.read_bytes())
    n = struct.unpack("<Q", bytes(data[:8]))[0]
    header = json.loads(bytes(data[8:8 + n]))
    name = next(k for k in header if k.endswith("exp_avg_sq"))
    begin, _ = header[name]["data_offsets"]
    data[8 + n + begin + 2] ^= 0xFF
    path.write_bytes(bytes(data))
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        _run(out, "--resume", "--epochs", "2")
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"tensor '{name}' do not match their sha256 checksum" in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------- finding 12
def test_f16_12_interrupt_before_the_first_save_says_nothing_was_saved(tmp_path, monkeypatch,
                                                                       capsys):
    def interrupted_save(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_module, "save", interrupted_save)
    out = tmp_path / "run"
    assert _run(out, "--epochs", "2") == 130
    captured = capsys.readouterr()
    assert "intact" not in captured.err
    assert "no checkpoint was saved yet" in captured.err
    assert not (out / "checkpoint.safetensors").exists()
    assert "0.8" not in captured.out.split("seconds", 1)[1]   # no epoch row was printed


def test_f16_12_interrupt_later_names_the_epoch_on_disk(tmp_path, monkeypatch, capsys):
    _interrupt_when_epoch_starts(monkeypatch, 3)
    out = tmp_path / "run"
    assert _run(out, "--epochs", "4") == 130
    err = capsys.readouterr().err
    assert f"{out / 'checkpoint.safetensors'} holds epoch 2 of 4" in err
    assert "--resume" in err


def test_f16_12_stale_temporaries_of_killed_runs_are_removed(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    stale = [".checkpoint.safetensors.k3j_x9q1.tmp", "metrics.csv.tmp-4242",
             "curves.png.tmp-4242.png"]
    kept = ["notes.tmp", ".checkpoint.safetensors.backup", "checkpoint.safetensors.old.tmp"]
    for name in stale + kept:
        (out / name).write_bytes(b"x")
    assert _run(out, "--epochs", "1") == 0
    names = set(os.listdir(out))
    assert not names & set(stale)
    assert set(kept) <= names


# --------------------------------------------------------------------------- finding 17
def test_f16_17_eval_accepts_the_run_directory(tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(out, "--epochs", "1") == 0
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(out)]) == 0
    by_dir = capsys.readouterr().out
    assert main(["eval", "--checkpoint", str(out / "checkpoint.safetensors")]) == 0
    assert by_dir == capsys.readouterr().out and "accuracy" in by_dir


def test_f16_17_eval_of_a_directory_without_checkpoint_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["eval", "--checkpoint", str(tmp_path)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"the directory {tmp_path} holds no checkpoint.safetensors" in err


@pytest.mark.parametrize("out", ["/proc/chainrule-run", "/sys/chainrule-run"])
def test_f16_17_out_where_nothing_can_be_created_exits_2(out, capsys):
    if not sys.platform.startswith("linux") or not os.path.isdir(os.path.dirname(out)):
        pytest.skip("needs Linux /proc and /sys")
    with pytest.raises(SystemExit) as e:
        main(["train", "--quiet", "--epochs", "1", "--out", out])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "chainrule train: error: argument --out:" in err and "Traceback" not in err


def test_f16_17_a_failed_checkpoint_write_exits_2_in_one_sentence(tmp_path, monkeypatch, capsys):
    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(train_module, "save", full_disk)
    out = tmp_path / "run"
    assert _run(out, "--epochs", "1") == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"chainrule: error: could not write {out / 'checkpoint.safetensors'} after "
                   "epoch 1: No space left on device")


def test_f16_17_out_probe_leaves_no_directory_when_training_cannot_start(tmp_path, monkeypatch,
                                                                           capsys):
    def no_data(name, data_dir=None):
        raise OSError("offline")

    monkeypatch.setattr(train_module, "load_dataset", no_data)
    out = tmp_path / "a" / "b"
    assert _run(out, "--epochs", "1") == 1
    assert not (tmp_path / "a").exists()


def test_f16_7_a_checkpoint_without_recorded_epochs_resumes_to_its_schedule(tmp_path,
                                                                             monkeypatch):
    assert _run(tmp_path / "full", "--epochs", "2") == 0
    with monkeypatch.context() as m:
        _interrupt_when_epoch_starts(m, 2)
        assert _run(tmp_path / "old", "--epochs", "2") == 130
    path = tmp_path / "old" / "checkpoint.safetensors"
    ckpt = load(path)
    del ckpt["config"]["epochs"]           # as written before the total was recorded
    save(ckpt, path)
    assert _run(tmp_path / "old", "--resume") == 0
    _assert_same_run(tmp_path / "full", tmp_path / "old")
