"""``robustlaw figure``: the size--robustness figure, table and slopes of a sweep.

Reads a sweep file of ``robustlaw sweep`` and writes ``tradeoff.png`` /
``tradeoff.pdf`` (Lipschitz constant on the unit ball against k, log-log, with
:math:`\\sqrt{n/k}`, the proven lower bounds and fitted slopes with 95%
intervals), ``sweep_table.tex`` (booktabs) and ``slopes.json``.
"""

from __future__ import annotations

from pathlib import Path

from numerics.records import write_json_atomic, write_text_atomic

NAME = "figure"
HELP = "draw Lipschitz vs k (log-log) with sqrt(n/k), proven bounds and slopes from a sweep"


def register(parser):
    parser.add_argument("--sweep", default="results/sweep.jsonl", help="sweep file (JSON lines)")
    parser.add_argument("--out", default="results", help="output directory (default: results)")
    parser.add_argument("--value", choices=("lower", "upper"), default="lower",
                        help="plot the certified lower bound (default) or upper bound")


def make_outputs(records, out_dir, *, value: str = "lower") -> list[Path]:
    """Figure (png, pdf), LaTeX table and ``slopes.json`` for ``records`` under
    ``out_dir``; returns the paths."""
    from numerics.experiments.sweep_report import fit_slopes, plot_tradeoff, sweep_table

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = plot_tradeoff(records, out / "tradeoff", value=value)
    files.append(write_text_atomic(out / "sweep_table.tex", sweep_table(records)))
    ran = [r for r in records if (r.get("lipschitz") or {}).get("bnb") is not None]
    slopes = {"value": value, "slopes": fit_slopes(records, value=value),
              "slopes_upper": fit_slopes(records, value="upper"),
              "exact_points": sum((r.get("lipschitz") or {}).get("exact") is not None
                                  for r in records),
              "bnb_closed": sum(r["lipschitz"].get("exact") is not None for r in ran),
              "bnb_run": len(ran)}
    files.append(write_json_atomic(out / "slopes.json", slopes, indent=2))
    return files


def run(args) -> dict:
    from numerics.experiments.sweep import load_records
    from numerics.experiments.sweep_report import fit_slopes

    records = load_records(args.sweep)
    files = make_outputs(records, args.out, value=args.value)
    slopes = fit_slopes(records, value=args.value)
    lines = [f"{s['method']:>8} n={s['n']} d={s['d']}: slope {s['slope']:+.3f}"
             + ("" if s["ci_low"] is None else f" [{s['ci_low']:+.3f}, {s['ci_high']:+.3f}]")
             + f" over k in {s['ks']} ({s['exact_points']} of {s['points']} points exact)"
             for s in slopes]
    lines.append("wrote " + ", ".join(str(f) for f in files))
    return {"files": [str(f) for f in files], "slopes": slopes, "records": len(records),
            "text": "\n".join(lines)}
