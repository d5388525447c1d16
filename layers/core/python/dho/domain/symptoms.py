"""The questionnaires patients answer in the app: their ids come from the data files in
``dho/questionnaires`` (FHIR Questionnaire resources), not from code.

Each question has a closed set of answers (option codes, a boolean, an integer in a range), so a report can
be scored without free text (free text would risk names and health details ending up where they should
not). The zones (green / yellow / red) these answers map to are ``dho.domain.symptom_zones``' business.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from dho.questionnaires import Answer, Item, catalogue

__all__ = ["QUESTIONNAIRES", "Answer", "Item", "Questionnaire"]


class _FromCatalogue(type):
    """Makes :class:`Questionnaire` behave as the enum it was (``Questionnaire("copd")``, iteration,
    identity) while its members are the catalogue's keys: a new questionnaire is a data file."""

    def __iter__(cls) -> Iterator[Questionnaire]:
        return iter(_MEMBERS.values())

    def __call__(cls, value: str) -> Questionnaire:
        try:
            return _MEMBERS[value]
        except KeyError:
            raise ValueError(f"{value!r} is not a known questionnaire") from None


class Questionnaire(str, metaclass=_FromCatalogue):
    COPD: ClassVar[Questionnaire]
    HEART_FAILURE: ClassVar[Questionnaire]

    @property
    def value(self) -> str:
        return str.__str__(self)


_MEMBERS: dict[str, Questionnaire] = {key: str.__new__(Questionnaire, key) for key in catalogue()}
Questionnaire.COPD = _MEMBERS["copd"]
Questionnaire.HEART_FAILURE = _MEMBERS["heart_failure"]

QUESTIONNAIRES: dict[Questionnaire, dict[str, Item]] = {
    _MEMBERS[key]: definition.items for key, definition in catalogue().items()}
