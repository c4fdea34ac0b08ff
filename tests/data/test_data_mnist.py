"""MNIST / Fashion-MNIST end to end on small IDX fixtures, offline (the downloader is
monkeypatched), and the strict IDX reader."""
import gzip
import hashlib
import importlib
import os
import struct
import urllib.error

import numpy as np
import pytest

from chainrule.data.datasets import fashion_mnist, mnist, read_idx, write_idx
mnist_module = importlib.import_module("chainrule.data.datasets.mnist")  # (the attribute is the function)

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def idx_bytes(array, code):
    """An IDX file written by hand (big-endian header and data)."""
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I",
                                                                         *array.shape)
    return header + array.astype(dtype).tobytes()


@pytest.fixture
def remote(tmp_path):
    """A fake mirror: small gzipped IDX files, their sha256 sums and the raw arrays."""
    rng = np.random.default_rng(0)
    arrays = {
        FILES[0]: rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        FILES[1]: np.array([0, 9, 3, 3, 7], dtype=np.uint8),
        FILES[2]: rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        FILES[3]: np.array([1, 2, 8], dtype=np.uint8),
    }
    arrays[FILES[0]][0, 0, 0] = 255
    arrays[FILES[0]][0, 0, 1] = 0
    server = tmp_path / "server"
    server.mkdir()
    sums = {}
    for name, array in arrays.items():
        code = 0x08
        payload = gzip.compress(idx_bytes(array, code))
        (server / name).write_bytes(payload)
        sums[name] = hashlib.sha256(payload).hexdigest()
    return server, sums, arrays


@pytest.fixture
def fetcher(monkeypatch, remote):
    """Replace the network: URLs 'fake://<mirror>/<file>' are served from the fake mirror."""
    server, _, _ = remote
    calls = []

    def fake_fetch(url, dest):
        calls.append(url)
        mirror, name = url[len("fake://"):].split("/", 1)
        if mirror == "down" or not (server / name).exists():
            raise urllib.error.URLError("network unreachable")
        data = (server / name).read_bytes()
        if mirror == "corrupt":
            data = data[:-3] + b"xyz"
        with open(dest, "wb") as f:
            f.write(data)

    monkeypatch.setattr(mnist_module, "_fetch", fake_fetch)
    return calls


def test_download_verify_read_end_to_end(tmp_path, remote, fetcher):
    _, sums, arrays = remote
    root = tmp_path / "cache"
    train, test = mnist(root=root, mirrors=["fake://ok/"], checksums=sums)
    x, y = train.tensors
    assert x.shape == (5, 1, 28, 28) and x.dtype == np.float32
    np.testing.assert_allclose(x.data[:, 0], arrays[FILES[0]] / 255.0, rtol=1e-6)
    assert x.data.max() == 1.0 and x.data.min() == 0.0
    assert y.dtype == np.int64 and y.tolist() == [0, 9, 3, 3, 7]
    assert test.tensors[0].shape == (3, 1, 28, 28) and test.tensors[1].tolist() == [1, 2, 8]
    assert sorted(os.listdir(root / "mnist")) == sorted(FILES)     # nothing half-written left
    assert len(fetcher) == 4
    mnist(root=root, mirrors=["fake://ok/"], checksums=sums)          # cached: no download
    assert len(fetcher) == 4


def test_default_root_from_environment(tmp_path, remote, fetcher, monkeypatch):
    _, sums, _ = remote
    monkeypatch.setenv("CHAINRULE_DATA", str(tmp_path / "env-root"))
    fashion_mnist(mirrors=["fake://ok/"], checksums=sums)
    assert sorted(os.listdir(tmp_path / "env-root" / "fashion-mnist")) == sorted(FILES)
    monkeypatch.delenv("CHAINRULE_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert mnist_module.default_root() == str(tmp_path / "xdg" / "chainrule")


def test_falls_back_to_the_next_mirror(tmp_path, remote, fetcher):
    _, sums, _ = remote
    mnist(root=tmp_path, mirrors=["fake://down/", "fake://ok/"], checksums=sums)
    assert fetcher[:2] == ["fake://down/" + FILES[0], "fake://ok/" + FILES[0]]


def test_wrong_checksum_is_refused_and_nothing_is_cached(tmp_path, remote, fetcher):
    _, sums, _ = remote
    with pytest.raises(RuntimeError) as info:
        mnist(root=tmp_path, mirrors=["fake://corrupt/"], checksums=sums)
    message = str(info.value)
    assert "checksum mismatch" in message and FILES[0] in message
    assert str(tmp_path / "mnist") in message                      # where to put the files
    assert os.listdir(tmp_path / "mnist") == []


def test_offline_error_says_where_to_put_the_files(tmp_path, remote, fetcher):
    _, sums, _ = remote
    with pytest.raises(RuntimeError, match="network unreachable") as info:
        mnist(root=tmp_path, mirrors=["fake://down/"], checksums=sums)
    assert "offline" in str(info.value) and str(tmp_path / "mnist") in str(info.value)
    with pytest.raises(RuntimeError, match="download=False"):
        mnist(root=tmp_path, download=False, checksums=sums)


def test_missing_remote_file(tmp_path, remote, fetcher):
    server, sums, _ = remote
    (server / FILES[3]).unlink()
    with pytest.raises(RuntimeError, match=FILES[3]):
        mnist(root=tmp_path, mirrors=["fake://ok/"], checksums=sums)
    assert sorted(os.listdir(tmp_path / "mnist")) == sorted(FILES[:3])


def test_interrupted_download_leaves_no_partial_file(tmp_path, remote, monkeypatch):
    _, sums, _ = remote

    def dies_midway(url, dest):
        with open(dest, "wb") as f:
            f.write(b"\x1f\x8b half a file")
        raise ConnectionResetError("connection reset")

    monkeypatch.setattr(mnist_module, "_fetch", dies_midway)
    with pytest.raises(RuntimeError, match="connection reset"):
        mnist(root=tmp_path, mirrors=["fake://ok/"], checksums=sums)
    assert os.listdir(tmp_path / "mnist") == []


def test_damaged_cached_file_is_reported(tmp_path, remote, fetcher):
    _, sums, _ = remote
    mnist(root=tmp_path, mirrors=["fake://ok/"], checksums=sums)
    path = tmp_path / "mnist" / FILES[2]
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="sha256") as info:
        mnist(root=tmp_path, mirrors=["fake://ok/"], checksums=sums)
    assert str(path) in str(info.value)


def test_inconsistent_files_are_reported(tmp_path, remote, fetcher):
    server, sums, arrays = remote
    payload = gzip.compress(idx_bytes(np.array([1, 2], dtype=np.uint8), 0x08))   # 2 labels, 5 images
    (server / FILES[1]).write_bytes(payload)
    sums = dict(sums, **{FILES[1]: hashlib.sha256(payload).hexdigest()})
    with pytest.raises(ValueError, match="5 images but .* 2 labels"):
        mnist(root=tmp_path, mirrors=["fake://ok/"], checksums=sums)


def test_builtin_checksums_are_well_formed():
    for spec in (mnist_module.MNIST, mnist_module.FASHION_MNIST):
        assert sorted(spec["checksums"]) == sorted(FILES)
        for digest in spec["checksums"].values():
            assert len(digest) == 64 and int(digest, 16) >= 0
        assert spec["mirrors"] and all(m.endswith("/") for m in spec["mirrors"])
    with pytest.raises(ValueError, match="checksums must give"):
        mnist(checksums={FILES[0]: "0" * 64})


# ---------------------------------------------------------------------------- IDX reader
@pytest.mark.parametrize("code, dtype", [(0x08, np.uint8), (0x09, np.int8), (0x0B, np.int16),
                                         (0x0C, np.int32), (0x0D, np.float32),
                                         (0x0E, np.float64)])
def test_read_idx_every_type(tmp_path, code, dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == np.uint8:
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "a.idx"
    path.write_bytes(idx_bytes(array, code))
    out = read_idx(path)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, array)
    write_idx(tmp_path / "b.idx.gz", array)
    np.testing.assert_array_equal(read_idx(tmp_path / "b.idx.gz"), array)
    assert gzip.decompress((tmp_path / "b.idx.gz").read_bytes()) == idx_bytes(array, code)


def test_read_idx_big_endian_by_hand(tmp_path):
    path = tmp_path / "x.idx"
    path.write_bytes(bytes([0, 0, 0x0B, 1, 0, 0, 0, 2, 0x01, 0x02, 0xFF, 0xFE]))
    assert read_idx(path).tolist() == [258, -2]


@pytest.mark.parametrize("payload, message", [
    (b"\x00\x00", "too short"),
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x07", "magic number"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x07", "unknown IDX type code 0x07"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
    (b"\x00\x00\x08\x02\x00\x00\x00\x02", "truncated"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02", "truncated"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x01\x01\x02", "holds 2 bytes of data"),
    (b"\x00\x00\x0c\x01\x00\x00\x00\x01\x01\x02", "holds 2 bytes"),
])
def test_read_idx_rejects_malformed_files(tmp_path, payload, message):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_rejects_broken_gzip(tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(100, np.uint8), 0x08))[:-12])
    with pytest.raises(ValueError, match="not a valid gzip file") as info:
        read_idx(path)
    assert str(path) in str(info.value)
