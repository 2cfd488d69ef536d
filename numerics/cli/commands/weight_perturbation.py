"""``robustlaw weight-perturbation``: S4, training with and without the
certified-margin penalty across weight-perturbation budgets.

Writes, under ``--out``: ``weight_perturbation_records_<config>.jsonl`` (one row
per data set, seed, budget and penalty; resumable), the figure
``weight_perturbation.{png,pdf}``, ``weight_perturbation_table.tex`` (booktabs)
and ``weight_perturbation_summary.json``. Data sets: two- and four-class Gaussian
blobs, and scikit-learn's digits when scikit-learn is installed (``--datasets
auto``, the default, skips digits with a note otherwise; naming ``digits``
explicitly without scikit-learn is an error).

``--config fast`` (part of ``robustlaw reproduce``): one seed, budgets 0.03 and
0.1, 300 training points, width 16; ``--config full``: three seeds, budgets
0.01 to 0.3, 600 training points, width 32.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from numerics.cli.commands._common import (
    add_config_seed_arguments,
    add_executor_arguments,
    check_config_seed,
    executor_options,
    good_records,
    grid_outcome,
    raise_if_failed,
    with_first_seed,
)
from numerics.records import write_json_atomic, write_text_atomic

NAME = "weight-perturbation"
HELP = "S4: certified-margin training under weight perturbations (robustness, generalization)"
REPRODUCE_ORDER = 75


def register(parser):
    parser.add_argument("--out", default="results/weight_perturbation",
                        help="output directory (default: results/weight_perturbation)")
    parser.add_argument("--datasets", default="auto",
                        help="comma-separated from two-class, multi-class, digits; 'auto' "
                             "(default): all, digits only when scikit-learn is installed")
    add_config_seed_arguments(
        parser, config_help="grid size (fast: 1 seed, 2 budgets; full: 3 seeds, 4 budgets)")
    add_executor_arguments(parser)


def _datasets(spec: str) -> tuple[tuple, str | None]:
    from numerics.experiments import weight_perturbation as wp
    if spec == "auto":
        if wp.digits_available():
            return wp.DATASETS, None
        return wp.DATASETS[:2], ("digits skipped: scikit-learn is not installed "
                                 "(pip install scikit-learn)")
    names = tuple(s.strip() for s in spec.split(",") if s.strip())
    bad = [n for n in names if n not in wp.DATASETS]
    if not names or bad:
        raise ValueError(f"datasets: expected 'auto' or names from {wp.DATASETS}, got {spec!r}")
    if "digits" in names and not wp.digits_available():
        raise ValueError("datasets: 'digits' needs scikit-learn (pip install scikit-learn)")
    return names, None


def produce(out: Path, *, config: str = "fast", seed: int = 0, datasets: str = "auto",
            executor: dict | None = None) -> dict:
    """Run the grid (``executor``: keyword arguments of
    :func:`numerics.experiments.runner.run_grid`) and write every file; returns
    ``{'files', 'summary', 'seconds', 'note'}`` and the failed runs and exit code
    (:func:`numerics.cli.commands._common.grid_outcome`)."""
    from numerics.experiments import weight_perturbation as wp
    check_config_seed(config, seed)
    names, note = _datasets(datasets)
    t0 = time.perf_counter()
    cfg = wp.WPConfig.fast() if config == "fast" else wp.WPConfig()
    cfg = dataclasses.replace(with_first_seed(cfg, seed), datasets=names)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    jl = out / f"weight_perturbation_records_{config}.jsonl"
    res = wp.wp_grid(cfg, jl, **(executor or {}))
    rows = good_records(res.records)
    summary = wp.summarize(rows)
    files = [jl, *wp.plot_results(summary, out / "weight_perturbation")]
    files.append(write_text_atomic(out / "weight_perturbation_table.tex",
                                   wp.results_table(summary, cfg)))
    seconds = round(time.perf_counter() - t0, 2)
    files.append(write_json_atomic(out / "weight_perturbation_summary.json", {
        "config": {"name": config, **cfg.to_dict()}, "summary": summary, "seconds": seconds,
        "note": note,
        "notes": ("certified: proved lower bound on the robust fraction; pointwise_attacked "
                  "and attacked: upper estimates (optimized perturbations); bound_gap_clean: "
                  "generalization corollary for a class fixed in advance (here centred at the "
                  "trained network: a diagnostic)")}, allow_nan=False))
    return {"files": [str(f) for f in files], "summary": summary, "seconds": seconds,
            "note": note, **grid_outcome(res)}


def _text(res: dict) -> str:
    lines = [] if res["note"] is None else [f"note: {res['note']}"]
    for s in res["summary"]:
        lines.append(
            f"{s['dataset']:11s} eps={s['eps']:<5g} penalty={s['penalty']:<3g} "
            f"clean {s['clean']:.3f}  certified {s['certified']:.3f}  robust(attack) "
            f"{s['pointwise_attacked']:.3f}  attacked {s['attacked']:.3f}  gap {s['gap']:.3f}"
            f"  bound {s['bound_gap_clean']:.3f}")
    lines.append(f"[{res['seconds']:.1f}s] wrote: " + ", ".join(res["files"]))
    if res.get("failure_text"):
        lines.append(res["failure_text"])
    return "\n".join(lines)


def run(args) -> dict:
    res = produce(Path(args.out), config=args.config, seed=args.seed, datasets=args.datasets,
                  executor=executor_options(args))
    res["text"] = _text(res)
    return res


def reproduce(out_dir: Path, *, seed: int) -> list[Path]:
    """The fast configuration under ``out_dir/weight_perturbation``."""
    res = produce(Path(out_dir) / "weight_perturbation", config="fast", seed=seed)
    raise_if_failed("weight-perturbation", res["failure_text"])
    return [Path(f) for f in res["files"]]
