r"""Figures, booktabs tables and the summary of the S2 memorization experiments
(:mod:`numerics.experiments.memorization`; ``docs/mathematics.md#s2-memorization``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from numerics.names import display_name
from numerics.records import save_figure

__all__ = ["figures", "summary", "tables"]


def _grid(recs_a: list[dict]):
    Ns = sorted({r["N"] for r in recs_a})
    lams = sorted({r["lam"] for r in recs_a})
    P = np.full((len(Ns), len(lams)), np.nan)
    K = np.full_like(P, np.nan)
    for r in recs_a:
        i, j = Ns.index(r["N"]), lams.index(r["lam"])
        P[i, j], K[i, j] = r["p_interp"], r["mean_K"]
    return Ns, lams, P, K


def _heat(ax, M, Ns, lams, title, fmt, cmap):
    im = ax.imshow(M, origin="lower", aspect="auto", cmap=cmap)
    ax.set_xticks(range(len(lams)), [f"{v:g}" for v in lams])
    ax.set_yticks(range(len(Ns)), [str(v) for v in Ns])
    ax.set_xlabel(r"bias range $\lambda$")
    ax.set_ylabel("first-layer width $N$")
    ax.set_title(title, fontsize=10)
    hi = np.nanmax(M) if np.any(np.isfinite(M)) else 1.0
    for i in range(M.shape[0]):
        for j in range(M.shape[1]):
            if np.isfinite(M[i, j]):
                ax.text(j, i, fmt.format(M[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if M[i, j] < 0.5 * hi else "black")
    return im


def _fig_grid(recs_a, stem, title):
    import matplotlib.pyplot as plt

    Ns, lams, P, K = _grid(recs_a)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), constrained_layout=True)
    fig.colorbar(_heat(axes[0], P, Ns, lams, "probability of interpolation", "{:.2f}",
                       "viridis"), ax=axes[0])
    fig.colorbar(_heat(axes[1], K, Ns, lams, "mean second-layer width $K$", "{:.1f}",
                       "magma"), ax=axes[1])
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, stem)


def _fig_slices(recs_a, stem, title):
    import matplotlib.pyplot as plt

    Ns, lams, P, K = _grid(recs_a)
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.5), constrained_layout=True, sharex="col")
    for lam in [v for v in (0.0, 0.5, 1.0, 2.5) if v in lams]:
        j = lams.index(lam)
        axes[0, 0].plot(Ns, P[:, j], "o-", label=fr"$\lambda = {lam:g}$")
        axes[1, 0].plot(Ns, K[:, j], "o-", label=fr"$\lambda = {lam:g}$")
    for N in [v for v in (50, 100, 200, 500) if v in Ns]:
        i = Ns.index(N)
        axes[0, 1].plot(lams, P[i], "s-", label=f"$N = {N}$")
        axes[1, 1].plot(lams, K[i], "s-", label=f"$N = {N}$")
    for ax in axes[:, 0]:
        ax.set_xscale("log")
    axes[1, 0].set_xlabel("first-layer width $N$")
    axes[1, 1].set_xlabel(r"bias range $\lambda$")
    for ax in axes[0]:
        ax.set_ylabel("P(interpolates)")
        ax.set_ylim(-0.05, 1.05)
    for ax in axes[1]:
        ax.set_ylabel("mean $K$")
    for ax in axes.ravel():
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0, 0].set_title(r"slices at fixed $\lambda$", fontsize=10)
    axes[0, 1].set_title("slices at fixed $N$", fontsize=10)
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, stem)


def _fig_kn(recs_b, recs_d, stem, title):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.8), constrained_layout=True)
    ns = sorted({r["n"] for r in recs_b})
    Ks = [[r["K"] for r in recs_b if r["n"] == n] for n in ns]
    rate = [np.mean([r["interpolates"] for r in recs_b if r["n"] == n]) for n in ns]
    ax = axes[0]
    ax.errorbar(ns, [np.mean(k) for k in Ks],
                yerr=[[np.mean(k) - min(k) for k in Ks], [max(k) - np.mean(k) for k in Ks]],
                fmt="o-", capsize=3, label="mean $K$ (bars: min–max over seeds);\n"
                "P: fraction of seeds that interpolate")
    for n, k, p in zip(ns, Ks, rate, strict=True):
        ax.annotate(f"P = {p:.2f}", (n, np.mean(k)), textcoords="offset points",
                    xytext=(6, 4), ha="left", fontsize=7)
    ax.margins(x=0.2)
    ax.set_xscale("log")
    ax.set_ylim(0, max(max(k) for k in Ks) * 1.4 + 1)
    ax.set_xlabel("number of points $n$")
    ax.set_ylabel("second-layer width $K$")
    ax.set_title(f"(b) $K$ vs $n$, N = {recs_b[0]['N']}, " + fr"$\lambda$ = {recs_b[0]['lam']:g}",
                 fontsize=10)
    ax.legend(fontsize=8)
    ax = axes[1]
    n = [r["n"] for r in recs_d]
    ax.loglog(n, [r["parameters"] for r in recs_d], "o-", label="S2 threshold net: parameters")
    ax.loglog(n, [r["c3_parameters"] for r in recs_d], "s-", label="Baum C3: parameters")
    ax.loglog(n, [r["c3_k"] for r in recs_d], "s--", label="Baum C3: neurons $k$")
    ax.loglog(n, [max(r["K"], 0.5) for r in recs_d], "o--", label="S2: second-layer $K$")
    ax.loglog(n, [r["n_over_d"] for r in recs_d], "k:", label="$n/d$")
    ax.set_xlabel("number of points $n$")
    ax.set_ylabel("count")
    ax.set_title("(d) size against Baum's construction, two moons", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)
    for a in axes:
        a.grid(alpha=0.3, which="both")
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, stem)


def _band(ax, pts, fmt, label, **kw):
    """Median over seeds per n, bars from min to max (points: (n, value) pairs)."""
    ns = sorted({n for n, _ in pts})
    vals = [[v for m, v in pts if m == n] for n in ns]
    med = np.array([np.median(v) for v in vals])
    err = [med - [min(v) for v in vals], [max(v) for v in vals] - med]
    ax.errorbar(ns, med, yerr=err, fmt=fmt, capsize=3, label=label, **kw)


def _fig_lip(recs_e, stem, title):
    import matplotlib.pyplot as plt

    datas = sorted({r["data"] for r in recs_e})
    fig, axes = plt.subplots(1, len(datas), figsize=(5.2 * len(datas), 5.0),
                             constrained_layout=True, squeeze=False, sharey=True)
    for ax, data in zip(axes[0], datas, strict=True):
        rs = [r for r in recs_e if r["data"] == data and "ramp" in r]
        if not rs:
            continue
        _band(ax, [(r["n"], r["ramp"]["lip_upper"]) for r in rs], "v-",
              "ramp S2: certified upper")
        _band(ax, [(r["n"], r["ramp"]["lip_lower"]) for r in rs], "^-",
              "ramp S2: witnessed lower")
        _band(ax, [(r["n"], r["sqrt_n_over_k"]) for r in rs], "k:",
              r"$\sqrt{n/k}$, k = hidden ReLUs")
        for name, mk in (("C1", "o"), ("C2", "s"), ("C3", "D"), ("C4", "x")):
            pts = [(r["n"], r["constructions"][name]["upper"]) for r in rs
                   if r["constructions"][name]["upper"] is not None]
            if pts:
                _band(ax, pts, mk + "--", f"{display_name(name)}: certified upper",
                      alpha=0.7)
        ns = sorted({r["n"] for r in rs})
        if len(ns) == 1:  # one size (fast configurations): a decade either side
            ax.set_xlim(ns[0] / 10, ns[0] * 10)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("number of points $n$")
        ax.set_ylabel(r"$\mathrm{Lip}_{B_R}$ (median over seeds, bars min–max)")
        ax.set_title(f"{data}, d = {rs[0]['d']}, N = {rs[0]['N']}", fontsize=10)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, stem)


def figures(res: dict, out: Path, cfg) -> list[Path]:
    """Write every figure (PNG + PDF) under ``out``; returns the files."""
    out = Path(out)
    setting = (f"two moons, n = {cfg.moons_n}, noise {cfg.noise}, "
               f"{cfg.restarts} restarts per cell")
    files = []
    files += _fig_grid(res["a"], out / "memorization_grid",
                       f"(a) S2 threshold memorizer, {setting}")
    files += _fig_slices(res["a"], out / "memorization_slices",
                         f"(a) slices of the grid, {setting}")
    files += _fig_kn(res["b"], res["d"], out / "memorization_size",
                     f"S2 memorizer size, moons noise {cfg.noise}")
    files += _fig_lip(res["e"], out / "memorization_lipschitz",
                      "(e) Lipschitz constants of memorizers on the data's ball")
    return files


def _mean(v):
    return float(np.mean(v)) if len(v) else None


def tables(res: dict, cfg) -> str:
    """The booktabs tables (LaTeX source), one per experiment."""
    from theory.latex import render_table

    out = []
    rows = []
    for r in res["a"]:
        ok = [k for k, i in zip(r["K"], r["interpolates"], strict=True) if i]
        rows.append({"N": r["N"], "lam": r["lam"], "p": r["p_interp"], "K": r["mean_K"],
                     "Kok": _mean(ok), "unc": _mean(r["uncovered"])})
    out.append(render_table(
        rows, [("N", "$N$"), ("lam", r"$\lambda$"), ("p", "P(interp.)"), ("K", "mean $K$"),
               ("Kok", "mean $K$ (interp.)"), ("unc", "mean uncovered")],
        caption=(f"(a) S2 threshold memorizer on two moons (n = {cfg.moons_n}, noise "
                 f"{cfg.noise}, rescaled to max norm 1), {cfg.restarts} restarts per cell. "
                 "$N$: first-layer hyperplanes; $\\lambda$: biases uniform in "
                 "$[-\\lambda, \\lambda]$; P(interp.): fraction of restarts that interpolate "
                 "(checked on every point); mean $K$: second-layer width over all restarts; "
                 "mean $K$ (interp.): over interpolating restarts only; mean uncovered: "
                 "+1 points left uncovered"),
        label="tab:s2-grid", float_format="{:.3g}"))
    rows = [{"n": r["n"], "seed": r["seed"], "ok": r["interpolates"], "K": r["K"],
             "unc": r["uncovered"], "par": r["parameters"], "sec": r["seconds"]}
            for r in res["b"]]
    out.append(render_table(
        rows, [("n", "$n$"), ("seed", "seed"), ("ok", "interpolates"), ("K", "$K$"),
               ("unc", "uncovered"), ("par", "parameters"), ("sec", "seconds")],
        caption=("(b) second-layer width $K$ as the number of two-moons points grows, "
                 f"$N = {cfg.kn_N}$, $\\lambda = {cfg.kn_lam:g}$. interpolates: checked on "
                 "every point; uncovered: +1 points not covered; parameters: "
                 "$N(d+1) + K(N+1) + (K+1)$; seconds: construction time"),
        label="tab:s2-k-vs-n", float_format="{:.3g}"))
    if res["c"]:
        rows = [{"task": r["task"], "N": r["N"], "seed": r["seed"], "n": r["n"],
                 "ok": r["interpolates"], "K": r["K"], "par": r["parameters"],
                 "nd": r["n_over_d"],
                 "delta": (r["geometry_proxies"] or {}).get("delta")} for r in res["c"]]
        out.append(render_table(
            rows, [("task", "task"), ("N", "$N$"), ("seed", "seed"), ("n", "$n$"),
                   ("ok", "interpolates"), ("K", "total $K$"), ("par", "parameters"),
                   ("nd", "$n/d$"), ("delta", r"$\delta$ (proxy)")],
            caption=("(c) scikit-learn digits (centred, rescaled to max norm 1, $d = 64$), "
                     f"$\\lambda = {cfg.digits_lam:g}$. task: ovr = one-vs-rest over the ten "
                     "digits with the first layer shared, $a$v$b$ = digit $a$ (+1) against "
                     "$b$ ($-1$); total $K$: second-layer neurons summed over heads; "
                     "$\\delta$: separation of the two classes (a proxy, pairs only)"),
            label="tab:s2-digits", float_format="{:.3g}"))
    rows = [{"n": r["n"], "K": r["K"], "par": r["parameters"], "k3": r["c3_k"],
             "p3": r["c3_parameters"], "nd": r["n_over_d"],
             "delta": r["geometry_proxies"]["delta"],
             "cov": r["geometry_proxies"]["cover_pos"]["delta/2"]} for r in res["d"]]
    out.append(render_table(
        rows, [("n", "$n$"), ("K", "S2 $K$"), ("par", "S2 parameters"), ("k3", "C3 $k$"),
               ("p3", "C3 parameters"), ("nd", "$n/d$"), ("delta", r"$\delta$"),
               ("cov", r"$\hat N(C, \delta/2)$")],
        caption=(f"(d) two moons: S2 threshold memorizer ($N = {cfg.kn_N}$, "
                 f"$\\lambda = {cfg.kn_lam:g}$) against Baum's construction C3 (ReLU tents, "
                 "$k$ neurons, $k(d+2)$ parameters). $\\delta$: class separation; "
                 "$\\hat N(C, \\delta/2)$: greedy covering number of the +1 class at radius "
                 "$\\delta/2$ (both proxies for the paper's mutual complexity)"),
        label="tab:s2-baum", float_format="{:.3g}"))
    out.append(_lip_table(res["e"], render_table))
    return "\n\n".join(out) + "\n"


def _lip_table(recs_e, render_table) -> str:
    rows = []
    for r in recs_e:
        c = r["constructions"]
        rows.append({"data": r["data"], "n": r["n"], "d": r["d"], "K": r["K"],
                     "s": r.get("ramp", {}).get("s"),
                     "lo": r.get("ramp", {}).get("lip_lower"),
                     "up": r.get("ramp", {}).get("lip_upper"),
                     "sq": r.get("sqrt_n_over_k"),
                     **{f"c{i}": c[f"C{i}"]["upper"] for i in range(1, 5)}})
    return render_table(
        rows, [("data", "data"), ("n", "$n$"), ("d", "$d$"), ("K", "$K$"), ("s", "$s$"),
               ("lo", "lower"), ("up", "upper"), ("sq", r"$\sqrt{n/k}$"),
               ("c1", "C1"), ("c2", "C2"), ("c3", "C3"), ("c4", "C4")],
        caption=("(e) Lipschitz constants on the data's ball $B_R$ of the ramp (ReLU) "
                 "version of the S2 memorizer. $K$: second-layer width; $s$: first-layer ramp "
                 "width (largest verified by condition (R)); lower: witnessed lower bound; "
                 "upper: proved upper bound (the smaller of the structured bound and the "
                 "product of layer norms); $\\sqrt{n/k}$ with k the number of hidden ReLUs; "
                 "C1–C4: certified upper bounds of the constructions on the same data "
                 "(empty: the construction's exactness condition fails there)"),
        label="tab:s2-lipschitz", float_format="{:.3g}")


def summary(res: dict) -> dict:
    """Headline numbers: the grid, K versus n, digits, Baum, Lipschitz brackets."""
    grid = {f"N={r['N']},lam={r['lam']:g}": {"p_interp": r["p_interp"], "mean_K": r["mean_K"]}
            for r in res["a"]}
    kn = {}
    for n in sorted({r["n"] for r in res["b"]}):
        rs = [r for r in res["b"] if r["n"] == n]
        kn[str(n)] = {"K": [r["K"] for r in rs], "interpolates": [r["interpolates"] for r in rs],
                      "seconds": [r["seconds"] for r in rs]}
    lip = [{"data": r["data"], "n": r["n"], "K": r["K"],
            "lower": r.get("ramp", {}).get("lip_lower"),
            "upper": r.get("ramp", {}).get("lip_upper"), "s": r.get("ramp", {}).get("s"),
            "sqrt_n_over_k": r.get("sqrt_n_over_k"),
            "constructions": {k: v["upper"] for k, v in r["constructions"].items()}}
           for r in res["e"]]
    digits = [{k: r[k] for k in ("task", "N", "seed", "interpolates", "K", "parameters")}
              for r in res["c"]]
    baum = [{k: r[k] for k in ("n", "K", "parameters", "c3_k", "c3_parameters", "n_over_d")}
            for r in res["d"]]
    return {"grid": grid, "k_vs_n": kn, "digits": digits, "baum": baum, "lipschitz": lip}
