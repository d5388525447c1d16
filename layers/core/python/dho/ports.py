"""What the domain needs from the outside world, as Protocols. Adapters (DynamoDB, SNS) implement
them; unit tests use in-memory fakes."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Protocol

from dho.centre.enrolment import CaseloadPage, Enrolment
from dho.domain.access_log import AccessRecord
from dho.domain.advice import Advice
from dho.domain.alerts import Alert, Notification, PendingNotification
from dho.domain.findings import Rule
from dho.domain.plans import SelfManagementPlan
from dho.domain.quarantine import DEFAULT_PAGE_SIZE, QuarantinedMessage, QuarantinePage
from dho.domain.readings import DeviceReading
from dho.domain.registry import DeviceAssignment, Patient
from dho.domain.timeline import StoreOutcome, TimelineEntry


class TransientStoreError(Exception):
    """The store is throttled or unreachable: retrying the same message later can succeed."""


class TimelineRepository(Protocol):
    def store_reading(self, reading: DeviceReading, patient_id: str) -> StoreOutcome:
        """Write every entry of the reading once, atomically, and in the same write move the patient's
        newest mark of each of its series forward where the reading is newer (never back); a replay
        stores nothing."""
        ...

    def query(
        self, patient_id: str, series: str, start: datetime, end: datetime, *, limit: int = 1000,
        newest_first: bool = False,
    ) -> Sequence[TimelineEntry]:
        """Entries of one series measured in [start, end), oldest first (newest first with
        ``newest_first``: ``limit`` then keeps the newest), at most ``limit``. Reads every reading
        stored before the call (scoring runs right after the write)."""
        ...


class NewestReadings(Protocol):
    def newest_of(
        self, patient_ids: Sequence[str], *, consistent: bool = False
    ) -> Mapping[str, Mapping[str, datetime]]:
        """Per patient, the measured time of the newest stored entry of each series
        (:mod:`dho.domain.newest_readings`); a patient with no reading is absent. One batched read per 100
        patients of a per-patient summary that ``store_reading`` keeps in the transaction storing the
        reading. May lag a reading stored a moment ago unless ``consistent`` (scoring, right after the write)."""
        ...


class CaseloadTimeline(TimelineRepository, NewestReadings, Protocol):
    """What the centre reads: windows of a series, and the newest reading of each series of a page's patients."""


class LatestEntries(Protocol):
    def latest(self, patient_id: str, series: str, *, before: datetime) -> TimelineEntry | None:
        """The newest entry of one series measured before ``before`` (one bounded query, newest first,
        limit 1), or None if the series has none. Reads every reading stored before the call."""
        ...


class ScoringTimeline(TimelineRepository, LatestEntries, NewestReadings, Protocol):
    """What scoring reads: which series a patient has (the summary), windows of those, and, for adherence,
    the newest entry of one."""


class IngestTimeline(TimelineRepository, LatestEntries, Protocol):
    """What ingest needs: store readings, and the previous reading of a metric (plausibility of change)."""


class Roster(Protocol):
    def patients_in_slot(self, slot: int, *, limit: int) -> Sequence[str]:
        """The ids of the tenant's patients whose check slot (:func:`dho.domain.registry.roster_slot`)
        is ``slot``, at most ``limit`` (one bounded query, never a scan)."""
        ...


class Registry(Protocol):
    def register_patient(self, patient: Patient) -> None: ...

    def get_patient(self, patient_id: str) -> Patient | None: ...

    def assign_device(self, assignment: DeviceAssignment) -> None:
        """Give a device to a patient from ``valid_from``, ending the previous holder's period then."""
        ...

    def patient_for_device(self, device_id: str, measured_at: datetime) -> str | None: ...


class Quarantine(Protocol):
    def keep(self, message: QuarantinedMessage) -> bool:
        """Store a refused message with its reason; False if this very message (the same bytes) was
        already kept, on whatever day. Raises :class:`TransientStoreError` when throttled."""
        ...

    def list_day(self, day: date, *, now: datetime, limit: int = DEFAULT_PAGE_SIZE,
                 after: str | None = None) -> QuarantinePage:
        """At most ``limit`` of the messages that arrived on ``day`` (UTC) and are still kept at ``now``
        (not past their retention), in arrival order, from after ``after`` (the ``next_page`` of the page
        before). One bounded query: there is no "list all"."""
        ...


class PlanRepository(Protocol):
    def save(self, plan: SelfManagementPlan) -> None:
        """Store a new version (exactly one more than the newest); old versions stay for the audit."""
        ...

    def current(self, patient_id: str) -> SelfManagementPlan | None: ...


# ---- alerting (issue: scoring engine and nurse alerts) ----------------------------------------------
class AlertConflict(Exception):
    """A write lost an optimistic-concurrency race (the stored version moved on, or another alert is
    already open for the same patient + rule): reload the patient's open alerts and decide again."""


class AlertRepository(Protocol):
    def list_open(self, patient_id: str) -> Sequence[Alert]:
        """The patient's open and acknowledged alerts (at most one per rule), read consistently."""
        ...

    def closed_through(self, patient_id: str) -> Mapping[Rule, datetime]:
        """Per rule, the watermark: the measured time of the newest evidence of the patient's closed
        episodes of that rule (rules never closed are absent). Saving an alert that closes moves it up
        to the alert's ``last_evidence_at`` in the same write; creating an open alert whose
        ``last_evidence_at`` is not later than it raises :class:`AlertConflict`."""
        ...

    def get(self, alert_id: str) -> Alert | None: ...

    def triage(self, *, limit: int | None = None) -> Sequence[Alert]:
        """Every open and acknowledged alert of the tenant, red before yellow, oldest first."""
        ...

    def due_alerts(self, now: datetime, *, limit: int) -> Sequence[Alert]:
        """Open alerts whose ``sweep_due_at`` (as last saved) is not later than ``now``, the longest due
        first, at most ``limit``: one bounded key-range query, never every open alert. The index may lag a
        write by a moment; the alerts themselves are read consistently."""
        ...

    def index_for_sweep(self, alert: Alert, sweep_due_at: datetime | None) -> bool:
        """Set the alert's place on the sweep's index without writing the alert (for alerts stored
        before the index existed); False, changing nothing, if the stored alert is no longer ``alert``
        (the write that changed it placed it)."""
        ...

    def open_ids(self, alert_ids: Collection[str]) -> set[str]:
        """Which of these alerts are open or acknowledged now (read consistently)."""
        ...

    def save(
        self,
        alert: Alert,
        expected_version: int | None,
        *,
        pending: Sequence[PendingNotification] = (),
        sweep_due_at: datetime | None = None,
    ) -> bool:
        """Create (``expected_version`` None) or replace the stored ``expected_version`` with ``alert``
        (whose version is ``expected_version + 1``), and put ``pending`` in the outbox in the same
        atomic write (all or nothing). ``sweep_due_at``: when the escalation sweep next has work on the
        alert (:meth:`~dho.alerting.policy.AlertPolicy.sweep_due_at`); None takes it off the sweep's
        index (closed, or nothing left to do). Returns False, writing nothing, when creating an alert
        that exists already (a replayed decision). Raises :class:`AlertConflict` on a lost race and
        :class:`TransientStoreError` when throttled."""
        ...

    def due_notifications(self, now: datetime, *, limit: int | None = None) -> Sequence[PendingNotification]:
        """Outbox entries whose ``due_at`` is not later than ``now``, the longest due first (one query
        on the tenant's outbox, never a scan; may lag a write or a delete by a moment)."""
        ...

    def settle(self, pending: PendingNotification) -> bool:
        """Remove a published notification from the outbox; False if it was gone already (idempotent)."""
        ...


class Notifier(Protocol):
    def publish(self, notification: Notification, text: str) -> None:
        """Send ``text`` to the nurses subscribed to the notification's severity (and tier).
        Raises :class:`TransientStoreError` when the service is throttled or unreachable."""
        ...


# ---- FHIR export and the Normen access log ---------------------------------------------------------
class AlertHistory(Protocol):
    def opened_between(
        self, patient_id: str, start: datetime, end: datetime, *, limit: int = 1000
    ) -> Sequence[Alert]:
        """The patient's alerts (open or closed) opened in [start, end), oldest first, at most ``limit``."""
        ...


class AccessLog(Protocol):
    def record(self, access: AccessRecord) -> None:
        """Store the record durably before anything is returned; raise if it cannot be stored (the
        caller then returns nothing). Raises :class:`TransientStoreError` when throttled."""
        ...

    def record_all(self, accesses: Sequence[AccessRecord]) -> None:
        """Store every record durably before anything is returned, in as few writes as the store allows
        (a worklist logs one per row); raise if any cannot be stored (the caller then returns nothing)."""
        ...

    def accessed(
        self, patient_id: str, start: datetime, end: datetime, *, limit: int = 1000
    ) -> Sequence[AccessRecord]:
        """Who accessed the patient's data in [start, end), newest first, at most ``limit``."""
        ...


# ---- the centre API ----------------------------------------------------------------------------------
class Enrolments(Protocol):
    def enrol(self, enrolment: Enrolment) -> None:
        """Store the patient's enrolment (replaces the previous one of the patient)."""
        ...

    def save(self, enrolment: Enrolment, expected_version: int | None) -> bool:
        """Create (``expected_version`` None: only if the patient has none) or replace the stored
        ``expected_version``; False, writing nothing, if the stored enrolment is not the one expected."""
        ...

    def get(self, patient_id: str) -> Enrolment | None: ...

    def get_many(self, patient_ids: Sequence[str]) -> Mapping[str, Enrolment]:
        """The enrolments of these patients (bounded batch reads, never a scan); absent ones left out."""
        ...

    def caseload(self, *, limit: int, after: str | None = None) -> CaseloadPage:
        """Enrolled, not discharged patients, the review due first, at most ``limit``, after the page
        token ``after`` (one query on an index: it may lag a write by a moment)."""
        ...


class PlanHistory(Protocol):
    def versions_of(self, patient_id: str, *, limit: int) -> Sequence[SelfManagementPlan]:
        """The patient's plan versions, newest first, at most ``limit`` (one bounded query)."""
        ...


class DeviceHistory(Protocol):
    def devices_of(self, patient_id: str, *, limit: int) -> Sequence[DeviceAssignment]:
        """The patient's device assignment periods, newest first, at most ``limit`` (one bounded query
        on the patient's partition, never the devices')."""
        ...


class PatientRegistry(Registry, DeviceHistory, Protocol):
    """The registry as the centre's administrators keep it: patients, devices handed out and returned."""

    def unassign_device(self, device_id: str, patient_id: str, at: datetime) -> DeviceAssignment:
        """End the patient's open period of the device at ``at``; the ended period. Idempotent (a period
        already ended at ``at`` is answered as it is); raises :class:`~dho.domain.registry.AssignmentConflict`
        if the device's latest period is not the patient's, is ended otherwise or starts at or after ``at``."""
        ...


# ---- advice back to the patient's device (issue: the patient's side of the loop) ----------------------
class DeviceMessenger(Protocol):
    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Publish ``payload`` to an MQTT topic of the devices at QoS 1 (``retain``: the broker keeps it for
        the next subscriber). Raises :class:`TransientStoreError` when throttled or unreachable (after
        the client's own retries), and any other error when refused."""
        ...


class AdviceLog(Protocol):
    def recorded(self, advice: Advice) -> Advice | None:
        """The stored record of this advice (same patient, reading and message id), if any, read
        consistently: one key lookup."""
        ...

    def record(self, advice: Advice) -> None:
        """Keep what was sent (or could not be) in the patient's history; a record that says sent is
        never overwritten by one that says not sent. Raises :class:`TransientStoreError` when throttled."""
        ...

    def history(self, patient_id: str, start: datetime, end: datetime, *, limit: int = 100) -> Sequence[Advice]:
        """The patient's advice for readings measured in [start, end), oldest first, at most ``limit``."""
        ...
