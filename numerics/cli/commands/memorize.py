"""``robustlaw memorize DATA.npz --width N --bias-range LAMBDA``: build the S2
threshold memorizer of a two-class data set (``docs/mathematics.md#s2-memorization``).

DATA holds ``X`` (n, d) and ``y`` (n,) with labels ±1; the +1 class is covered.
Prints whether the network interpolates (checked on every point), the
second-layer width K, the parameter count ``N(d+1) + K(N+1) + (K+1)`` and the
number of uncovered points; ``--out NET.npz`` saves the network
(:meth:`numerics.construct.memorization.ThresholdNetwork.save`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

NAME = "memorize"
HELP = "S2: build a threshold network that memorizes DATA.npz (X, y = +-1)"


def register(parser):
    parser.add_argument("data", help="an .npz file with arrays X (n, d) and y (n,) in {-1, +1}")
    parser.add_argument("--width", type=int, required=True,
                        help="N, the number of first-layer hyperplanes (>= 1)")
    parser.add_argument("--bias-range", type=float, required=True, dest="bias_range",
                        help="LAMBDA: first-layer biases uniform in [-LAMBDA, LAMBDA] (>= 0)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", default=None, help="write the network to this .npz file")


def _load(path: str):
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"DATA: no such file: {path}")
    try:
        with np.load(p, allow_pickle=False) as z:
            missing = {"X", "y"} - set(z.files)
            if missing:
                raise ValueError(f"DATA: {path} lacks array(s) {sorted(missing)}")
            return z["X"], z["y"]
    except (OSError, EOFError) as exc:
        raise ValueError(f"DATA: {path} is not an .npz file ({exc})") from exc


def run(args) -> dict:
    from numerics.construct.memorization import memorize

    if args.width < 1:
        raise ValueError(f"--width: must be an integer >= 1, got {args.width}")
    if not np.isfinite(args.bias_range) or args.bias_range < 0:
        raise ValueError(f"--bias-range: must be a finite number >= 0, got {args.bias_range}")
    if args.seed < 0:
        raise ValueError(f"--seed: must be a non-negative int, got {args.seed}")
    X, y = _load(args.data)
    res = memorize(X, y, args.width, args.bias_range, seed=args.seed)
    files = []
    if args.out is not None:
        files.append(str(res.net.save(args.out)))
    out = {**res.to_dict(), "seed": args.seed, "data": args.data, "files": files}
    status = "interpolates" if res.interpolates else f"FAILED: {res.uncovered} uncovered"
    out["text"] = (f"{status}; second-layer width K = {res.K}, parameters = {res.parameters} "
                   f"(N = {args.width}, lambda = {args.bias_range:g}, n = {len(y)})"
                   + (f"; wrote {files[0]}" if files else ""))
    return out
