"""Tests of the S2 memorization experiments, their report and the CLI commands
``memorize`` and ``memorization`` (numerics/experiments/memorization*.py,
numerics/cli/commands/memoriz*.py)."""

import json
from pathlib import Path

import numpy as np
import pytest

from numerics.cli import main
from numerics.construct.memorization import ThresholdNetwork
from numerics.experiments import memorization as M
from numerics.experiments.memorization_report import figures, summary, tables
from numerics.records import read_records
from numerics.shipped_data import two_moons

TINY = M.MemConfig(name="tiny", moons_n=200, grid_N=(50, 200), grid_lam=(0.0, 1.0), restarts=3,
                   kn_sizes=(500, 2000), kn_seeds=1, digits_N=(200,), digits_pairs=((3, 8),),
                   digits_seeds=1, baum_sizes=(100,), ramp_sizes=(60,), ramp_seeds=1,
                   ramp_N=100, sphere_N=150, sphere_sizes=(40,))


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("mem")
    return out, M.run_all(TINY, out)


def test_records_are_consistent(tiny_run):
    out, res = tiny_run
    a = {(r["N"], r["lam"]): r for r in res["a"]}
    assert set(a) == {(50, 0.0), (50, 1.0), (200, 0.0), (200, 1.0)}
    for r in a.values():
        assert r["p_interp"] == pytest.approx(np.mean(r["interpolates"]))
        assert r["mean_K"] == pytest.approx(np.mean(r["K"]))
        assert len(r["K"]) == TINY.restarts
    assert a[(200, 0.0)]["p_interp"] == 0.0  # lambda = 0 cannot cut the moons apart
    assert [r["n"] for r in res["b"]] == [500, 2000]
    for r in res["e"]:
        if "ramp" in r:
            assert r["ramp"]["lip_lower"] <= r["ramp"]["lip_upper"]
            assert r["ramp"]["condition_holds"] and r["ramp"]["interpolates"]
    stored = read_records(out / "memorization_a_tiny.jsonl")
    assert len(stored) == 4


def test_resume_computes_only_missing_cells(tmp_path, monkeypatch):
    path = tmp_path / "a.jsonl"
    cfg = M.MemConfig(name="t", moons_n=100, grid_N=(20,), grid_lam=(0.5, 1.0), restarts=2)
    first = M.run_experiment("a", cfg, path)
    lines = path.read_text().splitlines()
    path.write_text(lines[0] + "\n")  # as if interrupted after the first cell
    calls = []
    cells, run = M.EXPERIMENTS["a"]
    monkeypatch.setitem(M.EXPERIMENTS, "a", (cells, lambda c, k: calls.append(k) or run(c, k)))
    again = M.run_experiment("a", cfg, path)
    assert calls == [("a", 20, 1.0)]
    assert [r["K"] for r in again] == [r["K"] for r in first]  # same seeds, same numbers
    with pytest.raises(ValueError, match="^experiment:"):
        M.run_experiment("z", cfg, path)


def test_report_files(tiny_run, tmp_path):
    _, res = tiny_run
    files = figures(res, tmp_path, TINY)
    assert {f.name for f in files} >= {"memorization_grid.png", "memorization_slices.png",
                                       "memorization_size.png", "memorization_lipschitz.png"}
    assert all(f.stat().st_size > 1000 for f in files)
    tex = tables(res, TINY)
    assert tex.count("\\toprule") == tex.count("\\caption") >= 4
    s = summary(res)
    assert s["grid"]["N=200,lam=0"]["p_interp"] == 0.0
    json.dumps(s, allow_nan=False)


def test_fast_config_is_small():
    fast = M.MemConfig.fast()
    assert fast.restarts * len(fast.grid_N) * len(fast.grid_lam) <= 200
    assert max(fast.kn_sizes) <= 100_000 and fast.name == "fast"


@pytest.fixture()
def moons_file(tmp_path):
    X, y = two_moons(300, 0.05, seed=0)
    p = tmp_path / "moons.npz"
    np.savez(p, X=X, y=y)
    return p


def test_cli_memorize_json(moons_file, tmp_path, capsys):
    net_path = tmp_path / "net.npz"
    code = main(["memorize", str(moons_file), "--width", "200", "--bias-range", "1",
                 "--seed", "3", "--out", str(net_path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["interpolates"] is True and out["uncovered"] == 0
    K = out["second_layer_width"]
    assert out["parameters"] == 200 * 3 + K * 201 + K + 1
    assert out["files"] == [str(net_path)]
    net = ThresholdNetwork.load(net_path)
    with np.load(moons_file) as z:
        assert np.array_equal(net.predict(z["X"]), z["y"])


def test_cli_memorize_failure_reports_uncovered(moons_file, capsys):
    assert main(["memorize", str(moons_file), "--width", "50", "--bias-range", "0",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["interpolates"] is False and out["uncovered"] > 0 and out["files"] == []


@pytest.mark.parametrize("args, needle", [
    (["--width", "0", "--bias-range", "1"], "--width"),
    (["--width", "10", "--bias-range", "-1"], "--bias-range"),
])
def test_cli_memorize_bad_knobs(moons_file, capsys, args, needle):
    assert main(["memorize", str(moons_file), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("robustlaw: error: " + needle)


def test_cli_memorize_bad_data(tmp_path, capsys):
    one = tmp_path / "one.npz"
    np.savez(one, X=np.eye(3), y=np.ones(3))
    nan = tmp_path / "nan.npz"
    np.savez(nan, X=np.array([[np.nan, 0.0], [1.0, 0.0]]), y=np.array([1.0, -1.0]))
    noy = tmp_path / "noy.npz"
    np.savez(noy, X=np.eye(2))
    for path, needle in [(one, "y:"), (nan, "X:"), (noy, "DATA:"),
                         (tmp_path / "missing.npz", "DATA:")]:
        assert main(["memorize", str(path), "--width", "10", "--bias-range", "1"]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("robustlaw: error: " + needle), err


def test_memorization_command_has_reproduce_hook():
    from numerics.cli.commands import memorization

    assert memorization.NAME == "memorization" and callable(memorization.reproduce)
    assert isinstance(memorization.REPRODUCE_ORDER, int)
    assert Path(memorization.__file__).name == "memorization.py"


def test_reproduce_hook_writes_everything(tmp_path, monkeypatch, capsys):
    from numerics.cli.commands import memorization

    monkeypatch.setattr(M.MemConfig, "fast", classmethod(lambda cls, seed=0: TINY))
    files = memorization.reproduce(tmp_path, seed=0)
    names = {f.name for f in files}
    assert {"memorization_tables.tex", "memorization_summary.json",
            "memorization_grid.png", "memorization_a_tiny.jsonl"} <= names
    assert all(f.exists() for f in files)
    summ = json.loads((tmp_path / "memorization" / "memorization_summary.json").read_text())
    assert summ["config"]["name"] == "tiny" and "N=50,lam=0" in summ["grid"]
    # the CLI entry point on the same (resumed) records
    assert main(["memorization", "--out", str(tmp_path / "memorization"), "--quiet",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["files"]) >= {str(f) for f in files if f.suffix == ".tex"}
