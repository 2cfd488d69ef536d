"""The one mapping from method keys to the names a reader sees.

Records, JSON and the command line keep the short keys (``fit_path``, ``C4``,
``lipsdp``); every table cell and figure legend that names a method goes through
:func:`display_name`, so a paper shows one name per method everywhere.

Keys: the interpolants of a sweep (:data:`numerics.experiments.sweep.METHODS`: the
constructions C1--C5 and the trained networks), the minimum-Lipschitz search, and the
certified upper and witnessed lower bounds of :mod:`numerics.lipschitz` and
:mod:`numerics.construct.minlip_certificate`.

Examples
--------
>>> display_name("fit_path")
'trained, path-norm penalized'
>>> display_name("lipsdp")
'LipSDP'
>>> display_name("R1.pair")      # a bound's registry key is already its name
'R1.pair'
"""

from __future__ import annotations

__all__ = ["DISPLAY_NAMES", "display_name"]

#: Method key -> human name.
DISPLAY_NAMES = {
    # interpolants (sweep methods, search starts)
    "C1": "C1 one neuron per point",
    "C2": "C2 cap ramps",
    "C3": "C3 Baum tents",
    "C4": "C4 grouped min-norm",
    "C5": "C5 polynomial (Waring)",
    "fit": "trained interpolant",
    "fit_path": "trained, path-norm penalized",
    "minlip": "minimum-Lipschitz search",
    # certified upper bounds
    "lipsdp": "LipSDP",
    "centered": "centred bound",
    "spectral": "spectral norm",
    "path_norm": "path norm",
    "product_norm": "product of norms",
    "operator_norm": "operator norm",
    "l2_conversion": r"$\ell_2$ bound converted",
    "box": "box relaxation",
    # witnessed lower bounds
    "pair": "pair quotient",
    "pair-ascent": "pair-quotient ascent",
    "gradient": "gradient norm",
}


def display_name(key: str) -> str:
    """The human name of a method key; a key without one (a bound's registry key such
    as ``R1.pair``, a status) is returned unchanged.

    >>> display_name("C4")
    'C4 grouped min-norm'
    """
    if not isinstance(key, str):
        raise ValueError(f"key: expected a string, got {type(key).__name__}")
    return DISPLAY_NAMES.get(key, key)
