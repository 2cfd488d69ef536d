"""``robustlaw random-networks``: experiments S1 (random ReLU networks at He-type
initialization) and S5 (Lipschitz bounds and double descent across width).

Writes, under ``--out``: JSON-lines records (resumable), the figures
``s1_random_relu.{png,pdf}`` and ``s5_double_descent.{png,pdf}``, LaTeX tables
``s1_tables.tex`` and ``s5_table.tex``, and ``random_networks_summary.json``
(bands, fits, correlations). ``--config fast`` (the default, used by
``robustlaw reproduce``) uses fewer dimensions, widths, depths and seeds and a
lighter search (see :meth:`numerics.width.S1Config.fast` and
:meth:`numerics.width.S5Config.fast`); ``--config full`` runs the whole grid.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

NAME = "random-networks"
HELP = "S1/S5: Lipschitz constants of random ReLU networks and across width (figures, tables)"
REPRODUCE_ORDER = 60


def register(parser):
    parser.add_argument("--out", default="results/random_networks",
                        help="output directory (default: results/random_networks)")
    parser.add_argument("--experiment", choices=("s1", "s5", "both"), default="both")
    parser.add_argument("--config", choices=("fast", "full"), default="fast",
                        help="grid size (default fast: <= about a minute on 2 cores)")
    parser.add_argument("--seed", type=int, default=0, help="first seed (default 0)")


def _write(path: Path, text: str) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


def produce(out: Path, *, experiment: str = "both", config: str = "fast",
            seed: int = 0) -> dict:
    """Run the experiments and write every file; returns ``{'files', 'summary',
    'seconds'}``."""
    from numerics import width as W

    if experiment not in ("s1", "s5", "both"):
        raise ValueError(f"experiment: expected s1, s5 or both, got {experiment!r}")
    if config not in ("fast", "full"):
        raise ValueError(f"config: expected fast or full, got {config!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: must be a non-negative int, got {seed!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files, summary, seconds = [], {"config": config, "seed": seed}, {}
    if experiment in ("s1", "both"):
        t0 = time.perf_counter()
        cfg = W.S1Config.fast() if config == "fast" else W.S1Config()
        cfg = dataclasses.replace(cfg, seeds=tuple(seed + s for s in range(len(cfg.seeds))))
        jl = out / f"s1_records_{config}.jsonl"
        recs = W.run_s1(cfg, jl)
        files.append(jl)
        files += W.plot_s1(recs, out / "s1_random_relu")
        files.append(_write(out / "s1_tables.tex", W.s1_table(recs)))
        summary["s1"] = {"config": W.config_dict(cfg), **W.s1_summary(recs)}
        seconds["s1"] = round(time.perf_counter() - t0, 2)
    if experiment in ("s5", "both"):
        t0 = time.perf_counter()
        cfg = W.S5Config.fast() if config == "fast" else W.S5Config()
        cfg = dataclasses.replace(cfg, seeds=tuple(seed + s for s in range(len(cfg.seeds))))
        jl = out / f"s5_records_{config}.jsonl"
        recs = W.run_s5(cfg, jl)
        files.append(jl)
        files += W.plot_s5(recs, out / "s5_double_descent")
        files.append(_write(out / "s5_table.tex", W.s5_table(recs)))
        summary["s5"] = {"config": W.config_dict(cfg), **W.s5_summary(recs)}
        seconds["s5"] = round(time.perf_counter() - t0, 2)
    summary["seconds"] = seconds
    files.append(_write(out / "random_networks_summary.json",
                        json.dumps(summary, indent=2, allow_nan=False)))
    return {"files": [str(f) for f in files], "summary": summary, "seconds": seconds}


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
    return "\n".join(lines)


def run(args) -> dict:
    res = produce(Path(args.out), experiment=args.experiment, config=args.config,
                  seed=args.seed)
    res["text"] = _text(res)
    return res


def reproduce(out_dir: Path, *, seed: int) -> list[Path]:
    """Both experiments in the fast configuration, under ``out_dir/random_networks``."""
    res = produce(Path(out_dir) / "random_networks", experiment="both", config="fast",
                  seed=seed)
    return [Path(f) for f in res["files"]]
