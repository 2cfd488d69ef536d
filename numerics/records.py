r"""Result files: JSON-lines records, atomic writes and figures (one implementation).

Long experiments keep their results in JSON-lines files (one JSON object per
line) so that an interrupted run can resume. Two ways of writing are used:

- **append** (:func:`append_record`): one ``write`` of a complete line, then
  ``fsync``. A crash leaves at most one incomplete last line, which
  :func:`read_records` and :func:`load_records` ignore and :func:`repair`
  truncates.
- **rewrite** (:class:`RecordStore`, :func:`write_records`): the whole file is
  written to a temporary file in the same directory, flushed to disk, and
  moved over the old one with :func:`os.replace` (:func:`write_text_atomic`),
  so a reader sees either the old or the new content, never a mixture.

Figures are written as PNG and PDF by :func:`save_figure`, each through a
temporary file and :func:`os.replace` as well.

Non-finite floats are not valid JSON. ``nonfinite`` chooses what happens to
them: ``"null"`` (written as ``null``), ``"error"`` (``ValueError``) or
``"keep"`` (Python's ``NaN`` / ``Infinity`` extension). NumPy scalars and
arrays are written as numbers and lists.

Examples
--------
>>> import tempfile
>>> p = Path(tempfile.mkdtemp()) / "runs.jsonl"
>>> append_record(p, {"key": "a", "v": 1})
>>> append_record(p, {"key": "a", "v": 2})       # same key: the last one wins
>>> load_records(p)
[{'key': 'a', 'v': 2}]
>>> store = RecordStore(p)
>>> "a" in store, len(store)
(True, 1)
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Hashable, Iterable, Mapping
from pathlib import Path

import numpy as np

__all__ = [
    "RecordStore",
    "append_record",
    "encode_record",
    "load_records",
    "open_for_resume",
    "read_records",
    "repair",
    "save_figure",
    "write_json_atomic",
    "write_records",
    "write_text_atomic",
]

_NONFINITE = ("null", "error", "keep")


def _json_default(o):
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def _nonfinite_to_none(o):
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, np.ndarray):
        return _nonfinite_to_none(o.tolist())
    if isinstance(o, np.floating):
        return _nonfinite_to_none(float(o))
    if isinstance(o, Mapping):
        return {k: _nonfinite_to_none(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_nonfinite_to_none(v) for v in o]
    return o


def encode_record(record: Mapping, *, nonfinite: str = "null") -> str:
    """One record as one line of JSON (with the trailing newline).

    Parameters
    ----------
    record : mapping
        JSON-able values; NumPy scalars and arrays are converted.
    nonfinite : {"null", "error", "keep"}
        What to do with NaN and infinities (see the module docstring).

    Returns
    -------
    str
        ``json.dumps(record) + "\\n"``; the line contains no other newline.

    Examples
    --------
    >>> encode_record({"x": float("inf"), "y": np.float64(0.5)})
    '{"x": null, "y": 0.5}\\n'
    >>> encode_record({"x": float("nan")}, nonfinite="error")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: record: not strict JSON (nonfinite='error'): Out of range float values ...
    """
    if nonfinite not in _NONFINITE:
        raise ValueError(f"nonfinite: expected one of {_NONFINITE}, got {nonfinite!r}")
    if nonfinite == "null":
        record = _nonfinite_to_none(record)
    try:
        text = json.dumps(record, default=_json_default, allow_nan=nonfinite == "keep")
    except ValueError as exc:
        raise ValueError(f"record: not strict JSON (nonfinite={nonfinite!r}): {exc}") from exc
    return text + "\n"


def append_record(path: str | Path, record: Mapping, *, nonfinite: str = "null") -> None:
    """Append one record to a JSON-lines file: a single ``write`` of the whole
    line (the file is opened with ``O_APPEND``), then ``fsync``.

    Parameters
    ----------
    path : str or Path
        Created if missing (its directory must exist).
    record : mapping
        Encoded by :func:`encode_record`.
    nonfinite : {"null", "error", "keep"}
        Passed to :func:`encode_record`.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "s.jsonl"
    >>> append_record(p, {"key": "a", "x": float("inf")})
    >>> p.read_text()
    '{"key": "a", "x": null}\\n'
    """
    data = encode_record(record, nonfinite=nonfinite).encode()
    fd = os.open(Path(path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = os.write(fd, data)
        while written < len(data):  # pragma: no cover - regular files write fully
            written += os.write(fd, data[written:])
        os.fsync(fd)
    finally:
        os.close(fd)


def read_records(path: str | Path) -> list[dict]:
    """Every record of a JSON-lines file, in file order.

    Blank lines, lines that are not JSON objects, unparsable lines and an
    incomplete last line (no trailing newline: an interrupted write) are
    skipped.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist (the message names ``path``).

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "r.jsonl"
    >>> _ = p.write_text('{"a": 1}\\n\\n[2]\\n{"a": 3}\\n{"a": 4')
    >>> read_records(p)
    [{'a': 1}, {'a': 3}]
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"path: no records file {path}")
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                break
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict):
                out.append(rec)
    return out


def load_records(path: str | Path, *, key: str = "key") -> list[dict]:
    """The records of a JSON-lines file, one per ``record[key]`` (the last one
    wins and takes the position of its last occurrence); records without
    ``key`` and incomplete or unparsable lines are skipped (:func:`read_records`).

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "r.jsonl"
    >>> _ = p.write_text('{"key": "a", "v": 1}\\n{"key": "b"}\\n{"key": "a", "v": 2}\\n{"v": 9}\\n')
    >>> load_records(p)
    [{'key': 'b'}, {'key': 'a', 'v': 2}]
    """
    by_key: dict = {}
    for rec in read_records(path):
        if key in rec:
            by_key.pop(rec[key], None)
            by_key[rec[key]] = rec
    return list(by_key.values())


def repair(path: str | Path) -> int:
    """Truncate an incomplete last line (no trailing newline) of a JSON-lines
    file, so that appending can resume; returns the number of bytes removed
    (0 when the file is missing, empty or complete).

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "r.jsonl"
    >>> _ = p.write_text('{"a": 1}\\n{"a": ')
    >>> repair(p), p.read_text()
    (6, '{"a": 1}\\n')
    """
    path = Path(path)
    if not path.exists():
        return 0
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return 0
    keep = data.rfind(b"\n") + 1
    with open(path, "r+b") as fh:
        fh.truncate(keep)
    return len(data) - keep


def open_for_resume(path: str | Path, resume: bool = True) -> dict:
    """Prepare a JSON-lines results file for a resumable run: create its folder, start
    it afresh unless ``resume``, cut an incomplete last line (:func:`repair`) and return
    its records by key (the last record of a key wins; empty when there is no file).

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "sub" / "r.jsonl"
    >>> open_for_resume(p)
    {}
    >>> append_record(p, {"key": "a", "v": 1})
    >>> open_for_resume(p)["a"]["v"], open_for_resume(p, resume=False), p.exists()
    (1, {}, False)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not resume and path.exists():
        path.unlink()
    repair(path)
    return {r["key"]: r for r in load_records(path)} if path.exists() else {}


def _replace_atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` for a temporary file next to ``path`` (hidden, named
    after ``path`` and the process id), fsync it and move it over ``path``;
    the temporary file is removed if anything fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically: temporary file in the same
    directory, ``fsync``, :func:`os.replace`. Parent directories are created.
    Returns ``path`` as a :class:`~pathlib.Path`.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> write_text_atomic(d / "sub" / "t.tex", "x\\n").read_text()
    'x\\n'
    >>> sorted(p.name for p in (d / "sub").iterdir())   # no temporary file left
    ['t.tex']
    """
    return _replace_atomically(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json_atomic(path: str | Path, obj, *, indent: int | None = 2,
                      allow_nan: bool = True) -> Path:
    """``json.dumps(obj, indent=indent, allow_nan=allow_nan)`` written with
    :func:`write_text_atomic`; returns ``path``.

    Examples
    --------
    >>> import tempfile
    >>> p = write_json_atomic(Path(tempfile.mkdtemp()) / "s.json", {"a": [1, 2]}, indent=None)
    >>> p.read_text()
    '{"a": [1, 2]}'
    """
    return write_text_atomic(path, json.dumps(obj, indent=indent, allow_nan=allow_nan))


def write_records(path: str | Path, records: Iterable[Mapping], *,
                  nonfinite: str = "null") -> Path:
    """Rewrite a JSON-lines file with ``records`` (one :func:`encode_record`
    line each) atomically (:func:`write_text_atomic`); returns ``path``.
    Nothing is written if a record cannot be encoded.

    Examples
    --------
    >>> import tempfile
    >>> p = write_records(Path(tempfile.mkdtemp()) / "r.jsonl", [{"a": 1}, {"a": 2}])
    >>> read_records(p)
    [{'a': 1}, {'a': 2}]
    """
    text = "".join(encode_record(r, nonfinite=nonfinite) for r in records)
    return write_text_atomic(path, text)


class RecordStore:
    """Records keyed by ``key(record)``, kept in a JSON-lines file that is
    rewritten atomically (:func:`write_records`) after every :meth:`add`, so
    an interrupted run resumes from the records already stored.

    Parameters
    ----------
    path : str, Path or None
        The file (read if it exists; its directory is created on the first
        write). ``None``: keep the records in memory only.
    key : str or callable
        Field holding a record's key, or a function of the record returning a
        hashable key. Records sharing a key: the last one wins.
    nonfinite : {"null", "error", "keep"}
        Passed to :func:`encode_record` when writing.

    Attributes
    ----------
    records : dict
        Key -> record, in insertion order (file order first).

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "store.jsonl"
    >>> s = RecordStore(p, key=lambda r: (r["n"], r["seed"]))
    >>> s.add({"n": 3, "seed": 0, "v": 1.5})
    >>> (3, 0) in RecordStore(p, key=lambda r: (r["n"], r["seed"]))
    True
    """

    def __init__(self, path: str | Path | None, *,
                 key: str | Callable[[dict], Hashable] = "key", nonfinite: str = "null"):
        if nonfinite not in _NONFINITE:
            raise ValueError(f"nonfinite: expected one of {_NONFINITE}, got {nonfinite!r}")
        self.path = None if path is None else Path(path)
        self._key = (lambda r: r[key]) if isinstance(key, str) else key
        self.nonfinite = nonfinite
        self.records: dict = {}
        if self.path is not None and self.path.exists():
            for rec in read_records(self.path):
                self.records[self._key(rec)] = rec

    def key_of(self, record: Mapping) -> Hashable:
        """The key of ``record``."""
        return self._key(record)

    def __contains__(self, key) -> bool:
        return key in self.records

    def __len__(self) -> int:
        return len(self.records)

    def values(self) -> list[dict]:
        """All records, in insertion order."""
        return list(self.records.values())

    def add(self, record: dict) -> None:
        """Store ``record`` (replacing one with the same key) and rewrite the file."""
        self.records[self._key(record)] = record
        if self.path is not None:
            write_records(self.path, self.records.values(), nonfinite=self.nonfinite)


def save_figure(fig, stem: str | Path, *, dpi: int = 130,
                formats: tuple[str, ...] = ("png", "pdf"), close: bool = True) -> list[Path]:
    """Save a matplotlib figure as ``stem.png`` and ``stem.pdf``, each written
    atomically (temporary file + :func:`os.replace`); parent directories are
    created. With ``close`` (default) the figure is closed afterwards.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    stem : str or Path
        Output path without extension (a suffix, if any, is replaced).
    dpi : int
        Resolution of raster formats.
    formats : tuple of str
        File formats, in the order of the returned paths.
    close : bool
        ``matplotlib.pyplot.close(fig)`` after saving.

    Returns
    -------
    list of Path
        The files written, one per format.

    Examples
    --------
    >>> import tempfile
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [1, 0])
    >>> [p.name for p in save_figure(fig, Path(tempfile.mkdtemp()) / "fig")]
    ['fig.png', 'fig.pdf']
    """
    stem = Path(stem)
    files = []
    for ext in formats:
        target = stem.with_suffix("." + ext)
        files.append(_replace_atomically(
            target, lambda tmp, ext=ext: fig.savefig(tmp, dpi=dpi, format=ext)))
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return files
