"""Reading the ``.npz`` files the commands are given, with one-line diagnoses.

Not a command (the name starts with ``_``). A network file holds arrays ``a``,
``W``, ``b`` and ``activation`` (:meth:`numerics.models.TwoLayerNet.save`); a data
file holds ``X`` and ``y`` (:meth:`numerics.data.Dataset.save`). Anything else
-- a missing path, a directory, a ``.npy`` array, a text file, a damaged archive,
an archive of the other kind or with arrays of Python objects -- raises
:class:`ValueError` (or :class:`FileNotFoundError`) whose message starts with the
argument's name as the user typed it and says exactly what the file is.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> import numpy as np
>>> d = Path(tempfile.mkdtemp())
>>> np.save(d / "x.npy", np.zeros(3))
>>> load_network(str(d / "x.npy"), "NET")
Traceback (most recent call last):
...
ValueError: NET: ... is a .npy array file, not a .npz archive of a network (arrays ...)
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

__all__ = ["NET_ARRAYS", "DATA_ARRAYS", "describe", "load_arrays", "load_dataset",
           "load_network"]

#: Arrays of a network file and of a data file.
NET_ARRAYS = ("a", "W", "b", "activation")
DATA_ARRAYS = ("X", "y")
_KINDS = {"network": NET_ARRAYS, "data": DATA_ARRAYS, "points": ("X",)}
_NOUN = {"network": "a network", "data": "data", "points": "points"}


def _what(kind: str) -> str:
    arrays = _KINDS[kind]
    return f"{_NOUN[kind]} (array{'s' if len(arrays) > 1 else ''} {', '.join(arrays)})"


def describe(path: Path) -> str | None:
    """What ``path`` is when it is not a zip archive (``None`` when it is one):
    ``'a directory'``, ``'an empty file'``, ``'a .npy array file'``, ``'a text
    file'`` or ``'not a .npz archive'``."""
    if path.is_dir():
        return "a directory"
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head:
        return "an empty file"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return None
    if head.startswith(b"\x93NUMPY"):
        return "a .npy array file"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "a binary file that is not a .npz archive"
    return "a text file"


def load_arrays(path: str, option: str, kind: str) -> dict[str, np.ndarray]:
    """The arrays ``_KINDS[kind]`` of the ``.npz`` archive ``path`` (numeric
    arrays and strings only; nothing is unpickled).

    Parameters
    ----------
    path : str
        As typed by the user.
    option : str
        The argument's name as typed (``"NET"``, ``"--data"``), used in messages.
    kind : {"network", "data", "points"}
        Which arrays are required.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{option}: no such file {path}")
    what = describe(p)
    if what is not None:
        raise ValueError(f"{option}: {path} is {what}, not a .npz archive of {_what(kind)}")
    try:
        with zipfile.ZipFile(p) as zf:  # a damaged archive fails here, file closed
            zf.namelist()
        with np.load(p, allow_pickle=False) as z:
            names = set(z.files)
            need = _KINDS[kind]
            if not set(need) <= names:
                other = next((k for k, arr in _KINDS.items()
                              if k != kind and set(arr) <= names), None)
                if other is not None:
                    raise ValueError(f"{option}: {path} is a {other} file, not a file of "
                                     f"{_what(kind)}")
                missing = [a for a in need if a not in names]
                raise ValueError(f"{option}: {path} is a .npz archive without array(s) "
                                 f"{', '.join(missing)}; expected {_what(kind)}")
            out = {}
            for a in need:
                try:
                    out[a] = np.array(z[a])
                except ValueError:
                    raise ValueError(f"{option}: {path}: array {a} holds Python objects, "
                                     "not numbers or text") from None
            return out
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ValueError(f"{option}: {path} is a damaged .npz archive "
                         f"({type(exc).__name__})") from None


def load_network(path: str, option: str = "NET", *, vector: bool = False):
    """A :class:`numerics.models.TwoLayerNet` from a network file (see
    :func:`load_arrays`), or, with ``vector``, a :class:`numerics.models.VectorTwoLayerNet`
    when its ``a`` has shape (m, k); invalid arrays (and m outputs without ``vector``)
    give a ValueError naming ``option``."""
    from numerics.models import load_network as _from_arrays

    z = load_arrays(path, option, "network")
    if not vector and np.ndim(z["a"]) == 2:
        raise ValueError(f"{option}: {path}: a has shape {z['a'].shape} (m outputs); this "
                         "command takes scalar networks (a of shape (k,))")
    try:
        return _from_arrays(z["a"], z["W"], z["b"], str(z["activation"]))
    except ValueError as exc:
        raise ValueError(f"{option}: {path}: {exc}") from None


def load_dataset(path: str, option: str = "DATA"):
    """A :class:`numerics.data.Dataset` from a data file (see :func:`load_arrays`);
    invalid arrays (labels not +-1, NaN, wrong shapes) give a ValueError naming
    ``option``."""
    from numerics.data import Dataset

    z = load_arrays(path, option, "data")
    try:
        return Dataset(z["X"], z["y"])
    except ValueError as exc:
        raise ValueError(f"{option}: {path}: {exc}") from None
