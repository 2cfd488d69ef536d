"""Shared pytest configuration: hypothesis profiles and numpy print options.

Profiles (chosen by the environment variable ``ROBUSTLAW_HYPOTHESIS_PROFILE``,
default ``dev``; ``.ci/run`` selects ``ci``):

- ``dev``: quick, for the edit-test loop.
- ``ci``: thorough, more examples per property.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("ROBUSTLAW_HYPOTHESIS_PROFILE", "dev"))
