"""S3 confrontation run: the cited saddle-point formula against adversarially trained
random features at growing d (``docs/mathematics.md#s3-random-features``).

Usage::

    python benchmarks/rf_theory.py run SMALL|LARGE [--out results/rf_confront]
    python benchmarks/rf_theory.py report [--out results/rf_confront]

``run`` appends to ``OUT/records.jsonl`` (resumable; one row per training run);
``SMALL`` runs d = 50 (8 seeds) and d = 100 (6 seeds), ``LARGE`` d = 200 (4 seeds,
N <= 800) and d = 400 (3 seeds, N <= 800); ``XL200``/``XL400`` add psi1 = 10 at
d = 200 and psi1 = 4 at d = 400 (3 seeds). ``report`` extrapolates in 1/d and
compares with the formula (``OUT/comparison.json``) and draws the headline figure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from numerics.experiments import rf_confront as rc  # noqa: E402
from numerics.records import read_records, write_json_atomic  # noqa: E402

SETTINGS = ((2.0, 0.3), (2.0, 1.0), (1.0, 0.5))
PSI1S = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0)
GROUPS = {
    "SMALL": [(50, range(8), None), (100, range(6), 1000)],
    "LARGE": [(200, range(4), 800), (400, range(3), 800)],
    "XL200": [(200, range(3), 2000)],
    "XL400": [(400, range(3), 1600)],
}
#: psi1 values of the XL groups (the points the LARGE group skips).
XL_PSI1 = {"XL200": (10.0,), "XL400": (4.0,)}


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["run", "report"])
    p.add_argument("group", nargs="?", default="SMALL")
    p.add_argument("--out", default="results/rf_confront")
    a = p.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    if a.what == "run":
        path = out / f"records_{a.group.lower()}.jsonl"
        for d, seeds, max_n in GROUPS[a.group]:
            rc.run_grid(settings=SETTINGS, psi1s=XL_PSI1.get(a.group, PSI1S), ds=[d],
                        seeds_for_d=lambda _d, s=seeds: list(s), max_N=max_n, path=path,
                        progress=lambda r: print(json.dumps(
                            {k: r[k] for k in ("d", "psi1", "psi2", "eps", "seed",
                                               "clean_pop", "low", "up", "seconds")}),
                            flush=True))
        return
    rows = []
    for f in sorted(out.glob("records_*.jsonl")):
        rows += read_records(f)
    comp = rc.compare(rows)
    write_json_atomic(out / "comparison.json", comp, allow_nan=True)
    from numerics.experiments import rf_report

    rf_report.plot_confrontation(rows, comp, out / "rf_theory_vs_simulation")
    for c in comp:
        print(f"{c['psi2']:4} {c['eps']:4} {c['psi1']:5} {c['measure']:9} th {c['theory']:.4f} "
              f"sim {c['sim']:.4f} se {c['se']:.4f} ratio {c['ratio']:.3f} z {c['z']:+.1f}")


if __name__ == "__main__":
    main()
