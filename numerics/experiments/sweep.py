r"""Sweeps over (n, d, k, method, seed): the grid, one run, the resumable sweep.

One *run* draws data (rows uniform on :math:`S^{d-1}`, Rademacher labels,
both from ``seed``), builds an interpolating network with a *method* --- a
construction (``C1`` ... ``C5``, docs/mathematics.md#c1-one-neuron-per-point ff.,
:mod:`numerics.construct`)
or training (``fit``: L-BFGS on the squared loss; ``fit_path``: the same with
path-norm regularization; :mod:`numerics.construct.fit`) --- and records, as one JSON
object:

- the run key and parameters, the network's actual k, and
  :math:`\sqrt{n/k}`;
- ``status``: the fit status (``exact`` / ``separated`` / ``sign`` /
  ``failed``, see :mod:`numerics.construct.fit`; constructions are ``exact`` when their
  measured error is <= 1e-9), or ``error`` with the exception text;
- ``fit``: the construction's or the training's report (exactness condition,
  errors, iterations, certified upper bounds);
- ``lipschitz``: :func:`numerics.lipschitz.lipschitz_report` on the ball
  :math:`B_1` (``.to_dict()``); with ``exact_node_limit`` > 0 nodes, branch and
  bound (``exact="bnb"``) under that node budget (no time limit: the same seed gives
  the same record on any machine): ``lipschitz.exact`` is the closed
  bracket's value (null unless it closed), ``lipschitz.bnb`` its summary (``nodes``,
  ``seconds``, ``gap``, ``status``, ...), and its certified bracket tightens
  ``lipschitz.lower``/``upper``;
- ``certificates``: every certificate of :func:`numerics.certify.certify`
  (``.to_dict()``), and ``proven_lower``: the largest certified lower bound
  that applies to :math:`\mathrm{Lip}_{B_1}` (quantities
  :math:`\mathrm{Lip}_{B_R}` with R = 1, :math:`\mathrm{Lip}_{B_1}`, and
  :math:`\mathrm{Lip}_S \le \mathrm{Lip}_{B_1}`; probabilistic bounds excluded);
- ``upper``: the best certified upper bound on :math:`\mathrm{Lip}_{B_1}`
  (the toolkit's, or the construction's own when smaller).

**Files.** Records are appended to a JSON-lines file as runs finish, each
with one ``write`` of a complete line followed by ``fsync`` (only the parent
process writes; :mod:`numerics.records`). An interrupted sweep leaves at most
one incomplete last line; :func:`load_records` ignores it and :func:`run_sweep`
truncates it and skips every key already present (``resume``). Runs that raised
are re-run.

**Parallelism.** ``workers`` processes (``spawn`` context, with
``OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=MKL_NUM_THREADS=1`` so that small
linear algebra is not slowed by thread oversubscription). A plain-text
progress line per finished run goes to stderr. With ``workers=1`` runs execute
in the calling process with its BLAS settings; BLAS thread counts change
summation order, so iterative fits computed under different settings can
differ beyond rounding (constructions agree to rounding).

Tables, slopes and the figure are in :mod:`numerics.experiments.sweep_report`.

Examples
--------
>>> specs = expand_grid(ns=[12], ds=[16], ks=[6, 24], methods=["C1", "C4"], seeds=[0])
>>> [s.key for s in specs]  # doctest: +NORMALIZE_WHITESPACE
['n=12|d=16|k=12|method=C1|seed=0', 'n=12|d=16|k=6|method=C4|seed=0',
 'n=12|d=16|k=24|method=C4|seed=0']
>>> rec = run_one(specs[0], light=True)
>>> rec["status"], rec["k"], rec["lipschitz"]["lower"] <= rec["upper"]
('exact', 12, True)
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from numerics._validate import as_positive_int
from numerics.records import append_record, load_records  # re-exported: the sweep file's I/O
from numerics.records import repair as _repair  # noqa: F401 - used by tests

__all__ = [
    "BALL_QUANTITIES",
    "C5_MAX_K",
    "METHODS",
    "RunSpec",
    "SweepSummary",
    "append_record",
    "check_record",
    "expand_grid",
    "load_records",
    "run_one",
    "run_sweep",
]


#: Methods a sweep knows. ``k`` is free for ``fit``, ``fit_path`` and ``C4``
#: (C4 through its group size); C1 (k = n), C2 (k = 2n), C3 (about 3n/d) and C5
#: (k = dim of the cubic space) fix it.
METHODS = ("C1", "C2", "C3", "C4", "C5", "fit", "fit_path")


_FREE_K = ("C4", "fit", "fit_path")


#: Largest network C5 may build in a sweep (its k is the dimension of the cubic space).
C5_MAX_K = 3000


#: Certificate quantities that are lower bounds for Lip on the unit ball.
BALL_QUANTITIES = (r"\mathrm{Lip}_{B_R}(f)", r"\mathrm{Lip}_{B_1}(f)", r"\mathrm{Lip}_S(f)")


_PATH_LAM = 1e-3


_MAXITER = {"fit": 3000, "fit_path": 800}  # L-BFGS iterations per stage


@dataclass(frozen=True)
class RunSpec:
    """One run: data size n, dimension d, neurons k (the network's actual k),
    method and seed."""

    n: int
    d: int
    k: int
    method: str
    seed: int

    @property
    def key(self) -> str:
        """Unique identifier of the run in a sweep file."""
        return f"n={self.n}|d={self.d}|k={self.k}|method={self.method}|seed={self.seed}"


def _fixed_k(method: str, n: int, d: int, seed: int) -> int:
    if method == "C1":
        return n
    if method == "C2":
        return 2 * n
    if method == "C3":
        from numerics.data import random_dataset

        y = random_dataset(n, d, seed=seed).y
        n_plus = int(np.sum(y > 0))
        return 3 * (math.ceil(n_plus / d) + math.ceil((n - n_plus) / d))
    if method == "C5":
        from numerics.construct import space_dimension

        k = space_dimension(d, 3, homogeneous=True)
        if k > C5_MAX_K:
            raise ValueError(f"methods: C5 (homogeneous cubic) in d = {d} needs k = {k} > "
                             f"{C5_MAX_K} neurons; use a smaller d")
        return k
    raise ValueError(f"method: {method!r} has a free k")


def expand_grid(*, ns: Sequence[int], ds: Sequence[int], ks: Sequence[int],
                methods: Sequence[str], seeds: Sequence[int]) -> list[RunSpec]:
    """All runs of a grid, duplicates removed, in a deterministic order.

    Methods with a fixed k (C1, C2, C3, C5) run once per (n, d, seed); for C4 a
    requested k is mapped to the group size :math:`m = \\lceil 2n/k\\rceil`
    (clipped to [1, d]) and the run is keyed by the actual
    :math:`k = 2\\lceil n/m\\rceil`.

    >>> [s.k for s in expand_grid(ns=[10], ds=[4], ks=[5, 6, 40], methods=["C4"], seeds=[0])]
    [6, 20]
    """
    from numerics.construct import c4_group_size

    for name, vals in (("ns", ns), ("ds", ds), ("ks", ks), ("seeds", seeds)):
        if len(vals) == 0:
            raise ValueError(f"{name}: needs at least one value")
        for v in vals:
            as_positive_int(v, name, minimum=0 if name == "seeds" else 1)
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"methods: unknown method {m!r}; known: {METHODS}")
    if not methods:
        raise ValueError("methods: needs at least one method")
    out, seen = [], set()
    for n in ns:
        for d in ds:
            for method in methods:
                for seed in seeds:
                    if method in _FREE_K:
                        kk = []
                        for k in ks:
                            if method == "C4":
                                m = c4_group_size(n, k, d)
                                kk.append(2 * math.ceil(n / m))
                            else:
                                kk.append(int(k))
                    else:
                        kk = [_fixed_k(method, n, d, seed)]
                    for k in kk:
                        spec = RunSpec(int(n), int(d), int(k), method, int(seed))
                        if spec.key not in seen:
                            seen.add(spec.key)
                            out.append(spec)
    return out


def _build(spec: RunSpec, X, y) -> tuple[object, dict, str, float | None]:
    """(net, fit dict, status, construction upper on B_1)."""
    from numerics.construct import FIT_TOL, construct, fit_interpolant
    from numerics.domain import Domain

    if spec.method.startswith("fit"):
        init_seed = int(np.random.SeedSequence([spec.seed, spec.k, 1]).generate_state(1)[0])
        reg = "path" if spec.method == "fit_path" else None
        res = fit_interpolant(X, y, spec.k, seed=init_seed, reg=reg, lam=_PATH_LAM,
                              maxiter=_MAXITER[spec.method])
        return res.net, res.to_dict(), res.status, None
    kw = {}
    if spec.method == "C4":
        m = math.ceil(spec.n / (spec.k // 2))
        kw = {"group_size": m, "threshold": "auto"}
    res = construct(spec.method, X, y, **kw)
    status = "exact" if res.fit_error <= FIT_TOL else "failed"
    upper = res.upper_for(Domain.ball(1.0)) if res.net is not None else None
    return res.net, res.to_dict(), status, upper


def _proven_lower(certs: list[dict]) -> tuple[float | None, str | None]:
    best, which = None, None
    for c in certs:
        if (c["direction"] == "lower" and c["value"] is not None and c["probability"] is None
                and c["quantity"] in BALL_QUANTITIES):
            if best is None or c["value"] > best:
                best, which = float(c["value"]), c["key"]
    return best, which


def run_one(spec: RunSpec, *, light: bool = False, certificates: bool = True,
            exact_node_limit: int = 0) -> dict:
    """Execute one run and return its record (never raises on a numerical
    failure: the record then has ``status='error'`` and the traceback's last
    line in ``error``).

    Parameters
    ----------
    spec : RunSpec
    light : bool
        Less effort in the Lipschitz lower-bound search (64 random starts,
        25 ascent steps instead of 256 and 60).
    certificates : bool
        Apply :func:`numerics.certify.certify`.
    exact_node_limit : int
        Nodes of branch and bound per run (0: off, the default "auto" exact mode:
        enumeration for d <= 3); piecewise-linear networks only.
    """
    from numerics.data import random_dataset
    from numerics.domain import Domain
    from numerics.lipschitz import lipschitz_report

    t0 = time.perf_counter()
    rec = {"key": spec.key, **asdict(spec), "sqrt_n_over_k": math.sqrt(spec.n / spec.k),
           "data": "sphere", "domain": "ball(R=1)"}
    try:
        D = random_dataset(spec.n, spec.d, seed=spec.seed)
        net, fit, status, c_upper = _build(spec, D.X, D.y)
        rec.update(fit=fit, status=status, construction_upper=c_upper)
        if net is None:
            rec.update(k=None, lipschitz=None, certificates=None, proven_lower=None,
                       upper=None)
        else:
            rec["k"] = net.k
            rec["sqrt_n_over_k"] = math.sqrt(spec.n / net.k)
            effort = {"n_random": 64, "steps": 25} if light else {}
            if exact_node_limit > 0 and net.activation.is_piecewise_linear:
                effort.update(exact="bnb", time_limit=None, node_limit=exact_node_limit)
            rep = lipschitz_report(net, Domain.ball(1.0), X=D.X, seed=spec.seed, **effort)
            rec["lipschitz"] = rep.to_dict()
            ups = [u for u in (rep.upper, c_upper) if u is not None and np.isfinite(u)]
            rec["upper"] = min(ups) if ups else None
            rec["certificates"] = None
            rec["proven_lower"] = rec["proven_lower_key"] = None
            if certificates:
                try:
                    from numerics.certify import certify
                except ImportError:  # pragma: no cover - module absent
                    rec["certificates_note"] = "numerics.certify not available"
                else:
                    certs = [c.to_dict() for c in certify(net, D.X, D.y)]
                    rec["certificates"] = certs
                    rec["proven_lower"], rec["proven_lower_key"] = _proven_lower(certs)
        rec["error"] = None
    except Exception as exc:  # recorded, not hidden; the sweep goes on
        rec.update(status="error", error=f"{type(exc).__name__}: {exc}",
                   traceback=traceback.format_exc(limit=3))
    rec["seconds"] = time.perf_counter() - t0
    return rec


def check_record(rec: dict, *, exact: bool = True, rel_exact: float = 1e-6) -> list[str]:
    r"""Consistency of one record's certified numbers; returns the violations
    (empty when consistent).

    Every certified lower bound on :math:`\mathrm{Lip}_{B_1}` (the toolkit's
    witnessed one, and every applicable non-probabilistic certificate) must be
    <= every certified upper bound (the toolkit's and the construction's),
    compared exactly: certified numbers are rounded soundly already, so no slack
    (:func:`numerics.experiments.consistency.bracket_violations`). With ``exact``,
    also the enumerated exact value (d <= 3), a floating-point evaluation at a
    region boundary and not a certified number: it must lie in the certified
    bracket up to ``rel_exact``. An exact value from a closed branch and bound
    (``lipschitz.bnb`` present) is a certified number, the closed bracket's lower end:
    it is compared like the bracket, exactly (every lower <= exact <= every upper), in
    the certified part too. :func:`run_sweep` applies the certified part
    (``exact=False``) to every record.

    >>> check_record({"key": "x", "lipschitz": {"lower": 2.0, "upper": 3.0, "exact": None},
    ...               "construction_upper": 1.0, "certificates": []})
    ['x: lower 2 (toolkit) > upper 1 (construction)']
    """
    from numerics.experiments.consistency import bracket_violations

    lip = rec.get("lipschitz")
    if not lip:
        return []
    lows = [("toolkit", lip.get("lower"))]
    for c in rec.get("certificates") or []:
        if (c["direction"] == "lower" and c["value"] is not None and c["probability"] is None
                and c["quantity"] in BALL_QUANTITIES):
            lows.append((f"certificate {c['key']}", c["value"]))
    ups = [("toolkit", lip.get("upper")), ("construction", rec.get("construction_upper"))]
    bad = bracket_violations(rec["key"], lows, ups)
    ex = lip.get("exact")
    if ex is not None and lip.get("bnb") is not None:  # certified: compared exactly
        bad += bracket_violations(rec["key"], lows, [("exact", ex)])
        bad += bracket_violations(rec["key"], [("exact", ex)], ups)
    elif exact and ex is not None:
        ups = [(n, u) for n, u in ups if u is not None]
        pairs = [(ex, "exact", up, un) for un, up in ups]
        pairs += [(lo, ln, ex, "exact") for ln, lo in lows if lo is not None]
        for lo, lname, up, uname in pairs:
            if lo > up * (1 + rel_exact):
                bad.append(f"{rec['key']}: lower {lo:.6g} ({lname}) > upper {up:.6g} "
                           f"({uname})")
    return bad


def _check_certified(rec: dict) -> list[str]:
    """The check :func:`run_sweep` applies (certified numbers only)."""
    return check_record(rec, exact=False)


@dataclass
class SweepSummary:
    """What :func:`run_sweep` did."""

    path: str
    total: int
    skipped: int
    ran: int
    errors: int
    seconds: float
    records: list
    failed: list = field(default_factory=list)
    inconsistent: list = field(default_factory=list)
    failure_text: str = ""

    @property
    def runs_per_minute(self) -> float:
        return 60.0 * self.ran / self.seconds if self.seconds > 0 else float("inf")


def run_sweep(specs: Iterable[RunSpec], path: str | Path, *, workers: int = 1,
              resume: bool = True, progress: bool = True, light: bool = False,
              certificates: bool = True, scheduler: str | None = None,
              dask_local: int | None = None, exact_node_limit: int = 0) -> SweepSummary:
    """Run every spec whose key is not yet in ``path`` through the grid runner
    (:func:`numerics.experiments.runner.run_grid`); records are appended as
    runs finish.

    Parameters
    ----------
    specs : iterable of RunSpec
    path : str or Path
        JSON-lines file (created if missing).
    workers : int
        Worker processes (>= 1). With 1, runs execute in this process.
    resume : bool
        Skip keys already recorded (records with ``status='error'`` are re-run).
        With False the file is started afresh.
    progress : bool
        Count, rate and ETA on stderr, one line per finished run.
    light, certificates, exact_node_limit : passed to :func:`run_one`
        (``exact_node_limit``: nodes of branch and bound per run, >= 0, 0 = off).
    scheduler, dask_local
        A Dask cluster instead of local processes
        (:func:`numerics.experiments.runner.open_executor`).

    Returns
    -------
    SweepSummary
        With every record of the file for the requested specs, in spec order;
        ``failed`` names the runs that raised (``errors`` counts them) or failed
        the certified-bounds check (:func:`check_record`, status
        ``"inconsistent"``, also in ``inconsistent``).
    """
    import functools

    from numerics.experiments.runner import run_grid

    workers = as_positive_int(workers, "workers")
    exact_node_limit = as_positive_int(exact_node_limit, "exact_node_limit", minimum=0)
    res = run_grid(list(specs), functools.partial(run_one, light=light,
                                                  certificates=certificates,
                                                  exact_node_limit=exact_node_limit),
                   path, workers=workers, scheduler=scheduler, dask_local=dask_local,
                   resume=resume, progress=progress, label="sweep", check=_check_certified)
    return SweepSummary(res.path, res.total, res.skipped, res.ran, len(res.errors),
                        res.seconds, res.records, res.failed, res.inconsistent,
                        res.failure_text())
