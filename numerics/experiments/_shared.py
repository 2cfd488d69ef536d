"""Helpers shared by the experiments' record files: seeded independent streams,
configuration tags in record keys, JSON-safe numbers and configs.

>>> _tag({"a": 1}) == _tag({"a": 1}), _num(float("inf"))
(True, None)
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict

import numpy as np

__all__ = ["config_dict"]


def _rng(*keys: int) -> np.random.Generator:
    """A generator seeded by a tuple of non-negative ints (independent streams)."""
    return np.random.default_rng([int(k) for k in keys])


def _tag(obj) -> str:
    """Short hash of a JSON-able configuration (part of every record key, so a
    resumed run never reuses records computed with other settings)."""
    blob = json.dumps(obj, sort_keys=True, default=str).encode()
    return hashlib.sha1(blob).hexdigest()[:8]


def _num(v: float) -> float | None:
    return None if v is None or not np.isfinite(v) else float(v)


def config_dict(cfg) -> dict:
    """A JSON-friendly dict of a config (inf as the string 'inf')."""
    d = asdict(cfg)
    for k, v in d.items():
        if isinstance(v, tuple):
            d[k] = [("inf" if x == math.inf else x) for x in v]
    return d
