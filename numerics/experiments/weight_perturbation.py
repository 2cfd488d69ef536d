r"""S4 experiment: training with and without the certified-margin penalty across
weight-perturbation budgets (docs/mathematics.md#s4-weight-perturbations).

For every data set (two-class and multi-class Gaussian blobs; scikit-learn's
``load_digits`` when scikit-learn is installed), seed and budget
:math:`\epsilon` (the same for every layer), two depth-2 relu classifiers are
trained by Adam (:func:`numerics.certify.perturbation_training.train_classifier`):
plain cross-entropy (``penalty = 0``, one model for all budgets) and cross-entropy
plus the hinge on the certified margin at that budget. Measured on the test set:

- ``clean``: test accuracy;
- ``certified``: fraction of test points certified robust (every network in the
  budget classifies them correctly; a **proved** lower bound on the robust fraction);
- ``pointwise_attacked``: fraction still correct at their own optimized worst
  perturbation (an **upper estimate** of the robust fraction);
- ``attacked``: accuracy under the single perturbation the optimizer finds
  against the whole test set (an upper estimate of the worst-case accuracy);
- ``gap``: test error minus training error, beside the generalization
  corollary's bound on it (``bound_gap_clean``; for every network in the budget:
  ``bound_robust``). The corollary needs the class fixed before the sample; the
  class here is centred at the trained network, so it is a diagnostic.

Rows are JSON lines, one per (data set, seed, budget, penalty) (:func:`wp_specs`,
:func:`wp_run`), run by :func:`numerics.experiments.runner.run_grid`: an
interrupted run resumes, failures are recorded, any executor.

Examples
--------
>>> X, y, Xt, yt = make_dataset("two-class", seed=0, n_train=20, n_test=10)
>>> X.shape, int(y.max()), Xt.shape
((20, 8), 1, (10, 8))
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from numerics._validate import as_positive_int, as_rng
from numerics.certify.perturbation import certified_margins
from numerics.certify.perturbation_generalization import generalization_bound
from numerics.certify.perturbation_search import dataset_attack, worst_case_margins
from numerics.certify.perturbation_training import train_classifier
from numerics.records import save_figure
from numerics.shipped_data import digits_available, load_digits_dataset

__all__ = [
    "DATASETS",
    "WPConfig",
    "WPSpec",
    "digits_available",
    "evaluate",
    "make_dataset",
    "plot_results",
    "results_table",
    "run_experiment",
    "summarize",
    "wp_grid",
    "wp_run",
    "wp_specs",
]

DATASETS = ("two-class", "multi-class", "digits")
_NAMES = {"two-class": "two Gaussian blobs", "multi-class": "four Gaussian blobs",
          "digits": "scikit-learn digits"}


def _load_digits():
    # grey levels in [0, 1], not centred (numerics.shipped_data, the one digits loader)
    try:
        return load_digits_dataset(center=False, scale="pixels")
    except ModuleNotFoundError as exc:
        raise ValueError("datasets: 'digits' needs scikit-learn (pip install scikit-learn, "
                         "or robustlaw's [data] extra); drop it from the data sets") from exc


def make_dataset(name: str, *, seed, n_train: int, n_test: int):
    r"""Train and test sets, inputs with :math:`\|x\|_\infty` of order 1.

    ``two-class``: :math:`x\sim N(\pm\mu, I_8)`, :math:`\|\mu\| = 1.5`;
    ``multi-class``: four classes, :math:`x\sim N(\mu_c, I_8)` with random centres of
    norm 2.5; ``digits``: 8x8 images scaled to [0, 1] (random split, at most the
    1797 available points).

    Returns
    -------
    X, y, X_test, y_test
    """
    rng = as_rng(seed)
    n_train = as_positive_int(n_train, "n_train")
    n_test = as_positive_int(n_test, "n_test")
    if name == "digits":
        X, y = _load_digits()
        perm = rng.permutation(X.shape[0])
        if n_train + n_test > perm.size:
            raise ValueError(f"n_train: n_train + n_test must be <= {perm.size} for digits")
        tr, te = perm[:n_train], perm[n_train:n_train + n_test]
        return X[tr], y[tr], X[te], y[te]
    if name not in ("two-class", "multi-class"):
        raise ValueError(f"datasets: unknown data set {name!r}; expected one of {DATASETS}")
    K, norm = (2, 1.5) if name == "two-class" else (4, 2.5)
    centres = rng.standard_normal((K, 8))
    centres *= norm / np.linalg.norm(centres, axis=1, keepdims=True)
    if K == 2:
        centres[1] = -centres[0]
    n = n_train + n_test
    y = rng.integers(0, K, size=n)
    X = centres[y] + rng.standard_normal((n, 8))
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


@dataclass(frozen=True)
class WPConfig:
    """Grid and optimizer sizes. ``fast()`` is the ``robustlaw reproduce`` setting."""

    datasets: tuple = DATASETS
    seeds: tuple = (0, 1, 2)
    epss: tuple = (0.01, 0.03, 0.1, 0.3)
    hidden: int = 32
    n_train: int = 600
    n_test: int = 400
    penalty: float = 1.0
    gamma: float = 1.0
    train_steps: int = 600
    lr: float = 0.01
    attack_steps: int = 30
    attack_starts: int = 2

    @classmethod
    def fast(cls) -> WPConfig:
        return cls(seeds=(0,), epss=(0.03, 0.1), hidden=16, n_train=300, n_test=200,
                   train_steps=300, attack_steps=10, attack_starts=1)

    def to_dict(self) -> dict:
        return {f: (list(v) if isinstance(v, tuple) else v) for f, v in self.__dict__.items()}


def evaluate(net, X, y, Xt, yt, eps, *, seed, steps: int, starts: int) -> dict:
    """Every measurement of the module docstring for one trained network."""
    e = [float(eps)] * net.depth
    cm = certified_margins(net, Xt, yt, e)
    wm = worst_case_margins(net, Xt, yt, e, seed=seed, steps=steps, starts=starts)
    att = dataset_attack(net, Xt, yt, e, seed=seed, steps=3 * steps, starts=starts + 1)
    gb = generalization_bound(net, X, y, e)
    train_err = float(np.mean(np.argmax(net.logits(X), axis=1) != y))
    test_err = float(np.mean(np.argmax(net.logits(Xt), axis=1) != yt))
    return {"clean": 1 - test_err, "train_acc": 1 - train_err, "certified": cm.fraction,
            "pointwise_attacked": wm.fraction, "attacked": att.accuracy,
            "gap": test_err - train_err, "bound_gap_clean": gb["clean"] - train_err,
            "bound_robust": gb["robust"], "complexity_min": float(min(gb["complexity"])),
            "confidence": gb["confidence"], "rho_clean": gb["rho_clean"],
            "norms": net.layer_norms().tolist()}


@dataclass(frozen=True)
class WPSpec:
    """One row: data set, seed, budget ``eps`` and ``penalty`` (0: plain training) of
    ``cfg``."""

    dataset: str
    seed: int
    eps: float
    penalty: float
    cfg: WPConfig

    @property
    def key(self) -> str:
        c = self.cfg
        return (f"wp|{self.dataset}|seed={self.seed}|eps={round(self.eps, 12)!r}|"
                f"penalty={self.penalty!r}|n_train={c.n_train}|train_steps={c.train_steps}|"
                f"attack_steps={c.attack_steps}|hidden={c.hidden}")


def wp_specs(cfg: WPConfig) -> list[WPSpec]:
    """The grid: data sets x seeds x budgets x (plain, penalized).

    >>> [s.key[:22] for s in wp_specs(WPConfig(datasets=("two-class",), seeds=(0,),
    ...                                          epss=(0.1,)))]
    ['wp|two-class|seed=0|ep', 'wp|two-class|seed=0|ep']
    """
    return [WPSpec(name, int(seed), float(eps), float(lam), cfg) for name in cfg.datasets
            for seed in cfg.seeds for eps in cfg.epss for lam in (0.0, cfg.penalty)]


@functools.lru_cache(maxsize=4)
def _plain_net(name: str, seed: int, cfg: WPConfig):
    """The plain (penalty 0) network of (data set, seed): trained once per process and
    shared by every budget (the penalty-free loss does not depend on the budget; it is
    trained at the first budget, as before the grid runner)."""
    data = make_dataset(name, seed=seed, n_train=cfg.n_train, n_test=cfg.n_test)
    K = int(max(data[1].max(), data[3].max())) + 1
    widths = (data[0].shape[1], cfg.hidden, K)
    return train_classifier(data[0], data[1], widths, eps=cfg.epss[0], penalty=0.0,
                            seed=seed, steps=cfg.train_steps, lr=cfg.lr).net


def wp_run(spec: WPSpec) -> dict:
    """The single run of the grid: train (or reuse the plain network) and evaluate."""
    cfg, name, seed, eps, lam = spec.cfg, spec.dataset, spec.seed, spec.eps, spec.penalty
    data = make_dataset(name, seed=seed, n_train=cfg.n_train, n_test=cfg.n_test)
    K = int(max(data[1].max(), data[3].max())) + 1
    widths = (data[0].shape[1], cfg.hidden, K)
    base = {"dataset": name, "seed": int(seed), "eps": float(eps), "penalty": lam,
            "n_train": cfg.n_train, "train_steps": cfg.train_steps,
            "attack_steps": cfg.attack_steps, "hidden": cfg.hidden}
    t0 = time.perf_counter()
    if lam == 0.0:
        net = _plain_net(name, seed, cfg)
    else:
        net = train_classifier(data[0], data[1], widths, eps=eps, penalty=lam,
                               gamma=cfg.gamma, seed=seed, steps=cfg.train_steps,
                               lr=cfg.lr).net
    return {**base, "K": K, "d": widths[0], "n_test": cfg.n_test,
            **evaluate(net, *data, eps, seed=seed, steps=cfg.attack_steps,
                       starts=cfg.attack_starts),
            "seconds": time.perf_counter() - t0}


def wp_grid(cfg: WPConfig, path: str | Path | None = None, progress=None, *,
            workers: int = 1, scheduler: str | None = None, dask_local: int | None = None):
    """Run (or resume) the grid through :func:`numerics.experiments.runner.run_grid`
    (check: :func:`numerics.experiments.consistency.check_wp_record`); returns its
    :class:`numerics.experiments.runner.GridResult`. ``progress``: called with each
    new row."""
    from numerics.experiments.consistency import check_wp_record
    from numerics.experiments.runner import run_grid

    return run_grid(wp_specs(cfg), wp_run, path, workers=workers, scheduler=scheduler,
                    dask_local=dask_local, progress=False, label="weight-perturbation",
                    check=check_wp_record, on_record=progress)


def run_experiment(cfg: WPConfig, path: str | Path | None = None, progress=None,
                   **executor) -> list[dict]:
    """Run the grid (:func:`wp_grid`); with ``path`` rows are kept in a resumable
    JSON-lines file. Returns the rows of this configuration."""
    return wp_grid(cfg, path, progress, **executor).records


_METRICS = ("clean", "certified", "pointwise_attacked", "attacked", "gap", "bound_gap_clean",
            "bound_robust")


def summarize(rows: list[dict]) -> list[dict]:
    """Mean and standard error over seeds per (data set, budget, penalty)."""
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["dataset"], r["eps"], r["penalty"]), []).append(r)
    out = []
    for (name, eps, lam), rs in sorted(groups.items(), key=lambda kv: (
            DATASETS.index(kv[0][0]), kv[0][1], kv[0][2])):
        row = {"dataset": name, "eps": eps, "penalty": lam, "seeds": len(rs), "K": rs[0]["K"]}
        for m in _METRICS:
            v = np.array([r[m] for r in rs], dtype=float)
            row[m] = float(v.mean())
            row[m + "_se"] = float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else 0.0
        out.append(row)
    return out


def plot_results(summary: list[dict], stem: str | Path) -> list[Path]:
    """Two rows of panels, one column per data set: robustness against the budget
    (certified fraction, pointwise attacked fraction, attacked accuracy; with and
    without the penalty) and the generalization gap beside its bound (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in DATASETS if any(s["dataset"] == n for s in summary)]
    fig, axes = plt.subplots(2, len(names), figsize=(4.6 * len(names), 8.2), squeeze=False)
    for j, name in enumerate(names):
        rs = [s for s in summary if s["dataset"] == name]
        ax, bx = axes[0][j], axes[1][j]
        for lam, ls, tag in ((0.0, "--", "plain CE"), (max(s["penalty"] for s in rs), "-",
                                                        "CE + penalty")):
            sel = sorted([s for s in rs if s["penalty"] == lam], key=lambda s: s["eps"])
            x = [s["eps"] for s in sel]
            for key, c, lab in (("certified", "C0", "certified robust"),
                                ("pointwise_attacked", "C1", "robust (attack, upper est.)"),
                                ("attacked", "C2", "accuracy under attack")):
                ax.errorbar(x, [s[key] for s in sel], yerr=[s[key + "_se"] for s in sel],
                            color=c, ls=ls, marker="o", capsize=2, label=f"{lab}, {tag}")
            bx.plot(x, [max(s["gap"], 1e-4) for s in sel], color="C3", ls=ls, marker="s",
                    label=f"measured gap, {tag}")
            bx.plot(x, [s["bound_gap_clean"] for s in sel], color="C4", ls=ls, marker="^",
                    label=f"bound on gap, {tag}")
        budgets = sorted({s["eps"] for s in rs})
        for a in (ax, bx):
            a.set_xscale("log")
            a.set_xticks(budgets, [f"{b:g}" for b in budgets])
            a.minorticks_off()
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"{_NAMES[name]} (K = {rs[0]['K']}): robustness")
        ax.set_xlabel(r"budget $\epsilon$ per layer ($\|\hat W^i - W^i\|_\infty$)")
        ax.set_ylabel("fraction of test points")
        ax.grid(alpha=0.3)
        bx.set_yscale("log")
        bx.axhline(1.0, color="k", lw=0.8, ls=":")
        bx.text(budgets[0], 0.93, " bound 1: vacuous above", fontsize=7, va="top", ha="left")
        bx.set_title(f"{_NAMES[name]}: generalization gap")
        bx.set_xlabel(r"budget $\epsilon$ per layer")
        bx.set_ylabel(r"test error $-$ train error (clipped at $10^{-4}$)")
        bx.grid(alpha=0.3)
    # the gap panels are compared across data sets: one y range for all of them
    vals = [max(s["gap"], 1e-4) for s in summary] + [s["bound_gap_clean"] for s in summary]
    vals = [v for v in vals if v is not None and np.isfinite(v) and v > 0] + [1.0]
    for bx in axes[1]:
        bx.set_ylim(min(vals) / 1.6, max(vals) * 1.6)
    handles, labels = [], []
    for a in (axes[0][0], axes[1][0]):
        h, lab = a.get_legend_handles_labels()
        handles += h
        labels += lab
    fig.legend(handles, labels, loc="lower center", ncol=5, fontsize=7, frameon=False)
    fig.suptitle("Depth-2 ReLU classifiers under weight perturbations: with (solid) and "
                 "without (dashed) the certified-margin penalty", fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return save_figure(fig, stem, dpi=130)


def results_table(summary: list[dict], cfg: WPConfig) -> str:
    """Booktabs table of the summary, every column defined in the caption notes."""
    from theory.latex import render_table

    def pm(s, k):
        from theory.latex import Raw
        return Raw(f"{s[k]:.3f}" + (f" $\\pm$ {s[k + '_se']:.3f}" if s["seeds"] > 1 else ""))

    rows = [{"data": _NAMES[s["dataset"]], "eps": s["eps"],
             "pen": "yes" if s["penalty"] > 0 else "no", "clean": pm(s, "clean"),
             "cert": pm(s, "certified"), "pw": pm(s, "pointwise_attacked"),
             "att": pm(s, "attacked"), "gap": pm(s, "gap"),
             "bgap": pm(s, "bound_gap_clean")} for s in summary]
    notes = ("Mean over seeds ($\\pm$ standard error when there are several). "
             "$\\epsilon$: budget of every layer, $\\|\\hat W^i - W^i\\|_\\infty\\le\\epsilon$. "
             "penalty: trained with the hinge on the certified margin "
             f"($\\lambda = {cfg.penalty}$, $\\gamma = {cfg.gamma}$) or plain cross-entropy. "
             "clean: test accuracy. certified: fraction of test points certified robust "
             "(proved lower bound on the robust fraction). robust (attack): fraction still "
             "correct at their own optimized worst perturbation (upper estimate). "
             "attacked: accuracy under one optimized perturbation of the network against "
             "the whole test set (upper estimate of the worst case). gap: test minus training "
             "error. bound: the corollary's bound on the gap (Massart, best margin on a fixed "
             "grid, $\\delta = 0.05$); the class is centred at the trained network, so it is a "
             f"diagnostic, not a certificate. {cfg.n_train} training and {cfg.n_test} test "
             f"points, hidden width {cfg.hidden}, {cfg.train_steps} Adam steps.")
    return render_table(
        rows, [("data", "data"), ("eps", "$\\epsilon$"), ("pen", "penalty"),
               ("clean", "clean"), ("cert", "certified"), ("pw", "robust (attack)"),
               ("att", "attacked"), ("gap", "gap"), ("bgap", "bound on gap")],
        "Weight perturbations: certified and attacked robustness, generalization gap",
        "tab:weight-perturbation", float_format="{:.3g}", size="small", notes=notes)
