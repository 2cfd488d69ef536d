"""How good is the gradient-ascent lower bound of :mod:`numerics.lipschitz.search`?

Two experiments (issue 2, "done when"):

(a) **Random ReLU networks, d in {2, 3}, k <= 64** (``a ~ N(0, 1/k)``,
    ``W ~ N(0, I)``, ``b ~ N(0, 0.5^2)``): the fraction of (network, domain)
    pairs on which :func:`gradient_lower_bound` reaches >= 0.99 of
    :func:`exact_relu_lipschitz`, per domain (R^d, unit ball, unit sphere),
    for the default effort and a thorough effort
    (``n_random=2048, polish_top=256, steps=30``).

(b) **Networks trained to fit random labels** (d = 24, n = 192 points uniform
    on the sphere, Rademacher labels, k in {24, 96, 384}, trained to exact
    interpolation with :func:`numerics.construct.fit.fit_interpolant`): on the unit ball,
    :func:`gradient_lower_bound` (data points as extra starts, default effort)
    against the common practice "largest gradient norm over M random points
    uniform in the ball", with M chosen so that the baseline uses the same wall
    time as the ascent (throughput measured in the same run), and with a fixed
    M = 4096. Medians over several seeds. The remaining gap is the best proved
    upper bound (spectral, path norm, centered, LipSDP) divided by
    the lower bound.

Run ``python benchmarks/lipschitz_search.py [--quick] [--json out.json]``.
``OPENBLAS_NUM_THREADS`` (and OMP/MKL) are set to 1 *before* numpy is imported,
so that timings are single-threaded and comparable on a shared machine (an
explicit setting in the environment wins).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from numerics.construct import fit_interpolant  # noqa: E402
from numerics.data import random_dataset  # noqa: E402
from numerics.domain import Domain  # noqa: E402
from numerics.lipschitz import (  # noqa: E402
    centered_upper_bound,
    exact_relu_lipschitz,
    gradient_lower_bound,
    lipsdp_upper_bound,  # noqa: E402
    path_norm_upper_bound,
    spectral_upper_bound,
)
from numerics.models import TwoLayerNet  # noqa: E402

DOMAINS = {"rd": Domain.rd(), "ball": Domain.ball(1.0), "sphere": Domain.sphere(1.0)}
EFFORTS = {
    "default": {},
    "thorough": {"n_random": 2048, "polish_top": 256, "steps": 30},
}


def random_relu_net(rng: np.random.Generator, d: int, k: int) -> TwoLayerNet:
    """``a ~ N(0, 1/k)``, ``W ~ N(0, I)``, ``b ~ N(0, 0.5^2)``."""
    return TwoLayerNet(rng.standard_normal(k) / np.sqrt(k), rng.standard_normal((k, d)),
                       0.5 * rng.standard_normal(k), "relu")


def part_a(n_nets: int, seed: int, kmax: int = 64, log=print) -> dict:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_nets):
        d = int(rng.choice([2, 3]))
        k = int(rng.integers(1, kmax + 1))
        net = random_relu_net(rng, d, k)
        for name, dom in DOMAINS.items():
            t0 = time.perf_counter()
            ex = exact_relu_lipschitz(net, dom)
            t_ex = time.perf_counter() - t0
            if ex is None or ex.value <= 0:
                rows.append({"net": i, "d": d, "k": k, "domain": name, "exact": None})
                continue
            row = {"net": i, "d": d, "k": k, "domain": name, "exact": ex.value,
                   "t_exact": t_ex}
            for eff, kw in EFFORTS.items():
                t0 = time.perf_counter()
                v, _ = gradient_lower_bound(net, dom, seed=i, **kw)
                row[f"ratio_{eff}"] = v / ex.value
                row[f"t_{eff}"] = time.perf_counter() - t0
            rows.append(row)
        last = [r for r in rows[-3:] if r.get("exact")]
        log(f"  net {i:3d} d={d} k={k:2d}: " + "  ".join(
            f"{r['domain']}: {r['ratio_default']:.4f}/{r['ratio_thorough']:.4f}" for r in last))
    summary = {}
    for name in list(DOMAINS) + ["all"]:
        sel = [r for r in rows if r.get("exact") and (name == "all" or r["domain"] == name)]
        s = {"count": len(sel), "no_exact": sum(1 for r in rows if not r.get("exact")
                                                and (name == "all" or r["domain"] == name))}
        for eff in EFFORTS:
            ratios = np.array([r[f"ratio_{eff}"] for r in sel])
            times = np.array([r[f"t_{eff}"] for r in sel])
            s[eff] = {"frac_ge_0.99": float(np.mean(ratios >= 0.99)) if sel else None,
                      "frac_ge_0.999": float(np.mean(ratios >= 0.999)) if sel else None,
                      "min_ratio": float(ratios.min()) if sel else None,
                      "median_seconds": float(np.median(times)) if sel else None}
        summary[name] = s
    return {"rows": rows, "summary": summary}


def _baseline(net: TwoLayerNet, dom: Domain, m: int, rng, chunk: int = 4096) -> float:
    """Largest gradient norm over ``m`` points uniform in the domain."""
    best = 0.0
    for s in range(0, m, chunk):
        P = dom.sample(min(chunk, m - s), net.d, rng)
        best = max(best, float(np.max(np.linalg.norm(net.gradient(P), axis=1))))
    return best


def part_b(ks, runs: int, seed: int, n: int = 192, d: int = 24, m_fixed: int = 4096,
           log=print) -> dict:
    dom = Domain.ball(1.0)
    data = random_dataset(n, d, seed, kind="sphere")
    out = []
    for k in ks:
        t0 = time.perf_counter()
        fit = fit_interpolant(data.X, data.y, k, seed=seed)
        t_fit = time.perf_counter() - t0
        net = fit.net
        # throughput of the baseline (points per second), measured in this run
        rng = np.random.default_rng(seed + 1)
        t0 = time.perf_counter()
        _baseline(net, dom, 8192, rng)
        per_point = (time.perf_counter() - t0) / 8192
        lows, t_low, base_t, base_m, base_f = [], [], [], [], []
        for r in range(runs):
            t0 = time.perf_counter()
            v, w = gradient_lower_bound(net, dom, X=data.X, seed=r)
            t_low.append(time.perf_counter() - t0)
            lows.append(v)
            m = max(1, int(t_low[-1] / per_point))
            rng = np.random.default_rng(1000 + r)
            t0 = time.perf_counter()
            base_t.append(_baseline(net, dom, m, rng))
            base_m.append((m, time.perf_counter() - t0))
            base_f.append(_baseline(net, dom, m_fixed, np.random.default_rng(2000 + r)))
        t0 = time.perf_counter()
        sdp = lipsdp_upper_bound(net, dom)
        t_sdp = time.perf_counter() - t0
        uppers = {"spectral": spectral_upper_bound(net, dom),
                  "path_norm": path_norm_upper_bound(net, dom),
                  "centered": centered_upper_bound(net, dom)}
        if sdp is not None and sdp.certified:
            uppers["lipsdp"] = float(sdp.value)
        best_up = min(uppers, key=uppers.get)
        low = float(np.median(lows))
        row = {"k": k, "fit_status": fit.status, "fit_seconds": t_fit,
               "lower_ascent_median": low, "lower_ascent_min": float(min(lows)),
               "ascent_seconds_median": float(np.median(t_low)),
               "baseline_matched_median": float(np.median(base_t)),
               "baseline_matched_points_median": int(np.median([m for m, _ in base_m])),
               "baseline_matched_seconds_median": float(np.median([s for _, s in base_m])),
               "baseline_fixed_M": m_fixed,
               "baseline_fixed_median": float(np.median(base_f)),
               "ratio_ascent_over_matched": low / float(np.median(base_t)),
               "uppers": uppers, "best_upper": best_up, "lipsdp_seconds": t_sdp,
               "gap_upper_over_lower": uppers[best_up] / low}
        out.append(row)
        log(f"  k={k}: fit {fit.status} ({t_fit:.1f}s); ascent {low:.4g} in "
            f"{row['ascent_seconds_median']:.2f}s; baseline {row['baseline_matched_median']:.4g}"
            f" with M={row['baseline_matched_points_median']}; upper {uppers[best_up]:.4g}"
            f" ({best_up})")
    return {"n": n, "d": d, "runs": runs, "domain": "ball(R=1)", "rows": out}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="few networks, few runs")
    p.add_argument("--nets", type=int, default=None, help="networks in part (a) (default 60)")
    p.add_argument("--runs", type=int, default=None, help="seeds per network in part (b)")
    p.add_argument("--part", choices=("a", "b", "both"), default="both")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, help="write the results to this JSON file")
    args = p.parse_args(argv)
    n_nets = args.nets or (6 if args.quick else 60)
    runs = args.runs or (2 if args.quick else 5)
    ks = (24, 96) if args.quick else (24, 96, 384)
    result = {"config": {"nets": n_nets, "runs": runs, "ks": list(ks), "seed": args.seed,
                         "efforts": EFFORTS,
                         "threads": os.environ.get("OPENBLAS_NUM_THREADS")}}
    if args.part in ("a", "both"):
        print(f"(a) random ReLU networks, d in {{2,3}}, k <= 64, {n_nets} networks x 3 domains")
        result["a"] = part_a(n_nets, args.seed)
        print(f"\n{'domain':8s} {'effort':9s} {'n':>4s} {'>=0.99':>7s} {'>=0.999':>8s} "
              f"{'min ratio':>9s} {'median s':>9s}")
        for name, s in result["a"]["summary"].items():
            for eff in EFFORTS:
                e = s[eff]
                if e["frac_ge_0.99"] is None:
                    continue
                print(f"{name:8s} {eff:9s} {s['count']:4d} {e['frac_ge_0.99']:7.3f} "
                      f"{e['frac_ge_0.999']:8.3f} {e['min_ratio']:9.4f} "
                      f"{e['median_seconds']:9.3f}")
    if args.part in ("b", "both"):
        print(f"\n(b) trained networks (d=24, n=192), unit ball, medians of {runs} runs")
        result["b"] = part_b(ks, runs, args.seed)
        print(f"\n{'k':>4s} {'fit':>6s} {'ascent':>9s} {'sec':>6s} {'matched':>9s} {'M':>7s} "
              f"{'M=4096':>9s} {'asc/base':>8s} {'upper':>9s} {'which':>12s} {'up/low':>7s}")
        for r in result["b"]["rows"]:
            print(f"{r['k']:4d} {r['fit_status']:>6s} {r['lower_ascent_median']:9.4g} "
                  f"{r['ascent_seconds_median']:6.2f} {r['baseline_matched_median']:9.4g} "
                  f"{r['baseline_matched_points_median']:7d} {r['baseline_fixed_median']:9.4g} "
                  f"{r['ratio_ascent_over_matched']:8.3f} {r['uppers'][r['best_upper']]:9.4g} "
                  f"{r['best_upper']:>12s} {r['gap_upper_over_lower']:7.3f}")
    if args.json:
        path = Path(args.json)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(result, indent=1))
        tmp.replace(path)
        print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
