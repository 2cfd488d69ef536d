"""``robustlaw tables --out DIR``: every registered bound as booktabs LaTeX tables,
plus a standalone wrapper document ``tables.tex`` that ``\\input``'s them.

Bounds registered by any module in :data:`theory.bounds.THEORY_MODULES` appear
automatically.
"""

from __future__ import annotations

from pathlib import Path

from numerics.records import write_text_atomic

NAME = "tables"
HELP = "write the bounds as LaTeX (booktabs) tables and a standalone tables.tex"
REPRODUCE_ORDER = 20


def register(parser):
    parser.add_argument("--out", default="tables", help="output directory (default: tables)")


def write_tables(out_dir: str | Path) -> list[Path]:
    """Write ``bounds.tex``, ``regimes.tex`` and ``tables.tex`` under ``out_dir``;
    return the paths."""
    from theory.bounds import all_bounds
    from theory.latex import bounds_table, regimes_table, standalone_document

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    bounds = all_bounds()
    files = [write_text_atomic(out / "bounds.tex", bounds_table(bounds)),
             write_text_atomic(out / "regimes.tex", regimes_table(bounds))]
    files.append(write_text_atomic(out / "tables.tex", standalone_document(
        [f.name for f in files], title="robustlaw: bounds and regimes")))
    return files


def run(args) -> dict:
    files = write_tables(args.out)
    return {"files": [str(f) for f in files],
            "text": "wrote " + ", ".join(str(f) for f in files)}


def reproduce(out_dir: Path, *, seed: int) -> list[Path]:
    """Tables of every registered bound under ``out_dir/tables`` (deterministic;
    ``seed`` unused)."""
    return write_tables(Path(out_dir) / "tables")
