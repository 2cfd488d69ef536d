r"""The certified tradeoff curve: for each width k, a k-neuron ReLU interpolant of random
data with a small *certified* Lipschitz constant, bracketed by *proven* lower bounds.

For data :math:`x_i` uniform on :math:`S^{d-1}` with Rademacher labels
(:func:`numerics.data.random_dataset`), and a grid of widths k, one *panel* records:

- **U(k)**: the certified upper bound :math:`\mathrm{Lip}_{B_1}(f_k) \le U(k)` of the
  best interpolant :math:`f_k` found by
  :func:`numerics.construct.min_lipschitz.min_lipschitz_interpolant`
  (warm-started from the optimum at the previous k, padded with inactive neurons, so U is
  non-increasing in k up to the tolerance of the multiplier optimization). Every point is
  an exact interpolant (:math:`\max_i|f_k(x_i) - y_i| \le 10^{-9}`) whose weights and
  certificate (LipSDP multipliers) are saved beside the JSON-lines file and re-verified by
  :func:`verify_curve` in a separate call. With ``exact_node_limit`` > 0, branch and
  bound (:mod:`numerics.lipschitz.bnb`) runs on the network under that budget; where its
  bracket closes, U(k) is the exact constant (the smaller of the two certified numbers,
  so never larger than the certificate's ``U_cert``), recorded in ``lipschitz.exact``
  with ``lipschitz.bnb`` and the witness. Since
  :math:`f_k` interpolates, :math:`U(k) \ge \min\{\mathrm{Lip}_{B_1}(f): f\in F_k,
  f(x_i) = y_i\}`.
- **L(k)**: the best proven lower bound on that minimum, i.e. valid for *every* k-neuron
  interpolant (:func:`data_lower_bounds`): the projection bound R1
  (docs/mathematics.md#r1-projection-bound) with
  :math:`r = \min(k, d)` (its value decreases in r), and the pair bound
  :math:`2/\min_{i\in I_+, j\in I_-}\|x_i - x_j\|` (R1.pair with P = I). So
  :math:`L(k) \le \min_f \mathrm{Lip}_{B_1}(f) \le U(k)`: the minimum is bracketed.
- **L_net(k)**: the best certified lower bound on :math:`\mathrm{Lip}_{B_1}(f_k)` of the
  network found (witnessed gradient/pair search of
  :func:`numerics.lipschitz.report.lipschitz_report`,
  and the certificates of :func:`numerics.certify.certify`): how tight U is *for that
  network*.
- the spectral law R2 (and its sharpened form) evaluated at (n, k, ȳ): a lower bound, with
  probability :math:`\ge 1 - 3\delta` over the labels, on the *spectral proxy*
  :math:`\|a\|_2\|W\|_{op}` of every ReLU interpolant, not on Lip; recorded beside the
  network's own :math:`\|a\|_2\|W\|_{op}`.
- cited laws (Bubeck--Sellke, Shmalo, the BLN conjecture): evaluated only where their
  hypotheses hold; at these sizes they do not (the reason is recorded,
  :func:`cited_applicability`).
- :math:`\sqrt{n/k}` and the explicit constructions C1 (k = n), C2 (k = 2n), C4 (several
  group sizes) with their certified bounds (the smaller of the construction's own and the
  toolkit's :func:`numerics.construct.min_lipschitz.certify_point`).

Records are appended to a JSON-lines file (:func:`numerics.records.append_record`,
one write + fsync per record) and a rerun skips the keys already present (resume).
:func:`tradeoff_slope` fits the slope of :math:`\log U` against :math:`\log k`
(:func:`numerics.experiments.sweep.fit_slopes`, OLS with a 95% t-interval); the law of
robustness predicts -1/2 for the true minimum where :math:`\sqrt{n/k}` exceeds O(1).

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.jsonl"
>>> recs = run_tradeoff(10, 6, [4, 10], p, seed=0, outer=3, inner=100, light=True,
...                     constructions=False)
>>> [r["status"] for r in recs], all(c.ok for c in verify_curve(p).values())
(['exact', 'exact'], True)
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from numerics import rounding
from numerics._validate import as_positive_int
from numerics.construct import prune_candidates, split_neuron
from numerics.domain import Domain
from numerics.experiments.consistency import check_tradeoff_record
from numerics.experiments.runner import apply_check
from numerics.experiments.tradeoff_exact import _exact_fields, recheck_exact
from numerics.models import TwoLayerNet

__all__ = [
    "CURVE_METHOD",
    "checked",
    "cited_applicability",
    "data_lower_bounds",
    "default_ks",
    "load_point",
    "recheck_exact",
    "run_tradeoff",
    "verify_curve",
]

#: ``method`` of the U(k) records (the key of their slope in :func:`tradeoff_slope`).
CURVE_METHOD = "minlip"
_BALL = Domain.ball(1.0)


def default_ks(n: int, d: int, *, per_octave: int = 2) -> list[int]:
    r"""A geometric grid of widths from the parameter-count minimum
    :math:`\lceil n/(d+2)\rceil` (at least 2) to 2n, ``per_octave`` points per doubling.

    >>> default_ks(256, 32)
    [8, 11, 16, 23, 32, 45, 64, 91, 128, 181, 256, 362, 512]
    """
    n = as_positive_int(n, "n")
    d = as_positive_int(d, "d")
    per_octave = as_positive_int(per_octave, "per_octave")
    k0 = max(2, math.ceil(n / (d + 2)))
    m = int(math.floor(per_octave * math.log2(2 * n / k0) + 1e-9))
    ks = sorted({int(round(k0 * 2 ** (j / per_octave))) for j in range(m + 1)} | {2 * n})
    return ks


# ---------------------------------------------------------------------------
# lower bounds
# ---------------------------------------------------------------------------
def cited_applicability(n: int, d: int, k: int, *, delta: float = 0.05) -> list[dict]:
    r"""Whether the cited laws of :mod:`theory.bounds` can be evaluated as numbers on
    this instance, and why not.

    - **BS** (Bubeck--Sellke): needs :math:`8^4\log(8/\delta) \le n\epsilon^2` with
      :math:`\epsilon \le \sigma^2 = 1` for Rademacher labels (one mixture component),
      i.e. :math:`n \ge 4096\log(8/\delta)`, and polynomially bounded weights.
    - **Shmalo**: constants :math:`c_0, C_0` unspecified: not evaluable.
    - **BLN**: a conjecture with an unspecified constant; drawn as :math:`\sqrt{n/k}`
      (:math:`c_0 = 1`) for reference only.

    >>> [r["applies"] for r in cited_applicability(256, 32, 16)]
    [False, False, False]
    """
    from theory.bounds import get_bound

    n_min = 8**4 * math.log(8 / delta)
    out = []
    bs = get_bound("BS")
    out.append({"key": bs.key, "status": bs.status, "applies": n >= n_min, "value": None,
                "reason": (f"needs n >= 8^4 log(8/delta) / eps^2 >= {n_min:.0f} "
                           f"(eps <= 1), n = {n}") if n < n_min else
                "sample-size condition holds; needs a weight-diameter bound W (not evaluated)"})
    sh = get_bound("Shmalo")
    out.append({"key": sh.key, "status": sh.status, "applies": False, "value": None,
                "reason": "constants c_0, C_0 unspecified in the source: not evaluable"})
    bl = get_bound("BLN")
    out.append({"key": bl.key, "status": bl.status, "applies": False, "value": None,
                "reason": "conjecture (constant unspecified); sqrt(n/k) drawn for reference"})
    return out


def data_lower_bounds(X, y, k: int, *, delta: float = 0.05) -> dict:
    r"""Proven lower bounds on :math:`\mathrm{Lip}_{B_R}(f)`, R = max(1, max ||x_i||),
    valid for **every** k-neuron interpolant f of (X, y) (any activation, any biases),
    from the data alone.

    - ``R1``: the aggregate projection bound with :math:`r = \min(k, d) \ge
      \mathrm{rank}\,W` (the bound decreases in r), :math:`\|X\|_{op}` rounded up;
    - ``pair``: R1.pair with P = I and :math:`\Delta = 2`:
      :math:`2/\min_{i\in I_+, j\in I_-}\|x_i - x_j\|` (the segment lies in the ball);
    - ``L = max(R1, pair)`` and ``L_key``.

    Also recorded (not part of L): ``R2`` and ``R2_sharp``, the spectral law's lower
    bounds on :math:`\|a\|_2\|W\|_{op}` of ReLU interpolants (probability
    :math:`\ge 1-3\delta`, resp. :math:`1-\delta`, over the labels), and the cited laws
    (:func:`cited_applicability`).

    Examples
    --------
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0]]); y = np.array([1.0, -1.0])
    >>> lb = data_lower_bounds(X, y, 1)
    >>> round(lb["pair"], 6), lb["L_key"]        # 2 / sqrt(2)
    (1.414214, 'R1.pair')
    """
    from numerics.data import validate_dataset
    from theory.bounds import get_bound

    X, y = validate_dataset(X, y)
    n, d = X.shape
    k = as_positive_int(k, "k")
    pos, neg = X[y > 0], X[y < 0]
    if pos.shape[0] == 0 or neg.shape[0] == 0:
        raise ValueError("y: both labels must occur")
    npl, nmi = int(pos.shape[0]), int(neg.shape[0])
    # certified: ||X||_op rounded up (Cholesky test), the closest opposite pair's distance
    # computed directly and rounded up, each formula's own rounding (docs/mathematics.md#rounding)
    xop = rounding.certified_operator_norm(X)
    r1 = rounding.round_down_bound(get_bound("R1").evaluate(n_plus=npl, n_minus=nmi, X_op=xop,
                                                            r=min(k, d)), 32)
    dmin = _closest_opposite_distance(pos, neg)
    pair = rounding.round_down_bound(get_bound("R1.pair").evaluate(Delta=2.0, P_dist=dmin), 4)
    ybar = float(y.mean())
    r2 = get_bound("R2").evaluate(ybar=ybar, n=n, k=k, delta=delta)
    r2s = get_bound("R2.sharp").evaluate(ybar=ybar, n=n, k=k, delta=delta)
    L, key = (r1, "R1") if r1 >= pair else (pair, "R1.pair")
    return {"L": L, "L_key": key, "R1": r1, "pair": pair, "min_dist": dmin, "X_op": xop,
            "radius": max(1.0, float(np.max(np.linalg.norm(X, axis=1)))),
            "R2": r2, "R2_sharp": r2s, "delta": delta,
            "cited": cited_applicability(n, d, k, delta=delta)}


def _closest_opposite_distance(pos: np.ndarray, neg: np.ndarray, *, candidates: int = 8) -> float:
    r"""A certified upper bound of :math:`\min_{i\in I_+, j\in I_-}\|x_i - x_j\|`: the
    candidate pairs are the ``candidates`` smallest by the Gram expansion (cheap, possibly
    inexact), and each candidate's distance is computed directly from the difference and
    rounded up; the minimum of those is the distance of an actual pair, hence >= the true
    minimum (a wrong candidate only weakens the bound)."""
    D2 = np.sum(pos**2, 1)[:, None] + np.sum(neg**2, 1)[None, :] - 2 * pos @ neg.T
    flat = D2.ravel()
    m = min(candidates, flat.size)
    idx = np.argpartition(flat, m - 1)[:m]
    i, j = np.unravel_index(idx, D2.shape)
    diff = pos[i] - neg[j]
    return float(np.min(rounding.up(rounding._norm_up(diff, 2.0) * (1 + rounding.U))))


def _net_lower(net: TwoLayerNet, X, y, seed: int, light: bool,
               exact_node_limit: int = 0) -> tuple[float, str, object]:
    """Best certified lower bound on Lip_B1 of this network (witnessed search, branch
    and bound when ``exact_node_limit`` > 0, and applicable non-probabilistic
    certificates), its source and the report."""
    from numerics.certify import certify
    from numerics.experiments.sweep import BALL_QUANTITIES
    from numerics.lipschitz import lipschitz_report

    effort = {"n_random": 64, "steps": 25} if light else {}
    effort.update({"exact": "bnb", "time_limit": None, "node_limit": exact_node_limit}
                  if exact_node_limit > 0
                  else {"exact": False})
    rep = lipschitz_report(net, _BALL, X=X, seed=seed, **effort)
    best, which = float(rep.lower), f"toolkit ({rep.lower_method})"
    for c in certify(net, X, y):
        if (c.bound.direction == "lower" and c.value is not None and c.probability is None
                and c.bound.quantity in BALL_QUANTITIES and c.value > best):
            best, which = float(c.value), c.bound.key
    return best, which, rep


# ---------------------------------------------------------------------------
# the curve
# ---------------------------------------------------------------------------
def checked(rec: dict) -> dict:
    """``rec`` after the consistency check of every curve record
    (:func:`numerics.experiments.consistency.check_tradeoff_record`): a point whose
    certified lower bound (L, R1, pair or L_net) exceeds its certified U is marked
    ``status: "inconsistent"`` with the bounds that disagree (it is still written)."""
    return apply_check(rec, check_tradeoff_record)


def _key(n, d, k, method, seed) -> str:
    return f"n={n}|d={d}|k={k}|method={method}|seed={seed}"


def _nets_dir(path: Path) -> Path:
    return path.with_name(path.stem + "_nets")


def _save_point(path: Path, key: str, net: TwoLayerNet, cert) -> str:
    folder = _nets_dir(path)
    folder.mkdir(parents=True, exist_ok=True)
    name = key.replace("|", "_").replace("=", "") + ".npz"
    tmp = folder / ("tmp_" + name)
    t = np.zeros(0) if cert.t is None else np.asarray(cert.t, dtype=float)
    with open(tmp, "wb") as fh:
        np.savez(fh, a=net.a, W=net.W, b=net.b, t=t, value=np.array(cert.value),
                 method=np.array(cert.method), activation=np.array(net.spec))
    tmp.replace(folder / name)
    return name


def load_point(path: str | Path, record: dict):
    """The network and :class:`numerics.construct.min_lipschitz.LipCertificate` of one U(k)
    record of the curve file ``path`` (read from the saved ``.npz``)."""
    from numerics.construct import LipCertificate

    path = Path(path)
    f = _nets_dir(path) / record["net_file"]
    with np.load(f, allow_pickle=False) as z:
        net = TwoLayerNet(z["a"], z["W"], z["b"], str(z["activation"]))
        t = z["t"]
        cert = LipCertificate(str(z["method"]), float(z["value"]), _BALL,
                              t if t.size else None)
    return net, cert


def _construction_records(D, seed: int, done: set, ks: Sequence[int]) -> list[dict]:
    from numerics.construct import (
        c1_one_neuron_per_point,
        c2_cap_ramps,
        c4_grouped_min_norm,
        certify_point,
    )

    n, d = D.X.shape
    out = []
    todo = [("C1", None, c1_one_neuron_per_point, {}), ("C2", None, c2_cap_ramps, {})]
    sizes = sorted({min(d, max(1, math.ceil(2 * n / k))) for k in ks})
    todo += [("C4", m, c4_grouped_min_norm, {"group_size": m, "threshold": "auto"})
             for m in sizes]
    for name, m, fn, kw in todo:
        t0 = time.perf_counter()
        k = {"C1": n, "C2": 2 * n}.get(name) or 2 * math.ceil(n / m)
        key = _key(n, d, k, name, seed)
        if key in done:
            continue
        rec = {"key": key, "kind": "construction", "n": n, "d": d, "k": k, "method": name,
               "seed": seed, "sqrt_n_over_k": math.sqrt(n / k)}
        res = fn(D.X, D.y, **kw)
        ok = res.net is not None and res.fit_error <= 1e-9
        rec["status"] = "exact" if ok else "failed"
        rec["fit_error"] = res.fit_error
        rec["reason"] = res.reason
        up = None
        if ok:
            own = res.upper_for(_BALL)
            tk = certify_point(res.net, _BALL)
            up = min(v for v in (own, tk.value) if v is not None)
            rec["construction_upper"] = own
            rec["toolkit_upper"] = tk.value
        rec["upper"] = up
        rec["lipschitz"] = {"lower": None, "upper": up, "exact": None} if ok else None
        rec["seconds"] = time.perf_counter() - t0
        out.append(rec)
    return out


def run_tradeoff(n: int, d: int, ks: Sequence[int], path: str | Path, *, seed: int = 0,
                 starts=("fit", "C1", "C4"), fit_seeds=(0,), outer: int = 8,
                 inner: int = 1000, refine: int = 0, light: bool = False,
                 constructions: bool = True, population: int = 1,
                 continuation: str = "forward", exact_node_limit: int = 0,
                 progress: bool = False, resume: bool = True) -> list[dict]:
    r"""Compute (or resume) one panel of the curve and return its records.

    Parameters
    ----------
    n, d : int
        Data: n points uniform on :math:`S^{d-1}`, Rademacher labels, from ``seed``.
    ks : sequence of int
        Widths (processed in increasing order; each is warm-started from the best
        network of the previous width, padded with an inactive neuron and, with
        ``continuation="both"``, split at its steepest neuron).
    path : str or Path
        JSON-lines file; networks go to ``<stem>_nets/`` beside it.
    starts, fit_seeds, outer, inner, refine, population :
        Passed to :func:`numerics.construct.min_lipschitz.min_lipschitz_interpolant`.
    light : bool
        Less effort in the lower-bound search on the networks.
    constructions : bool
        Also record C1, C2, C4.
    continuation : {"forward", "both"}
        ``"both"``: after the increasing pass, a decreasing pass starts each width from
        the best network of the next larger width with neurons removed (least useful)
        or merged (most parallel), :func:`numerics.construct.minlip_moves.prune_candidates`;
        a record is replaced (same key, last one wins) only when its U improves, and
        marked done either way (resume skips it).
    exact_node_limit : int
        Nodes of branch and bound per point (0: off; no time limit, so the same seed
        gives the same curve on any machine): where it closes, U(k) is the
        exact constant (``lipschitz.exact``, ``lipschitz.bnb``).
    progress : bool
        One line per width on stderr.
    resume : bool
        Skip keys already in ``path`` (False: start afresh).

    Returns
    -------
    list of dict
        Every record of this panel in ``path``.
    """
    from numerics.data import random_dataset
    from numerics.records import append_record, load_records, open_for_resume

    n, d = as_positive_int(n, "n"), as_positive_int(d, "d")
    node_limit = as_positive_int(exact_node_limit, "exact_node_limit", minimum=0)
    ks = sorted({as_positive_int(k, "ks") for k in ks})
    if not ks:
        raise ValueError("ks: needs at least one width")
    if continuation not in ("forward", "both"):
        raise ValueError(f"continuation: expected 'forward' or 'both', got {continuation!r}")
    path = Path(path)
    old = open_for_resume(path, resume)
    done = {key for key, r in old.items() if r.get("status") != "error"}
    D = random_dataset(n, d, seed=seed)
    opts = {"starts": starts, "seeds": fit_seeds, "outer": outer, "inner": inner,
            "refine": refine, "population": population}
    best = {}
    for k in ks:
        key = _key(n, d, k, CURVE_METHOD, seed)
        if key in done:
            if old[key].get("net_file") is not None:
                best[k] = load_point(path, old[key])[0]
            continue
        prev = best.get(max((j for j in best if j < k), default=None))
        extra = [] if prev is None else [(f"k={prev.k}", prev)]
        if prev is not None and continuation == "both" and prev.k < k:
            extra.append((f"k={prev.k}:split", split_neuron(prev)))
        rec, net = _curve_point(D, k, seed, path, key, extra, opts, light,
                                exact_node_limit=node_limit)
        rec["passes"] = ["forward"]
        rec = checked(rec)
        append_record(path, rec)
        if net is not None:
            best[k] = net
        _progress(progress, rec)
    if continuation == "both":
        _backward_pass(D, ks, seed, path, best, opts, light, progress, node_limit)
    if constructions:
        for rec in _construction_records(D, seed, done, ks):
            append_record(path, checked(rec))
    return [r for r in load_records(path) if (r["n"], r["d"], r["seed"]) == (n, d, seed)]


def _progress(on: bool, rec: dict) -> None:
    import sys

    if on:
        print(f"[tradeoff] n={rec['n']} d={rec['d']} k={rec['k']}: {rec['status']} "
              f"U={rec.get('upper')} L={rec['L']:.4g} ({rec['seconds']:.1f}s)",
              file=sys.stderr, flush=True)


def _curve_point(D, k: int, seed: int, path: Path, key: str, extra, opts: dict, light: bool,
                 *, net_suffix: str = "", exact_node_limit: int = 0
                 ) -> tuple[dict, TwoLayerNet | None]:
    """One U(k) record (and its network) from the search with these starts; branch and
    bound under ``exact_node_limit`` nodes (0: off)."""
    from numerics.construct import min_lipschitz_interpolant

    n, d = D.X.shape
    t0 = time.perf_counter()
    lb = data_lower_bounds(D.X, D.y, k)
    rec = {"key": key, "kind": "curve", "n": n, "d": d, "k": k, "method": CURVE_METHOD,
           "seed": seed, "sqrt_n_over_k": math.sqrt(n / k), "domain": _BALL.label,
           "L": lb["L"], "L_key": lb["L_key"], "R1": lb["R1"], "pair": lb["pair"],
           "R2": lb["R2"], "R2_sharp": lb["R2_sharp"], "cited": lb["cited"]}
    net = None
    try:
        res = min_lipschitz_interpolant(D.X, D.y, k, extra_starts=extra, **opts)
        rec["candidates"] = res.candidates
        rec["budget"] = res.budget
        if res.net is None:
            rec.update(status="failed", upper=None, lipschitz=None)
        else:
            net = res.net
            U_cert = res.certificate.value
            Ln, Ln_key, rep = _net_lower(net, D.X, D.y, seed, light, exact_node_limit)
            U, lip = _exact_fields(rep, U_cert, exact_node_limit)
            rec.update(status="exact", upper=U, U=U, U_cert=U_cert,
                       cert_method=res.certificate.method,
                       cert_others=res.certificate.others, start=res.start,
                       max_error=res.max_error, L_net=Ln, L_net_key=Ln_key,
                       gap=U / lb["L"], gap_net=U / Ln if Ln > 0 else None,
                       spectral_proxy=float(np.linalg.norm(net.a) * np.linalg.norm(net.W, 2)),
                       lipschitz={"lower": Ln, "upper": U, **lip},
                       net_file=_save_point(path, key + net_suffix, net, res.certificate))
        rec["error"] = None
    except Exception as exc:  # recorded, the curve goes on
        rec.update(status="error", error=f"{type(exc).__name__}: {exc}", upper=None)
    rec["seconds"] = time.perf_counter() - t0
    return rec, net


def _shrink(net: TwoLayerNet, k: int) -> list[tuple[str, TwoLayerNet]]:
    """k-neuron starts from a larger network: repeated pruning, repeated merging."""
    out = []
    for move in ("prune", "merge"):
        cur = net
        while cur.k > k:
            cur = dict(prune_candidates(cur))[move]
        out.append((f"k={net.k}:{move}", cur))
    return out


def _backward_pass(D, ks, seed, path, best, opts, light, progress, node_limit) -> None:
    from numerics.records import append_record, load_records

    n, d = D.X.shape
    current = {r["key"]: r for r in load_records(path)}
    for k, k_next in zip(ks[-2::-1], ks[:0:-1], strict=True):
        key = _key(n, d, k, CURVE_METHOD, seed)
        rec0 = current.get(key)
        if rec0 is None or "backward" in (rec0.get("passes") or []):
            continue
        nxt = best.get(k_next)
        if nxt is None:
            continue
        bopts = dict(opts, starts=())
        rec, net = _curve_point(D, k, seed, path, key, _shrink(nxt, k), bopts, light,
                                net_suffix="|pass=backward", exact_node_limit=node_limit)
        if rec.get("status") == "exact" and (rec0.get("upper") is None
                                             or rec["upper"] < rec0["upper"]):
            rec["passes"] = ["forward", "backward"]
            rec["improved_by_backward"] = (None if rec0.get("upper") is None
                                           else rec0["upper"] / rec["upper"])
            best[k] = net
        else:
            rec = dict(rec0, passes=["forward", "backward"], improved_by_backward=None,
                       backward_candidates=rec.get("candidates"))
        rec = checked(rec)
        append_record(path, rec)
        _progress(progress, rec)


def verify_curve(path: str | Path, *, recompute: bool = False) -> dict:
    r"""Re-verify every U(k) point of a curve file in a fresh call: regenerate the data
    from (n, d, seed), load each saved network and certificate, and run
    :func:`numerics.construct.min_lipschitz.verify_point` (exact fit to 1e-9, certificate
    re-checked from the weights at the record's ``upper``, so a record whose value
    differs from the saved one is checked at the record's value). Where branch and bound
    closed (``lipschitz.exact``), U is the exact constant: the certificate is checked at
    its own value ``U_cert`` and the closed bracket is re-checked from the saved weights
    by :func:`numerics.experiments.tradeoff_exact.recheck_exact` (the witness re-verified,
    branch and bound re-run: its upper bound must not exceed U). Returns
    ``{key: PointCheck}``.
    """
    from dataclasses import replace

    from numerics.construct import verify_point
    from numerics.data import random_dataset
    from numerics.records import load_records

    path = Path(path)
    out = {}
    data = {}
    for r in load_records(path):
        if r.get("kind") != "curve" or r.get("net_file") is None:
            continue
        sig = (r["n"], r["d"], r["seed"])
        if sig not in data:
            data[sig] = random_dataset(r["n"], r["d"], seed=r["seed"])
        D = data[sig]
        net, cert = load_point(path, r)
        closed = (r.get("lipschitz") or {}).get("exact") is not None
        cert = replace(cert, value=float(r["U_cert"] if closed else r["upper"]))
        chk = verify_point(net, D.X, D.y, cert, recompute=recompute)
        if closed:
            reasons = recheck_exact(net, r, X=D.X)
            chk = replace(chk, ok=chk.ok and not reasons, reasons=chk.reasons + tuple(reasons))
        out[r["key"]] = chk
    return out
