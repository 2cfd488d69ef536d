r"""Experiment S5 (docs/mathematics.md#s5-double-descent): Lipschitz bounds and double
descent [cited: Gamba, Azizpour, Björkman 2023]. Two-layer ReLU networks of width m
trained (full batch, L-BFGS on the squared loss, seeded He-type initialization) on a two-class
Gaussian mixture :math:`x \sim N(y\mu, I_d)` with 20% of the training labels
flipped; fixed test set with clean labels. Recorded per width: train/test
error, the upper bound :math:`\|a\|_2\|W\|_{op}`
(:func:`numerics.lipschitz.spectral_upper_bound` on :math:`\mathbb R^d`) and
the lower bound :math:`\max_{i}\|\nabla f(x_i)\|_2` over training points
strictly inside linear regions (certified); the summary gives the Pearson and
Spearman correlations of the log-bounds with the test error across m.

The grid (:func:`s5_specs`, one run per (seed, width), :func:`s5_run`) runs on
:func:`numerics.experiments.runner.run_grid`: JSON lines appended as runs finish,
resume by ``key``, failures recorded, any executor.

Examples
--------
>>> cfg = S5Config(widths=(2, 4), seeds=(0,), n_train=20, n_test=50, d=3, maxiter=100,
...                restarts=1)
>>> recs = run_s5(cfg)
>>> [r["width"] for r in recs]
[2, 4]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from numerics._validate import as_finite_float, as_positive_int, as_rng
from numerics.construct import loss_and_gradient
from numerics.domain import Domain
from numerics.experiments._shared import _num, _rng, _tag
from numerics.lipschitz import spectral_upper_bound
from numerics.lipschitz.witness import _interior
from numerics.models import TwoLayerNet, he_layers
from numerics.records import save_figure

__all__ = ["S5Config", "S5Spec", "gaussian_mixture", "plot_s5", "run_s5", "s5_grid",
           "s5_record", "s5_run", "s5_specs", "s5_summary", "s5_table", "train_two_layer"]


@dataclass(frozen=True)
class S5Config:
    r"""Experiment S5: ``n_train`` points of :math:`N(y\mu, I_d)` with
    :math:`\|\mu\| =` ``mu_norm``, a fraction ``noise`` of training labels
    flipped (exactly ``round(noise * n_train)``), ``n_test`` clean test
    points; widths, seeds, the L-BFGS iteration cap ``maxiter``, and
    ``restarts`` initializations per width, of which the one with the lowest
    final training loss is kept (tiny widths otherwise sometimes stop in a
    poor local minimum, e.g. m = 2 at 61% training error)."""

    widths: tuple[int, ...] = (2, 4, 6, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 56, 64, 80,
                               96, 128, 192, 256, 384, 500)
    seeds: tuple[int, ...] = (0, 1, 2)
    n_train: int = 500
    n_test: int = 2000
    d: int = 10
    mu_norm: float = 1.5
    noise: float = 0.2
    maxiter: int = 5000
    restarts: int = 2

    def __post_init__(self):
        for name in ("n_train", "n_test", "d", "maxiter", "restarts"):
            as_positive_int(getattr(self, name), name)
        if not self.widths or not self.seeds:
            raise ValueError("widths: S5 needs at least one width and one seed")
        for m in self.widths:
            as_positive_int(m, "widths")
        if not 0 <= as_finite_float(self.noise, "noise") <= 1:
            raise ValueError(f"noise: must be in [0, 1], got {self.noise}")
        as_finite_float(self.mu_norm, "mu_norm", nonnegative=True)

    @classmethod
    def fast(cls) -> S5Config:
        """``robustlaw reproduce``: 12 widths from 2 to 500, one seed,
        ``maxiter = 1500``, 2 restarts."""
        return cls(widths=(2, 5, 10, 20, 30, 40, 50, 70, 100, 200, 350, 500), seeds=(0,),
                   maxiter=1500)


def gaussian_mixture(n: int, d: int, seed, *, mu_norm: float = 1.5,
                     noise: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Two-class mixture :math:`x = y\mu + z`, :math:`z \sim N(0, I_d)`,
    :math:`\mu = \|\mu\| e_1`, balanced clean labels :math:`y`; a uniformly
    random set of ``round(noise * n)`` labels is flipped.

    Returns ``(X (n, d), y_observed (n,), y_clean (n,))``. The Bayes error
    against clean labels is :math:`\Phi(-\|\mu\|)`.

    Examples
    --------
    >>> X, y, yc = gaussian_mixture(10, 3, seed=0, noise=0.2)
    >>> X.shape, int(np.sum(y != yc))
    ((10, 3), 2)
    """
    n = as_positive_int(n, "n")
    d = as_positive_int(d, "d")
    mu_norm = as_finite_float(mu_norm, "mu_norm", nonnegative=True)
    noise = as_finite_float(noise, "noise", nonnegative=True)
    if noise > 1:
        raise ValueError(f"noise: must be in [0, 1], got {noise}")
    rng = as_rng(seed)
    yc = np.ones(n)
    yc[n - n // 2:] = -1.0
    yc = rng.permutation(yc)
    X = rng.standard_normal((n, d))
    X[:, 0] += mu_norm * yc
    y = yc.copy()
    flip = rng.choice(n, size=int(round(noise * n)), replace=False)
    y[flip] *= -1
    return X, y, yc


def train_two_layer(X, y, width: int, seed, *, maxiter: int = 5000) -> tuple[TwoLayerNet, dict]:
    r"""Full-batch L-BFGS (scipy) on :math:`\frac12\sum_i (f(x_i) - y_i)^2`
    over all parameters of a ReLU two-layer network of the given width,
    started from the He-type initialization of :mod:`numerics.models.init`; loss
    and gradient from :func:`numerics.construct.fit.loss_and_gradient` (one source).

    Returns the trained network and ``{'loss', 'iterations', 'converged'}``.

    Examples
    --------
    >>> X, y, _ = gaussian_mixture(40, 2, seed=0)
    >>> net, info = train_two_layer(X, y, 8, seed=0, maxiter=200)
    >>> net.k, info["loss"] < 0.5 * 40
    (8, True)
    """
    from scipy.optimize import minimize

    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    width = as_positive_int(width, "width")
    maxiter = as_positive_int(maxiter, "maxiter")
    Ws, bs, a = he_layers(X.shape[1], [width], seed)
    theta0 = np.concatenate([a, Ws[0].ravel(), bs[0]])

    def psi(z):
        return np.maximum(z, 0.0)

    def dpsi(z):
        return (z >= 0).astype(float)

    res = minimize(loss_and_gradient, theta0, args=(X, y, width, psi, dpsi), jac=True,
                   method="L-BFGS-B",
                   options={"maxiter": maxiter, "maxfun": 2 * maxiter, "gtol": 1e-10,
                            "ftol": 1e-15})
    k, d = width, X.shape[1]
    th = res.x
    net = TwoLayerNet(th[:k], th[k:k + k * d].reshape(k, d), th[k + k * d:], "relu")
    return net, {"loss": float(res.fun), "iterations": int(res.nit),
                 "converged": bool(res.success)}


def s5_record(width: int, seed: int, cfg: S5Config) -> dict:
    r"""Train one width and measure it (see the module docstring).

    ``lower`` is certified: the largest :math:`\|\nabla f(x_i)\|_2` over
    training points strictly inside a linear region (``lower_points`` of
    them); ``upper`` = :math:`\|a\|_2\|W\|_{op}` (relu: :math:`L_\psi = 1`).

    Examples
    --------
    >>> cfg = S5Config(widths=(4,), seeds=(0,), n_train=40, n_test=50, d=2, maxiter=100,
    ...                restarts=1)
    >>> r = s5_record(4, 0, cfg)
    >>> r["lower"] <= r["upper"], 0 <= r["test_error"] <= 1
    (True, True)
    """
    X, y, _ = gaussian_mixture(cfg.n_train, cfg.d, _rng(seed, 1), mu_norm=cfg.mu_norm,
                               noise=cfg.noise)
    Xt, _, yt = gaussian_mixture(cfg.n_test, cfg.d, _rng(seed, 2), mu_norm=cfg.mu_norm)
    runs = [train_two_layer(X, y, width, _rng(seed, 3, width, r), maxiter=cfg.maxiter)
            for r in range(cfg.restarts)]
    net, info = min(runs, key=lambda run: run[1]["loss"])
    f, G = net.value_and_gradient(X)
    ok = _interior(net, X)
    norms = np.linalg.norm(G, axis=1)
    lower = float(norms[ok].max()) * (1 - 1e-12) if np.any(ok) else 0.0
    upper = spectral_upper_bound(net, Domain.rd())
    return {"key": f"s5-m{width}-s{seed}-{_s5_tag(cfg)}", "width": width, "seed": seed,
            "params": width * (cfg.d + 2), "n_train": cfg.n_train,
            "train_error": float(np.mean(np.sign(f) != y)),
            "train_mse": float(np.mean((f - y) ** 2)),
            "test_error": float(np.mean(np.sign(net(Xt)) != yt)),
            "upper": _num(upper), "lower": lower, "lower_points": int(ok.sum()),
            "mean_grad_norm": float(norms.mean()), **info}


def _s5_tag(cfg: S5Config) -> str:
    return _tag({k: v for k, v in asdict(cfg).items() if k not in ("widths", "seeds")})


@dataclass(frozen=True)
class S5Spec:
    """One run of S5: train width ``width`` on data seed ``seed`` of ``cfg``."""

    width: int
    seed: int
    cfg: S5Config

    @property
    def key(self) -> str:
        return f"s5-m{self.width}-s{self.seed}-{_s5_tag(self.cfg)}"


def s5_specs(cfg: S5Config) -> list[S5Spec]:
    """The grid of S5: every (seed, width) of ``cfg``.

    >>> [s.key[:8] for s in s5_specs(S5Config(widths=(4, 8), seeds=(0,)))]
    ['s5-m4-s0', 's5-m8-s0']
    """
    return [S5Spec(int(m), int(s), cfg) for s in cfg.seeds for m in cfg.widths]


def s5_run(spec: S5Spec) -> dict:
    """The single run of the grid: :func:`s5_record` of ``spec``."""
    return s5_record(spec.width, spec.seed, spec.cfg)


def s5_grid(config: S5Config | None = None, path: str | Path | None = None, *,
            workers: int = 1, scheduler: str | None = None, dask_local: int | None = None,
            progress: bool = False):
    """Run (or resume) the grid of S5 through :func:`numerics.experiments.runner.run_grid`
    (check: certified lower <= certified upper); returns the
    :class:`numerics.experiments.runner.GridResult`."""
    from numerics.experiments.consistency import check_lower_upper
    from numerics.experiments.runner import run_grid

    cfg = S5Config() if config is None else config
    return run_grid(s5_specs(cfg), s5_run, path, workers=workers, scheduler=scheduler,
                    dask_local=dask_local, progress=progress, label="s5",
                    check=check_lower_upper)


def run_s5(config: S5Config | None = None, path: str | Path | None = None,
           **executor) -> list[dict]:
    """Run (or resume, as :func:`numerics.experiments.width.run_s1`) experiment S5
    (:func:`s5_grid`); this configuration's records sorted by (seed, width)."""
    return sorted(s5_grid(config, path, **executor).records,
                  key=lambda r: (r.get("seed", -1), r.get("width", -1)))


def _corr(x: np.ndarray, y: np.ndarray) -> tuple[float | None, float | None]:
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None, None
    from scipy.stats import rankdata

    pear = float(np.corrcoef(x, y)[0, 1])
    spear = float(np.corrcoef(rankdata(x), rankdata(y))[0, 1])
    return pear, spear


def s5_summary(records: list[dict]) -> dict:
    r"""Per-width means (and medians) over seeds, the widths of the peaks of
    test error, upper and lower bound, and the Pearson / Spearman
    correlations across widths of the test error with :math:`\log` upper and
    :math:`\log` lower (``corr`` from the means, ``corr_median`` from the
    medians, which one badly conditioned seed cannot dominate).

    Examples
    --------
    >>> recs = [{"width": m, "seed": 0, "test_error": e, "upper": u, "lower": l,
    ...          "train_error": 0.0, "params": 12 * m}
    ...         for m, e, u, l in [(2, .3, 2., 1.), (4, .4, 8., 3.), (8, .2, 4., 2.)]]
    >>> s = s5_summary(recs)
    >>> s["peak_width"]["test_error"], round(s["corr"]["upper"]["pearson"], 3)
    (4, 0.5)
    """
    widths = sorted({r["width"] for r in records})
    mean, median = {}, {}
    for key in ("test_error", "train_error", "upper", "lower"):
        vals = [[r[key] for r in records if r["width"] == m] for m in widths]
        mean[key] = [float(np.mean(v)) for v in vals]
        median[key] = [float(np.median(v)) for v in vals]
    out = {"widths": widths, "mean": mean, "median": median,
           "peak_width": {k: widths[int(np.argmax(v))] for k, v in mean.items()
                          if k != "train_error"},
           "peak_width_median": {k: widths[int(np.argmax(v))] for k, v in median.items()
                                 if k != "train_error"},
           "corr": {}, "corr_median": {}}
    interp = [m for m, e in zip(widths, mean["train_error"], strict=True) if e == 0]
    out["first_interpolating_width"] = interp[0] if interp else None
    for stat, name in ((mean, "corr"), (median, "corr_median")):
        te = np.array(stat["test_error"])
        for key in ("upper", "lower"):
            v = np.array(stat[key])
            pos = v > 0
            pear, spear = _corr(np.log(v[pos]), te[pos])
            out[name][key] = {"pearson": pear, "spearman": spear}
    return out


def plot_s5(records: list[dict], stem: str | Path) -> list[Path]:
    """Figure S5 (PNG and PDF): test/train error (left axis) and the upper
    and lower Lipschitz bounds (right axis, log) against width (log)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = s5_summary(records)
    w = s["widths"]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.plot(w, s["mean"]["test_error"], "o-", color="C3", label="test error (clean labels)")
    ax.plot(w, s["mean"]["train_error"], "x:", color="C1", label="train error (noisy labels)")
    ax.set_xscale("log")
    ax.set_xlabel("width m")
    ax.set_ylabel("error")
    if s["first_interpolating_width"]:
        ax.axvline(s["first_interpolating_width"], color="grey", lw=0.8, ls="--",
                   label="first width with zero training error")
    ax2 = ax.twinx()
    ax2.plot(w, s["mean"]["upper"], "s--", color="C0", label=r"upper $\|a\|_2\|W\|_{\mathrm{op}}$")
    ax2.plot(w, s["mean"]["lower"], "d-", color="C2",
             label=r"lower $\max_i\|\nabla f(x_i)\|_2$")
    ax2.set_yscale("log")
    ax2.set_ylabel("Lipschitz bound")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="lower right", bbox_to_anchor=(1.0, 0.04),
              framealpha=0.9)
    c = {k: s["corr"][k]["pearson"] for k in ("upper", "lower")}
    c = {k: "n/a" if v is None else f"{v:.2f}" for k, v in c.items()}
    n_train = records[0].get("n_train", "?") if records else "?"
    ax.set_title(f"S5: two-layer ReLU networks, {n_train} training points, some labels flipped\n"
                 f"Pearson correlation of test error and log bound across widths: "
                 f"upper {c['upper']}, lower {c['lower']}", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, stem, dpi=120)


def _setting(records: list[dict]) -> str:
    """Training-set size(s) and the seeds averaged over, for the caption."""
    seeds = sorted({int(r["seed"]) for r in records if "seed" in r})
    ns = sorted({int(r["n_train"]) for r in records if "n_train" in r})
    n = f"$n = {', '.join(map(str, ns))}$ training points, " if ns else ""
    return n + f"mean over {len(seeds)} seed" + ("s" if len(seeds) != 1 else "") + \
        (f" ({', '.join(map(str, seeds))})" if seeds else "")


def s5_table(records: list[dict]) -> str:
    """LaTeX (booktabs) table of S5: per width, mean train/test error and
    the two bounds."""
    from theory.latex import render_table

    s = s5_summary(records)
    rows = [{"m": m, "tr": s["mean"]["train_error"][i], "te": s["mean"]["test_error"][i],
             "up": s["mean"]["upper"][i], "lo": s["mean"]["lower"][i]}
            for i, m in enumerate(s["widths"])]
    c = {k: s["corr"][k]["pearson"] for k in ("upper", "lower")}
    c = {k: "n/a" if v is None else f"{v:.3f}" for k, v in c.items()}
    notes = ("Pearson correlation across widths of the test error with the log upper bound: "
             f"{c['upper']}; with the log lower bound: {c['lower']}.")
    return render_table(rows, [("m", "width $m$"), ("tr", "train error"), ("te", "test error"),
                               ("up", r"$\|a\|_2\|W\|_{\mathrm{op}}$"),
                               ("lo", r"$\max_i\|\nabla f(x_i)\|_2$")],
                        caption="S5: two-layer ReLU networks trained on a Gaussian mixture "
                                f"with 20% label noise ({_setting(records)})",
                        label="tab:s5", float_format="{:.3g}", notes=notes) + "\n"
