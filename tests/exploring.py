"""Deterministic by default, exploratory on demand: how the property tests choose their examples.

The default run is reproducible. Hypothesis is derandomised (each test's examples follow from its own
code, and no example database replays what an earlier run found), and schemathesis, which generates
through hypothesis, is seeded with it. So CI tests exactly what a developer's machine tests with the same
package versions, and a failure is a defect to fix, never luck. No deadline and no too-slow health check:
both depend on how busy the machine is (speed is measured in `bench/`).

`RATECALC_EXPLORE=1` explores instead: fresh random seeds on every run, ten times the examples, failures
kept in `.hypothesis/` and replayed first until they pass, and each failure printed with a
`@reproduce_failure` blob.

Slow scenarios (`@pytest.mark.slow`) are left out of the default run; `RATECALC_SLOW=1` adds them, and
`python -m pytest -m slow` runs only them.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXPLORE = os.environ.get("RATECALC_EXPLORE", "") not in ("", "0")
SLOW = os.environ.get("RATECALC_SLOW", "") not in ("", "0")
SCALE = 10  # examples per property when exploring, against the default run

settings.register_profile(
    "ratecalc", derandomize=True, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ratecalc-explore",
    derandomize=False,
    max_examples=100 * SCALE,  # hypothesis' own default, ten times
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)


def examples(n: int) -> int:
    """A property's example count: `n` in the default run, SCALE times `n` when exploring."""
    return n * SCALE if EXPLORE else n


def load_profile() -> str:
    name = "ratecalc-explore" if EXPLORE else "ratecalc"
    settings.load_profile(name)
    return name
