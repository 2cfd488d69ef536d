"""Experiments: sweeps over (n, d, k), the certified tradeoff curve, random ReLU
networks and width (S1, S5), adversarially trained random features (S3).

Experiments describe grids of runs, write resumable JSON-lines records
(:mod:`numerics.records`), and turn records into tables and figures. May import
everything in :mod:`numerics` except the CLI.
"""
