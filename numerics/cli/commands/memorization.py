"""``robustlaw memorization``: the S2 memorization experiments (a)–(e)
(``docs/mathematics.md#s2-memorization``).

Writes, under ``--out``: JSON-lines records per experiment (resumable:
``memorization_{a..e}_{config}.jsonl``), the figures ``memorization_grid``,
``memorization_slices``, ``memorization_size`` and ``memorization_lipschitz``
(PNG + PDF), the booktabs tables ``memorization_tables.tex`` and
``memorization_summary.json``. ``--config fast`` (the default, used by
``robustlaw reproduce``) is a small grid; ``--config full`` the whole one
(:class:`numerics.experiments.memorization.MemConfig`). Digits (c) needs the
``[data]`` extra (scikit-learn); without it (c) is skipped with a note.
"""

from __future__ import annotations

import time
from pathlib import Path

from numerics.cli.commands._common import (
    add_config_seed_arguments,
    add_executor_arguments,
    check_config_seed,
    executor_options,
    grid_outcome,
    raise_if_failed,
)
from numerics.records import write_json_atomic, write_text_atomic

NAME = "memorization"
HELP = "S2: memorization by threshold networks sized by geometry (experiments a-e)"
REPRODUCE_ORDER = 70


def register(parser):
    parser.add_argument("--out", default="results/memorization",
                        help="output directory (default: results/memorization)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    add_config_seed_arguments(parser, config_help="grid size (default fast: about 30 s)")
    add_executor_arguments(parser)


def produce(out: Path, *, config: str = "fast", seed: int = 0, quiet: bool = True,
            executor: dict | None = None) -> dict:
    """Run (or resume) every experiment and write the figures, tables and summary;
    also returns the failed runs and the exit code
    (:func:`numerics.cli.commands._common.grid_outcome`)."""
    from numerics.experiments.memorization import MemConfig, run_all
    from numerics.experiments.memorization_report import figures, summary, tables
    from numerics.shipped_data import DIGITS_HINT

    check_config_seed(config, seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = MemConfig.fast(seed) if config == "fast" else MemConfig(seed=seed)
    t0 = time.perf_counter()
    grids: list = []
    res = run_all(cfg, out, quiet=quiet, grids=grids, **(executor or {}))
    files = [out / f"memorization_{k}_{cfg.name}.jsonl" for k in res if res[k]]
    files += figures(res, out, cfg)
    files.append(write_text_atomic(out / "memorization_tables.tex", tables(res, cfg)))
    summ = {"config": cfg.to_dict(), **summary(res),
            "notes": [] if res["c"] else [f"(c) skipped: {DIGITS_HINT}"],
            "seconds": round(time.perf_counter() - t0, 2)}
    files.append(write_json_atomic(out / "memorization_summary.json", summ, allow_nan=False))
    return {"files": [str(f) for f in files], "summary": summ, **grid_outcome(grids)}


def _text(res: dict) -> str:
    s = res["summary"]
    lines = []
    for key, v in s["grid"].items():
        lines.append(f"(a) {key}: P(interpolates) = {v['p_interp']:.2f}, mean K = "
                     f"{v['mean_K']:.1f}")
    for n, v in s["k_vs_n"].items():
        lines.append(f"(b) n = {n}: K = {v['K']}, interpolates = {v['interpolates']}")
    for r in s["lipschitz"]:
        if r["lower"] is not None:
            lines.append(f"(e) {r['data']} n = {r['n']}: Lip in [{r['lower']:.3g}, "
                         f"{r['upper']:.3g}], sqrt(n/k) = {r['sqrt_n_over_k']:.3g}")
    lines += s["notes"]
    lines.append("wrote: " + ", ".join(res["files"]))
    if res.get("failure_text"):
        lines.append(res["failure_text"])
    return "\n".join(lines)


def run(args) -> dict:
    res = produce(Path(args.out), config=args.config, seed=args.seed, quiet=args.quiet,
                  executor=executor_options(args))
    res["text"] = _text(res)
    return res


def reproduce(out_dir: Path, *, seed: int) -> list[Path]:
    """The fast configuration under ``out_dir/memorization``."""
    res = produce(Path(out_dir) / "memorization", config="fast", seed=seed)
    raise_if_failed("memorization", res["failure_text"])
    return [Path(f) for f in res["files"]]
