r"""The search machinery behind the lower bounds of :mod:`numerics.lipschitz.search`.

Batched moves of many points at once: projected ascent of a (smoothed) gradient
norm, a local search over neighbouring linear regions along rays, LP-certified
single-neuron pattern flips, moves along great circles on the sphere, starts near
arrangement vertices, and gradient ascent on pair quotients. Nothing here is a
certified value: :mod:`~numerics.lipschitz.search` recomputes the value at the
point the search returns.
"""

from __future__ import annotations

import numpy as np

from numerics.domain import Domain
from numerics.lipschitz.norms import INF, dual_direction, dual_exponent, lp_norm
from numerics.lipschitz.witness import kink_margin
from numerics.models import TwoLayerNet


def _effective_norms(net: TwoLayerNet, domain: Domain, P: np.ndarray) -> np.ndarray:
    G = domain.effective_gradient(P, net.gradient(P))
    return np.linalg.norm(G, axis=1)


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _ascent(net: TwoLayerNet, domain: Domain, P: np.ndarray, *, steps: int,
            rng: np.random.Generator) -> np.ndarray:
    """Projected normalized ascent of the (smoothed) effective gradient norm.

    For piecewise-linear activations the slope is replaced by
    ``lo + (hi - lo) * sigmoid(z / tau)`` with ``tau`` shrinking geometrically
    from the typical pre-activation scale; for smooth activations the true
    Hessian-vector product is used. Returns the final points (m, d); the
    caller evaluates the true objective.
    """
    W, a, b = net.W, net.a, net.b
    pl = net.activation.is_piecewise_linear
    if pl:
        lo = float(net.activation.numeric_derivative(np.array(-1.0)))
        hi = float(net.activation.numeric_derivative(np.array(1.0)))
    d2 = None if pl else _second_derivative(net)
    scale = float(np.median(np.abs(P @ W.T + b))) + 1e-12
    xscale = float(np.median(np.linalg.norm(P, axis=1))) + 1e-12
    step = np.full(P.shape[0], 0.25 * xscale)
    best_val = _effective_norms(net, domain, P)
    best_P = P.copy()
    for it in range(steps):
        tau = scale * (0.5 ** (8 * it / max(steps - 1, 1))) if pl else None
        Z = P @ W.T + b
        if pl:
            s = _sigmoid(Z / tau)
            slope = lo + (hi - lo) * s
            dslope = (hi - lo) * s * (1 - s) / tau
        else:
            slope = net.activation.numeric_derivative(Z)
            dslope = d2(Z)
        Gf = (slope * a) @ W
        G = domain.effective_gradient(P, Gf)
        # d/dx ||G||^2 / 2 = W^T (a * dslope * (W G)); on the sphere
        # ||P_x G||^2 = ||G||^2 - (G.x)^2 / R^2 adds -(G.x) G / R^2
        D = ((a * dslope) * (G @ W.T)) @ W
        if domain.kind == "sphere":
            D = D - (np.sum(Gf * P, axis=1) / domain.radius**2)[:, None] * Gf
            D = domain.effective_gradient(P, D)
        with np.errstate(over="ignore", invalid="ignore"):
            nd = np.linalg.norm(D, axis=1, keepdims=True)
        good = np.isfinite(nd) & (nd > 0)  # overflowed directions: random nudge instead
        dirn = np.where(good, np.where(good, D, 0.0) / np.where(good, nd, 1.0),
                        rng.standard_normal(D.shape) * 1e-3)
        Pn = domain.project(P + step[:, None] * dirn)
        val = _effective_norms(net, domain, Pn)
        better = val >= best_val
        best_P[better] = Pn[better]
        best_val = np.maximum(best_val, val)
        step = np.where(better, step * 1.2, step * 0.6)
        step = np.maximum(step, 1e-6 * xscale)
        P = Pn
    return best_P


def _second_derivative(net: TwoLayerNet):
    import sympy as sp

    from theory.activations import t

    f = sp.lambdify(t, net.activation.second_derivative, modules="numpy")

    def d2(Z):
        # only steers the search (never a certified value): where the direct
        # formula overflows (softplus'' = beta e^{beta t}/(1 + e^{beta t})^2 at
        # large t gives inf/inf), the true value is ~0
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.broadcast_to(np.asarray(f(Z), dtype=float), Z.shape)
        return np.where(np.isfinite(out), out, 0.0)

    return d2


def _first_crossings(Z: np.ndarray, Dv: np.ndarray, b: np.ndarray, domain: Domain,
                     xv: np.ndarray, x2: np.ndarray):
    """Parameters of the first two kink crossings along rays (straight lines, or
    great circles on the sphere) from points with pre-activations ``Z`` (m, 1, k)
    in directions with ``Dv = v.W^T`` (m, q, k); also the parameter where the
    ray leaves a ball. Returns (t1, t2, t_exit), each (m, q)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if domain.kind == "sphere":
            R = domain.radius
            A = np.broadcast_to(Z - b, Dv.shape)  # w.x
            B = R * Dv  # R w.v
            rho = np.sqrt(A**2 + B**2)
            phi = np.arctan2(B, A)
            c = np.arccos(np.clip(-b / rho, -1.0, 1.0))
            ok = np.abs(b) <= rho
            T = np.stack([np.mod(phi + c, 2 * np.pi), np.mod(phi - c, 2 * np.pi)])
            T = np.where(ok & (T > 1e-12), T, np.inf).min(axis=0)
            t_exit = np.full(Dv.shape[:2], np.pi)
        else:
            T = -Z / Dv
            T = np.where(T > 0, T, np.inf)
            if domain.kind == "ball":
                disc = xv**2 - (x2 - domain.radius**2)
                t_exit = -xv + np.sqrt(np.maximum(disc, 0.0))
            else:
                t_exit = np.full(Dv.shape[:2], np.inf)
    part = np.partition(T, 1, axis=2) if T.shape[2] > 1 else np.concatenate(
        [T, np.full_like(T, np.inf)], axis=2)
    return part[..., 0], part[..., 1], t_exit


def _ray_polish(net: TwoLayerNet, domain: Domain, P: np.ndarray, *, rounds: int,
                rng: np.random.Generator, n_dir: int = 8, max_near: int = 64,
                objective=None) -> np.ndarray:
    """Local search over neighbouring linear regions (piecewise-linear nets).

    From each point, shoot rays along +-w_l (for the ``max_near`` nearest
    kinks) and a few random directions (tangent great circles on the
    sphere); just past the first kink crossed
    lies a neighbouring region (the crossing is a facet of the current one).
    Move each point to its best neighbour while that strictly improves the
    objective: the effective gradient norm by default, or ``objective(P) ->
    (m,)`` (e.g. a dual norm of the gradient, :func:`numerics.lipschitz.search.lp_lower_bound`).
    """
    if objective is None:
        def objective(Q):
            return _effective_norms(net, domain, Q)

    W, b = net.W, net.b
    norms = np.linalg.norm(W, axis=1)
    live = norms > 0
    if not np.any(live):
        return P
    Wl, bl = W[live], b[live]
    U = Wl / norms[live][:, None]
    val = objective(P)
    m, d = P.shape
    for _ in range(rounds):
        if U.shape[0] > max_near:  # only the nearest kinks: bounded cost at large k
            dist = np.abs(P @ Wl.T + bl) / norms[live]
            Un = U[np.argpartition(dist, max_near - 1, axis=1)[:, :max_near]]  # (m, near, d)
        else:
            Un = np.broadcast_to(U, (m,) + U.shape)
        V = np.concatenate([Un, -Un, rng.standard_normal((m, n_dir, d))], axis=1)  # (m, q, d)
        if domain.kind == "sphere":
            Xh = P / np.linalg.norm(P, axis=1, keepdims=True)
            V = V - np.sum(V * Xh[:, None, :], axis=2, keepdims=True) * Xh[:, None, :]
        vn = np.linalg.norm(V, axis=2, keepdims=True)
        V = V / np.where(vn > 0, vn, 1.0)
        Z = (P @ Wl.T + bl)[:, None, :]
        Dv = V @ Wl.T
        xv = np.einsum("md,mqd->mq", P, V)
        x2 = np.sum(P**2, axis=1)[:, None]
        t1, t2, t_exit = _first_crossings(Z, Dv, bl, domain, xv, x2)
        valid = np.isfinite(t1) & (t1 < t_exit)
        t1v = np.where(valid, t1, 0.0)
        gap = np.where(valid, np.minimum(t2, t_exit) - t1v, 0.0)
        step = np.where(valid, t1v + np.minimum(0.5 * gap, 1e-6 * (1 + t1v)), 0.0)
        if domain.kind == "sphere":
            R = domain.radius
            C = (np.cos(step)[..., None] * P[:, None, :]
                 + R * np.sin(step)[..., None] * V)
        else:
            C = P[:, None, :] + step[..., None] * V
        q = C.shape[1]
        C = domain.project(C.reshape(m * q, d))
        cv = objective(C).reshape(m, q)
        cv = np.where(valid, cv, -np.inf)
        j = np.argmax(cv, axis=1)
        cbest = cv[np.arange(m), j]
        improve = cbest > val * (1 + 1e-12)
        if not np.any(improve):
            break
        P = P.copy()
        P[improve] = C.reshape(m, q, d)[np.arange(m), j][improve]
        val = np.where(improve, cbest, val)
    return P


def _region_point(net: TwoLayerNet, pattern: np.ndarray, box: float) -> np.ndarray | None:
    """A point strictly inside the linear region with the given pattern and
    inside the cube ``|x_i| <= box`` (maximal-margin LP), or None if the
    region does not meet the cube's interior."""
    from scipy.optimize import linprog

    norms = np.linalg.norm(net.W, axis=1)
    live = norms > 0
    s = np.where(pattern[live], 1.0, -1.0)
    W, b, nrm = net.W[live], net.b[live], norms[live]
    d = net.d
    A = np.hstack([-(s[:, None] * W), nrm[:, None]])
    c = np.zeros(d + 1)
    c[-1] = -1.0
    res = linprog(c, A_ub=A, b_ub=s * b, bounds=[(-box, box)] * d + [(None, box)],
                  method="highs")
    if res.status != 0 or -res.fun <= 1e-9 * (1 + box):
        return None
    return res.x[:d]


def _lp_pattern_search(net: TwoLayerNet, domain: Domain, x0: np.ndarray, *,
                       max_iter: int = 50, tries: int = 8) -> np.ndarray:
    """Greedy ascent over single-neuron flips of the activation pattern, each
    accepted flip certified non-empty (inside the domain) by a linear program.
    Returns a point strictly inside the final region (piecewise-linear nets,
    R^d or ball)."""
    if domain.kind == "ball":
        box = domain.radius / np.sqrt(net.d)  # the inscribed cube
    else:
        norms = np.linalg.norm(net.W, axis=1)
        s0 = 1.0 + float(np.max(np.abs(net.b) / np.where(norms > 0, norms, np.inf), initial=0))
        box = 100.0 * max(s0, float(np.abs(x0).max()))
    lo = float(net.activation.numeric_derivative(np.array(-1.0)))
    hi = float(net.activation.numeric_derivative(np.array(1.0)))
    x = x0.copy()
    S = net.patterns(x[None])[0]
    g = net.pattern_gradients(S[None])[0]
    aw = net.a[:, None] * net.W
    for _ in range(max_iter):
        delta = np.where(S, lo - hi, hi - lo)[:, None] * aw  # change of g when flipping l
        cand = np.linalg.norm(g[None, :] + delta, axis=1)
        order = np.argsort(cand)[::-1]
        moved = False
        for l in order[:tries]:
            if cand[l] <= np.linalg.norm(g) * (1 + 1e-12):
                break
            S2 = S.copy()
            S2[l] = ~S2[l]
            y = _region_point(net, S2, box)
            if y is not None:
                x, S, g = y, S2, g + delta[l]
                moved = True
                break
        if not moved:
            break
    return x


def _sphere_region_step(net: TwoLayerNet, domain: Domain, P: np.ndarray, *,
                        iters: int = 40) -> np.ndarray:
    r"""Piecewise-linear nets on the sphere: inside a linear region the gradient
    g is constant and the tangential norm :math:`\sqrt{\|g\|^2 - (g\cdot
    x)^2/R^2}` grows as :math:`|g\cdot x|` shrinks. Move each point along the
    great circle towards its projection onto :math:`g^\perp` (where
    :math:`|g\cdot x|` decreases monotonically), as far as its activation
    pattern stays the same (bisection). Returns the moved points (m, d)."""
    G = net.gradient(P)
    gg = np.sum(G * G, axis=1)
    T = P - (np.sum(G * P, axis=1) / np.where(gg > 0, gg, 1.0))[:, None] * G
    ok = (gg > 0) & (np.linalg.norm(T, axis=1) > 0)
    P, T = P[ok], T[ok]
    if P.shape[0] == 0:
        return P
    S = net.patterns(P)

    def point(t):
        return domain.project((1 - t)[:, None] * P + t[:, None] * T)

    lo = np.zeros(P.shape[0])
    hi = np.ones(P.shape[0])
    same = np.all(net.patterns(point(hi)) == S, axis=1)
    lo[same] = 1.0
    for _ in range(iters):
        if np.all(same):
            break
        mid = (lo + hi) / 2
        s_mid = np.all(net.patterns(point(mid)) == S, axis=1)
        lo = np.where(~same & s_mid, mid, lo)
        hi = np.where(~same & ~s_mid, mid, hi)
    return point(lo)


def _interior_points(net: TwoLayerNet, domain: Domain, P: np.ndarray) -> np.ndarray:
    """Move points that lie (numerically) on a kink a tiny step off it, staying
    in the domain, so that the gradient there is a true gradient."""
    if not net.activation.is_piecewise_linear:
        return P
    margin = kink_margin(net, P)
    bad = margin <= 1e-10 * (1 + np.linalg.norm(P, axis=1))
    if not np.any(bad):
        return P
    P = P.copy()
    rng = np.random.default_rng(12345)
    for _ in range(20):
        Q = P[bad] + 1e-8 * (1 + np.linalg.norm(P[bad], axis=1, keepdims=True)) * \
            rng.standard_normal(P[bad].shape)
        Q = domain.project(Q)
        ok = kink_margin(net, Q) > 1e-10 * (1 + np.linalg.norm(Q, axis=1))
        idx = np.flatnonzero(bad)
        P[idx[ok]] = Q[ok]
        bad[idx[ok]] = False
        if not np.any(bad):
            break
    return P[~bad] if np.any(bad) else P


def _vertex_starts(net: TwoLayerNet, domain: Domain, m: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Starts around arrangement vertices: small linear regions, where large
    gradients hide, crowd around points where many kinks meet. For ``m``
    random sets of min(k, d) neurons, the minimum-norm point of the
    intersection of their hyperplanes, then a few random points at several
    small radii around it (projected onto the domain)."""
    live = np.flatnonzero(np.linalg.norm(net.W, axis=1) > 0)
    r = min(live.size, net.d)
    if r == 0 or m == 0:
        return np.zeros((0, net.d))
    idx = np.stack([rng.choice(live, size=r, replace=False) for _ in range(m)])
    A, rhs = net.W[idx], -net.b[idx]  # (m, r, d), (m, r)
    V = np.einsum("mdr,mr->md", np.linalg.pinv(A), rhs)  # minimum-norm solutions, batched
    scale = 1e-3 * (1.0 + np.linalg.norm(V, axis=1, keepdims=True))
    reps = 4
    P = np.repeat(V, reps, axis=0)
    radii = np.repeat(scale, reps, axis=0) * 10.0 ** rng.uniform(-2, 1, size=(m * reps, 1))
    P = P + radii * rng.standard_normal(P.shape)
    P = P[np.all(np.isfinite(P), axis=1)]
    return domain.project(P)


def _starts(net, domain: Domain, n: int, rng: np.random.Generator) -> np.ndarray:
    """Random points of the domain; on R^d at several radii around the scale of
    the first layer's kink hyperplanes (so that far-away regions are seen)."""
    d = net.d
    if domain.kind == "ball":
        return domain.sample(n, d, rng)
    if isinstance(net, TwoLayerNet):
        W, b = net.W, net.b
    else:
        W, b = net.weights[0], net.biases[0]
    nw = np.linalg.norm(W, axis=1)
    s = 1.0 + float(np.median(np.abs(b[nw > 0]) / nw[nw > 0])) if np.any(nw > 0) else 1.0
    Z = rng.standard_normal((n, d))
    Z /= np.linalg.norm(Z, axis=1, keepdims=True)
    radii = s * np.array([0.25, 1.0, 4.0, 32.0])[rng.integers(0, 4, n)] * rng.random(n) ** (1 / d)
    return Z * radii[:, None]


def _smoothed_ascent(net: TwoLayerNet, domain: Domain, P: np.ndarray, q: float, *,
                     steps: int, rng: np.random.Generator) -> np.ndarray:
    r"""Projected normalized ascent of :math:`\|\nabla f\|_q`, with the slope of a
    piecewise-linear activation smoothed as ``lo + (hi-lo)*sigmoid(z/tau)``
    (``tau`` shrinking). The ascent direction is
    :math:`W^T(a\odot\partial_z\psi'\odot(Wu))`, u a subgradient of
    :math:`\|\cdot\|_q` at the (smoothed) gradient. Returns the best points
    seen for the true objective."""
    W, a, b = net.W, net.a, net.b
    if not net.activation.is_piecewise_linear:
        return P
    lo = float(net.activation.numeric_derivative(np.array(-1.0)))
    hi = float(net.activation.numeric_derivative(np.array(1.0)))
    p = dual_exponent(q)
    scale = float(np.median(np.abs(P @ W.T + b))) + 1e-12
    xscale = float(np.median(np.linalg.norm(P, axis=1))) + 1e-12
    step = np.full(P.shape[0], 0.25 * xscale)
    best_val = lp_norm(net.gradient(P), q)
    best_P = P.copy()
    for it in range(steps):
        tau = scale * (0.5 ** (8 * it / max(steps - 1, 1)))
        Z = P @ W.T + b
        s = 0.5 * (1.0 + np.tanh(0.5 * Z / tau))
        G = ((lo + (hi - lo) * s) * a) @ W
        U = dual_direction(G, p)
        D = ((a * (hi - lo) * s * (1 - s) / tau) * (U @ W.T)) @ W
        nd = np.linalg.norm(D, axis=1, keepdims=True)
        dirn = np.where(nd > 0, D / np.where(nd > 0, nd, 1.0),
                        rng.standard_normal(D.shape) * 1e-3)
        Pn = domain.project(P + step[:, None] * dirn)
        val = lp_norm(net.gradient(Pn), q)
        better = val >= best_val
        best_P[better] = Pn[better]
        best_val = np.maximum(best_val, val)
        step = np.maximum(np.where(better, step * 1.2, step * 0.6), 1e-6 * xscale)
        P = Pn
    return best_P


def _pair_ascent(net, domain: Domain, p: float, P: np.ndarray, *, steps: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradient ascent on the quotient :math:`Q = (f(x)-f(x'))/\|x-x'\|_p`
    from the pairs :math:`(x, x + h v)`, v the dual direction of
    :math:`\nabla f(x)`. Gradients: :math:`\nabla_x Q = \nabla f(x)/r - Q\,u/r`,
    :math:`\nabla_{x'}Q = -\nabla f(x')/r + Q\,u/r`, u a subgradient of
    :math:`\|\cdot\|_p` at :math:`x - x'`. Returns the best pairs (x, x')
    and their quotients."""
    q = dual_exponent(p)
    _, G = net.value_and_gradient(P)
    V = dual_direction(G, p)
    xscale = float(np.median(np.linalg.norm(P, axis=1))) + 1.0
    h = 0.05 * xscale
    A = P.copy()
    B = domain.project(P + h * V)
    same = lp_norm(A - B, p) <= 1e-12 * xscale
    if np.any(same):  # at the ball's boundary: step inwards instead
        B[same] = domain.project(P[same] - h * V[same])
    fa, fb = net(A), net(B)
    r = lp_norm(A - B, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        Qv = np.where(r > 0, (fb - fa) / r, 0.0)
    sgn = np.where(Qv >= 0, 1.0, -1.0)  # maximize sgn * (f(B) - f(A)) / r
    bestA, bestB, bestQ = A.copy(), B.copy(), np.abs(Qv)
    lr = np.full(P.shape[0], 0.1 * xscale)
    for _ in range(steps):
        fa, Ga = net.value_and_gradient(A)
        fb, Gb = net.value_and_gradient(B)
        Dv = B - A
        r = lp_norm(Dv, p)
        ok = r > 1e-9 * xscale
        rr = np.where(ok, r, 1.0)
        Qv = sgn * (fb - fa) / rr
        U = dual_direction(Dv, q)  # subgradient of ||.||_p at B - A
        gB = (sgn[:, None] * Gb - Qv[:, None] * U) / rr[:, None]
        gA = (-sgn[:, None] * Ga + Qv[:, None] * U) / rr[:, None]
        nrm = np.sqrt(np.sum(gA**2, 1) + np.sum(gB**2, 1))
        nrm = np.where(nrm > 0, nrm, 1.0)
        A2 = domain.project(A + (lr / nrm)[:, None] * gA)
        B2 = domain.project(B + (lr / nrm)[:, None] * gB)
        r2 = lp_norm(B2 - A2, p)
        ok2 = r2 > 1e-9 * xscale
        with np.errstate(divide="ignore", invalid="ignore"):
            Q2 = np.where(ok2, sgn * (net(B2) - net(A2)) / np.where(ok2, r2, 1.0), -INF)
        better = Q2 > bestQ
        bestA[better], bestB[better], bestQ[better] = A2[better], B2[better], Q2[better]
        lr = np.where(Q2 >= Qv, lr * 1.1, lr * 0.5)
        A, B = np.where(ok2[:, None], A2, A), np.where(ok2[:, None], B2, B)
    return bestA, bestB, bestQ
