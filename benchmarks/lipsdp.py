"""Benchmark of the certified LipSDP-Neuron bound (numerics/lipsdp.py).

Three tables:

1. scaling: time, objective evaluations, primal-dual gap and peak traced memory of
   ``lipsdp_upper_bound`` for random ReLU networks, k in {16, ..., 10^4}, d in {24, 256}
   (median of ``--repeats`` runs; one run when k d^2 > 10^8), with the ratio to the
   spectral bound;
2. reference SDP: the same problem solved by cvxpy + Clarabel (the optional ``sdp``
   extra) where that is feasible, relative difference of the optimal rho;
3. trained networks: d = 24, n = 192 points on the sphere with random labels, ReLU
   networks of width k fitted by L-BFGS on the squared loss; ratios of the LipSDP
   bound on the unit ball to the spectral and path-norm bounds and to the best
   certified gradient-norm lower bound found.

``--shapes`` instead runs only the user-shape table (issue 18 item 4): d in
{256, 512, 784} with k = 256 and d = 784 with k = 4096, the same networks solved by the
code of the commit ``--baseline`` (default: the one before the barrier solver, exported
with ``git archive``) and by this tree, alternating fresh subprocesses, medians of
``--repeats`` runs, and the ratio d = 784 / d = 256 at k = 256 within each version.

Run: ``python benchmarks/lipsdp.py [--quick | --shapes] [--threads N] [--out results.jsonl]``.
``--threads`` sets OPENBLAS_NUM_THREADS before numpy is imported (on a shared,
oversubscribed machine one thread per process is much faster than two).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import tracemalloc


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small grid, no k = 10^4")
    p.add_argument("--threads", type=int, default=None, help="OPENBLAS_NUM_THREADS")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--no-cvxpy", action="store_true")
    p.add_argument("--skip-scaling", action="store_true")
    p.add_argument("--skip-trained", action="store_true")
    p.add_argument("--ks", type=int, nargs="*", default=None, help="override the k grid")
    p.add_argument("--ds", type=int, nargs="*", default=None, help="override the d grid")
    p.add_argument("--out", default=None, help="append JSON lines here")
    p.add_argument("--shapes", action="store_true",
                   help="only the user-shape table: d in {256, 512, 784}, k = 256, and "
                        "d = 784, k = 4096, before (--baseline commit) and after")
    p.add_argument("--baseline", default=None, help="git commit of the 'before' code")
    p.add_argument("--shapes-worker", default=None, help=argparse.SUPPRESS)
    return p.parse_args()


ARGS = _parse() if __name__ == "__main__" else None
if ARGS is not None and ARGS.threads is not None:
    os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)
    os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)

import numpy as np  # noqa: E402
from scipy.optimize import minimize  # noqa: E402

from numerics.data import rademacher_labels, sphere_data  # noqa: E402
from numerics.domain import Domain  # noqa: E402
from numerics.lipschitz import (  # noqa: E402
    gradient_lower_bound,
    path_norm_upper_bound,
    spectral_upper_bound,
)
from numerics.lipschitz.lipsdp import _reduce, lipsdp_upper_bound  # noqa: E402
from numerics.models import TwoLayerNet  # noqa: E402


def _emit(out, row: dict) -> None:
    if out:
        with open(out, "a") as fh:
            fh.write(json.dumps(row) + "\n")


def random_relu(k: int, d: int, seed: int) -> TwoLayerNet:
    rng = np.random.default_rng(seed)
    return TwoLayerNet(rng.standard_normal(k) / math.sqrt(k),
                       rng.standard_normal((k, d)) / math.sqrt(d),
                       0.5 * rng.standard_normal(k), "relu")


def run_once(net: TwoLayerNet, domain: Domain, **kw):
    tracemalloc.start()
    t0 = time.perf_counter()
    res = lipsdp_upper_bound(net, domain, **kw)
    sec = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return res, sec, peak / 2**20


def scaling(ks, ds, repeats: int, out) -> list[dict]:
    rows = []
    print("\n# scaling (random ReLU nets, domain R^d, tol = 1e-3)")
    print(f"{'d':>4} {'k':>6} {'sec':>8} {'evals':>6} {'gap':>8} {'peakMB':>8} "
          f"{'lipsdp':>9} {'spectral':>9} {'ratio':>6}")
    for d in ds:
        for k in ks:
            net = random_relu(k, d, seed=k + d)
            reps = 1 if k * d * d > 1e8 else repeats
            runs = [run_once(net, Domain.rd()) for _ in range(reps)]
            secs = sorted(r[1] for r in runs)
            res, _, peak = runs[0]
            row = {"table": "scaling", "d": d, "k": k, "seconds_median": secs[len(secs) // 2],
                   "repeats": reps, "evals": res.iterations, "gap": res.gap,
                   "peak_mb": max(r[2] for r in runs), "value": res.value,
                   "spectral": res.spectral, "certified": res.certified,
                   "threads": os.environ.get("OPENBLAS_NUM_THREADS", "default")}
            rows.append(row)
            _emit(out, row)
            print(f"{d:>4} {k:>6} {row['seconds_median']:>8.2f} {res.iterations:>6} "
                  f"{res.gap:>8.1e} {row['peak_mb']:>8.1f} {res.value:>9.4f} "
                  f"{res.spectral:>9.4f} {res.value / res.spectral:>6.3f}", flush=True)
    return rows


SHAPES = ((256, 256), (512, 256), (784, 256), (784, 4096))
#: The commit before issue 18 item 4 (row-space first-order optimizer only): "before".
BASELINE_REV = "0c817b7"


def _shapes_worker(out: str) -> None:
    """One run of every user shape with whatever ``numerics`` is first on sys.path
    (the baseline's exported tree or this worktree); JSON lines to ``out``."""
    import numerics

    for d, k in SHAPES:
        net = random_relu(k, d, seed=k + d)
        res, sec, _ = run_once(net, Domain.rd())
        with open(out, "a") as fh:
            fh.write(json.dumps({"d": d, "k": k, "seconds": sec, "value": res.value,
                                 "rho": res.rho, "rho_dual": res.rho_dual, "gap": res.gap,
                                 "certified": res.certified, "evals": res.iterations,
                                 "method": res.method, "code": numerics.__file__}) + "\n")


def _export(rev: str) -> str:
    """``numerics`` and ``theory`` of commit ``rev`` in a temporary directory."""
    import subprocess
    import tempfile

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    tmp = tempfile.mkdtemp(prefix="lipsdp_baseline_")
    arch = subprocess.run(["git", "-C", root, "archive", rev, "numerics", "theory"],
                          check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", tmp], input=arch, check=True)
    return tmp


def shapes(repeats: int, out, baseline: str = BASELINE_REV) -> list[dict]:
    """Before/after at the shapes users have: the code of commit ``baseline`` and this
    tree, each in a fresh subprocess per repetition (alternating, so both see the same
    machine load), on the same networks; medians of ``repeats`` runs, and the ratio
    d = 784 over d = 256 (k = 256) within each version."""
    import subprocess
    import tempfile

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    trees = {"before": _export(baseline), "after": here}
    runs: dict = {"before": [], "after": []}
    for _ in range(repeats):
        for name, tree in trees.items():
            fd, path = tempfile.mkstemp(suffix=".jsonl")
            os.close(fd)
            env = dict(os.environ, PYTHONPATH=tree)
            subprocess.run([sys.executable, os.path.abspath(__file__), "--shapes-worker", path]
                           + (["--threads", str(ARGS.threads)] if ARGS.threads else []),
                           check=True, env=env, cwd=tree)
            with open(path) as fh:
                runs[name].append([json.loads(line) for line in fh])
            os.unlink(path)
    rows = []
    med = {}
    print(f"\n# user shapes (random ReLU nets, R^d, tol = 1e-3), medians of {repeats} runs;"
          f" before = {baseline}, after = this tree")
    print(f"{'d':>4} {'k':>5} {'before s':>9} {'after s':>8} {'speedup':>8} "
          f"{'value before':>13} {'value after':>12} {'rel diff':>9} {'gap before':>10} "
          f"{'gap after':>9}  method after")
    for i, (d, k) in enumerate(SHAPES):
        b = [r[i] for r in runs["before"]]
        a = [r[i] for r in runs["after"]]
        sb = float(np.median([x["seconds"] for x in b]))
        sa = float(np.median([x["seconds"] for x in a]))
        med[(d, k)] = (sb, sa)
        row = {"table": "shapes", "d": d, "k": k, "repeats": repeats, "baseline": baseline,
               "seconds_before": sb, "seconds_after": sa,
               "seconds_before_all": [x["seconds"] for x in b],
               "seconds_after_all": [x["seconds"] for x in a],
               "value_before": b[0]["value"], "value_after": a[0]["value"],
               "gap_before": b[0]["gap"], "gap_after": a[0]["gap"],
               "evals_before": b[0]["evals"], "evals_after": a[0]["evals"],
               "method_before": b[0]["method"], "method_after": a[0]["method"],
               "threads": os.environ.get("OPENBLAS_NUM_THREADS", "default")}
        rows.append(row)
        _emit(out, row)
        print(f"{d:>4} {k:>5} {sb:>9.2f} {sa:>8.2f} {sb / sa:>8.2f} {b[0]['value']:>13.7f} "
              f"{a[0]['value']:>12.7f} {a[0]['value'] / b[0]['value'] - 1:>9.1e} "
              f"{b[0]['gap']:>10.1e} {a[0]['gap']:>9.1e}  {a[0]['method']}", flush=True)
    rb = med[(784, 256)][0] / med[(256, 256)][0]
    ra = med[(784, 256)][1] / med[(256, 256)][1]
    print(f"ratio d=784 / d=256 at k = 256 (same run): before {rb:.2f}, after {ra:.2f}")
    _emit(out, {"table": "shapes_ratio", "before": rb, "after": ra})
    return rows


def reference_sdp(net: TwoLayerNet, domain: Domain):
    """Optimal rho of the same LipSDP-Neuron problem by cvxpy + Clarabel (None when
    cvxpy is not installed)."""
    try:
        import cvxpy as cp
    except ImportError:
        return None
    red = _reduce(net, domain)
    kF, d = red.kF, red.d
    T = cp.Variable(kF)
    rho = cp.Variable()
    al, be, W, a, u = red.alphaF, red.betaF, red.WF, red.aF, red.u
    top = rho * np.eye(d) - np.outer(u, u) + 2 * W.T @ cp.diag(cp.multiply(T, al * be)) @ W
    off = -W.T @ cp.diag(cp.multiply(T, al + be)) - np.outer(u, a)
    bot = 2 * cp.diag(T) - np.outer(a, a)
    M = cp.bmat([[top, off], [off.T, bot]])
    prob = cp.Problem(cp.Minimize(rho), [(M + M.T) / 2 >> 0, T >= 0])
    t0 = time.perf_counter()
    prob.solve(solver=cp.CLARABEL)
    return float(rho.value), time.perf_counter() - t0, prob.status


def reference(cases, out) -> list[dict]:
    rows = []
    print("\n# reference SDP (cvxpy + Clarabel) vs lipsdp (tol = 1e-6)")
    try:
        import cvxpy  # noqa: F401
    except ImportError:
        print("cvxpy not installed (pip install '.[sdp]'): skipped")
        return rows
    print(f"{'act':>14} {'dom':>10} {'d':>4} {'k':>4} {'rho_ours':>12} {'rho_cvx':>12} "
          f"{'rel':>9} {'dual_rel':>9} {'sec_ours':>8} {'sec_cvx':>8}")
    for act, dom, d, k in cases:
        rng = np.random.default_rng(1000 + k + d)
        net = TwoLayerNet(rng.standard_normal(k), rng.standard_normal((k, d)),
                          rng.standard_normal(k), act)
        res, sec, _ = run_once(net, dom, tol=1e-6)
        ref = reference_sdp(net, dom)
        rho_c, sec_c, status = ref
        row = {"table": "reference", "act": act, "domain": dom.label, "d": d, "k": k,
               "rho": res.rho, "rho_dual": res.rho_dual, "rho_cvxpy": rho_c,
               "rel": res.rho / rho_c - 1, "dual_rel": res.rho_dual / rho_c - 1,
               "seconds": sec, "seconds_cvxpy": sec_c, "status": status}
        rows.append(row)
        _emit(out, row)
        print(f"{act:>14} {dom.label:>10} {d:>4} {k:>4} {res.rho:>12.6f} {rho_c:>12.6f} "
              f"{row['rel']:>9.1e} {row['dual_rel']:>9.1e} {sec:>8.2f} {sec_c:>8.2f}",
              flush=True)
    return rows


def train_relu(X: np.ndarray, y: np.ndarray, k: int, seed: int, iters: int) -> TwoLayerNet:
    """Fit all weights of a ReLU network to (X, y) by L-BFGS on the squared loss."""
    n, d = X.shape
    rng = np.random.default_rng(seed)
    W0 = rng.standard_normal((k, d))
    b0 = 0.1 * rng.standard_normal(k)
    H = np.maximum(X @ W0.T + b0, 0.0)
    a0 = np.linalg.lstsq(H, y, rcond=None)[0]  # output layer first
    sizes = (k, k * d, k)

    def unpack(th):
        a = th[:k]
        W = th[k:k + k * d].reshape(k, d)
        b = th[k + k * d:]
        return a, W, b

    def loss(th):
        a, W, b = unpack(th)
        Z = X @ W.T + b
        H = np.maximum(Z, 0.0)
        r = H @ a - y
        S = (Z > 0) * a * r[:, None]  # (n, k)
        ga = H.T @ r
        gW = S.T @ X
        gb = S.sum(axis=0)
        return 0.5 * float(r @ r), np.concatenate([ga, gW.ravel(), gb])

    th0 = np.concatenate([a0, W0.ravel(), b0])
    assert th0.size == sum(sizes)
    res = minimize(loss, th0, jac=True, method="L-BFGS-B",
                   options={"maxiter": iters, "ftol": 1e-16, "gtol": 1e-10})
    a, W, b = unpack(res.x)
    return TwoLayerNet(a, W, b, "relu")


def trained(widths, iters: int, out) -> list[dict]:
    rows = []
    n, d = 192, 24
    X = sphere_data(n, d, seed=0)
    y = rademacher_labels(n, seed=1)
    dom = Domain.ball(1.0)
    print(f"\n# trained ReLU nets, d = {d}, n = {n}, random labels, domain ball(R=1)")
    print(f"{'k':>4} {'fit_err':>8} {'lower':>8} {'lipsdp':>8} {'spectral':>8} {'path':>8} "
          f"{'sdp/low':>7} {'spec/low':>8} {'path/low':>8} {'sdp/spec':>8} {'sdp/path':>8} "
          f"{'sec':>6}")
    for k in widths:
        net = train_relu(X, y, k, seed=k, iters=iters)
        err = float(np.max(np.abs(net(X) - y)))
        res, sec, _ = run_once(net, dom)
        low, _ = gradient_lower_bound(net, dom, X=X, n_random=2048, steps=100,
                                      polish_top=64, polish_rounds=40, seed=0)
        spec = spectral_upper_bound(net, dom)
        path = path_norm_upper_bound(net, dom)
        row = {"table": "trained", "k": k, "d": d, "n": n, "max_fit_error": err,
               "lower": low, "lipsdp": res.value, "spectral": spec, "path": path,
               "gap": res.gap, "seconds": sec, "n_free": res.n_free,
               "n_linear": res.n_linear, "n_dropped": res.n_dropped}
        rows.append(row)
        _emit(out, row)
        print(f"{k:>4} {err:>8.1e} {low:>8.3f} {res.value:>8.3f} {spec:>8.3f} {path:>8.3f} "
              f"{res.value / low:>7.3f} {spec / low:>8.3f} {path / low:>8.3f} "
              f"{res.value / spec:>8.3f} {res.value / path:>8.3f} {sec:>6.2f}", flush=True)
    return rows


def main() -> int:
    args = ARGS
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'default')}, "
          f"cores={os.cpu_count()}")
    if args.quick:
        ks, ds = (16, 64, 256, 1024), (24, 256)
        cases = [("relu", Domain.rd(), 24, 16), ("relu", Domain.ball(1.0), 24, 16)]
        widths, iters = (100,), 300
    else:
        ks, ds = (16, 64, 256, 1024, 4096, 10_000), (24, 256)
        cases = [(act, dom, 24, k) for k in (16, 32, 64)
                 for act in ("relu", "leaky_relu:0.1", "abs", "tanh")
                 for dom in (Domain.rd(), Domain.ball(1.0))]
        cases += [("relu", Domain.rd(), 24, 100), ("relu", Domain.rd(), 64, 32)]
        widths, iters = (100, 200, 400), 2000
    ks = tuple(args.ks) if args.ks else ks
    ds = tuple(args.ds) if args.ds else ds
    if args.shapes_worker:
        _shapes_worker(args.shapes_worker)
        return 0
    if args.shapes:
        shapes(args.repeats, args.out, args.baseline or BASELINE_REV)
        return 0
    if not args.skip_scaling:
        scaling(ks, ds, args.repeats, args.out)
    if not args.no_cvxpy:
        reference(cases, args.out)
    if not args.skip_trained:
        trained(widths, iters, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
