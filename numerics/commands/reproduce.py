"""``robustlaw reproduce --out DIR``: regenerate every table and figure.

Runs the ``reproduce`` hook of every command module (ordered by
``REPRODUCE_ORDER``), each in its fast default configuration, and writes a
``manifest.json`` listing every file with the seconds each step took.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

NAME = "reproduce"
HELP = "regenerate every table and figure of the package (default configuration)"


def register(parser):
    parser.add_argument("--out", default="results", help="output directory (default: results)")
    parser.add_argument("--seed", type=int, default=0, help="master seed (default 0)")
    parser.add_argument("--only", action="append", default=None,
                        help="run only these steps (repeatable), by command name")


def steps():
    """The command modules that contribute to reproduce, in order."""
    from . import command_modules

    mods = [m for m in command_modules() if hasattr(m, "reproduce")]
    return sorted(mods, key=lambda m: (m.REPRODUCE_ORDER, m.NAME))


def run(args) -> dict:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"steps": [], "files": []}
    lines = []
    for mod in steps():
        if args.only and mod.NAME not in args.only:
            continue
        t0 = time.perf_counter()
        files = [str(f) for f in mod.reproduce(out, seed=args.seed)]
        dt = time.perf_counter() - t0
        manifest["steps"].append({"step": mod.NAME, "seconds": round(dt, 3), "files": files})
        manifest["files"].extend(files)
        lines.append(f"[{dt:7.1f}s] {mod.NAME}: " + ", ".join(files))
        print(lines[-1], file=sys.stderr, flush=True)  # progress; stdout stays JSON-clean
    path = out / "manifest.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, indent=2))
    tmp.replace(path)
    manifest["files"].append(str(path))
    total = sum(step["seconds"] for step in manifest["steps"])
    manifest["text"] = (f"wrote {len(manifest['files'])} files under {out} in {total:.1f} s "
                        f"(list: {path})")
    return manifest
