"""Fixtures shared by the sweep tests (grid/run and report)."""

import pytest

from numerics.experiments.sweep import expand_grid, run_sweep

SMALL = dict(ns=[10], ds=[12], ks=[3, 10], methods=["C1", "C3", "C4", "fit"], seeds=[0])


@pytest.fixture(scope="session")
def small_sweep(tmp_path_factory):
    path = tmp_path_factory.mktemp("sweep") / "s.jsonl"
    s = run_sweep(expand_grid(**SMALL), path, progress=False, light=True)
    return path, s
