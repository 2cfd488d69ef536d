"""``robustlaw tradeoff``: the certified tradeoff curve U(k) against proven lower bounds.

For sphere data with random labels and a grid of widths k, finds k-neuron ReLU
interpolants with small certified Lipschitz constants on the unit ball
(:mod:`numerics.construct.min_lipschitz`), brackets the minimum over all k-neuron interpolants
between U(k) and the proven lower bound L(k) (:mod:`numerics.experiments.tradeoff`), re-verifies
every point in a separate pass, and writes the log-log figure, the LaTeX table and the
fitted slope of U(k) with its 95% interval. Results are JSON lines (resumable: rerun
the same command to continue).

Configurations (``--config``, defined once in :data:`numerics.experiments.tradeoff.CONFIGS`):
``fast`` (the ``robustlaw reproduce`` configuration, n = 32, d = 64: inside the window
where sqrt(n/k) exceeds the data's pair-quotient floor) and ``full`` (n = 256, d = 64,
three seeds; long). ``CONFIGS['seeds']`` (the fast sizes on three data seeds) is
available from Python through :func:`numerics.experiments.tradeoff.run_config`. A point that
raises or fails its re-verification makes the command exit with status 1, naming it,
after every other point was written.

Also the ``reproduce`` step (``REPRODUCE_ORDER = 55``) in the fast configuration.
"""

from __future__ import annotations

import json
from pathlib import Path

NAME = "tradeoff"
HELP = "certified tradeoff curve: min-Lipschitz interpolants U(k) vs proven lower bounds L(k)"
REPRODUCE_ORDER = 55

def register(parser):
    parser.add_argument("--out", default="results/tradeoff",
                        help="output directory (default: results/tradeoff)")
    parser.add_argument("--config", choices=("fast", "full"), default="fast",
                        help="configuration (numerics.experiments.tradeoff.CONFIGS; default "
                             "fast: n=32, d=64, inside the window where the law can show; "
                             "full: n=256, d=64, 3 data seeds, long)")
    parser.add_argument("--n", type=int, default=None, help="override: sample size")
    parser.add_argument("--d", type=int, default=None, help="override: dimension")
    parser.add_argument("--k", type=int, nargs="+", default=None, help="override: widths")
    parser.add_argument("--seed", type=int, default=None,
                        help="one data seed instead of the configuration's seeds")
    parser.add_argument("--outer", type=int, default=None, help="augmented-Lagrangian rounds")
    parser.add_argument("--inner", type=int, default=None, help="L-BFGS iterations per round")
    parser.add_argument("--refine", type=int, default=None,
                        help="extra optimization rounds on the best network per k")
    parser.add_argument("--no-resume", action="store_true", help="start afresh")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def make_outputs(records, out_dir, checks=None) -> tuple[list[Path], dict]:
    """Figure (png, pdf), ``tradeoff_table.tex`` and ``tradeoff_summary.json`` (slopes
    of U(k) with 95% intervals, the largest gaps U/L and U/L_net, and the verification
    results) under ``out_dir``."""
    from numerics.experiments.tradeoff_report import plot_curve, tradeoff_slope, tradeoff_table
    from numerics.records import write_text_atomic

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = plot_curve(records, out / "certified_tradeoff")
    files.append(write_text_atomic(out / "tradeoff_table.tex", tradeoff_table(records)))
    curve = [r for r in records if r.get("kind") == "curve" and r.get("status") == "exact"]
    gaps = [r["gap"] for r in curve if r.get("gap") is not None]
    gaps_net = [r["gap_net"] for r in curve if r.get("gap_net") is not None]
    summary = {"slopes": tradeoff_slope(records),
               "max_gap": max(gaps) if gaps else None,
               "max_gap_net": max(gaps_net) if gaps_net else None,
               "points": len(curve),
               "verified": None if checks is None else {k: c.to_dict() for k, c in checks.items()}}
    files.append(write_text_atomic(out / "tradeoff_summary.json", json.dumps(summary, indent=2)))
    return files, summary


def run(args) -> dict:
    from numerics.experiments.tradeoff import CONFIGS, run_config

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
    out = Path(args.out)
    records, checks, paths = run_config(cfg, out, seeds=None if args.seed is None else (args.seed,),
                                        resume=not args.no_resume, progress=not args.quiet)
    files, summary = make_outputs(records, out, checks)
    bad = [k for k, c in checks.items() if not c.ok]
    errors = [r["key"] for r in records if r.get("status") == "error"]
    lines = [f"n={s['n']} d={s['d']}: slope of U(k) {s['slope']:+.3f}"
             + ("" if s["ci_low"] is None else f" [{s['ci_low']:+.3f}, {s['ci_high']:+.3f}]")
             + f" over k in {s['ks']}" for s in summary["slopes"]]
    lines.append(f"largest gap U/L = {summary['max_gap']}, U/L_net = {summary['max_gap_net']}")
    lines.append(f"{len(checks)} points re-verified, {len(bad)} failed"
                 + (f": {bad}" if bad else ""))
    lines.append("wrote " + ", ".join(str(f) for f in [*paths, *files]))
    if errors:
        lines.append(f"FAILED points ({len(errors)}; tracebacks in the records): "
                     + ", ".join(errors))
    return {"files": [str(f) for f in [*paths, *files]], "summary": summary,
            "failed_verification": bad, "failed": errors,
            "exit_code": 1 if bad or errors else 0, "text": "\n".join(lines)}


def reproduce(out_dir: Path, *, seed: int) -> list[Path]:
    """Fast configuration (``CONFIGS['fast']``, fresh file) under ``out_dir/tradeoff``;
    raises RuntimeError if any point fails its re-verification."""
    from numerics.experiments.tradeoff import run_config

    out = Path(out_dir) / "tradeoff"
    records, checks, paths = run_config("fast", out, seeds=(seed,), resume=False,
                                        progress=False)
    bad = [k for k, c in checks.items() if not c.ok]
    if bad:
        raise RuntimeError(f"tradeoff: points failed re-verification: {bad}")
    files, _ = make_outputs(records, out, checks)
    return [*paths, *files]
