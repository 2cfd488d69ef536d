"""Tests of numerics.construct.minlip_certificate: certificates of one point and their
independent verification, which must reject broken points (deflated values, tampered
multipliers, networks that stop interpolating)."""

from dataclasses import replace

import numpy as np
import pytest

from numerics.construct.minlip_certificate import LipCertificate, certify_point, verify_point
from numerics.domain import Domain
from numerics.models import TwoLayerNet

BALL = Domain.ball(1.0)


def test_verification_rejects_a_network_that_stops_interpolating(small):
    D, res = small
    broken = res.net.with_weights(a=res.net.a + 1e-6)
    chk = verify_point(broken, D.X, D.y, res.certificate)
    assert not chk.ok and not chk.fit_ok
    assert "does not interpolate" in chk.reasons[0]


def test_verification_rejects_a_deflated_certificate(small):
    D, res = small
    for factor in (1 - 1e-6, 0.99, 0.5):
        chk = verify_point(res.net, D.X, D.y, replace(res.certificate,
                                                     value=res.value * factor))
        assert chk.fit_ok and not chk.certificate_ok and not chk.ok


def test_verification_accepts_an_inflated_certificate(small):
    D, res = small
    chk = verify_point(res.net, D.X, D.y, replace(res.certificate, value=res.value * 1.01))
    assert chk.ok


def test_verification_rejects_tampered_multipliers(small):
    D, res = small
    assert res.certificate.method == "lipsdp"
    t = res.certificate.t.copy()
    for bad in (t * 0.5, t * 2.0, np.zeros_like(t), t[:-1]):
        chk = verify_point(res.net, D.X, D.y, replace(res.certificate, t=bad))
        assert not chk.certificate_ok


def test_verification_of_closed_form_certificates(small):
    D, res = small
    for m in ("path_norm", "spectral", "centered"):
        v = res.certificate.others[m]
        assert verify_point(res.net, D.X, D.y, LipCertificate(m, v, BALL)).ok
        assert not verify_point(res.net, D.X, D.y,
                                LipCertificate(m, v * (1 - 1e-6), BALL)).certificate_ok


def test_certificate_round_trip(small):
    D, res = small
    c = LipCertificate.from_dict(res.certificate.to_dict(), BALL)
    assert c.value == res.certificate.value and np.array_equal(c.t, res.certificate.t)
    assert verify_point(res.net, D.X, D.y, c).ok


def test_certify_point_is_at_least_exact_in_1d():
    """d = 1: the certified bound on R^d is >= the exact Lipschitz constant
    (max |slope| over the pieces)."""
    net = TwoLayerNet([1.0, -2.0, 0.5], [[1.0], [1.0], [-1.0]], [0.0, -0.5, 0.2], "relu")
    xs = np.linspace(-3, 3, 20001)[:, None]
    slopes = np.abs(np.diff(net(xs)) / np.diff(xs[:, 0]))
    c = certify_point(net, Domain.rd())
    assert c.value >= slopes.max() * (1 - 1e-9)


def test_bad_certificate_argument(small):
    D, res = small
    with pytest.raises(ValueError, match="certificate"):
        verify_point(res.net, D.X, D.y, {"method": "lipsdp"})
    with pytest.raises(ValueError, match="certificate"):
        verify_point(res.net, D.X, D.y, LipCertificate("magic", 1.0, BALL))


def test_bad_fit_tol(small):
    D, res = small
    with pytest.raises(ValueError, match="fit_tol"):
        verify_point(res.net, D.X, D.y, res.certificate, fit_tol=-1.0)
