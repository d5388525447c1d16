"""The centre's service: the worklist over its tenants, acting on alerts, the patient view and the
access log. Every route of the centre API calls one method here after the access policy has let the
caller in (``dho.centre.access.authorize``); here each patient is checked against the caller's scope
and every read of patient data is written to the tenant's Normen access log before it is returned (if
that write fails, nothing is returned).

Reads are bounded: the worklist is one query per served tenant on the alerts' triage index (at most
``ROWS_PER_TENANT`` rows) and batch reads of the rows' enrolments; the patient view reads by key and by
key range. Nothing scans.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from dho.alerting.service import AlertService
from dho.centre.access import Action, grants, readable_tenants, sees_patient
from dho.centre.enrolment import Enrolment
from dho.centre.roles import Caller
from dho.domain.access_log import AccessOutcome, AccessRecord
from dho.domain.advice import Advice
from dho.domain.alerts import SEVERITY_RANK, ActionKind, Alert, AlertClosedError, CloseReason
from dho.domain.findings import Rule
from dho.domain.timeline import TimelineEntry
from dho.export.request import Requester
from dho.export.service import EXPORTED_SERIES, ExportResult
from dho.ports import AccessLog, AdviceLog, AlertConflict, AlertRepository, CaseloadTimeline, Enrolments

ROWS_PER_TENANT = 200  # one triage query per tenant is bounded by this (the list says when it was cut)
RECENT_READINGS = timedelta(days=7)  # what the patient view shows of the timeline
READINGS_PER_SERIES = 50
ACCESS_LOG_MAX_PERIOD = timedelta(days=366)

WORKLIST_OBJECT = "worklist row: alert summary with the patient's name, code and programme"
PATIENT_OBJECT = "patient view: enrolment, open alerts, readings of the last 7 days"
ALERT_ACTION_OBJECT = "alert: state after a nurse's action"
ACCESS_LOG_OBJECT = "access log of the patient"
FHIR_OBJECT = "home-monitoring FHIR R4B Bundle (refused before export)"


class NotFound(Exception):
    """No such patient or alert in this tenant, or not one the caller may see (404: no difference told)."""


class AccessNotRecorded(Exception):
    """The access log could not store the access: the read is refused, nothing is returned (503)."""


class StaleVersion(Exception):
    """The alert has moved on since the version the caller acted on (409)."""

    def __init__(self, message: str, current: Alert) -> None:
        super().__init__(message)
        self.current = current


class FhirExporter(Protocol):
    def export(self, query: Any, requester: Requester, *, now: datetime) -> ExportResult: ...


@dataclass(frozen=True, slots=True)
class TenantData:
    """One served tenant's stores, as the centre's function reaches them."""

    tenant_id: str
    alerts: AlertRepository
    actions: AlertService
    enrolments: Enrolments
    timeline: CaseloadTimeline
    access_log: AccessLog
    exporter: FhirExporter | None = None  # the FHIR export (dho.export), with the verified identity
    advice_log: AdviceLog | None = None  # what the patient's devices were told (the patient view lists it)


@dataclass(frozen=True, slots=True)
class WorklistRow:
    tenant_id: str
    alert: Alert
    enrolment: Enrolment | None  # None only if the patient's enrolment is missing (shown by id)


@dataclass(frozen=True, slots=True)
class Worklist:
    rows: tuple[WorklistRow, ...]
    truncated: tuple[str, ...]  # tenants with more open alerts than one page shows


@dataclass(frozen=True, slots=True)
class PatientView:
    tenant_id: str
    enrolment: Enrolment
    open_alerts: tuple[Alert, ...]
    readings: tuple[TimelineEntry, ...]
    advice: tuple[Advice, ...] = ()  # sent (or not) to the patient's devices, for the readings shown


@dataclass(frozen=True, slots=True)
class CloseAlert:
    outcome: CloseReason
    note: str | None


@dataclass(frozen=True, slots=True)
class SnoozeAlert:
    """Snooze until a time, or for some minutes from the request (exactly one of the two)."""

    until: datetime | None
    minutes: int | None
    note: str | None

    def wakes_at(self, now: datetime) -> datetime:
        if self.until is not None:
            return self.until
        if self.minutes is None:
            raise ValueError("a snooze needs until or minutes")
        return now + timedelta(minutes=self.minutes)


NurseAction = CloseAlert | SnoozeAlert | None  # None: acknowledge (it carries nothing but who and when)
_PURPOSE = {CloseAlert: "close", SnoozeAlert: "snooze"}


class CentreService:
    def __init__(
        self,
        centre_id: str,
        tenants: Mapping[str, TenantData],
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._centre_id = centre_id
        self._tenants = dict(tenants)
        self._new_id = new_id

    @property
    def served(self) -> frozenset[str]:
        return frozenset(self._tenants)

    # ---- the worklist -------------------------------------------------------------------------------

    def worklist(
        self,
        caller: Caller,
        now: datetime,
        *,
        tenant_id: str | None = None,
        programme: str | None = None,
        missed_measurements: bool = False,
    ) -> Worklist:
        """Open alerts across the tenants the caller may read, red before yellow, oldest first; with
        ``missed_measurements`` the daily list of missed measurements instead (kept off the alerts)."""
        tenants = readable_tenants(caller, Action.READ_WORKLIST, self.served)
        if tenant_id is not None:
            tenants = tuple(t for t in tenants if t == tenant_id)
        rows: list[WorklistRow] = []
        truncated: list[str] = []
        for tenant in tenants:
            data = self._tenants[tenant]
            alerts = data.alerts.triage(limit=ROWS_PER_TENANT)
            if len(alerts) >= ROWS_PER_TENANT:
                truncated.append(tenant)
            wanted = [a for a in alerts if (a.rule is Rule.MISSED_MEASUREMENTS) == missed_measurements]
            enrolments = data.enrolments.get_many([a.patient_id for a in wanted])
            tenant_rows = [
                WorklistRow(tenant, alert, enrolments.get(alert.patient_id))
                for alert in wanted
                if programme is None or _programme(enrolments.get(alert.patient_id)) == programme
            ]
            # Normen: every patient shown is logged before the list is returned (one write for them all).
            self._write(data, [
                self._access(data, caller, Action.READ_WORKLIST, patient_id, now, WORKLIST_OBJECT,
                             AccessOutcome.EXPORTED, purpose="worklist")
                for patient_id in dict.fromkeys(row.alert.patient_id for row in tenant_rows)
            ])
            rows.extend(tenant_rows)
        rows.sort(key=lambda r: (SEVERITY_RANK[r.alert.severity], r.alert.opened_at, r.tenant_id, r.alert.alert_id))
        return Worklist(tuple(rows), tuple(truncated))

    # ---- acting on an alert -------------------------------------------------------------------------

    def act(
        self, caller: Caller, tenant_id: str, alert_id: str, expected_version: int, action: NurseAction, now: datetime
    ) -> Alert:
        """Acknowledge (``action`` None), snooze or close the alert, if it is still at ``expected_version``.
        A retry of a request that went through (same caller, same action, the alert one version on)
        answers with the alert as it is, writing nothing; any other version mismatch is stale."""
        data = self._tenants[tenant_id]
        hpr = caller.hpr
        if hpr is None:  # authorize() refuses such callers already; a nurse action needs an HPR number
            raise NotFound("no HPR number")
        alert = data.alerts.get(alert_id)
        if alert is None:
            raise NotFound(f"no alert {alert_id} in tenant {tenant_id}")
        self._log(data, caller, Action.ACT_ON_ALERT, alert.patient_id, now, ALERT_ACTION_OBJECT,
                  AccessOutcome.EXPORTED, purpose=_PURPOSE.get(type(action), "acknowledge"))
        if alert.version != expected_version:
            if _already_done(alert, hpr, action, expected_version):
                return alert
            raise StaleVersion(f"the alert is at version {alert.version}, not {expected_version}", alert)
        try:
            if isinstance(action, CloseAlert):
                changed = data.actions.close(alert_id, hpr, now, action.outcome, note=action.note,
                                             expected_version=expected_version)
            elif isinstance(action, SnoozeAlert):
                changed = data.actions.snooze(alert_id, hpr, now, action.wakes_at(now), note=action.note,
                                              expected_version=expected_version)
            else:
                changed = data.actions.acknowledge(alert_id, hpr, now, expected_version=expected_version)
        except (AlertConflict, AlertClosedError):
            current = data.alerts.get(alert_id) or alert
            if _already_done(current, hpr, action, expected_version):
                return current
            raise StaleVersion("the alert changed while acting on it", current) from None
        if changed is None:
            raise NotFound(f"no alert {alert_id} in tenant {tenant_id}")
        return changed

    # ---- the patient view ---------------------------------------------------------------------------

    def patient(self, caller: Caller, tenant_id: str, patient_id: str, now: datetime) -> PatientView:
        data = self._tenants[tenant_id]
        enrolment = self._enrolment_in_scope(caller, data, patient_id, now, PATIENT_OBJECT, "patient view")
        since = now - RECENT_READINGS
        readings: list[TimelineEntry] = []
        for series in EXPORTED_SERIES:
            readings.extend(data.timeline.query(patient_id, series, since, now, limit=READINGS_PER_SERIES))
        readings.sort(key=lambda e: (e.measured_at, e.series))
        open_alerts = tuple(data.alerts.list_open(patient_id))
        advice = tuple(data.advice_log.history(patient_id, since, now)) if data.advice_log is not None else ()
        self._log(data, caller, Action.READ_PATIENT, patient_id, now, PATIENT_OBJECT, AccessOutcome.EXPORTED,
                  purpose="patient view", since=since, until=now,
                  resources=len(readings) + len(open_alerts) + len(advice))
        return PatientView(tenant_id, enrolment, open_alerts, tuple(readings), advice)

    def _enrolment_in_scope(
        self, caller: Caller, data: TenantData, patient_id: str, now: datetime, information_object: str, purpose: str
    ) -> Enrolment:
        """The patient's enrolment if one of the caller's roles covers the patient; otherwise the attempt
        is logged and answered like an unknown patient (NotFound)."""
        enrolment = data.enrolments.get(patient_id)
        outcome = AccessOutcome.NOT_FOUND if enrolment is None else AccessOutcome.REFUSED
        if enrolment is None or not sees_patient(caller, Action.READ_PATIENT, data.tenant_id, enrolment):
            self._log(data, caller, Action.READ_PATIENT, patient_id, now, information_object, outcome, purpose=purpose)
            raise NotFound(f"no patient {patient_id} in tenant {data.tenant_id}")
        return enrolment

    def fhir_export(
        self, caller: Caller, tenant_id: str, patient_id: str, since: datetime, until: datetime, now: datetime
    ) -> ExportResult:
        """The patient's data as a FHIR R4B Bundle (``dho.export``) for a caller whose role covers the
        patient, requested with the verified identity (the export writes its own access-log entry)."""
        data = self._tenants[tenant_id]
        if data.exporter is None or caller.hpr is None:
            raise NotFound("the FHIR export needs an HPR number and is not configured here")
        self._enrolment_in_scope(caller, data, patient_id, now, FHIR_OBJECT, "fhir export")
        roles = ",".join(sorted(a.role.value for a in grants(caller, Action.READ_PATIENT, tenant_id)))
        query = {"patient_id": patient_id, "since": since.isoformat(), "until": until.isoformat()}
        organisation = caller.organisation or f"centre {self._centre_id}"
        requester = Requester(hpr=caller.hpr, role=roles, organisation=organisation)
        return data.exporter.export(query, requester, now=now)

    # ---- the access log -----------------------------------------------------------------------------

    def access_log(
        self, caller: Caller, tenant_id: str, patient_id: str, since: datetime, until: datetime, now: datetime
    ) -> Sequence[AccessRecord]:
        """Who accessed the patient in [since, until), newest first (the privacy officer's question).
        Reading it is an access too, and is logged first."""
        data = self._tenants[tenant_id]
        self._log(data, caller, Action.READ_ACCESS_LOG, patient_id, now, ACCESS_LOG_OBJECT, AccessOutcome.EXPORTED,
                  purpose="access log review", since=since, until=until)
        return data.access_log.accessed(patient_id, since, until)

    # ---- plumbing -----------------------------------------------------------------------------------

    def _log(
        self,
        data: TenantData,
        caller: Caller,
        action: Action,
        patient_id: str,
        now: datetime,
        information_object: str,
        outcome: AccessOutcome,
        *,
        purpose: str,
        since: datetime | None = None,
        until: datetime | None = None,
        resources: int = 0,
    ) -> None:
        self._write(data, [self._access(data, caller, action, patient_id, now, information_object, outcome,
                                        purpose=purpose, since=since, until=until, resources=resources)])

    def _write(self, data: TenantData, records: Sequence[AccessRecord]) -> None:
        """Any failure to log refuses the read: :class:`AccessNotRecorded`, and nothing is returned."""
        try:
            if len(records) == 1:
                data.access_log.record(records[0])
            elif records:
                data.access_log.record_all(records)
        except Exception as error:
            raise AccessNotRecorded(f"the access log of tenant {data.tenant_id} refused the write") from error

    def _access(
        self,
        data: TenantData,
        caller: Caller,
        action: Action,
        patient_id: str,
        now: datetime,
        information_object: str,
        outcome: AccessOutcome,
        *,
        purpose: str,
        since: datetime | None = None,
        until: datetime | None = None,
        resources: int = 0,
    ) -> AccessRecord:
        roles = ",".join(sorted(a.role.value for a in grants(caller, action, data.tenant_id))) or "none"
        return AccessRecord(
            access_id=self._new_id(), patient_id=patient_id, accessed_at=now,
            information_object=information_object, outcome=outcome, hpr=caller.hpr, role=roles,
            organisation=caller.organisation, period_start=since, period_end=until, resources=resources,
            subject=caller.subject, purpose=f"{purpose} (centre {self._centre_id})",
        )


def _programme(enrolment: Enrolment | None) -> str | None:
    return None if enrolment is None else enrolment.programme


def _already_done(alert: Alert, hpr: str, action: NurseAction, expected_version: int) -> bool:
    """The alert is one version past what the caller acted on, and that version is this caller's
    very action: the request is a retry of one that went through."""
    if alert.version != expected_version + 1:
        return False
    if isinstance(action, CloseAlert):
        return alert.closed_by == hpr and alert.close_reason is action.outcome and alert.close_note == action.note
    if isinstance(action, SnoozeAlert):
        last = alert.history[-1] if alert.history else None
        if last is None or last.kind is not ActionKind.SNOOZED or last.by != hpr or last.note != action.note:
            return False
        # Minutes count from the first request's time, so a retry's own clock cannot tell: the length tells.
        return last.until == (action.until or last.at + timedelta(minutes=action.minutes or 0))
    return alert.acknowledged_by == hpr and alert.is_open and alert.updated_at == alert.acknowledged_at
