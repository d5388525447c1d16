"""Instrument scores as published: the total is the sum of the chosen options' ordinal values (PHQ-9 0-27,
GAD-7 0-21; Kroenke 2001, Spitzer 2006), computed only when every scored item is answered (a partial
PHQ-9 has no published total); its severity band is the zone file's ``bands``."""

from __future__ import annotations

from collections.abc import Iterable

from dho.questionnaires import Answer, catalogue
from dho.questionnaires.zones import default_zone_rules


def total_score(key: str, answers: Iterable[tuple[str, Answer]]) -> int | None:
    """The total of a scored questionnaire, or None (not scored, or not every scored item answered)."""
    scored = {link: dict(item.ordinals) for link, item in catalogue()[key].items.items() if item.ordinals}
    if not scored:
        return None
    given = dict(answers)
    if set(scored) - set(given):
        return None
    total = 0
    for link, values in scored.items():
        answer = given[link]
        if type(answer) is not str or answer not in values:
            return None
        total += values[answer]
    return total


def severity_band(key: str, total: int) -> str | None:
    """The published severity band of ``total`` (e.g. PHQ-9 12: 'moderate'); None outside the bands."""
    return next((b.label for b in default_zone_rules(key).bands if b.low <= total <= b.high), None)
