"""``robustlaw sweep``: interpolating networks over a grid of (n, d, k, method, seed).

Each run is one JSON line in ``--out`` (appended as it finishes; rerunning the
same command resumes, skipping the runs already recorded and re-running failed
ones). See :mod:`numerics.experiments.sweep` for what a record holds.
``--config fast`` (default) is the ``robustlaw reproduce`` grid, ``--config
full`` a larger one; ``--n/--d/--k/--methods/--seeds`` override single axes.
A run that raises is recorded with its traceback; the command then exits with
status 1 and names it.

Also the ``reproduce`` step (``REPRODUCE_ORDER = 50``): a fast default sweep,
then the figure, the LaTeX table and the fitted slopes of
:mod:`numerics.cli.commands.figure`.
"""

from __future__ import annotations

from pathlib import Path

from numerics.cli.commands._common import (
    add_executor_arguments,
    executor_options,
    raise_if_failed,
)

NAME = "sweep"
HELP = "sweep interpolating constructions and trained networks over (n, d, k, method, seed)"
REPRODUCE_ORDER = 50

#: The fast default configuration of ``robustlaw reproduce`` (one panel, two seeds);
#: ``exact_node_limit``: nodes of branch and bound per run (0 = off): a node budget,
#: not a time budget, so that the same seed gives the same records on any machine; small
#: here so that ``robustlaw reproduce`` stays under five minutes.
FAST = {"ns": [40], "ds": [80], "ks": [4, 8, 16, 32, 64],
        "methods": ["C1", "C2", "C3", "C4", "fit", "fit_path"], "seeds": [0, 1],
        "exact_node_limit": 10}
#: The full configuration: two sample sizes, a wider range of k, five seeds, 2000 nodes
#: of branch and bound per run.
FULL = {"ns": [40, 100], "ds": [80], "ks": [4, 8, 16, 32, 64, 128, 256],
        "methods": ["C1", "C2", "C3", "C4", "fit", "fit_path"], "seeds": [0, 1, 2, 3, 4],
        "exact_node_limit": 2000}
CONFIGS = {"fast": FAST, "full": FULL}
#: Library argument names -> the options as typed (for error messages).
ERROR_NAMES = {"ns": "--n", "ds": "--d", "ks": "--k", "methods": "--methods",
               "method": "--methods"}


def register(parser):
    from numerics.experiments.sweep import METHODS

    parser.add_argument("--out", default="results/sweep.jsonl",
                        help="JSON-lines file (default: results/sweep.jsonl)")
    parser.add_argument("--config", choices=sorted(CONFIGS), default="fast",
                        help="grid (fast: n=40, d=80, k=4..64, 2 seeds; full: n=40,100, "
                             "k=4..256, 5 seeds); the options below override its axes")
    parser.add_argument("--n", type=int, nargs="+", default=None, help="sample sizes")
    parser.add_argument("--d", type=int, nargs="+", default=None, help="dimensions")
    parser.add_argument("--k", type=int, nargs="+", default=None,
                        help="neuron counts (for fit, fit_path and C4)")
    parser.add_argument("--methods", nargs="+", default=None, choices=METHODS,
                        help="constructions C1..C5 and/or training (fit, fit_path)")
    parser.add_argument("--seeds", type=int, nargs="+", default=None, help="seeds")
    add_executor_arguments(parser)
    parser.add_argument("--no-resume", action="store_true",
                        help="start the file afresh instead of skipping recorded runs")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument("--light", action="store_true",
                        help="less effort in the Lipschitz lower-bound search")
    parser.add_argument("--no-certificates", action="store_true",
                        help="skip numerics.certify.certify")
    parser.add_argument("--exact-node-limit", type=int, default=None,
                        help="nodes of branch and bound per run for exact Lipschitz "
                             "constants (0 = off; default: the configuration's, fast 10, "
                             "full 2000)")


def grid(args) -> dict:
    """The grid axes: the ``--config`` grid with the axes given on the command line."""
    cfg = dict(CONFIGS[args.config])
    cfg.pop("exact_node_limit", None)
    for key, opt in (("ns", "n"), ("ds", "d"), ("ks", "k"), ("methods", "methods"),
                     ("seeds", "seeds")):
        if getattr(args, opt) is not None:
            cfg[key] = getattr(args, opt)
    return cfg


def exact_budget(args) -> int:
    """Nodes of branch and bound per run: ``--exact-node-limit`` or the configuration's;
    ValueError naming ``--exact-node-limit`` when negative."""
    v = getattr(args, "exact_node_limit", None)
    if v is None:
        return int(CONFIGS[args.config].get("exact_node_limit", 0))
    if v < 0:
        raise ValueError(f"--exact-node-limit: must be an integer >= 0, got {v}")
    return int(v)


def run(args) -> dict:
    from numerics.experiments.sweep import expand_grid, run_sweep

    specs = expand_grid(**grid(args))
    s = run_sweep(specs, args.out, resume=not args.no_resume, progress=not args.quiet,
                  light=args.light, certificates=not args.no_certificates,
                  exact_node_limit=exact_budget(args), **executor_options(args))
    counts: dict[str, int] = {}
    for r in s.records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    closed = exact_count(s.records)
    text = (f"{s.total} runs ({s.skipped} already recorded, {s.ran} run, {s.errors} errors) "
            f"in {s.seconds:.1f}s ({s.runs_per_minute:.1f} runs/min); status: {counts}; "
            f"branch and bound closed {closed[0]} of {closed[1]}; wrote {s.path}")
    if s.failure_text:
        text += "\n" + s.failure_text
    return {"files": [s.path], "total": s.total, "skipped": s.skipped, "ran": s.ran,
            "errors": s.errors, "seconds": s.seconds, "runs_per_minute": s.runs_per_minute,
            "status_counts": counts, "bnb_closed": closed[0], "bnb_run": closed[1],
            "failed": s.failed, "inconsistent": s.inconsistent,
            "exit_code": 1 if s.failed else 0, "text": text}


def exact_count(records) -> tuple[int, int]:
    """(records whose branch and bound closed, records with branch and bound run)."""
    ran = [r for r in records if (r.get("lipschitz") or {}).get("bnb") is not None]
    return sum(r["lipschitz"].get("exact") is not None for r in ran), len(ran)


def reproduce(out_dir: Path, *, seed: int) -> list[Path]:
    """Fast default sweep (``FAST``, seeds ``seed, seed + 1``, 2 workers, fresh
    file), then figure, table and slopes under ``out_dir/sweep``."""
    from numerics.cli.commands.figure import make_outputs
    from numerics.experiments.sweep import expand_grid, run_sweep

    out = Path(out_dir) / "sweep"
    grid_ = {k: v for k, v in FAST.items() if k != "exact_node_limit"}
    specs = expand_grid(**{**grid_, "seeds": [seed, seed + 1]})
    s = run_sweep(specs, out / "sweep.jsonl", workers=2, resume=False, progress=False,
                  light=True, exact_node_limit=FAST.get("exact_node_limit", 0))
    files = [Path(s.path), *make_outputs(s.records, out)]
    raise_if_failed("sweep", s.failure_text)
    return files
