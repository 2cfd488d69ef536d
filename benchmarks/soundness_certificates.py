"""Soundness campaign for the per-instance certificates (:mod:`numerics.certify`) and the
constructions' certified upper bounds (:mod:`numerics.construct`), issue 13.

The companion of ``benchmarks/soundness.py`` (which covers :mod:`numerics.lipschitz`).
Random and adversarial instances, weight scales 1e-8 .. 1e8:

- **certificates** (``ball``, ``sphere`` and ``quadratic`` families): every deterministic
  lower-bound certificate that applies (R1, R1.pair, R1.sphere, R1.sphere.agg, R2.inst,
  R3; the exact-fit hypothesis is lifted, since every certificate uses the network's
  actual values) is compared with the exact constant (the rational constant-gradient
  oracle of ``soundness.py`` or region enumeration for piecewise-linear nets, d <= 3;
  :math:`2\\|A\\|_{op}` in 50-digit arithmetic for quadratic nets; the path norm in
  50-digit arithmetic for R2.inst) and with the toolkit's certified upper bounds on the
  same domain;
- **constructions** (``construction`` family): C1, C2 and C4 on small data sets on the
  sphere, some nearly degenerate (points 1e-6 apart, nearly antipodal), each certified
  upper bound compared with the exact constant (enumeration, d <= 3) and with the
  certified lower bounds (data pairs and gradient search) of the network it built.

An **overclaim** is a certified lower bound above an exact value or a certified upper
bound (or an upper bound below an exact value). Outcomes are appended as JSON lines
(``--out``, default ``results/soundness_certificates.jsonl``) and a summary is printed and
written next to it. Run ``python benchmarks/soundness_certificates.py [--n 4000]``.
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

import mpmath  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from soundness import exact_float, make_instance, rational_exact  # noqa: E402

from numerics import rounding  # noqa: E402
from numerics.certify import certify  # noqa: E402
from numerics.construct import c1_one_neuron_per_point, c2_cap_ramps, c4_grouped_min_norm  # noqa: E402
from numerics.domain import Domain  # noqa: E402
from numerics.lipschitz import (  # noqa: E402
    centered_upper_bound,
    gradient_lower_bound,
    pair_lower_bound,
    path_norm_upper_bound,
    spectral_upper_bound,
)
from numerics.models import TwoLayerNet  # noqa: E402
from numerics.records import append_record, write_json_atomic  # noqa: E402

FAMILIES = ("ball", "sphere", "quadratic", "construction")
LIP = (r"\mathrm{Lip}_{B_R}(f)", r"\mathrm{Lip}_{B_1}(f)", r"\mathrm{Lip}_S(f)")
PATH = r"\sum_\ell |a_\ell|\,\|w_\ell\|"
mpmath.mp.dps = 50


def _labels(rng, n):
    y = rng.choice([-1.0, 1.0], n)
    y[0], y[-1] = 1.0, -1.0
    return y


def _uppers(net, dom):
    return {"spectral": spectral_upper_bound(net, dom),
            "path_norm": path_norm_upper_bound(net, dom),
            "centered": centered_upper_bound(net, dom)}


def _mp_path_norm(net):
    return mpmath.fsum(abs(mpmath.mpf(float(a))) * mpmath.sqrt(mpmath.fsum(
        mpmath.mpf(float(v)) ** 2 for v in w)) for a, w in zip(net.a, net.W, strict=True))


def _mp_quadratic_lip(net):
    A = mpmath.zeros(net.d, net.d)
    for a, w in zip(net.a, net.W, strict=True):
        for i in range(net.d):
            for j in range(net.d):
                A[i, j] += mpmath.mpf(float(a)) * mpmath.mpf(float(w[i])) * mpmath.mpf(float(w[j]))
    ev = mpmath.eigsy(A, eigvals_only=True)
    return 2 * max(abs(e) for e in ev)


def certificate_instance(rng, family):
    """(net, X, y, domain) for one certificate instance."""
    if family == "quadratic":
        d, k = int(rng.integers(1, 4)), int(rng.integers(1, 5))
        s = 10.0 ** rng.uniform(-8, 8)
        W = rng.standard_normal((k, d))
        a = rng.standard_normal(k) * s
        if k >= 2 and rng.random() < 0.5:          # 1e8-type cancellation
            W[1] = W[0] * (1 + 10.0 ** rng.uniform(-12, -6))
            a[1] = -a[0]
        net = TwoLayerNet(a, W, None, "power:2")
        X = rng.uniform(-1, 1, (int(rng.integers(2, 8)), d))
        return net, rounding.into_ball(X, 1.0), _labels(rng, X.shape[0]), Domain.ball(1.0)
    if family == "sphere":
        d = int(rng.integers(2, 4))
        k = int(rng.integers(1, d))                # rank W < d
        s = 10.0 ** rng.uniform(-4, 4)
        net = TwoLayerNet(rng.standard_normal(k) * s, rng.standard_normal((k, d)),
                          rng.standard_normal(k) * 0.5, str(rng.choice(["relu", "abs"])))
        X = rng.standard_normal((int(rng.integers(2, 8)), d))
        if rng.random() < 0.5:
            X[1] = X[0] + 1e-9 * rng.standard_normal(d)
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        return net, X, _labels(rng, X.shape[0]), Domain.sphere(1.0)
    fam = ("ordinary", "scale", "cancellation", "near_parallel", "outside_switch",
           "constant_gradient")[int(rng.integers(0, 6))]
    net, _, _, X = make_instance(rng, fam)
    return net, rounding.into_ball(X, 1.0), _labels(rng, X.shape[0]), Domain.ball(1.0)


def run_certificates(i, rng, family):
    net, X, y, dom = certificate_instance(rng, family)
    rec = {"key": i, "family": family, "activation": net.spec, "d": net.d, "k": net.k,
           "overclaims": [], "checked": 0}
    certs = [c for c in certify(net, X, y, fit_tol=1e300)
             if c.bound.direction == "lower" and c.value is not None and c.probability is None]
    if family == "quadratic":
        exact, uppers = _mp_quadratic_lip(net), {}
    else:
        rat = rational_exact(net, 2.0) if dom.kind == "ball" else None
        exact = (mpmath.sqrt(mpmath.mpf(rat.numerator) / rat.denominator) if rat is not None
                 else exact_float(net, dom, 2.0))
        uppers = _uppers(net, dom)
        rec["oracle"] = "rational" if rat is not None else ("enumeration" if exact is not None
                                                            else None)
    for c in certs:
        key, v = c.bound.key, float(c.value)
        on_dom = (c.bound.quantity == LIP[2]) == (dom.kind == "sphere")
        if c.bound.quantity == PATH:
            rec["checked"] += 1
            if mpmath.mpf(v) > _mp_path_norm(net):
                rec["overclaims"].append(f"{key} > path norm")
        elif c.bound.quantity in LIP and on_dom:
            rec["checked"] += 1
            if exact is not None:
                slack = 1 + 1e-9 if rec.get("oracle") == "enumeration" else 1
                if mpmath.mpf(v) > mpmath.mpf(exact) * slack:
                    rec["overclaims"].append(f"{key} > exact")
            rec["overclaims"] += [f"{key} > {n}" for n, u in uppers.items() if v > u]
    return rec


def construction_instance(rng):
    d = int(rng.integers(2, 4))
    n = int(rng.integers(2, 7))
    X = rng.standard_normal((n, d))
    kind = int(rng.integers(0, 3))
    if kind == 1:
        X[1] = X[0] + 1e-6 * rng.standard_normal(d)
    elif kind == 2:
        X[1] = -X[0] + 1e-6 * rng.standard_normal(d)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X, _labels(rng, n)


def run_construction(i, rng):
    X, y = construction_instance(rng)
    rec = {"key": i, "family": "construction", "d": X.shape[1], "n": X.shape[0],
           "overclaims": [], "checked": 0}
    for name, build in (("C1", c1_one_neuron_per_point), ("C2", c2_cap_ramps),
                        ("C4", lambda X, y: c4_grouped_min_norm(X, y, group_size=1))):
        r = build(X, y)
        for cu in r.bounds:
            if cu.value is None:
                continue
            rec["checked"] += 1
            dom, u = cu.domain, float(cu.value)
            lows = [pair_lower_bound(r.net, X, dom, 2.0)[0]]
            if dom.kind != "rd":
                lows.append(gradient_lower_bound(r.net, dom, n_random=16, steps=5, polish_top=4,
                                                 polish_rounds=2, kicks=0, lp_top=0, n_vertex=8,
                                                 seed=i)[0])
            if max(lows) > u:
                rec["overclaims"].append(f"{name} {dom.kind}: lower {max(lows):.17g} > {u:.17g}")
            ex = exact_float(r.net, dom, 2.0) if r.net.k <= 6 else None
            if ex is not None and u < ex * (1 - 1e-9):
                rec["overclaims"].append(f"{name} {dom.kind}: exact > upper")
    return rec


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=4000, help="number of instances")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("results/soundness_certificates.jsonl"))
    args = ap.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.unlink(missing_ok=True)
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    counts = {f: 0 for f in FAMILIES}
    checked = {f: 0 for f in FAMILIES}
    over, errors, oracles = [], [], {}
    for i in range(args.n):
        family = FAMILIES[i % len(FAMILIES)]
        try:
            rec = (run_construction(i, rng) if family == "construction"
                   else run_certificates(i, rng, family))
        except Exception as exc:  # an error is a finding: record it, go on
            errors.append(f"{i} {family}: {type(exc).__name__}: {exc}")
            append_record(args.out, {"key": i, "family": family, "error": str(exc)})
            continue
        append_record(args.out, rec)
        counts[family] += 1
        checked[family] += rec["checked"]
        over += [(i, family, o) for o in rec["overclaims"]]
        if rec.get("oracle"):
            oracles[rec["oracle"]] = oracles.get(rec["oracle"], 0) + 1
    summary = {"instances": int(sum(counts.values())), "per_family": counts,
               "bounds_checked": checked, "exact_comparisons": oracles,
               "errors": len(errors), "error_examples": errors[:5],
               "overclaims": len(over), "overclaim_examples": over[:10],
               "seconds": round(time.perf_counter() - t0, 1)}
    write_json_atomic(args.out.with_suffix(".summary.json"), summary)
    print(json.dumps(summary, indent=2))
    return 0 if not over else 1


if __name__ == "__main__":
    raise SystemExit(main())
