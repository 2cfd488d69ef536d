"""``robustlaw random-features``: S3, adversarially trained random-features regression.

Sweeps :math:`\\psi_1 = N/d` at :math:`\\psi_2 = n/d = 2` for budgets
:math:`\\epsilon\\in\\{0.1, 0.3\\}` over several seeds (see
:class:`numerics.experiments.random_features.RFConfig`) and writes, under ``--out``:
``random_features_records_<config>.jsonl`` (one row per run, resumable),
the figure ``random_features.{png,pdf}`` (clean error, robust error lower
estimate and certified upper bound on the same test sample, with standard errors
over seeds, the exact population clean error, and the cited saddle-point formula's
standard and robust risk, ``docs/mathematics.md#s3-random-features``),
``random_features_table.tex`` (booktabs) and ``random_features_summary.json``
(the configuration, the summary rows and the trend test: does the clean error
fall and the robust error eventually rise with :math:`\\psi_1`?).

``--config fast`` (the default of ``robustlaw reproduce``) uses d = 40, 3 seeds,
6 values of psi1 and a light attack; ``--config full`` uses d = 100, 5 seeds,
9 values of psi1.
"""

from __future__ import annotations

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

NAME = "random-features"
HELP = "S3: adversarially trained random features: clean vs robust error across psi1"
REPRODUCE_ORDER = 70


def register(parser):
    parser.add_argument("--out", default="results/random_features",
                        help="output directory (default: results/random_features)")
    add_config_seed_arguments(
        parser, config_help="grid size (fast: d=40, 3 seeds; full: d=100, 5 seeds)")
    add_executor_arguments(parser)


def produce(out: Path, *, config: str = "fast", seed: int = 0,
            executor: dict | None = None) -> dict:
    """Run the sweep (``executor``: keyword arguments of
    :func:`numerics.experiments.runner.run_grid`) and write every file; returns
    ``{'files', 'summary', 'trend', 'seconds'}`` and the failed runs and exit code
    (:func:`numerics.cli.commands._common.grid_outcome`)."""
    from numerics.experiments import random_features as rf
    check_config_seed(config, seed)
    t0 = time.perf_counter()
    cfg = rf.RFConfig.fast() if config == "fast" else rf.RFConfig()
    cfg = with_first_seed(cfg, seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    jl = out / f"random_features_records_{config}.jsonl"
    res = rf.rf_grid(d=cfg.d, psi1s=cfg.psi1s, psi2=cfg.psi2, epss=cfg.epss, tau=cfg.tau,
                     seeds=cfg.seeds, n_test=cfg.n_test, steps=cfg.steps,
                     starts=cfg.starts, path=jl, **(executor or {}))
    rows = good_records(res.records)
    keep = {(float(e), float(p), int(s)) for e in cfg.epss for p in cfg.psi1s
            for s in cfg.seeds}
    rows = [r for r in rows if (r["eps"], r["psi1"], r["seed"]) in keep and r["d"] == cfg.d]
    summary = rf.add_theory(rf.summarize(rows))
    trend = rf.trend_summary(summary)
    curves = rf.theory_curves(summary)
    files = [jl]
    files += rf.plot_sweep(summary, out / "random_features", curves)
    files.append(write_text_atomic(out / "random_features_table.tex", rf.sweep_table(summary, cfg)))
    seconds = round(time.perf_counter() - t0, 2)
    payload = {"config": {"name": config, **cfg.to_dict()}, "summary": summary,
               "trend": trend, "theory_curves": _no_nan(curves), "seconds": seconds,
               "notes": ("clean_mc, robust_lower (projected gradient ascent: a lower "
                         "estimate), robust_upper (a certified upper bound) and robust_lin "
                         "(exact sup of the linearization) are means over the same test "
                         "sample of each run; clean is the exact population error given "
                         "(W, beta, theta); theory_* and theory_curves are the cited "
                         "saddle-point formula (d -> infinity; "
                         "docs/mathematics.md#s3-random-features); standard errors over "
                         "seeds")}
    files.append(write_json_atomic(out / "random_features_summary.json", payload,
                                   allow_nan=False))
    return {"files": [str(f) for f in files], "summary": summary, "trend": trend,
            "seconds": seconds, **grid_outcome(res)}


def _no_nan(curves: dict) -> dict:
    """NaN (the formula where no interior saddle point exists) as JSON null."""
    return {e: [{k: (None if isinstance(v, float) and v != v else v) for k, v in c.items()}
                for c in cur] for e, cur in curves.items()}


def _text(res: dict) -> str:
    lines = []
    for eps, t in res["trend"].items():
        lines.append(
            f"eps={eps}: clean {t['clean_first']:.3f} -> {t['clean_last']:.3f} "
            f"(falls: {t['clean_falls']}); robust (lower est.) min {t['robust_min']:.3f} at "
            f"psi1={t['robust_min_psi1']}, last {t['robust_last']:.3f} "
            f"(rise {t['robust_rise_z']:.1f} SE; rises: {t['robust_rises']})")
    lines.append(f"[{res['seconds']:.1f}s] wrote: " + ", ".join(res["files"]))
    if res.get("failure_text"):
        lines.append(res["failure_text"])
    return "\n".join(lines)


def run(args) -> dict:
    res = produce(Path(args.out), config=args.config, seed=args.seed,
                  executor=executor_options(args))
    res["text"] = _text(res)
    return res


def reproduce(out_dir: Path, *, seed: int) -> list[Path]:
    """The fast configuration under ``out_dir/random_features``."""
    res = produce(Path(out_dir) / "random_features", config="fast", seed=seed)
    raise_if_failed("random-features", res["failure_text"])
    return [Path(f) for f in res["files"]]
