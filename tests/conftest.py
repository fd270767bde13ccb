import os
import shutil
import tempfile

import pytest
from exploring import SLOW, load_profile

from ratecalc import TariffSet

HYPOTHESIS_PROFILE = load_profile()  # derandomised, or exploring with RATECALC_EXPLORE=1 (tests/exploring.py)

# Tests never read or write the user's compiled-tariff cache: the whole session (and every command it
# starts, which inherits the environment) caches into a directory of its own, removed at the end.
# Tests of the cache itself point RATECALC_TARIFF_CACHE at their own tmp_path.
_SESSION_CACHE = tempfile.mkdtemp(prefix="ratecalc-test-cache-")
os.environ["RATECALC_TARIFF_CACHE"] = _SESSION_CACHE


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_SESSION_CACHE, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> str:
    slow = "included" if SLOW or config.getoption("markexpr") else "left out (RATECALC_SLOW=1 adds them)"
    return f"ratecalc: hypothesis profile {HYPOTHESIS_PROFILE}; slow scenarios {slow}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow scenarios run on demand: with RATECALC_SLOW=1, or when `-m` chooses by marker (`-m slow`)."""
    if SLOW or config.getoption("markexpr"):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]


@pytest.fixture(scope="session")
def tariffs() -> TariffSet:
    """The built-in tariff set, loaded once for the whole run."""
    return TariffSet.load(builtin=True)
