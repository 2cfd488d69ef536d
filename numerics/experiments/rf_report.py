r"""S3 reports: theory curves of the cited saddle-point formula, the headline figure
(formula against simulation) and booktabs tables.

Account: ``docs/mathematics.md#s3-random-features``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from numerics.experiments import rf_theory as rt
from numerics.records import save_figure

__all__ = ["confrontation_table", "plot_confrontation", "theory_curve"]


def theory_curve(psi1s, *, psi2: float, eps: float, tau: float, eps_test=None) -> list[dict]:
    r"""The formula along a :math:`\psi_1` grid: per point ``psi1``, ``standard``
    (:math:`\alpha^{*2}+\sigma^2`), ``robust`` (AR at ``eps_test``, default
    ``eps``), ``sigma2``, ``foc_residual`` and ``converged``; each solve starts
    from the previous solution (continuation). Where no interior saddle point is
    found (``converged`` False) both risks are NaN (not drawn).

    Examples
    --------
    >>> c = theory_curve([0.5, 1.0], psi2=2.0, eps=0.3, tau=0.5)
    >>> bool(all(r["robust"] > r["standard"] > r["sigma2"] for r in c))
    True
    """
    out, start = [], None
    et = eps if eps_test is None else eps_test
    for p in sorted(float(v) for v in psi1s):
        sol = rt.solve_saddle(psi1=p, psi2=psi2, eps=eps, tau=tau, start=start,
                              max_starts=None if start is None else 3)
        start = sol.x if sol.converged else None
        ok = sol.converged
        out.append({"psi1": p, "standard": sol.standard_risk if ok else float("nan"),
                    "converged": ok, "boundary": sol.boundary,
                    "robust": sol.robust_risk(et) if ok else float("nan"), "sigma2": sol.sigma2,
                    "foc_residual": sol.foc_residual})
    return out


def _sim_points(comp, psi2, eps, measure):
    rows = sorted([c for c in comp if (c["psi2"], c["eps"], c["measure"]) == (psi2, eps,
                                                                               measure)],
                  key=lambda c: c["psi1"])
    return (np.array([c["psi1"] for c in rows]), np.array([c["sim"] for c in rows]),
            np.array([c["se"] for c in rows]))


def plot_confrontation(rows, comp, stem, *, tau: float = 0.5) -> list[Path]:
    r"""Headline figure: per :math:`(\psi_2,\epsilon)` setting, the formula's
    standard and robust risk against :math:`\psi_1` (lines) with the simulation
    extrapolated to :math:`d\to\infty` (points, error bars = 1 SE of the
    extrapolation): clean error (exact population value) and robust error (lower
    estimate by gradient ascent, and exact sup of the linearization). Writes
    ``stem.png`` and ``stem.pdf``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    settings = sorted({(c["psi2"], c["eps"]) for c in comp})
    ds = sorted({r["d"] for r in rows})
    fig, axes = plt.subplots(1, len(settings), figsize=(4.6 * len(settings), 4.0),
                             squeeze=False, sharey=True)
    for ax, (psi2, eps) in zip(axes[0], settings, strict=True):
        p = _sim_points(comp, psi2, eps, "clean_pop")[0]
        grid = np.geomspace(min(p.min(), 0.1), max(p.max(), 10.0), 25)
        cur = theory_curve(grid, psi2=psi2, eps=eps, tau=tau)
        ax.plot(grid, [c["robust"] for c in cur], color="C3",
                label=r"robust risk, formula ($\epsilon_{\mathrm{test}}=\epsilon$)")
        ax.plot(grid, [c["standard"] for c in cur], color="C0",
                label="standard risk, formula")
        ax.plot(grid, [c["sigma2"] for c in cur], ":", color="k",
                label=r"$\sigma^2$ (best reachable)")
        bad = [c["psi1"] for c in cur if not c["converged"]]
        if bad:
            ax.axvspan(min(bad), max(bad), color="0.85", alpha=0.6, lw=0,
                       label="no interior saddle point\n"
                       + r"(trained $\theta = 0$: risk $\tau^2+1$)")
        for meas, col, mk, lab in (("clean_pop", "C0", "o", "clean error, simulation"),
                                   ("low", "C3", "s", "robust error, simulation "
                                                      "(ascent, lower est.)"),
                                   ("lin", "C1", "^", "robust error, simulation "
                                                      "(sup of linearization)")):
            x, m, s = _sim_points(comp, psi2, eps, meas)
            if x.size:
                ax.errorbar(x, m, yerr=s, ls="none", marker=mk, color=col, ms=4,
                            capsize=3, label=lab, alpha=0.9 if mk != "^" else 0.6)
        ax.set_xscale("log")
        ax.set_xlabel(r"$\psi_1 = N/d$")
        ax.set_title(rf"$\psi_2 = n/d = {psi2:g}$, $\epsilon = {eps:g}$, $\tau = {tau:g}$")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(r"squared error ($d\to\infty$ extrapolation)")
    axes[0][-1].legend(fontsize=7, loc="upper left")
    fig.suptitle("Adversarially trained random features: cited formula vs simulation "
                 f"(d = {', '.join(map(str, ds))}, extrapolated in 1/d)", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, stem, dpi=130)


def _pm(v, s):
    if not (math.isfinite(v) and math.isfinite(s)):
        return "--"
    return f"{v:.3f} $\\pm$ {s:.3f}"


def confrontation_table(comp) -> str:
    r"""Booktabs table of :func:`numerics.experiments.rf_confront.compare`: per
    setting and :math:`\psi_1`, the formula and the extrapolated simulation for the
    clean error and the robust error (lower estimate and linearization)."""
    from theory.latex import Raw, render_table

    keys = sorted({(c["psi2"], c["eps"], c["psi1"]) for c in comp})
    look = {(c["psi2"], c["eps"], c["psi1"], c["measure"]): c for c in comp}
    rows = []
    for k in keys:
        cl, lo, li = (look.get((*k, m)) for m in ("clean_pop", "low", "lin"))
        if cl is None or lo is None:
            continue
        rows.append({
            "psi2": k[0], "eps": k[1], "psi1": k[2],
            "sth": Raw(f"{cl['theory']:.3f}"), "ssim": Raw(_pm(cl["sim"], cl["se"])),
            "rth": Raw(f"{lo['theory']:.3f}"), "rlow": Raw(_pm(lo["sim"], lo["se"])),
            "rlin": Raw(_pm(li["sim"], li["se"]) if li else "--"),
            "z": Raw(f"{lo['z']:+.1f}"),
        })
    notes = ("Formula: the cited saddle point solved numerically (standard risk "
             "$\\alpha^{*2}+\\sigma^2$, robust risk at $\\epsilon_{\\mathrm{test}}=\\epsilon$). "
             "Simulation: per size $d$ the mean over seeds, then weighted least squares "
             "$a + b/d$; shown $a \\pm$ its standard error. Clean: exact population error "
             "of the trained model. Robust (ascent): projected gradient ascent on a test "
             "sample, a lower estimate of the sample's robust error. Robust (lin.): exact "
             "supremum of the first-order expansion on the same sample, an estimate. "
             "$z$: (robust ascent $-$ formula)/SE. $\\tau = 0.5$.")
    return render_table(
        rows, [("psi2", "$\\psi_2$"), ("eps", "$\\epsilon$"), ("psi1", "$\\psi_1$"),
               ("sth", "standard, formula"), ("ssim", "clean, sim."),
               ("rth", "robust, formula"), ("rlow", "robust (ascent), sim."),
               ("rlin", "robust (lin.), sim."), ("z", "$z$")],
        "Adversarially trained random features: the cited formula against simulation "
        "extrapolated to $d\\to\\infty$", "tab:rf-theory-vs-simulation",
        align="rrr" + "r" * 6, size="small", notes=notes)
