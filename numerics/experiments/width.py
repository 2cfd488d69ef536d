r"""Experiment S1 (docs/mathematics.md#s1-random-relu-networks): Lipschitz constants of
random ReLU networks across width.

**S1, random ReLU networks at initialization** [cited: Geuchen, Telaar,
Stöger, Voigtlaender 2025; Dirksen et al. 2025]. With the He-type
normalization of :mod:`numerics.models.init` (hidden :math:`N(0, 2/N_\ell)`, output
:math:`N(0,1)`, symmetric biases), shallow networks have
:math:`\mathrm{Lip}_2 \asymp \sqrt d` and :math:`\mathrm{Lip}_\infty \asymp d`
with high probability once the width is large enough; deep networks have upper
and lower bounds within a factor of order :math:`\log(\text{width})\times
\text{depth}`. We measure, for each network, a **certified lower bound**
(:func:`numerics.lipschitz.lp_lower_bound`, with witness) and the best
**certified upper bound** (two-layer: path-norm / operator-norm / box /
:math:`\ell_2`-conversion forms; deep: product of operator norms), on
:math:`\mathbb R^d`, and report :math:`L_2/\sqrt d` and :math:`L_\infty/d` for
both. The cited theorem is about the true constant, which lies between them;
the per-instance certified upper bounds are generic (they do not use the
randomness) and grow with the width, so only the lower side of the band is
confirmed per instance.

S5 (double descent) lives in :mod:`numerics.experiments.double_descent`; its public names
are re-exported here, so that ``width`` serves both experiments of the
``random-networks`` command.

The grid (:func:`s1_specs`, one run per network, :func:`s1_run`) runs on
:func:`numerics.experiments.runner.run_grid`: JSON lines appended as runs finish,
resume by ``key`` (records already in the file are not recomputed), failures
recorded, any executor.

Examples
--------
>>> cfg = S1Config(dims=(2,), widths=(4,), seeds=(0,), deep_d=2, deep_widths=(4,),
...                deep_depths=(2,), effort=EFFORT_FAST)
>>> recs = run_s1(cfg)
>>> sorted({r["kind"] for r in recs})
['deep', 'shallow']
>>> all(r["lower"] <= r["upper"] for r in recs)
True
"""


from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from numerics.domain import Domain
from numerics.experiments._shared import _num, _rng, _tag, config_dict
from numerics.experiments.double_descent import (  # noqa: F401  (re-exported)
    S5Config,
    S5Spec,
    gaussian_mixture,
    plot_s5,
    run_s5,
    s5_grid,
    s5_record,
    s5_run,
    s5_specs,
    s5_summary,
    s5_table,
    train_two_layer,
)
from numerics.lipschitz import (
    box_upper_bound_lp,
    conversion_upper_bound_lp,
    dual_exponent,
    exact_lp_lipschitz,
    lp_lower_bound,
    lp_norm,
    operator_upper_bound_lp,
    path_norm_upper_bound_lp,
    product_norm_upper_bound,
)
from numerics.lipschitz.norms import _as_p
from numerics.models import TwoLayerNet, he_deep, he_two_layer
from numerics.records import save_figure

__all__ = [
    "EFFORT_FAST",
    "EFFORT_FULL",
    "S1Config",
    "S1Spec",
    "S5Config",
    "S5Spec",
    "config_dict",
    "gaussian_mixture",
    "plot_s1",
    "plot_s5",
    "run_s1",
    "run_s5",
    "s1_grid",
    "s1_run",
    "s1_specs",
    "s1_summary",
    "s1_table",
    "s5_summary",
    "s5_table",
    "train_two_layer",
]

INF = math.inf


#: Search effort of the lower bounds (arguments of ``lp_lower_bound``).
EFFORT_FAST = {"n_samples": 24, "n_starts": 4, "steps": 6, "polish_rounds": 2}


EFFORT_FULL = {"n_samples": 256, "n_starts": 16, "steps": 40, "polish_rounds": 10}


def _p_key(p: float) -> str:
    return "inf" if p == INF else str(int(p))


def _default_widths(d: int) -> tuple[int, ...]:
    grid = [d, 4 * d, 100, 1000, 10_000]
    return tuple(sorted({w for w in grid if d <= w <= 10_000}))


@dataclass(frozen=True)
class S1Config:
    r"""Grid of experiment S1.

    For each d the widths are d itself and the entries of ``widths`` that are
    >= d; ``widths=None`` uses ``{d, 4d, 100, 1000, 10000}`` restricted to
    ``[d, 10^4]``. ``ps`` are the input norms for shallow networks,
    ``deep_ps`` for deep ones. ``effort`` is passed to
    :func:`numerics.lipschitz.search.lp_lower_bound`. Shallow networks with
    :math:`d \le 3` and width at most ``exact_max_width`` also get the exact
    constant (region enumeration; about 7 s at d = 2, N = 300).
    """

    dims: tuple[int, ...] = (2, 4, 8, 16, 32, 64, 128, 256)
    widths: tuple[int, ...] | None = None
    seeds: tuple[int, ...] = (0, 1, 2)
    ps: tuple[float, ...] = (2.0, INF)
    deep_d: int = 8
    deep_widths: tuple[int, ...] = (32, 128, 512, 2048)
    deep_depths: tuple[int, ...] = (1, 2, 3, 4, 6)
    deep_ps: tuple[float, ...] = (2.0, INF)
    effort: dict = field(default_factory=lambda: dict(EFFORT_FULL))
    exact_max_width: int = 300

    @classmethod
    def fast(cls) -> S1Config:
        """The configuration of ``robustlaw reproduce``: d in {2, 8, 32, 128},
        widths {d, 1000, 10000}, one seed, p in {2, inf}; deep d = 8,
        widths {32, 256, 2048}, depths {1, 2, 4}, p = 2; light search."""
        return cls(dims=(2, 8, 32, 128), widths=(1000, 10_000), seeds=(0,),
                   deep_widths=(32, 256, 2048),
                   deep_depths=(1, 2, 4), deep_ps=(2.0,), effort=dict(EFFORT_FAST))

    def widths_for(self, d: int) -> tuple[int, ...]:
        """The widths used for input dimension d: always d itself, plus the
        configured widths >= d (default grid when ``widths`` is None)."""
        if self.widths is None:
            return _default_widths(d)
        return tuple(sorted({d} | {int(w) for w in self.widths if w >= d}))


def _shallow_uppers(net: TwoLayerNet, p: float) -> dict:
    dom = Domain.rd()
    ups = {"path_norm": path_norm_upper_bound_lp(net, dom, p),
           "operator_norm": operator_upper_bound_lp(net, dom, p),
           "l2_conversion": conversion_upper_bound_lp(net, dom, p)}
    box = box_upper_bound_lp(net, dom, p) if p != 2.0 else None
    if box is not None:
        ups["box"] = box
    return ups


def s1_shallow_record(d: int, width: int, seed: int, p, effort: dict,
                      exact_max_width: int = 300) -> dict:
    r"""One shallow He-type network: certified lower/upper bounds on
    :math:`\mathrm{Lip}_{p,\mathbb R^d}` and the normalizations
    :math:`\sqrt d` (p = 2) or :math:`d` (p = inf); ``typical`` is the mean of
    :math:`\|\nabla f(x)\|_q` at the random search points (an estimate, not a
    bound); ``exact`` is the enumerated constant when :math:`d \le 3` and
    ``width <= exact_max_width`` (else None).

    Examples
    --------
    >>> r = s1_shallow_record(2, 8, 0, 2, EFFORT_FAST)
    >>> r["lower"] <= r["upper"], r["norm"] == round(2 ** 0.5, 12)
    (True, True)
    """
    p = _as_p(p)
    net = he_two_layer(d, width, seed=_rng(seed, d, width))
    low, wit, method = lp_lower_bound(net, Domain.rd(), p, seed=seed, **effort)
    ups = _shallow_uppers(net, p)
    up = min(ups, key=ups.get)
    norm = math.sqrt(d) if p == 2.0 else (float(d) if p == INF else 1.0)
    rng = _rng(seed, d, width, 7)
    Xs = rng.standard_normal((64, d))
    typical = float(np.mean(lp_norm(net.gradient(Xs), dual_exponent(p))))
    exact = None
    if d <= 3 and width <= exact_max_width:
        exact, _ = exact_lp_lipschitz(net, Domain.rd(), p)
    tag = _tag({**effort, "exact_max_width": exact_max_width})
    return {"key": f"shallow-d{d}-N{width}-s{seed}-p{_p_key(p)}-{tag}",
            "kind": "shallow",
            "d": d, "width": width, "depth": 1, "seed": seed, "p": _p_key(p),
            "norm": round(norm, 12), "lower": low, "lower_method": method,
            "witness": None if wit is None else wit.to_dict(),
            "upper": _num(ups[up]), "upper_method": up,
            "uppers": {k: _num(v) for k, v in ups.items()},
            "typical": typical, "lower_ratio": low / norm, "upper_ratio": _num(ups[up] / norm),
            "typical_ratio": typical / norm, "exact": exact,
            "exact_ratio": None if exact is None else exact / norm}


def s1_deep_record(d: int, width: int, depth: int, seed: int, p, effort: dict) -> dict:
    r"""One deep He-type network (``depth`` hidden layers of ``width``):
    certified lower bound, product-of-norms upper bound, their ratio and
    :math:`\log(\text{width})\times\text{depth}`.

    Examples
    --------
    >>> r = s1_deep_record(2, 8, 2, 0, 2, EFFORT_FAST)
    >>> r["ratio"] >= 1
    True
    """
    p = _as_p(p)
    net = he_deep(d, [width] * depth, seed=_rng(seed, d, width, depth))
    low, wit, method = lp_lower_bound(net, Domain.rd(), p, seed=seed, **effort)
    up = product_norm_upper_bound(net, p)
    return {"key": f"deep-d{d}-N{width}-L{depth}-s{seed}-p{_p_key(p)}-{_tag(effort)}",
            "kind": "deep",
            "d": d, "width": width, "depth": depth, "seed": seed, "p": _p_key(p),
            "lower": low, "lower_method": method,
            "witness": None if wit is None else wit.to_dict(),
            "upper": _num(up), "upper_method": "product_norm",
            "ratio": _num(up / low) if low > 0 else None,
            "log_width_times_depth": math.log(width) * depth}


@dataclass(frozen=True)
class S1Spec:
    """One network of S1: ``kind`` "shallow" (``depth`` 1) or "deep"; ``effort`` as
    sorted (name, value) pairs."""

    kind: str
    d: int
    width: int
    depth: int
    seed: int
    p: float
    effort: tuple
    exact_max_width: int = 300

    @property
    def key(self) -> str:
        eff = dict(self.effort)
        if self.kind == "shallow":
            tag = _tag({**eff, "exact_max_width": self.exact_max_width})
            return f"shallow-d{self.d}-N{self.width}-s{self.seed}-p{_p_key(self.p)}-{tag}"
        return (f"deep-d{self.d}-N{self.width}-L{self.depth}-s{self.seed}-"
                f"p{_p_key(self.p)}-{_tag(eff)}")


def s1_specs(cfg: S1Config) -> list[S1Spec]:
    """The grid of S1: shallow networks (d, width, seed, p), then deep ones.

    >>> cfg = S1Config(dims=(2,), widths=(4,), seeds=(0,), deep_d=2, deep_widths=(4,),
    ...                deep_depths=(2,), ps=(2.0,), deep_ps=(2.0,), effort=EFFORT_FAST)
    >>> [s.key.split("-")[0] for s in s1_specs(cfg)]
    ['shallow', 'shallow', 'deep']
    """
    eff = tuple(sorted(cfg.effort.items()))
    out = [S1Spec("shallow", d, N, 1, s, p, eff, cfg.exact_max_width)
           for d in cfg.dims for N in cfg.widths_for(d) for s in cfg.seeds for p in cfg.ps]
    out += [S1Spec("deep", cfg.deep_d, N, L, s, p, eff, cfg.exact_max_width)
            for N in cfg.deep_widths for L in cfg.deep_depths for s in cfg.seeds
            for p in cfg.deep_ps]
    return out


def s1_run(spec: S1Spec) -> dict:
    """The single run of the grid: :func:`s1_shallow_record` or :func:`s1_deep_record`."""
    if spec.kind == "shallow":
        return s1_shallow_record(spec.d, spec.width, spec.seed, spec.p, dict(spec.effort),
                                 spec.exact_max_width)
    return s1_deep_record(spec.d, spec.width, spec.depth, spec.seed, spec.p,
                          dict(spec.effort))


def s1_grid(config: S1Config | None = None, path: str | Path | None = None, *,
            workers: int = 1, scheduler: str | None = None, dask_local: int | None = None,
            progress: bool = False):
    """Run (or resume) the grid of S1 through :func:`numerics.experiments.runner.run_grid`
    (one run per network, records appended as they finish, every record's certified
    lower bound checked against its certified upper bound); returns the
    :class:`numerics.experiments.runner.GridResult`."""
    from numerics.experiments.consistency import check_lower_upper
    from numerics.experiments.runner import run_grid

    cfg = S1Config() if config is None else config
    return run_grid(s1_specs(cfg), s1_run, path, workers=workers, scheduler=scheduler,
                    dask_local=dask_local, progress=progress, label="s1",
                    check=check_lower_upper)


def run_s1(config: S1Config | None = None, path: str | Path | None = None,
           **executor) -> list[dict]:
    """Run (or resume) experiment S1 (:func:`s1_grid`); returns this configuration's
    records (shallow then deep).

    ``path``: a JSON-lines file; records already in it (same key, i.e. same network
    and search effort) are reused, not recomputed. A run that raises is recorded
    (``status: "error"``, recomputed on the next call) and the others go on.
    ``executor``: ``workers``, ``scheduler``, ``dask_local``, ``progress``.
    """
    return s1_grid(config, path, **executor).records


def s1_summary(records: list[dict]) -> dict:
    r"""Bands and fits behind the S1 figure.

    ``bands[p]``: min/max over all shallow networks of lower/norm,
    typical/norm, upper/norm and exact/norm (where enumerated; norm
    :math:`\sqrt d` or d), and the same
    restricted to width >= 10 d (the "sufficient width" regime).
    ``deep[p]``: least-squares slope and intercept of
    :math:`\log(\text{upper}/\text{lower})` against
    :math:`\log(\text{width})\times\text{depth}`, and of the ratio itself.

    Examples
    --------
    >>> cfg = S1Config(dims=(2,), widths=(4,), seeds=(0,), deep_d=2, deep_widths=(4, 8),
    ...                deep_depths=(1, 2), effort=EFFORT_FAST)
    >>> s = s1_summary(run_s1(cfg))
    >>> s["bands"]["2"]["lower_min"] <= s["bands"]["2"]["lower_max"]
    True
    """
    out: dict = {"bands": {}, "deep": {}}
    sh = [r for r in records if r["kind"] == "shallow"]
    for p in sorted({r["p"] for r in sh}):
        rs = [r for r in sh if r["p"] == p]
        band = {}
        for name in ("lower", "typical", "upper", "exact"):
            vals = [r[f"{name}_ratio"] for r in rs if r[f"{name}_ratio"] is not None]
            wide = [r[f"{name}_ratio"] for r in rs
                    if r[f"{name}_ratio"] is not None and r["width"] >= 10 * r["d"]]
            band[f"{name}_min"] = min(vals) if vals else None
            band[f"{name}_max"] = max(vals) if vals else None
            band[f"{name}_min_wide"] = min(wide) if wide else None
            band[f"{name}_max_wide"] = max(wide) if wide else None
        band["n"] = len(rs)
        out["bands"][p] = band
    dp = [r for r in records if r["kind"] == "deep" and r["ratio"] is not None]
    for p in sorted({r["p"] for r in dp}):
        rs = [r for r in dp if r["p"] == p]
        x = np.array([r["log_width_times_depth"] for r in rs])
        y = np.array([r["ratio"] for r in rs])
        fit: dict = {"n": len(rs), "ratio_min": float(y.min()), "ratio_max": float(y.max()),
                     "ratio_over_logNL_max": float(np.max(y / x)) if np.all(x > 0) else None}
        if len(rs) >= 2 and np.ptp(x) > 0:
            s, c = np.polyfit(x, np.log(y), 1)
            fit["log_ratio_slope"], fit["log_ratio_intercept"] = float(s), float(c)
            s, c = np.polyfit(x, y, 1)
            fit["ratio_slope"], fit["ratio_intercept"] = float(s), float(c)
        out["deep"][p] = fit
    return out


def plot_s1(records: list[dict], stem: str | Path) -> list[Path]:
    """Figure S1 (PNG and PDF at ``stem``): shallow :math:`L_2/\\sqrt d` and
    :math:`L_\\infty/d` against width (means over seeds: lower bound solid,
    upper dashed, exact crosses, one colour per d), and the deep upper/lower
    ratio (geometric mean over seeds) against log(width) x depth."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sh = [r for r in records if r["kind"] == "shallow"]
    dp = [r for r in records if r["kind"] == "deep" and r["ratio"] is not None]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    axes[1].sharey(axes[0])    # both normalized ratios are compared on one scale
    dims = sorted({r["d"] for r in sh})
    cmap = plt.get_cmap("viridis")
    for ax, p, lab in ((axes[0], "2", r"$\mathrm{Lip}_2/\sqrt{d}$"),
                       (axes[1], "inf", r"$\mathrm{Lip}_\infty/d$")):
        labelled = False
        for i, d in enumerate(dims):
            col = cmap(i / max(len(dims) - 1, 1))
            rs = sorted([r for r in sh if r["p"] == p and r["d"] == d], key=lambda r: r["width"])
            if not rs:
                continue
            ws = sorted({r["width"] for r in rs})
            lo = [np.mean([r["lower_ratio"] for r in rs if r["width"] == w]) for w in ws]
            up = [np.mean([r["upper_ratio"] for r in rs if r["width"] == w]) for w in ws]
            ax.plot(ws, lo, "o-", color=col, label=f"d={d}")
            ax.plot(ws, up, "s--", color=col, alpha=0.6)
            ex = [(w, np.mean([r["exact_ratio"] for r in rs if r["width"] == w]))
                  for w in ws if all(r.get("exact_ratio") is not None
                                     for r in rs if r["width"] == w)]
            if ex:
                ax.plot([e[0] for e in ex], [e[1] for e in ex], "x", color="k", ms=8,
                        label=None if labelled else "exact")
                labelled = True
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("width N")
        ax.set_ylabel(lab)
        ax.set_title("shallow ReLU networks at He initialization on $\\mathbb{R}^d$\n"
                     + lab + ": certified lower (solid), upper (dashed), exact (x)",
                     fontsize=9)
        ax.legend(fontsize=7)
    ax = axes[2]
    for p, mk in (("2", "o"), ("inf", "^")):
        rs = [r for r in dp if r["p"] == p]
        if not rs:
            continue
        depths = sorted({r["depth"] for r in rs})
        for j, L in enumerate(depths):
            rr = [r for r in rs if r["depth"] == L]
            ws = sorted({r["width"] for r in rr})
            xs = [math.log(w) * L for w in ws]
            ys = [float(np.exp(np.mean([np.log(r["ratio"]) for r in rr if r["width"] == w])))
                  for w in ws]
            ax.plot(xs, ys, mk + "-", color=plt.get_cmap("plasma")(j / max(len(depths) - 1, 1)),
                    label=f"p={p}, depth {L}")
    ax.set_yscale("log")
    ax.set_xlabel(r"$\log(\mathrm{width})\times\mathrm{depth}$")
    ax.set_ylabel("certified upper / lower")
    ax.set_title(f"deep ReLU networks at He initialization, d = {dp[0]['d'] if dp else '?'}",
                 fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return save_figure(fig, stem, dpi=120)


def _seeds(records: list[dict]) -> str:
    """The seeds of ``records`` in words, for a caption."""
    seeds = sorted({int(r["seed"]) for r in records})
    return f"{len(seeds)} seed" + ("s" if len(seeds) != 1 else "") + \
        f" ({', '.join(map(str, seeds))})"


def _dims(records: list[dict]) -> str:
    """The input dimensions of ``records``, for a caption."""
    ds = sorted({int(r["d"]) for r in records})
    return "$d = " + ", ".join(map(str, ds)) + "$"


def s1_table(records: list[dict]) -> str:
    """LaTeX (booktabs) table of S1: per (d, width), the shallow ratios
    lower/norm and upper/norm for each p, and the deep ratios."""
    from theory.latex import render_table

    sh = [r for r in records if r["kind"] == "shallow"]
    rows = []
    for d, w in sorted({(r["d"], r["width"]) for r in sh}):
        row = {"d": d, "N": w}
        for p in ("2", "inf"):
            rs = [r for r in sh if r["d"] == d and r["width"] == w and r["p"] == p]
            row[f"lo{p}"] = float(np.mean([r["lower_ratio"] for r in rs])) if rs else None
            ups = [r["upper_ratio"] for r in rs if r["upper_ratio"] is not None]
            row[f"up{p}"] = float(np.mean(ups)) if ups else None
            exs = [r["exact_ratio"] for r in rs if r.get("exact_ratio") is not None]
            row[f"ex{p}"] = float(np.mean(exs)) if len(exs) == len(rs) and exs else None
        rows.append(row)
    t1 = render_table(rows, [("d", "$d$"), ("N", "width $N$"),
                             ("lo2", r"lower $/\sqrt d$"), ("ex2", r"exact $/\sqrt d$"),
                             ("up2", r"upper $/\sqrt d$"), ("loinf", r"lower$_\infty/d$"),
                             ("exinf", r"exact$_\infty/d$"), ("upinf", r"upper$_\infty/d$")],
                      caption="S1: certified bounds on $\\mathrm{Lip}_2/\\sqrt d$ and "
                              "$\\mathrm{Lip}_\\infty/d$ of shallow He-type ReLU networks "
                              f"on $\\mathbb{{R}}^d$, mean over {_seeds(sh)}; lower: "
                              "witnessed (search), upper: certified, exact: enumerated "
                              "where every seed's network allows it",
                      label="tab:s1-shallow", float_format="{:.3g}")
    dp = [r for r in records if r["kind"] == "deep"]
    rows = [{"p": r["p"], "N": r["width"], "L": r["depth"], "lo": r["lower"], "up": r["upper"],
             "ratio": r["ratio"], "x": r["log_width_times_depth"]}
            for r in sorted(dp, key=lambda r: (r["p"], r["depth"], r["width"], r["seed"]))]
    t2 = render_table(rows, [("p", "$p$"), ("N", "width"), ("L", "depth"), ("lo", "lower"),
                             ("up", "upper"), ("ratio", "upper/lower"),
                             ("x", r"$\log N\cdot L$")],
                      caption="S1: deep He-type ReLU networks on $\\mathbb{R}^d$ "
                              f"({_dims(dp)}, one row per seed, {_seeds(dp)}), input "
                              "norm $\\ell_p$: certified lower bound (search) and "
                              "product-of-norms upper bound",
                      label="tab:s1-deep", float_format="{:.3g}")
    return t1 + "\n\n" + t2 + "\n"
