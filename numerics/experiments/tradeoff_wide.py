r"""Wide widths of the tradeoff curve (k >= n/4 and beyond): ensemble starts.

At large k the curve search of :func:`numerics.experiments.tradeoff.run_tradeoff` tends
to stall at the value it reached at a small width (continuation pads or splits that
network, the optimizer keeps it). Extra width can lower the constant by *averaging*:
if :math:`f_1, \dots, f_m` are exact interpolants with :math:`k_0` neurons each, their
mean :math:`\bar f = \tfrac1m\sum_j f_j` (:func:`numerics.construct.average_networks`) is
an exact interpolant with :math:`m k_0` neurons and
:math:`\mathrm{Lip}(\bar f) \le \tfrac1m\sum_j\mathrm{Lip}(f_j)`, smaller than each
where the members are steep in different places. :func:`run_wide` computes m members
(independent training seeds, each improved by the minimum-Lipschitz search), starts
each width k from the mean of the first :math:`k/k_0` of them (at most ``members``;
and from the previous width's best network, split), and runs the usual search and
certificate. What lowers the bound most is the number of restarts (``refine``), of the
members and at each k: every restart of the augmented Lagrangian lowers the certified
bound a little further long after one run has stalled (docs/mathematics.md#law-regime),
so members searched with restarts are already so good that their mean is hardly better
than the best of them; the width then pays off through restarts at k. Records are
curve records (same keys and fields as the curve's, plus ``ensemble``) in their own
file, so :func:`numerics.experiments.tradeoff.verify_curve` re-verifies them from the
saved weights.

:func:`envelope_pass` makes a finished curve non-increasing in k where the search was
not: a width whose U exceeds that of a smaller width j is restarted from the best
smaller network (padded with inactive neurons and split, the same function, so the
start is an exact interpolant with the same certificate) and re-optimized; its record
is replaced (same key, last one wins) only when U improves. The backward pass of the
curve lowers small widths from larger ones, so without this pass a width can be left
above a smaller one.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "w.jsonl"
>>> recs = run_wide(12, 6, [8], p, k0=4, member_budget=(2, 100), outer=2, inner=100)
>>> [(r["k"], r["status"], r["ensemble"]["members"]) for r in recs]
[(8, 'exact', 2)]
>>> all(c.ok for c in verify_curve(p).values())
True
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from numerics._validate import as_positive_int
from numerics.construct import average_networks, min_lipschitz_interpolant, split_neuron
from numerics.experiments.tradeoff import (
    CURVE_METHOD,
    _curve_point,
    _key,
    _progress,
    checked,
    verify_curve,  # noqa: F401  (used by the examples)
)
from numerics.models import TwoLayerNet
from numerics.records import load_records

__all__ = ["ensemble_members", "envelope_pass", "run_wide"]


def ensemble_members(X, y, k0: int, m: int, *, outer: int = 8, inner: int = 1000,
                     refine: int = 0, first_seed: int = 0) -> list[tuple[TwoLayerNet, float]]:
    """``m`` exact k0-neuron interpolants from training seeds ``first_seed, ...``, each
    improved by :func:`numerics.construct.min_lipschitz_interpolant` (start ``fit``,
    ``refine`` restarts), with their certified bounds; seeds whose search finds no exact
    interpolant are skipped (at most 3 m seeds are tried).

    The restarts matter most: at n = 256, d = 32, k0 = 32 one search (outer 4, inner
    1500) certifies 10.3 and each restart lowers it, 8.5, 7.8, 7.4, ..., 6.8 after 12
    (docs/mathematics.md#law-regime)."""
    k0, m = as_positive_int(k0, "k0"), as_positive_int(m, "m")
    refine = as_positive_int(refine, "refine", minimum=0)
    out, s = [], int(first_seed)
    while len(out) < m and s < first_seed + 3 * m:
        r = min_lipschitz_interpolant(X, y, k0, starts=("fit",), seeds=(s,), outer=outer,
                                      inner=inner, refine=refine)
        if r.net is not None:
            out.append((r.net, float(r.value)))
        s += 1
    return out


def _save_members(path: Path, members) -> None:
    arrays = {}
    for j, (net, val) in enumerate(members):
        arrays.update({f"a{j}": net.a, f"W{j}": net.W, f"b{j}": net.b, f"v{j}": np.array(val)})
    tmp = path.with_name("tmp_" + path.name)
    with open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
    tmp.replace(path)


def _load_members(path: Path) -> list[tuple[TwoLayerNet, float]]:
    with np.load(path, allow_pickle=False) as z:
        m = sum(1 for key in z.files if key.startswith("a"))
        return [(TwoLayerNet(z[f"a{j}"], z[f"W{j}"], z[f"b{j}"], "relu"), float(z[f"v{j}"]))
                for j in range(m)]


def run_wide(n: int, d: int, ks: Sequence[int], path: str | Path, *, seed: int = 0,
             k0: int = 32, member_budget: tuple[int, ...] = (8, 1000),
             members: int | None = None, starts=("fit",), outer: int = 4,
             inner: int = 1000, refine: int = 2, population: int = 2, light: bool = True,
             progress: bool = False, resume: bool = True) -> list[dict]:
    r"""U(k) at wide widths from ensemble starts (module docstring); each k must be a
    multiple of ``k0``.

    Parameters
    ----------
    n, d, seed : the data (:func:`numerics.data.random_dataset`).
    ks : widths, multiples of ``k0``.
    path : JSON-lines file of the curve records (networks beside it, as the curve's);
        the members are cached in ``<stem>_members.npz`` (resume).
    k0 : width of the members.
    member_budget : (outer, inner) or (outer, inner, refine) of each member's search
        (:func:`ensemble_members`; refine 0 when omitted).
    members : int, optional
        At most this many members (default ``max(ks) // k0``): a width k starts from
        the mean of ``min(k // k0, members)`` of them, padded with inactive neurons to k.
        With members searched long (``refine`` > 0) their mean is hardly better than the
        best member, and the width is better spent on restarts at k.
    starts, outer, inner, refine, population :
        The search at each k (:func:`numerics.construct.min_lipschitz_interpolant`),
        besides the ensemble start and the previous width's best network, split.
    light, progress, resume : as in :func:`numerics.experiments.tradeoff.run_tradeoff`.
    """
    from numerics.data import random_dataset
    from numerics.experiments.tradeoff import load_point
    from numerics.records import append_record, open_for_resume

    n, d, k0 = as_positive_int(n, "n"), as_positive_int(d, "d"), as_positive_int(k0, "k0")
    ks = sorted({as_positive_int(k, "ks") for k in ks})
    if not ks or any(k % k0 for k in ks):
        raise ValueError(f"ks: needs widths that are multiples of k0 = {k0}, got {ks}")
    budget = tuple(as_positive_int(v, "member_budget", minimum=0) for v in member_budget)
    if len(budget) not in (2, 3) or min(budget[:2]) < 1:
        raise ValueError(f"member_budget: expected (outer, inner) or (outer, inner, refine) "
                         f"with outer, inner >= 1, got {member_budget}")
    m_max = max(ks) // k0
    if members is not None:
        m_max = min(m_max, as_positive_int(members, "members"))
    path = Path(path)
    old = open_for_resume(path, resume)
    D = random_dataset(n, d, seed=seed)
    mpath = path.with_name(path.stem + "_members.npz")
    pool = _load_members(mpath) if resume and mpath.exists() else []
    if len(pool) < m_max:
        t0 = time.perf_counter()
        pool += ensemble_members(D.X, D.y, k0, m_max - len(pool),
                                    outer=budget[0], inner=budget[1],
                                    refine=budget[2] if len(budget) == 3 else 0,
                                    first_seed=len(pool))
        _save_members(mpath, pool)
        if progress:
            print(f"[wide] {len(pool)} members k0={k0}: U = "
                  f"{min(v for _, v in pool):.4g}..{max(v for _, v in pool):.4g} "
                  f"({time.perf_counter() - t0:.0f}s)", flush=True)
    opts = {"starts": tuple(starts), "seeds": (0,), "outer": outer, "inner": inner,
            "refine": refine, "population": population}
    best = None
    for k in ks:
        key = _key(n, d, k, CURVE_METHOD, seed)
        if key in old and old[key].get("status") != "error":
            if old[key].get("net_file") is not None:
                best = load_point(path, old[key])[0]
            continue
        m = min(k // k0, len(pool), m_max)
        extra = [(f"mean{m}x{k0}", average_networks([net for net, _ in pool[:m]]))]
        if best is not None:
            extra.append((f"k={best.k}:split", split_neuron(best)))
        rec, net = _curve_point(D, k, seed, path, key, extra, opts, light)
        rec["passes"] = ["wide"]
        rec["ensemble"] = {"k0": k0, "members": m,
                           "member_U": [v for _, v in pool[:m]],
                           "member_budget": list(budget)}
        rec = checked(rec)
        append_record(path, rec)
        if net is not None:
            best = net
        _progress(progress, rec)
    return [r for r in load_records(path) if (r["n"], r["d"], r["seed"]) == (n, d, seed)]


def envelope_pass(path: str | Path, *, outer: int = 2, inner: int = 300, refine: int = 0,
                  light: bool = True, progress: bool = False) -> list[dict]:
    """The envelope pass over every curve of the file ``path`` (module docstring);
    returns the records written. Resumable: a record already marked ``envelope`` in its
    ``passes`` is skipped.

    >>> import tempfile, pathlib
    >>> from numerics.experiments.tradeoff import run_tradeoff
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "c.jsonl"
    >>> _ = run_tradeoff(10, 6, [4, 8], p, outer=2, inner=60, light=True,
    ...                  constructions=False)
    >>> out = envelope_pass(p)
    >>> last = {r["k"]: r for r in load_records(p) if r["kind"] == "curve"}
    >>> last[8]["upper"] <= last[4]["upper"] * (1 + 1e-6)
    True
    """
    from numerics.data import random_dataset
    from numerics.experiments.tradeoff import load_point
    from numerics.records import append_record

    path = Path(path)
    last = {}
    for r in load_records(path):
        if r.get("kind") == "curve":
            last[r["key"]] = r
    curves: dict = {}
    for r in last.values():
        curves.setdefault((r["n"], r["d"], r["seed"]), []).append(r)
    opts = {"starts": (), "seeds": (0,), "outer": outer, "inner": inner, "refine": refine,
            "population": 1}
    written = []
    for (n, d, seed), rs in sorted(curves.items()):
        D = random_dataset(n, d, seed=seed)
        best_net, best_u = None, float("inf")
        for r in sorted(rs, key=lambda r: r["k"]):
            if r.get("status") != "exact" or r.get("upper") is None:
                continue
            k = r["k"]
            if (best_net is not None and best_u < r["upper"]
                    and "envelope" not in (r.get("passes") or [])):
                extra = [(f"k={best_net.k}:pad", best_net)]
                if best_net.k < k:
                    extra.append((f"k={best_net.k}:split", split_neuron(best_net)))
                rec, net = _curve_point(D, k, seed, path, r["key"], extra, opts, light,
                                        net_suffix="|pass=envelope")
                passes = [*(r.get("passes") or []), "envelope"]
                if rec.get("status") == "exact" and rec["upper"] < r["upper"]:
                    rec.update(passes=passes, improved_by_envelope=r["upper"] / rec["upper"])
                    for f in ("ensemble",):
                        if f in r:
                            rec[f] = r[f]
                else:
                    rec = dict(r, passes=passes, improved_by_envelope=None)
                rec = checked(rec)
                append_record(path, rec)
                written.append(rec)
                _progress(progress, rec)
                r = rec
            if r["upper"] < best_u:
                best_u, best_net = r["upper"], load_point(path, r)[0]
    return written
