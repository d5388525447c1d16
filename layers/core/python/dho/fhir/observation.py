"""Timeline entries → FHIR R4B Observation resources (as JSON-ready dicts), with ids and references
that resolve within the export's Bundle (``dho.fhir.references``).

Rendering builds plain dicts, not fhir.resources objects: those cost ≈240 µs each (measured here), so
the ingest path never renders; the export path does, and the tests check every shape against
fhir.resources' R4B models.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dho.domain.clock import to_canonical
from dho.domain.metrics import Metric
from dho.domain.timeline import TimelineEntry
from dho.fhir.codes import (
    BLOOD_PRESSURE_PANEL,
    LOINC,
    LOINC_BY_METRIC,
    OBSERVATION_CATEGORY,
    READING_IDENTIFIER_SYSTEM,
    SPO2_PROFILE_CODE,
    UCUM,
)
from dho.fhir.references import device_reference, patient_reference, resource_id

_PANEL_PARTS = (Metric.SYSTOLIC_BP, Metric.DIASTOLIC_BP)


def render_observations(entries: Sequence[TimelineEntry], tenant_id: str) -> list[dict[str, Any]]:
    """The Observations of one reading: one per metric, with systolic and diastolic pressure as the
    components of a single blood-pressure panel (as the vital-signs profile wants)."""
    measured = [e for e in entries if e.value is not None]
    by_metric = {Metric(e.series): e for e in measured}
    observations: list[dict[str, Any]] = []
    if all(part in by_metric for part in _PANEL_PARTS):
        observations.append(_blood_pressure_panel([by_metric[p] for p in _PANEL_PARTS], tenant_id))
    for entry in measured:
        if Metric(entry.series) not in _PANEL_PARTS:
            observations.append(_single(entry, tenant_id))
    return observations


def _codeable(code: tuple[str, str], *extra: tuple[str, str]) -> dict[str, Any]:
    return {"coding": [{"system": LOINC, "code": c, "display": d} for c, d in (code, *extra)],
            "text": code[1]}


def _quantity(entry: TimelineEntry) -> dict[str, Any]:
    return {"value": entry.value, "unit": entry.unit, "system": UCUM, "code": entry.unit}


def _category(metric: Metric) -> list[dict[str, Any]]:
    # Capillary glucose is a point-of-care lab test, not a vital sign in the FHIR vital-signs profile.
    code = "laboratory" if metric is Metric.BLOOD_GLUCOSE else "vital-signs"
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code}]}]


def _base(entry: TimelineEntry, tenant_id: str, code_key: str, metric: Metric) -> dict[str, Any]:
    identifier = f"{tenant_id}/{entry.device_id}/{entry.reading_id}/{code_key}"
    return {
        "resourceType": "Observation",
        "id": resource_id("Observation", READING_IDENTIFIER_SYSTEM, identifier),
        # Stable business identifier: the EHR can de-duplicate a re-export, as we do on ingest.
        "identifier": [{"system": READING_IDENTIFIER_SYSTEM, "value": identifier}],
        "status": "final",
        "category": _category(metric),
        "subject": patient_reference(tenant_id, entry.patient_id),
        "device": device_reference(tenant_id, entry.device_id),
        "effectiveDateTime": to_canonical(entry.measured_at),
        "issued": to_canonical(entry.received_at),
    }


def _single(entry: TimelineEntry, tenant_id: str) -> dict[str, Any]:
    metric = Metric(entry.series)
    extra = (SPO2_PROFILE_CODE,) if metric is Metric.SPO2 else ()
    return {**_base(entry, tenant_id, metric.value, metric),
            "code": _codeable(LOINC_BY_METRIC[metric], *extra),
            "valueQuantity": _quantity(entry)}


def _blood_pressure_panel(parts: list[TimelineEntry], tenant_id: str) -> dict[str, Any]:
    return {
        **_base(parts[0], tenant_id, "blood_pressure", Metric.SYSTOLIC_BP),
        "code": _codeable(BLOOD_PRESSURE_PANEL),
        "component": [
            {"code": _codeable(LOINC_BY_METRIC[Metric(part.series)]), "valueQuantity": _quantity(part)}
            for part in parts
        ],
    }
