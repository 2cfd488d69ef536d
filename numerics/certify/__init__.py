"""Per-instance certificates of the theory's bounds (R1, R2, R3, the R4 energy
certificate, S4) applied to one (network, data) pair.

Each certificate evaluates a registered :class:`theory.bounds.Bound` on an instance,
checks its hypotheses (a bound whose hypotheses fail is reported blocked, with the
reason) and returns its witnesses. May import :mod:`theory`, :mod:`numerics.models`,
:mod:`numerics.lipschitz` and the root plumbing.
"""

from numerics.certify.certificates import (  # noqa: F401
    CERTIFIERS,
    FIT_TOL,
    Certificate,
    HypothesisCheck,
    Instance,
    certify,
    gamma_exact,
    gamma_lower,
    projection_basis,
    r1_chain,
    r1_sphere,
    r1_sphere_aggregate,
    r2_monte_carlo,
    r3_quantities,
    register_certifier,
)
from numerics.certify.perturbation import (  # noqa: F401
    MarginPerturbationResult,
    bound_arguments,
    depth_one_attaining_perturbation,
    even_spread_perturbation,
    margin_change_bound,
    nonnegative_tight_instance,
    project_rows_l1,
    worst_margin_perturbation,
)

__all__ = [
    "CERTIFIERS",
    "Certificate",
    "FIT_TOL",
    "HypothesisCheck",
    "Instance",
    "MarginPerturbationResult",
    "bound_arguments",
    "certify",
    "depth_one_attaining_perturbation",
    "even_spread_perturbation",
    "gamma_exact",
    "gamma_lower",
    "margin_change_bound",
    "nonnegative_tight_instance",
    "project_rows_l1",
    "projection_basis",
    "r1_chain",
    "r1_sphere",
    "r1_sphere_aggregate",
    "r2_monte_carlo",
    "r3_quantities",
    "register_certifier",
    "worst_margin_perturbation",
]
