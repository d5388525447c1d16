"""The questionnaires patients answer, as data: FHIR R4 ``Questionnaire`` resources (``<key>.json``) and how
their answers map to green / yellow / red (``<key>.zones.json``), both shipped in the core layer.

A new questionnaire is two files here: no code change. The key (the file name, e.g. ``heart_failure``) is
what devices send and what names the timeline series; the FHIR id is the key with hyphens (FHIR ids have no
underscore). Every resource's ``url`` is :data:`CANONICAL_BASE` + its id, and ``url|version`` is what the
exported QuestionnaireResponses reference.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CANONICAL_BASE = "https://dho-platform.github.io/fhir/Questionnaire/"
KEY_SYSTEM = "https://dho-platform.github.io/fhir/questionnaire-key"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
_MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
_MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
_HERE = Path(__file__).parent

Answer = str | bool | int | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Item:
    """One question: its type and the answers it accepts (codes of its options, a boolean, or an integer
    in [low, high]); ``repeats``: several codes may be chosen (a tuple)."""

    link_id: str
    text: str
    kind: str  # FHIR item type: choice | boolean | integer
    codes: tuple[str, ...] = ()
    ordinals: tuple[tuple[str, int], ...] = ()  # option code -> its score (ordinalValue), if scored
    low: int | None = None
    high: int | None = None
    repeats: bool = False

    def accepts(self, answer: Answer) -> bool:
        # bool is an int in Python: the checks are by exact type, so True is never a score of 1.
        if self.kind == "boolean":
            return type(answer) is bool
        if self.kind == "integer":
            return type(answer) is int and self.low is not None and self.high is not None and \
                self.low <= answer <= self.high
        if self.kind == "choice" and self.repeats and type(answer) is tuple:
            return 0 < len(answer) <= len(self.codes) and len(set(answer)) == len(answer) and \
                all(code in self.codes for code in answer)
        return type(answer) is str and answer in self.codes


@dataclass(frozen=True, slots=True)
class Definition:
    key: str
    resource: dict[str, Any]
    items: dict[str, Item]

    @property
    def fhir_id(self) -> str:
        return str(self.resource["id"])

    @property
    def canonical(self) -> str:
        """``url|version``: what a QuestionnaireResponse's ``questionnaire`` holds."""
        return f"{self.resource['url']}|{self.resource['version']}"

    def option(self, link_id: str, code: str) -> dict[str, Any] | None:
        """The coding (system, code, display) of an answer option, for the export."""
        for item in self.resource["item"]:
            if item["linkId"] == link_id:
                for option in item.get("answerOption", []):
                    if option["valueCoding"]["code"] == code:
                        return {k: option["valueCoding"][k] for k in ("system", "code", "display")}
        return None


def _extension(element: dict[str, Any], url: str, field: str) -> Any:
    return next((e[field] for e in element.get("extension", []) if e["url"] == url), None)


def _item(raw: dict[str, Any]) -> Item:
    options = list(raw.get("answerOption", []))
    ordinals = tuple((o["valueCoding"]["code"], int(v)) for o in options
                     if (v := _extension(o, ORDINAL_VALUE, "valueDecimal")) is not None)
    return Item(link_id=raw["linkId"], text=raw["text"], kind=raw["type"],
                codes=tuple(o["valueCoding"]["code"] for o in options), ordinals=ordinals,
                low=_extension(raw, _MIN_VALUE, "valueInteger"), high=_extension(raw, _MAX_VALUE, "valueInteger"),
                repeats=bool(raw.get("repeats", False)))


def _definition(path: Path) -> Definition:
    resource = json.loads(path.read_text(encoding="utf-8"))
    key = path.name.removesuffix(".json")
    return Definition(key, resource, {raw["linkId"]: _item(raw) for raw in resource["item"]})


@cache
def catalogue() -> dict[str, Definition]:
    """Every questionnaire shipped, by key (read once per process: the files do not change while it runs)."""
    paths = sorted(p for p in _HERE.glob("*.json") if not p.name.endswith(".zones.json"))
    return {d.key: d for d in map(_definition, paths)}


def by_fhir_id(fhir_id: str) -> Definition | None:
    return next((d for d in catalogue().values() if d.fhir_id == fhir_id), None)
