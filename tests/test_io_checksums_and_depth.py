"""Findings 8 (per-tensor checksums verified on load) and 14 (deeply nested JSON in a
safetensors header or metadata is a clear ValueError, not a RecursionError)."""
import json
import struct

import numpy as np
import pytest

import chainrule as cr
from chainrule.io import load, load_metadata, save


def _header_and_offset(path):
    data = path.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + n]), 8 + n, data


def test_f16_8_save_records_a_sha256_per_tensor(tmp_path):
    import hashlib
    path = tmp_path / "c.safetensors"
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    save({"model": {"w": cr.tensor(w)}, "opt": {"m": np.ones(2)}}, path)
    sums = json.loads(load_metadata(path)["chainrule.sha256"])
    assert sums == {"model.w": hashlib.sha256(w.tobytes()).hexdigest(),
                    "opt.m": hashlib.sha256(np.ones(2).tobytes()).hexdigest()}


def test_f16_8_a_flipped_byte_in_a_tensor_is_refused_naming_it(tmp_path):
    path = tmp_path / "c.safetensors"
    save({"model": {"w": np.zeros(4, np.float32)},
          "optimizer": {"state": {"0": {"exp_avg": np.zeros(4, np.float32)}}}}, path)
    header, start, data = _header_and_offset(path)
    begin, _ = header["optimizer.state.0.exp_avg"]["data_offsets"]
    corrupt = bytearray(data)
    corrupt[start + begin + 1] ^= 0x40
    path.write_bytes(bytes(corrupt))
    with pytest.raises(ValueError, match=r"tensor 'optimizer\.state\.0\.exp_avg' do not match "
                                         "their sha256 checksum"):
        load(path)


def test_f16_8_a_checksum_map_that_misses_a_tensor_is_refused(tmp_path):
    path = tmp_path / "c.safetensors"
    save({"a": np.zeros(2), "b": np.ones(2)}, path)
    header, start, data = _header_and_offset(path)
    sums = json.loads(header["__metadata__"]["chainrule.sha256"])
    del sums["b"]
    header["__metadata__"]["chainrule.sha256"] = json.dumps(sums)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + data[start:])
    with pytest.raises(ValueError, match="tensor 'b' has no recorded checksum"):
        load(path)


def test_f16_8_the_checksum_key_is_reserved(tmp_path):
    with pytest.raises(ValueError, match="reserved"):
        save({"a": np.zeros(1)}, tmp_path / "x.safetensors", metadata={"chainrule.sha256": "{}"})


def test_f16_8_files_without_checksums_still_load(tmp_path):
    path = tmp_path / "foreign.safetensors"
    header = {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + np.ones(2, np.float32).tobytes())
    np.testing.assert_array_equal(load(path)["w"].numpy(), [1, 1])


@pytest.mark.parametrize("depth", [1000, 5000, 100000])
def test_f16_14_deeply_nested_header_is_a_value_error(tmp_path, depth):
    path = tmp_path / "deep.safetensors"
    text = b'{"a":' + b"[" * depth + b"]" * depth + b"}"
    path.write_bytes(struct.pack("<Q", len(text)) + text)
    with pytest.raises(ValueError, match="nested too deeply"):
        load(path)
    with pytest.raises(ValueError, match="nested too deeply"):
        load_metadata(path)


@pytest.mark.parametrize("depth", [1000, 5000])
def test_f16_14_deeply_nested_chainrule_metadata_is_a_value_error(tmp_path, depth):
    path = tmp_path / "deep.safetensors"
    structure = '{"format":1,"root":' + "[" * depth + "]" * depth + "}"
    header = {"__metadata__": {"chainrule": structure}}
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text)
    with pytest.raises(ValueError, match="nested too deeply"):
        load(path)


def test_deep_valid_structure_never_raises_recursion_error(tmp_path):
    # valid JSON at every level, but too deep to rebuild: a dict node chain
    depth = 450   # json.loads reads it; rebuilding it recursively needs more frames
    node = '{"type":"list","items":[' * depth + '{"type":"none"}' + "]}" * depth
    header = {"__metadata__": {"chainrule": '{"format":1,"root":{"type":"dict","items":[["k",'
                                            + node + "]]}}"}}
    path = tmp_path / "deep.safetensors"
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text)
    try:
        load(path)
    except ValueError as err:
        assert "nested too deeply" in str(err) or "corrupt chainrule metadata" in str(err)
    except RecursionError:  # pragma: no cover - the failure this guards against
        pytest.fail("RecursionError escaped cr.load")
