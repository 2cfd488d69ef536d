"""Regime check: sympy leading-order forms against numerics.

For rows uniform on the sphere and Rademacher labels, at n/d in {0.5, 1, 2} and
d in {50, 100, 200} (median over seeds):

- R1 (k = d/2): the bound evaluated on the instance (actual n+-, ||X||_op, r)
  against the leading term of ``get_bound("R1").regime("linear", k=kappa*d)``;
- R3 (k = d/2): the bound evaluated with the actual ||X^T diag(y) X||_op against
  the leading term of ``get_bound("R3").regime("linear")``.

Prints a table and the mean relative deviation per bound (target: <= 10%).
Run: ``python benchmarks/regimes.py``.
"""

from __future__ import annotations

import time

import numpy as np

from numerics.data import rademacher_labels, sphere_data
from theory.bounds import d as d_sym
from theory.bounds import get_bound, kappa


def main(seeds: int = 5) -> dict:
    r1, r3 = get_bound("R1"), get_bound("R3")
    reg1 = r1.regime("linear", k=kappa * d_sym)
    reg3 = r3.regime("linear")
    rows, dev = [], {"R1": [], "R3": []}
    t0 = time.perf_counter()
    for d in (50, 100, 200):
        for ratio in (0.5, 1.0, 2.0):
            n = int(ratio * d)
            k = d // 2
            v1, v3 = [], []
            for s in range(seeds):
                X = sphere_data(n, d, seed=1000 * d + 10 * s + int(4 * ratio))
                y = rademacher_labels(n, seed=7 + 1000 * d + 10 * s + int(4 * ratio))
                npl, nmi = int(np.sum(y > 0)), int(np.sum(y < 0))
                if npl == 0 or nmi == 0:
                    continue
                xop = float(np.linalg.norm(X, 2))
                v1.append(r1.evaluate(n_plus=npl, n_minus=nmi, X_op=xop, r=k))
                mop = float(np.abs(np.linalg.eigvalsh((X.T * y) @ X)).max())
                v3.append(r3.evaluate(n=n, k=k, d=d, M_op=mop))
            num1, num3 = float(np.median(v1)), float(np.median(v3))
            lead1 = reg1.evaluate(c=ratio, d=d, kappa=k / d)
            lead3 = reg3.evaluate(c=ratio, d=d, k=k)
            dev["R1"].append(abs(num1 / lead1 - 1))
            dev["R3"].append(abs(num3 / lead3 - 1))
            rows.append((d, ratio, num1, lead1, num3, lead3))
    print(f"{'d':>5} {'n/d':>5} {'R1 num':>9} {'R1 lead':>9} {'ratio':>7} "
          f"{'R3 num':>9} {'R3 lead':>9} {'ratio':>7}")
    for d, ratio, a, b, c3, e in rows:
        print(f"{d:5d} {ratio:5.1f} {a:9.4f} {b:9.4f} {a / b:7.3f} {c3:9.4f} {e:9.4f} "
              f"{c3 / e:7.3f}")
    out = {key: float(np.mean(v)) for key, v in dev.items()}
    print("mean |numeric/leading - 1|: " + ", ".join(f"{k} {v:.3%}" for k, v in out.items()))
    print(f"seconds: {time.perf_counter() - t0:.1f}")
    return out


if __name__ == "__main__":
    main()
