r"""``robustlaw lipschitz NET.npz --domain {rd,ball,sphere} --p {1,2,inf}``: a
certified Lipschitz report for one network (lower bound with witness, proved
upper bounds, exact value where enumerable), with respect to the
:math:`\ell_p` norm on inputs (default :math:`p = 2`).

With no network file, ``--demo`` reports on a fixed, seeded demo network
(the reproduce step does this too).

``--exact [--time-limit S]`` adds branch and bound over the activation arrangement
(relu, leaky relu and abs networks, any d; ``lipschitz_report(..., exact="bnb")``):
the bracket is tightened by its certified one, and the JSON has ``exact`` (null unless
the bracket closed), ``lower``, ``upper``, ``nodes`` and ``seconds`` (the whole report;
branch and bound's own time is ``bnb.seconds``). ``--time-limit`` defaults to 60 s.

NET may have m outputs (``a`` of shape (m, k), :class:`numerics.models.VectorTwoLayerNet`):
the report is then on the :math:`\ell_2` operator norm of the Jacobian (``--p 2`` only;
``--exact`` on rd and ball), and ``network.m`` in the JSON says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

NAME = "lipschitz"
HELP = "certified Lipschitz report (lower with witness, upper, exact) for a network"
REPRODUCE_ORDER = 10


#: The input norms: l_1, l_2 and l_inf (``--p``).
P_CHOICES = ("1", "2", "inf")


def register(parser):
    parser.add_argument("net", nargs="?", default=None, metavar="NET",
                        help="network .npz written by TwoLayerNet.save (a of shape (k,)) "
                             "or VectorTwoLayerNet.save (a of shape (m, k): m outputs, the "
                             "l2 operator-norm constant)")
    parser.add_argument("--demo", action="store_true",
                        help="use the built-in demo network instead of a file")
    parser.add_argument("--domain", choices=("rd", "ball", "sphere"), default="ball",
                        help="domain (default ball)")
    parser.add_argument("--radius", type=float, default=None,
                        help="radius of the ball or sphere (default 1)")
    parser.add_argument("--p", choices=P_CHOICES, default="2",
                        help="input norm l_p (default 2); the gradient is measured in the "
                             "dual norm")
    parser.add_argument("--seed", type=int, default=0, help="seed of the search (default 0)")
    parser.add_argument("--data", default=None,
                        help="optional data .npz (array X) used for pair quotients and starts")
    parser.add_argument("--exact", action="store_true",
                        help="branch and bound for the exact constant (piecewise-linear "
                             "activations; JSON: exact is null unless the bracket closed)")
    parser.add_argument("--time-limit", type=float, default=None, metavar="S",
                        help="seconds of branch and bound with --exact (default 60)")


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


#: Seconds of branch and bound when ``--exact`` is given without ``--time-limit``.
DEFAULT_TIME_LIMIT = 60.0


def _report(net, domain, seed, X=None, p: str = "2", exact: bool = False,
            time_limit: float | None = None):
    """The certified l_p report (one report for every p), with branch and bound
    when ``exact``."""
    from numerics.lipschitz import lipschitz_report

    if not exact:
        return lipschitz_report(net, domain, p=p, X=X, seed=seed)
    tl = DEFAULT_TIME_LIMIT if time_limit is None else time_limit
    return lipschitz_report(net, domain, p=p, X=X, seed=seed, exact="bnb", time_limit=tl)


def _check_exact_options(args, net) -> None:
    """ValueError naming ``--exact`` or ``--time-limit`` as typed."""
    import math

    tl = getattr(args, "time_limit", None)
    if tl is not None:
        if not getattr(args, "exact", False):
            raise ValueError("--time-limit: only with --exact (the budget of branch and bound)")
        if not math.isfinite(tl) or tl < 0:
            raise ValueError(f"--time-limit: must be a number of seconds >= 0, got {tl:g}")
    if getattr(args, "exact", False) and not net.activation.is_piecewise_linear:
        raise ValueError("--exact: branch and bound needs a piecewise-linear activation "
                         f"(relu, leaky_relu, abs), got {net.spec}")


def _check_vector_options(args, net) -> None:
    """Networks with m >= 2 outputs: l2 only; branch and bound on R^d and balls."""
    if getattr(net, "m", 1) < 2:
        return
    if getattr(args, "p", "2") != "2":
        raise ValueError(f"--p: a network with m = {net.m} outputs is handled for the l2 "
                         f"norm only (the Jacobian's operator norm), got --p {args.p}")
    if getattr(args, "exact", False) and args.domain == "sphere":
        raise ValueError("--domain: --exact for a network with m outputs handles rd and ball")


def _summary(rep) -> str:
    if hasattr(rep, "summary"):
        return rep.summary()
    d = rep.to_dict()
    exact = "n/a" if d["exact"] is None else f"{d['exact']:.6g}"
    return (f"Lip_{{{d['p']},{d['domain']}}}: lower {d['lower']:.6g} ({d['lower_method']}, "
            f"witnessed), exact {exact}, upper {d['upper']:.6g} ({d['upper_method']}); "
            f"upper/lower {d['upper'] / d['lower'] if d['lower'] > 0 else float('inf'):.4g}")


def run(args) -> dict:
    from numerics.cli.commands._files import load_arrays, load_network
    from numerics.domain import Domain

    if args.net is None and not args.demo:
        raise ValueError("NET: give a network .npz file or --demo")
    if args.net is not None and args.demo:
        raise ValueError("NET: give either a file or --demo, not both")
    if args.radius is not None and args.domain == "rd":
        raise ValueError("--radius: --domain rd (all of R^d) takes no radius")
    if args.radius is not None and not args.radius > 0:
        raise ValueError(f"--radius: must be > 0, got {args.radius}")
    net = load_network(args.net, "NET", vector=True) if args.net is not None else demo_network()
    _check_exact_options(args, net)
    _check_vector_options(args, net)
    X = None if args.data is None else load_arrays(args.data, "--data", "points")["X"]
    domain = Domain.parse(args.domain, args.radius)
    rep = _report(net, domain, args.seed, X, getattr(args, "p", "2"),
                  getattr(args, "exact", False), getattr(args, "time_limit", None))
    out = rep.to_dict()
    out.setdefault("p", args.p)
    out["network"] = {"k": net.k, "d": net.d, "m": getattr(net, "m", 1),
                      "activation": net.spec, "source": args.net or "demo"}
    out["files"] = []
    out["text"] = f"{net!r}\n" + _summary(rep)
    return out


def reproduce(out_dir: Path, *, seed: int) -> list[Path]:
    """Lipschitz reports of the demo network on R^d, the unit ball and the
    unit sphere, as JSON and as a LaTeX table."""
    from numerics.domain import Domain
    from numerics.names import display_name
    from theory.latex import render_table

    net = demo_network(seed)
    rows, reports = [], {}
    for domain in (Domain.rd(), Domain.ball(1.0), Domain.sphere(1.0)):
        rep = _report(net, domain, seed)
        reports[domain.kind] = rep.to_dict()
        label = {"rd": r"$\mathbb R^d$", "ball": r"ball $B_1$",
                 "sphere": r"sphere $S^{d-1}$ (geodesic)"}[domain.kind]
        rows.append({"domain": label, "lower": rep.lower, "exact": rep.exact,
                     "upper": rep.upper, "method": display_name(rep.upper_method),
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
