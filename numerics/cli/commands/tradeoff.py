"""``robustlaw tradeoff``: the certified tradeoff curve U(k) against proven lower bounds.

For sphere data with random labels and a grid of widths k, finds k-neuron ReLU
interpolants with small certified Lipschitz constants on the unit ball
(:mod:`numerics.construct.min_lipschitz`), brackets the minimum over all k-neuron interpolants
between U(k) and the proven lower bound L(k) (:mod:`numerics.experiments.tradeoff`), re-verifies
every point in a separate pass, and writes the log-log figure, the LaTeX table and the
fitted slope of U(k) with its 95% interval. Results are JSON lines (resumable: rerun
the same command to continue).

Configurations (``--config``, defined once in :data:`numerics.experiments.tradeoff_grid.CONFIGS`):
``fast`` (the ``robustlaw reproduce`` configuration, n = 32, d = 64: inside the window
where sqrt(n/k) exceeds the data's pair-quotient floor) and ``full`` (n = 256 and
n = 2048 at d = 64, three seeds: for n = 2048 sqrt(n/k) exceeds the floor over the
decade k = 32..362; about 5.6 h on one worker, 3.6 h on two). Before it starts the
command prints the expected wall time, from the per-point cost model of
:func:`numerics.experiments.tradeoff_grid.estimate_seconds` (seconds proportional to the
optimizer's iteration budget x n x k x d, calibrated on measured points). One grid run
is one whole curve (n, d, seed), since every width is warm-started from its neighbour;
``--workers``/``--scheduler``/``--dask-local`` run panels and seeds in parallel.
A point whose certified lower bound exceeds its certified U is written with status
``inconsistent`` and, like a point that raised, makes the command exit with status 1
naming it. ``CONFIGS['seeds']`` (the fast sizes on three data seeds) is
available from Python through :func:`numerics.experiments.tradeoff_grid.run_config`. A point that
raises or fails its re-verification makes the command exit with status 1, naming it,
after every other point was written.

Also the ``reproduce`` step (``REPRODUCE_ORDER = 55``) in the fast configuration.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from numerics.cli.commands._common import add_executor_arguments, executor_options

NAME = "tradeoff"
HELP = "certified tradeoff curve: min-Lipschitz interpolants U(k) vs proven lower bounds L(k)"
REPRODUCE_ORDER = 55

def register(parser):
    parser.add_argument("--out", default="results/tradeoff",
                        help="output directory (default: results/tradeoff)")
    parser.add_argument("--config", choices=("fast", "full", "regime"), default="fast",
                        help="configuration (numerics.experiments.tradeoff_grid.CONFIGS; default "
                             "fast: n=32, d=64, inside the window where the law can show; "
                             "full: n=256 and 2048, d=64, 3 data seeds, long: its "
                             "expected wall time is printed first; regime: the n=256, d=64 "
                             "panel inside its window, 3 data seeds)")
    parser.add_argument("--n", type=int, default=None, help="override: sample size")
    parser.add_argument("--d", type=int, default=None, help="override: dimension")
    parser.add_argument("--k", type=int, nargs="+", default=None, help="override: widths")
    parser.add_argument("--seed", type=int, default=None,
                        help="one data seed instead of the configuration's seeds")
    parser.add_argument("--outer", type=int, default=None, help="augmented-Lagrangian rounds")
    parser.add_argument("--inner", type=int, default=None, help="L-BFGS iterations per round")
    parser.add_argument("--refine", type=int, default=None,
                        help="extra optimization rounds on the best network per k")
    parser.add_argument("--exact-node-limit", type=int, default=None,
                        help="nodes of branch and bound per point (0 = off; default: the "
                             "configuration's): where it closes, U(k) is the exact constant")
    add_executor_arguments(parser)
    parser.add_argument("--no-resume", action="store_true", help="start afresh")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def make_outputs(records, out_dir, checks=None) -> tuple[list[Path], dict]:
    """Figure (png, pdf), ``tradeoff_table.tex`` and ``tradeoff_summary.json`` (slopes
    of U(k) with 95% intervals, the largest gaps U/L and U/L_net, and the verification
    results) under ``out_dir``."""
    from numerics.experiments.tradeoff_report import (
        plot_curve,
        regime_summary,
        tradeoff_slope,
        tradeoff_table,
    )
    from numerics.records import write_text_atomic

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = plot_curve(records, out / "certified_tradeoff")
    regime = regime_summary(records)
    notes = []
    for s in regime:
        w = s["window_slope"]
        if w is not None and w["ci_low"] is not None:
            notes.append(f"$n={s['n']}$, $d={s['d']}$: slope of $\\log U$ against $\\log k$ "
                         f"inside the window ($k$ in {s['window_ks']}) {w['mean']:.2f}, "
                         f"95\\% interval [{w['ci_low']:.2f}, {w['ci_high']:.2f}] over "
                         f"{w['seeds']} data seeds.")
    table = tradeoff_table(records)
    if notes:
        table = table.replace(r"\end{table}", " ".join(notes) + "\n" + r"\end{table}", 1) \
            if r"\end{table}" in table else table + "\n% " + " ".join(notes) + "\n"
    files.append(write_text_atomic(out / "tradeoff_table.tex", table))
    curve = [r for r in records if r.get("kind") == "curve" and r.get("status") == "exact"]
    gaps = [r["gap"] for r in curve if r.get("gap") is not None]
    gaps_net = [r["gap_net"] for r in curve if r.get("gap_net") is not None]
    summary = {"slopes": tradeoff_slope(records),
               "max_gap": max(gaps) if gaps else None,
               "max_gap_net": max(gaps_net) if gaps_net else None,
               "points": len(curve), "regime": regime,
               "exact_points": sum((r.get("lipschitz") or {}).get("exact") is not None
                                   for r in curve),
               "verified": None if checks is None else {k: c.to_dict() for k, c in checks.items()}}
    files.append(write_text_atomic(out / "tradeoff_summary.json", json.dumps(summary, indent=2)))
    return files, summary


def run(args) -> dict:
    from numerics.experiments.runner import failure_text, hms
    from numerics.experiments.tradeoff_grid import CONFIGS, estimate_seconds, run_config

    cfg = dict(CONFIGS[args.config])
    if args.n is not None or args.d is not None:
        n0, d0 = cfg["panels"][0]
        cfg["panels"] = [(args.n or n0, args.d or d0)]
        cfg["ks"] = None
    if args.k is not None:
        cfg["ks"] = args.k
    for key in ("outer", "inner", "refine"):
        if getattr(args, key) is not None:
            cfg[key] = getattr(args, key)
    enl = getattr(args, "exact_node_limit", None)
    if enl is not None:
        if enl < 0:
            raise ValueError(f"--exact-node-limit: must be an integer >= 0, got {enl}")
        cfg["exact_node_limit"] = int(enl)
    out = Path(args.out)
    ex = executor_options(args)
    seeds = None if args.seed is None else (args.seed,)
    lanes = ex["workers"] if ex["scheduler"] is None and ex["dask_local"] is None else \
        (ex["dask_local"] or 1)
    est = estimate_seconds(cfg, seeds=seeds, workers=lanes)
    if not args.quiet:
        print(f"[tradeoff] expected wall time about {hms(est)} on {lanes} worker(s) "
              "(cost model numerics.experiments.tradeoff_grid.estimate_seconds; "
              "resumed points cost nothing)", file=sys.stderr, flush=True)
    records, checks, paths = run_config(cfg, out, seeds=seeds, resume=not args.no_resume,
                                        progress=not args.quiet, **ex)
    files, summary = make_outputs(records, out, checks)
    bad = [k for k, c in checks.items() if not c.ok]
    errors = [r["key"] for r in records if r.get("status") == "error"]
    incons = [r["key"] for r in records if r.get("status") == "inconsistent"]
    lines = [f"n={s['n']} d={s['d']}: slope of U(k) {s['slope']:+.3f}"
             + ("" if s["ci_low"] is None else f" [{s['ci_low']:+.3f}, {s['ci_high']:+.3f}]")
             + f" over k in {s['ks']}" for s in summary["slopes"]]
    lines.append(f"largest gap U/L = {summary['max_gap']}, U/L_net = {summary['max_gap_net']}")
    lines.append(f"branch and bound closed (U exact) at {summary['exact_points']} of "
                 f"{summary['points']} points")
    lines.append(f"{len(checks)} points re-verified, {len(bad)} failed"
                 + (f": {bad}" if bad else ""))
    lines.append("wrote " + ", ".join(str(f) for f in [*paths, *files]))
    if errors or incons:
        lines.append(failure_text(errors, incons, "the curve files"))
    return {"files": [str(f) for f in [*paths, *files]], "summary": summary,
            "failed_verification": bad, "failed": errors + incons, "inconsistent": incons,
            "expected_seconds": est, "exit_code": 1 if bad or errors or incons else 0,
            "text": "\n".join(lines)}


def reproduce(out_dir: Path, *, seed: int) -> list[Path]:
    """Fast configuration (``CONFIGS['fast']``, fresh file) under ``out_dir/tradeoff``;
    raises RuntimeError if any point fails its re-verification."""
    from numerics.experiments.tradeoff_grid import run_config

    out = Path(out_dir) / "tradeoff"
    records, checks, paths = run_config("fast", out, seeds=(seed,), resume=False,
                                        progress=False)
    from numerics.experiments.runner import failure_text

    bad = [k for k, c in checks.items() if not c.ok]
    files, _ = make_outputs(records, out, checks)
    if bad:
        raise RuntimeError(f"tradeoff: points failed re-verification: {bad}")
    text = failure_text([r["key"] for r in records if r.get("status") == "error"],
                        [r["key"] for r in records if r.get("status") == "inconsistent"],
                        str(out))
    if text:
        raise RuntimeError(f"tradeoff: {text}")
    return [*paths, *files]
