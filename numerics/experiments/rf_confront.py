r"""S3: the cited saddle-point formula confronted with simulation.

Simulation, exactly as the theorem states it: ``W`` (N, d) rows uniform on the
unit sphere, :math:`\sigma = \mathrm{relu} - 1/\sqrt{2\pi}`, no ridge, budget
:math:`\epsilon` in :math:`\ell_2`, :math:`n = \psi_2 d`, :math:`N = \psi_1 d`;
training by :func:`numerics.experiments.rf_training.adversarial_train` (the exact
convex first-order surrogate of the inner maximum, see there). On **one** test
sample per run we measure, for :math:`\epsilon_{\rm test}\in\{0,\epsilon\}`:

- ``clean_pop``: the exact population clean error (arc-cosine kernel);
- ``clean``: the clean error on the test sample (same points as below);
- ``lin``: :math:`(|y_i - f(x_i)| + \epsilon_{\rm test}\|\nabla f(x_i)\|)^2`, the
  **exact** supremum of the linearization of :math:`f` at :math:`x_i` over the
  ball (closed form, Cauchy–Schwarz); an estimate of the true supremum;
- ``low``: projected gradient ascent, a **lower estimate** of the true supremum;
- ``up``: a **certified upper bound** on the true supremum.

The per-d means over seeds are extrapolated to :math:`d\to\infty` by weighted
least squares in :math:`1/d` (:func:`extrapolate`), and compared with
:func:`numerics.experiments.rf_theory.solve_saddle` (:func:`compare`).
Account: ``docs/mathematics.md#s3-random-features``.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from numerics._validate import as_finite_float, as_positive_int, as_rng
from numerics.experiments import rf_theory as rt
from numerics.experiments.rf_model import RFInstance, clean_test_error, j_matrix
from numerics.experiments.rf_training import (
    adversarial_train,
    linearized_robust_error,
    robust_test_error_lower_estimate,
    robust_test_error_upper_bound,
)
from numerics.records import RecordStore

__all__ = ["MEASURES", "compare", "extrapolate", "run_grid", "simulate_point"]

#: Measured quantities: (key, what it is).
MEASURES = (
    ("clean_pop", "clean error, exact population value"),
    ("clean", "clean error, test-sample mean"),
    ("lin", "robust error, exact sup of the linearization (test sample)"),
    ("low", "robust error, gradient-ascent lower estimate (test sample)"),
    ("up", "robust error, certified upper bound (test sample)"),
)


def simulate_point(*, d: int, psi1: float, psi2: float, eps: float, tau: float, seed: int,
                   n_test: int = 500, steps: int = 20, starts: int = 2, wrong_K=None) -> dict:
    r"""One training run and its measures (see the module docstring) on one test
    sample of ``n_test`` points; ``N = round(psi1 d)``, ``n = round(psi2 d)``.

    Examples
    --------
    >>> r = simulate_point(d=20, psi1=1.0, psi2=2.0, eps=0.3, tau=0.5, seed=0, n_test=50,
    ...                    steps=5, starts=1)
    >>> bool(r["low"] <= r["up"]) and bool(r["clean"] <= r["low"])
    True
    """
    d = as_positive_int(d, "d")
    psi1 = as_finite_float(psi1, "psi1", positive=True)
    psi2 = as_finite_float(psi2, "psi2", positive=True)
    eps = as_finite_float(eps, "eps", positive=True)
    N, n = max(1, round(psi1 * d)), max(1, round(psi2 * d))
    rng = as_rng(seed)
    t0 = time.perf_counter()
    inst = RFInstance.sample(d, N, tau, rng)
    X, y = inst.data(n, rng)
    J = j_matrix(inst.W)
    tr = adversarial_train(inst.features(X), y, J, eps)
    Xt, yt = inst.data(as_positive_int(n_test, "n_test"), rng)
    lin = linearized_robust_error(tr.theta, inst.W, Xt, yt, eps)
    low = robust_test_error_lower_estimate(tr.theta, inst.W, Xt, yt, eps, seed=rng,
                                           steps=steps, starts=starts)
    up = robust_test_error_upper_bound(tr.theta, inst.W, Xt, yt, eps)
    clean = (yt - inst.features(Xt) @ tr.theta) ** 2
    return {
        "d": d, "psi1": psi1, "psi2": psi2, "eps": eps, "tau": tau, "seed": int(seed),
        "N": N, "n": n, "n_test": int(n_test), "steps": steps, "starts": starts,
        "clean_pop": clean_test_error(tr.theta, inst),
        "clean": float(clean.mean()), "lin": lin.mean, "low": low.mean, "up": up.mean,
        "grad_norm_pop": float(np.linalg.norm(J @ tr.theta)),
        "train_success": tr.success, "train_gap_bound": tr.suboptimality_bound,
        "seconds": time.perf_counter() - t0,
    }


def _key(r: dict) -> tuple:
    return (r["d"], round(r["psi1"], 9), round(r["psi2"], 9), round(r["eps"], 9),
            round(r["tau"], 9), r["seed"], r["n_test"], r["steps"], r["starts"])


def run_grid(*, settings, psi1s, ds, seeds_for_d, tau: float = 0.5, n_test: int = 500,
             steps: int = 20, starts: int = 2, max_N: int | None = None,
             path: str | Path | None = None, progress=None) -> list[dict]:
    """All points ``settings x psi1s x ds x seeds_for_d(d)`` (``settings`` =
    ``[(psi2, eps), ...]``), smallest ``d`` first, skipping ``N > max_N``;
    resumable JSON lines at ``path`` (:class:`numerics.records.RecordStore`)."""
    store = RecordStore(path, key=_key, nonfinite="keep")
    for d in sorted(ds):
        for psi2, eps in settings:
            for psi1 in psi1s:
                if max_N is not None and round(psi1 * d) > max_N:
                    continue
                for seed in seeds_for_d(d):
                    probe = {"d": d, "psi1": float(psi1), "psi2": float(psi2),
                             "eps": float(eps), "tau": float(tau), "seed": int(seed),
                             "n_test": n_test, "steps": steps, "starts": starts}
                    if _key(probe) in store:
                        continue
                    row = simulate_point(d=d, psi1=psi1, psi2=psi2, eps=eps, tau=tau,
                                         seed=int(seed), n_test=n_test, steps=steps,
                                         starts=starts)
                    store.add(row)
                    if progress is not None:
                        progress(row)
    return store.values()


def extrapolate(ds, means, ses) -> tuple[float, float]:
    r"""Weighted least squares :math:`m(d) = a + b/d` (weights :math:`1/\mathrm{se}^2`);
    returns :math:`(a, \mathrm{se}(a))`. With one size, that size's mean and SE.

    The SE of :math:`a` is the usual :math:`\sqrt{[(X^TWX)^{-1}]_{00}}` (the per-d
    SEs are taken as known).

    Examples
    --------
    >>> a, s = extrapolate([50, 100, 200], [1.2, 1.1, 1.05], [0.01, 0.01, 0.01])
    >>> round(a, 6)
    1.0
    """
    ds = np.asarray(ds, dtype=float)
    m = np.asarray(means, dtype=float)
    se = np.maximum(np.asarray(ses, dtype=float), 1e-12)
    if ds.size == 1:
        return float(m[0]), float(se[0])
    X = np.column_stack([np.ones_like(ds), 1.0 / ds])
    w = 1.0 / se**2
    A = X.T @ (w[:, None] * X)
    cov = np.linalg.inv(A)
    coef = cov @ (X.T @ (w * m))
    return float(coef[0]), float(math.sqrt(cov[0, 0]))


def _per_d(rows, key):
    r"""Per size: (mean over seeds, SE, seeds). The SE uses the variance over seeds
    pooled across the sizes of the group (the test-sample noise, which dominates, does
    not depend on d; with 3-4 seeds per size the per-size variances are too noisy to
    weight a fit by), so it is conservative at the larger sizes."""
    out, dev, dof = {}, 0.0, 0
    for d in sorted({r["d"] for r in rows}):
        v = np.array([r[key] for r in rows if r["d"] == d], dtype=float)
        if v.size >= 2:
            out[d] = [float(v.mean()), v.size]
            dev += float(np.sum((v - v.mean()) ** 2))
            dof += v.size - 1
    s2 = dev / dof if dof else float("nan")
    return {d: (m, math.sqrt(s2 / k), k) for d, (m, k) in out.items()}


def compare(rows: list[dict], *, tau: float = 0.5, wrong=None, measures=("clean_pop", "lin",
            "low", "up")) -> list[dict]:
    r"""Per (psi2, eps, psi1): the formula (standard risk for ``clean_pop``; robust
    risk at :math:`\epsilon_{\rm test} = \epsilon` for the robust measures) against
    the extrapolated simulation: ``theory``, ``sim``, ``se``, ``ratio``
    (sim/theory), ``z`` = (sim − theory)/se (NaN where the solver found no interior
    saddle point: ``theory_boundary`` marks the :math:`\tau_g\to0`, θ = 0 regime),
    and the per-d means."""
    out = []
    groups = sorted({(r["psi2"], r["eps"], r["psi1"]) for r in rows})
    for psi2, eps, psi1 in groups:
        rs = [r for r in rows if (r["psi2"], r["eps"], r["psi1"]) == (psi2, eps, psi1)]
        sol = rt.solve_saddle(psi1=psi1, psi2=psi2, eps=eps, tau=tau, wrong=wrong)
        ok = sol.converged
        for key in measures:
            per = _per_d(rs, key)
            if not per:
                continue
            a, s = extrapolate(list(per), [v[0] for v in per.values()],
                               [v[1] for v in per.values()])
            th = sol.standard_risk if key.startswith("clean") else sol.robust_risk()
            out.append({"psi2": psi2, "eps": eps, "psi1": psi1, "measure": key,
                        "theory": th, "sim": a, "se": s, "ratio": a / th,
                        "z": (a - th) / s if s > 0 and ok else float("nan"),
                        "theory_converged": ok, "theory_boundary": sol.boundary,
                        "per_d": {str(d): list(v) for d, v in per.items()}})
    return out
