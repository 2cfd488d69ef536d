"""``robustlaw certify NET.npz DATA.npz``: which hypotheses hold, and every
applicable bound's value with its witnesses.

``NET.npz`` is written by :meth:`numerics.models.network.TwoLayerNet.save`; ``DATA.npz``
holds arrays ``X`` (n, d) and ``y`` (n,) of +-1. A bound whose hypotheses fail
is listed with the failing hypotheses instead of a value.
"""

from __future__ import annotations

NAME = "certify"
HELP = "certify lower bounds (R1, R2, R3) for a network on a dataset"


def register(parser):
    parser.add_argument("net", metavar="NET", help="network .npz (TwoLayerNet.save)")
    parser.add_argument("data", metavar="DATA", help="data .npz with arrays X and y")
    parser.add_argument("--radius", type=float, default=1.0, help="ball radius R (default 1)")
    parser.add_argument("--fit-tol", type=float, default=None,
                        help="exact-fit tolerance on max |f(x_i) - y_i| (default 1e-6)")
    parser.add_argument("--delta", type=float, default=0.05,
                        help="confidence parameter of R2 (default 0.05)")


def run(args) -> dict:
    from numerics.certify import FIT_TOL, certify
    from numerics.cli.commands._files import load_dataset, load_network

    net = load_network(args.net, "NET")
    D = load_dataset(args.data, "DATA")
    X, y = D.X, D.y
    fit_tol = FIT_TOL if args.fit_tol is None else args.fit_tol
    certs = certify(net, X, y, radius=args.radius, fit_tol=fit_tol, delta=args.delta)
    from numerics.certify import Instance

    fit = Instance(net, X, y, radius=args.radius, fit_tol=fit_tol).check("exact_fit")
    lines = [f"network: {net!r}; data: n = {X.shape[0]}, d = {X.shape[1]}",
             f"exact fit: {'yes' if fit.ok else 'NO'} ({fit.reason})"]
    for c in certs:
        b = c.bound
        rel = ">=" if b.direction == "lower" else "<="
        if c.value is None:
            failed = c.failed()
            head = (f"hypotheses fail: {', '.join(failed)}" if failed
                    else f"no value: {c.reason}")
            lines.append(f"[{b.key}] {b.name}: {head}")
            for name in failed:
                lines.append(f"    - {name}: {c.hypotheses_met[name].reason}")
        else:
            prob = f"  [with probability {c.probability}]" if c.probability else ""
            lines.append(f"[{b.key}] {b.name}: {b.quantity} {rel} {c.value:.6g}{prob}")
            if "pair" in c.witnesses:
                w = c.witnesses["pair"]
                lines.append(f"    witness pair {c.witnesses.get('pair_index')}: "
                             f"quotient {w.value:.6g}")
    return {"net": args.net, "data": args.data, "fit_tol": fit_tol,
            "certificates": [c.to_dict() for c in certs], "files": [],
            "text": "\n".join(lines)}
