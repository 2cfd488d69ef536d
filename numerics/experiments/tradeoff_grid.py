r"""The tradeoff curve on the grid runner: configurations, the grid of curves, its
driver and its expected wall time.

**Grid unit: one curve** (n, d, data seed). The widths of a curve are not
independent runs: each k is warm-started from the best network of the previous
width (padded with an inactive neuron, or split at its steepest neuron), and with
``continuation="both"`` a decreasing pass restarts each k from the next larger
width's best network (:func:`numerics.experiments.tradeoff.run_tradeoff`). Splitting
a curve into per-k runs would either lose that continuation (other numbers) or
serialize the runs anyway, so the grid runner
(:func:`numerics.experiments.runner.run_grid`) executes whole curves: panels and data
seeds run in parallel (``workers``, ``scheduler``, ``dask_local``), the widths of one
curve in order inside its run. A curve's points go to its own JSON-lines file (one
writer per file: the worker running that curve) and resume by point key as before;
the grid file ``tradeoff_grid.jsonl`` holds one summary record per curve, keyed by
(n, d, seed) and a hash of the curve's options, with ``status`` ``"ok"``, ``"error"``
(a point raised; re-run on resume, which re-runs only the failed points) or
``"inconsistent"`` (a point's certified lower bound exceeds its certified U,
:func:`numerics.experiments.consistency.check_tradeoff_record`).

**Cost model** (:func:`estimate_seconds`): one optimizer call of
:func:`numerics.construct.min_lipschitz.min_lipschitz_interpolant` does at most
``outer * inner`` L-BFGS iterations, each dominated by products of the (n, d) data
with the (k, d) weights; a point costs about
``SECONDS_PER_UNIT * calls * outer * inner * n * k * d`` seconds (calls:
``len(starts) + refine`` in the increasing pass, ``2 + refine`` in the decreasing
one), plus ``SECONDS_PER_POINT`` for its lower bounds and certificates and at most
``SECONDS_PER_NODE`` times ``exact_node_limit`` for branch and bound. The
constants were measured on the development machine (see :data:`SECONDS_PER_UNIT`).

Examples
--------
>>> specs = curve_specs(CONFIGS["fast"], "/tmp/out")
>>> [(s.n, s.d, s.seed, s.ks) for s in specs]
[(32, 64, 0, (2, 4, 6, 8, 12, 16, 32))]
>>> specs[0].key.startswith("curve|n=32|d=64|seed=0|")
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["CONFIGS", "SECONDS_PER_NODE", "SECONDS_PER_POINT", "SECONDS_PER_UNIT", "CurveSpec",
           "curve_specs", "estimate_seconds", "run_config", "run_curve"]

#: Configurations of the curve (the ``tradeoff`` command's ``--config``): panels (n, d),
#: data seeds, widths (one list for every panel, or ``{(n, d): list}``; None: the default
#: grid), and the search budget per k (starts + ``refine`` restarts over a population,
#: each restart at most ``outer`` x ``inner`` L-BFGS iterations; continuation in k both
#: ways). Chosen inside the window where the law can show
#: (docs/mathematics.md#tradeoff-curve): at d = 64 the pair-quotient floor F of random
#: sphere data is about 1.9-2.2 and :math:`\sqrt{n/k}` exceeds it for k up to about
#: n/F^2 ~ n/4.5, while fitting needs only k >= n/(d+1). ``full``: n = 2048, d = 64 (F =
#: 2.12, 2.21, 2.16 on seeds 0, 1, 2: window k in [31.5, 421-455]), widths 32 ... 512,
#: i.e. the decade 32-320 inside the window and one width beyond it; and the former
#: full panel n = 256, d = 64 (window [3.9, 59-69]). ``exact_node_limit``: nodes of
#: branch and bound per point (0 = off; a node budget, not a time budget, so that the same
#: seed gives the same curve on any machine); where it closes, U(k) is the exact constant
#: (small in ``fast`` so that ``robustlaw reproduce`` stays under five minutes).
CONFIGS = {
    "fast": {"panels": [(32, 64)], "seeds": (0,), "ks": [2, 4, 6, 8, 12, 16, 32],
             "outer": 3, "inner": 200, "refine": 1, "population": 2,
             "continuation": "both", "starts": ("fit", "C4"), "light": True,
             "per_octave": 2, "exact_node_limit": 20},
    "seeds": {"panels": [(32, 64)], "seeds": (0, 1, 2), "ks": [2, 3, 4, 6, 8, 12, 16, 32],
              "outer": 4, "inner": 300, "refine": 2, "population": 2,
              "continuation": "both", "starts": ("fit", "fit_path", "C4"), "light": True,
              "per_octave": 2, "exact_node_limit": 100},
    "full": {"panels": [(256, 64), (2048, 64)], "seeds": (0, 1, 2),
             "ks": {(256, 64): [4, 6, 8, 11, 16, 23, 32, 45, 64, 91, 128],
                    (2048, 64): [32, 45, 64, 91, 128, 181, 256, 362, 512]},
             "outer": 4, "inner": 1000, "refine": 2, "population": 2,
             "continuation": "both", "starts": ("fit", "fit_path", "C4"), "light": True,
             "per_octave": 2, "exact_node_limit": 1000},
    # the regime measurement (docs/mathematics.md#tradeoff-curve): the (256, 64) panel of
    # ``full`` restricted to the widths inside its window [3.9, 59-69], with a smaller
    # search budget (model 4.5 min, measured about 25 min on 2 shared cores); k = 4, 6 sit
    # at the parameter count (k(d + 2) = 264, 396 for n = 256): training finds no fit.
    # No branch and bound (exact_node_limit 0): the saved measurement
    # (docs/data/tradeoff_regime.jsonl) was made without it and keeps its keys.
    "regime": {"panels": [(256, 64)], "seeds": (0, 1, 2),
               "ks": [4, 6, 8, 11, 16, 23, 32, 45, 64],
               "outer": 3, "inner": 600, "refine": 1, "population": 2,
               "continuation": "both", "starts": ("fit", "C4"), "light": True,
               "per_octave": 2, "exact_node_limit": 0, "envelope": True},
}

#: Seconds per (L-BFGS iteration budget x n x k x d) of the curve search, and the fixed
#: cost of a point: least-squares fit to four single points measured on the development
#: machine (2 shared cores, one worker, one BLAS thread; starts fit + C4, outer 3, inner
#: 400, refine 1): n = 256, k = 32 / 91: 3.7 / 12.3 s; n = 2048, k = 128 / 256: 57 / 119 s
#: (model: 5.4, 8.7, 61, 118 s). A fifth point, n = 2048, k = 64, took 142 s under load
#: (model 33 s): widths near the parameter-count minimum can cost several times more.
#: Checks: the ``fast`` configuration, model 47 s, measured 46 s; the former full
#: configuration (n = 256, 13 widths, 3 seeds), model 73 min, measured about 85 min.
SECONDS_PER_UNIT = 9.4e-10
SECONDS_PER_POINT = 3.6
#: Seconds per branch-and-bound node (at most ``exact_node_limit`` per point): 0.05-0.1 s
#: measured at d = 64, k <= 32 on the development machine under load (its upper bound).
SECONDS_PER_NODE = 0.1


@dataclass(frozen=True)
class CurveSpec:
    """One curve: panel (n, d), data ``seed``, widths ``ks`` and the search options of
    :func:`numerics.experiments.tradeoff.run_tradeoff`; ``path`` is its points file.
    ``progress`` (one line per width on stderr) is not part of the key, nor is
    ``exact_node_limit`` when 0 or ``envelope`` when False (so the keys of curves
    without them are unchanged). ``envelope``: after the curve, the envelope pass
    (:func:`numerics.experiments.tradeoff_wide.envelope_pass`): a width left above a
    smaller width's U restarts from that network."""

    n: int
    d: int
    seed: int
    ks: tuple
    path: str
    starts: tuple = ("fit", "C1", "C4")
    fit_seeds: tuple = (0,)
    outer: int = 8
    inner: int = 1000
    refine: int = 0
    light: bool = False
    constructions: bool = True
    population: int = 1
    continuation: str = "forward"
    progress: bool = False
    exact_node_limit: int = 0
    envelope: bool = False

    @property
    def key(self) -> str:
        from numerics.experiments._shared import _tag

        opts = {k: v for k, v in asdict(self).items()
                if k not in ("n", "d", "seed", "path", "progress")}
        if not self.exact_node_limit:
            opts.pop("exact_node_limit")
        if not self.envelope:
            opts.pop("envelope")
        return f"curve|n={self.n}|d={self.d}|seed={self.seed}|{_tag(opts)}"


def _ks_for(cfg: dict, n: int, d: int) -> list[int]:
    from numerics.experiments.tradeoff import default_ks

    ks = cfg.get("ks")
    if isinstance(ks, dict):
        ks = ks.get((n, d))
    return list(ks) if ks else default_ks(n, d, per_octave=cfg["per_octave"])


def curve_specs(cfg: dict, out_dir: str | Path, *, seeds=None,
                progress: bool = False) -> list[CurveSpec]:
    """The curves of a configuration dict (:data:`CONFIGS`), one per panel and data seed,
    each with its file ``out_dir/tradeoff_n{n}_d{d}_s{seed}.jsonl``."""
    out = Path(out_dir)
    specs = []
    for n, d in cfg["panels"]:
        ks = tuple(sorted({int(k) for k in _ks_for(cfg, n, d)}))
        for seed in (cfg["seeds"] if seeds is None else seeds):
            specs.append(CurveSpec(
                int(n), int(d), int(seed), ks, str(out / f"tradeoff_n{n}_d{d}_s{seed}.jsonl"),
                starts=tuple(cfg["starts"]), outer=cfg["outer"], inner=cfg["inner"],
                refine=cfg["refine"], light=cfg["light"], population=cfg["population"],
                continuation=cfg["continuation"], progress=progress,
                exact_node_limit=int(cfg.get("exact_node_limit", 0)),
                envelope=bool(cfg.get("envelope", False))))
    return specs


def run_curve(spec: CurveSpec) -> dict:
    """Compute (or resume) one curve into ``spec.path``; the grid record summarizes it:
    ``status`` ``"error"`` when a point raised, ``"inconsistent"`` when a point failed
    its consistency check (both naming the points), else ``"ok"``."""
    from numerics.experiments.tradeoff import run_tradeoff

    recs = run_tradeoff(spec.n, spec.d, spec.ks, spec.path, seed=spec.seed,
                        starts=spec.starts, fit_seeds=spec.fit_seeds, outer=spec.outer,
                        inner=spec.inner, refine=spec.refine, light=spec.light,
                        constructions=spec.constructions, population=spec.population,
                        continuation=spec.continuation, exact_node_limit=spec.exact_node_limit,
                        progress=spec.progress, resume=True)
    if spec.envelope:
        from numerics.experiments.tradeoff_wide import envelope_pass
        from numerics.records import load_records

        envelope_pass(spec.path, light=spec.light, progress=spec.progress)
        recs = [r for r in load_records(spec.path)
                if (r["n"], r["d"], r["seed"]) == (spec.n, spec.d, spec.seed)]
    errors = [r["key"] for r in recs if r.get("status") == "error"]
    incons = [r["key"] for r in recs if r.get("status") == "inconsistent"]
    rec = {"n": spec.n, "d": spec.d, "seed": spec.seed, "ks": list(spec.ks),
           "path": spec.path, "points": sum(r.get("kind") == "curve" for r in recs),
           "error_points": errors, "inconsistent_points": incons,
           "exact_points": sum(r.get("kind") == "curve"
                               and (r.get("lipschitz") or {}).get("exact") is not None
                               for r in recs),
           "seconds": sum(float(r.get("seconds") or 0.0) for r in recs)}
    if errors:
        rec.update(status="error", error="points raised: " + ", ".join(errors))
    elif incons:
        rec.update(status="inconsistent", inconsistent=incons,
                   error="inconsistent points: " + ", ".join(incons))
    else:
        rec["status"] = "ok"
    return rec


def estimate_seconds(cfg: dict, *, seeds=None, workers: int = 1) -> float:
    """Expected wall time of a configuration from the cost model of the module docstring
    (both passes, every panel and seed; curves spread over ``workers`` with the longest
    ones first).

    >>> 0 < estimate_seconds(CONFIGS["fast"]) < 300
    True
    """
    def curve(n: int, d: int) -> float:
        calls_fwd = len(cfg["starts"]) + cfg["refine"]
        calls_bwd = (2 + cfg["refine"]) if cfg["continuation"] == "both" else 0
        it = cfg["outer"] * cfg["inner"]
        ks = _ks_for(cfg, n, d)
        back = ks[:-1] if calls_bwd else []
        work = sum(calls_fwd * it * n * k * d for k in ks) + \
            sum(calls_bwd * it * n * k * d for k in back)
        per_point = SECONDS_PER_POINT + SECONDS_PER_NODE * int(cfg.get("exact_node_limit", 0))
        return SECONDS_PER_UNIT * work + per_point * (len(ks) + len(back))

    times = sorted((curve(n, d) for n, d in cfg["panels"]
                    for _ in (cfg["seeds"] if seeds is None else seeds)), reverse=True)
    lanes = [0.0] * max(1, int(workers))
    for t in times:
        lanes[lanes.index(min(lanes))] += t
    return max(lanes)


def run_config(config: str | dict, out_dir: str | Path, *, seeds=None, resume: bool = True,
               progress: bool = False, workers: int = 1, scheduler: str | None = None,
               dask_local: int | None = None) -> tuple[list[dict], dict, list[Path]]:
    """Run every panel and data seed of a configuration (a name of :data:`CONFIGS` or a
    dict with its keys) under ``out_dir`` through the grid runner (one curve per run,
    see the module docstring; ``workers``/``scheduler``/``dask_local`` choose the
    executor), then re-verify every point in a separate pass in this process
    (:func:`numerics.experiments.tradeoff.verify_curve`). Returns
    ``(records, {key: PointCheck}, paths)``; records with ``status`` ``"error"`` or
    ``"inconsistent"`` are the failed points."""
    from numerics.experiments.runner import run_grid
    from numerics.experiments.tradeoff import verify_curve
    from numerics.records import load_records

    cfg = CONFIGS[config] if isinstance(config, str) else dict(config)
    out = Path(out_dir)
    specs = curve_specs(cfg, out, seeds=seeds, progress=progress)
    if not resume:
        for s in specs:
            Path(s.path).unlink(missing_ok=True)
    run_grid(specs, run_curve, out / "tradeoff_grid.jsonl", workers=workers,
             scheduler=scheduler, dask_local=dask_local, resume=resume, progress=progress,
             label="tradeoff")
    records, checks, paths = [], {}, []
    for s in specs:
        path = Path(s.path)
        if path.exists():
            records += [r for r in load_records(path) if (r["n"], r["d"], r["seed"]) ==
                        (s.n, s.d, s.seed)]
            checks.update(verify_curve(path))
        paths.append(path)
    return records, checks, paths


def _window(n: int, d: int, ks: Sequence[int], floor: float) -> list[int]:
    """The widths of ``ks`` where sqrt(n/k) exceeds ``floor`` (and k >= n/(d+1))."""
    return [k for k in ks if n / (d + 1) <= k and math.sqrt(n / k) > floor]
