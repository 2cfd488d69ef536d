"""``robustlaw reproduce --out DIR``: regenerate every table and figure.

Runs the ``reproduce`` hook of every command module (ordered by
``REPRODUCE_ORDER``), each in its fast default configuration, and writes a
``manifest.json`` listing every file with the seconds each step took. A step
that fails is recorded in the manifest (``failed``, with its traceback) and the
others still run; the command then exits with status 1 naming it.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

NAME = "reproduce"
HELP = "regenerate every table and figure of the package (default configuration)"


def register(parser):
    parser.add_argument("--out", default="results", help="output directory (default: results)")
    parser.add_argument("--seed", type=int, default=0, help="master seed (default 0)")
    names = [m.NAME for m in steps()]
    parser.add_argument("--only", action="append", default=None, choices=names,
                        metavar="STEP",
                        help="run only this step (repeatable); one of: " + ", ".join(names))


def steps():
    """The command modules that contribute to reproduce, in order."""
    from numerics.cli.commands import command_modules

    mods = [m for m in command_modules() if hasattr(m, "reproduce")]
    return sorted(mods, key=lambda m: (m.REPRODUCE_ORDER, m.NAME))


def _run_step(mod, out: Path, seed: int) -> dict:
    """Run one step; a failure is recorded (with its traceback), not raised."""
    t0 = time.perf_counter()
    try:
        files, error = [str(f) for f in mod.reproduce(out, seed=seed)], None
    except Exception as exc:  # recorded; the other steps still run
        files, error = [], {"error": f"{type(exc).__name__}: {exc}",
                            "traceback": traceback.format_exc(limit=8)}
    step = {"step": mod.NAME, "seconds": round(time.perf_counter() - t0, 3), "files": files}
    if error is not None:
        step.update(failed=True, **error)
    return step


def run(args) -> dict:
    known = [m.NAME for m in steps()]
    unknown = [s for s in args.only or () if s not in known]
    if unknown:
        raise ValueError(f"--only: unknown step(s) {', '.join(unknown)}; "
                         f"choose from {', '.join(known)}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"steps": [], "files": []}
    lines = []
    for mod in steps():
        if args.only and mod.NAME not in args.only:
            continue
        step = _run_step(mod, out, args.seed)
        manifest["steps"].append(step)
        manifest["files"].extend(step["files"])
        lines.append(f"[{step['seconds']:7.1f}s] {mod.NAME}: "
                     + (f"FAILED: {step['error']}" if step.get("failed")
                        else ", ".join(step["files"])))
        print(lines[-1], file=sys.stderr, flush=True)  # progress; stdout stays JSON-clean
    failed = [s["step"] for s in manifest["steps"] if s.get("failed")]
    if failed:
        manifest["exit_code"] = 1
        manifest["failed"] = failed
    tex = _all_tables(out, manifest["files"])
    if tex is not None:
        manifest["files"].extend(tex["files"])
        manifest["latex"] = tex
        if tex.get("compiled") is False:
            manifest["exit_code"] = 1
            lines.append("all_tables.tex did not compile: see latex.log_tail in the manifest")
    path = out / "manifest.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2))
    tmp.replace(path)
    manifest["files"].append(str(path))
    total = sum(step["seconds"] for step in manifest["steps"])
    manifest["text"] = "\n".join(lines[len(manifest["steps"]):] + [
        f"wrote {len(manifest['files'])} files under {out} in {total:.1f} s (list: {path})"]
        + ([f"FAILED steps: {', '.join(failed)} (tracebacks in {path})"] if failed else []))
    return manifest


def _all_tables(out: Path, files: list[str]) -> dict | None:
    """Write ``all_tables.tex``, a standalone document inputting every table
    fragment the steps wrote, and compile it with pdflatex when one is on the
    PATH. Returns what was written and whether it compiled (None: no tables)."""
    import shutil
    import subprocess

    from numerics.records import write_text_atomic
    from theory.latex import standalone_document

    fragments = []
    for f in files:
        p = Path(f)
        if p.suffix == ".tex" and "\\documentclass" not in p.read_text():
            fragments.append(p.resolve().relative_to(out.resolve()).as_posix())
    if not fragments:
        return None
    doc = write_text_atomic(out / "all_tables.tex",
                            standalone_document(fragments, title="robustlaw: all tables"))
    result = {"files": [str(doc)], "compiled": None}
    if shutil.which("pdflatex") is None:
        return result
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                           doc.name], cwd=out, capture_output=True, timeout=600)
    result["compiled"] = proc.returncode == 0
    if proc.returncode == 0:
        result["files"].append(str(out / "all_tables.pdf"))
    else:
        result["log_tail"] = proc.stdout.decode("latin-1")[-2000:]
    return result
