"""Tests of numerics.construct.polynomial: kernel interpolants, Waring networks, exact
energies (each checked against the R4 certificate), and the poly-certificate command."""

import json
import math
import random
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from numerics.certify import (
    energy_certificate,
    gegenbauer_numeric,
    kernel_coefficients,
)
from numerics.cli import main
from numerics.construct import (
    fit_power_network,
    gradient_energy,
    harmonic_norms,
    min_energy_interpolant,
    min_norm_interpolant,
    regime_rows,
    space_dimension,
    waring_low_rank,
    waring_network,
)
from numerics.data import Dataset, random_dataset, sphere_data
from numerics.domain import Domain
from numerics.lipschitz import lipschitz_report, path_norm_upper_bound, spectral_upper_bound
from numerics.models import TwoLayerNet
from theory import sphere
from theory.sphere import eigenvalue, monomial_integral, tangential_gradient
from theory.tensors import network_polynomial

# (d, p, homogeneous) small enough for fast properties
CASES = [(3, 2, False), (4, 3, True), (5, 2, True), (4, 2, False), (3, 4, True), (5, 3, False)]


def _slack(value):
    """Tolerance for comparing a network's *computed* energy with a certificate for
    its *computed* values net(X): both carry floating-point evaluation error (values
    ~1e-15 relative), and E_min moves by at most ~sqrt(E_min * ||K^-1||) * |delta|
    with ||K^-1|| <= 1e12 (the certificate refuses worse conditioning)."""
    return 1e-9 * max(1.0, value)


def _check_label_certificate(D, net, p, hom, energy):
    """sqrt(E_min) is a seminorm of the values (E_min(v) = v^T A v, A PSD), so a net
    with values v = y - delta has sqrt(energy) >= sqrt(E_min(y)) - sqrt(E_min(delta))."""
    cy = energy_certificate(D.X, D.y, p, homogeneous=hom)
    if cy.value is None:
        return
    delta = D.y - net(D.X)
    e_delta = energy_certificate(D.X, delta, p, homogeneous=hom).formula_value
    assert np.sqrt(energy) >= np.sqrt(cy.value) - np.sqrt(max(e_delta, 0.0)) - 1e-12


def _dataset(seed, d, p, homogeneous, frac):
    _, _, dim = kernel_coefficients(d, p, homogeneous=homogeneous)
    n = max(2, int(frac * dim))
    return random_dataset(n, d, seed=seed)


# -- numeric evaluation of the theory, against independent oracles -----------------


# -- exact energies ------------------------------------------------------------------

def _sym_net(rng, k, d, biases):
    a = [rng.randint(-3, 3) for _ in range(k)]
    W = [[rng.randint(-2, 2) for _ in range(d)] for _ in range(k)]
    b = [rng.randint(-2, 2) for _ in range(k)] if biases else None
    return a, W, b


@pytest.mark.parametrize("d,p,biases", [(3, 2, False), (3, 3, True), (2, 4, True),
                                        (4, 2, True), (3, 1, False)])
def test_gradient_energy_equals_exact_symbolic_integrals(d, p, biases):
    rng = random.Random(10 * d + p)
    a, W, b = _sym_net(rng, 3, d, biases)
    xs = sp.symbols(f"x0:{d}")
    g = sp.expand(network_polynomial(a, W, b, p, xs))
    tang = monomial_integral(sum(t**2 for t in tangential_gradient(g, xs)), xs)
    radial = monomial_integral(sphere.euler_operator(g, xs) ** 2, xs)
    l2 = monomial_integral(g**2, xs)
    net = TwoLayerNet(a, W, b, f"power:{p}")
    e = gradient_energy(net)
    for key, exact in (("tangential", tang), ("radial", radial), ("l2", l2)):
        assert e[key] == pytest.approx(float(exact), rel=1e-10, abs=1e-12)
    norms = harmonic_norms(net)
    lam = np.array([float(eigenvalue(j, d)) for j in range(p + 1)])
    assert float(lam @ norms) == pytest.approx(e["tangential"], rel=1e-12, abs=1e-12)
    # a wrong eigenvalue (lambda_{j+1}) breaks the identity
    lam_wrong = np.array([float(eigenvalue(j + 1, d)) for j in range(p + 1)])
    assert abs(float(lam_wrong @ norms) - float(tang)) > 1e-6 * max(1.0, float(tang))


def test_harmonic_norms_of_zero_weight_neurons():
    net = TwoLayerNet([2.0, 1.0], [[0.0, 0.0], [1.0, 0.0]], [1.5, 0.0], "power:2")
    norms = harmonic_norms(net)
    # 2 * 1.5^2 = 4.5 constant plus x1^2 = 1/2 + (x1^2 - 1/2)
    assert norms[0] == pytest.approx(5.0**2)
    assert norms[1] == pytest.approx(0.0, abs=1e-15)


# -- certificates, interpolants, Waring networks ----------------------------------

@given(st.integers(0, 10**6), st.sampled_from(CASES), st.sampled_from([0.3, 0.6, 0.85]))
@example(0, (4, 3, True), 0.85)
@example(5366, (3, 4, True), 0.3)  # float gradient_energy 3.3e-9 below the exact energy
@example(82, (5, 3, False), 0.3)  # and 7.6e-9 below it (with biases)
def test_waring_min_energy_network_satisfies_certificate(seed, case, frac):
    d, p, hom = case
    D = _dataset(seed, d, p, hom, frac)
    kinds = ["sphere", "ball"] if hom else ["sphere"]
    for kind in kinds:
        cert = energy_certificate(D.X, D.y, p, homogeneous=hom, kind=kind)
        assert cert.value is not None, cert.reason
        assert cert.value <= cert.formula_value + _slack(cert.formula_value)
        g = min_energy_interpolant(D.X, D.y, p, homogeneous=hom, kind=kind)
        assert np.allclose(g(D.X), D.y, atol=1e-8)
        fit = waring_network(g, d, p, homogeneous=hom, seed=seed)
        assert fit.relative_error < 1e-9
        net = fit.net
        assert net.spec == f"power:{p}" and (np.all(net.b == 0) if hom else True)
        assert np.allclose(net(D.X), D.y, atol=1e-7)
        # exact energy of the network that interpolates net(X) exactly: >= certificate
        cert_net = energy_certificate(D.X, net(D.X), p, homogeneous=hom, kind=kind)
        # the exact (rational) energy, since gradient_energy's float value can be off by more
        # than the slack (seen: 3.3e-9 and 7.6e-9 relative); the slack covers the
        # certificate taking the float targets net(X) as exact
        e = _exact_energies(net, d, p)
        energy = float(e["tangential"] if kind == "sphere" else e["full"])
        assert energy >= cert_net.value - _slack(cert_net.value)
        assert energy == pytest.approx(cert.formula_value, rel=1e-6)  # min energy attained
        # the Lipschitz toolkit's proved upper bounds on the ball dominate sqrt(E_min)
        ball = Domain.ball(1.0)
        assert path_norm_upper_bound(net, ball) >= cert_net.lipschitz_lower
        assert spectral_upper_bound(net, ball) >= cert_net.lipschitz_lower
        assert e["full"] >= cert_net.value - _slack(cert_net.value)


@given(st.integers(0, 10**6), st.sampled_from([(4, 2, False), (4, 3, True), (5, 3, False)]))
def test_low_rank_and_trained_fits_satisfy_certificate(seed, case):
    d, p, hom = case
    dl = d if hom else d + 1
    n = 2 * dl  # k = 3 neurons have 3 dl >= n parameters (parameter count)
    D = random_dataset(n, d, seed=seed)
    for k in (3, 12):  # near the parameter count, and over-parametrized
        net, res = fit_power_network(D.X, D.y, p, k, homogeneous=hom, seed=seed)
        v = net(D.X)  # the values it interpolates exactly
        for kind in (["sphere", "ball"] if hom else ["sphere"]):
            cert = energy_certificate(D.X, v, p, homogeneous=hom, kind=kind)
            if cert.value is None:
                continue
            e = _exact_energies(net, d, p)   # exact: the float evaluation has no error bound
            energy = float(e["tangential"] if kind == "sphere" else e["full"])
            assert energy >= cert.value - _slack(cert.value)
            assert path_norm_upper_bound(net, Domain.ball(1.0)) >= cert.lipschitz_lower
        if res < 1e-9:  # fitted the labels up to 1e-9
            _check_label_certificate(D, net, p, hom, gradient_energy(net)["tangential"])


@pytest.mark.parametrize("d,p,n,k,seed", [(4, 2, 10, 5, 0), (3, 3, 12, 6, 1)])
def test_trained_networks_satisfy_certificate(d, p, n, k, seed):
    from numerics.construct import fit_interpolant

    D = random_dataset(n, d, seed=seed)
    res = fit_interpolant(D.X, D.y, k=k, activation=f"power:{p}", seed=seed)
    net = res.net
    cert = energy_certificate(D.X, net(D.X), p, homogeneous=False)
    assert cert.value is not None
    e = gradient_energy(net)
    assert e["tangential"] >= cert.value - _slack(cert.value)
    assert path_norm_upper_bound(net, Domain.ball(1.0)) >= cert.lipschitz_lower
    if res.status == "exact":  # interpolates the labels up to 1e-9
        _check_label_certificate(D, net, p, False, e["tangential"])


def test_lipschitz_report_upper_dominates_certificate():
    D = random_dataset(15, 4, seed=4)
    g = min_energy_interpolant(D.X, D.y, 3, homogeneous=True, kind="ball")
    net = waring_network(g, 4, 3, homogeneous=True, seed=0).net
    cert = energy_certificate(D.X, net(D.X), 3, homogeneous=True, kind="ball")
    rep = lipschitz_report(net, Domain.ball(1.0), X=D.X, seed=0, n_random=32, steps=20)
    assert rep.upper >= cert.lipschitz_lower
    rep_s = lipschitz_report(net, Domain.sphere(1.0), X=D.X, seed=0, n_random=32, steps=20)
    cert_s = energy_certificate(D.X, net(D.X), 3, homogeneous=True, kind="sphere")
    assert rep_s.upper >= cert_s.lipschitz_lower


def test_min_norm_interpolant_has_smallest_l2_norm():
    D = random_dataset(10, 4, seed=6)
    p = 2
    g = min_norm_interpolant(D.X, D.y, p, homogeneous=False)
    h = min_energy_interpolant(D.X, D.y, p, homogeneous=False)
    ng = waring_network(g, 4, p, homogeneous=False, seed=0).net
    nh = waring_network(h, 4, p, homogeneous=False, seed=0).net
    assert np.allclose(ng(D.X), D.y, atol=1e-8)
    cert = energy_certificate(D.X, D.y, p, homogeneous=False, kind="l2")
    assert cert.lipschitz_lower is None  # an L2 bound says nothing about gradients
    assert gradient_energy(ng)["l2"] == pytest.approx(cert.formula_value, rel=1e-7)
    assert gradient_energy(nh)["l2"] >= cert.value
    assert gradient_energy(ng)["tangential"] >= gradient_energy(nh)["tangential"] * (1 - 1e-9)


# -- singular and ill-conditioned cases ---------------------------------------------



def _dfact(n: int) -> int:
    return math.prod(range(n, 0, -2)) if n > 0 else 1


def _sphere_moment(r: int, s: int, c, uu, vv, d: int) -> Fraction:
    r""":math:`E_\sigma[(u\cdot x)^r (v\cdot x)^s]` on :math:`S^{d-1}` (exact) from
    :math:`c = u\cdot v`, :math:`uu = \|u\|^2`, :math:`vv = \|v\|^2`: the Gaussian (Isserlis)
    moment :math:`\sum_j \binom rj\binom sj j!\,c^j (r-j-1)!!(s-j-1)!!\,uu^{(r-j)/2}
    vv^{(s-j)/2}` over j with r - j, s - j even, divided by :math:`d(d+2)\cdots(d+r+s-2)`."""
    if (r + s) % 2:
        return Fraction(0)
    mom = sum(math.comb(r, j) * math.comb(s, j) * math.factorial(j) * c**j
              * _dfact(r - j - 1) * _dfact(s - j - 1) * uu ** ((r - j) // 2) * vv ** ((s - j) // 2)
              for j in range(min(r, s) + 1) if (r - j) % 2 == 0 and (s - j) % 2 == 0)
    return mom / math.prod(d + 2 * k for k in range((r + s) // 2))


def _exact_energies(net, d: int, p: int) -> dict:
    r"""Exact ``full`` :math:`E_\sigma\|\nabla f\|^2` and ``tangential``
    :math:`E_\sigma\|\nabla_S f\|^2 = E_\sigma(\|\nabla f\|^2 - (x\cdot\nabla f)^2)` of a
    power network :math:`f = \sum_\ell a_\ell (w_\ell\cdot x + b_\ell)^p` on :math:`S^{d-1}`,
    in rational arithmetic from its float weights (each factor expanded in powers of
    :math:`w_\ell\cdot x`): an oracle independent of ``gradient_energy``."""
    q = p - 1
    a = [Fraction(float(v)) for v in net.a]
    W = [[Fraction(float(v)) for v in row] for row in net.W]
    b = [Fraction(float(v)) for v in net.b]
    G = [[sum(x * y for x, y in zip(u, v, strict=True)) for v in W] for u in W]
    # (w.x + b)^q = sum_r grad[r] (w.x)^r; (w.x + b)^q (w.x) = sum_r rad[r] (w.x)^r
    grad = [[math.comb(q, r) * bl ** (q - r) for r in range(q + 1)] for bl in b]
    rad = [[Fraction(0)] + g for g in grad]
    full = radial = Fraction(0)
    for i in range(len(a)):
        for m in range(len(a)):
            mom = {}

            def M(r, s, i=i, m=m, mom=mom):
                if (r, s) not in mom:
                    mom[r, s] = _sphere_moment(r, s, G[i][m], G[i][i], G[m][m], d)
                return mom[r, s]

            aa = a[i] * a[m]
            full += aa * G[i][m] * sum(gi * gm * M(r, s) for r, gi in enumerate(grad[i])
                                       for s, gm in enumerate(grad[m]) if gi and gm)
            radial += aa * sum(gi * gm * M(r, s) for r, gi in enumerate(rad[i])
                               for s, gm in enumerate(rad[m]) if gi and gm)
    return {"full": p * p * full, "tangential": p * p * (full - radial)}

# -- Waring networks ------------------------------------------------------------------

@given(st.integers(0, 10**6), st.sampled_from([(3, 3, True), (2, 4, False), (4, 2, False),
                                               (3, 5, True)]))
def test_waring_network_reproduces_any_power_network(seed, case):
    d, p, hom = case
    rng = np.random.default_rng(seed)
    target = TwoLayerNet(rng.standard_normal(7), rng.standard_normal((7, d)),
                         None if hom else rng.standard_normal(7), f"power:{p}")
    fit = waring_network(target, d, p, homogeneous=hom, seed=seed)
    assert fit.relative_error < 1e-9
    assert fit.net.k == (space_dimension(d, p, homogeneous=hom))
    if hom:  # exact oracle: the float gradient_energy has no rounding-error bound yet
        e1, e2 = _exact_energies(target, d, p)["full"], _exact_energies(fit.net, d, p)["full"]
        assert float(abs(e2 - e1) / e1) <= 1e-7
    else:
        e1, e2 = gradient_energy(target), gradient_energy(fit.net)
        assert e2["full"] == pytest.approx(e1["full"], rel=1e-7)


@pytest.mark.parametrize("d,p,hom", [(2, 3, True), (3, 3, True), (3, 4, True), (2, 3, False)])
def test_waring_low_rank_near_generic_rank(d, p, hom):
    from theory.tensors import generic_rank

    rng = np.random.default_rng(0)
    target = TwoLayerNet(rng.standard_normal(20), rng.standard_normal((20, d)),
                         None if hom else rng.standard_normal(20), f"power:{p}")
    fit = waring_low_rank(target, d, p, homogeneous=hom, seed=0)
    r = generic_rank(d if hom else d + 1, p)
    assert fit.relative_error < 1e-9
    assert r <= fit.net.k <= r + 3


# -- regime ----------------------------------------------------------------------

def test_regime_rows_shape_and_heuristic_band():
    rows = regime_rows(ps=(2,), ds=(8,), cs=(0.5,), seeds=3, seed=0)
    assert len(rows) == 1
    r = rows[0]
    assert r["n"] == round(0.5 * r["dim"]) and len(r["values"]) == 3
    assert r["heuristic"] == pytest.approx(2 * 8 * 0.5 / 0.5)
    assert 0.3 < r["ratio"] < 3  # a loose sanity band; the table reports the measured ratio
    assert r["lip_over_sqrt_n_over_k"] == pytest.approx(
        np.sqrt(r["mean"]) / np.sqrt(r["n"] / r["k_min"]))


def test_regime_heuristic_beats_a_wrong_eigenvalue():
    # the heuristic with lambda_p is confronted with the wrong lambda_{p+1}
    r = regime_rows(ps=(3,), ds=(12,), cs=(0.5,), seeds=3, seed=1)[0]
    wrong = float(eigenvalue(4, 12)) * r["c"] / (1 - r["c"])
    assert abs(np.log(r["mean"] / r["heuristic"])) < abs(np.log(r["mean"] / wrong))


# -- bad input ---------------------------------------------------------------------

def test_bad_input_raises_naming_argument():
    D = random_dataset(5, 3, seed=0)
    with pytest.raises(ValueError, match="X:"):
        energy_certificate(np.full((3, 3), np.nan), [1, 1, 1], 2)
    with pytest.raises(ValueError, match="y:"):
        energy_certificate(D.X, [1.0, 1.0], 2)
    with pytest.raises(ValueError, match="degree:"):
        energy_certificate(D.X, D.y, 0)
    with pytest.raises(ValueError, match="kind:"):
        energy_certificate(D.X, D.y, 2, kind="cube")
    with pytest.raises(ValueError, match="kind:"):
        energy_certificate(D.X, D.y, 2, kind="ball")
    with pytest.raises(ValueError, match="X:"):
        energy_certificate(2 * D.X, D.y, 2)
    with pytest.raises(ValueError, match="X:"):
        energy_certificate(np.vstack([D.X, np.zeros(3)]), np.append(D.y, 1), 2, homogeneous=True)
    with pytest.raises(ValueError, match="d:"):
        energy_certificate(np.ones((2, 1)), [1.0, -1.0], 2, homogeneous=True)
    with pytest.raises(ValueError, match="net:"):
        gradient_energy(TwoLayerNet([1.0], [[1.0, 0.0]], None, "relu"))
    with pytest.raises(ValueError, match="oversample:"):
        waring_network(lambda Z: Z[:, 0], 2, 1, homogeneous=True, seed=0, oversample=0.5)
    with pytest.raises(ValueError, match="seed:"):
        waring_network(lambda Z: Z[:, 0], 2, 1, homogeneous=True, seed=None)
    with pytest.raises(ValueError, match="j:"):
        gegenbauer_numeric(-1, 3, [0.0])
    with pytest.raises(ValueError, match="k:"):
        fit_power_network(D.X, D.y, 2, 0)
    with pytest.raises(ValueError, match="d:"):
        waring_low_rank(lambda Z: Z[:, 0] ** 3, 20, 3)


# -- CLI ------------------------------------------------------------------------------

def test_cli_poly_certificate(tmp_path, capsys):
    D = random_dataset(12, 5, seed=0)
    path = D.save(tmp_path / "data.npz")
    assert main(["poly-certificate", str(path), "--degree", "3", "--homogeneous", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = energy_certificate(D.X, D.y, 3, homogeneous=True)
    assert out["certificate"]["value"] == pytest.approx(ref.value)
    assert out["ball"]["value"] >= out["certificate"]["value"]
    assert out["files"] == []
    assert main(["poly-certificate", str(path), "--degree", "2"]) == 0
    assert "Lip" in capsys.readouterr().out
    # refused instance: exit code 0 but value None and a reason
    big = Dataset(sphere_data(40, 3, seed=1), np.ones(40))
    pbig = big.save(tmp_path / "big.npz")
    assert main(["poly-certificate", str(pbig), "--degree", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["certificate"]["value"] is None and out["certificate"]["reason"]
    # bad input: error exit
    assert main(["poly-certificate", str(path), "--degree", "0"]) == 2
    capsys.readouterr()


def test_cli_writes_waring_network(tmp_path, capsys):
    D = random_dataset(12, 4, seed=3)
    path = D.save(tmp_path / "data.npz")
    net_path = tmp_path / "net.npz"
    assert main(["poly-certificate", str(path), "--degree", "3", "--homogeneous",
                 "--net-out", str(net_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    net = TwoLayerNet.load(net_path)
    assert out["files"] == [str(net_path)]
    assert np.allclose(net(D.X), D.y, atol=1e-7)
    assert out["network"]["energy_tangential"] >= out["certificate"]["value"]


def test_reproduce_hook(tmp_path):
    from numerics.cli.commands import poly_certificate as cmd

    files = cmd.reproduce(tmp_path, seed=0, size="tiny")
    names = {f.name for f in files}
    assert {"poly_regime.tex", "poly_dimensions.tex", "poly_regime.json"} <= names
    data = json.loads((tmp_path / "poly" / "poly_regime.json").read_text())
    assert data["rows"] and all(r["values"] for r in data["rows"])
    assert r"\toprule" in (tmp_path / "poly" / "poly_regime.tex").read_text()
