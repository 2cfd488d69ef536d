"""Tests of numerics.certify.prologue: the registry and certify() over every bound, blocked
results when a hypothesis fails, bad input, and the certify/tables CLI."""

import json

import numpy as np
import pytest
from certify_instances import (  # noqa: I001  (the folder's helper module)
    REL,
    instances,
    interpolating_net,
    make_data,
    make_labels,
)
from hypothesis import HealthCheck, assume, given, settings

from numerics.certify import (
    certify,
    gamma_exact,
    projection_basis,
    r1_chain,
    r1_sphere,
    r2_monte_carlo,
    r3_quantities,
)
from numerics.cli import main
from numerics.domain import Domain
from numerics.lipschitz import (
    lipschitz_report,
    path_norm_upper_bound,
    spectral_upper_bound,
)
from numerics.models import TwoLayerNet
from theory import bounds as tb
from theory.bounds import get_bound


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(inst=instances)
def test_certified_lower_bounds_below_toolkit_on_interpolants(inst):
    rng = np.random.default_rng(inst["seed"])
    X = make_data(inst["kind"], inst["n"], inst["d"], rng)
    y = make_labels(inst["n"], rng, inst["unbalanced"])
    net = interpolating_net(X, y, inst["act"], rng)
    assume(np.max(np.abs(net(X) - y)) <= 1e-8)
    certs = {c.bound.key: c for c in certify(net, X, y)}
    assert certs["R1"].value is not None and certs["R1.pair"].value is not None
    ball = lipschitz_report(net, Domain.ball(1.0), X=X, seed=0, n_random=32, steps=20)
    for key in ("R1", "R1.pair"):
        v = certs[key].value
        assert v <= ball.upper * (1 + REL)
        if ball.exact is not None:
            assert v <= ball.exact * (1 + 1e-7)
    rd_spec = spectral_upper_bound(net, Domain.rd())
    if certs["R2"].value is not None:
        assert certs["R2"].value <= rd_spec
    if certs["R2.inst"].value is not None:
        assert certs["R2.inst"].value <= path_norm_upper_bound(net, Domain.rd()) * (1 + REL)
        det = certs["R2.inst"].details
        assert det["sum_z_f"] == pytest.approx(det["n_1_minus_ybar2"], rel=1e-6)


# ---------------------------------------------------------------------------
# Wrong versions are caught
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Hypotheses, bad input, CLI
# ---------------------------------------------------------------------------
def test_non_interpolating_net_reports_failing_hypotheses():
    rng = np.random.default_rng(3)
    X = make_data("sphere", 8, 3, rng)
    y = make_labels(8, rng, False)
    net = TwoLayerNet(np.ones(3), rng.standard_normal((3, 3)), None, "tanh")
    certs = {c.bound.key: c for c in certify(net, X, y)}
    for key in ("R2", "R3", "R2.inst"):
        assert certs[key].value is None and "exact_fit" in certs[key].failed()
    assert certs["R2.inst"].hypotheses_met["relu"].ok is False
    assert certs["R2"].hypotheses_met["random_labels"].ok is None


def test_bad_input_raises():
    net = TwoLayerNet([1.0], [[1.0, 0.0]], None, "relu")
    X, y = np.eye(2), np.array([1.0, -1.0])
    with pytest.raises(ValueError, match="X"):
        certify(net, np.eye(3), y)
    with pytest.raises(ValueError, match="y"):
        certify(net, X, [1.0, 0.0])
    with pytest.raises(ValueError, match="radius"):
        certify(net, X, y, radius=-1)
    with pytest.raises(ValueError, match="delta"):
        certify(net, X, y, delta=0.5)
    with pytest.raises(ValueError, match="fit_tol"):
        certify(net, X, y, fit_tol=float("nan"))
    with pytest.raises(ValueError, match="bounds"):
        certify(net, X, y, bounds=[get_bound("BLN")])
    with pytest.raises(ValueError, match="net"):
        certify("net", X, y)
    with pytest.raises(ValueError, match="X"):
        gamma_exact(np.ones((3, 3)), np.ones(3))
    with pytest.raises(ValueError, match="z"):
        gamma_exact(np.ones((3, 1)), np.ones(2))
    with pytest.raises(ValueError, match="X"):
        r2_monte_carlo(2 * np.ones((3, 1)))
    with pytest.raises(ValueError, match="n_draws"):
        r2_monte_carlo(np.zeros((3, 1)), n_draws=0)
    with pytest.raises(ValueError, match="net"):
        r3_quantities(net, X, y)
    with pytest.raises(ValueError, match="W"):
        projection_basis([[np.nan]])
    with pytest.raises(ValueError, match="y"):
        r1_chain(net, X, [1.0, 1.0])
    with pytest.raises(ValueError, match="W"):
        r1_sphere(TwoLayerNet([1.0, 1.0], np.eye(2), None, "relu"), X, y)


def test_cli_certify(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = make_data("sphere", 6, 2, rng)
    y = make_labels(6, rng, False)
    np.savez(tmp_path / "data.npz", X=X, y=y)
    interp = interpolating_net(X, y, "relu", rng)
    interp.save(tmp_path / "good.npz")
    TwoLayerNet(np.ones(2), rng.standard_normal((2, 2)), None, "relu").save(tmp_path / "bad.npz")
    assert main(["certify", str(tmp_path / "bad.npz"), str(tmp_path / "data.npz")]) == 0
    text = capsys.readouterr().out
    assert "exact fit: NO" in text and "hypotheses fail: exact_fit" in text
    assert "[R2] Spectral-norm law for random labels: hypotheses fail" in text
    assert main(["certify", str(tmp_path / "good.npz"), str(tmp_path / "data.npz"),
                 "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    got = {c["key"]: c for c in payload["certificates"]}
    assert got["R1"]["value"] is not None and got["R1"]["failed"] == []
    np.savez(tmp_path / "nolabels.npz", X=X)
    assert main(["certify", str(tmp_path / "good.npz"), str(tmp_path / "nolabels.npz")]) == 2
    assert "data" in capsys.readouterr().err


def test_cli_tables_and_reproduce_hook(tmp_path, capsys):
    from numerics.cli.commands import tables

    assert main(["tables", "--out", str(tmp_path / "t"), "--json"]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert {p.split("/")[-1] for p in files} == {"bounds.tex", "regimes.tex", "tables.tex"}
    assert tables.REPRODUCE_ORDER == 20
    written = tables.reproduce(tmp_path, seed=0)
    assert all(p.exists() for p in written)
    tex = (tmp_path / "tables" / "bounds.tex").read_text()
    for b in tb.all_bounds():
        assert b.key in tex





def test_certifier_decorator_blocks_before_computing():
    """A registered certifier never runs when a checkable hypothesis fails: the blocked
    certificate names the failing hypothesis and its reason."""
    from numerics.certify import CERTIFIERS, Certificate, Instance, certifier

    calls = []

    @certifier("test.blocked")
    def _probe(inst, bound, checks, **options):
        calls.append(bound.key)
        return Certificate(bound, checks, 1.0)

    try:
        net = TwoLayerNet([1.0], [[1.0, 0.0]], None, "relu")
        X, y = np.eye(2), np.array([1.0, -1.0])
        inst = Instance(net, X, y)
        blocked = CERTIFIERS["test.blocked"](inst, get_bound("R1"))   # no separation
        assert blocked.value is None and "separation" in blocked.failed()
        assert "hypotheses fail" in blocked.reason and calls == []
        good = TwoLayerNet([1.0, -1.0], np.eye(2), [0.0, 0.0], "relu")
        ok = CERTIFIERS["test.blocked"](Instance(good, X, y), get_bound("R1.pair"))
        assert ok.value == 1.0 and calls == ["R1.pair"]
        with pytest.raises(ValueError, match="key"):
            certifier("test.blocked")(_probe)
    finally:
        CERTIFIERS.pop("test.blocked", None)
