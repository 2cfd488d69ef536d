"""What every explicit construction returns: the network, its exactness condition,
the measured fit error and the certified Lipschitz upper bounds, each with the domain
it holds on (docs/mathematics.md#notation), plus the helpers the constructions share.

Examples
--------
>>> from numerics.domain import Domain
>>> c = CertifiedUpper(Domain.rd(), 2.0, "Lip <= 2")
>>> ConstructionResult("C1", None, True, None, "none", 0.0, (c,)).upper_for(Domain.ball(1.0))
2.0
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from numerics.domain import Domain
from numerics.models import TwoLayerNet

__all__ = ["FIT_TOL", "SPHERE_TOL", "CertifiedUpper", "ConstructionResult"]


#: Tolerance of "interpolates exactly": :math:`\max_i |f(x_i) - y_i| \le` FIT_TOL.
FIT_TOL = 1e-9


#: Tolerance on :math:`|\|x_i\|^2 - 1|` for "data on the unit sphere".
SPHERE_TOL = 1e-10


@dataclass(frozen=True)
class CertifiedUpper:
    """A proved upper bound on the Lipschitz constant on ``domain``.

    ``value`` is None when a hypothesis of the bound fails; ``reason`` then
    says which. ``statement`` is the inequality that was evaluated.
    """

    domain: Domain
    value: float | None
    statement: str
    reason: str | None = None

    def to_dict(self) -> dict:
        return {"domain": self.domain.label, "value": self.value,
                "statement": self.statement, "reason": self.reason}


@dataclass(frozen=True)
class ConstructionResult:
    r"""What a construction returns.

    Attributes
    ----------
    name : str
        ``'C1'`` ... ``'C5'``.
    net : TwoLayerNet or None
        The network (None only for C5 when no interpolant exists).
    condition_holds : bool
        Whether the exactness condition (a sufficient condition for
        :math:`f(x_i) = y_i` for all i) holds on the data.
    reason : str or None
        Why it fails (None when it holds).
    condition : str
        The condition, in words.
    fit_error : float
        Measured :math:`\max_i |f(x_i) - y_i|`.
    bounds : tuple of CertifiedUpper
        The construction's certified Lipschitz upper bounds (possibly with
        ``value=None`` and a reason).
    params : dict
        Parameters actually used (tau, s, group sizes, widths, ...).
    """

    name: str
    net: TwoLayerNet | None
    condition_holds: bool
    reason: str | None
    condition: str
    fit_error: float
    bounds: tuple[CertifiedUpper, ...] = ()
    params: dict = field(default_factory=dict)

    @property
    def interpolates(self) -> bool:
        """``fit_error <= FIT_TOL``."""
        return bool(self.fit_error <= FIT_TOL)

    def upper_for(self, domain: Domain) -> float | None:
        r"""The best certified upper bound valid on ``domain`` (or None).

        Uses :math:`\mathrm{Lip}_{S_R} \le \mathrm{Lip}_{B_R} \le
        \mathrm{Lip}_{\mathbb R^d}` and :math:`B_r \subset B_R` for r <= R: a bound
        proved on a larger domain holds on a smaller one.
        """
        vals = [c.value for c in self.bounds if c.value is not None
                and _contains(c.domain, domain)]
        return min(vals) if vals else None

    def to_dict(self) -> dict:
        """JSON-friendly summary (no weights)."""
        return {"name": self.name, "k": None if self.net is None else self.net.k,
                "activation": None if self.net is None else self.net.spec,
                "condition_holds": self.condition_holds, "reason": self.reason,
                "condition": self.condition, "fit_error": self.fit_error,
                "interpolates": self.interpolates,
                "bounds": [c.to_dict() for c in self.bounds], "params": self.params}


def _contains(big: Domain, small: Domain) -> bool:
    """Whether a Lipschitz bound on ``big`` is a bound on ``small``."""
    if big.kind == "rd":
        return True
    if small.kind == "rd":
        return False
    if big.kind == "ball":
        return small.radius <= big.radius
    return small.kind == "sphere" and small.radius == big.radius


def _finish(name, net, X, y, ok, reason, condition, bounds, params) -> ConstructionResult:
    err = float("inf") if net is None else float(np.max(np.abs(net(X) - y)))
    return ConstructionResult(name, net, bool(ok), None if ok else reason, condition, err,
                              tuple(bounds), params)


def _sphere_problem(X: np.ndarray) -> str | None:
    dev = float(np.max(np.abs(np.sum(X * X, axis=1) - 1.0)))
    if dev > SPHERE_TOL:
        return f"data not on the unit sphere (max | |x_i|^2 - 1 | = {dev:.3g} > {SPHERE_TOL:g})"
    return None


def _offdiag(G: np.ndarray) -> np.ndarray:
    n = G.shape[0]
    return G[~np.eye(n, dtype=bool)]


def _certified_gram(X: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    r"""The float Gram matrix :math:`\hat G = fl(XX^T)` with an entrywise error bound and
    certified bounds of the squared norms (docs/mathematics.md#rounding):
    :math:`|\hat G_{ij} - x_i\cdot x_j| \le \gamma_d\sum_t|x_{it}x_{jt}| \le
    \gamma_d\,\nu_{up} =: \epsilon`, so ``(G, eps, nu_low, nu_up)`` with
    :math:`\nu_{low} \le \min_i\|x_i\|^2` and :math:`\nu_{up} \ge \max_i\|x_i\|^2`."""
    from numerics import rounding

    G = X @ X.T
    d = X.shape[1]
    sq = np.sum(X * X, axis=1)
    nu_up = float(rounding.up(float(sq.max()) * (1 + rounding.gamma(d))))
    nu_low = float(rounding.down(float(sq.min()) * (1 - rounding.gamma(d))))
    eps = float(rounding.up(rounding.gamma(d) * nu_up))
    return G, eps, nu_low, nu_up
