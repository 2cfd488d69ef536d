"""Benchmark: sweep throughput and the cost of interpolating training.

1. Sweep throughput (runs per minute) of the default (fast) preset through the grid
   runner (:mod:`numerics.experiments.runner`) with 1 worker (in-process), 2
   local worker processes and a 2-worker Dask ``LocalCluster`` (when
   ``dask[distributed]`` is installed; cluster start-up included), fresh file
   each time, median of ``--repeats`` runs, and the speed-up ratios.
2. Fitting time of :func:`numerics.construct.fit.fit_interpolant` against the FLOP
   count of its gradient evaluations (``grad_evals * (4nkd + 9nk)``): achieved
   GFLOP/s, time per evaluation, and the ratio of that time to a baseline
   measured in the same run (the two dense products ``X @ W.T`` and ``D.T @ X``
   of one evaluation, i.e. the irreducible 4nkd flops).

Run: ``python benchmarks/sweep.py [--repeats 3] [--threads 1]``. BLAS threads
are fixed before numpy is imported (default 1: small products are slower with
several threads on a shared machine).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def _args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--skip-sweep", action="store_true")
    return p.parse_args()


ARGS = _args() if __name__ == "__main__" else None
if ARGS is not None:
    for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[v] = str(ARGS.threads)

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from numerics.cli.commands.sweep import FAST  # noqa: E402
from numerics.construct import fit_interpolant, flops_per_evaluation  # noqa: E402
from numerics.data import random_dataset  # noqa: E402
from numerics.experiments.sweep import expand_grid, run_sweep  # noqa: E402

#: The default (fast) preset of ``robustlaw sweep`` and of ``robustlaw reproduce``.
GRID = {k: v for k, v in FAST.items() if k != "exact_node_limit"}
FITS = [(50, 10, 10), (50, 10, 50), (100, 20, 25), (100, 20, 100), (200, 20, 50), (200, 40, 200)]


def _median_time(fn, repeats):
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def bench_sweep(repeats: int) -> None:
    specs = expand_grid(**GRID)
    print(f"sweep throughput: {len(specs)} runs ({GRID}), light Lipschitz search, "
          f"median of {repeats}")
    print(f"{'executor':>22} {'seconds':>9} {'runs/min':>9} {'speed-up':>9}")
    base = None
    executors = [("1 worker (in-process)", {"workers": 1}),
                 ("2 local processes", {"workers": 2})]
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        print("(dask not installed: pip install -e '.[dask]' for the Dask row)")
    else:
        executors.append(("2-worker Dask cluster", {"dask_local": 2}))
    for name, kw in executors:
        def go(kw=kw):
            with tempfile.TemporaryDirectory() as tmp:
                run_sweep(specs, Path(tmp) / "s.jsonl", progress=False, light=True, **kw)
        t = _median_time(go, repeats)
        base = base or t
        print(f"{name:>22} {t:>9.2f} {60 * len(specs) / t:>9.1f} {base / t:>9.2f}",
              flush=True)


def bench_fit(repeats: int) -> None:
    print(f"\nfitting (relu, L-BFGS + polish), median of {repeats}; baseline = the two "
          "products X W^T and D^T X of one evaluation")
    hdr = (f"{'n':>4} {'d':>3} {'k':>4} {'status':>8} {'evals':>6} {'GFLOP':>7} {'sec':>7} "
           f"{'GFLOP/s':>8} {'us/eval':>8} {'base us':>8} {'ratio':>6}")
    print(hdr)
    rng = np.random.default_rng(0)
    for n, d, k in FITS:
        D = random_dataset(n, d, seed=0)
        res = {}

        def go(D=D, k=k, res=res):
            res["r"] = fit_interpolant(D.X, D.y, k, seed=0)
        t = _median_time(go, repeats)
        r = res["r"]
        X, W, M = D.X, rng.standard_normal((k, d)), rng.standard_normal((n, k))

        def base(X=X, W=W, M=M):
            for _ in range(50):
                X @ W.T
                M.T @ X
        tb = _median_time(base, repeats) / 50
        per_eval = t / max(r.grad_evals, 1)
        gflop = r.grad_evals * flops_per_evaluation(n, k, d) / 1e9
        print(f"{n:>4} {d:>3} {k:>4} {r.status:>8} {r.grad_evals:>6} {gflop:>7.3f} {t:>7.3f} "
              f"{gflop / t:>8.3f} {1e6 * per_eval:>8.1f} {1e6 * tb:>8.1f} "
              f"{per_eval / tb:>6.1f}")


if __name__ == "__main__":
    print(f"BLAS threads: {ARGS.threads}")
    if not ARGS.skip_sweep:
        bench_sweep(ARGS.repeats)
    bench_fit(ARGS.repeats)
