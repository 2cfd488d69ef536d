r"""Analysis of the certified tradeoff curve (docs/mathematics.md#tradeoff-curve): the
slope of :math:`\log U` against :math:`\log k` with its interval (per data seed and pooled
over seeds), the booktabs table (U, L, U/L and the pair-quotient floor per k) and the
figure with the window where the law can show.

**The window.** Fitting needs about :math:`k \ge n/(d+1)` neurons (parameter count), and
every interpolant has :math:`\mathrm{Lip}_{B_1} \ge F = 2/\min_{i\in I_+,j\in I_-}
\|x_i - x_j\|` (the pair-quotient floor). The law :math:`\sqrt{n/k}` can only show where
it exceeds the floor, :math:`k < n/F^2`; :func:`law_window` returns
:math:`[n/(d+1),\ n/F^2]` (empty when the first exceeds the second).

Examples
--------
>>> recs = [{"method": "minlip", "kind": "curve", "n": 9, "d": 3, "k": k,
...          "status": "exact", "upper": 2 * k ** -0.5,
...          "lipschitz": {"lower": 1.0}} for k in (1, 4, 16)]
>>> round(tradeoff_slope(recs)[0]["slope"], 9)
-0.5
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from numerics.experiments.sweep_report import fit_slopes
from numerics.names import display_name

__all__ = ["in_window", "law_window", "plot_curve", "regime_summary", "slope_over_seeds",
           "tradeoff_slope", "tradeoff_table", "tradeoff_table_rows"]


def tradeoff_slope(records: Sequence[dict], *, level: float = 0.95) -> list[dict]:
    r"""Slope of :math:`\log U(k)` against :math:`\log k` per (n, d) with its
    ``level`` t-interval (:func:`numerics.experiments.sweep.fit_slopes` on the U(k) records):
    U(k) is the exact constant where branch and bound closed, the certified upper bound
    otherwise; ``exact_points`` counts the exact ones.

    >>> recs = [{"method": "minlip", "kind": "curve", "n": 9, "d": 3, "k": k,
    ...          "status": "exact", "upper": 2 * k ** -0.5,
    ...          "lipschitz": {"lower": 1.0}} for k in (1, 4, 16)]
    >>> round(tradeoff_slope(recs)[0]["slope"], 9)
    -0.5
    """
    curve = [r for r in records if r.get("kind") == "curve"]
    return fit_slopes(curve, value="upper", level=level)


def tradeoff_table_rows(records: Sequence[dict]) -> list[dict]:
    """One row per (n, d, k) of the curve: :math:`\\sqrt{n/k}`, U, its certificate, L
    (proven, all interpolants) and its source, U/L, the network's own certified lower
    bound and U/L_net, the spectral proxy and R2."""
    rows = []
    for r in sorted((r for r in records if r.get("kind") == "curve"),
                    key=lambda r: (r["n"], r["d"], r.get("seed", 0), r["k"])):
        rows.append({"n": r["n"], "d": r["d"], "seed": r.get("seed", 0), "k": r["k"],
                     "sqrt": r["sqrt_n_over_k"], "floor": r.get("pair"),
                     "U": r.get("upper"),
                     "exact": "yes" if (r.get("lipschitz") or {}).get("exact") is not None
                     else "",
                     "cert": display_name(r.get("cert_method") or r["status"]),
                     "L": r["L"], "L_key": r["L_key"], "gap": r.get("gap"),
                     "L_net": r.get("L_net"), "gap_net": r.get("gap_net"),
                     "proxy": r.get("spectral_proxy"), "R2": r.get("R2")})
    return rows


def tradeoff_table(records: Sequence[dict], *, caption: str | None = None) -> str:
    """The curve as a booktabs table (:func:`theory.latex.render_table`)."""
    from theory.latex import render_table

    cols = [("n", "$n$"), ("d", "$d$"), ("seed", "seed"), ("k", "$k$"),
            ("sqrt", r"$\sqrt{n/k}$"), ("floor", "floor"),
            ("U", "$U(k)$"), ("exact", "exact"), ("cert", "certificate"), ("L", "$L(k)$"),
            ("L_key", "from"),
            ("gap", "$U/L$"), ("L_net", r"$L_{\mathrm{net}}$"),
            ("gap_net", r"$U/L_{\mathrm{net}}$"),
            ("proxy", r"$\|a\|\|W\|_{\mathrm{op}}$"), ("R2", "R2")]
    caption = caption or (
        r"Certified tradeoff curve on $B_1$ (data uniform on $S^{d-1}$, Rademacher labels). "
        r"$U(k)$: certified upper bound of an exact $k$-neuron interpolant found by "
        r"minimum-Lipschitz interpolation (exact: branch and bound closed, $U(k)$ is then "
        r"the network's exact constant); $L(k)$: proven lower bound for every $k$-neuron "
        r"interpolant (R1 with $r=\min(k,d)$, or the pair bound); floor: the pair-quotient "
        r"floor $2/\min\|x_i-x_j\|$ over opposite labels (every interpolant); $L_{\mathrm{net}}$: "
        r"certified lower bound of the network found. R2 bounds the spectral proxy "
        r"$\|a\|\|W\|_{\mathrm{op}}$ of every interpolant with probability $\ge 0.85$, not Lip.")
    return render_table(tradeoff_table_rows(records), cols, caption=caption,
                        label="tab:certified-tradeoff", align="rrrrrrrllrlrrrrr", size="small")


def law_window(n: int, d: int, floor: float) -> tuple[float, float]:
    r"""The widths where the law can show: from the parameter count :math:`n/(d+1)` to
    :math:`n/F^2`, where :math:`\sqrt{n/k}` meets the pair-quotient floor F (empty when
    the first exceeds the second).

    >>> law_window(256, 64, 2.0)
    (3.9384615384615387, 64.0)
    """
    return n / (d + 1), n / floor**2


def slope_over_seeds(records: Sequence[dict], *, level: float = 0.95) -> list[dict]:
    r"""Per (n, d): the slope of :math:`\log U` against :math:`\log k` fitted on each data
    seed separately, then their mean with a
    ``level`` t-interval over seeds (None with fewer than 2 seeds).

    >>> recs = [{"method": "minlip", "kind": "curve", "n": 9, "d": 3, "k": k, "seed": s,
    ...          "status": "exact", "upper": (2 + s) * k ** (-0.5 + 0.1 * s),
    ...          "lipschitz": {"lower": 1.0}} for k in (1, 4, 16) for s in (0, 1, 2)]
    >>> out = slope_over_seeds(recs)[0]
    >>> round(out["mean"], 9), out["seeds"], out["ci_low"] < -0.4 < out["ci_high"]
    (-0.4, 3, True)
    """
    from scipy import stats

    groups: dict = {}
    for r in records:
        if r.get("kind") == "curve":
            groups.setdefault((r["n"], r["d"]), {}).setdefault(r.get("seed", 0), []).append(r)
    out = []
    for (n, d), by_seed in sorted(groups.items()):
        per = {seed: tradeoff_slope(rs, level=level) for seed, rs in sorted(by_seed.items())}
        vals = [v[0]["slope"] for v in per.values() if v]
        m = float(np.mean(vals)) if vals else None
        lo = hi = None
        if len(vals) >= 2:
            half = float(stats.t.ppf(0.5 + level / 2, len(vals) - 1)
                         * np.std(vals, ddof=1) / np.sqrt(len(vals)))
            lo, hi = m - half, m + half
        out.append({"n": n, "d": d, "mean": m, "ci_low": lo, "ci_high": hi,
                    "seeds": len(vals), "per_seed": [float(v) for v in vals],
                    "level": level})
    return out


def in_window(records: Sequence[dict]) -> list[dict]:
    r"""The curve records whose width lies inside their own seed's window
    :func:`law_window` (floor F: the record's ``pair``), i.e.
    :math:`n/(d+1) \le k \le n/F^2`.

    >>> recs = [{"kind": "curve", "n": 256, "d": 64, "k": k, "pair": 2.0} for k in (2, 8, 91)]
    >>> [r["k"] for r in in_window(recs)]
    [8]
    """
    out = []
    for r in records:
        if r.get("kind") != "curve" or r.get("pair") is None:
            continue
        lo, hi = law_window(r["n"], r["d"], r["pair"])
        if lo <= r["k"] <= hi:
            out.append(r)
    return out


def regime_summary(records: Sequence[dict], *, level: float = 0.95) -> list[dict]:
    r"""Per (n, d): the floor and the window of each data seed, the slope of
    :math:`\log U` against :math:`\log k` over all widths and inside the window
    (:func:`in_window`; mean over seeds with its ``level`` t-interval,
    :func:`slope_over_seeds`), and per width k: U, L and U/L over the seeds (mean, max)
    and the best certified construction at that k.

    >>> recs = [{"method": "minlip", "kind": "curve", "n": 64, "d": 64, "k": k, "seed": s,
    ...          "status": "exact", "upper": (3 + s) * k ** -0.5, "L": 1.0, "pair": 1.0,
    ...          "gap": (3 + s) * k ** -0.5, "lipschitz": {"lower": 1.0}}
    ...         for k in (1, 4, 16, 128) for s in (0, 1)]
    >>> out = regime_summary(recs)[0]
    >>> round(out["window_slope"]["mean"], 9), out["window_ks"], out["widths"][0]["k"]
    (-0.5, [1, 4, 16], 1)
    """
    groups: dict = {}
    for r in records:
        groups.setdefault((r["n"], r["d"]), []).append(r)
    out = []
    for (n, d), rs in sorted(groups.items()):
        curve = [r for r in rs if r.get("kind") == "curve"]
        exact = [r for r in curve if r.get("status") == "exact" and r.get("upper")]
        floors = {r.get("seed", 0): r["pair"] for r in curve if r.get("pair") is not None}
        inside = in_window(exact)
        every = slope_over_seeds(exact, level=level)
        win = slope_over_seeds(inside, level=level)
        widths = []
        for k in sorted({r["k"] for r in curve}):
            at = [r for r in exact if r["k"] == k]
            cons = [r["upper"] for r in rs if r.get("kind") == "construction"
                    and r["k"] == k and r.get("upper") is not None]
            gaps = [r["gap"] for r in at if r.get("gap") is not None]
            widths.append({
                "k": k, "sqrt_n_over_k": (n / k) ** 0.5, "seeds": len(at),
                "U_mean": float(np.mean([r["upper"] for r in at])) if at else None,
                "U_min": min((r["upper"] for r in at), default=None),
                "L_mean": float(np.mean([r["L"] for r in at])) if at else None,
                "gap_mean": float(np.mean(gaps)) if gaps else None,
                "gap_max": max(gaps, default=None),
                "in_window": any(r["k"] == k for r in inside),
                "construction_best": min(cons, default=None)})
        out.append({"n": n, "d": d, "floors": floors,
                    "windows": {s: law_window(n, d, f) for s, f in floors.items()},
                    "window_ks": sorted({r["k"] for r in inside}),
                    "slope": every[0] if every else None,
                    "window_slope": win[0] if win else None, "widths": widths})
    return out


def _plot_panel(ax, records, n, d, slope) -> list[int]:
    cur = sorted((r for r in records if r.get("kind") == "curve" and (r["n"], r["d"]) == (n, d)),
                 key=lambda r: (r.get("seed", 0), r["k"]))
    seeds = sorted({r.get("seed", 0) for r in cur})
    lab = "$U(k)$: certified upper, exact interpolant" + (
        f" (one line per data seed, {len(seeds)} seeds)" if len(seeds) > 1 else "")
    if slope is not None and slope["mean"] is not None:
        lab += f"\nslope of $\\log U$ {slope.get('where', '')}: {slope['mean']:.2f}"
        if slope["ci_low"] is not None:
            lab += f", 95% CI [{slope['ci_low']:.2f}, {slope['ci_high']:.2f}] over seeds"
    for i, seed in enumerate(seeds):
        ex = [r for r in cur if r.get("seed", 0) == seed and r.get("status") == "exact"]
        if ex:
            ax.plot([r["k"] for r in ex], [r["upper"] for r in ex], "o-", color="C0",
                    mfc="white", ms=7, alpha=1.0 if i == 0 else 0.45, label=lab if i == 0 else None)
            ax.plot([r["k"] for r in ex], [r["L_net"] for r in ex], "v", color="C4", ms=5,
                    alpha=1.0 if i == 0 else 0.45, zorder=3,
                    label="certified lower bound of that network" if i == 0 else None)
            closed = [r for r in ex if (r.get("lipschitz") or {}).get("exact") is not None]
            if closed:
                ax.plot([r["k"] for r in closed], [r["upper"] for r in closed], "o",
                        color="C0", ms=7, zorder=4, alpha=1.0 if i == 0 else 0.45,
                        label="exact constant (branch and bound closed)" if i == 0 else None)
    first = [r for r in cur if r.get("seed", 0) == seeds[0]] if seeds else []
    if first:
        ax.plot([r["k"] for r in first], [r["L"] for r in first], "-", color="k", lw=2,
                label="$L(k)$: proven lower bound, every $k$-neuron interpolant"
                + (f" (seed {seeds[0]})" if len(seeds) > 1 else ""))
        floor = max(r["pair"] for r in first)
        which = f", seed {seeds[0]}" if len(seeds) > 1 else ""
        ax.axhline(floor, color="C3", lw=1, ls=":",
                   label=r"pair-quotient floor $2/\min\|x_i - x_j\|$" + f" = {floor:.2f}"
                   + which)
        lo, hi = law_window(n, d, floor)
        kmin = min(r["k"] for r in first)
        if max(lo, kmin) < hi:
            ax.axvspan(max(lo, kmin), hi, color="C2", alpha=0.12,
                       label=r"window $n/(d+1) < k < n/F^2$, $F$ the floor"
                       + f" ({lo:.2g} to {hi:.3g}{which})")
    style = {"C1": ("o", "C1"), "C2": ("s", "C2"), "C4": ("D", "C3")}
    for name, (mk, col) in style.items():
        pts = [(r["k"], r["upper"]) for r in records if r.get("kind") == "construction"
               and (r["n"], r["d"]) == (n, d) and r["method"] == name
               and r.get("status") == "exact" and r.get("seed", 0) == (seeds or [0])[0]]
        if pts:
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], marker=mk, color=col,
                       label=f"{display_name(name)} (certified upper)")
    ks = [r["k"] for r in records if (r["n"], r["d"]) == (n, d)
          and (r.get("kind") == "curve" or r.get("status") == "exact")]
    kg = np.geomspace(min(ks), max(ks), 50)
    ax.plot(kg, np.sqrt(n / kg), "k--", lw=1, label=r"$\sqrt{n/k}$")
    ticks = []
    for k in sorted(set(ks)):          # no two tick labels closer than 15% in k
        if not ticks or k >= 1.15 * ticks[-1]:
            ticks.append(k)
    return ticks


def plot_curve(records: Sequence[dict], out_base: str | Path) -> list[Path]:
    r"""Log-log figure, one panel per (n, d): U(k) (certified upper, exact interpolants;
    one line per data seed), L(k) (proven lower, all interpolants), the networks' own
    certified lower bounds, :math:`\sqrt{n/k}`, the pair-quotient floor and the window
    of :func:`law_window` (shaded), the constructions, and the slope of U (mean over
    seeds with its 95% interval, :func:`slope_over_seeds`; fitted inside the window,
    :func:`in_window`, when it holds widths there, else over all widths). Writes
    ``out_base.png`` and ``.pdf``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    from numerics.records import save_figure

    out_base = Path(out_base)
    out_base.parent.mkdir(parents=True, exist_ok=True)
    panels = sorted({(r["n"], r["d"]) for r in records})
    if not panels:
        raise ValueError("records: nothing to plot")
    slopes = {(s["n"], s["d"]): dict(s, where="over all widths")
              for s in slope_over_seeds(records)}
    slopes.update({(s["n"], s["d"]): dict(s, where="inside the window")
                   for s in slope_over_seeds(in_window(
                       [r for r in records if r.get("status") == "exact"]))
                   if s["mean"] is not None})
    fig, axes = plt.subplots(1, len(panels), figsize=(9.6 * len(panels), 4.8), squeeze=False)
    for ax, (n, d) in zip(axes[0], panels, strict=True):
        kt = _plot_panel(ax, records, n, d, slopes.get((n, d)))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks(kt)
        ax.set_xticklabels([str(k) for k in kt], fontsize=7)
        ax.set_xlabel("neurons $k$")
        ax.set_ylabel(r"$\mathrm{Lip}_{B_1}$")
        ax.set_title(f"n = {n}, d = {d}: data uniform on the sphere, random labels",
                     fontsize=9)
        ax.grid(True, which="both", alpha=0.2)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    fig.tight_layout()
    return save_figure(fig, out_base, dpi=130)
