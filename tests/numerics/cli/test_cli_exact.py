"""``robustlaw lipschitz NET --exact [--time-limit S]``: branch and bound from the command
line; its JSON keys, and bad input as one error line with a non-zero exit."""

import json

import numpy as np
import pytest

from numerics.cli import main
from numerics.domain import Domain
from numerics.lipschitz import Witness
from numerics.lipschitz.exact import exact_relu_lipschitz
from numerics.models import TwoLayerNet


def _net(tmp_path, act="relu", k=8, d=3, seed=0, name="net.npz"):
    rng = np.random.default_rng(seed)
    net = TwoLayerNet(rng.standard_normal(k), rng.standard_normal((k, d)),
                      rng.standard_normal(k), act)
    return net, net.save(tmp_path / name)


def _json(capsys, argv):
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _error(capsys, argv) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("robustlaw: error: ")
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("domain", ["rd", "ball"])
def test_exact_json_closes_to_the_enumerated_value(tmp_path, capsys, domain):
    net, path = _net(tmp_path)
    out = _json(capsys, ["lipschitz", str(path), "--domain", domain, "--exact",
                         "--time-limit", "60"])
    for key in ("exact", "lower", "upper", "nodes", "seconds"):
        assert key in out
    ex = exact_relu_lipschitz(net, Domain.parse(domain)).value
    assert out["exact"] is not None
    assert abs(out["exact"] - ex) <= 1e-9 * ex
    assert out["lower"] <= out["upper"] <= out["lower"] * (1 + 1e-9)
    assert isinstance(out["nodes"], int) and out["nodes"] >= 1 and out["seconds"] >= 0
    w = out["witness"]
    v = Witness(w["kind"], np.array(w["points"]), w["value"]).verify(net, Domain.parse(domain))
    assert v == pytest.approx(out["lower"], rel=1e-12)


def test_exact_is_null_unless_closed(tmp_path, capsys):
    net, path = _net(tmp_path, k=80, d=12, seed=4)
    out = _json(capsys, ["lipschitz", str(path), "--domain", "ball", "--exact",
                         "--time-limit", "0"])
    assert out["exact"] is None
    assert out["lower"] < out["upper"] and out["nodes"] >= 1
    assert out["bnb"]["status"] == "time limit"


def test_exact_with_l_inf(tmp_path, capsys):
    net, path = _net(tmp_path, k=6, d=2)
    out = _json(capsys, ["lipschitz", str(path), "--domain", "rd", "--p", "inf", "--exact"])
    assert out["exact"] is not None and out["p"] == "inf"
    assert out["bnb"]["p"] == "inf"


def test_without_exact_there_are_no_nodes(tmp_path, capsys):
    net, path = _net(tmp_path)
    out = _json(capsys, ["lipschitz", str(path), "--domain", "ball"])
    assert out["nodes"] is None and out["bnb"] is None


def test_text_output_names_branch_and_bound(tmp_path, capsys):
    net, path = _net(tmp_path, k=4, d=2)
    assert main(["lipschitz", str(path), "--exact", "--time-limit", "30"]) == 0
    assert "branch and bound: closed" in capsys.readouterr().out


def test_non_piecewise_linear_activation_is_an_error(tmp_path, capsys):
    net, path = _net(tmp_path, act="tanh")
    line = _error(capsys, ["lipschitz", str(path), "--exact"])
    assert "--exact" in line and "piecewise-linear" in line


@pytest.mark.parametrize("value", ["-1", "-0.5", "nan", "inf"])
def test_bad_time_limit_is_an_error(tmp_path, capsys, value):
    net, path = _net(tmp_path)
    line = _error(capsys, ["lipschitz", str(path), "--exact", "--time-limit", value])
    assert "--time-limit" in line


def test_time_limit_without_exact_is_an_error(tmp_path, capsys):
    net, path = _net(tmp_path)
    line = _error(capsys, ["lipschitz", str(path), "--time-limit", "5"])
    assert "--time-limit" in line and "--exact" in line


def test_time_limit_that_is_not_a_number_is_an_error(tmp_path, capsys):
    net, path = _net(tmp_path)
    # argparse's own usage error (usage lines, then one error line)
    assert main(["lipschitz", str(path), "--exact", "--time-limit", "soon"]) == 2
    err = capsys.readouterr().err
    assert "argument --time-limit: invalid float value: 'soon'" in err
    assert "Traceback" not in err
