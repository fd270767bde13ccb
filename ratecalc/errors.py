"""The two kinds of error a user can cause: bad input and a bad tariff file.

Both carry enough structure for a machine-readable error body (HTTP 422, CLI exit 2) and a one-line
message for people; neither should ever surface as a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class RatecalcError(Exception):
    """Base of every error ratecalc raises on purpose."""


class InputError(RatecalcError, ValueError):
    """A parcel or request field that cannot be quoted: names the field and the rule broken."""

    def __init__(self, field: str, message: str, *, rule: str | None = None, limit: object = None):
        self.field = field
        self.message = message
        self.rule = rule
        self.limit = limit
        super().__init__(f"{field}: {message}")

    def to_dict(self) -> dict:
        return {"field": self.field, "message": self.message, "rule": self.rule, "limit": self.limit}


@dataclass
class TariffProblem:
    """One thing wrong in one tariff file, located as precisely as the YAML parser allows."""

    file: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        inside = f" at {self.path}" if self.path else ""
        return f"{where}{inside}: {self.message}"


class TariffError(RatecalcError):
    """A tariff set that must not be used; lists every problem found, not just the first."""

    def __init__(self, problems: list[TariffProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
