"""One line of the campaign's table: what a part sent, what it expected, what it saw, and the verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    NOT_RUN = "NOT RUN"  # the local cloud lacks the mode the part needs (said in the notes)


@dataclass(frozen=True)
class Row:
    part: str
    inputs: int
    expected: str
    observed: str
    lost: int
    duplicated: int
    crossed_tenants: int
    verdict: Verdict
    notes: list[str] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)  # e.g. readings/s, seconds

    @classmethod
    def judged(cls, part: str, inputs: int, expected: str, observed: str, *, lost: int, duplicated: int,
               crossed_tenants: int, other_failures: int = 0, notes: list[str] | None = None,
               figures: dict[str, float] | None = None) -> Row:
        """PASS only when nothing was lost, duplicated or crossed tenants and no other check failed."""
        failed = lost or duplicated or crossed_tenants or other_failures
        return cls(part, inputs, expected, observed, lost, duplicated, crossed_tenants,
                   Verdict.FAIL if failed else Verdict.PASS, notes or [], figures or {})

    @classmethod
    def not_run(cls, part: str, expected: str, reason: str) -> Row:
        return cls(part, 0, expected, "-", 0, 0, 0, Verdict.NOT_RUN, [reason])

    @classmethod
    def crashed(cls, part: str, expected: str, error: BaseException) -> Row:
        """The part itself raised: a failure of the run, shown as such rather than hidden."""
        return cls(part, 0, expected, "part raised", 0, 0, 0, Verdict.FAIL,
                   [f"{type(error).__name__}: {error}"])

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict.value}
