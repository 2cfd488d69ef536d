r"""S3 numerics: adversarially trained random-features regression.

Model (``docs/mathematics.md#s3-random-features``; symbolic pieces and conventions
in :mod:`theory.random_features`): :math:`x\sim N(0, I_d)`,
:math:`y = \langle x,\beta\rangle + \xi`, :math:`\xi\sim N(0,\tau^2)`,
:math:`\|\beta\| = 1`; :math:`f(x) = \theta^T\sigma(Wx)` with ``W`` (N, d)
rows uniform on :math:`S^{d-1}` and :math:`\sigma = \mathrm{relu} - 1/\sqrt{2\pi}`.

- **Adversarial training** (convex surrogate, as in the cited paper):
  :math:`\min_\theta \frac1n\sum_i(|y_i - \theta^T\sigma(Wx_i)| + \epsilon\|J\theta\|)^2`
  with :math:`J^TJ = K`, :math:`K = \mathbb E[D(x)WW^TD(x)]`,
  :math:`D(x) = \operatorname{diag}(\mathbb 1[Wx>0])` (:func:`gradient_kernel`,
  derived in :mod:`theory.random_features`); solved by damped Newton on a
  smoothed objective with continuation (:func:`adversarial_train`).
- **Clean test error** :math:`\mathbb E(y - f(x))^2`, computed *exactly* for the
  given :math:`W,\beta,\theta` from the arc-cosine kernel
  (:func:`clean_test_error`): no Monte Carlo.
- **Robust test error** :math:`\mathbb E\sup_{\|\delta\|\le\epsilon}(y - f(x+\delta))^2`
  on fresh test points: :func:`robust_test_error_lower_estimate` maximizes by
  projected gradient ascent from several starts, so it is a **lower estimate**
  (of the empirical robust risk of the test sample);
  :func:`robust_test_error_upper_bound` is a certified upper bound for the same
  sample (local Lipschitz bound of the piecewise-linear f on each ball).
- :func:`sigma2_constant`: :math:`\sigma^2(\psi_1,\tau)` of the cited analysis,
  derived in :mod:`theory.random_features` and checked against
  :func:`best_rf_error_beta_averaged` in the tests.
- The cited saddle-point formula (:mod:`numerics.experiments.rf_theory`) is added
  to the sweep by :func:`add_theory` and :func:`theory_curves`.

Layout: the model and its exact kernels live in
:mod:`numerics.experiments.rf_model`, training and robust estimates in
:mod:`numerics.experiments.rf_training` (all re-exported here); this module holds
the sweep (:func:`run_config`, :func:`run_sweep`, :func:`summarize`), its figure
and its table. The confrontation at growing d is
:mod:`numerics.experiments.rf_confront`.

Examples
--------
>>> inst = RFInstance.sample(d=10, N=20, tau=0.5, seed=0)
>>> X, y = inst.data(40, seed=1)
>>> res = adversarial_train(inst.features(X), y, j_matrix(inst.W), eps=0.1)
>>> bool(clean_test_error(res.theta, inst) > inst.tau**2)
True
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from numerics._validate import as_finite_float, as_positive_int, as_rng
from numerics.experiments.rf_model import (
    RFInstance,
    best_rf_error,
    best_rf_error_beta_averaged,
    clean_test_error,
    feature_kernel,
    features,
    gradient_kernel,
    gradient_norms_squared,
    j_matrix,
    sigma2_constant,
)
from numerics.experiments.rf_training import (
    AdvTrainResult,
    RobustEstimate,
    _mean_se,
    adversarial_objective,
    adversarial_train,
    linearized_robust_error,
    robust_test_error_lower_estimate,
    robust_test_error_upper_bound,
)
from numerics.records import save_figure
from theory.latex import Raw

__all__ = [
    "AdvTrainResult",
    "RFConfig",
    "RFInstance",
    "RobustEstimate",
    "adversarial_objective",
    "adversarial_train",
    "best_rf_error",
    "best_rf_error_beta_averaged",
    "clean_test_error",
    "feature_kernel",
    "features",
    "gradient_kernel",
    "gradient_norms_squared",
    "j_matrix",
    "add_theory",
    "linearized_robust_error",
    "plot_sweep",
    "robust_test_error_lower_estimate",
    "robust_test_error_upper_bound",
    "RFSpec",
    "rf_grid",
    "rf_run",
    "rf_specs",
    "run_config",
    "run_sweep",
    "sigma2_constant",
    "summarize",
    "sweep_table",
    "theory_curves",
    "trend_summary",
]


# ---------------------------------------------------------------------------
# Experiment: one configuration, sweeps (JSON lines, resumable), summaries
# ---------------------------------------------------------------------------
def run_config(*, d: int, psi1: float, psi2: float, eps: float, tau: float, seed: int,
               n_test: int = 1000, steps: int = 20, starts: int = 3) -> dict:
    r"""Train one adversarially trained random-features model and measure it.

    ``N = round(psi1 d)``, ``n = round(psi2 d)``. Returns a JSON-friendly dict with
    the configuration, ``clean`` (exact population error), ``robust_lower``
    (PGA lower estimate on ``n_test`` fresh points) and its ``robust_lower_se``,
    ``robust_upper`` (certified upper bound on the same points),
    ``best_rf_error`` (the model's best possible error for this W),
    ``sigma2`` (:func:`sigma2_constant`), the training objective and timings.
    """
    d = as_positive_int(d, "d")
    psi1 = as_finite_float(psi1, "psi1", positive=True)
    psi2 = as_finite_float(psi2, "psi2", positive=True)
    N = max(1, int(round(psi1 * d)))
    n = max(1, int(round(psi2 * d)))
    rng = as_rng(seed)
    t0 = time.perf_counter()
    inst = RFInstance.sample(d, N, tau, rng)
    X, y = inst.data(n, rng)
    J = j_matrix(inst.W)
    tr = adversarial_train(inst.features(X), y, J, eps)
    Xt, yt = inst.data(as_positive_int(n_test, "n_test"), rng)
    low = robust_test_error_lower_estimate(tr.theta, inst.W, Xt, yt, eps, seed=rng,
                                           steps=steps, starts=starts)
    up = robust_test_error_upper_bound(tr.theta, inst.W, Xt, yt, eps)
    clean_mc, clean_mc_se = _mean_se((yt - inst.features(Xt) @ tr.theta) ** 2)
    lin = linearized_robust_error(tr.theta, inst.W, Xt, yt, eps)
    return {
        "d": d, "psi1": psi1, "psi2": psi2, "N": N, "n": n, "eps": eps, "tau": tau,
        "seed": int(seed) if not isinstance(seed, np.random.Generator) else None,
        "n_test": int(n_test), "steps": steps, "starts": starts,
        "clean": clean_test_error(tr.theta, inst),
        "clean_mc": clean_mc, "clean_mc_se": clean_mc_se,
        "robust_lower": low.mean, "robust_lower_se": low.se,
        "robust_upper": up.mean, "robust_upper_se": up.se,
        "robust_lin": lin.mean, "robust_lin_se": lin.se,
        "best_rf_error": best_rf_error(inst),
        "sigma2": sigma2_constant(psi1, tau),
        "theta_norm": float(np.linalg.norm(tr.theta)),
        "J_theta_norm": float(np.linalg.norm(J @ tr.theta)),
        "train_objective": tr.objective, "train_success": tr.success,
        "seconds": time.perf_counter() - t0,
    }


@dataclass(frozen=True)
class RFSpec:
    """One run of :func:`run_config` (its keyword arguments)."""

    d: int
    psi1: float
    psi2: float
    eps: float
    tau: float
    seed: int
    n_test: int
    steps: int
    starts: int

    @property
    def key(self) -> str:
        return (f"rf|d={self.d}|psi1={round(self.psi1, 9)!r}|psi2={round(self.psi2, 9)!r}|"
                f"eps={round(self.eps, 9)!r}|tau={round(self.tau, 9)!r}|seed={self.seed}|"
                f"n_test={self.n_test}|steps={self.steps}|starts={self.starts}")


def rf_run(spec: RFSpec) -> dict:
    """The single run of the grid: :func:`run_config` of ``spec``."""
    return run_config(**asdict(spec))


def rf_specs(*, d: int, psi1s, psi2: float, epss, tau: float, seeds, n_test: int,
             steps: int, starts: int) -> list[RFSpec]:
    """The grid ``epss x psi1s x seeds`` (in that order).

    >>> [s.key for s in rf_specs(d=4, psi1s=[1], psi2=2, epss=[0.1], tau=0.5, seeds=[0],
    ...                          n_test=5, steps=1, starts=1)]
    ['rf|d=4|psi1=1.0|psi2=2.0|eps=0.1|tau=0.5|seed=0|n_test=5|steps=1|starts=1']
    """
    return [RFSpec(int(d), float(psi1), float(psi2), float(eps), float(tau), int(seed),
                   int(n_test), int(steps), int(starts))
            for eps in epss for psi1 in psi1s for seed in seeds]


def rf_grid(*, path: str | Path | None = None, progress=None, workers: int = 1,
            scheduler: str | None = None, dask_local: int | None = None, **grid):
    """Run (or resume) the grid of :func:`rf_specs` (keyword arguments ``grid``) through
    :func:`numerics.experiments.runner.run_grid`; returns its
    :class:`numerics.experiments.runner.GridResult`. ``progress``: called with each
    new row. No consistency check: ``robust_lower`` is an estimate (an attack), not a
    certified bound, so it is not compared with the certified ``robust_upper``."""
    from numerics.experiments.runner import run_grid

    return run_grid(rf_specs(**grid), rf_run, path, workers=workers, scheduler=scheduler,
                    dask_local=dask_local, progress=False, label="random-features",
                    nonfinite="keep", on_record=progress)


def run_sweep(*, d: int, psi1s, psi2: float, epss, tau: float, seeds, n_test: int,
              steps: int, starts: int, path: str | Path | None = None,
              progress=None, **executor) -> list[dict]:
    """Run :func:`run_config` over the grid ``psi1s x epss x seeds`` (:func:`rf_grid`).

    With ``path``, rows are appended to a JSON-lines file as runs finish; rows
    already present (same configuration) are not recomputed, so an interrupted
    sweep resumes; a run that raises is recorded (``status: "error"``) and re-run
    on the next call. Returns the rows of the grid, in grid order. ``executor``:
    ``workers``, ``scheduler``, ``dask_local``.
    """
    return rf_grid(d=d, psi1s=psi1s, psi2=psi2, epss=epss, tau=tau, seeds=seeds,
                   n_test=n_test, steps=steps, starts=starts, path=path, progress=progress,
                   **executor).records


def summarize(rows: list[dict]) -> list[dict]:
    r"""Group rows by ``(eps, psi1)`` and average over seeds: mean and standard
    error (``std/sqrt(seeds)``) of ``clean``, ``robust_lower``, ``robust_upper``,
    plus ``sigma2``. Sorted by ``eps`` then ``psi1``."""
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["eps"], r["psi1"]), []).append(r)
    out = []
    for (eps, psi1), rs in sorted(groups.items()):
        row = {"eps": eps, "psi1": psi1, "N": rs[0]["N"], "seeds": len(rs),
               "d": rs[0]["d"], "n": rs[0]["n"], "tau": rs[0]["tau"],
               "psi2": rs[0]["psi2"], "sigma2": rs[0]["sigma2"]}
        for key in ("clean", "clean_mc", "robust_lower", "robust_upper", "robust_lin",
                    "best_rf_error"):
            v = np.array([r.get(key, np.nan) for r in rs], dtype=float)
            row[key] = float(v.mean())
            row[key + "_se"] = float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else 0.0
        out.append(row)
    return out


# ---------------------------------------------------------------------------
# Configurations, trend summary, figure and table
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RFConfig:
    """A sweep configuration (:func:`run_sweep` arguments).

    ``fast()`` (``robustlaw reproduce``): d = 40, 3 seeds, a light attack;
    the default is the issue's size d = 100 with 5 seeds. The budgets are the
    issue's 0.1 and 0.3 plus 1.0 (beyond the issue's grid: the budget at which
    the robust error keeps rising with psi1 in our runs).
    """

    d: int = 100
    psi2: float = 2.0
    psi1s: tuple = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
    epss: tuple = (0.1, 0.3, 1.0)
    tau: float = 0.5
    seeds: tuple = (0, 1, 2, 3, 4)
    n_test: int = 1000
    steps: int = 20
    starts: int = 3

    @classmethod
    def fast(cls) -> RFConfig:
        return cls(d=40, psi1s=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0), seeds=(0, 1, 2), n_test=500,
                   steps=10, starts=2)

    def to_dict(self) -> dict:
        return {f: (list(v) if isinstance(v, tuple) else v)
                for f, v in self.__dict__.items()}


def trend_summary(summary: list[dict]) -> dict:
    r"""Per budget: does the clean error fall and the robust error eventually rise
    with :math:`\psi_1`? Compares the largest :math:`\psi_1` with the minimum over
    the grid, in units of the combined standard error (over seeds).

    Returns ``{eps: {...}}`` with ``clean_first/clean_last`` (and SEs),
    ``robust_min_psi1``, ``robust_min``, ``robust_last``, ``robust_rise_z``
    (:math:`(\text{last} - \min)/\sqrt{se_{last}^2 + se_{min}^2}`),
    ``clean_falls`` (last below first by > 2 SE) and ``robust_rises`` (rise_z > 2
    and the minimum not at the last point).
    """
    out = {}
    for eps in sorted({s["eps"] for s in summary}):
        rows = sorted([s for s in summary if s["eps"] == eps], key=lambda s: s["psi1"])
        first, last = rows[0], rows[-1]
        imin = int(np.argmin([r["robust_lower"] for r in rows]))
        rmin = rows[imin]
        se = math.hypot(last["robust_lower_se"], rmin["robust_lower_se"])
        rise_z = (last["robust_lower"] - rmin["robust_lower"]) / se if se > 0 else float("nan")
        cse = math.hypot(first["clean_se"], last["clean_se"])
        out[str(eps)] = {
            "clean_first": first["clean"], "clean_first_se": first["clean_se"],
            "clean_last": last["clean"], "clean_last_se": last["clean_se"],
            "clean_min_psi1": rows[int(np.argmin([r["clean"] for r in rows]))]["psi1"],
            "robust_min_psi1": rmin["psi1"], "robust_min": rmin["robust_lower"],
            "robust_last": last["robust_lower"], "robust_rise_z": rise_z,
            "clean_falls": bool(last["clean"] < first["clean"] - 2 * cse),
            "robust_rises": bool(imin != len(rows) - 1 and rise_z > 2),
        }
    return out


def add_theory(summary: list[dict]) -> list[dict]:
    r"""Add the cited formula (:func:`numerics.experiments.rf_theory.solve_saddle`)
    to each summary row: ``theory_standard`` (:math:`\alpha^{*2}+\sigma^2`),
    ``theory_robust`` (at :math:`\epsilon_{\rm test}=\epsilon`) and
    ``theory_converged`` (False: no interior saddle point, e.g. the
    :math:`\theta = 0` regime; the values are then the solver's best point).
    Continuation along :math:`\psi_1` within each budget."""
    from numerics.experiments import rf_theory as rt

    out, start, last = [], None, None
    for row in sorted(summary, key=lambda r: (r["eps"], r["psi1"])):
        if last != row["eps"]:
            start, last = None, row["eps"]
        sol = rt.solve_saddle(psi1=row["psi1"], psi2=row["psi2"], eps=row["eps"],
                              tau=row["tau"], start=start,
                              max_starts=None if start is None else 3)
        start = sol.x if sol.converged else None
        out.append({**row, "theory_standard": sol.standard_risk,
                    "theory_robust": sol.robust_risk(), "theory_converged": sol.converged})
    return out


def theory_curves(summary: list[dict], points: int = 9) -> dict:
    """Per budget (key ``str(eps)``): :func:`numerics.experiments.rf_report.theory_curve`
    on ``points`` log-spaced values over the summary's psi1 range."""
    from numerics.experiments.rf_report import theory_curve

    out = {}
    for eps in sorted({s["eps"] for s in summary}):
        rows = [s for s in summary if s["eps"] == eps]
        p = [r["psi1"] for r in rows]
        grid = np.geomspace(min(p), max(p), points)
        out[str(eps)] = theory_curve(grid, psi2=rows[0]["psi2"], eps=eps, tau=rows[0]["tau"])
    return out


def plot_sweep(summary: list[dict], stem: str | Path, curves: dict | None = None) -> list[Path]:
    r"""Figure, one panel per budget: on **one** test sample per run, the clean
    error, the robust error's lower estimate (gradient ascent) and its certified
    upper bound (error bars: standard error over seeds); the exact population
    clean error; the cited formula's standard and robust risk (``curves``, from
    :func:`theory_curves`) and :math:`\sigma^2(\psi_1)`. The y axis is cut at 1.25
    times the largest robust lower estimate (or clean error) over all panels, one range
    shared by every panel (the upper bound is then marked as clipped where cut).
    Writes ``stem.png`` and ``stem.pdf``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epss = sorted({s["eps"] for s in summary})
    fig, axes = plt.subplots(1, len(epss), figsize=(5.2 * len(epss), 4.2), squeeze=False,
                             sharey=True)
    # one y range for every panel (they are compared across budgets)
    top = 1.25 * max(float(np.nanmax([s.get("robust_lower", np.nan)
                                      + s.get("robust_lower_se", 0) for s in summary])),
                     float(np.nanmax([s.get("clean", np.nan) for s in summary])))
    for ax, eps in zip(axes[0], epss, strict=True):
        rows = sorted([s for s in summary if s["eps"] == eps], key=lambda s: s["psi1"])
        x = np.array([r["psi1"] for r in rows])

        def col(key, rows=rows):
            return np.array([r.get(key, np.nan) for r in rows], dtype=float)

        for key, mk, ls, lab in (
                ("clean_mc", "o", "-", "clean error (test sample)"),
                ("robust_lower", "s", "-", "robust error (test sample, ascent: lower est.)"),
                ("robust_upper", "^", "--", "robust error (test sample, certified upper bd.)")):
            ax.errorbar(x, col(key), yerr=col(key + "_se"), marker=mk, ls=ls, capsize=3,
                        ms=4, label=lab, alpha=0.6 if ls == "--" else 1.0)
        ax.plot(x, col("clean"), "x", color="C0", label="clean error (exact population)")
        if curves is not None and str(eps) in curves:
            cur = curves[str(eps)]
            ax.plot([c["psi1"] for c in cur], [c["standard"] for c in cur], color="k", lw=1.2,
                    label=r"formula: standard risk ($d\to\infty$)")
            ax.plot([c["psi1"] for c in cur], [c["robust"] for c in cur], color="C3", lw=1.2,
                    label=r"formula: robust risk ($d\to\infty$)")
        xs = np.geomspace(x.min(), x.max(), 100)
        ax.plot(xs, [sigma2_constant(v, rows[0].get("tau", 0.5)) for v in xs], ":", color="k",
                label=r"$\sigma^2(\psi_1)$ (best reachable, $d\to\infty$)")
        ax.set_ylim(0, top)
        if np.max(col("robust_upper")) > top:
            ax.text(0.98, 0.03, "upper bound clipped", transform=ax.transAxes, ha="right",
                    va="bottom", fontsize=7, color="C2")
        ax.set_xscale("log", base=2)
        ax.set_xlabel(r"$\psi_1 = N/d$")
        ax.set_ylabel("squared error")
        ax.set_title(rf"$\epsilon = {eps}$, $d = {rows[0]['d']}$, $n = {rows[0]['n']}$, "
                     rf"$\tau = {rows[0]['tau']}$", fontsize=10)
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=6.5, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                       borderaxespad=0)
    fig.tight_layout()
    return save_figure(fig, stem, dpi=130)


def _pm(m, s):
    return Raw(f"{m:.3f} $\\pm$ {s:.3f}")


def sweep_table(summary: list[dict], config: RFConfig | None = None) -> str:
    """Booktabs table of the summary (via :func:`theory.latex.render_table`); the
    caption defines every column (sample vs population vs formula)."""
    from theory.latex import render_table

    rows = []
    for s in summary:
        th = s.get("theory_converged")
        rows.append({
            "eps": s["eps"], "psi1": s["psi1"], "N": s["N"], "seeds": s["seeds"],
            "clean": _pm(s["clean_mc"], s["clean_mc_se"]),
            "rlow": _pm(s["robust_lower"], s["robust_lower_se"]),
            "rup": _pm(s["robust_upper"], s["robust_upper_se"]),
            "pop": _pm(s["clean"], s["clean_se"]),
            "fstd": Raw("--" if th is None else (f"{s['theory_standard']:.3f}" if th
                                                 else "--$^*$")),
            "frob": Raw("--" if th is None else (f"{s['theory_robust']:.3f}" if th
                                                 else "--$^*$")),
            "sigma2": Raw(f"{s['sigma2']:.3f}"),
        })
    d = summary[0]["d"] if summary else "?"
    n = summary[0]["n"] if summary else "?"
    psi2 = summary[0]["psi2"] if summary else "?"
    notes = ("Mean $\\pm$ standard error over seeds (one trained model per seed). "
             "Sample columns, all on the same fresh test sample of each run: clean = mean "
             "squared error; robust (lower est.) = projected gradient ascent on each point's "
             "$\\epsilon$-ball; robust (upper bd.) = certified bound on the same points, so "
             "clean $\\le$ lower est. $\\le$ upper bd. row by row. Clean (population) = "
             "exact expected error of the same models (arc-cosine kernel), not a sample mean. "
             "Formula columns: the cited saddle point as $d\\to\\infty$ (standard risk "
             "$\\alpha^{*2}+\\sigma^2$, robust risk at $\\epsilon_{\\mathrm{test}}="
             "\\epsilon$); --$^*$ = no interior saddle point found (the $\\theta = 0$ "
             "regime, where the trained model's error is $\\tau^2+1$). "
             "$\\sigma^2$ = best reachable error as $d\\to\\infty$.")
    if config is not None:
        notes += (f" $\\tau = {config.tau}$, {config.n_test} test points, "
                  f"{config.steps} ascent steps from {config.starts} starts.")
    return render_table(
        rows, [("eps", "$\\epsilon$"), ("psi1", "$\\psi_1$"), ("N", "$N$"),
               ("seeds", "seeds"), ("clean", "clean (sample)"),
               ("rlow", "robust, lower est. (sample)"),
               ("rup", "robust, upper bd. (sample)"), ("pop", "clean (population)"),
               ("fstd", "standard (formula)"), ("frob", "robust (formula)"),
               ("sigma2", "$\\sigma^2$")],
        f"Adversarially trained random features, $d = {d}$, $n = {n}$ "
        f"($\\psi_2 = {psi2}$)", "tab:random-features", align="rrrr" + "r" * 7,
        float_format="{:.4g}", size="footnotesize", notes=notes)
