"""``robustlaw lipschitz NET`` for a network with m outputs (``a`` of shape (m, k)): the l2
operator-norm bracket, branch and bound with ``--exact``, and bad files or options as one
error line with a non-zero exit."""

import json

import numpy as np
import pytest

from numerics.cli import main
from numerics.domain import Domain
from numerics.lipschitz import VectorWitness
from numerics.models import VectorTwoLayerNet


def _error(capsys, argv) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("robustlaw: error: ")
    assert "Traceback" not in err
    return lines[0]


def _net(tmp_path, m=3, k=7, d=3, seed=0):
    rng = np.random.default_rng(seed)
    net = VectorTwoLayerNet(rng.standard_normal((m, k)), rng.standard_normal((k, d)),
                            rng.standard_normal(k), "relu")
    return net, net.save(tmp_path / "vnet.npz")


def _json(capsys, argv):
    assert main(argv + ["--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("domain", ["rd", "ball"])
def test_vector_net_exact_json(tmp_path, capsys, domain):
    net, path = _net(tmp_path)
    out = _json(capsys, ["lipschitz", str(path), "--domain", domain, "--exact",
                         "--time-limit", "30"])
    assert out["network"]["m"] == 3 and out["network"]["k"] == 7
    assert out["lower"] <= out["upper"] <= out["lower"] * (1 + 1e-9)
    assert out["exact"] == out["lower"]
    assert {"closed_form", "lipsdp_block", "branch_and_bound"} <= set(out["uppers"])
    w = out["witness"]
    dom = Domain.rd() if domain == "rd" else Domain.ball(1.0)
    again = VectorWitness(np.array(w["points"]), np.array(w["direction"]), w["value"])
    assert again.verify(VectorTwoLayerNet.load(path), dom) == out["lower"]


def test_vector_net_without_exact(tmp_path, capsys):
    _, path = _net(tmp_path, m=2, k=5, d=2, seed=1)
    out = _json(capsys, ["lipschitz", str(path), "--domain", "sphere"])
    assert out["exact"] is None and 0 < out["lower"] <= out["upper"]


def test_bad_vector_files_and_options(tmp_path, capsys):
    np.savez(tmp_path / "bad.npz", a=np.ones((3, 5)), W=np.ones((6, 2)), b=np.zeros(6),
             activation=np.array("relu"))
    line = _error(capsys, ["lipschitz", str(tmp_path / "bad.npz")])
    assert "NET" in line and "a:" in line
    np.savez(tmp_path / "nan.npz", a=np.array([[1.0, np.nan]]), W=np.ones((2, 2)),
             b=np.zeros(2), activation=np.array("relu"))
    assert "a:" in _error(capsys, ["lipschitz", str(tmp_path / "nan.npz")])
    _, path = _net(tmp_path)
    assert "--p" in _error(capsys, ["lipschitz", str(path), "--p", "inf"])
    assert "--domain" in _error(capsys, ["lipschitz", str(path), "--domain", "sphere",
                                         "--exact"])
    # commands that take scalar networks say so
    assert "m outputs" in _error(capsys, ["certify", str(path), str(path)])
