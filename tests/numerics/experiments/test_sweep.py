"""Tests of sweeps, slopes, figure and table (numerics/experiments.py) and the
``sweep`` / ``figure`` commands."""

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics.cli import main
from numerics.experiments import sweep as ex
from numerics.experiments import sweep_report as rp
from numerics.experiments.sweep import (
    RunSpec,
    append_record,
    check_record,
    expand_grid,
    load_records,
    run_one,
    run_sweep,
)

ROOT = Path(__file__).resolve().parents[3]


def _strip(o):
    """Drop timing fields (they differ between runs)."""
    if isinstance(o, dict):
        return {k: _strip(v) for k, v in o.items() if k != "seconds"}
    if isinstance(o, list):
        return [_strip(v) for v in o]
    return o


SMALL = dict(ns=[10], ds=[12], ks=[3, 10], methods=["C1", "C3", "C4", "fit"], seeds=[0])


@pytest.fixture(scope="module")
def exact_sweep(tmp_path_factory):
    # d = 3: the toolkit enumerates exact Lipschitz constants.
    path = tmp_path_factory.mktemp("sweep3") / "s.jsonl"
    specs = expand_grid(ns=[8], ds=[3], ks=[4, 8], methods=["C1", "C2", "C3", "C4", "fit"],
                        seeds=[1])
    return run_sweep(specs, path, progress=False, light=True).records


# ------------------------------------------------------------------ grid
def test_expand_grid_dedupes_and_maps_c4():
    specs = expand_grid(ns=[10], ds=[4], ks=[5, 6, 40], methods=["C1", "C4", "fit"],
                        seeds=[0, 1])
    keys = [s.key for s in specs]
    assert len(keys) == len(set(keys))
    assert [s.k for s in specs if s.method == "C1"] == [10, 10]
    assert sorted({s.k for s in specs if s.method == "C4"}) == [6, 20]
    assert sorted({s.k for s in specs if s.method == "fit"}) == [5, 6, 40]


def test_c5_run_in_a_sweep():
    (spec,) = expand_grid(ns=[8], ds=[4], ks=[1], methods=["C5"], seeds=[0])
    assert spec.k == 20  # homogeneous cubics in R^4
    rec = run_one(spec, light=True)
    assert rec["status"] == "exact" and rec["k"] == 20 and not check_record(rec)


def test_expand_grid_bad_inputs():
    with pytest.raises(ValueError, match="methods"):
        expand_grid(ns=[10], ds=[4], ks=[5], methods=["C9"], seeds=[0])
    with pytest.raises(ValueError, match="ns"):
        expand_grid(ns=[], ds=[4], ks=[5], methods=["C1"], seeds=[0])
    with pytest.raises(ValueError, match="ks"):
        expand_grid(ns=[10], ds=[4], ks=[0], methods=["fit"], seeds=[0])
    with pytest.raises(ValueError, match="seeds"):
        expand_grid(ns=[10], ds=[4], ks=[5], methods=["C1"], seeds=[-1])
    with pytest.raises(ValueError, match="methods: C5"):
        expand_grid(ns=[10], ds=[80], ks=[5], methods=["C5"], seeds=[0])
    with pytest.raises(ValueError, match="workers"):
        run_sweep([], "unused.jsonl", workers=0)


# ------------------------------------------------------------------ files
def test_append_and_load_skip_partial_line(tmp_path):
    p = tmp_path / "s.jsonl"
    append_record(p, {"key": "a", "v": 1})
    append_record(p, {"key": "b", "v": np.float64(2.0)})
    append_record(p, {"key": "a", "v": 3})
    with open(p, "a") as fh:
        fh.write('{"key": "c", "v"')  # an interrupted write
    recs = load_records(p)
    assert [(r["key"], r["v"]) for r in recs] == [("b", 2.0), ("a", 3)]
    assert ex._repair(p) > 0 and p.read_bytes().endswith(b"\n")
    with pytest.raises(FileNotFoundError, match="path"):
        load_records(tmp_path / "missing.jsonl")


def test_records_are_strict_json(small_sweep):
    path, _ = small_sweep
    for line in path.read_text().splitlines():
        json.loads(line, parse_constant=lambda c: pytest.fail(f"non-finite {c}"))


# ------------------------------------------------------------------ resume
def test_resume_after_truncation_gives_same_records(small_sweep, tmp_path):
    path, full = small_sweep
    lines = path.read_text().splitlines(keepends=True)
    assert len(lines) == full.total >= 4
    part = tmp_path / "part.jsonl"
    half = len(lines) // 2
    # killed mid-write: half of the next line is on disk
    part.write_text("".join(lines[:half]) + lines[half][: len(lines[half]) // 2])
    s = run_sweep(expand_grid(**SMALL), part, progress=False, light=True)
    assert s.skipped == half and s.ran == full.total - half
    assert _strip(s.records) == _strip(full.records)
    again = run_sweep(expand_grid(**SMALL), part, progress=False, light=True)
    assert again.ran == 0 and again.skipped == full.total


@pytest.mark.slow
def test_resume_after_kill(small_sweep, tmp_path):
    path, full = small_sweep
    out = tmp_path / "killed.jsonl"
    args = [sys.executable, "-m", "numerics.cli", "sweep", "--out", str(out), "--light",
            "--quiet", "--n", "10", "--d", "12", "--k", "3", "10",
            "--methods", "C1", "C3", "C4", "fit", "--seeds", "0",
            "--exact-node-limit", "0"]  # as the small_sweep fixture (run_sweep's default)
    proc = subprocess.Popen(args, cwd=ROOT, start_new_session=True)
    t0 = time.time()
    while time.time() - t0 < 120:
        if out.exists() and out.read_text().count("\n") >= 2:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    n_before = len(load_records(out))
    assert 1 <= n_before < full.total  # killed midway
    s = run_sweep(expand_grid(**SMALL), out, progress=False, light=True)
    assert s.skipped == n_before
    assert _strip(s.records) == _strip(full.records)


def test_parallel_workers_give_same_records(small_sweep, tmp_path):
    # Workers run with one BLAS thread; this process may use several, and BLAS
    # summation order changes the last bits, so an iterative fit may take a
    # different path. Constructions must agree to rounding; every run must be there
    # with the same status.
    _, full = small_sweep
    s = run_sweep(expand_grid(**SMALL), tmp_path / "par.jsonl", workers=2, progress=False,
                  light=True)
    assert [r["key"] for r in s.records] == [r["key"] for r in full.records]
    for a, b in zip(s.records, full.records, strict=True):
        assert a["status"] == b["status"]
        if a["method"].startswith("C"):
            assert a["construction_upper"] == pytest.approx(b["construction_upper"], rel=1e-9)
            assert a["fit"]["condition_holds"] == b["fit"]["condition_holds"]


def test_errors_are_recorded_and_rerun(tmp_path, monkeypatch):
    def boom(spec, X, y):
        raise RuntimeError("deliberate")

    monkeypatch.setattr(ex, "_build", boom)
    p = tmp_path / "e.jsonl"
    spec = RunSpec(6, 3, 6, "C1", 0)
    s = run_sweep([spec], p, progress=False)
    assert s.errors == 1 and s.records[0]["status"] == "error"
    assert "deliberate" in s.records[0]["error"]
    monkeypatch.undo()
    s = run_sweep([spec], p, progress=False, light=True)
    assert s.ran == 1 and s.records[0]["status"] == "exact"


# ------------------------------------------------------------------ certified numbers
def _all_consistent(records):
    bad = []
    for r in records:
        bad += check_record(r)
    return bad


def test_no_sweep_point_below_a_proven_lower_bound(small_sweep, exact_sweep):
    _, full = small_sweep
    records = full.records + exact_sweep
    assert not _all_consistent(records)
    n_certs = 0
    for r in records:
        if r.get("proven_lower") is not None:
            n_certs += 1
            assert r["proven_lower"] <= r["upper"] * (1 + 1e-9)
            assert rp._lip_value(r, "lower") >= r["proven_lower"] * (1 - 1e-9)
        if r.get("construction_upper") is not None:
            assert r["lipschitz"]["lower"] <= r["construction_upper"] * (1 + 1e-9)
    assert n_certs >= 3  # the check is not vacuous
    assert any(r["lipschitz"]["exact"] is not None for r in exact_sweep)


def test_checker_catches_wrong_bounds(exact_sweep):
    r = next(r for r in exact_sweep if r["lipschitz"]["exact"] is not None
             and r.get("certificates"))
    # an inflated "proven" lower bound (constant too large)
    cert = dict(r["certificates"][0], direction="lower", probability=None,
                quantity=ex.BALL_QUANTITIES[0], value=1.5 * r["upper"], key="R1'")
    wrong = dict(r, certificates=[*r["certificates"], cert])
    assert check_record(wrong)
    # a deflated construction upper bound
    wrong = dict(r, construction_upper=0.5 * r["lipschitz"]["exact"])
    assert check_record(wrong)


@given(seed=st.integers(0, 1000), method=st.sampled_from(["C1", "C2", "C3", "C4", "fit"]),
       d=st.sampled_from([2, 3, 9]))
def test_property_random_runs_are_consistent(seed, method, d):
    n = 8
    k = {"C1": n, "C2": 2 * n, "C4": 2 * math.ceil(n / min(d, 2)), "fit": 12}.get(method)
    if method == "C3":
        k = ex._fixed_k("C3", n, d, seed)
    rec = run_one(RunSpec(n, d, k, method, seed), light=True)
    assert rec["status"] != "error", rec.get("error")
    assert not check_record(rec)


# ------------------------------------------------------------------ commands
def test_cli_sweep_and_figure(tmp_path, capsys):
    out = tmp_path / "cli.jsonl"
    rc = main(["sweep", "--out", str(out), "--n", "8", "--d", "10", "--k", "4", "8",
               "--methods", "C1", "C4", "--seeds", "0", "--light", "--quiet", "--json"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert res["files"] == [str(out)] and res["ran"] == res["total"] == 3
    rc = main(["figure", "--sweep", str(out), "--out", str(tmp_path / "figs"), "--json"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert all(Path(f).exists() for f in res["files"])
    assert main(["figure", "--sweep", str(tmp_path / "none.jsonl")]) == 2


def test_reproduce_hook(tmp_path, monkeypatch):
    from numerics.cli.commands import sweep

    monkeypatch.setattr(sweep, "FAST", {"ns": [8], "ds": [10], "ks": [4, 8],
                                        "methods": ["C1", "C4", "fit"]})
    files = sweep.reproduce(tmp_path, seed=3)
    names = {Path(f).name for f in files}
    assert {"sweep.jsonl", "tradeoff.png", "tradeoff.pdf", "sweep_table.tex",
            "slopes.json"} <= names
    assert all(Path(f).exists() for f in files)
    assert sweep.REPRODUCE_ORDER == 50
    seeds = {r["seed"] for r in load_records(tmp_path / "sweep" / "sweep.jsonl")}
    assert seeds == {3, 4}
