r"""Derivations as objects: every proved statement as an ordered list of checked steps.

:mod:`~theory.derivations.core` holds :class:`Derivation`, :class:`Identity` (a sympy
identity or reduction, checked by sympy) and :class:`Inequality` (a named inequality,
its instantiation checked on random instances), the registry and the LaTeX appendix.
The statements: R1 and its sphere version (:mod:`~theory.derivations.projection`), R2
with :math:`C_\delta` and :math:`C'_\delta` (:mod:`~theory.derivations.spectral`), R3, R4
and its ball version (:mod:`~theory.derivations.polynomial`), the LipSDP reduction and
S4 (:mod:`~theory.derivations.lipsdp_s4`), the He normalization of S1
(:mod:`~theory.derivations.initialization`). Each cites its section of
``docs/mathematics.md`` by ``anchor``.

Examples
--------
>>> [d.key for d in all_derivations()][:3]
['R1', 'R1.sphere', 'R2']
"""

from theory.derivations.core import (
    Derivation,
    Identity,
    Inequality,
    all_derivations,
    get_derivation,
    latex_appendix,
    register_derivation,
)

# isort: off
from theory.derivations import projection as _projection  # noqa: F401
from theory.derivations import spectral as _spectral  # noqa: F401
from theory.derivations import polynomial as _polynomial  # noqa: F401
from theory.derivations import lipsdp_s4 as _lipsdp_s4  # noqa: F401
from theory.derivations import initialization as _initialization  # noqa: F401
# isort: on

__all__ = ["Derivation", "Identity", "Inequality", "all_derivations", "get_derivation",
           "latex_appendix", "register_derivation"]
