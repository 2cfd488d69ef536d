"""Shared pytest configuration: hypothesis profiles and numpy print options.

Profiles (chosen by the environment variable ``ROBUSTLAW_HYPOTHESIS_PROFILE``,
default ``dev``; ``.ci/run`` selects ``ci``):

- ``dev``: quick, for the edit-test loop.
- ``ci``: thorough, more examples per property.
"""

import os
import sys
from pathlib import Path

# One BLAS thread per process: the suites and sweeps parallelize over processes,
# and threaded BLAS on 2 cores thrashes (measured: 45 s vs 8 s for test_fit).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

# Shared test helpers live in tests/support (imported as ``support``).
sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "dev",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("ROBUSTLAW_HYPOTHESIS_PROFILE", "dev"))
