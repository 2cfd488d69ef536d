"""Soundness campaign for the certified numbers of :mod:`numerics.lipschitz` (issue 13).

At least 10^4 random and adversarial instances (network, domain, p) across
activations (relu, leaky relu, abs, tanh, softplus, power), domains (R^d, unit ball,
unit sphere), p in {1, 2, inf} and weight scales 1e-8 .. 1e8. For each instance the
certified lower bounds (data pairs, including points 1e-11 apart, and the gradient
search at low effort) and the closed-form upper bounds are computed, and counted as

- an **overclaim** when a certified lower bound exceeds a certified upper bound, or an
  exact value: the rational constant-gradient oracle (every neuron on or off on the
  whole ball, compared exactly in :class:`fractions.Fraction`) or, for
  piecewise-linear nets with d <= 3, the region enumeration (a float computation,
  compared with a relative 1e-9);
- a **witness failure** when re-verifying a witness does not give its value.

On ordinary networks (standard Gaussian weights, unit scales) it also reports how
much tightness the rigorous margins cost: the median relative change of the certified
lower bounds (the certified value at the witness) and of the closed-form upper bounds,
both against the raw float values (the old certified numbers were these times
``1 -+ 1e-12``, so the old factors cost exactly 1e-12).

Each instance's outcome is appended as a JSON line (``--out``, default
``results/soundness.jsonl``, via :func:`numerics.records.append_record`); the
summary is printed and written next to it. Run
``python benchmarks/soundness.py [--n 10000] [--seed 0]`` (one process, ~10 min).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from fractions import Fraction  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from numerics.domain import Domain  # noqa: E402
from numerics.lipschitz import (  # noqa: E402
    centered_upper_bound,
    exact_lp_lipschitz,
    exact_relu_lipschitz,
    gradient_lower_bound,
    lp_lower_bound,
    operator_upper_bound_lp,
    pair_lower_bound,
    path_norm_upper_bound,
    path_norm_upper_bound_lp,
    slope_ranges,
    spectral_upper_bound,
)
from numerics.models import TwoLayerNet  # noqa: E402
from numerics.records import append_record, write_json_atomic  # noqa: E402

ACTS = ("relu", "leaky_relu:0.1", "abs", "tanh", "softplus:2", "power:2")
PL = ("relu", "leaky_relu:0.1", "abs")
FAMILIES = ("ordinary", "scale", "cancellation", "near_parallel", "outside_switch",
            "constant_gradient")


def make_instance(rng: np.random.Generator, family: str):
    """(net, domain, p, X) for one instance of a family."""
    d = int(rng.integers(1, 4))
    k = int(rng.integers(1, 7))
    act = str(rng.choice(ACTS if family in ("ordinary", "scale") else PL))
    dom = [Domain.rd(), Domain.ball(1.0), Domain.sphere(1.0)][int(rng.integers(0, 3))]
    if dom.kind == "sphere" and d < 2:
        dom = Domain.ball(1.0)
    p = float([1.0, 2.0, np.inf][int(rng.integers(0, 3))])
    if dom.kind == "sphere":
        p = 2.0
    w = rng.standard_normal(d)
    w /= np.linalg.norm(w)
    if family in ("ordinary", "scale"):
        sa, sw = (0, 0) if family == "ordinary" else (int(rng.integers(-8, 9)),
                                                       int(rng.integers(-4, 5)))
        W = rng.standard_normal((k, d)) * 10.0**sw
        net = TwoLayerNet(rng.standard_normal(k) * 10.0**sa / np.sqrt(k), W,
                          0.5 * rng.standard_normal(k) * 10.0**sw, act)
    elif family == "cancellation":
        b0 = float(rng.choice([0.0, 0.3, 10.0]))
        net = TwoLayerNet([1e8, -1e8], np.stack([w, w]), [b0, b0 + 1e-7], act)
    elif family == "near_parallel":
        eps = 10.0 ** rng.uniform(-10, -6)
        A = float(rng.choice([1.0, 1.7e8]))
        b0 = float(rng.choice([0.0, 0.5, 10.0]))
        net = TwoLayerNet([A, -A], np.stack([w, w + eps * rng.standard_normal(d)]),
                          [b0, b0], act)
    elif family == "outside_switch":
        delta = 10.0 ** rng.uniform(-12, -8)
        net = TwoLayerNet([1.0, 1e12], np.stack([w, w]), [0.0, -(1.0 + delta)], act)
    else:
        net, dom = _constant_gradient(rng, d, k), Domain.ball(1.0)
    centre = rng.standard_normal(d)
    centre *= 0.9 * rng.random() / max(np.linalg.norm(centre), 1e-300)
    scale = 10.0 ** rng.choice([-11.0, -9.0, -1.0])
    X = centre + scale * rng.standard_normal((int(rng.integers(2, 12)), d))
    return net, dom, p, X


def _constant_gradient(rng, d, k):
    W = rng.standard_normal((k, d)) * 10.0 ** rng.integers(-4, 5)
    if k >= 2 and rng.random() < 0.5:
        W[1] = W[0] * (1 + 10.0 ** rng.uniform(-10, -6))
    a = rng.standard_normal(k) * 10.0 ** rng.integers(-8, 9)
    if k >= 2 and rng.random() < 0.5:
        a[1] = -a[0]
    sign = np.where(rng.random(k) < 0.7, 1.0, -1.0)
    b = sign * np.linalg.norm(W, axis=1) * (1 + 10.0 ** rng.uniform(-6, 1))
    return TwoLayerNet(a, W, b, "relu")


def rational_exact(net: TwoLayerNet, p: float) -> Fraction | None:
    """The exact Lipschitz constant on the unit ball (its square for p = 2) of a
    piecewise-linear net whose every neuron's sign is constant there (checked
    exactly), else None."""
    slopes = {"relu": (1, 0), "abs": (1, -1), "leaky_relu:1/10": (1, Fraction(1, 10))}
    if net.spec not in slopes:
        return None
    on, off = slopes[net.spec]
    g = [Fraction(0)] * net.d
    for a, w, b in zip(net.a, net.W, net.b, strict=True):
        wf = [Fraction(float(v)) for v in w]
        if not Fraction(float(b)) ** 2 > sum(v * v for v in wf):
            return None
        s = Fraction(float(a)) * (on if b > 0 else off)
        g = [gi + s * v for gi, v in zip(g, wf, strict=True)]
    if p == 2.0:
        return sum(v * v for v in g)
    return max(abs(v) for v in g) if p == 1.0 else sum(abs(v) for v in g)


def bounds(net, dom, p, X, seed):
    """name -> (value, witness or None) for the lower bounds; name -> value for the uppers."""
    lowers = {}
    v, w = pair_lower_bound(net, X, dom, p)
    lowers["pair"] = (v, w)
    if p == 2.0:
        v, w = gradient_lower_bound(net, dom, n_random=16, steps=5, polish_top=4,
                                    polish_rounds=3, kicks=0, lp_top=0, n_vertex=8, seed=seed)
        lowers["gradient"] = (v, w)
        uppers = {"spectral": spectral_upper_bound(net, dom),
                  "path_norm": path_norm_upper_bound(net, dom),
                  "centered": centered_upper_bound(net, dom)}
    else:
        v, w, _ = lp_lower_bound(net, dom, p, n_samples=16, n_starts=4, steps=5,
                                 polish_rounds=2, seed=seed)
        lowers["lp_search"] = (v, w)
        uppers = {"path_norm_lp": path_norm_upper_bound_lp(net, dom, p),
                  "operator_lp": operator_upper_bound_lp(net, dom, p)}
    return lowers, uppers


def old_values(net, dom, p, lowers):
    """The pre-issue-13 numbers at the same witnesses: the raw float quotient / gradient
    norm (the old value was this times 1 - 1e-12), and the float closed-form bounds
    (p = 2; the old value was this times 1 + 1e-12)."""
    old_lo = {}
    for name, (_, w) in lowers.items():
        if w is None:
            continue
        P = w.points
        if w.kind == "pair":
            dist = float(dom.distance(P[:1], P[1:])[0]) if p == 2.0 else float(
                np.linalg.norm(P[0] - P[1], ord=p))
            raw = abs(float(net(P[:1])[0] - net(P[1:])[0])) / dist
        else:
            G = dom.effective_gradient(P, net.gradient(P))
            q = {1.0: np.inf, 2.0: 2.0, np.inf: 1.0}[p]
            raw = float(np.linalg.norm(G[0], ord=q))
        old_lo[name] = raw
    if p != 2.0:
        return old_lo, {}
    lo, hi = slope_ranges(net, dom)
    L = np.maximum(np.abs(lo), np.abs(hi))
    aL = np.abs(net.a) * L
    with np.errstate(invalid="ignore"):  # unbounded slopes (inf - inf): no old bound then
        m, h = (lo + hi) / 2, (hi - lo) / 2
    ah = np.abs(net.a) * h
    spec = float(np.linalg.norm(net.W, 2))
    old_up = {"spectral": spec * float(np.linalg.norm(aL)),
              "path_norm": float(np.sum(aL * np.linalg.norm(net.W, axis=1))),
              "centered": (float(np.linalg.norm(net.W.T @ (net.a * m)))
                           + min(spec * float(np.linalg.norm(ah)),
                                 float(np.sum(ah * np.linalg.norm(net.W, axis=1)))))}
    return old_lo, old_up


def exact_float(net, dom, p):
    """The enumerated value for piecewise-linear nets with d <= 3, or None."""
    if not net.activation.is_piecewise_linear or net.d > 3 or net.k > 6:
        return None
    if p == 2.0:
        res = exact_relu_lipschitz(net, dom)
        return None if res is None else res.value
    return exact_lp_lipschitz(net, dom, p)[0]


def run_instance(i, rng, family):
    net, dom, p, X = make_instance(rng, family)
    lowers, uppers = bounds(net, dom, p, X, seed=i)
    rec = {"key": i, "family": family, "activation": net.spec, "d": net.d, "k": net.k,
           "domain": dom.kind, "p": "inf" if p == np.inf else int(p),
           "lower": max(v for v, _ in lowers.values()), "upper": min(uppers.values()),
           "overclaims": [], "witness_failures": 0}
    for name, (v, w) in lowers.items():
        if w is not None and w.verify(net, dom) != v:
            rec["witness_failures"] += 1
        for un, u in uppers.items():
            if v > u:
                rec["overclaims"].append(f"{name} > {un}")
    ex = rational_exact(net, p) if dom.kind == "ball" else None
    if ex is not None:
        rec["oracle"] = "rational"
        sq = (lambda v: Fraction(v) ** 2) if p == 2.0 else Fraction
        rec["overclaims"] += [f"{n} > exact" for n, (v, _) in lowers.items() if sq(v) > ex]
        rec["overclaims"] += [f"exact > {n}" for n, u in uppers.items()
                              if np.isfinite(u) and sq(u) < ex]
    else:
        fe = exact_float(net, dom, p)
        if fe is not None:
            rec["oracle"] = "enumeration"
            rec["exact"] = fe
            rec["overclaims"] += [f"{n} > exact" for n, (v, _) in lowers.items()
                                  if v > fe * (1 + 1e-9) + 1e-300]
            rec["overclaims"] += [f"exact > {n}" for n, u in uppers.items()
                                  if u < fe * (1 - 1e-9)]
    if family == "ordinary":
        old_lo, old_up = old_values(net, dom, p, lowers)
        rec["rel_lower"] = [(lowers[n][0] - v) / v for n, v in old_lo.items() if v > 0]
        rec["rel_upper"] = [(uppers[n] - v) / v for n, v in old_up.items()
                            if v > 0 and np.isfinite(v)]
    return rec


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10_000, help="number of instances")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("results/soundness.jsonl"))
    args = ap.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.unlink(missing_ok=True)
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    counts = {f: 0 for f in FAMILIES}
    over, wit, oracles, rel_lo, rel_up, errors = [], 0, {}, [], [], []
    for i in range(args.n):
        family = FAMILIES[i % len(FAMILIES)]
        try:
            rec = run_instance(i, rng, family)
        except Exception as exc:  # an error is a finding: record it, go on
            errors.append(f"{i} {family}: {type(exc).__name__}: {exc}")
            append_record(args.out, {"key": i, "family": family, "error": str(exc)})
            continue
        append_record(args.out, rec)
        counts[family] += 1
        over += [(i, family, o) for o in rec["overclaims"]]
        wit += rec["witness_failures"]
        if "oracle" in rec:
            oracles[rec["oracle"]] = oracles.get(rec["oracle"], 0) + 1
        rel_lo += rec.get("rel_lower", [])
        rel_up += rec.get("rel_upper", [])
    summary = {
        "instances": int(sum(counts.values())), "per_family": counts, "errors": len(errors),
        "error_examples": errors[:5], "overclaims": len(over), "overclaim_examples": over[:10],
        "witness_failures": wit, "exact_comparisons": oracles,
        "median_rel_change_lower": float(np.median(np.abs(rel_lo))) if rel_lo else None,
        "max_rel_change_lower": float(np.max(np.abs(rel_lo))) if rel_lo else None,
        "median_rel_change_upper": float(np.median(np.abs(rel_up))) if rel_up else None,
        "max_rel_change_upper": float(np.max(np.abs(rel_up))) if rel_up else None,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    write_json_atomic(args.out.with_suffix(".summary.json"), summary)
    print(json.dumps(summary, indent=2))
    return 0 if not over and not wit else 1


if __name__ == "__main__":
    raise SystemExit(main())
