"""Benchmark: interpolating training at the speed of its arithmetic (issue 17).

For (n, d, k) in {(192, 24, 96), (1000, 64, 256), (4000, 128, 1024)} (ReLU, sphere
data with random labels), in one run:

1. **matmul**: the machine's dense product rate on the shapes of one gradient,
   ``X @ W.T`` (n x d by d x k) and ``D.T @ X`` (k x n by n x d): 4nkd flops.
2. **gradient**: one loss-and-gradient evaluation, counted as
   ``flops_per_evaluation(n, k, d)`` = 4nkd + 9nk flops, for
   - ``reference``: the previous implementation (activation and derivative
     through the sympy-lambdified functions, i.e. ``np.select``; fresh arrays;
     kept here verbatim to measure before/after in one run), and
   - ``fused``: :class:`numerics.construct.fit.Objective` (one fused pass,
     preallocated buffers, ReLU without ``np.select``);
   reported as GFLOP/s and as a fraction of the matmul rate (target >= 1/3 at
   the two larger sizes).
3. **whole fit**: :func:`numerics.construct.fit.fit_interpolant` with the L-BFGS
   stage only (``polish=False``, ``maxiter`` as in the table) and with the
   default polish where it is affordable; the ratio ``fit seconds / (evaluations
   x seconds per gradient)`` (target <= 3), i.e. how much L-BFGS, line searches,
   the Gauss--Newton polish and Python add to the gradient work; scipy's
   L-BFGS-B (before) against the package's compact-form L-BFGS, and the early
   hand-over to Gauss--Newton (``gn_switch``) against polishing only at the end.

Run: ``python benchmarks/fit.py [--repeats 5] [--threads 1] [--sizes 0 1 2]``.
BLAS threads are fixed before numpy is imported (default 1). Timings are the
minimum over repeats (the machine is shared; the minimum is the least disturbed).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

SIZES = [(192, 24, 96), (1000, 64, 256), (4000, 128, 1024)]
#: L-BFGS iterations of the whole-fit measurement, per size.
MAXITER = [3000, 300, 25]
#: (optimizer, polish, gn_switch) of the whole-fit rows: scipy's L-BFGS-B with the
#: polish only after L-BFGS stalls (the previous behaviour), then the package's
#: L-BFGS without and with the early hand-over to Gauss--Newton.
FIT_VARIANTS = [("scipy", False, 0.0), ("lbfgs", False, 0.0), ("scipy", True, 0.0),
                ("lbfgs", True, 0.0), ("lbfgs", True, 1e-2), ("lbfgs", True, 1e-1)]


def _args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--sizes", type=int, nargs="+", default=[0, 1, 2],
                   help="indices into SIZES")
    return p.parse_args()


ARGS = _args() if __name__ == "__main__" else None
if ARGS is not None:
    for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[v] = str(ARGS.threads)

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from numerics.construct import fit as F  # noqa: E402
from numerics.data import random_dataset  # noqa: E402
from theory.activations import get_activation  # noqa: E402


def reference_loss_and_gradient(theta, X, y, k, psi, dpsi):
    """The implementation before issue 17 (unregularized part), verbatim."""
    d = X.shape[1]
    a, W, b = theta[:k], theta[k:k + k * d].reshape(k, d), theta[k + k * d:]
    Z = X @ W.T + b
    H = psi(Z)
    r = H @ a - y
    L = 0.5 * float(r @ r)
    ga = H.T @ r
    D = np.outer(r, a) * dpsi(Z)
    gW = D.T @ X
    gb = D.sum(axis=0)
    return L, np.concatenate([ga, gW.ravel(), gb])


def _best(fn, repeats: int, inner: int = 1) -> float:
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        ts.append((time.perf_counter() - t0) / inner)
    return min(ts)


def _inner(flops: float) -> int:
    return max(1, int(2e8 / flops))   # about 0.02 s per timing at 10 GFLOP/s


def bench_size(n: int, d: int, k: int, maxiter: int, repeats: int) -> dict:
    D = random_dataset(n, d, seed=0)
    X, y = D.X, D.y
    rng = np.random.default_rng(0)
    theta = F._init(n, d, k, rng, 1.0)
    W = theta[k:k + k * d].reshape(k, d)
    M = rng.standard_normal((n, k))
    mm_flops = 4.0 * n * k * d
    g_flops = float(F.flops_per_evaluation(n, k, d))
    inner = _inner(g_flops)
    t_mm = _best(lambda: (X @ W.T, M.T @ X), repeats, inner)
    act = get_activation("relu")
    t_ref = _best(lambda: reference_loss_and_gradient(theta, X, y, k, act.numeric,
                                                      act.numeric_derivative), repeats, inner)
    obj = F.Objective(X, y, k, "relu")
    t_fused = _best(lambda: obj(theta), repeats, inner)
    L0, g0 = reference_loss_and_gradient(theta, X, y, k, act.numeric, act.numeric_derivative)
    L1, g1 = obj(theta)
    assert abs(L1 - L0) <= 1e-10 * max(1.0, abs(L0)) and np.allclose(g1, g0, rtol=1e-10,
                                                                      atol=1e-12)
    fits = {}
    for opt, pol, sw in FIT_VARIANTS:
        if pol and n > 1000:
            continue
        res = {}

        def go(opt=opt, pol=pol, sw=sw, res=res):
            res["r"] = F.fit_interpolant(X, y, k, seed=0, maxiter=maxiter, polish=pol,
                                         optimizer=opt, gn_switch=sw)
        t = _best(go, 1 if n > 1000 else max(1, repeats // 2))
        fits[(opt, pol, sw)] = (t, res["r"])
    return {"n": n, "d": d, "k": k, "mm": mm_flops / t_mm / 1e9,
            "ref": g_flops / t_ref / 1e9, "fused": g_flops / t_fused / 1e9,
            "t_grad": t_fused, "fits": fits}


def main() -> None:
    print(f"BLAS threads: {ARGS.threads}; min of {ARGS.repeats} repeats; ReLU; "
          f"numpy {np.__version__}")
    print("\ngradient evaluation: GFLOP/s and fraction of the matmul rate (target >= 1/3)")
    print(f"{'n':>5} {'d':>4} {'k':>5} {'matmul':>8} {'ref':>8} {'ref/mm':>7} {'fused':>8} "
          f"{'fused/mm':>9} {'speed-up':>9}")
    rows = []
    for i in ARGS.sizes:
        n, d, k = SIZES[i]
        row = bench_size(n, d, k, MAXITER[i], ARGS.repeats)
        rows.append(row)
        print(f"{n:>5} {d:>4} {k:>5} {row['mm']:>8.2f} {row['ref']:>8.2f} "
              f"{row['ref'] / row['mm']:>7.2f} {row['fused']:>8.2f} "
              f"{row['fused'] / row['mm']:>9.2f} {row['fused'] / row['ref']:>9.1f}", flush=True)
    print("\nwhole fit: seconds, evaluations, iterations and fit / (evals x gradient) "
          "(target <= 3)")
    print(f"{'n':>5} {'d':>4} {'k':>5} {'optim':>6} {'polish':>7} {'switch':>6} {'status':>9} "
          f"{'iters':>6} {'evals':>6} {'GN':>3} {'sec':>8} {'GFLOP/s':>8} {'ratio':>6}")
    for row in rows:
        for (opt, pol, sw), (t, r) in row["fits"].items():
            grad_work = r.grad_evals * row["t_grad"]
            gf = r.grad_evals * F.flops_per_evaluation(row["n"], row["k"], row["d"]) / t / 1e9
            print(f"{row['n']:>5} {row['d']:>4} {row['k']:>5} {opt:>6} {str(pol):>7} {sw:>6g} "
                  f"{r.status:>9} {r.lbfgs_iterations:>6} {r.grad_evals:>6} "
                  f"{r.gn_iterations:>3} {t:>8.3f} {gf:>8.2f} {t / grad_work:>6.2f}")


if __name__ == "__main__":
    main()
