"""Benchmark of branch and bound (numerics/lipschitz/bnb.py): closure of the certified
bracket of Lip on the unit ball.

Two tables (JSON lines, resumable by key, plus figures):

1. closure: random ReLU networks with biases, W ~ N(0, I/d), b ~ N(0, 1/4), a ~ N(0, 1/k),
   d in {4, 6, 10, 16, 24}, k in {20, 50, 100, 200, 400}, ``--nets`` networks per cell,
   ``--time-limit`` seconds each: fraction closed to rel. 1e-9, median time to close,
   median final gap. Along each d, larger k are skipped once a cell closes none
   (recorded as skipped).
2. trained: interpolants of n = 192 random-label points on the sphere, d = 24,
   k in {100, 200, 400} (``numerics.construct.fit_interpolant``), on the unit ball
   (b) and on R^d and the unit sphere, geodesic (c) (``--domains ball rd sphere``):
   the bracket upper/lower against time, next to the old bracket (``lipschitz_report``
   with ``exact=False``: best local search and best closed-form/LipSDP upper bound).
   ``--trained-limits`` gives one limit per k (else ``--trained-limit`` for all).

Run: ``python benchmarks/exact.py [--quick] [--out results/exact.jsonl]``
(one BLAS thread is set before numpy is imported).
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import math  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from numerics.construct import fit_interpolant  # noqa: E402
from numerics.data import rademacher_labels, sphere_data  # noqa: E402
from numerics.domain import Domain  # noqa: E402
from numerics.lipschitz import lipschitz_report  # noqa: E402
from numerics.lipschitz.bnb import branch_and_bound_lipschitz  # noqa: E402
from numerics.models import TwoLayerNet  # noqa: E402
from numerics.records import append_record, read_records  # noqa: E402

DS = (4, 6, 10, 16, 24)
KS = (20, 50, 100, 200, 400)
BALL = Domain.ball(1.0)
DOMAINS = {"ball": BALL, "rd": Domain.rd(), "sphere": Domain.sphere(1.0)}


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="d <= 10, k <= 50, 5 s limits")
    p.add_argument("--nets", type=int, default=3)
    p.add_argument("--time-limit", type=float, default=20.0)
    p.add_argument("--trained-limit", type=float, default=120.0)
    p.add_argument("--trained-limits", type=float, nargs="*", default=None,
                   help="one limit per trained k (--trained-ks)")
    p.add_argument("--trained-ks", type=int, nargs="*", default=None,
                   help="hidden widths of the trained interpolants (default 100 200 400)")
    p.add_argument("--domains", nargs="*", default=["ball"], choices=sorted(DOMAINS))
    p.add_argument("--skip-closure", action="store_true")
    p.add_argument("--skip-trained", action="store_true")
    p.add_argument("--ks", type=int, nargs="*", default=None)
    p.add_argument("--ds", type=int, nargs="*", default=None)
    p.add_argument("--out", default="results/exact.jsonl")
    p.add_argument("--figures-only", action="store_true", help="redraw from --out")
    return p.parse_args()


def random_net(d: int, k: int, seed: int) -> TwoLayerNet:
    rng = np.random.default_rng(seed)
    return TwoLayerNet(rng.standard_normal(k) / math.sqrt(k),
                       rng.standard_normal((k, d)) / math.sqrt(d),
                       0.5 * rng.standard_normal(k), "relu")


def _done(out: Path) -> dict:
    return {r["key"]: r for r in read_records(out)} if out.exists() else {}


def closure(ds, ks, nets: int, limit: float, out: Path) -> list[dict]:
    done = _done(out)
    rows = []
    print(f"\n# closure on the unit ball ({nets} nets per cell, {limit:g} s each)")
    print(f"{'d':>3} {'k':>4} {'closed':>7} {'med sec':>8} {'med gap':>9} {'nodes':>7}")
    for d in ds:
        dead = False
        for k in ks:
            cell = []
            for i in range(nets):
                key = f"closure/d{d}/k{k}/net{i}/t{limit:g}"
                if key in done:
                    cell.append(done[key])
                    continue
                if dead:
                    rec = {"key": key, "table": "closure", "d": d, "k": k, "net": i,
                           "skipped": True}
                else:
                    res = branch_and_bound_lipschitz(random_net(d, k, 1000 * d + k + i), BALL,
                                                     seed=i, time_limit=limit)
                    rec = {"key": key, "table": "closure", "d": d, "k": k, "net": i,
                           "skipped": False, "time_limit": limit, **res.to_dict()}
                    rec.pop("witness")
                append_record(out, rec)
                cell.append(rec)
            rows.extend(cell)
            run = [r for r in cell if not r["skipped"]]
            if not run:
                print(f"{d:>3} {k:>4} {'skipped':>7}")
                continue
            closed = [r for r in run if r["exact"] is not None]
            secs = sorted(r["seconds"] for r in closed)
            gaps = sorted(r["gap"] for r in run)
            print(f"{d:>3} {k:>4} {len(closed):>3}/{len(run):<3} "
                  f"{(secs[len(secs) // 2] if secs else float('nan')):>8.2f} "
                  f"{gaps[len(gaps) // 2]:>9.2e} "
                  f"{int(np.median([r['nodes'] for r in run])):>7}", flush=True)
            dead = dead or not closed
    return rows


def trained(ks, limits, out: Path, domains=("ball",)) -> list[dict]:
    """Trained interpolants: one fit per k, then for each domain the old bracket and
    branch and bound under ``limits[i]`` seconds for ``ks[i]``."""
    done = _done(out)
    rows = []
    X = sphere_data(192, 24, seed=7)
    y = rademacher_labels(192, seed=8)
    for k, limit in zip(ks, limits, strict=True):
        fit = None
        for dom in domains:
            key = (f"trained/k{k}/t{limit:g}" if dom == "ball"
                   else f"trained/{dom}/k{k}/t{limit:g}")
            if key in done:
                rows.append(done[key])
                continue
            if fit is None:
                fit = fit_interpolant(X, y, k, seed=0)
            net, domain = fit.net, DOMAINS[dom]
            print(f"\n# trained interpolant, d = 24, n = 192, k = {k}, {domain.label} "
                  f"({limit:g} s)", flush=True)
            t0 = time.perf_counter()
            rep = lipschitz_report(net, domain, X=X, seed=0, exact=False)
            old_sec = time.perf_counter() - t0
            res = branch_and_bound_lipschitz(net, domain, seed=0, X=X, time_limit=limit,
                                             witness=rep.lower_witness)
            rec = {"key": key, "table": "trained", "k": k,
                   "fit_status": fit.status, "time_limit": limit,
                   "old_lower": rep.lower, "old_upper": rep.upper,
                   "old_ratio": rep.upper / rep.lower if rep.lower > 0 else math.inf,
                   "old_seconds": old_sec, **res.to_dict(),
                   "ratio": res.upper / res.lower if res.lower > 0 else math.inf,
                   "history": [list(h) for h in res.history]}  # domain: its label
            rec.pop("witness")
            append_record(out, rec)
            rows.append(rec)
            print(f"k = {k}, {dom}: old bracket [{rep.lower:.5f}, {rep.upper:.5f}] ratio "
                  f"{rec['old_ratio']:.4f} ({old_sec:.1f} s); branch and bound "
                  f"[{res.lower:.5f}, {res.upper:.5f}] ratio {rec['ratio']:.4f} "
                  f"({res.nodes} nodes, {res.seconds:.0f} s, {res.status})", flush=True)
    return rows


def figures(rows: list[dict], stem: Path) -> None:
    import matplotlib.pyplot as plt

    from numerics.records import save_figure

    allc = [r for r in rows if r.get("table") == "closure"]
    clo = [r for r in allc if not r["skipped"]]
    if clo:
        ds = sorted({r["d"] for r in allc})
        ks = sorted({r["k"] for r in allc})
        F = np.full((len(ds), len(ks)), np.nan)
        for i, d in enumerate(ds):
            for j, k in enumerate(ks):
                cell = [r for r in clo if r["d"] == d and r["k"] == k]
                if cell:
                    F[i, j] = np.mean([r["exact"] is not None for r in cell])
        fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
        im = ax.imshow(F, vmin=0, vmax=1, cmap="viridis", origin="lower", aspect="auto")
        ax.set_xticks(range(len(ks)), [str(k) for k in ks])
        ax.set_yticks(range(len(ds)), [str(d) for d in ds])
        ax.set_xlabel("hidden units k")
        ax.set_ylabel("input dimension d")
        lim = clo[0]["time_limit"]
        ax.set_title(f"Random ReLU nets on the unit ball: fraction whose\n"
                     f"Lipschitz bracket closed in {lim:g} s (blank: not run)")
        for i in range(len(ds)):
            for j in range(len(ks)):
                if np.isfinite(F[i, j]):
                    ax.text(j, i, f"{F[i, j]:.2f}", ha="center", va="center",
                            color="white" if F[i, j] < 0.5 else "black")
        fig.colorbar(im, ax=ax, label="fraction closed")
        save_figure(fig, f"{stem}_closure")
        plt.close(fig)
    tr = [r for r in rows if r.get("table") == "trained"]
    if tr:
        order = [D.label for D in DOMAINS.values()]  # ball, R^d, sphere
        doms = sorted({r.get("domain", BALL.label) for r in tr}, key=order.index)
        shown = {"R^d": r"$\mathbb{R}^d$", BALL.label: "unit ball",
                 DOMAINS["sphere"].label: "unit sphere (geodesic)"}
        fig, axes = plt.subplots(1, len(doms), figsize=(5.5 * len(doms) + 2, 4.5),
                                 layout="constrained", squeeze=False)
        for ax, dom in zip(axes[0], doms, strict=True):
            for r in (r for r in tr if r.get("domain", BALL.label) == dom):
                h = np.array(r["history"])
                line, = ax.plot(h[:, 0], h[:, 2] / h[:, 1],
                                label=f"k = {r['k']}: branch and bound")
                ax.axhline(r["old_ratio"], ls="--", color=line.get_color(),
                           label=f"k = {r['k']}: previous bracket")
            ax.set_xlabel("seconds")
            ax.set_ylabel("certified upper / lower")
            ax.set_title(f"Trained interpolants ($d = 24$, $n = 192$) on {shown.get(dom, dom)}:"
                         "\ncertified Lipschitz bracket against time", fontsize=9)
            ax.legend(fontsize=7, loc="center right")
        save_figure(fig, f"{stem}_trained")
        plt.close(fig)


def main() -> None:
    args = _parse()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    ds = args.ds or ((4, 6, 10) if args.quick else DS)
    ks = args.ks or ((20, 50) if args.quick else KS)
    limit = 5.0 if args.quick else args.time_limit
    rows = []
    if args.figures_only:
        figures(read_records(out), out.with_suffix(""))
        return
    if not args.skip_closure:
        rows += closure(ds, ks, 1 if args.quick else args.nets, limit, out)
    if not args.skip_trained:
        tks = (100,) if args.quick else tuple(args.trained_ks or (100, 200, 400))
        if args.quick:
            limits = [10.0]
        elif args.trained_limits:
            if len(args.trained_limits) != len(tks):
                raise SystemExit(f"--trained-limits: expected {len(tks)} values (one per k "
                                 f"in {tks}), got {len(args.trained_limits)}")
            limits = list(args.trained_limits)
        else:
            limits = [args.trained_limit] * len(tks)
        rows += trained(tks, limits, out, tuple(args.domains))
    figures(rows, out.with_suffix(""))


if __name__ == "__main__":
    main()
