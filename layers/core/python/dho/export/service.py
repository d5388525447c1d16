"""FHIR export of one patient's home-monitoring data for a GP, the hospital or the EHR.

The caller (the centre API) passes who asks as a :class:`~dho.export.request.Requester` built from the
verified token; the request itself names only the patient and the period. Every request, answered or
not, first gets its Normen access-log entry (``dho.domain.access_log``):
the entry is stored before anything is returned, and if it cannot be stored the export fails and
returns nothing. Order of work: validate the request (refused: nothing is read) → find the patient
(not found: nothing else is read) → read the period with bounded key-range queries (one per series and
one per alert rule, never a scan) → render the Bundle → validate it against the R4B models (an invalid
bundle never leaves) → log → return.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from dho.domain.access_log import FHIR_EXPORT_OBJECT, AccessOutcome, AccessRecord
from dho.domain.advice import Advice
from dho.domain.metrics import Metric
from dho.domain.registry import Patient
from dho.domain.symptoms import Questionnaire
from dho.domain.timeline import TimelineEntry, symptom_series
from dho.export.request import PATIENT_ID_PATTERN, ExportRequest, Requester, period_of, problems_of, usable
from dho.fhir.bundle import render_bundle, render_operation_outcome
from dho.ports import AccessLog, AdviceLog, AlertHistory, Registry, TimelineRepository
from dho.settings import ExportSettings

# Every series a timeline can hold: the metrics and the symptom sets.
EXPORTED_SERIES = (*(m.value for m in Metric), *(symptom_series(q) for q in Questionnaire))


class TooLarge(Exception):
    """The period holds more than one response may carry."""


@dataclass(frozen=True, slots=True)
class ExportResult:
    """``resource``: the Bundle when exported, else an OperationOutcome saying why not.
    ``counts``: resources per type (for metrics and logs; never an id or a value)."""

    outcome: AccessOutcome
    access_id: str
    resource: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)

    def response(self) -> dict[str, Any]:
        return {"outcome": self.outcome.value, "access_id": self.access_id, "resource": self.resource}


class FhirExportService:
    def __init__(
        self,
        settings: ExportSettings,
        registry: Registry,
        timeline: TimelineRepository,
        alerts: AlertHistory,
        access_log: AccessLog,
        validate: Callable[[dict[str, Any]], None],
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
        *,
        advice: AdviceLog | None = None,
    ) -> None:
        self._settings = settings
        self._registry = registry
        self._timeline = timeline
        self._alerts = alerts
        self._access_log = access_log
        self._validate = validate
        self._new_id = new_id
        self._advice = advice  # what the patient's devices were told (Communication); None: not exported

    def export(self, query: Any, requester: Requester, *, now: datetime) -> ExportResult:
        """``query``: the patient and the period (``ExportRequest``, validated here); ``requester``: who
        asks, from the verified token."""
        access_id = self._new_id()
        try:
            request = ExportRequest.from_event(query, max_period=self._settings.max_period)
        except ValidationError as invalid:
            self._access_log.record(_refused(query, requester, access_id, now))
            return ExportResult(AccessOutcome.REFUSED, access_id,
                                render_operation_outcome("invalid", problems_of(invalid)))

        patient = self._registry.get_patient(request.patient_id)
        if patient is None:
            self._access_log.record(_access(request, requester, access_id, now, AccessOutcome.NOT_FOUND))
            return ExportResult(AccessOutcome.NOT_FOUND, access_id, render_operation_outcome(
                "not-found", ["no patient with this id in this municipality"]))

        try:
            bundle = self._bundle(patient, request, access_id, now)
        except TooLarge as too_large:
            self._access_log.record(_access(request, requester, access_id, now, AccessOutcome.TOO_LARGE))
            return ExportResult(AccessOutcome.TOO_LARGE, access_id,
                                render_operation_outcome("too-costly", [str(too_large)]))
        except Exception:
            # Nothing is returned; the attempt still goes on the patient's record (best effort: the
            # export's own error is what the caller and the operators get, even if this write fails).
            with contextlib.suppress(Exception):
                self._access_log.record(_access(request, requester, access_id, now, AccessOutcome.FAILED))
            raise

        counts = _counts(bundle)
        self._access_log.record(
            _access(request, requester, access_id, now, AccessOutcome.EXPORTED, resources=sum(counts.values())))
        return ExportResult(AccessOutcome.EXPORTED, access_id, bundle, counts)

    def _bundle(self, patient: Patient, request: ExportRequest, access_id: str, now: datetime) -> dict[str, Any]:
        limit = self._settings.max_resources
        entries: list[TimelineEntry] = []
        for series in EXPORTED_SERIES:
            # One more than allowed: finding it means the period holds too much (never silently cut).
            entries.extend(self._timeline.query(patient.patient_id, series, request.since, request.until,
                                                limit=limit - len(entries) + 1))
            if len(entries) > limit:
                raise TooLarge(f"the period holds more than {limit} entries: ask for a shorter period")
        alerts = self._alerts.opened_between(patient.patient_id, request.since, request.until,
                                             limit=limit - len(entries) + 1)
        if len(entries) + len(alerts) > limit:
            raise TooLarge(f"the period holds more than {limit} entries: ask for a shorter period")
        advice: Sequence[Advice] = ()
        if self._advice is not None:
            advice = self._advice.history(patient.patient_id, request.since, request.until,
                                          limit=limit - len(entries) - len(alerts) + 1)
            if len(entries) + len(alerts) + len(advice) > limit:
                raise TooLarge(f"the period holds more than {limit} entries: ask for a shorter period")
        bundle = render_bundle(patient, entries, alerts, tenant_id=self._settings.tenant_id,
                               export_id=access_id, timestamp=now, advice=advice)
        if len(json.dumps(bundle, separators=(",", ":"))) > self._settings.max_response_bytes:
            raise TooLarge("the period's data is larger than one response may carry: ask for a shorter period")
        self._validate(bundle)
        return bundle


def _counts(bundle: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in bundle["entry"]:
        kind = str(entry["resource"]["resourceType"])
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def _access(
    request: ExportRequest, who: Requester, access_id: str, now: datetime, outcome: AccessOutcome, *,
    resources: int = 0,
) -> AccessRecord:
    return AccessRecord(
        access_id=access_id, patient_id=request.patient_id, accessed_at=now,
        information_object=FHIR_EXPORT_OBJECT, outcome=outcome,
        hpr=who.hpr, role=who.role, organisation=who.organisation,
        period_start=request.since, period_end=request.until, resources=resources,
    )


def _refused(event: Any, who: Requester, access_id: str, now: datetime) -> AccessRecord:
    """Who asked, and what an invalid request still tells: whatever of its fields is usable. A patient id
    that does not look like one (say, a national id sent by mistake) is not stored under any patient."""
    start, end = period_of(event)
    return AccessRecord(
        access_id=access_id,
        patient_id=usable(event, ("patient_id",), pattern=PATIENT_ID_PATTERN),
        accessed_at=now,
        information_object=FHIR_EXPORT_OBJECT,
        outcome=AccessOutcome.REFUSED,
        hpr=who.hpr,
        role=who.role,
        organisation=who.organisation,
        period_start=start,
        period_end=end,
    )
