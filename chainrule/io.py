"""Saving and loading checkpoints in the safetensors format, with NumPy only (never pickle).

File layout (https://github.com/huggingface/safetensors): an 8-byte little-endian
header length ``N``; ``N`` bytes of UTF-8 JSON mapping each tensor name to
``{"dtype", "shape", "data_offsets"}`` plus an optional ``"__metadata__"`` map of
strings; then the raw little-endian tensor bytes, tensors back to back.

``save`` keeps the structure of a nested mapping and its non-tensor entries in one
metadata entry (``"chainrule"``, a JSON string), so ``load`` returns exactly what
was saved. Tensors are stored under their dotted path (``"model.fc.weight"``), so
other safetensors readers see ordinary names; a file without chainrule metadata
loads as a flat dict of Tensors.
"""
import hashlib
import json
import math
import numbers
import os
import stat
import tempfile
from collections.abc import Mapping

import numpy as np

from .tensor import Tensor

__all__ = ["save", "load", "load_metadata"]

_META_KEY = "chainrule"
_STRUCTURE_FORMAT = 1
_MAX_HEADER_BYTES = 100_000_000  # the reference implementation's limit
_CHECKSUM_KEY = "chainrule.sha256"   # metadata: JSON {tensor name: sha256 hex of its bytes}

# safetensors dtype name -> NumPy dtype (little-endian)
_DTYPES = {
    "BOOL": np.dtype(np.bool_), "U8": np.dtype("u1"), "I8": np.dtype("i1"),
    "I16": np.dtype("<i2"), "U16": np.dtype("<u2"), "F16": np.dtype("<f2"),
    "I32": np.dtype("<i4"), "U32": np.dtype("<u4"), "F32": np.dtype("<f4"),
    "I64": np.dtype("<i8"), "U64": np.dtype("<u8"), "F64": np.dtype("<f8"),
}
_ITEMSIZE = {**{name: dt.itemsize for name, dt in _DTYPES.items()}, "BF16": 2}
_NAMES = {dt.newbyteorder("="): name for name, dt in _DTYPES.items()}


# ---------------------------------------------------------------------------- saving
def save(obj, path, metadata=None):
    """Save a (nested) mapping of Tensors, arrays and plain values to ``path`` atomically.

    ``obj``: a mapping (e.g. ``{"model": model.state_dict(), "optimizer":
    opt.state_dict(), "epoch": 3}``) whose keys are ``str`` (dots allowed) or
    ``int``; values are Tensors, ndarrays, ``int``, ``float``, ``str``, ``bool``,
    ``None``, lists/tuples and mappings of those. NumPy scalars are stored as the
    Python number they hold. Array dtypes: bool, (u)int8/16/32/64, float16/32/64.

    ``path``: ``str`` or ``os.PathLike``. The file is written to a temporary file in
    the same directory, flushed, fsynced and renamed over ``path``; if anything
    fails, the temporary file is removed and any previous file at ``path`` is intact.

    ``metadata``: optional extra ``{str: str}`` entries for the safetensors
    ``__metadata__`` (readable with ``load_metadata``). The keys ``"chainrule"`` (the
    structure) and ``"chainrule.sha256"`` (a JSON map of each tensor's name to the
    sha256 of its bytes, which ``load`` verifies) are reserved.
    """
    path = _fspath(path, "save")
    if not isinstance(obj, Mapping):
        raise TypeError(f"save: expected a mapping (e.g. a state dict), got {type(obj).__name__}")
    tensors = []
    used = set()
    root = _encode(obj, [], tensors, used, set())
    meta = {}
    if metadata is not None:
        if not isinstance(metadata, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("save: metadata must be a mapping of str to str")
        for reserved in (_META_KEY, _CHECKSUM_KEY):
            if reserved in metadata:
                raise ValueError(f"save: the metadata key {reserved!r} is reserved for chainrule")
        meta.update(metadata)
    meta[_META_KEY] = json.dumps({"format": _STRUCTURE_FORMAT, "root": root},
                                 separators=(",", ":"))
    # one checksum per tensor (of its little-endian bytes), verified by load
    meta[_CHECKSUM_KEY] = json.dumps({name: _digest(array) for name, array in tensors},
                                     separators=(",", ":"))
    header = {"__metadata__": meta}
    offset = 0
    for name, array in tensors:
        header[name] = {"dtype": _NAMES[array.dtype.newbyteorder("=")],
                        "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)   # pad so the data starts 8-byte aligned
    _atomic_write(path, [len(header_bytes).to_bytes(8, "little"), header_bytes]
                  + [array.reshape(-1).view(np.uint8) for _, array in tensors])


def _digest(data):
    """The sha256 (hex) of a little-endian C-contiguous array's bytes (or of a buffer)."""
    if isinstance(data, np.ndarray):
        data = data.reshape(-1).view(np.uint8)
    return hashlib.sha256(data).hexdigest()


def _fspath(path, op):
    try:
        path = os.fspath(path)
    except TypeError:
        raise TypeError(f"{op}: path must be str or os.PathLike, got {type(path).__name__}") from None
    return os.fsdecode(path)


def _where(parts):
    return "obj" + "".join(f"[{p!r}]" for p in parts)


def _tensor_name(parts, used):
    base = ".".join(str(p) for p in parts)
    name, k = base, 0
    while name in used or name == "__metadata__":
        k += 1
        name = f"{base}#{k}"
    used.add(name)
    return name


def _encode(value, parts, tensors, used, active):
    """The JSON node describing ``value``; arrays are appended to ``tensors``."""
    if isinstance(value, (Tensor, np.ndarray)):
        array = value.data if isinstance(value, Tensor) else value
        native = array.dtype.newbyteorder("=") if array.dtype.byteorder != "|" else array.dtype
        if native not in _NAMES:
            raise TypeError(f"save: {_where(parts)} has dtype {array.dtype}, which the "
                            "safetensors format cannot hold (supported: bool, int8/16/32/64, "
                            "uint8/16/32/64, float16/32/64)")
        array = np.asarray(array, dtype=native.newbyteorder("<"))
        if not array.flags.c_contiguous:   # (np.ascontiguousarray would make a 0-d array 1-d)
            array = array.copy(order="C")
        name = _tensor_name(parts, used)
        tensors.append((name, array))
        return {"type": "tensor", "name": name}
    if value is None:
        return {"type": "none"}
    if isinstance(value, (bool, np.bool_)):
        return {"type": "bool", "value": bool(value)}
    if isinstance(value, (numbers.Integral, np.integer)):
        return {"type": "int", "value": int(value)}
    if isinstance(value, (float, np.floating)):
        return {"type": "float", "value": repr(float(value))}
    if isinstance(value, str):
        return {"type": "str", "value": value}
    if isinstance(value, (Mapping, list, tuple)):
        if id(value) in active:
            raise ValueError(f"save: {_where(parts)} contains itself (a circular reference)")
        active.add(id(value))
        try:
            if isinstance(value, Mapping):
                items = []
                for key, item in value.items():
                    if isinstance(key, (bool, np.bool_)) or not isinstance(key, (str, int, np.integer)):
                        raise TypeError(f"save: keys must be str or int, got {key!r} "
                                        f"({type(key).__name__}) in {_where(parts)}")
                    key = key if isinstance(key, str) else int(key)
                    items.append([key, _encode(item, parts + [key], tensors, used, active)])
                return {"type": "dict", "items": items}
            kind = "tuple" if isinstance(value, tuple) else "list"
            return {"type": kind, "items": [_encode(item, parts + [i], tensors, used, active)
                                            for i, item in enumerate(value)]}
        finally:
            active.discard(id(value))
    raise TypeError(f"save: cannot save {_where(parts)} of type {type(value).__name__}; "
                    "supported: Tensor, ndarray, int, float, str, bool, None, and lists, "
                    "tuples and mappings of those")


def _umask():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def _atomic_write(path, chunks):
    """Write ``chunks`` to ``path`` through a fsynced temporary file and ``os.replace``."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if hasattr(os, "O_DIRECTORY"):   # make the rename itself durable (POSIX)
        try:
            dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return
        try:
            os.fsync(dir_fd)
        except OSError:
            pass
        finally:
            os.close(dir_fd)


# ---------------------------------------------------------------------------- loading
def load(path):
    """Load a file written by ``save`` (exactly what was saved; arrays as Tensors).

    A safetensors file without chainrule metadata (written by another tool) loads
    as a flat ``{name: Tensor}`` dict in file order; BF16 tensors are widened to
    float32. A file that is not a valid safetensors file (truncated, garbage, a
    pickle or a PyTorch zip checkpoint, inconsistent or too deeply nested header, a
    tensor whose bytes do not match the sha256 recorded by ``save``) raises
    ``ValueError`` naming the path and the problem (and the tensor). Nothing is ever
    unpickled.
    """
    path = _fspath(path, "load")
    header, metadata, buffer = _read(path)
    _verify_checksums(path, header, metadata, buffer)
    arrays = {name: _array(path, name, info, buffer) for name, info in header.items()}
    structure = metadata.get(_META_KEY) if metadata else None
    if structure is None:
        return {name: Tensor._wrap(array) for name, array in arrays.items()}
    try:
        decoded = json.loads(structure)
    except RecursionError:
        raise ValueError(f"load: '{path}': corrupt or unsupported file: the chainrule metadata "
                         "is nested too deeply") from None
    except ValueError as err:
        raise ValueError(f"load: '{path}': the chainrule metadata is not valid JSON ({err})") \
            from None
    if not isinstance(decoded, dict) or decoded.get("format") != _STRUCTURE_FORMAT \
            or "root" not in decoded:
        raise ValueError(f"load: '{path}': unsupported chainrule metadata (expected format "
                         f"{_STRUCTURE_FORMAT})")
    tensors = {name: Tensor._wrap(array) for name, array in arrays.items()}
    try:
        obj = _decode(path, decoded["root"], tensors, "root")
    except RecursionError:
        raise ValueError(f"load: '{path}': corrupt or unsupported file: the chainrule metadata "
                         "is nested too deeply") from None
    if not isinstance(obj, dict):
        raise ValueError(f"load: '{path}': corrupt chainrule metadata: the root is not a mapping")
    return obj


def load_metadata(path):
    """The ``__metadata__`` string map of a safetensors file (``{}`` if it has none)."""
    path = _fspath(path, "load_metadata")
    _, metadata, _ = _read(path)
    return dict(metadata or {})


def _foreign(data):
    """A description of a known non-safetensors format, or None."""
    if data[:1] == b"\x80":
        return ("a Python pickle (e.g. written by torch.save with the legacy format or "
                "pickle.dump); chainrule never unpickles files")
    if data[:2] == b"PK":
        return ("a zip archive (e.g. a PyTorch torch.save checkpoint); chainrule never "
                "unpickles files")
    return None


def _read(path):
    """Read and validate ``path``: (tensor header entries, metadata or None, data buffer)."""
    with open(path, "rb") as f:
        data = f.read()
    size = len(data)

    def fail(problem):
        foreign = _foreign(data)
        if foreign is not None:
            raise ValueError(f"load: '{path}' is not a safetensors file: it looks like {foreign}")
        raise ValueError(f"load: '{path}' is not a valid safetensors file: {problem}")

    if size < 8:
        fail(f"it has {size} bytes, fewer than the 8-byte header length (truncated?)")
    n = int.from_bytes(data[:8], "little")
    if n > _MAX_HEADER_BYTES:
        fail(f"the header length {n} exceeds the limit of {_MAX_HEADER_BYTES} bytes")
    if 8 + n > size:
        fail(f"the header length {n} exceeds the file size ({size} bytes; truncated?)")
    raw = data[8:8 + n]
    if not raw.startswith(b"{"):
        fail("the header does not start with '{'")
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except RecursionError:
        fail("the header JSON is nested too deeply (corrupt or unsupported)")
    except (UnicodeDecodeError, ValueError) as err:
        fail(f"the header is not valid UTF-8 JSON ({err})")
    if not isinstance(header, dict):
        fail("the header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and (not isinstance(metadata, dict) or not all(
            isinstance(v, str) for v in metadata.values())):
        fail("'__metadata__' must map strings to strings")
    buffer = memoryview(data)[8 + n:]
    extent = len(buffer)
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict):
            fail(f"the entry of tensor '{name}' is not an object")
        for key in ("dtype", "shape", "data_offsets"):
            if key not in info:
                fail(f"tensor '{name}' has no '{key}'")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in _ITEMSIZE:
            fail(f"tensor '{name}' has an unknown or unsupported dtype {dtype!r} (supported: "
                 f"{', '.join(sorted(_ITEMSIZE))})")
        if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
            fail(f"tensor '{name}' has an invalid shape {shape!r}")
        if not isinstance(offsets, list) or len(offsets) != 2 \
                or not all(_is_count(o) for o in offsets) or offsets[0] > offsets[1]:
            fail(f"tensor '{name}' has invalid data_offsets {offsets!r}")
        begin, end = offsets
        if end > extent:
            fail(f"tensor '{name}' has data_offsets [{begin}, {end}] beyond the end of the "
                 f"{extent}-byte data buffer (truncated?)")
        expected = math.prod(shape) * _ITEMSIZE[dtype]
        if end - begin != expected:
            fail(f"tensor '{name}' of dtype {dtype} and shape {tuple(shape)} needs {expected} "
                 f"bytes but its data_offsets [{begin}, {end}] span {end - begin}")
        spans.append((begin, end, name))
    spans.sort()
    position, previous = 0, None
    for begin, end, name in spans:
        if begin < position:
            fail(f"the data of tensors '{previous}' and '{name}' overlap")
        if begin > position:
            fail(f"there are {begin - position} unused bytes before tensor '{name}' (a hole in "
                 "the data buffer)")
        position, previous = end, name
    if position != extent:
        fail(f"the data buffer has {extent} bytes but the tensors cover {position}")
    return header, metadata, buffer


def _verify_checksums(path, header, metadata, buffer):
    """Compare each tensor's bytes with the checksum ``save`` recorded (files without one pass)."""
    text = metadata.get(_CHECKSUM_KEY) if metadata else None
    if text is None:
        return
    try:
        sums = json.loads(text)
    except (RecursionError, ValueError):
        sums = None
    if not isinstance(sums, dict) or not all(isinstance(v, str) for v in sums.values()):
        raise ValueError(f"load: '{path}': corrupt file: the {_CHECKSUM_KEY!r} metadata is not "
                         "a JSON object of tensor names to checksums")
    missing = [name for name in header if name not in sums]
    if missing:
        raise ValueError(f"load: '{path}': corrupt file: tensor '{missing[0]}' has no recorded "
                         "checksum")
    extra = [name for name in sums if name not in header]
    if extra:
        raise ValueError(f"load: '{path}': corrupt file: a checksum is recorded for tensor "
                         f"'{extra[0]}', which the file does not hold")
    for name, info in header.items():
        begin, end = info["data_offsets"]
        if _digest(buffer[begin:end]) != sums[name]:
            raise ValueError(f"load: '{path}': corrupt file: the bytes of tensor '{name}' do not "
                             "match their sha256 checksum (the file was damaged or modified)")


def _no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _is_count(x):
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _array(path, name, info, buffer):
    """The tensor ``name`` as a writable native-byte-order ndarray (a copy)."""
    begin, end = info["data_offsets"]
    shape = tuple(info["shape"])
    chunk = buffer[begin:end]
    if info["dtype"] == "BF16":
        bits = np.frombuffer(chunk, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).reshape(shape)
    dtype = _DTYPES[info["dtype"]]
    if dtype == np.bool_:
        raw = np.frombuffer(chunk, dtype=np.uint8)
        if raw.size and raw.max() > 1:
            raise ValueError(f"load: '{path}' is not a valid safetensors file: BOOL tensor "
                             f"'{name}' holds bytes other than 0 and 1")
        return raw.astype(np.bool_).reshape(shape)
    return np.frombuffer(chunk, dtype=dtype).astype(dtype.newbyteorder("=")).reshape(shape)


def _decode(path, node, tensors, where):
    """Rebuild the value a structure node describes (ValueError if the node is malformed)."""
    def bad(problem):
        raise ValueError(f"load: '{path}': corrupt chainrule metadata at {where}: {problem}")

    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        bad("expected an object with a 'type'")
    kind = node["type"]
    if kind == "tensor":
        name = node.get("name")
        if not isinstance(name, str) or name not in tensors:
            bad(f"it names a tensor {name!r} that the file does not hold")
        return tensors[name]
    if kind == "none":
        return None
    if kind in ("bool", "int", "float", "str"):
        if "value" not in node:
            bad(f"a {kind} without a value")
        value = node["value"]
        if kind == "bool" and isinstance(value, bool):
            return value
        if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind == "str" and isinstance(value, str):
            return value
        if kind == "float" and isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        bad(f"invalid {kind} value {value!r}")
    if kind in ("dict", "list", "tuple"):
        items = node.get("items")
        if not isinstance(items, list):
            bad(f"a {kind} without an 'items' list")
        if kind == "dict":
            out = {}
            for item in items:
                if not isinstance(item, list) or len(item) != 2 or isinstance(item[0], bool) \
                        or not isinstance(item[0], (str, int)):
                    bad("a dict item must be a [key, value] pair with a str or int key")
                out[item[0]] = _decode(path, item[1], tensors, f"{where}[{item[0]!r}]")
            return out
        values = [_decode(path, item, tensors, f"{where}[{i}]") for i, item in enumerate(items)]
        return tuple(values) if kind == "tuple" else values
    bad(f"unknown type {kind!r}")
