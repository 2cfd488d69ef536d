"""``robustlaw random-networks``: experiments S1 (random ReLU networks at He-type
initialization) and S5 (Lipschitz bounds and double descent across width).

Writes, under ``--out``: JSON-lines records (resumable), the figures
``s1_random_relu.{png,pdf}`` and ``s5_double_descent.{png,pdf}``, LaTeX tables
``s1_tables.tex`` and ``s5_table.tex``, and ``random_networks_summary.json``
(bands, fits, correlations). ``--config fast`` (the default, used by
``robustlaw reproduce``) uses fewer dimensions, widths, depths and seeds and a
lighter search (see :meth:`numerics.experiments.width.S1Config.fast` and
:meth:`numerics.experiments.width.S5Config.fast`); ``--config full`` runs the whole grid.
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

NAME = "random-networks"
HELP = "S1/S5: Lipschitz constants of random ReLU networks and across width (figures, tables)"
REPRODUCE_ORDER = 60


def register(parser):
    parser.add_argument("--out", default="results/random_networks",
                        help="output directory (default: results/random_networks)")
    parser.add_argument("--experiment", choices=("s1", "s5", "both"), default="both")
    add_config_seed_arguments(
        parser, config_help="grid size (default fast: <= about a minute on 2 cores)")
    add_executor_arguments(parser)


def produce(out: Path, *, experiment: str = "both", config: str = "fast",
            seed: int = 0, executor: dict | None = None) -> dict:
    """Run the experiments (``executor``: keyword arguments of
    :func:`numerics.experiments.runner.run_grid`, e.g. ``{"workers": 2}``) and write
    every file; returns ``{'files', 'summary', 'seconds'}`` and, from
    :func:`numerics.cli.commands._common.grid_outcome`, the failed runs and the exit
    code. Figures and tables use the runs that finished and passed their check."""
    from numerics.experiments import width as W
    if experiment not in ("s1", "s5", "both"):
        raise ValueError(f"experiment: expected s1, s5 or both, got {experiment!r}")
    check_config_seed(config, seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files, summary, seconds, grids = [], {"config": config, "seed": seed}, {}, []
    # name -> (config class, run, plot, table, summary, figure stem, table file)
    experiments = {
        "s1": (W.S1Config, W.s1_grid, W.plot_s1, W.s1_table, W.s1_summary, "s1_random_relu",
               "s1_tables.tex"),
        "s5": (W.S5Config, W.s5_grid, W.plot_s5, W.s5_table, W.s5_summary, "s5_double_descent",
               "s5_table.tex"),
    }
    for name, (cfg_cls, run_exp, plot, table, summarize, fig_stem, tex) in experiments.items():
        if experiment not in (name, "both"):
            continue
        t0 = time.perf_counter()
        cfg = with_first_seed(cfg_cls.fast() if config == "fast" else cfg_cls(), seed)
        jl = out / f"{name}_records_{config}.jsonl"
        res = run_exp(cfg, jl, **(executor or {}))
        grids.append(res)
        recs = good_records(res.records)
        if name == "s5":
            recs.sort(key=lambda r: (r["seed"], r["width"]))
        files += [jl, *plot(recs, out / fig_stem)]
        files.append(write_text_atomic(out / tex, table(recs)))
        summary[name] = {"config": W.config_dict(cfg), **summarize(recs)}
        seconds[name] = round(time.perf_counter() - t0, 2)
    summary["seconds"] = seconds
    files.append(write_json_atomic(out / "random_networks_summary.json", summary,
                                   allow_nan=False))
    return {"files": [str(f) for f in files], "summary": summary, "seconds": seconds,
            **grid_outcome(grids)}


def _text(res: dict) -> str:
    s = res["summary"]
    lines = []
    if "s1" in s:
        for p, b in s["s1"]["bands"].items():
            norm = "sqrt(d)" if p == "2" else "d"
            lines.append(f"S1 shallow p={p}: lower/{norm} in [{b['lower_min']:.3g}, "
                         f"{b['lower_max']:.3g}], upper/{norm} in [{b['upper_min']:.3g}, "
                         f"{b['upper_max']:.3g}]")
        for p, f in s["s1"]["deep"].items():
            lines.append(f"S1 deep p={p}: upper/lower in [{f['ratio_min']:.3g}, "
                         f"{f['ratio_max']:.3g}], max ratio/(log N * L) = "
                         f"{f['ratio_over_logNL_max']:.3g}")
    if "s5" in s:
        c = s["s5"]["corr"]
        lines.append(f"S5: test-error peak at m={s['s5']['peak_width']['test_error']}, "
                     f"upper peak at m={s['s5']['peak_width']['upper']}, lower peak at "
                     f"m={s['s5']['peak_width']['lower']}; Pearson(test error, log upper) = "
                     f"{c['upper']['pearson']}, (.., log lower) = {c['lower']['pearson']}")
    lines.append("wrote: " + ", ".join(res["files"]))
    if res.get("failure_text"):
        lines.append(res["failure_text"])
    return "\n".join(lines)


def run(args) -> dict:
    res = produce(Path(args.out), experiment=args.experiment, config=args.config,
                  seed=args.seed, executor=executor_options(args))
    res["text"] = _text(res)
    return res


def reproduce(out_dir: Path, *, seed: int) -> list[Path]:
    """Both experiments in the fast configuration, under ``out_dir/random_networks``
    (2 worker processes); raises naming the failed runs after writing every file."""
    res = produce(Path(out_dir) / "random_networks", experiment="both", config="fast",
                  seed=seed, executor={"workers": 2})
    raise_if_failed("random-networks", res["failure_text"])
    return [Path(f) for f in res["files"]]
