"""The grid runner: records, resume, failures, executors and faults (issue 17)."""

import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from numerics.experiments.runner import (
    DemoSpec,
    LocalProcessExecutor,
    WorkerLost,
    demo_run,
    open_executor,
    run_grid,
)

ROOT = Path(__file__).resolve().parents[3]
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
       "MKL_NUM_THREADS": "1"}


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def _keys(path: Path) -> list[str]:
    return [json.loads(line)["key"] for line in _lines(path)]


def _expected(spec: DemoSpec) -> dict:
    return {"key": spec.key, **demo_run(DemoSpec(seed=spec.seed))}


def _has_dask() -> bool:
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        return False
    return True


needs_dask = pytest.mark.skipif(not _has_dask(), reason="dask[distributed] not installed "
                                "(pip install -e '.[dask]')")


# -- records, resume, failures (in-process) ----------------------------------------
def test_records_are_the_runs_and_resume_skips_them(tmp_path):
    specs = [DemoSpec(seed=s) for s in range(5)]
    p = tmp_path / "g.jsonl"
    res = run_grid(specs[:3], demo_run, p, progress=False)
    assert (res.ran, res.skipped, res.failed) == (3, 0, [])
    res = run_grid(specs, demo_run, p, progress=False)
    assert (res.ran, res.skipped, res.total) == (2, 3, 5)
    assert _keys(p) == [s.key for s in specs]
    assert [json.loads(line) for line in _lines(p)] == [_expected(s) for s in specs]
    assert res.records == [_expected(s) for s in specs]


def test_no_resume_starts_afresh(tmp_path):
    p = tmp_path / "g.jsonl"
    run_grid([DemoSpec(seed=0)], demo_run, p, progress=False)
    res = run_grid([DemoSpec(seed=1)], demo_run, p, resume=False, progress=False)
    assert _keys(p) == ["demo|seed=1"] and res.skipped == 0


def test_failure_is_recorded_with_traceback_and_rerun_on_resume(tmp_path):
    p = tmp_path / "g.jsonl"
    specs = [DemoSpec(seed=0), DemoSpec(seed=1, fail=True), DemoSpec(seed=2)]
    res = run_grid(specs, demo_run, p, progress=False)
    assert res.failed == ["demo|seed=1"]
    bad = res.records[1]
    assert bad["status"] == "error" and "planted failure" in bad["error"]
    assert "Traceback" in bad["traceback"] and "demo_run" in bad["traceback"]
    assert [r["status"] for r in (res.records[0], res.records[2])] == ["ok", "ok"]
    fixed = [DemoSpec(seed=0), DemoSpec(seed=1), DemoSpec(seed=2)]
    res = run_grid(fixed, demo_run, p, progress=False)
    assert (res.ran, res.skipped, res.failed) == (1, 2, [])
    assert res.records == [_expected(s) for s in fixed]


def test_truncated_last_line_is_repaired(tmp_path):
    p = tmp_path / "g.jsonl"
    run_grid([DemoSpec(seed=0)], demo_run, p, progress=False)
    with open(p, "ab") as fh:
        fh.write(b'{"key": "demo|seed=1", "status": "o')   # a driver killed mid-write
    res = run_grid([DemoSpec(seed=0), DemoSpec(seed=1)], demo_run, p, progress=False)
    assert res.ran == 1 and _keys(p) == ["demo|seed=0", "demo|seed=1"]


def test_duplicate_keys_are_refused(tmp_path):
    with pytest.raises(ValueError, match="specs: keys must be unique"):
        run_grid([DemoSpec(seed=0), DemoSpec(seed=0)], demo_run, tmp_path / "g.jsonl")


def test_non_dict_result_is_an_error_record(tmp_path):
    res = run_grid([DemoSpec(seed=0)], functools.partial(_not_a_dict), tmp_path / "g.jsonl",
                   progress=False)
    assert res.failed == ["demo|seed=0"] and "must return a dict" in res.records[0]["error"]


def _not_a_dict(spec):
    return [spec.seed]


def test_progress_reports_count_rate_and_eta(tmp_path, capsys):
    run_grid([DemoSpec(seed=s) for s in range(3)], demo_run, tmp_path / "g.jsonl",
             label="demo")
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("[demo] 3 runs, 0 already recorded; executor: in-process")
    assert err[-1].startswith("[demo] 3/3 ") and "runs/min" in err[-1] and "eta 0s" in err[-1]


def test_executor_arguments_are_checked():
    with pytest.raises(ValueError, match="workers"), open_executor(workers=0):
        pass
    with pytest.raises(ValueError, match="not both"), \
            open_executor(scheduler="tcp://x:1", dask_local=2):
        pass


# -- local processes -----------------------------------------------------------------
def test_local_processes_give_the_same_lines(tmp_path):
    specs = [DemoSpec(seed=s) for s in range(6)]
    run_grid(specs, demo_run, tmp_path / "a.jsonl", progress=False)
    res = run_grid(specs, demo_run, tmp_path / "b.jsonl", workers=2, progress=False)
    assert res.executor == "2 local processes"
    assert sorted(_lines(tmp_path / "a.jsonl")) == sorted(_lines(tmp_path / "b.jsonl"))


def test_killed_local_worker_loses_only_its_run(tmp_path):
    marker = tmp_path / "died"
    specs = [DemoSpec(seed=s, sleep=0.05) for s in range(6)]
    specs[2] = DemoSpec(seed=2, sleep=0.05, die_once=str(marker))
    res = run_grid(specs, demo_run, tmp_path / "g.jsonl", workers=2, progress=False)
    assert marker.exists()                       # the worker really died once
    assert res.failed == [] and sorted(_keys(tmp_path / "g.jsonl")) == sorted(
        s.key for s in specs)
    assert res.records == [_expected(s) for s in specs]


def test_worker_loss_beyond_retries_is_an_error_record(tmp_path):
    spec = DemoSpec(seed=0, die_once=str(tmp_path / "died"))
    res = run_grid([spec, DemoSpec(seed=1)], demo_run, tmp_path / "g.jsonl", workers=2,
                   retries=0, progress=False)
    assert res.failed == ["demo|seed=0"] and "WorkerLost" in res.records[0]["error"]
    assert res.records[1] == _expected(DemoSpec(seed=1))


def test_local_executor_replaces_a_dead_process():
    ex = LocalProcessExecutor(2)
    try:
        before = ex.pids()
        fut = ex.submit(time.sleep, 30)
        time.sleep(0.5)
        for pid in before:
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(WorkerLost):
            fut.result(timeout=30)
        assert ex.submit(pow, 3, 4).result(timeout=60) == 81
        assert set(ex.pids()).isdisjoint(before)
    finally:
        ex.shutdown()


# -- a killed driver -----------------------------------------------------------------
def test_killed_driver_resumes_without_loss_or_duplicates(tmp_path):
    p = tmp_path / "g.jsonl"
    code = ("from numerics.experiments.runner import DemoSpec, demo_run, run_grid\n"
            f"run_grid([DemoSpec(seed=s, sleep=0.3) for s in range(12)], demo_run, {str(p)!r}, "
            "workers=2, progress=False)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=ENV)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and (not p.exists() or len(_lines(p)) < 3):
            time.sleep(0.05)
        assert p.exists() and len(_lines(p)) >= 3
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    written = _lines(p)
    assert len(written) < 12                    # really interrupted
    specs = [DemoSpec(seed=s) for s in range(12)]
    res = run_grid(specs, demo_run, p, progress=False)
    assert res.skipped >= 3 and res.ran + res.skipped == 12
    keys = _keys(p)
    assert sorted(keys) == sorted(s.key for s in specs)      # each key exactly once
    assert _lines(p)[:len(written)] == written                # nothing written was lost
    assert res.records == [_expected(s) for s in specs]


# -- Dask ----------------------------------------------------------------------------
@needs_dask
def test_dask_local_cluster_gives_byte_identical_records(tmp_path):
    specs = [DemoSpec(seed=s) for s in range(6)]
    run_grid(specs, demo_run, tmp_path / "a.jsonl", progress=False)
    res = run_grid(specs, demo_run, tmp_path / "b.jsonl", dask_local=2, progress=False)
    assert res.executor.startswith("dask (2 worker threads")
    assert sorted(_lines(tmp_path / "a.jsonl")) == sorted(_lines(tmp_path / "b.jsonl"))


@needs_dask
def test_killed_dask_worker_loses_only_its_run(tmp_path):
    marker = tmp_path / "died"
    specs = [DemoSpec(seed=s, sleep=0.05) for s in range(6)]
    specs[1] = DemoSpec(seed=1, sleep=0.05, die_once=str(marker))
    res = run_grid(specs, demo_run, tmp_path / "g.jsonl", dask_local=2, progress=False)
    assert marker.exists()
    assert res.failed == [] and res.records == [_expected(s) for s in specs]


# -- the sweep through the runner ------------------------------------------------------
def _strip_timing(o):
    if isinstance(o, dict):
        return {k: _strip_timing(v) for k, v in o.items() if k != "seconds"}
    if isinstance(o, list):
        return [_strip_timing(v) for v in o]
    return o


@needs_dask
def test_sweep_command_on_dask_matches_in_process(tmp_path, capsys):
    from numerics.cli import main

    grid = ["--n", "8", "--d", "6", "--k", "4", "--methods", "C1", "C4", "fit", "--seeds", "0",
            "--light", "--no-certificates", "--quiet", "--exact-node-limit", "20"]
    # branch and bound under a node budget: the same records on either executor
    assert main(["sweep", *grid, "--out", str(tmp_path / "a.jsonl")]) == 0
    assert main(["sweep", *grid, "--out", str(tmp_path / "b.jsonl"), "--dask-local", "2"]) == 0
    capsys.readouterr()

    def recs(name):
        return sorted((json.loads(line) for line in _lines(tmp_path / name)),
                      key=lambda r: r["key"])

    a, b = recs("a.jsonl"), recs("b.jsonl")
    assert [r["key"] for r in a] == [r["key"] for r in b] and len(a) == 3
    assert [_strip_timing(r) for r in a] == [_strip_timing(r) for r in b]
