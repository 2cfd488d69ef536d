"""The ``robustlaw`` command line.

Every subcommand lives in a module of :mod:`numerics.cli.commands` and accepts
``--json`` (machine-readable output that lists every file written).

Conventions kept here, once for every command:

- bad input (``ValueError``, a missing or unreadable file) prints one line
  ``robustlaw: error: ...`` naming the option as the user typed it (a message
  ``"ds: ..."`` from the library becomes ``"--d: ..."`` through the command's
  ``ERROR_NAMES`` and its argparse destinations) and exits with status 2;
- a closed pipe (``robustlaw ... | head``) ends quietly;
- a command whose result has ``exit_code`` (non-zero when one of its runs failed)
  exits with it, after everything that succeeded was written.

Examples
--------
>>> main(["--version"])  # doctest: +ELLIPSIS
robustlaw ...
0
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from importlib import metadata

# One BLAS thread per process unless the user says otherwise: experiments
# parallelize over processes, and threaded BLAS on few cores thrashes.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from numerics.cli.commands import command_modules  # noqa: E402

__all__ = ["build_parser", "main", "version"]


def version() -> str:
    """The installed distribution's version (``robustlaw.__version__``)."""
    try:
        return metadata.version("robustlaw")
    except metadata.PackageNotFoundError:  # pragma: no cover - source tree without install
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subparser per command module."""
    parser = argparse.ArgumentParser(
        prog="robustlaw",
        description="Law of robustness for two-layer networks: bounds, certificates, "
                    "experiments, tables and figures.")
    parser.add_argument("--version", action="version", version=f"robustlaw {version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for mod in command_modules():
        p = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP)
        mod.register(p)
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        p.set_defaults(_run=mod.run, _parser=p, _names=getattr(mod, "ERROR_NAMES", {}))
    return parser


def _option_names(parser: argparse.ArgumentParser, extra: dict) -> dict[str, str]:
    """Argument name as the library spells it -> as the user types it."""
    names = {}
    for action in parser._actions:
        if action.option_strings:
            typed = max(action.option_strings, key=len)
            names[action.dest] = typed
            names[typed.lstrip("-").replace("-", "_")] = typed
        elif action.dest not in ("help",):
            names[action.dest] = action.metavar or action.dest
    names.update(extra)
    return names


def as_typed(message: str, names: dict[str, str]) -> str:
    """``message`` with a leading ``name:`` replaced by the option as typed.

    >>> as_typed("ds: needs at least one value", {"ds": "--d"})
    '--d: needs at least one value'
    >>> as_typed("no name here", {"ds": "--d"})
    'no name here'
    """
    m = re.match(r"([A-Za-z_][\w]*)(\[\d+\])?:", message)
    if m and m.group(1) in names:
        return names[m.group(1)] + message[len(m.group(1)):]
    return message


def _default(o):
    import numpy as np

    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    return str(o)


def _quiet_stdout() -> None:
    """After a closed pipe: point stdout at /dev/null so that the interpreter's
    final flush does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout without a descriptor
        pass


def _main(argv) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args._run(args)
    except (ValueError, OSError) as exc:
        text = str(exc) if not isinstance(exc, OSError) or exc.filename is None else \
            f"{exc.strerror or exc}: {exc.filename}"
        text = " ".join(as_typed(text, _option_names(args._parser, args._names)).split())
        print(f"robustlaw: error: {text}", file=sys.stderr)
        return 2
    if args.json:
        payload = {k: v for k, v in result.items() if k != "text"}
        print(json.dumps(payload, indent=2, default=_default, allow_nan=False))
    else:
        print(result.get("text") or json.dumps(result, indent=2, default=_default))
    sys.stdout.flush()
    return int(result.get("exit_code", 0))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status.

    Errors in the input (``ValueError``, unreadable files) print one line
    ``robustlaw: error: ...`` and return 2; a closed output pipe returns 0
    quietly; otherwise the command's ``exit_code`` (0 unless a run failed).
    """
    try:
        return _main(argv)
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_stdout()
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    except BrokenPipeError:
        _quiet_stdout()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
