"""``robustlaw tradeoff``: the certified tradeoff curve U(k) against proven lower bounds.

For sphere data with random labels and a grid of widths k, finds k-neuron ReLU
interpolants with small certified Lipschitz constants on the unit ball
(:mod:`numerics.construct.min_lipschitz`), brackets the minimum over all k-neuron interpolants
between U(k) and the proven lower bound L(k) (:mod:`numerics.experiments.tradeoff`), re-verifies
every point in a separate pass, and writes the log-log figure, the LaTeX table and the
fitted slope of U(k) with its 95% interval. Results are JSON lines (resumable: rerun
the same command to continue).

Configurations (``--config``): ``fast`` (the ``robustlaw reproduce`` configuration) and
``full`` (the sizes of issue 9: n = 256, d = 32 and n = d = 128; long). A point that
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

#: Presets: panels (n, d), widths (None: :func:`numerics.experiments.tradeoff.default_ks` with
#: ``per_octave`` points per doubling) and effort (see
#: :func:`numerics.construct.min_lipschitz.min_lipschitz_interpolant`). The full preset drops the
#: construction starts (far worse than the trained and warm starts at these sizes; the
#: constructions are still recorded as reference points) and spends the time on
#: ``refine`` rounds instead.
PRESETS = {
    "fast": {"panels": [(32, 8)], "ks": [6, 8, 11, 16, 23, 32, 45, 64], "outer": 6,
             "inner": 500, "refine": 1, "starts": ("fit", "C1", "C4"), "light": True,
             "per_octave": 2},
    "full": {"panels": [(256, 32), (128, 128)], "ks": None, "outer": 4, "inner": 1500,
             "refine": 3, "starts": ("fit",), "light": True, "per_octave": 1},
}


def register(parser):
    parser.add_argument("--out", default="results/tradeoff",
                        help="output directory (default: results/tradeoff)")
    parser.add_argument("--config", choices=sorted(PRESETS), default="fast",
                        help="configuration (default: fast; full: n=256, d=32 and "
                             "n=d=128, long)")
    parser.add_argument("--n", type=int, default=None, help="override: sample size")
    parser.add_argument("--d", type=int, default=None, help="override: dimension")
    parser.add_argument("--k", type=int, nargs="+", default=None, help="override: widths")
    parser.add_argument("--seed", type=int, default=0, help="data seed (default 0)")
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


def _run_panels(out: Path, cfg: dict, *, seed: int, resume: bool, progress: bool):
    from numerics.experiments.tradeoff import default_ks, run_tradeoff, verify_curve

    records, checks, paths = [], {}, []
    for n, d in cfg["panels"]:
        ks = cfg["ks"] or default_ks(n, d, per_octave=cfg["per_octave"])
        path = out / f"tradeoff_n{n}_d{d}_s{seed}.jsonl"
        records += run_tradeoff(n, d, ks, path, seed=seed, starts=cfg["starts"],
                                outer=cfg["outer"], inner=cfg["inner"],
                                refine=cfg["refine"], light=cfg["light"],
                                progress=progress, resume=resume)
        checks.update(verify_curve(path))   # a separate pass over the saved points
        paths.append(path)
    return records, checks, paths


def run(args) -> dict:
    # ``preset``: the option's former name (tests building a Namespace by hand)
    cfg = dict(PRESETS[getattr(args, "config", None) or getattr(args, "preset", "fast")])
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
    records, checks, paths = _run_panels(out, cfg, seed=args.seed,
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
    """Fast configuration (``PRESETS['fast']``, fresh file) under ``out_dir/tradeoff``;
    raises RuntimeError if any point fails its re-verification."""
    out = Path(out_dir) / "tradeoff"
    records, checks, paths = _run_panels(out, PRESETS["fast"], seed=seed, resume=False,
                                         progress=False)
    bad = [k for k, c in checks.items() if not c.ok]
    if bad:
        raise RuntimeError(f"tradeoff: points failed re-verification: {bad}")
    files, _ = make_outputs(records, out, checks)
    return [*paths, *files]
