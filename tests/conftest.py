import pytest

from ratecalc import TariffSet


@pytest.fixture(scope="session")
def tariffs() -> TariffSet:
    """The built-in tariff set, loaded once for the whole run."""
    return TariffSet.load(builtin=True)
