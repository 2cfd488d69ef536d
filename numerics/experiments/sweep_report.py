r"""Tables, slopes and the size--robustness figure of a sweep
(docs/mathematics.md#tradeoff-curve) from its records (:mod:`numerics.experiments.sweep`).

**Slopes.** :func:`fit_slopes` regresses :math:`\log \mathrm{Lip}` on
:math:`\log k` per (method, n, d) over exactly-interpolating runs (OLS, 95%
t-interval for the slope); the law of robustness predicts slope -1/2 for the
best possible networks. Where the exact constant is known (``lipschitz.exact``: a
closed branch and bound, or the enumeration for d <= 3) it replaces both ends of the
bracket: ``value="upper"`` is the exact value where closed and the certified upper
bound otherwise, and every slope says how many of its points were exact
(``exact_points``).

Examples
--------
>>> recs = [{"method": "C4", "n": 9, "d": 3, "k": k, "status": "exact",
...          "lipschitz": {"lower": 2 * k ** -0.5}} for k in (1, 4, 16)]
>>> round(fit_slopes(recs)[0]["slope"], 9)
-0.5
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from numerics.experiments.sweep import METHODS
from numerics.names import display_name

__all__ = ["fit_slopes", "plot_tradeoff", "sweep_table", "sweep_table_rows"]


def _lip_value(rec: dict, which: str) -> float | None:
    lip = rec.get("lipschitz")
    if not lip:
        return None
    if which == "lower":  # best certified lower bound: exact, else toolkit or certificate
        if lip.get("exact") is not None:
            v = lip["exact"]
        else:
            v = max(x for x in (lip.get("lower"), rec.get("proven_lower"), 0.0) if x is not None)
    elif which == "upper":  # the exact value where known, else the certified upper bound
        v = lip["exact"] if lip.get("exact") is not None else rec.get("upper")
    else:
        raise ValueError(f"value: expected 'lower' or 'upper', got {which!r}")
    return float(v) if v is not None and v > 0 else None


def fit_slopes(records: Sequence[dict], *, value: str = "lower", level: float = 0.95) -> list[dict]:
    r"""OLS slope of :math:`\log \mathrm{Lip}_{B_1}` against :math:`\log k`,
    per (method, n, d), over runs with ``status == 'exact'``.

    ``value``: ``'lower'`` (the best certified lower bound of the network: its
    exact value when enumerated, else the larger of the toolkit's witnessed
    lower bound and the best applicable certificate ``proven_lower``) or
    ``'upper'`` (the exact value where known, else the best certified upper bound). Groups
    with fewer than two distinct k get no slope. The interval is the
    ``level`` t-interval :math:`\hat\beta \pm t_{m-2}\,\mathrm{se}`
    (None when only two points).

    Returns
    -------
    list of dict
        Keys ``method, n, d, slope, intercept, ci_low, ci_high, points, ks`` and
        ``exact_points`` (how many points used an exact value).

    Examples
    --------
    >>> recs = [{"method": "m", "n": 8, "d": 2, "k": k, "status": "exact",
    ...          "lipschitz": {"lower": 3 * k ** -0.5, "exact": None}} for k in (1, 4, 16)]
    >>> s = fit_slopes(recs)[0]
    >>> round(s["slope"], 9), bool(round(s["ci_low"], 6) == round(s["ci_high"], 6))
    (-0.5, True)
    """
    from scipy import stats

    if not 0 < level < 1:
        raise ValueError(f"level: must be in (0, 1), got {level}")
    groups = defaultdict(list)
    for r in records:
        if r.get("status") != "exact" or not r.get("k"):
            continue
        v = _lip_value(r, value)
        if v is not None:
            groups[(r["method"], r["n"], r["d"])].append((r["k"], v, _is_exact(r)))
    out = []
    for (method, n, d), pts in sorted(groups.items()):
        ks = np.array([p[0] for p in pts], dtype=float)
        vs = np.array([p[1] for p in pts])
        if len(np.unique(ks)) < 2:
            continue
        x, yv = np.log(ks), np.log(vs)
        res = stats.linregress(x, yv)
        m = len(x)
        if m > 2:
            half = float(stats.t.ppf(0.5 + level / 2, m - 2) * res.stderr)
            lo, hi = res.slope - half, res.slope + half
        else:
            lo = hi = None
        out.append({"method": method, "n": n, "d": d, "slope": float(res.slope),
                    "intercept": float(res.intercept),
                    "ci_low": None if lo is None else float(lo),
                    "ci_high": None if hi is None else float(hi),
                    "points": m, "ks": sorted({int(k) for k in ks}), "value": value,
                    "exact_points": sum(p[2] for p in pts)})
    return out


def _is_exact(rec: dict) -> bool:
    """Whether the record carries an exact Lipschitz constant."""
    return (rec.get("lipschitz") or {}).get("exact") is not None


def sweep_table_rows(records: Sequence[dict]) -> list[dict]:
    """One row per (n, d, method, k): runs, exact fits, medians of the
    certified lower / upper bounds on :math:`\\mathrm{Lip}_{B_1}`, of their
    ratio (the bracket), of the best proven lower bound, and
    :math:`\\sqrt{n/k}`."""
    groups = defaultdict(list)
    for r in records:
        groups[(r["n"], r["d"], r["method"], r.get("k") or 0)].append(r)

    def med(vals):
        vals = [v for v in vals if v is not None]
        return float(np.median(vals)) if vals else None

    rows = []
    for (n, d, method, k), rs in sorted(groups.items(), key=lambda t: (t[0][0], t[0][1],
                                                                       t[0][2], t[0][3])):
        ex = [r for r in rs if r.get("status") == "exact"]
        rows.append({"n": n, "d": d, "method": method, "k": k or None, "runs": len(rs),
                     "exact": len(ex),
                     "sqrt_n_over_k": math.sqrt(n / k) if k else None,
                     "lip_lower": med([_lip_value(r, "lower") for r in ex]),
                     "lip_upper": med([_lip_value(r, "upper") for r in ex]),
                     "bracket": med([_bracket(r) for r in ex]),
                     "lip_exact": sum(_is_exact(r) for r in ex),
                     "proven_lower": med([r.get("proven_lower") for r in ex])})
    return rows


def _bracket(record: dict) -> float | None:
    """Certified upper over certified lower Lipschitz bound of one run."""
    lo, up = _lip_value(record, "lower"), _lip_value(record, "upper")
    return up / lo if lo and up is not None else None


def sweep_table(records: Sequence[dict], *, caption: str | None = None) -> str:
    """The sweep as a booktabs table (:func:`theory.latex.render_table`)."""
    from theory.latex import render_table

    rows = [dict(r, method=display_name(r["method"])) for r in sweep_table_rows(records)]
    cols = [("n", "$n$"), ("d", "$d$"), ("method", "method"), ("k", "$k$"),
            ("runs", "runs"), ("exact", "exact fits"), ("sqrt_n_over_k", r"$\sqrt{n/k}$"),
            ("proven_lower", "proven lower"), ("lip_lower", r"Lip$_{B_1}\ge$"),
            ("lip_upper", r"Lip$_{B_1}\le$"), ("bracket", "upper/lower"),
            ("lip_exact", "exact Lip")]
    caption = caption or (r"Interpolating networks on random data ($x_i$ uniform on "
                          r"$S^{d-1}$, Rademacher labels): medians over exact fits of the "
                          r"certified bracket of $\mathrm{Lip}_{B_1}$ and of the best proven "
                          r"lower bound; method: the interpolant (constructions C1--C5 of "
                          r"docs/mathematics.md, or L-BFGS training, plain or with a path-norm "
                          r"penalty), $k$ its neurons; runs: seeds; exact fits: runs that "
                          r"interpolate exactly, over which the medians are taken; exact Lip: "
                          r"how many of them have an exact Lipschitz constant (branch and "
                          r"bound closed, or enumeration), used at both ends of the bracket.")
    return render_table(rows, cols, caption=caption, label="tab:sweep", align="rrlrrrrrrrrr")


_STYLE = {"C1": ("o", "C0"), "C2": ("s", "C1"), "C3": ("^", "C2"), "C4": ("D", "C3"),
          "C5": ("P", "C4"), "fit": ("x", "C5"), "fit_path": ("+", "C6")}


def plot_tradeoff(records: Sequence[dict], out_base: str | Path, *,
                  value: str = "lower") -> list[Path]:
    r"""Lipschitz constant on :math:`B_1` against k, log-log, one panel per
    (n, d): every exact run (markers), per-method medians (lines), the
    reference :math:`\sqrt{n/k}`, the proven lower bounds of each run (grey
    triangles; from :mod:`numerics.certify`), black rings around points whose
    constant is exact (closed branch and bound or enumeration), and the fitted slopes
    with their 95% intervals in the legend. Writes ``out_base.png`` and
    ``out_base.pdf``; returns both paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    from numerics.records import save_figure

    panels = sorted({(r["n"], r["d"]) for r in records})
    if not panels:
        raise ValueError("records: nothing to plot")
    slopes = {(s["method"], s["n"], s["d"]): s for s in fit_slopes(records, value=value)}
    fig, axes = plt.subplots(1, len(panels), figsize=(8.6 * len(panels), 4.8), squeeze=False)
    for ax, (n, d) in zip(axes[0], panels, strict=True):
        rs = [r for r in records if (r["n"], r["d"]) == (n, d) and r.get("status") == "exact"
              and r.get("k")]
        ks_all = sorted({r["k"] for r in rs}) or [1, n]
        ring_label = "exact constant (branch and bound closed)"
        for method in METHODS:
            pts = [(r["k"], _lip_value(r, value), _is_exact(r)) for r in rs
                   if r["method"] == method]
            pts = [p for p in pts if p[1] is not None]
            if not pts:
                continue
            mk, col = _STYLE[method]
            label = display_name(method)
            s = slopes.get((method, n, d))
            if s is not None:
                ci = ("" if s["ci_low"] is None
                      else f" [{s['ci_low']:.2f}, {s['ci_high']:.2f}]")
                label += f": slope {s['slope']:.2f}{ci}"
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], marker=mk, color=col,
                       alpha=0.6, s=22, label=label)
            ex_pts = [p for p in pts if p[2]]
            if ex_pts:
                ax.scatter([p[0] for p in ex_pts], [p[1] for p in ex_pts], marker="o",
                           facecolors="none", edgecolors="k", s=60, lw=0.8, label=ring_label)
                ring_label = None  # one legend entry per panel
            byk = defaultdict(list)
            for k, v, _ in pts:
                byk[k].append(v)
            kk = sorted(byk)
            if len(kk) > 1:
                ax.plot(kk, [float(np.median(byk[k])) for k in kk], color=col, lw=1)
        pl = [(r["k"], r["proven_lower"]) for r in rs if r.get("proven_lower")]
        if pl:
            ax.scatter([p[0] for p in pl], [p[1] for p in pl], marker="v", color="0.5", s=14,
                       label="proven lower bounds (certificates)")
        kgrid = np.geomspace(min(ks_all), max(ks_all), 50)
        ax.plot(kgrid, np.sqrt(n / kgrid), "k--", lw=1, label=r"$\sqrt{n/k}$")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks(ks_all)
        ax.set_xticklabels([str(k) for k in ks_all], fontsize=7)
        ax.set_xlabel("neurons $k$")
        ax.set_ylabel(r"$\mathrm{Lip}_{B_1}$ (certified " + value + ")")
        ax.set_title(f"n = {n}, d = {d}: data uniform on the sphere, random labels; "
                     "unit ball", fontsize=9)
        ax.grid(True, which="both", alpha=0.2)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    fig.tight_layout()
    return save_figure(fig, out_base, dpi=130)
