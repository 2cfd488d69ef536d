r"""``robustlaw poly-certificate DATA.npz --degree p [--homogeneous] [--json]``.

The R4 energy certificate (:func:`numerics.certify.energy.energy_certificate`): a
proved lower bound on the Lipschitz constant of *every* network
:math:`\sum_\ell a_\ell(w_\ell\cdot x + b_\ell)^p` (any width; no biases with
``--homogeneous``) that interpolates the dataset. With ``--homogeneous`` the
stronger ball version is reported too. ``--net-out PATH`` also writes the
minimal-energy interpolant as an explicit ``power:p`` Waring network and reports
its exact energies.

The reproduce hook writes the regime table (certificate against
:math:`\lambda_p c/(1-c)` and :math:`\sqrt{n/k}`), the dimensions / generic-rank
table, and a JSON of the numbers.
"""

from __future__ import annotations

from pathlib import Path

NAME = "poly-certificate"
HELP = "energy certificate (R4) for polynomial-activation interpolants of a dataset"
REPRODUCE_ORDER = 40


def register(parser):
    parser.add_argument("data", metavar="DATA",
                        help="dataset .npz with arrays X (n, d) and y (n,)")
    parser.add_argument("--degree", type=int, required=True, help="p, the activation t^p")
    parser.add_argument("--homogeneous", action="store_true",
                        help="networks without biases (also reports the ball certificate)")
    parser.add_argument("--net-out", default=None,
                        help="write the minimal-energy interpolant as a power:p network (.npz)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the Waring directions")


def run(args) -> dict:
    from numerics.certify import energy_certificate
    from numerics.cli.commands._files import load_dataset
    from numerics.construct import (
        gradient_energy,
        min_energy_interpolant,
        waring_network,
    )

    D = load_dataset(args.data, "DATA")
    cert = energy_certificate(D.X, D.y, args.degree, homogeneous=args.homogeneous)
    ball = (energy_certificate(D.X, D.y, args.degree, homogeneous=True, kind="ball")
            if args.homogeneous else None)
    out = {"data": str(args.data), "n": D.n, "d": D.d, "degree": args.degree,
           "homogeneous": args.homogeneous, "certificate": cert.to_dict(),
           "ball": None if ball is None else ball.to_dict(), "network": None, "files": []}
    lines = [f"data {args.data}: n = {D.n}, d = {D.d}, degree {args.degree}, "
             f"{'no biases' if args.homogeneous else 'with biases'}"]
    for c in (cert, ball):
        if c is None:
            continue
        if c.value is None:
            lines.append(f"[{c.kind}] no certificate: {c.reason}")
        else:
            where = "Lip_B1 >= Lip_S" if c.kind == "sphere" else "Lip_B1"
            lines.append(f"[{c.kind}] E_min >= {c.value:.6g}  =>  {where} >= "
                         f"{c.lipschitz_lower:.6g}   (dim V = {c.dim}, rcond {c.rcond:.2e})")
    if args.net_out is not None and cert.value is not None:
        kind = "ball" if args.homogeneous else "sphere"
        g = min_energy_interpolant(D.X, D.y, args.degree, homogeneous=args.homogeneous,
                                   kind=kind)
        fit = waring_network(g, D.d, args.degree, homogeneous=args.homogeneous, seed=args.seed)
        path = fit.net.save(args.net_out)
        e = gradient_energy(fit.net)
        out["network"] = {"path": str(path), "k": fit.net.k, "kind": kind,
                          "relative_error": fit.relative_error,
                          "max_interpolation_error": float(abs(fit.net(D.X) - D.y).max()),
                          "energy_tangential": e["tangential"], "energy_full": e["full"]}
        out["files"].append(str(path))
        lines.append(f"min-energy interpolant as a power:{args.degree} network with k = "
                     f"{fit.net.k} neurons -> {path}; exact E|grad_S g|^2 = {e['tangential']:.6g}")
    out["text"] = "\n".join(lines)
    return out


def _fmt_pm(mean, std):
    from theory.latex import Measured, Raw, format_number

    if mean is None:
        return None
    if std is None:
        return Raw(format_number(mean))
    return Raw(f"${Measured(mean, std)}$")   # the one precision rule (theory.latex)


def reproduce(out_dir: Path, *, seed: int, size: str = "fast") -> list[Path]:
    """Write ``poly/poly_regime.tex``, ``poly/poly_dimensions.tex`` and ``poly/poly_regime.json``.

    ``size``: ``"fast"`` (the default used by ``robustlaw reproduce``, well under a
    minute), ``"full"`` (more d, c and seeds) or ``"tiny"`` (for tests)."""
    from numerics.construct import regime_rows
    from numerics.records import write_json_atomic, write_text_atomic
    from theory import sphere
    from theory.latex import render_table
    from theory.tensors import generic_rank_table, poly_dim, sym_dim

    out_dir = Path(out_dir) / "poly"
    if size == "fast":
        cfg = [((2,), (8, 16, 24)), ((3,), (8, 12, 16))]
        cs, seeds = (0.25, 0.5, 0.75), 5
    elif size == "tiny":
        cfg = [((2,), (6,)), ((3,), (5,))]
        cs, seeds = (0.5,), 2
    elif size == "full":  # pragma: no cover - long configuration
        cfg = [((2,), (8, 16, 24, 32)), ((3,), (8, 12, 16, 20))]
        cs, seeds = (0.1, 0.25, 0.5, 0.75, 0.9), 10
    else:
        raise ValueError(f"size: expected 'fast', 'full' or 'tiny', got {size!r}")
    rows = []
    for hom in (True, False):
        for ps, ds in cfg:
            rows += regime_rows(ps=ps, ds=ds, cs=cs, seeds=seeds, seed=seed, homogeneous=hom)
    table_rows = []
    for r in rows:
        table_rows.append({
            "p": r["p"], "bias": not r["homogeneous"], "d": r["d"], "dim": r["dim"],
            "c": r["c"], "n": r["n"], "E": _fmt_pm(r["mean"], r["std"]),
            "heur": r["heuristic"], "ratio": r["ratio"], "ball": r["ball_mean"],
            "k": r["k_min"], "snk": r["sqrt_n_over_k"], "lipr": r["lip_over_sqrt_n_over_k"],
            "hlipr": r["heuristic_lip_over_sqrt_n_over_k"]})
    regime_tex = render_table(
        table_rows,
        [("p", "$p$"), ("bias", "bias"), ("d", "$d$"), ("dim", r"$\dim V$"), ("c", "$c$"),
         ("n", "$n$"), ("E", r"$E_{\min}$ (cert.)"), ("heur", r"$\lambda_p\frac{c}{1-c}$"),
         ("ratio", "ratio"), ("ball", r"$E^{\mathrm{ball}}_{\min}$"), ("k", r"$k_{\min}$"),
         ("snk", r"$\sqrt{n/k_{\min}}$"), ("lipr", r"$\sqrt{E_{\min}}/\sqrt{n/k_{\min}}$"),
         ("hlipr", "heuristic")],
        caption=(r"R4 energy certificate on random data ($n = c\dim V$ points uniform on "
                 rf"$S^{{d-1}}$, Rademacher labels, mean $\pm$ sd over {seeds} seeds) against "
                 r"the heuristic $\lambda_p c/(1-c)$, and combined with the parameter count "
                 r"$k_{\min} = \lceil n/(d+1)\rceil$ ($\lceil n/d\rceil$ without biases)"),
        label="tab:poly-regime", size="footnotesize", float_format="{:.3g}",
        notes=(r"Every interpolant has $\mathrm{Lip}_{B_1}\ge\sqrt{E_{\min}}$ (proved); the "
               r"columns ratio and heuristic confront the heuristic R4.regime (not assumed)."))
    dims = []
    for row in generic_rank_table((2, 3, 4, 5, 8, 16), (2, 3, 4)):
        d, p = row["d"], row["p"]
        dims.append({
            "d": d, "p": p, "sym": int(sym_dim(d, p)), "poly": int(poly_dim(d, p)),
            "sh": int(sphere.homogeneous_dim_on_sphere(d, p)),
            "sp": int(sphere.polynomial_dim_on_sphere(d, p)),
            "Np": int(sphere.harmonic_dim(d, p)), "lam": int(sphere.eigenvalue(p, d)),
            "exp": row["expected"], "gr": row["generic_rank"], "exc": row["exception"]})
    dims_tex = render_table(
        dims,
        [("d", "$d$"), ("p", "$p$"), ("sym", r"$\binom{d+p-1}{p}$"), ("poly", r"$\binom{d+p}{p}$"),
         ("sh", r"$\dim V_{\mathrm{hom}}|_S$"), ("sp", r"$\dim V|_S$"), ("Np", "$N(d,p)$"),
         ("lam", r"$\lambda_p$"), ("exp", r"$\lceil\binom{d+p-1}{p}/d\rceil$"),
         ("gr", r"generic rank ($\mathbb C$)"), ("exc", "AH exception")],
        caption=(r"Dimensions of polynomial network spaces (on $\mathbb R^d$ and restricted to "
                 r"$S^{d-1}$), harmonic dimensions and eigenvalues, and the "
                 r"Alexander--Hirschowitz generic Waring rank over $\mathbb C$ (cited)"),
        label="tab:poly-dimensions", size="small")
    files = []
    for name, text in (("poly_regime.tex", regime_tex), ("poly_dimensions.tex", dims_tex)):
        path = out_dir / name
        write_text_atomic(path, text + "\n")
        files.append(path)
    jpath = out_dir / "poly_regime.json"
    write_json_atomic(jpath, {"seed": seed, "size": size, "rows": rows, "dimensions": dims},
                      indent=1)
    files.append(jpath)
    return files
