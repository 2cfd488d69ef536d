"""Pieces shared by the experiment commands (``random-features``, ``random-networks``).

Not a command (the name starts with ``_``). Both commands take ``--config
{fast,full}`` and ``--seed`` (the *first* seed: a configuration with s seeds
uses ``seed, seed + 1, ..., seed + s - 1``).
"""

from __future__ import annotations

import dataclasses

__all__ = ["CONFIGS", "add_config_seed_arguments", "check_config_seed", "with_first_seed"]

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
