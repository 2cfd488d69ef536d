"""Benchmark: the minimum-Lipschitz search against planted answers.

For each family of :mod:`numerics.experiments.planted` (teacher network, nearly orthogonal
points, d = 1), several data seeds and widths k >= k_min, run the search (never from the
planted network) and count how often its certified, re-verified U is within 5% of the
planted certified value P. Writes JSON lines (resumable) and a booktabs table.

Run:  OPENBLAS_NUM_THREADS=1 python benchmarks/planted.py [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from numerics.experiments.planted import planted_instance, planted_table, run_planted
from numerics.records import append_record, load_records, write_text_atomic

#: (family, n, d, widths): small enough for a laptop; --quick keeps the first seed.
CASES = [("teacher", 16, 4, (4, 8, 16)), ("teacher", 24, 8, (4, 12, 24)),
         ("orthogonal", 8, 16, (8, 12)), ("orthogonal", 12, 24, (12, 16)),
         ("line", 10, 1, (7, 12)), ("line", 14, 1, (7, 14))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/planted", help="output directory")
    ap.add_argument("--quick", action="store_true", help="one data seed")
    ap.add_argument("--seeds", type=int, default=3, help="data seeds per case (default 3)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "planted.jsonl"
    done = {r["key"] for r in load_records(path)} if path.exists() else set()
    for family, n, d, ks in CASES:
        for seed in range(1 if args.quick else args.seeds):
            inst = planted_instance(family, n, d, seed=seed)
            for k in ks:
                key = f"{family}|n={n}|d={d}|k={k}|seed={seed}"
                if key in done:
                    continue
                rec = dict(run_planted(inst, k), key=key)
                append_record(path, rec)
                print(json.dumps({x: rec[x] for x in ("key", "planted", "U", "ratio", "ok")}),
                      flush=True)
    rows = [r for r in load_records(path)]
    ok = sum(r["ok"] for r in rows)
    write_text_atomic(out / "planted_table.tex", planted_table(rows))
    print(f"{ok} of {len(rows)} runs within 5% of the planted value "
          f"(all re-verified: {all(r['verified'] for r in rows if r['U'] is not None)})")
    for fam in sorted({r["family"] for r in rows}):
        fr = [r for r in rows if r["family"] == fam]
        print(f"  {fam}: {sum(r['ok'] for r in fr)} / {len(fr)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
