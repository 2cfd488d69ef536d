"""The ``robustlaw`` command line.

Every subcommand lives in a module of :mod:`numerics.cli.commands` and accepts
``--json`` (machine-readable output that lists every file written).

>>> parser = build_parser()
>>> sorted(parser._subparsers._group_actions[0].choices)[:2]  # doctest: +SKIP
['certify', 'lipschitz']
"""

from __future__ import annotations

import argparse
import json
import os
import sys

# One BLAS thread per process unless the user says otherwise: experiments
# parallelize over processes, and threaded BLAS on few cores thrashes.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from numerics.cli.commands import command_modules  # noqa: E402

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subparser per command module."""
    parser = argparse.ArgumentParser(
        prog="robustlaw",
        description="Law of robustness for two-layer networks: bounds, certificates, "
                    "experiments, tables and figures.")
    sub = parser.add_subparsers(dest="command", required=True)
    for mod in command_modules():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.register(p)
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        p.set_defaults(_run=mod.run)
    return parser


def _default(o):
    import numpy as np

    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    return str(o)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status.

    Errors in the input (``ValueError``) print ``robustlaw: error: ...`` and
    return 2.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args._run(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"robustlaw: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        payload = {k: v for k, v in result.items() if k != "text"}
        print(json.dumps(payload, indent=2, default=_default, allow_nan=False))
    else:
        print(result.get("text") or json.dumps(result, indent=2, default=_default))
    return int(result.get("exit_code", 0))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
