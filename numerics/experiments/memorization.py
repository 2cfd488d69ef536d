r"""Experiments (a)–(e) of the S2 memorization construction
(``docs/mathematics.md#s2-memorization``):

(a) probability of interpolation and mean second-layer width K over a grid of
    first-layer widths N and bias ranges λ on two moons, many restarts;
(b) K as the number of moons points grows (fixed N, λ): flat or not;
(c) scikit-learn digits: one-vs-rest (first layer shared) and two-digit pairs;
(d) K and parameter counts against Baum's construction C3 and n/d on the same data;
(e) the certified Lipschitz bracket of the ramp (ReLU) versions against n,
    :math:`\sqrt{n/k}` and the constructions C1–C4 on the same data.

Every experiment is a grid of cells (:class:`MemSpec`, :func:`mem_run`) run by
:func:`numerics.experiments.runner.run_grid`: one JSON line appended per finished
cell, cells already stored are skipped (an interrupted run resumes losing at most
the cells in flight), failures are recorded, any executor. Figures and tables are in
:mod:`numerics.experiments.memorization_report`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from numerics.construct import construct
from numerics.construct.memorization import memorize, memorize_multiclass
from numerics.construct.memorization_geometry import geometry_proxies
from numerics.construct.memorization_ramp import ramp_memorizer
from numerics.data import random_dataset
from numerics.domain import Domain
from numerics.shipped_data import DIGITS_HINT, digits_pair, load_digits_dataset, two_moons

__all__ = ["EXPERIMENTS", "MemConfig", "MemSpec", "check_mem_record", "mem_grid",
           "mem_run", "run_all", "run_experiment"]


@dataclass(frozen=True)
class MemConfig:
    """Grid of every experiment; :meth:`fast` is the ``reproduce`` configuration."""

    name: str = "full"
    seed: int = 0
    noise: float = 0.05
    moons_n: int = 1000
    grid_N: tuple = (10, 20, 50, 100, 200, 300, 500)
    grid_lam: tuple = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5)
    restarts: int = 50
    kn_sizes: tuple = (1_000, 10_000, 100_000, 1_000_000)
    kn_N: int = 200
    kn_lam: float = 1.0
    kn_seeds: int = 5
    digits_N: tuple = (200, 500, 1000)
    digits_lam: float = 1.0
    digits_pairs: tuple = ((0, 1), (3, 8), (4, 9), (1, 7), (5, 6))
    digits_seeds: int = 3
    baum_sizes: tuple = (100, 300, 1000, 3000, 10000)
    ramp_sizes: tuple = (100, 300, 1000, 3000)
    ramp_N: int = 200
    ramp_lam: float = 1.0
    ramp_seeds: int = 3
    sphere_d: int = 10
    sphere_N: int = 1000
    sphere_sizes: tuple = (100, 300, 1000)

    @classmethod
    def fast(cls, seed: int = 0) -> MemConfig:
        """A small grid (about 30 s on one core)."""
        return cls(name="fast", seed=seed, grid_N=(10, 50, 100, 200, 500),
                   grid_lam=(0.0, 0.5, 1.0, 2.5), restarts=8, kn_sizes=(1_000, 10_000, 100_000),
                   kn_seeds=2, digits_N=(500,), digits_pairs=((3, 8), (4, 9)), digits_seeds=1,
                   baum_sizes=(100, 300, 1000), ramp_sizes=(100, 300, 1000), ramp_seeds=1,
                   sphere_N=300, sphere_sizes=(100,))

    def to_dict(self) -> dict:
        return asdict(self)


def _moons(cfg: MemConfig, n: int, seed: int):
    return two_moons(n, cfg.noise, seed=10_000 + seed)


def _progress(msg: str, quiet: bool) -> None:
    if not quiet:
        print(f"[memorization] {msg}", file=sys.stderr, flush=True)


def _cells_a(cfg: MemConfig):
    for N in cfg.grid_N:
        for lam in cfg.grid_lam:
            yield ("a", N, lam)


def _run_a(cfg: MemConfig, key) -> dict:
    _, N, lam = key
    X, y = _moons(cfg, cfg.moons_n, cfg.seed)
    runs = [memorize(X, y, N, lam, seed=cfg.seed * 100_003 + r) for r in range(cfg.restarts)]
    return {"N": N, "lam": lam, "n": cfg.moons_n, "restarts": cfg.restarts,
            "interpolates": [r.interpolates for r in runs], "K": [r.K for r in runs],
            "uncovered": [r.uncovered for r in runs],
            "p_interp": float(np.mean([r.interpolates for r in runs])),
            "mean_K": float(np.mean([r.K for r in runs]))}


def _cells_b(cfg: MemConfig):
    for n in cfg.kn_sizes:
        for s in range(cfg.kn_seeds):
            yield ("b", n, s)


def _run_b(cfg: MemConfig, key) -> dict:
    _, n, s = key
    X, y = _moons(cfg, n, cfg.seed + s)
    t0 = time.perf_counter()
    r = memorize(X, y, cfg.kn_N, cfg.kn_lam, seed=cfg.seed + s)
    return {"n": n, "seed": cfg.seed + s, "N": cfg.kn_N, "lam": cfg.kn_lam,
            "interpolates": r.interpolates, "K": r.K, "uncovered": r.uncovered,
            "parameters": r.parameters, "seconds": round(time.perf_counter() - t0, 3)}


def _cells_c(cfg: MemConfig):
    try:
        load_digits_dataset()
    except ModuleNotFoundError:
        return
    for N in cfg.digits_N:
        for s in range(cfg.digits_seeds):
            yield ("c", "ovr", N, s)
            for a, b in cfg.digits_pairs:
                yield ("c", f"{a}v{b}", N, s)


def _run_c(cfg: MemConfig, key) -> dict:
    _, task, N, s = key
    seed = cfg.seed + s
    if task == "ovr":
        X, lab = load_digits_dataset()
        r = memorize_multiclass(X, lab, N, cfg.digits_lam, seed=seed)
        geo = None
    else:
        a, b = (int(v) for v in task.split("v"))
        X, y = digits_pair(a, b)
        r = memorize(X, y, N, cfg.digits_lam, seed=seed)
        g = geometry_proxies(X, y, radii=(0.25, 0.5), net=r.net, seed=seed)
        geo = {"delta": g["delta"], "cover_pos_half_delta": g["cover_pos"]["delta/2"],
               "cover_neg_half_delta": g["cover_neg"]["delta/2"],
               "hyperplane_min": g["hyperplanes"]["min"]}
    n, d = X.shape
    return {"task": task, "N": N, "seed": seed, "lam": cfg.digits_lam, "n": n, "d": d,
            "interpolates": r.interpolates, "K": r.K, "widths": list(r.widths),
            "uncovered": r.uncovered, "parameters": r.parameters, "n_over_d": n / d,
            "geometry_proxies": geo}


def _cells_d(cfg: MemConfig):
    for n in cfg.baum_sizes:
        yield ("d", n)


def _run_d(cfg: MemConfig, key) -> dict:
    _, n = key
    X, y = _moons(cfg, n, cfg.seed)
    r = memorize(X, y, cfg.kn_N, cfg.kn_lam, seed=cfg.seed)
    c3 = construct("C3", X, y)
    d = X.shape[1]
    g = geometry_proxies(X, y, radii=(0.1, 0.2, 0.4), net=r.net, seed=cfg.seed)
    return {"n": n, "d": d, "N": cfg.kn_N, "lam": cfg.kn_lam, "interpolates": r.interpolates,
            "K": r.K, "parameters": r.parameters, "c3_k": int(c3.net.k),
            "c3_parameters": int(c3.net.k * (d + 2)), "c3_interpolates": c3.interpolates,
            "n_over_d": n / d, "geometry_proxies": g}


def _cells_e(cfg: MemConfig):
    for data, sizes in (("moons", cfg.ramp_sizes), ("sphere", cfg.sphere_sizes)):
        for n in sizes:
            for s in range(cfg.ramp_seeds):
                yield ("e", data, n, s)


def _constructions(X, y) -> dict:
    out = {}
    for name in ("C1", "C2", "C3", "C4"):
        try:
            c = construct(name, X, y)
        except ValueError as exc:
            out[name] = {"interpolates": False, "reason": str(exc), "k": None, "upper": None}
            continue
        out[name] = {"interpolates": c.interpolates, "reason": c.reason,
                     "k": None if c.net is None else int(c.net.k),
                     "upper": c.upper_for(Domain.ball(1.0)) if c.interpolates else None}
    return out


def _run_e(cfg: MemConfig, key) -> dict:
    _, data, n, s = key
    seed = cfg.seed + s
    if data == "moons":
        X, y = _moons(cfg, n, seed)
        N = cfg.ramp_N
    else:
        ds = random_dataset(n, cfg.sphere_d, seed, kind="sphere")
        X, y = ds.X, ds.y
        N = cfg.sphere_N
    rec = {"data": data, "n": n, "d": int(X.shape[1]), "seed": seed, "N": N,
           "lam": cfg.ramp_lam}
    r = memorize(X, y, N, cfg.ramp_lam, seed=seed)
    rec.update(interpolates=r.interpolates, K=r.K, parameters=r.parameters)
    if r.interpolates:
        rm = ramp_memorizer(r.net, X, y, seed=seed, n_starts=8, steps=20)
        k_hidden = sum(rm.net.widths)
        rec.update(ramp=rm.to_dict(), k_hidden=k_hidden,
                   sqrt_n_over_k=float(np.sqrt(n / k_hidden)),
                   sqrt_n_over_first=float(np.sqrt(n / (2 * N + 1))))
    rec["constructions"] = _constructions(X, y)
    return rec


#: name -> (cell generator, cell runner, record key fields)
EXPERIMENTS: dict[str, tuple[Callable, Callable]] = {
    "a": (_cells_a, _run_a), "b": (_cells_b, _run_b), "c": (_cells_c, _run_c),
    "d": (_cells_d, _run_d), "e": (_cells_e, _run_e),
}


@dataclass(frozen=True)
class MemSpec:
    """One cell of experiment ``name``: ``cell`` is its key tuple (first entry the
    experiment's letter), ``cfg`` the configuration."""

    name: str
    cell: tuple
    cfg: MemConfig

    @property
    def key(self) -> str:
        return "|".join(str(v) for v in self.cell)


def mem_run(spec: MemSpec) -> dict:
    """The single run of the grid: the cell runner of :data:`EXPERIMENTS` (looked up
    when the run starts) and its wall time ``seconds_cell``."""
    t0 = time.perf_counter()
    rec = EXPERIMENTS[spec.name][1](spec.cfg, spec.cell)
    rec["cell"] = list(spec.cell)
    rec["seconds_cell"] = round(time.perf_counter() - t0, 3)
    return rec


def check_mem_record(rec: dict) -> list[str]:
    """Experiment (e): the ramp network's certified Lipschitz lower bound must not
    exceed its certified upper bound (compared exactly); other cells hold no
    certified bracket.

    >>> check_mem_record({"key": "e|x", "ramp": {"lip_lower": 2.0, "lip_upper": 1.0}})
    ['e|x: lower 2 (ramp lip_lower) > upper 1 (ramp lip_upper)']
    """
    from numerics.experiments.consistency import bracket_violations

    ramp = rec.get("ramp") or {}
    return bracket_violations(rec.get("key", "?"), [("ramp lip_lower", ramp.get("lip_lower"))],
                              [("ramp lip_upper", ramp.get("lip_upper"))])


def _string_keys(path: Path | None) -> None:
    """Files written before the grid runner keyed cells by lists: rewrite them with the
    string keys of :class:`MemSpec` (same records otherwise), once."""
    from numerics.records import read_records, write_records

    if path is None or not Path(path).exists():
        return
    recs = read_records(path)
    if any(isinstance(r.get("key"), list) for r in recs):
        write_records(path, [{**r, "cell": r["key"], "key": "|".join(map(str, r["key"]))}
                             if isinstance(r.get("key"), list) else r for r in recs])


def mem_grid(name: str, cfg: MemConfig, path: Path | None, *, quiet: bool = True,
             workers: int = 1, scheduler: str | None = None, dask_local: int | None = None):
    """Run (or resume) the cells of experiment ``name`` through
    :func:`numerics.experiments.runner.run_grid` (check: :func:`check_mem_record`);
    returns its :class:`numerics.experiments.runner.GridResult`."""
    from numerics.experiments.runner import run_grid

    if name not in EXPERIMENTS:
        raise ValueError(f"experiment: expected one of {sorted(EXPERIMENTS)}, got {name!r}")
    _string_keys(path)
    specs = [MemSpec(name, tuple(k), cfg) for k in EXPERIMENTS[name][0](cfg)]
    return run_grid(specs, mem_run, path, workers=workers, scheduler=scheduler,
                    dask_local=dask_local, progress=not quiet, label=f"memorization {name}",
                    check=check_mem_record)


def run_experiment(name: str, cfg: MemConfig, path: Path | None, *,
                   quiet: bool = True, **executor) -> list[dict]:
    """Run the cells of experiment ``name`` not yet in the file at ``path``
    (JSON lines, one record per cell, keyed by ``"key"``; :func:`mem_grid`); return
    all records of this configuration's cells, in cell order.

    Examples
    --------
    >>> cfg = MemConfig(name="doc", moons_n=100, grid_N=(100,), grid_lam=(0.0, 1.0), restarts=2)
    >>> [(r["lam"], r["p_interp"]) for r in run_experiment("a", cfg, None)]
    [(0.0, 0.0), (1.0, 1.0)]
    """
    return mem_grid(name, cfg, path, quiet=quiet, **executor).records


def run_all(cfg: MemConfig, out: Path, *, quiet: bool = True,
            grids: list | None = None, **executor) -> dict[str, list[dict]]:
    """Every experiment, records in ``out/memorization_{a..e}_{config}.jsonl``.
    Digits (c) is skipped with a note when scikit-learn is absent. ``grids``: a list
    that receives each experiment's :class:`numerics.experiments.runner.GridResult`
    (failed runs); ``executor``: ``workers``, ``scheduler``, ``dask_local``. The
    returned records are those of cells that finished and passed their check."""
    out = Path(out)
    res = {}
    for name in EXPERIMENTS:
        g = mem_grid(name, cfg, out / f"memorization_{name}_{cfg.name}.jsonl", quiet=quiet,
                     **executor)
        if grids is not None:
            grids.append(g)
        res[name] = [r for r in g.records if r.get("status") not in ("error", "inconsistent")]
    if not res["c"]:
        _progress(f"(c) skipped: {DIGITS_HINT}", quiet)
    return res
