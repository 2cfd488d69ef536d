"""Pieces shared by the experiment commands (``sweep``, ``tradeoff``, ``random-features``,
``random-networks``, ``weight-perturbation``, ``memorization``).

Not a command (the name starts with ``_``). Both commands take ``--config
{fast,full}`` and ``--seed`` (the *first* seed: a configuration with s seeds
uses ``seed, seed + 1, ..., seed + s - 1``).
"""

from __future__ import annotations

import dataclasses

__all__ = ["CONFIGS", "add_config_seed_arguments", "add_executor_arguments",
           "check_config_seed", "executor_options", "good_records", "grid_outcome",
           "raise_if_failed",
           "with_first_seed"]

#: Grid sizes of the experiment commands.
CONFIGS = ("fast", "full")


def add_config_seed_arguments(parser, *, config_help: str) -> None:
    """Add ``--config {fast,full}`` (default fast) and ``--seed`` (int, default 0)."""
    parser.add_argument("--config", choices=CONFIGS, default="fast", help=config_help)
    parser.add_argument("--seed", type=int, default=0, help="first seed (default 0)")


def check_config_seed(config: str, seed: int) -> None:
    """ValueError naming ``config`` or ``seed`` unless ``config`` is fast/full and
    ``seed`` a non-negative int.

    >>> check_config_seed("fast", -1)
    Traceback (most recent call last):
    ...
    ValueError: seed: must be a non-negative int, got -1
    """
    if config not in CONFIGS:
        raise ValueError(f"config: expected fast or full, got {config!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: must be a non-negative int, got {seed!r}")


def with_first_seed(cfg, seed: int):
    """A copy of the dataclass ``cfg`` whose ``seeds`` are ``seed, seed + 1, ...``
    (as many as before).

    >>> from numerics.experiments.random_features import RFConfig
    >>> with_first_seed(RFConfig(seeds=(0, 1, 2)), 5).seeds
    (5, 6, 7)
    """
    return dataclasses.replace(cfg, seeds=tuple(seed + s for s in range(len(cfg.seeds))))


def add_executor_arguments(parser) -> None:
    """``--workers N`` (local processes, default 1: in this process), ``--scheduler
    tcp://HOST:PORT`` (a running Dask cluster) and ``--dask-local N`` (a local Dask
    cluster); the last two need ``pip install -e '.[dask]'``."""
    g = parser.add_argument_group("executor (numerics.experiments.runner)")
    g.add_argument("--workers", type=int, default=1,
                   help="local worker processes (default 1: in this process)")
    g.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="run on a Dask cluster (pip install -e '.[dask]')")
    g.add_argument("--dask-local", type=int, default=None, metavar="N",
                   help="start a local Dask cluster with N single-threaded workers")


def executor_options(args) -> dict:
    """The keyword arguments of :func:`numerics.experiments.runner.run_grid` chosen
    on the command line.

    >>> import argparse
    >>> executor_options(argparse.Namespace(workers=2, scheduler=None, dask_local=None))
    {'workers': 2, 'scheduler': None, 'dask_local': None}
    """
    workers = getattr(args, "workers", 1)   # namespaces built without the options: defaults
    scheduler = getattr(args, "scheduler", None)
    dask_local = getattr(args, "dask_local", None)
    if scheduler is not None and dask_local is not None:
        raise ValueError("--scheduler: give --scheduler or --dask-local, not both")
    return {"workers": workers, "scheduler": scheduler, "dask_local": dask_local}


def grid_outcome(results) -> dict:
    """``{"failed", "inconsistent", "exit_code", "failure_text"}`` of one or more
    :class:`numerics.experiments.runner.GridResult` (or anything with ``errors``,
    ``inconsistent`` and ``path``): exit code 1 naming every run that raised or
    failed its consistency check, else 0.

    >>> from types import SimpleNamespace as NS
    >>> grid_outcome([NS(errors=["a"], inconsistent=[], path="g.jsonl")])["exit_code"]
    1
    """
    from numerics.experiments.runner import failure_text

    results = list(results) if isinstance(results, (list, tuple)) else [results]
    errors = [k for r in results for k in r.errors]
    incons = [k for r in results for k in r.inconsistent]
    where = ", ".join(sorted({str(r.path) for r in results if r.errors or r.inconsistent}))
    text = failure_text(errors, incons, where)
    return {"failed": errors + incons, "inconsistent": incons,
            "exit_code": 1 if text else 0, "failure_text": text}


def raise_if_failed(step: str, text: str) -> None:
    """For ``reproduce`` hooks: RuntimeError naming the failed runs (after every
    record and output was written), nothing when ``text`` is empty.

    >>> raise_if_failed("sweep", "")
    """
    if text:
        raise RuntimeError(f"{step}: {text}")


def good_records(records) -> list[dict]:
    """The records of runs that finished and passed their check (for figures and
    tables; the others are named by :func:`grid_outcome`).

    >>> good_records([{"key": "a"}, {"key": "b", "status": "error"}])
    [{'key': 'a'}]
    """
    return [r for r in records if r.get("status") not in ("error", "inconsistent")]
