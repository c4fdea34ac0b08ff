"""The IDX file format of MNIST and Fashion-MNIST: a strict reader and a writer.

Layout (big-endian): two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B
int16, 0x0C int32, 0x0D float32, 0x0E float64), the number of dimensions ``d``,
``d`` uint32 sizes, then the data in C order. Files ending in ``.gz`` are gzipped.
"""
import gzip
import math
import os
import zlib

import numpy as np

__all__ = ["read_idx", "write_idx"]

_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
          0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {dt.newbyteorder("="): code for code, dt in _TYPES.items()}


def _raw_bytes(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b" or os.fspath(path).endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise ValueError(f"read_idx: '{path}' is not a valid gzip file ({err})") from None
    return data


def read_idx(path):
    """Read an IDX file (gzipped or not) into an ndarray (native byte order).

    Raises ``ValueError`` naming the file if the magic number, type code,
    dimensions or size are wrong (e.g. a truncated download).
    """
    path = os.fspath(path)
    data = _raw_bytes(path)
    if len(data) < 4:
        raise ValueError(f"read_idx: '{path}' is too short ({len(data)} bytes) to be an IDX file")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(f"read_idx: '{path}' is not an IDX file: the magic number must start "
                         f"with two zero bytes, got {data[:4].hex()}")
    code, ndim = data[2], data[3]
    if code not in _TYPES:
        raise ValueError(f"read_idx: '{path}' has an unknown IDX type code 0x{code:02x} "
                         f"(expected one of {', '.join(f'0x{c:02x}' for c in _TYPES)})")
    if ndim == 0:
        raise ValueError(f"read_idx: '{path}' declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"read_idx: '{path}' is truncated: {len(data)} bytes cannot hold the "
                         f"sizes of {ndim} dimensions")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = _TYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    actual = len(data) - header
    if actual != expected:
        raise ValueError(f"read_idx: '{path}' holds {actual} bytes of data but its header "
                         f"declares shape {shape} of {dtype.newbyteorder('=')} "
                         f"({expected} bytes){' (truncated?)' if actual < expected else ''}")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def write_idx(path, array):
    """Write ``array`` (uint8, int8, int16, int32, float32 or float64) as an IDX file.

    A path ending in ``.gz`` is gzipped. Returns the path.
    """
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=") if array.dtype.byteorder != "|" else array.dtype
    if native not in _CODES:
        raise TypeError(f"write_idx: the IDX format cannot hold dtype {array.dtype}")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"write_idx: expected 1 to 255 dimensions, got {array.ndim}")
    code = _CODES[native]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=_TYPES[code]).tobytes()
    path = os.fspath(path)
    if path.endswith(".gz"):
        payload = gzip.compress(payload, mtime=0)
    with open(path, "wb") as f:
        f.write(payload)
    return path
