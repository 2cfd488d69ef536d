"""Per-instance certificates of the theory's bounds (R1, R2, R3, the R4 energy
certificate, S4) applied to one (network, data) pair.

Each certificate evaluates a registered :class:`theory.bounds.Bound` on an instance,
checks its hypotheses (a bound whose hypotheses fail is reported blocked, with the
reason) and returns its witnesses. One module per bound family, sharing one
prologue: :mod:`~numerics.certify.prologue` (the instance, hypothesis checks,
certificate type, blocked results, the registry and :func:`certify`),
:mod:`~numerics.certify.projection` (R1 and its sphere versions),
:mod:`~numerics.certify.spectral` (R2 and Γ), :mod:`~numerics.certify.quadratic` (R3),
:mod:`~numerics.certify.energy` (the R4 energy certificate and its zonal kernels),
:mod:`~numerics.certify.perturbation` (S4). May import :mod:`theory`,
:mod:`numerics.models`, :mod:`numerics.lipschitz` and the root plumbing; submodules
never import this face.
"""

from numerics.certify.energy import (  # noqa: F401
    KINDS,
    RCOND_MIN,
    SPHERE_TOL,
    EnergyCertificate,
    energy_certificate,
    gegenbauer_numeric,
    kernel_coefficients,
    kernel_matrix,
    space_weights,
    sphere_targets,
)
from numerics.certify.perturbation import (  # noqa: F401  # noqa: F401
    CertifiedMargins,
    MarginPerturbationResult,
    as_class_labels,
    bound_arguments,
    certified_margins,
    depth_one_attaining_perturbation,
    even_spread_perturbation,
    margin_change_bound,
    nonnegative_tight_instance,
    pairwise_bound_matrix,
    project_rows_l1,
    worst_margin_perturbation,
)
from numerics.certify.perturbation_generalization import (  # noqa: F401
    a0_exact,
    a0_massart,
    generalization_bound,
    pair_bound_factors,
    rademacher_pair_bound,
    ramp,
)
from numerics.certify.perturbation_search import (  # noqa: F401
    AttackResult,
    WorstMargins,
    batched_pair_ascent,
    dataset_attack,
    rademacher_lower_estimate,
    sign_vectors,
    worst_case_margins,
)
from numerics.certify.perturbation_training import (  # noqa: F401
    TrainResult,
    perturbation_loss,
    train_classifier,
)
from numerics.certify.projection import r1_chain, r1_sphere, r1_sphere_aggregate  # noqa: F401
from numerics.certify.prologue import (  # noqa: F401
    CERTIFIERS,
    FIT_TOL,
    Certificate,
    HypothesisCheck,
    Instance,
    certifier,
    certify,
    projection_basis,
    register_certifier,
)
from numerics.certify.quadratic import r3_quantities  # noqa: F401
from numerics.certify.spectral import gamma_exact, gamma_lower, r2_monte_carlo  # noqa: F401

__all__ = [
    "AttackResult",
    "CERTIFIERS",
    "Certificate",
    "CertifiedMargins",
    "EnergyCertificate",
    "FIT_TOL",
    "HypothesisCheck",
    "Instance",
    "KINDS",
    "MarginPerturbationResult",
    "RCOND_MIN",
    "SPHERE_TOL",
    "TrainResult",
    "WorstMargins",
    "a0_exact",
    "a0_massart",
    "as_class_labels",
    "batched_pair_ascent",
    "bound_arguments",
    "certified_margins",
    "certifier",
    "certify",
    "dataset_attack",
    "depth_one_attaining_perturbation",
    "energy_certificate",
    "even_spread_perturbation",
    "gamma_exact",
    "gamma_lower",
    "gegenbauer_numeric",
    "generalization_bound",
    "kernel_coefficients",
    "kernel_matrix",
    "margin_change_bound",
    "nonnegative_tight_instance",
    "pair_bound_factors",
    "pairwise_bound_matrix",
    "perturbation_loss",
    "project_rows_l1",
    "projection_basis",
    "r1_chain",
    "r1_sphere",
    "r1_sphere_aggregate",
    "r2_monte_carlo",
    "r3_quantities",
    "rademacher_lower_estimate",
    "rademacher_pair_bound",
    "ramp",
    "register_certifier",
    "sign_vectors",
    "space_weights",
    "sphere_targets",
    "train_classifier",
    "worst_case_margins",
    "worst_margin_perturbation",
]
