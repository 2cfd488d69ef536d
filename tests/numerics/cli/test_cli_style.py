"""One command-line style (issue 12 item 6): --version, --config, option names as
typed in errors, --p, reproduce --only, file diagnoses, closed pipes, exit codes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from numerics.cli import as_typed, build_parser, main, version
from numerics.models import TwoLayerNet

ROOT = Path(__file__).resolve().parents[3]
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
       "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg"}


def _subparsers():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sub.choices


def _net(tmp_path):
    rng = np.random.default_rng(0)
    net = TwoLayerNet(rng.standard_normal(4), rng.standard_normal((4, 2)),
                      rng.standard_normal(4), "relu")
    return net.save(tmp_path / "net.npz")


def _data(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, 2))
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    path = tmp_path / "data.npz"
    np.savez(path, X=X, y=y)
    return path


def _error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("robustlaw: error: ")
    assert "Traceback" not in err and "pickle" not in err.lower()
    return lines[0]


# -- version and module entry points ---------------------------------------------
def test_version_flag(capsys):
    import robustlaw

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"robustlaw {robustlaw.__version__}"
    assert version() == robustlaw.__version__


def test_python_dash_m_robustlaw():
    proc = subprocess.run([sys.executable, "-m", "robustlaw", "--version"], cwd=ROOT,
                          capture_output=True, text=True, env=ENV, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("robustlaw ")


# -- one style for the experiment commands -----------------------------------------
EXPERIMENTS = ("sweep", "tradeoff", "random-networks", "random-features", "memorization",
               "weight-perturbation")


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiments_take_config_and_write_under_results(name):
    p = _subparsers()[name]
    acts = {a.dest: a for a in p._actions}
    assert "preset" not in acts
    # fast and full everywhere, first; an experiment may add named measurements after them
    assert tuple(acts["config"].choices)[:2] == ("fast", "full")
    assert acts["config"].default == "fast"
    assert str(acts["out"].default).startswith("results/")
    assert "{fast,full" in p.format_help()


def test_every_choice_is_listed_in_help():
    for name, p in _subparsers().items():
        text = " ".join(p.format_help().split()).replace("- ", "-")  # argparse wraps at -
        for a in p._actions:
            if a.choices and a.dest != "help":
                for c in a.choices:
                    assert str(c) in text, (name, a.dest, c)


def test_lipschitz_takes_p():
    acts = {a.dest: a for a in _subparsers()["lipschitz"]._actions}
    assert tuple(acts["p"].choices) == ("1", "2", "inf")


@pytest.mark.parametrize("p", ["1", "inf"])
def test_lipschitz_p_report_brackets_the_exact_value(tmp_path, capsys, p):
    path = _net(tmp_path)
    assert main(["lipschitz", str(path), "--p", p, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["p"] == p
    assert out["lower"] <= out["exact"] * (1 + 1e-9) <= out["upper"] * (1 + 1e-9)


def test_lipschitz_p_changes_the_norm(tmp_path, capsys):
    # l_inf on inputs means the gradient is measured in l_1 >= l_2: a different number.
    path = _net(tmp_path)
    vals = {}
    for p in ("2", "inf"):
        assert main(["lipschitz", str(path), "--p", p, "--json"]) == 0
        vals[p] = json.loads(capsys.readouterr().out)["exact"]
    assert vals["inf"] > vals["2"] * (1 + 1e-6)


def test_bad_p_is_an_argparse_error(capsys):
    assert main(["lipschitz", "--demo", "--p", "3"]) == 2
    assert "--p" in capsys.readouterr().err


def test_error_names_the_option_as_typed(capsys):
    line = _error(capsys, ["sweep", "--d", "0", "--out", os.devnull])
    assert line.startswith("robustlaw: error: --d:")
    assert " ds" not in line


def test_as_typed_rewrites_only_a_leading_known_name():
    assert as_typed("seeds: must be >= 0", {"seeds": "--seeds"}) == "--seeds: must be >= 0"
    assert as_typed("fit_tol[0]: bad", {"fit_tol": "--fit-tol"}) == "--fit-tol[0]: bad"
    assert as_typed("x: ds: bad", {"ds": "--d"}) == "x: ds: bad"


def test_radius_error_names_option(capsys):
    assert _error(capsys, ["lipschitz", "--demo", "--radius", "-1"]).startswith(
        "robustlaw: error: --radius:")


def test_reproduce_unknown_step_is_an_error(tmp_path, capsys):
    assert main(["reproduce", "--out", str(tmp_path), "--only", "lipschitz",
                 "--only", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "nonsense" in err and "lipschitz" in err
    assert not (tmp_path / "manifest.json").exists()


def test_reproduce_help_lists_steps():
    text = _subparsers()["reproduce"].format_help()
    for step in ("lipschitz", "tables", "sweep", "tradeoff"):
        assert step in text


# -- files that are not what they should be ---------------------------------------
def _bad_files(tmp_path):
    np.save(tmp_path / "arr.npy", np.zeros((3, 2)))
    (tmp_path / "notes.txt").write_text("a, W, b\n1, 2, 3\n")
    (tmp_path / "empty.npz").write_bytes(b"")
    (tmp_path / "junk.bin").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    np.savez(tmp_path / "other.npz", Z=np.zeros(2))
    np.savez(tmp_path / "objects.npz", a=np.array([{"x": 1}], dtype=object), W=np.zeros((1, 1)),
             b=np.zeros(1), activation=np.array("relu"))
    (tmp_path / "dir.npz").mkdir()


@pytest.mark.parametrize("name,what", [
    ("arr.npy", "is a .npy array file, not a .npz archive of a network"),
    ("notes.txt", "is a text file, not a .npz archive of a network"),
    ("empty.npz", "is an empty file"),
    ("junk.bin", "is a binary file that is not a .npz archive"),
    ("broken.npz", "is a damaged .npz archive"),
    ("other.npz", "without array(s) a, W, b, activation"),
    ("objects.npz", "array a holds Python objects"),
    ("dir.npz", "is a directory"),
    ("data.npz", "is a data file, not a file of a network"),
])
def test_wrong_network_file_is_named_exactly(tmp_path, capsys, name, what):
    _bad_files(tmp_path)
    _data(tmp_path)
    line = _error(capsys, ["lipschitz", str(tmp_path / name)])
    assert line.startswith("robustlaw: error: NET: ")
    assert what in line


def test_network_given_as_data_is_named(tmp_path, capsys):
    net = _net(tmp_path)
    line = _error(capsys, ["certify", str(net), str(net)])
    assert "DATA: " in line and "is a network file, not a file of data" in line
    line = _error(capsys, ["poly-certificate", str(net), "--degree", "2"])
    assert "DATA: " in line and "is a network file" in line


def test_data_given_as_network_in_certify(tmp_path, capsys):
    data = _data(tmp_path)
    line = _error(capsys, ["certify", str(data), str(data)])
    assert "NET: " in line and "is a data file" in line


def test_lipschitz_data_option_diagnosis(tmp_path, capsys):
    _bad_files(tmp_path)
    line = _error(capsys, ["lipschitz", "--demo", "--data", str(tmp_path / "arr.npy")])
    assert line.startswith("robustlaw: error: --data: ") and ".npy array file" in line


def test_invalid_labels_in_data_file(tmp_path, capsys):
    net = _net(tmp_path)
    np.savez(tmp_path / "bad.npz", X=np.zeros((3, 2)), y=np.array([1.0, 2.0, -1.0]))
    line = _error(capsys, ["certify", str(net), str(tmp_path / "bad.npz")])
    assert "DATA: " in line


def test_missing_file_names_argument(tmp_path, capsys):
    line = _error(capsys, ["certify", str(tmp_path / "nope.npz"), str(tmp_path / "d.npz")])
    assert "NET: no such file" in line


# -- pipes and exit codes ------------------------------------------------------------
def test_closed_pipe_ends_quietly():
    with subprocess.Popen([sys.executable, "-m", "robustlaw", "lipschitz", "--demo",
                           "--json"], cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as proc:
        proc.stdout.close()   # the reader goes away before anything is written
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=300) == 0
    assert err == ""


def test_head_on_help_ends_quietly():
    proc = subprocess.run(f"'{sys.executable}' -m robustlaw sweep --help | head -1",
                          shell=True, cwd=ROOT, env=ENV, capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.startswith("usage:")
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def test_reproduce_failed_step_exits_nonzero_after_writing_others(tmp_path, capsys,
                                                                  monkeypatch):
    from numerics.cli.commands import tables

    def broken(out_dir, *, seed):
        raise RuntimeError("planted failure")

    monkeypatch.setattr(tables, "reproduce", broken)
    code = main(["reproduce", "--out", str(tmp_path), "--only", "lipschitz", "--only",
                 "tables", "--json"])
    assert code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["failed"] == ["tables"]
    step = next(s for s in out["steps"] if s["step"] == "tables")
    assert "planted failure" in step["traceback"]
    assert (tmp_path / "lipschitz" / "demo_report.json").exists()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["failed"] == ["tables"]


def test_sweep_failed_run_exits_nonzero_naming_it(tmp_path, capsys, monkeypatch):
    import numerics.experiments.sweep as sw

    real = sw._build

    def planted(spec, X, y):
        if spec.method == "C2":
            raise RuntimeError("planted failure")
        return real(spec, X, y)

    monkeypatch.setattr(sw, "_build", planted)
    out = tmp_path / "s.jsonl"
    code = main(["sweep", "--n", "6", "--d", "3", "--methods", "C1", "C2", "--seeds", "0",
                 "--light", "--no-certificates", "--quiet", "--out", str(out)])
    assert code == 1
    text = capsys.readouterr().out
    assert "FAILED runs" in text and "method=C2" in text
    recs = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["method"]: r["status"] for r in recs}["C2"] == "error"
    assert any(r["method"] == "C1" and r["status"] != "error" for r in recs)


def test_executor_option_errors_name_the_options(tmp_path, capsys):
    out = str(tmp_path / "s.jsonl")
    line = _error(capsys, ["sweep", "--n", "6", "--d", "3", "--methods", "C1", "--seeds", "0",
                           "--workers", "0", "--out", out])
    assert line.startswith("robustlaw: error: --workers:")
    line = _error(capsys, ["sweep", "--n", "6", "--d", "3", "--methods", "C1", "--seeds", "0",
                           "--scheduler", "tcp://127.0.0.1:1", "--dask-local", "2",
                           "--out", out])
    assert line.startswith("robustlaw: error: --scheduler:") and "not both" in line
