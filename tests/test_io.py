"""chainrule.io: safetensors save/load — round trips, the byte layout, foreign files,
corrupt files (ValueError naming the path), atomic writes."""
import json
import math
import os
import pathlib
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import chainrule as cr
from chainrule import io as crio
from chainrule import nn, optim
from chainrule.io import load, load_metadata, save


def raw_file(header, data=b"", pad=True):
    """A safetensors file written by hand: u64 header length, JSON header, data."""
    text = json.dumps(header).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def assert_same(a, b):
    """Deep equality with types: Tensors by dtype, shape and bytes; floats bit for bit."""
    assert type(a) is type(b) or (isinstance(a, dict) and isinstance(b, dict)), (a, b)
    if isinstance(a, cr.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.data, b.data)
    elif isinstance(a, dict):
        assert list(a.keys()) == list(b.keys())
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, float):
        assert struct.pack("<d", a) == struct.pack("<d", b)
    else:
        assert a == b


# ---------------------------------------------------------------------------- round trips
def test_round_trip_nested_state_with_dotted_keys(tmp_path):
    obj = {
        "model": OrderedDict([("layers.0.weight", cr.tensor([[1.0, 2.0], [3.0, 4.0]])),
                              ("layers.0.bias", cr.tensor([0.5, -0.5]))]),
        "model.layers.0.weight": cr.tensor([9.0]),          # collides with the dotted path above
        "optimizer": {"state": {0: {"step": 7, "exp_avg": cr.zeros(2)}},
                      "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1],
                                        "nesterov": False, "name": None}]},
        "epoch": 12, "big": 2 ** 70, "tag": "run-1 ✓", "flag": True, "nothing": None,
        "floats": [0.1, -0.0, math.inf, -math.inf, 1e-310], "nested": [[1, "a"], (2.5, [True])],
        "empty": {}, "empty_list": [],
    }
    path = tmp_path / "ckpt.safetensors"
    save(obj, path)
    out = load(path)
    nan_obj = {"nan": math.nan}
    save(nan_obj, tmp_path / "nan.safetensors")
    assert math.isnan(load(tmp_path / "nan.safetensors")["nan"])
    expected = dict(obj, model=dict(obj["model"]))
    assert_same(expected, out)
    assert out["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert list(out["optimizer"]["state"]) == [0]                     # int keys stay ints


ALL_DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64,
              np.uint8, np.uint16, np.uint32, np.uint64, np.bool_]


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: np.dtype(d).name)
def test_round_trip_every_dtype_and_shape(tmp_path, dtype):
    rng = np.random.default_rng(0)
    arrays = {"scalar": np.array(3, dtype=dtype), "empty": np.zeros((0, 3), dtype=dtype),
              "matrix": (rng.standard_normal((4, 5)) * 50).astype(dtype),
              "strided": (rng.standard_normal((6, 6)) * 50).astype(dtype)[::2, 1::2],
              "fortran": np.asfortranarray((rng.standard_normal((3, 4)) * 9).astype(dtype))}
    save(arrays, str(tmp_path / "a.safetensors"))
    out = load(str(tmp_path / "a.safetensors"))
    for name, array in arrays.items():
        assert isinstance(out[name], cr.Tensor)                 # ndarrays come back as Tensors
        assert out[name].dtype == array.dtype and out[name].shape == array.shape
        np.testing.assert_array_equal(out[name].data, array)
        assert out[name].data.flags.writeable


def test_big_endian_input_and_numpy_scalars(tmp_path):
    save({"be": np.arange(3, dtype=">i4"), "np_float": np.float32(0.25), "np_int": np.int64(3),
          "np_bool": np.bool_(True)}, tmp_path / "a.safetensors")
    out = load(tmp_path / "a.safetensors")
    assert out["be"].dtype == np.int32 and out["be"].tolist() == [0, 1, 2]
    assert out["np_float"] == 0.25 and type(out["np_float"]) is float
    assert out["np_int"] == 3 and type(out["np_int"]) is int and out["np_bool"] is True


def test_model_and_optimizer_checkpoint(tmp_path):
    cr.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.01)
    loss = (model(cr.randn(4, 3)) ** 2).sum()
    loss.backward()
    opt.step()
    path = tmp_path / "ckpt.safetensors"
    save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 1}, path)
    ckpt = load(path)
    model2 = nn.Linear(3, 2)
    model2.load_state_dict(ckpt["model"])
    opt2 = optim.Adam(model2.parameters(), lr=0.5)
    opt2.load_state_dict(ckpt["optimizer"])
    for p, q in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert opt2.param_groups[0]["lr"] == 0.01 and ckpt["epoch"] == 1


def test_layout_is_plain_safetensors(tmp_path):
    path = tmp_path / "a.safetensors"
    save({"model": {"w": np.arange(6, dtype=np.float32).reshape(2, 3)}, "b": np.array([1, 2],
                                                                                      np.int16),
          "epoch": 3}, path, metadata={"note": "hello"})
    data = path.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    assert n % 8 == 0                                          # data starts 8-byte aligned
    header = json.loads(data[8:8 + n])
    assert header["model.w"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
    assert header["b"] == {"dtype": "I16", "shape": [2], "data_offsets": [24, 28]}
    assert len(data) == 8 + n + 28
    np.testing.assert_array_equal(np.frombuffer(data[8 + n:8 + n + 24], "<f4"), np.arange(6))
    assert np.frombuffer(data[8 + n + 24:], "<i2").tolist() == [1, 2]
    meta = header["__metadata__"]
    assert meta["note"] == "hello" and isinstance(meta["chainrule"], str)
    assert json.loads(meta["chainrule"])["format"] == 1
    assert load_metadata(path)["note"] == "hello"


def test_foreign_file_loads_as_flat_dict(tmp_path):
    w = np.arange(4, dtype="<f8")
    flags = np.array([1, 0, 1], dtype=np.uint8)
    bf16 = np.array([1.5, -2.0], dtype=np.float32).view(np.uint32) >> 16   # exact in bfloat16
    data = w.tobytes() + bf16.astype("<u2").tobytes() + flags.tobytes()
    header = {"__metadata__": {"format": "pt"},
              "enc.w": {"dtype": "F64", "shape": [2, 2], "data_offsets": [0, 32]},
              "half": {"dtype": "BF16", "shape": [2], "data_offsets": [32, 36]},
              "mask": {"dtype": "BOOL", "shape": [3], "data_offsets": [36, 39]}}
    path = tmp_path / "foreign.safetensors"
    path.write_bytes(raw_file(header, data))
    out = load(path)
    assert list(out) == ["enc.w", "half", "mask"]
    assert out["enc.w"].tolist() == [[0.0, 1.0], [2.0, 3.0]]
    assert out["half"].dtype == np.float32 and out["half"].tolist() == [1.5, -2.0]
    assert out["mask"].tolist() == [True, False, True]
    path.write_bytes(raw_file({}))                               # no tensors, no metadata
    assert load(path) == {}


def test_paths_may_be_pathlike(tmp_path):
    class P:
        def __fspath__(self):
            return str(tmp_path / "p.safetensors")

    save({"a": 1}, P())
    assert load(pathlib.Path(tmp_path / "p.safetensors")) == {"a": 1}
    with pytest.raises(TypeError, match="path must be str or os.PathLike"):
        save({"a": 1}, 42)


# ---------------------------------------------------------------------------- bad input to save
@pytest.mark.parametrize("obj, error, message", [
    ([1, 2], TypeError, "expected a mapping"),
    ({"a": object()}, TypeError, r"obj\['a'\] of type object"),
    ({"a": {1.5: 2}}, TypeError, "keys must be str or int"),
    ({"a": {True: 2}}, TypeError, "keys must be str or int"),
    ({"z": np.zeros(2, dtype=np.complex64)}, TypeError, "complex64"),
    ({"s": np.array(["a"])}, TypeError, "cannot hold"),
])
def test_save_rejects_unsupported_values(tmp_path, obj, error, message):
    with pytest.raises(error, match=message):
        save(obj, tmp_path / "x.safetensors")
    assert os.listdir(tmp_path) == []


def test_save_rejects_circular_structures(tmp_path):
    loop = {"a": 1}
    loop["self"] = loop
    with pytest.raises(ValueError, match="circular"):
        save(loop, tmp_path / "x.safetensors")
    with pytest.raises(ValueError, match="reserved"):
        save({"a": 1}, tmp_path / "x.safetensors", metadata={"chainrule": "x"})


# ---------------------------------------------------------------------------- corrupt files
GOOD_HEADER = {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
GOOD_DATA = np.array([1.0, 2.0], dtype="<f4").tobytes()


def _corrupt_cases():
    two = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
           "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}
    hole = {"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}
    return [
        ("empty", b"", "fewer than the 8-byte"),
        ("short", b"\x01\x02\x03", "fewer than the 8-byte"),
        ("garbage", bytes(range(7, 200)), "header length"),
        ("length_past_end", struct.pack("<Q", 1000) + b"{}", "exceeds the file size"),
        ("huge_length", struct.pack("<Q", 2 ** 62) + b"{}", "exceeds the limit"),
        ("not_json", struct.pack("<Q", 8) + b"{garbage", "not valid UTF-8 JSON"),
        ("not_brace", struct.pack("<Q", 2) + b"[]", "does not start with"),
        ("bad_utf8", struct.pack("<Q", 4) + b"{\xff\xfe}", "not valid UTF-8 JSON"),
        ("truncated_data", raw_file(GOOD_HEADER, GOOD_DATA[:5]), "beyond the end"),
        ("unknown_dtype", raw_file({"w": dict(GOOD_HEADER["w"], dtype="C64")}, GOOD_DATA),
         "unknown or unsupported dtype 'C64'"),
        ("bad_shape", raw_file({"w": dict(GOOD_HEADER["w"], shape=[-2])}, GOOD_DATA),
         "invalid shape"),
        ("size_mismatch", raw_file({"w": dict(GOOD_HEADER["w"], shape=[3])}, GOOD_DATA),
         "needs 12 bytes"),
        ("reversed_offsets", raw_file({"w": dict(GOOD_HEADER["w"], data_offsets=[8, 0])},
                                      GOOD_DATA), "invalid data_offsets"),
        ("overlap", raw_file(two, GOOD_DATA + GOOD_DATA[:4]), "overlap"),
        ("hole", raw_file(hole, GOOD_DATA), "unused bytes"),
        ("trailing_bytes", raw_file(GOOD_HEADER, GOOD_DATA + b"\0" * 8), "cover 8"),
        ("missing_field", raw_file({"w": {"dtype": "F32", "shape": [2]}}, GOOD_DATA),
         "no 'data_offsets'"),
        ("bad_metadata", raw_file(dict(GOOD_HEADER, __metadata__={"a": 1}), GOOD_DATA),
         "must map strings to strings"),
        ("duplicate_name", struct.pack("<Q", 2 * len(json.dumps(GOOD_HEADER)))
         + (json.dumps(GOOD_HEADER)[:-1] + "," + json.dumps(GOOD_HEADER)[1:]).encode() + b" "
         + GOOD_DATA, "duplicate key"),
        ("bad_bool", raw_file({"m": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}},
                              b"\x01\x07"), "other than 0 and 1"),
        ("bad_structure_json", raw_file(dict(GOOD_HEADER, __metadata__={"chainrule": "{oops"}),
                                        GOOD_DATA), "not valid JSON"),
        ("missing_tensor", raw_file(dict(GOOD_HEADER, __metadata__={"chainrule": json.dumps(
            {"format": 1, "root": {"type": "dict", "items": [
                ["x", {"type": "tensor", "name": "nope"}]]}})}), GOOD_DATA),
         "tensor 'nope'"),
        ("unknown_node", raw_file(dict(GOOD_HEADER, __metadata__={"chainrule": json.dumps(
            {"format": 1, "root": {"type": "set", "items": []}})}), GOOD_DATA),
         "unknown type 'set'"),
        ("future_format", raw_file(dict(GOOD_HEADER, __metadata__={"chainrule": json.dumps(
            {"format": 99, "root": {"type": "dict", "items": []}})}), GOOD_DATA),
         "unsupported chainrule metadata"),
        ("root_not_dict", raw_file(dict(GOOD_HEADER, __metadata__={"chainrule": json.dumps(
            {"format": 1, "root": {"type": "int", "value": 1}})}), GOOD_DATA),
         "root is not a mapping"),
    ]


@pytest.mark.parametrize("name, payload, message", _corrupt_cases(),
                         ids=[c[0] for c in _corrupt_cases()])
def test_corrupt_files_raise_value_error_with_the_path(tmp_path, name, payload, message):
    path = tmp_path / f"{name}.safetensors"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match=message) as info:
        load(path)
    assert str(path) in str(info.value)


def test_truncated_checkpoint_of_ours(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    save({"w": np.arange(100, dtype=np.float64), "epoch": 1}, path)
    data = path.read_bytes()
    for cut in (len(data) - 1, len(data) // 2, 20, 7):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="truncated") as info:
            load(path)
        assert str(path) in str(info.value)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_pickle_files_are_refused_never_unpickled(tmp_path, protocol):
    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps({"w": Boom()}, protocol=protocol))
    with pytest.raises(ValueError, match="pickle") as info:
        load(path)
    assert str(path) in str(info.value)
    assert not (tmp_path / "pwned").exists()


def test_zip_checkpoints_are_refused(tmp_path):
    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps({"w": 1}))
    with pytest.raises(ValueError, match="zip archive") as info:
        load(path)
    assert str(path) in str(info.value)


def test_torch_save_file_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "torch.pt"
    torch.save({"w": torch.ones(3)}, path)
    with pytest.raises(ValueError, match="PyTorch") as info:
        load(path)
    assert str(path) in str(info.value)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.safetensors")


# ---------------------------------------------------------------------------- atomic writes
def _previous(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    save({"w": np.arange(3.0), "epoch": 1}, path)
    return path, path.read_bytes()


def test_failed_replace_keeps_previous_checkpoint(tmp_path, monkeypatch):
    path, before = _previous(tmp_path)

    def fail(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(crio.os, "replace", fail)
    with pytest.raises(OSError, match="disk on fire"):
        save({"w": np.arange(5.0), "epoch": 2}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ckpt.safetensors"]
    assert load(path)["epoch"] == 1


def test_write_failing_midway_keeps_previous_checkpoint(tmp_path, monkeypatch):
    path, before = _previous(tmp_path)
    real_fdopen = os.fdopen

    class DyingFile:
        def __init__(self, f):
            self.f, self.writes = f, 0

        def write(self, chunk):
            self.writes += 1
            if self.writes == 3:                       # header written, data half-way
                raise OSError("No space left on device")
            return self.f.write(chunk)

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self.f.__exit__(*exc)

    monkeypatch.setattr(crio.os, "fdopen", lambda fd, mode: DyingFile(real_fdopen(fd, mode)))
    with pytest.raises(OSError, match="No space left"):
        save({"a": np.arange(1000.0), "b": np.arange(1000.0)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_failed_fsync_keeps_previous_checkpoint(tmp_path, monkeypatch):
    path, before = _previous(tmp_path)

    def fail(fd):
        raise OSError("I/O error")

    monkeypatch.setattr(crio.os, "fsync", fail)
    with pytest.raises(OSError, match="I/O error"):
        save({"w": np.zeros(2)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_overwrite_succeeds_and_keeps_the_file_mode(tmp_path):
    path, _ = _previous(tmp_path)
    os.chmod(path, 0o640)
    save({"w": np.arange(5.0), "epoch": 2}, path)
    assert load(path)["epoch"] == 2 and os.listdir(tmp_path) == ["ckpt.safetensors"]
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_interoperates_with_the_safetensors_package(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "ours.safetensors"
    save({"model": {"w": np.arange(6, dtype=np.float32).reshape(2, 3)}, "n": np.int8(3) * np.ones(
        2, np.int8), "epoch": 1}, path)
    theirs = st.load_file(str(path))
    assert sorted(theirs) == ["model.w", "n"]
    np.testing.assert_array_equal(theirs["model.w"], np.arange(6).reshape(2, 3))
    other = tmp_path / "theirs.safetensors"
    st.save_file({"x": np.ones((2, 2), np.float16), "y": np.arange(3, dtype=np.int64)}, str(other))
    out = load(other)
    assert out["x"].dtype == np.float16 and out["y"].tolist() == [0, 1, 2]
