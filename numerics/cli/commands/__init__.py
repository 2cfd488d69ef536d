"""Subcommands of the ``robustlaw`` CLI, one module each.

A command module defines

- ``NAME`` (str) and ``HELP`` (one line);
- ``register(parser)``: add its arguments to an :class:`argparse.ArgumentParser`;
- ``run(args) -> dict``: do the work and return a JSON-serializable result
  (every file written is listed under the key ``"files"``); the CLI prints it
  as JSON with ``--json``, otherwise the ``"text"`` entry (or the JSON);

and, if it contributes to ``robustlaw reproduce``,

- ``REPRODUCE_ORDER`` (int, lower runs first) and
  ``reproduce(out_dir: pathlib.Path, *, seed: int) -> list[pathlib.Path]``
  that writes its tables/figures under ``out_dir`` in the fast default
  configuration and returns the files it wrote.

Modules are discovered by :func:`command_modules`; adding a file here adds a
subcommand.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

__all__ = ["command_modules"]


def command_modules() -> list[ModuleType]:
    """All command modules in this package, sorted by ``NAME``."""
    mods = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        mods.append(importlib.import_module(f"{__name__}.{info.name}"))
    return sorted(mods, key=lambda m: m.NAME)
