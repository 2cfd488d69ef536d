r"""One grid runner for every experiment: run specifications with stable keys,
executed through a ``concurrent.futures``-style executor, one JSON line per
finished run.

An experiment describes its grid (a list of specifications, each with a stable
string key) and its single run (a picklable function ``run(spec) -> dict``); the
runner does the rest, the same way for every experiment:

- **records**: the driver process (only it writes) appends each run's record as
  soon as the run finishes, one complete line + ``fsync``
  (:func:`numerics.records.append_record`); the record is ``{"key": key, **run(spec)}``;
- **resume by key**: keys already recorded are skipped; a truncated last line of
  a killed driver is repaired first; records with ``status == "error"`` are run
  again;
- **failures**: a run that raises is recorded as ``status: "error"`` with the
  exception and its traceback, and the other runs go on; a worker process that
  dies (killed, out of memory) loses only its run, which is resubmitted (up to
  ``retries`` times, then recorded as an error);
- **consistency** (``check``): every record returned by a run goes through the
  experiment's check (e.g. a certified lower bound must not exceed a certified
  upper bound, compared exactly); a record that fails it is written with
  ``status: "inconsistent"`` and the violations in ``inconsistent``, and is
  reported like a failure (it is not re-run on resume: it is deterministic);
- **progress** on stderr: count, rate (runs/min) and ETA;
- **executors** (:func:`open_executor`): in-process (``workers=1``), local
  processes (``workers=N``; :class:`LocalProcessExecutor`, one process per worker,
  each restarted if it dies) and a Dask distributed cluster (``scheduler=
  "tcp://HOST:PORT"`` attaches to a running one, ``dask_local=N`` starts a local
  one; needs ``pip install -e '.[dask]'``). Every worker uses one BLAS thread.

A record's content depends only on its specification (the run's own timing
fields aside), so the lines are the same whichever executor ran them; only their
order in the file (completion order) may differ.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> p = Path(tempfile.mkdtemp()) / "grid.jsonl"
>>> specs = [DemoSpec(seed=s) for s in range(4)]
>>> res = run_grid(specs, demo_run, p, progress=False)
>>> res.ran, res.skipped, res.failed
(4, 0, [])
>>> run_grid(specs, demo_run, p, progress=False).skipped      # resumes: nothing to do
4
>>> [r["key"] for r in res.records]
['demo|seed=0', 'demo|seed=1', 'demo|seed=2', 'demo|seed=3']
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from numerics._validate import as_positive_int
from numerics.experiments.executors import (  # re-exported: one import for experiments
    DASK_WORKER_ENVIRON,
    THREAD_VARS,
    LocalProcessExecutor,
    WorkerLost,
    open_executor,
)
from numerics.records import append_record, load_records, open_for_resume

__all__ = [
    "DASK_WORKER_ENVIRON",
    "THREAD_VARS",
    "DemoSpec",
    "GridResult",
    "LocalProcessExecutor",
    "WorkerLost",
    "apply_check",
    "demo_run",
    "failure_text",
    "hms",
    "open_executor",
    "run_grid",
]

# ---------------------------------------------------------------------------
# the run wrapper (executes in the worker)
# ---------------------------------------------------------------------------
def _execute(run: Callable, spec, key: str) -> dict:
    """``{"key": key, **run(spec)}``, or an error record with the traceback."""
    try:
        rec = run(spec)
        if not isinstance(rec, dict):
            raise TypeError(f"run: must return a dict, got {type(rec).__name__}")
        return {"key": key, **{k: v for k, v in rec.items() if k != "key"}}
    except Exception as exc:  # recorded, not hidden; the grid goes on
        return {"key": key, "status": "error", "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(limit=10)}


def apply_check(rec: dict, check: Callable[[dict], list] | None) -> dict:
    """``rec`` with ``status: "inconsistent"`` and the violations (``inconsistent``,
    also joined in ``error``) when ``check(rec)`` returns any; error records and
    ``check=None`` pass unchanged. A check that raises makes the record an error.

    >>> apply_check({"key": "a", "status": "ok", "lo": 2, "up": 1},
    ...              lambda r: ["lo 2 > up 1"] if r["lo"] > r["up"] else [])["status"]
    'inconsistent'
    """
    if check is None or rec.get("status") in ("error", "inconsistent"):
        return rec
    try:
        bad = [str(b) for b in check(rec)]
    except Exception as exc:  # a broken check is a failure, not a pass
        return {**rec, "status": "error", "error": f"check: {type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(limit=10)}
    if not bad:
        return rec
    return {**rec, "status": "inconsistent", "status_before_check": rec.get("status"),
            "inconsistent": bad, "error": "inconsistent certified bounds: " + "; ".join(bad)}


# ---------------------------------------------------------------------------
# the driver
# ---------------------------------------------------------------------------
@dataclass
class GridResult:
    """What :func:`run_grid` did.

    Attributes
    ----------
    path : str
        The records file.
    total, skipped, ran : int
        Runs in the grid, already recorded before this call, run by this call.
    failed : list of str
        Keys whose record has ``status`` ``"error"`` or ``"inconsistent"`` (failed
        its consistency check), in grid order.
    errors, inconsistent : list of str
        The same keys split by status.
    seconds : float
        Wall time of this call.
    records : list of dict
        The file's record of every key in the grid, in grid order.
    executor : str
        Which executor ran them.
    """

    path: str
    total: int
    skipped: int
    ran: int
    failed: list
    seconds: float
    records: list = field(repr=False)
    executor: str = "in-process"
    errors: list = field(default_factory=list)
    inconsistent: list = field(default_factory=list)

    def failure_text(self) -> str:
        """One line naming the failed and inconsistent runs ('' when none)."""
        return failure_text(self.errors, self.inconsistent, self.path)

    @property
    def runs_per_minute(self) -> float:
        return 60.0 * self.ran / self.seconds if self.seconds > 0 else float("inf")


class _Progress:
    """``[label] done/total  rate/min  eta  key status`` lines on stderr."""

    def __init__(self, label: str, total: int, skipped: int, enabled: bool, executor: str):
        self.label, self.total, self.done, self.started = label, total, skipped, skipped
        self.enabled, self.t0 = enabled, time.perf_counter()
        if enabled:
            print(f"[{label}] {total} runs, {skipped} already recorded; executor: {executor}",
                  file=sys.stderr, flush=True)

    def step(self, rec: dict, note: str = "") -> None:
        self.done += 1
        if not self.enabled:
            return
        el = time.perf_counter() - self.t0
        rate = (self.done - self.started) / el if el > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else float("nan")
        print(f"[{self.label}] {self.done}/{self.total} {60 * rate:.1f} runs/min, "
              f"eta {hms(eta)}: {rec['key']} {rec.get('status', 'done')}{note}",
              file=sys.stderr, flush=True)


def hms(seconds: float) -> str:
    """``1h02m03s`` / ``2m03s`` / ``3s``; ``?`` when unknown.

    >>> hms(3723.4), hms(61), hms(float("nan"))
    ('1h02m03s', '1m01s', '?')
    """
    if seconds != seconds or seconds == float("inf"):
        return "?"
    s = int(round(seconds))
    h, m, s = s // 3600, s // 60 % 60, s % 60
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s" if m else f"{s}s"


def failure_text(errors: Sequence[str], inconsistent: Sequence[str], where: str) -> str:
    """One line naming failed (``errors``) and ``inconsistent`` runs; '' when none.

    >>> failure_text(["a"], ["b", "c"], "g.jsonl")
    'FAILED runs (1 error, 2 inconsistent; details in g.jsonl): error: a; inconsistent: b, c'
    """
    if not errors and not inconsistent:
        return ""
    parts = []
    if errors:
        parts.append("error: " + ", ".join(errors))
    if inconsistent:
        parts.append("inconsistent: " + ", ".join(inconsistent))
    return (f"FAILED runs ({len(errors)} error{'s' if len(errors) != 1 else ''}, "
            f"{len(inconsistent)} inconsistent; details in {where}): " + "; ".join(parts))


def _todo(specs, key, path: Path, resume: bool) -> tuple[list[tuple[str, object]], int]:
    keys = [key(s) for s in specs]
    if len(set(keys)) != len(keys):
        dup = sorted({k for k in keys if keys.count(k) > 1})
        raise ValueError(f"specs: keys must be unique, repeated: {dup[:5]}")
    done = {k for k, r in open_for_resume(path, resume).items() if r.get("status") != "error"}
    todo = [(k, s) for k, s in zip(keys, specs, strict=True) if k not in done]
    return todo, len(specs) - len(todo)


def _lost_record(key: str, exc: BaseException) -> dict:
    return {"key": key, "status": "error", "error": f"{type(exc).__name__}: {exc}",
            "traceback": "".join(traceback.format_exception(exc, limit=5))}


def _drive(todo, run, path: Path, ex: cf.Executor, window: int, retries: int,
           prog: _Progress, check=None, nonfinite: str = "null", on_record=None) -> None:
    """Keep ``window`` tasks in flight; append each record as it arrives; resubmit
    tasks whose worker died."""
    pending = list(reversed(todo))
    inflight: dict[cf.Future, tuple[str, object, int]] = {}
    while pending or inflight:
        while pending and len(inflight) < window:
            k, s = pending.pop()
            inflight[ex.submit(_execute, run, s, k)] = (k, s, 0)
        done, _ = cf.wait(list(inflight), return_when=cf.FIRST_COMPLETED)
        for fut in done:
            k, s, tries = inflight.pop(fut)
            exc = fut.exception()
            if exc is None:
                rec, note = fut.result(), ""
            elif tries < retries and _is_worker_loss(exc):
                inflight[ex.submit(_execute, run, s, k)] = (k, s, tries + 1)
                print(f"[{prog.label}] {k}: {type(exc).__name__}: {exc}; retrying",
                      file=sys.stderr, flush=True)
                continue
            else:
                rec, note = _lost_record(k, exc), f" ({type(exc).__name__})"
            rec = apply_check(rec, check)
            append_record(path, rec, nonfinite=nonfinite)
            prog.step(rec, note)
            if on_record is not None:
                on_record(rec)


def _is_worker_loss(exc: BaseException) -> bool:
    """A lost worker (local or Dask), not an error of the run itself."""
    names = {type(e).__name__ for e in (exc, exc.__cause__) if e is not None}
    return bool(names & {"WorkerLost", "KilledWorker", "BrokenProcessPool",
                         "CommClosedError", "FutureCancelledError", "CancelledError"})


def run_grid(specs: Sequence, run: Callable[[object], dict], path: str | Path | None, *,
             key: Callable[[object], str] = lambda s: s.key, workers: int = 1,
             scheduler: str | None = None, dask_local: int | None = None,
             resume: bool = True, progress: bool = True, retries: int = 2,
             label: str = "grid", check: Callable[[dict], list] | None = None,
             nonfinite: str = "null",
             on_record: Callable[[dict], None] | None = None) -> GridResult:
    """Run every specification whose key is not yet recorded in ``path``.

    Parameters
    ----------
    specs : sequence
        The grid; ``key(spec)`` must be unique and stable across invocations.
    run : callable
        ``run(spec) -> dict``, picklable (a module-level function or a
        :func:`functools.partial` of one) for the multi-process executors.
    path : str, Path or None
        JSON-lines records file (created with its directory if missing); None: a
        temporary file, removed afterwards (the records are still returned).
    key : callable
        The key of a spec (default: its ``key`` attribute).
    workers, scheduler, dask_local
        The executor (:func:`open_executor`).
    resume : bool
        Skip recorded keys (error records run again); False starts the file afresh.
    progress : bool
        Count, rate and ETA on stderr.
    retries : int
        Resubmissions of a run whose worker died, before it is recorded as an error.
    label : str
        Prefix of the progress lines.
    check : callable, optional
        ``check(record) -> list of str``: the record's consistency violations; a
        record with any is written with ``status: "inconsistent"`` (see above).
    nonfinite : {"null", "error", "keep"}
        How non-finite floats are written (:func:`numerics.records.append_record`).
    on_record : callable, optional
        Called in this process with each record just written.

    Returns
    -------
    GridResult
    """
    if path is None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            return run_grid(specs, run, Path(tmp) / "grid.jsonl", key=key, workers=workers,
                            scheduler=scheduler, dask_local=dask_local, resume=resume,
                            progress=progress, retries=retries, label=label, check=check,
                            nonfinite=nonfinite, on_record=on_record)
    specs = list(specs)
    path = Path(path)
    retries = as_positive_int(retries, "retries", minimum=0)
    todo, skipped = _todo(specs, key, path, resume)
    t0 = time.perf_counter()
    name = "nothing to run"
    if todo:
        with open_executor(workers=workers, scheduler=scheduler,
                           dask_local=dask_local) as (ex, window, name):
            prog = _Progress(label, len(specs), skipped, progress, name)
            _drive(todo, run, path, ex, window, retries, prog, check, nonfinite, on_record)
    seconds = time.perf_counter() - t0
    recs = {r["key"]: r for r in load_records(path)} if path.exists() else {}
    ordered = [recs[k] for k in map(key, specs) if k in recs]
    failed = [r["key"] for r in ordered if r.get("status") in ("error", "inconsistent")]
    errors = [r["key"] for r in ordered if r.get("status") == "error"]
    incons = [r["key"] for r in ordered if r.get("status") == "inconsistent"]
    return GridResult(str(path), len(specs), skipped, len(todo), failed, seconds, ordered,
                      name, errors, incons)


# ---------------------------------------------------------------------------
# a tiny deterministic run, for examples and for the fault tests
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DemoSpec:
    """A run of :func:`demo_run`: ``seed``; ``sleep`` seconds; ``fail`` raises;
    ``die_once`` names a marker file: the first attempt creates it and kills its
    own process (a lost worker), later attempts run normally."""

    seed: int
    sleep: float = 0.0
    fail: bool = False
    die_once: str | None = None

    @property
    def key(self) -> str:
        return f"demo|seed={self.seed}"


def demo_run(spec: DemoSpec) -> dict:
    """A deterministic record of ``spec`` (seeded normal draws, their mean and
    the norm of a small matrix product), after the faults ``spec`` asks for.

    >>> demo_run(DemoSpec(seed=1)) == demo_run(DemoSpec(seed=1))
    True
    """
    import numpy as np

    if spec.die_once is not None and not os.path.exists(spec.die_once):
        Path(spec.die_once).touch()
        os.kill(os.getpid(), signal.SIGKILL)
    if spec.sleep:
        time.sleep(spec.sleep)
    if spec.fail:
        raise RuntimeError(f"planted failure in seed {spec.seed}")
    rng = np.random.default_rng(spec.seed)
    A = rng.standard_normal((16, 16))
    return {"status": "ok", "seed": spec.seed, "mean": float(A.mean()),
            "norm": float(np.linalg.norm(A @ A.T)), "draws": A[0, :4].tolist()}
