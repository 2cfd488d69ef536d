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
import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import wait as _wait
from pathlib import Path

from numerics._validate import as_positive_int
from numerics.records import append_record, load_records, repair

__all__ = [
    "DASK_WORKER_ENVIRON",
    "THREAD_VARS",
    "DemoSpec",
    "GridResult",
    "LocalProcessExecutor",
    "WorkerLost",
    "demo_run",
    "open_executor",
    "run_grid",
]

#: Environment variables that fix one BLAS/OpenMP thread per worker.
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class WorkerLost(RuntimeError):
    """The worker process running a task died before returning its result."""


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


# ---------------------------------------------------------------------------
# executors
# ---------------------------------------------------------------------------
class InlineExecutor(cf.Executor):
    """Runs each task in this process when it is submitted (``workers=1``)."""

    def submit(self, fn, /, *args, **kwargs) -> cf.Future:
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # pragma: no cover - _execute does not raise
            fut.set_exception(exc)
        return fut


def _worker_main(conn) -> None:  # pragma: no cover - runs in the child process
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the driver handles Ctrl-C
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        tid, fn, args, kwargs = msg
        try:
            out = (True, fn(*args, **kwargs))
        except BaseException as exc:
            out = (False, exc)
        try:
            conn.send((tid, out))
        except (BrokenPipeError, EOFError, OSError):  # the driver is gone
            return


@dataclass
class _Worker:
    proc: multiprocessing.Process
    conn: object
    task: int | None = None


class LocalProcessExecutor(cf.Executor):
    """``workers`` processes (``spawn``, one BLAS thread each), one task at a time
    per process. A process that dies fails only its own task's future (with
    :class:`WorkerLost`) and is replaced; the others keep running.

    Parameters
    ----------
    workers : int
        Number of processes (>= 1).
    """

    def __init__(self, workers: int):
        self.workers = as_positive_int(workers, "workers")
        self._ctx = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._queue: list[tuple[int, tuple]] = []
        self._futures: dict[int, cf.Future] = {}
        self._next = 0
        self._closed = False
        self._wake_r, self._wake_w = self._ctx.Pipe(duplex=False)
        with _one_blas_thread():
            self._pool = [self._spawn() for _ in range(self.workers)]
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _spawn(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_worker_main, args=(child,), daemon=True)
        proc.start()
        child.close()
        return _Worker(proc, parent)

    def pids(self) -> list[int]:
        """Process ids of the current workers."""
        return [w.proc.pid for w in self._pool]

    def submit(self, fn, /, *args, **kwargs) -> cf.Future:
        fut: cf.Future = cf.Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("submit: executor is shut down")
            tid, self._next = self._next, self._next + 1
            self._futures[tid] = fut
            self._queue.append((tid, (fn, args, kwargs)))
        self._wake_w.send(0)
        return fut

    def _dispatch(self) -> None:
        with self._lock:
            for w in self._pool:
                if w.task is None and self._queue:
                    tid, (fn, args, kwargs) = self._queue.pop(0)
                    w.task = tid
                    w.conn.send((tid, fn, args, kwargs))

    def _collect(self, ready) -> None:
        for i, w in enumerate(self._pool):
            if w.conn in ready:
                try:
                    tid, (ok, value) = w.conn.recv()
                except (EOFError, OSError):
                    ready = [*ready, w.proc.sentinel]
                else:
                    w.task = None
                    fut = self._futures.pop(tid)
                    if ok:
                        fut.set_result(value)
                    else:
                        fut.set_exception(value)
            if w.proc.sentinel in ready and not w.proc.is_alive():
                if w.task is not None:
                    fut = self._futures.pop(w.task)
                    fut.set_exception(WorkerLost(
                        f"worker process {w.proc.pid} died (exit code {w.proc.exitcode})"))
                w.conn.close()
                if not self._closed:
                    with _one_blas_thread():
                        self._pool[i] = self._spawn()

    def _loop(self) -> None:
        while True:
            self._dispatch()
            with self._lock:
                if self._closed and not self._futures:
                    return
            waitables = [self._wake_r] + [w.conn for w in self._pool] + \
                [w.proc.sentinel for w in self._pool]
            ready = _wait(waitables)
            if self._wake_r in ready:
                while self._wake_r.poll():
                    self._wake_r.recv()
            self._collect(ready)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            if cancel_futures:
                for tid, _ in self._queue:
                    self._futures.pop(tid).cancel()
                self._queue.clear()
        self._wake_w.send(0)
        if wait:
            self._thread.join()
        for w in self._pool:
            with contextlib.suppress(OSError, BrokenPipeError):
                w.conn.send(None)
            w.proc.join(timeout=5)
            if w.proc.is_alive():  # pragma: no cover - stuck worker
                w.proc.kill()


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Set :data:`THREAD_VARS` to 1 while worker processes are started."""
    saved = {v: os.environ.get(v) for v in THREAD_VARS}
    try:
        for v in THREAD_VARS:
            os.environ[v] = "1"
        yield
    finally:
        for v, val in saved.items():
            if val is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = val


#: The environment Dask's nannies give the worker processes they start: one BLAS
#: thread, and *not* Dask's default ``MALLOC_TRIM_THRESHOLD_=65536``, which makes
#: glibc map and unmap every large numpy temporary (measured: the sweep's runs 3x
#: slower in-process with it set, 5-10x slower in Dask workers).
DASK_WORKER_ENVIRON = {v: "1" for v in THREAD_VARS}


def _dask_client(scheduler: str | None, dask_local: int | None):
    try:
        import dask
        from dask.distributed import Client, LocalCluster
    except ImportError:
        opt = "--scheduler" if scheduler is not None else "--dask-local"
        raise ValueError(f"{opt}: needs Dask: pip install -e '.[dask]'") from None
    if scheduler is not None:
        return Client(scheduler), None
    # global (not a context): nannies read it again when they restart a dead worker
    dask.config.set({"distributed.nanny.pre-spawn-environ": dict(DASK_WORKER_ENVIRON)})
    with _one_blas_thread():
        cluster = LocalCluster(n_workers=as_positive_int(dask_local, "dask_local"),
                               threads_per_worker=1, processes=True, dashboard_address=None)
    return Client(cluster), cluster


@contextlib.contextmanager
def open_executor(*, workers: int = 1, scheduler: str | None = None,
                  dask_local: int | None = None) -> Iterator[tuple[cf.Executor, int, str]]:
    """An executor, how many tasks to keep in flight, and its name.

    Parameters
    ----------
    workers : int
        1: in this process; N > 1: :class:`LocalProcessExecutor` with N processes.
    scheduler : str, optional
        ``tcp://HOST:PORT`` of a running Dask scheduler (its workers should run
        with ``--nthreads 1`` and ``OPENBLAS_NUM_THREADS=1``).
    dask_local : int, optional
        Start a Dask ``LocalCluster`` with this many single-threaded worker processes.

    Examples
    --------
    >>> with open_executor() as (ex, window, name):
    ...     ex.submit(pow, 2, 10).result(), window, name
    (1024, 1, 'in-process')
    """
    if scheduler is not None and dask_local is not None:
        raise ValueError("scheduler: give --scheduler or --dask-local, not both")
    if scheduler is not None or dask_local is not None:
        client, cluster = _dask_client(scheduler, dask_local)
        try:
            n = max(1, sum(client.nthreads().values()))
            with client.get_executor(pure=False) as ex:
                yield ex, 2 * n, f"dask ({n} worker threads at {client.scheduler.address})"
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    workers = as_positive_int(workers, "workers")
    if workers == 1:
        yield InlineExecutor(), 1, "in-process"
        return
    ex = LocalProcessExecutor(workers)
    try:
        yield ex, workers, f"{workers} local processes"
    finally:
        ex.shutdown(wait=False, cancel_futures=True)


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
        Keys whose record has ``status == "error"``, in grid order.
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
              f"eta {_hms(eta)}: {rec['key']} {rec.get('status', 'done')}{note}",
              file=sys.stderr, flush=True)


def _hms(seconds: float) -> str:
    """``1h02m03s`` / ``2m03s`` / ``3s``; ``?`` when unknown.

    >>> _hms(3723.4), _hms(61), _hms(float("nan"))
    ('1h02m03s', '1m01s', '?')
    """
    if seconds != seconds or seconds == float("inf"):
        return "?"
    s = int(round(seconds))
    h, m, s = s // 3600, s // 60 % 60, s % 60
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s" if m else f"{s}s"


def _todo(specs, key, path: Path, resume: bool) -> tuple[list[tuple[str, object]], int]:
    keys = [key(s) for s in specs]
    if len(set(keys)) != len(keys):
        dup = sorted({k for k in keys if keys.count(k) > 1})
        raise ValueError(f"specs: keys must be unique, repeated: {dup[:5]}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not resume and path.exists():
        path.unlink()
    repair(path)
    done = set()
    if path.exists():
        done = {r["key"] for r in load_records(path) if r.get("status") != "error"}
    todo = [(k, s) for k, s in zip(keys, specs, strict=True) if k not in done]
    return todo, len(specs) - len(todo)


def _lost_record(key: str, exc: BaseException) -> dict:
    return {"key": key, "status": "error", "error": f"{type(exc).__name__}: {exc}",
            "traceback": "".join(traceback.format_exception(exc, limit=5))}


def _drive(todo, run, path: Path, ex: cf.Executor, window: int, retries: int,
           prog: _Progress) -> None:
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
            append_record(path, rec)
            prog.step(rec, note)


def _is_worker_loss(exc: BaseException) -> bool:
    """A lost worker (local or Dask), not an error of the run itself."""
    names = {type(e).__name__ for e in (exc, exc.__cause__) if e is not None}
    return bool(names & {"WorkerLost", "KilledWorker", "BrokenProcessPool",
                         "CommClosedError", "FutureCancelledError", "CancelledError"})


def run_grid(specs: Sequence, run: Callable[[object], dict], path: str | Path, *,
             key: Callable[[object], str] = lambda s: s.key, workers: int = 1,
             scheduler: str | None = None, dask_local: int | None = None,
             resume: bool = True, progress: bool = True, retries: int = 2,
             label: str = "grid") -> GridResult:
    """Run every specification whose key is not yet recorded in ``path``.

    Parameters
    ----------
    specs : sequence
        The grid; ``key(spec)`` must be unique and stable across invocations.
    run : callable
        ``run(spec) -> dict``, picklable (a module-level function or a
        :func:`functools.partial` of one) for the multi-process executors.
    path : str or Path
        JSON-lines records file (created with its directory if missing).
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

    Returns
    -------
    GridResult
    """
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
            _drive(todo, run, path, ex, window, retries, prog)
    seconds = time.perf_counter() - t0
    recs = {r["key"]: r for r in load_records(path)} if path.exists() else {}
    ordered = [recs[k] for k in map(key, specs) if k in recs]
    failed = [r["key"] for r in ordered if r.get("status") == "error"]
    return GridResult(str(path), len(specs), skipped, len(todo), failed, seconds, ordered,
                      name)


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
