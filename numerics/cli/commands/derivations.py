"""``robustlaw derivations --out DIR``: every checked derivation as a LaTeX appendix.

Writes ``derivations.tex`` (a standalone ``article``: one subsection per statement, an
``align*`` of its steps, each step's justification and, for named inequalities, the
instantiation that the test suite checks on random instances) and compiles it with
pdflatex when one is on the PATH. Every derivation is re-checked first (sympy for the
identities, random instances for the inequalities); a failing step is an error.

Also the ``reproduce`` step (``REPRODUCE_ORDER = 22``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from numerics.records import write_text_atomic

NAME = "derivations"
HELP = "write the checked derivations (R1-R4, LipSDP, S4) as a compiled LaTeX appendix"
REPRODUCE_ORDER = 22


def register(parser):
    parser.add_argument("--out", default="results/derivations",
                        help="output directory (default: results/derivations)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the random instances the inequalities are checked on")


def write_derivations(out_dir: str | Path, *, seed: int = 0) -> dict:
    """Check every derivation, write ``derivations.tex`` and compile it when possible.

    Returns ``{"files": [...], "compiled": bool or None}``; raises ValueError naming the
    derivation and step when a check fails, or when pdflatex fails.
    """
    from theory.derivations import all_derivations, latex_appendix

    ders = all_derivations()
    for der in ders:
        bad = der.check(rng=seed)
        if bad:
            raise ValueError(f"derivations: {der.key} step {bad[0][0] + 1} fails: {bad[0][1]}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tex = write_text_atomic(out / "derivations.tex", latex_appendix(ders))
    result = {"files": [str(tex)], "compiled": None}
    if shutil.which("pdflatex") is None:
        return result
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                           tex.name], cwd=out, capture_output=True, timeout=300)
    if proc.returncode != 0:
        raise ValueError(f"derivations: pdflatex failed on {tex} (see {out / 'derivations.log'})")
    result["compiled"] = True
    result["files"].append(str(out / "derivations.pdf"))
    return result


def run(args) -> dict:
    result = write_derivations(args.out, seed=args.seed)
    result["text"] = "wrote " + ", ".join(result["files"])
    return result


def reproduce(out_dir: Path, *, seed: int) -> list[Path]:
    """The derivations appendix under ``out_dir/derivations`` (compiled when possible)."""
    return [Path(f) for f in write_derivations(Path(out_dir) / "derivations",
                                               seed=seed)["files"]]
