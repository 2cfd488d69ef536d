"""Benchmark: the R4 energy certificate at n = 4000, p = 3.

Run ``python benchmarks/poly_certificate.py``. Reports the median wall time of
:func:`numerics.certify.energy_certificate` (kernel, Cholesky, condition
estimate, certified weak-duality evaluation) against a baseline in the same
run: the bare closed formula ``y^T K^{-1} y`` with the same kernel matrix and
``numpy.linalg.solve`` (no condition check, no certification), and the ratio.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from numerics.certify import energy_certificate, kernel_coefficients, kernel_matrix
from numerics.data import random_dataset


def _median_time(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _baseline(X, y, p, homogeneous):
    coeffs, free, _ = kernel_coefficients(X.shape[1], p, homogeneous=homogeneous)
    K = kernel_matrix(X, coeffs)
    a = np.linalg.solve(K, y)
    if free:
        b = np.linalg.solve(K, np.ones_like(y))
        return float(y @ a - a.sum() ** 2 / b.sum())
    return float(y @ a)


def main(n: int = 4000, p: int = 3, repeats: int = 3) -> list[dict]:
    rows = []
    for d, hom in ((40, True), (30, False)):
        D = random_dataset(n, d, seed=0)
        t_cert, cert = _median_time(
            lambda D=D, hom=hom: energy_certificate(D.X, D.y, p, homogeneous=hom), repeats)
        t_base, base = _median_time(lambda D=D, hom=hom: _baseline(D.X, D.y, p, hom), repeats)
        rows.append({"n": n, "d": d, "p": p, "homogeneous": hom, "dim": cert.dim,
                     "certificate_s": t_cert, "baseline_s": t_base, "ratio": t_cert / t_base,
                     "value": cert.value, "formula": base,
                     "rel_gap": (base - cert.value) / base if cert.value else None})
    print(f"{'n':>5} {'d':>3} {'p':>2} {'hom':>5} {'dim V':>6} {'cert [s]':>9} "
          f"{'base [s]':>9} {'ratio':>6} {'E_cert':>10} {'rel gap':>9}")
    for r in rows:
        print(f"{r['n']:>5} {r['d']:>3} {r['p']:>2} {str(r['homogeneous']):>5} {r['dim']:>6} "
              f"{r['certificate_s']:>9.3f} {r['baseline_s']:>9.3f} {r['ratio']:>6.2f} "
              f"{r['value']:>10.4g} {r['rel_gap']:>9.1e}")
    return rows


if __name__ == "__main__":
    main()
