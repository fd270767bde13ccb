import os
import shutil
import tempfile

import pytest

from ratecalc import TariffSet

# Tests never read or write the user's compiled-tariff cache: the whole session (and every command it
# starts, which inherits the environment) caches into a directory of its own, removed at the end.
# Tests of the cache itself point RATECALC_TARIFF_CACHE at their own tmp_path.
_SESSION_CACHE = tempfile.mkdtemp(prefix="ratecalc-test-cache-")
os.environ["RATECALC_TARIFF_CACHE"] = _SESSION_CACHE


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_SESSION_CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def tariffs() -> TariffSet:
    """The built-in tariff set, loaded once for the whole run."""
    return TariffSet.load(builtin=True)
