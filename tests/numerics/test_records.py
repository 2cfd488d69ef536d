"""Tests of numerics/records.py: JSON-lines append/load, atomic rewrites, figures."""

import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics import records as R
from numerics.records import (
    RecordStore,
    append_record,
    encode_record,
    load_records,
    read_records,
    repair,
    save_figure,
    write_json_atomic,
    write_records,
    write_text_atomic,
)

json_scalars = (st.none() | st.booleans() | st.integers(-10**12, 10**12)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8))
json_values = st.recursive(json_scalars, lambda c: st.lists(c, max_size=3)
                           | st.dictionaries(st.text(max_size=5), c, max_size=3), max_leaves=8)
records = st.dictionaries(st.text(max_size=6), json_values, max_size=5)


def _no_temporaries(directory: Path) -> bool:
    return not [p for p in directory.iterdir() if p.name.endswith(".tmp")]


# ------------------------------------------------------------------ encoding
@given(records)
def test_encode_round_trip(rec):
    line = encode_record(rec)
    assert line.endswith("\n") and line.count("\n") == 1
    assert json.loads(line) == rec


def test_encode_numpy_and_nonfinite():
    rec = {"a": np.float64(1.5), "b": np.arange(3), "c": np.int32(7), "d": float("inf"),
           "e": [float("nan"), np.float32(np.inf)], "f": {"g": -math.inf}}
    assert json.loads(encode_record(rec)) == {"a": 1.5, "b": [0, 1, 2], "c": 7, "d": None,
                                              "e": [None, None], "f": {"g": None}}
    with pytest.raises(ValueError, match="^record:"):
        encode_record({"x": float("nan")}, nonfinite="error")
    assert encode_record({"x": float("nan")}, nonfinite="keep") == '{"x": NaN}\n'
    assert encode_record({"x": 1.0}, nonfinite="error") == '{"x": 1.0}\n'


def test_bad_nonfinite_names_argument(tmp_path):
    with pytest.raises(ValueError, match="^nonfinite:"):
        encode_record({}, nonfinite="drop")
    with pytest.raises(ValueError, match="^nonfinite:"):
        RecordStore(tmp_path / "s.jsonl", nonfinite="drop")


# ------------------------------------------------------------------ append / load
@given(st.lists(records, max_size=6))
def test_append_then_read_round_trip(recs):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "r.jsonl"
        for r in recs:
            append_record(p, r)
        assert read_records(p) == recs if recs else not p.exists()


def test_truncated_last_line_is_ignored_and_repaired(tmp_path):
    p = tmp_path / "s.jsonl"
    append_record(p, {"key": "a", "v": 1})
    append_record(p, {"key": "b", "v": 2})
    complete = p.read_bytes()
    with open(p, "ab") as fh:
        fh.write(b'{"key": "c", "v": 3}')  # a whole object, but no newline: interrupted
    assert read_records(p) == [{"key": "a", "v": 1}, {"key": "b", "v": 2}]
    assert [r["key"] for r in load_records(p)] == ["a", "b"]
    assert "c" not in RecordStore(p) and len(RecordStore(p)) == 2
    assert repair(p) == len(b'{"key": "c", "v": 3}')
    assert p.read_bytes() == complete
    assert repair(p) == 0 and repair(tmp_path / "missing.jsonl") == 0
    append_record(p, {"key": "c", "v": 3})  # appending resumes on a line boundary
    assert [r["key"] for r in load_records(p)] == ["a", "b", "c"]


def test_load_last_wins_and_skips_garbage(tmp_path):
    p = tmp_path / "s.jsonl"
    p.write_text('{"key": "a", "v": 1}\nnot json\n{"key": "b"}\n[1, 2]\n\n'
                 '{"nokey": 1}\n{"key": "a", "v": 2}\n')
    assert load_records(p) == [{"key": "b"}, {"key": "a", "v": 2}]
    assert load_records(p, key="nokey") == [{"nokey": 1}]
    assert len(read_records(p)) == 4


def test_missing_file_names_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="^path:"):
        read_records(tmp_path / "missing.jsonl")
    with pytest.raises(FileNotFoundError, match="^path:"):
        load_records(tmp_path / "missing.jsonl")


# ------------------------------------------------------------------ atomic writes
def test_write_text_and_json_atomic(tmp_path):
    p = write_text_atomic(tmp_path / "a" / "b" / "t.tex", "x\n")
    assert p == tmp_path / "a" / "b" / "t.tex" and p.read_text() == "x\n"
    q = write_json_atomic(tmp_path / "s.json", {"a": [1, 2]})
    assert json.loads(q.read_text()) == {"a": [1, 2]} and "\n  " in q.read_text()
    with pytest.raises(ValueError):
        write_json_atomic(tmp_path / "s.json", {"a": math.inf}, allow_nan=False)
    assert json.loads(q.read_text()) == {"a": [1, 2]}  # untouched by the failed write
    assert _no_temporaries(tmp_path) and _no_temporaries(tmp_path / "a" / "b")


def test_failed_replace_keeps_old_content(tmp_path, monkeypatch):
    p = write_text_atomic(tmp_path / "t.txt", "old\n")

    def boom(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(R.os, "replace", boom)
    with pytest.raises(OSError, match="disk gone"):
        write_text_atomic(p, "new\n")
    assert p.read_text() == "old\n"
    assert _no_temporaries(tmp_path)


def test_store_rewrites_atomically_and_resumes(tmp_path):
    p = tmp_path / "sub" / "store.jsonl"
    s = RecordStore(p, nonfinite="error")
    s.add({"key": "a", "v": 1.0})
    s.add({"key": "b", "v": 2.0})
    s.add({"key": "a", "v": 3.0})  # replaces, keeps its position
    assert read_records(p) == [{"key": "a", "v": 3.0}, {"key": "b", "v": 2.0}]
    before = p.read_bytes()
    with pytest.raises(ValueError, match="^record:"):
        s.add({"key": "c", "v": float("nan")})
    assert p.read_bytes() == before  # nothing half-written
    assert _no_temporaries(p.parent)
    again = RecordStore(p)
    assert "a" in again and "b" in again and again.values() == read_records(p)
    memory = RecordStore(None, key=lambda r: (r["n"], r["seed"]))
    memory.add({"n": 1, "seed": 0})
    assert (1, 0) in memory and memory.key_of({"n": 2, "seed": 5}) == (2, 5)
    assert write_records(tmp_path / "w.jsonl", memory.values()).read_text() == \
        '{"n": 1, "seed": 0}\n'


_CHILD = """
import sys
from numerics.records import write_records
path, i = sys.argv[1], 0
while True:
    i += 1
    write_records(path, [{"i": j, "pad": "x" * 2000} for j in range(i)])
"""


def test_killed_writer_leaves_a_complete_file(tmp_path):
    """SIGKILL a process that rewrites the file in a loop: the file always holds
    a complete earlier version (records 0..m-1, every line complete)."""
    p = tmp_path / "r.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(p)])
    try:
        t0 = time.monotonic()
        while not p.exists() and time.monotonic() - t0 < 30:
            time.sleep(0.02)
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert p.exists()
    data = p.read_bytes()
    assert data.endswith(b"\n")
    recs = [json.loads(line) for line in data.decode().splitlines()]
    assert [r["i"] for r in recs] == list(range(len(recs))) and len(recs) >= 1


# ------------------------------------------------------------------ figures
def test_save_figure_png_pdf(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    files = save_figure(fig, tmp_path / "out" / "fig", dpi=50)
    assert files == [tmp_path / "out" / "fig.png", tmp_path / "out" / "fig.pdf"]
    assert files[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert files[1].read_bytes()[:5] == b"%PDF-"
    assert not plt.fignum_exists(fig.number)
    assert _no_temporaries(tmp_path / "out")
    fig2, _ = plt.subplots()
    kept = save_figure(fig2, tmp_path / "g.svg", formats=("png",), close=False)
    assert kept == [tmp_path / "g.png"] and plt.fignum_exists(fig2.number)
    plt.close(fig2)
    assert os.path.getsize(kept[0]) > 0
