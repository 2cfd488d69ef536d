r"""Domains on which Lipschitz constants are taken: :math:`\mathbb R^d`, the ball
:math:`B_R`, and the sphere :math:`R\,S^{d-1}` (geodesic metric).

A domain is a value (:class:`Domain`) with membership, projection and the
gradient that matters on it: the full gradient on convex domains, the
tangential gradient :math:`\nabla_S f(x) = (I - \hat x\hat x^T)\nabla f(x)` on
the sphere. For convex :math:`\Omega`,
:math:`\mathrm{Lip}_\Omega(f) = \sup_\Omega \|\nabla f\|`; on the sphere the
geodesic constant is :math:`\sup_S \|\nabla_S f\|`.

Examples
--------
>>> import numpy as np
>>> D = Domain.ball(2.0)
>>> D.project(np.array([[3.0, 4.0]]))
array([[1.2, 1.6]])
>>> S = Domain.sphere()
>>> S.effective_gradient(np.array([[1.0, 0.0]]), np.array([[2.0, 3.0]]))
array([[0., 3.]])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numerics._validate import as_finite_float

__all__ = ["Domain", "KINDS"]

KINDS = ("rd", "ball", "sphere")


@dataclass(frozen=True)
class Domain:
    """``kind`` in ``{'rd', 'ball', 'sphere'}``; ``radius`` for ball and sphere
    (None for R^d)."""

    kind: str
    radius: float | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"domain: unknown kind {self.kind!r}; known: {KINDS}")
        if self.kind == "rd":
            if self.radius is not None:
                raise ValueError("radius: R^d takes no radius")
        else:
            r = as_finite_float(self.radius, "radius", positive=True)
            object.__setattr__(self, "radius", r)

    @classmethod
    def rd(cls) -> Domain:
        """All of R^d."""
        return cls("rd")

    @classmethod
    def ball(cls, radius: float = 1.0) -> Domain:
        """The closed Euclidean ball of the given radius (> 0)."""
        return cls("ball", radius)

    @classmethod
    def sphere(cls, radius: float = 1.0) -> Domain:
        """The sphere of the given radius, with its geodesic metric."""
        return cls("sphere", radius)

    @classmethod
    def parse(cls, kind: str, radius: float | None = None) -> Domain:
        """From CLI-style arguments (``radius`` defaults to 1 on ball/sphere).

        >>> Domain.parse("ball", 2)
        Domain(kind='ball', radius=2.0)
        """
        if kind == "rd":
            return cls.rd()
        return cls(kind, 1.0 if radius is None else radius)

    @property
    def label(self) -> str:
        """Short human-readable name, e.g. ``'ball(R=1)'``."""
        return "R^d" if self.kind == "rd" else f"{self.kind}(R={self.radius:g})"

    @property
    def is_convex(self) -> bool:
        return self.kind != "sphere"

    def contains(self, X: np.ndarray, tol: float = 1e-9) -> np.ndarray:
        """Boolean membership of each row of ``X`` (relative tolerance ``tol``)."""
        X = np.atleast_2d(X)
        if self.kind == "rd":
            return np.ones(X.shape[0], dtype=bool)
        r = np.linalg.norm(X, axis=1)
        if self.kind == "ball":
            return r <= self.radius * (1 + tol)
        return np.abs(r - self.radius) <= self.radius * tol

    def project(self, X: np.ndarray) -> np.ndarray:
        """Nearest point of the domain to each row (the sphere maps 0 to the
        first basis vector times the radius)."""
        X = np.array(np.atleast_2d(X), dtype=float)
        if self.kind == "rd":
            return X
        # rescale each row by its largest entry first: the squares of tiny
        # (subnormal) rows underflow and would spoil the normalization
        s = np.abs(X).max(axis=-1, keepdims=True)
        X = X / np.where(s > 0, s, 1.0)
        r = np.linalg.norm(X, axis=1, keepdims=True)
        if self.kind == "ball":  # points inside stay; others go radially to the sphere
            scale = np.minimum(s, self.radius / np.where(r > 0, r, 1.0))
            return X * scale
        zero = r[:, 0] == 0
        out = X * (self.radius / np.where(r == 0, 1.0, r))
        if np.any(zero):
            out[zero] = 0.0
            out[zero, 0] = self.radius
        return out

    def effective_gradient(self, X: np.ndarray, G: np.ndarray) -> np.ndarray:
        """The gradient whose norm the Lipschitz constant on this domain takes
        the supremum of: ``G`` itself on convex domains, its tangential part
        at ``X`` on the sphere. Shapes (m, d) -> (m, d)."""
        if self.kind != "sphere":
            return np.array(G, dtype=float)
        U = X / np.linalg.norm(X, axis=1, keepdims=True)
        return G - np.sum(G * U, axis=1, keepdims=True) * U

    def distance(self, X1: np.ndarray, X2: np.ndarray) -> np.ndarray:
        """Metric of the domain between paired rows: Euclidean on convex
        domains, geodesic (arc length) on the sphere."""
        X1, X2 = np.atleast_2d(X1), np.atleast_2d(X2)
        if self.kind != "sphere":
            return np.linalg.norm(X1 - X2, axis=1)
        R = self.radius
        chord = np.linalg.norm(X1 - X2, axis=1)
        return 2 * R * np.arcsin(np.clip(chord / (2 * R), 0.0, 1.0))

    def sample(self, m: int, d: int, rng: np.random.Generator) -> np.ndarray:
        """``m`` random points: uniform on the sphere/ball, N(0, I) on R^d."""
        Z = rng.standard_normal((m, d))
        if self.kind == "rd":
            return Z
        U = Z / np.linalg.norm(Z, axis=1, keepdims=True)
        if self.kind == "sphere":
            return self.radius * U
        return self.radius * U * rng.random((m, 1)) ** (1.0 / d)
