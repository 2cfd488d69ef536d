"""``robustlaw lipschitz NET.npz --domain {rd,ball,sphere}``: a certified
Lipschitz report for one network (lower bound with witness, proved upper
bounds, exact value where enumerable).

With no network file, ``--demo`` reports on a fixed, seeded demo network
(the reproduce step does this too).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

NAME = "lipschitz"
HELP = "certified Lipschitz report (lower with witness, upper, exact) for a network"
REPRODUCE_ORDER = 10


def register(parser):
    parser.add_argument("net", nargs="?", default=None,
                        help="network .npz written by TwoLayerNet.save")
    parser.add_argument("--demo", action="store_true",
                        help="use the built-in demo network instead of a file")
    parser.add_argument("--domain", choices=("rd", "ball", "sphere"), default="ball",
                        help="domain (default ball)")
    parser.add_argument("--radius", type=float, default=None,
                        help="radius of the ball or sphere (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the search (default 0)")
    parser.add_argument("--data", default=None,
                        help="optional data .npz (array X) used for pair quotients and starts")


def demo_network(seed: int = 0):
    """The demo network: ReLU, d = 3, k = 16, Gaussian weights and biases.

    >>> demo_network().k, demo_network().d
    (16, 3)
    """
    from numerics.models import TwoLayerNet

    rng = np.random.default_rng(seed)
    k, d = 16, 3
    return TwoLayerNet(rng.standard_normal(k) / np.sqrt(k), rng.standard_normal((k, d)),
                       0.5 * rng.standard_normal(k), "relu")


def _report(net, domain, seed, X=None):
    from numerics.lipschitz import lipschitz_report

    return lipschitz_report(net, domain, X=X, seed=seed)


def run(args) -> dict:
    from numerics.domain import Domain
    from numerics.models import TwoLayerNet

    if args.net is None and not args.demo:
        raise ValueError("net: give a network .npz file or --demo")
    if args.net is not None and args.demo:
        raise ValueError("net: give either a file or --demo, not both")
    if args.radius is not None and args.domain == "rd":
        raise ValueError("radius: R^d takes no radius")
    if args.radius is not None and not args.radius > 0:
        raise ValueError(f"radius: must be > 0, got {args.radius}")
    if args.net is not None:
        if not Path(args.net).exists():
            raise FileNotFoundError(f"net: no such file {args.net}")
        net = TwoLayerNet.load(args.net)
    else:
        net = demo_network()
    X = None
    if args.data is not None:
        with np.load(args.data, allow_pickle=False) as z:
            if "X" not in z.files:
                raise ValueError(f"data: {args.data} lacks array X")
            X = np.array(z["X"])
    domain = Domain.parse(args.domain, args.radius)
    rep = _report(net, domain, args.seed, X)
    out = rep.to_dict()
    out["network"] = {"k": net.k, "d": net.d, "activation": net.spec,
                      "source": args.net or "demo"}
    out["files"] = []
    out["text"] = f"{net!r}\n" + rep.summary()
    return out


def reproduce(out_dir: Path, *, seed: int) -> list[Path]:
    """Lipschitz reports of the demo network on R^d, the unit ball and the
    unit sphere, as JSON and as a LaTeX table."""
    from numerics.domain import Domain
    from theory.latex import render_table

    net = demo_network(seed)
    rows, reports = [], {}
    for domain in (Domain.rd(), Domain.ball(1.0), Domain.sphere(1.0)):
        rep = _report(net, domain, seed)
        reports[domain.kind] = rep.to_dict()
        label = {"rd": r"$\mathbb R^d$", "ball": r"ball $B_1$",
                 "sphere": r"sphere $S^{d-1}$ (geodesic)"}[domain.kind]
        rows.append({"domain": label, "lower": rep.lower, "exact": rep.exact,
                     "upper": rep.upper, "method": rep.upper_method.replace("_", " "),
                     "bracket": rep.bracket})
    out = Path(out_dir) / "lipschitz"
    out.mkdir(parents=True, exist_ok=True)
    js = out / "demo_report.json"
    tmp = js.with_suffix(".tmp")
    tmp.write_text(json.dumps(reports, indent=2))
    tmp.replace(js)
    tex = out / "demo_report.tex"
    tex.write_text(render_table(
        rows, [("domain", "domain"), ("lower", "lower (witnessed)"), ("exact", "exact"),
               ("upper", "upper (proved)"), ("method", "best upper"),
               ("bracket", "upper/lower")],
        caption="Certified Lipschitz bracket of the demo ReLU network (d = 3, k = 16).",
        label="tab:lipschitz-demo"))
    return [js, tex]
