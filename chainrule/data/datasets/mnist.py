"""MNIST and Fashion-MNIST: downloaded once into a cache directory, checked, read as IDX.

Where the files live: ``root`` if given, else ``$CHAINRULE_DATA``, else the user
cache directory (``$XDG_CACHE_HOME/chainrule``, by default ``~/.cache/chainrule``);
each data set in its own subdirectory (``mnist/``, ``fashion-mnist/``) holding the
four gzipped IDX files under their usual names. To work offline, put those files
there by hand. Every file's SHA-256 is checked before use.
"""
import hashlib
import os
import shutil
import sys
import tempfile

import numpy as np

from ..dataset import TensorDataset
from .idx import read_idx

__all__ = ["mnist", "fashion_mnist", "default_root", "MNIST", "FASHION_MNIST"]

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

# Mirrors are tried in order; checksums are the SHA-256 of the gzipped files.
MNIST = {
    "name": "MNIST",
    "subdir": "mnist",
    "mirrors": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                "https://storage.googleapis.com/cvdf-datasets/mnist/"],
    "checksums": {
        "train-images-idx3-ubyte.gz":
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz":
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz":
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz":
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
}

FASHION_MNIST = {
    "name": "Fashion-MNIST",
    "subdir": "fashion-mnist",
    "mirrors": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"],
    "checksums": {
        "train-images-idx3-ubyte.gz":
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz":
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz":
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz":
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
}

_TIMEOUT_S = 60


def default_root():
    """``$CHAINRULE_DATA`` if set, else ``$XDG_CACHE_HOME/chainrule`` or ``~/.cache/chainrule``."""
    env = os.environ.get("CHAINRULE_DATA")
    if env:
        return os.path.expanduser(env)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "chainrule")


def _fetch(url, dest):
    """Download ``url`` into the file ``dest`` (replaced in tests to stay offline)."""
    import urllib.request   # here, not at import: `import chainrule` need not load the network stack
    with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response, open(dest, "wb") as f:
        shutil.copyfileobj(response, f, length=1 << 20)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _by_hand(spec, directory, mirrors):
    return (f"To use {spec['name']} offline, download {', '.join(FILES)} (e.g. from "
            f"{mirrors[0] if mirrors else 'a mirror'}) and put them in {directory} "
            "(or pass root=..., or set CHAINRULE_DATA).")


def _download(spec, filename, expected, directory, mirrors):
    """Fetch ``filename`` from the first mirror that gives the right bytes; atomic."""
    import http.client
    os.makedirs(directory, exist_ok=True)
    dest = os.path.join(directory, filename)
    failures = []
    for base in mirrors:
        url = base + filename
        fd, tmp = tempfile.mkstemp(prefix="." + filename + ".", suffix=".part", dir=directory)
        os.close(fd)
        try:
            print(f"chainrule: downloading {url} to {directory}", file=sys.stderr)
            _fetch(url, tmp)
            actual = _sha256(tmp)
            if actual != expected:
                failures.append(f"{url}: checksum mismatch (sha256 {actual}, expected {expected})")
                continue
            os.replace(tmp, dest)
            return dest
        except (OSError, http.client.HTTPException, ValueError) as err:   # URLError is an OSError
            failures.append(f"{url}: {err}")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    tried = "\n  ".join(failures) if failures else "no mirrors given"
    raise RuntimeError(f"{spec['name']}: could not download {filename}:\n  {tried}\n"
                       + _by_hand(spec, directory, mirrors))


def _load(spec, root, download, mirrors, checksums):
    mirrors = list(spec["mirrors"] if mirrors is None else mirrors)
    checksums = dict(spec["checksums"] if checksums is None else checksums)
    missing = [f for f in FILES if f not in checksums]
    if missing:
        raise ValueError(f"{spec['name']}: checksums must give the SHA-256 of {', '.join(missing)}")
    base = default_root() if root is None else os.fspath(root)
    directory = os.path.join(os.path.expanduser(base), spec["subdir"])
    paths = {}
    for filename in FILES:
        path = os.path.join(directory, filename)
        expected = checksums[filename].lower()
        if os.path.isfile(path):
            actual = _sha256(path)
            if actual != expected:
                raise ValueError(f"{spec['name']}: '{path}' has sha256 {actual}, expected "
                                 f"{expected}: the file is damaged or not the right one; delete "
                                 "it to download it again. " + _by_hand(spec, directory, mirrors))
        elif download:
            _download(spec, filename, expected, directory, mirrors)
        else:
            raise RuntimeError(f"{spec['name']}: '{path}' not found and download=False. "
                               + _by_hand(spec, directory, mirrors))
        paths[filename] = path
    train = _dataset(spec, paths["train-images-idx3-ubyte.gz"], paths["train-labels-idx1-ubyte.gz"])
    test = _dataset(spec, paths["t10k-images-idx3-ubyte.gz"], paths["t10k-labels-idx1-ubyte.gz"])
    return train, test


def _dataset(spec, images_path, labels_path):
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"{spec['name']}: '{images_path}' holds {images.dtype} data of shape "
                         f"{images.shape}; expected uint8 images (N, H, W)")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(f"{spec['name']}: '{labels_path}' holds {labels.dtype} data of shape "
                         f"{labels.shape}; expected uint8 labels (N,)")
    if len(images) != len(labels):
        raise ValueError(f"{spec['name']}: '{images_path}' has {len(images)} images but "
                         f"'{labels_path}' has {len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{spec['name']}: '{labels_path}' holds labels up to {labels.max()}; "
                         "expected 0..9")
    n, h, w = images.shape
    pixels = (images.astype(np.float32) / np.float32(255.0)).reshape(n, 1, h, w)
    return TensorDataset(pixels, labels.astype(np.int64))


def mnist(root=None, download=True, *, mirrors=None, checksums=None):
    """The MNIST handwritten digits as ``(train, test)`` TensorDatasets.

    60,000 training and 10,000 test samples ``(image (1, 28, 28) float32 in [0, 1],
    label int64 in 0..9)``. Files are downloaded once (``download=True``) into
    ``<root>/mnist/`` (see the module docstring for the default root) and their
    SHA-256 checked. ``mirrors`` (base URLs) and ``checksums`` ({file name: sha256})
    replace the built-in ones. Offline without the files -> ``RuntimeError``; a file
    with the wrong checksum -> ``ValueError`` (or ``RuntimeError`` when downloading);
    both say where to put the files by hand.
    """
    return _load(MNIST, root, download, mirrors, checksums)


def fashion_mnist(root=None, download=True, *, mirrors=None, checksums=None):
    """Fashion-MNIST (Zalando) as ``(train, test)`` TensorDatasets; like :func:`mnist`.

    Files go to ``<root>/fashion-mnist/``. Labels: 0 T-shirt/top, 1 trouser,
    2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker, 8 bag, 9 ankle boot.
    """
    return _load(FASHION_MNIST, root, download, mirrors, checksums)
