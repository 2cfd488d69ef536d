"""Executors of the grid runner (:mod:`numerics.experiments.runner`): in this
process, local worker processes (each restarted if it dies), and Dask.

Every worker uses one BLAS thread (:data:`THREAD_VARS`).

Examples
--------
>>> with open_executor(workers=1) as (ex, window, name):
...     ex.submit(divmod, 7, 2).result(), name
((3, 1), 'in-process')
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import wait as _wait

from numerics._validate import as_positive_int

__all__ = ["DASK_WORKER_ENVIRON", "THREAD_VARS", "InlineExecutor", "LocalProcessExecutor",
           "WorkerLost", "open_executor"]

#: Environment variables that fix one BLAS/OpenMP thread per worker.
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class WorkerLost(RuntimeError):
    """The worker process running a task died before returning its result."""


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
