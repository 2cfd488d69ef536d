"""The ``robustlaw`` command line: subcommands, JSON output, errors."""

import json
import shutil

import numpy as np
import pytest

from numerics.cli import build_parser, main
from numerics.models import TwoLayerNet

EXPECTED = {"lipschitz", "certify", "poly-certificate", "tables", "sweep", "figure",
            "reproduce", "random-networks", "random-features", "tradeoff", "memorize",
            "memorization", "weight-perturbation", "derivations"}


def test_every_documented_subcommand_exists():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert EXPECTED <= set(sub.choices)


def _json(capsys, argv):
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("domain", ["rd", "ball", "sphere"])
def test_lipschitz_json_fields(tmp_path, capsys, domain):
    rng = np.random.default_rng(0)
    net = TwoLayerNet(rng.standard_normal(5), rng.standard_normal((5, 2)),
                      rng.standard_normal(5), "relu")
    path = net.save(tmp_path / "net.npz")
    out = _json(capsys, ["lipschitz", str(path), "--domain", domain, "--seed", "3"])
    for key in ("lower", "upper", "exact", "domain", "witness"):
        assert key in out
    assert out["domain"] == domain
    assert out["lower"] <= out["exact"] * (1 + 1e-9) <= out["upper"] * (1 + 1e-9)
    # the witness reproduces the lower bound
    from numerics.domain import Domain
    from numerics.lipschitz import Witness

    w = Witness(out["witness"]["kind"], np.array(out["witness"]["points"]),
                out["witness"]["value"])
    assert w.verify(net, Domain.parse(domain)) == pytest.approx(out["lower"], rel=1e-9)


def test_lipschitz_exact_null_for_smooth(tmp_path, capsys):
    net = TwoLayerNet([1.0, 2.0], [[1.0, 0.0, 0.0, 1.0]] * 2, [0.0, 1.0], "tanh")
    path = net.save(tmp_path / "net.npz")
    out = _json(capsys, ["lipschitz", str(path), "--domain", "ball", "--radius", "2"])
    assert out["exact"] is None and out["radius"] == 2.0


def test_lipschitz_demo_text(capsys):
    assert main(["lipschitz", "--demo", "--domain", "rd"]) == 0
    assert "upper/lower" in capsys.readouterr().out


def test_negative_radius_is_an_error(tmp_path, capsys):
    assert main(["lipschitz", "--demo", "--radius", "-1"]) == 2
    assert "radius" in capsys.readouterr().err


def test_missing_file_is_an_error(tmp_path, capsys):
    assert main(["lipschitz", str(tmp_path / "nope.npz")]) == 2
    assert "NET: no such file" in capsys.readouterr().err


def test_reproduce_lipschitz_step(tmp_path, capsys):
    out = _json(capsys, ["reproduce", "--out", str(tmp_path), "--only", "lipschitz"])
    assert (tmp_path / "manifest.json").exists()
    assert any(f.endswith("demo_report.tex") for f in out["files"])
    assert (tmp_path / "all_tables.tex").exists()
    doc = (tmp_path / "all_tables.tex").read_text()
    assert r"\input{lipschitz/demo_report.tex}" in doc
    if shutil.which("pdflatex"):
        assert out["latex"]["compiled"] is True
        assert (tmp_path / "all_tables.pdf").stat().st_size > 0
    report = json.loads((tmp_path / "lipschitz" / "demo_report.json").read_text())
    for dom in ("rd", "ball", "sphere"):
        r = report[dom]
        assert r["lower"] <= r["exact"] * (1 + 1e-9) <= r["upper"] * (1 + 1e-9)
