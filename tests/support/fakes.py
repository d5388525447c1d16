"""In-memory implementations of the ports, for unit tests of the services (no network)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from dho.advice.service import AdviceService
from dho.alerting.policy import AlertPolicy
from dho.alerting.service import AlertService
from dho.domain.advice import Advice, SendOutcome
from dho.domain.alerts import AlertPolicySettings
from dho.domain.clock import to_canonical
from dho.domain.plans import SelfManagementPlan
from dho.domain.quarantine import DEFAULT_PAGE_SIZE, DEFAULT_RETENTION, QuarantinedMessage, QuarantinePage, arrival_day
from dho.domain.readings import DeviceReading
from dho.domain.registry import AssignmentConflict, DeviceAssignment, Patient, roster_slot
from dho.domain.timeline import StoreOutcome, TimelineEntry, entries_for
from dho.evaluation.adherence import plan_in_force
from dho.evaluation.service import EvaluationService
from dho.ingest.service import IngestService
from dho.pipeline import ReadingsPipeline
from dho.ports import TransientStoreError
from tests.support.alert_fakes import InMemoryAlerts, RecordingNotifier


@dataclass
class InMemoryRegistry:
    patients: dict[str, Patient] = field(default_factory=dict)
    assignments: list[DeviceAssignment] = field(default_factory=list)

    def register_patient(self, patient: Patient) -> None:
        self.patients[patient.patient_id] = patient

    def get_patient(self, patient_id: str) -> Patient | None:
        return self.patients.get(patient_id)

    def assign_device(self, assignment: DeviceAssignment) -> None:
        # As the DynamoDB registry: idempotent, never back in time, and the previous holder's open period
        # ends where the new one starts.
        held = [a for a in self.assignments if a.device_id == assignment.device_id]
        latest = max(held, key=lambda a: a.valid_from, default=None)
        if latest == assignment:
            return
        if latest is not None:
            if assignment.valid_from <= latest.valid_from or (
                latest.valid_to is not None and assignment.valid_from < latest.valid_to
            ):
                raise AssignmentConflict(f"device {assignment.device_id} is assigned from {latest.valid_from}")
            if latest.valid_to is None:
                self.assignments[self.assignments.index(latest)] = replace(latest, valid_to=assignment.valid_from)
        self.assignments.append(assignment)

    def unassign_device(self, device_id: str, patient_id: str, at: datetime) -> DeviceAssignment:
        latest = max((a for a in self.assignments if a.device_id == device_id), key=lambda a: a.valid_from,
                     default=None)
        if latest is None or latest.patient_id != patient_id or latest.valid_from >= at:
            raise AssignmentConflict(f"device {device_id} is not assigned to this patient before then")
        if latest.valid_to is not None and latest.valid_to != at:
            raise AssignmentConflict(f"device {device_id} was returned at another time")
        ended = replace(latest, valid_to=at)
        self.assignments[self.assignments.index(latest)] = ended
        return ended

    def devices_of(self, patient_id: str, *, limit: int) -> list[DeviceAssignment]:
        own = [a for a in self.assignments if a.patient_id == patient_id]
        return sorted(own, key=lambda a: (a.valid_from, a.device_id), reverse=True)[:limit]

    def patient_for_device(self, device_id: str, measured_at: datetime) -> str | None:
        for assignment in self.assignments:
            if assignment.device_id == device_id and assignment.covers(measured_at):
                return assignment.patient_id
        return None

    def patients_in_slot(self, slot: int, *, limit: int) -> Sequence[str]:
        return sorted(p for p in self.patients if roster_slot(p) == slot)[:limit]


@dataclass
class InMemoryTimeline:
    fingerprints: dict[tuple[str, str], str] = field(default_factory=dict)
    entries: list[TimelineEntry] = field(default_factory=list)
    throttled_reading_ids: set[str] = field(default_factory=set)

    def store_reading(self, reading: DeviceReading, patient_id: str) -> StoreOutcome:
        if reading.reading_id in self.throttled_reading_ids:
            raise TransientStoreError("ThrottlingException")
        key = (reading.device_id, reading.reading_id)
        if key in self.fingerprints:
            same = self.fingerprints[key] == reading.fingerprint()
            return StoreOutcome.DUPLICATE if same else StoreOutcome.CONFLICT
        self.fingerprints[key] = reading.fingerprint()
        self.entries.extend(entries_for(reading, patient_id))
        return StoreOutcome.STORED

    def query(self, patient_id: str, series: str, start: datetime, end: datetime, *,
              limit: int = 1000, newest_first: bool = False) -> Sequence[TimelineEntry]:
        found = [e for e in self.entries
                 if e.patient_id == patient_id and e.series == series and start <= e.measured_at < end]
        return sorted(found, key=lambda e: (e.measured_at, e.reading_id), reverse=newest_first)[:limit]

    def newest_of(
        self, patient_ids: Sequence[str], *, consistent: bool = False
    ) -> Mapping[str, Mapping[str, datetime]]:
        newest: dict[str, dict[str, datetime]] = {}
        wanted = set(patient_ids)
        theirs = (e for e in self.entries if e.patient_id in wanted)
        for e in sorted(theirs, key=lambda e: (e.measured_at, e.reading_id)):
            newest.setdefault(e.patient_id, {})[e.series] = e.measured_at
        return newest

    def latest(self, patient_id: str, series: str, *, before: datetime) -> TimelineEntry | None:
        found = [e for e in self.entries
                 if e.patient_id == patient_id and e.series == series and e.measured_at < before]
        return max(found, key=lambda e: (e.measured_at, e.reading_id), default=None)


@dataclass
class InMemoryQuarantine:
    messages: dict[str, QuarantinedMessage] = field(default_factory=dict)
    retention: timedelta = DEFAULT_RETENTION

    def keep(self, message: QuarantinedMessage) -> bool:
        if message.digest in self.messages:
            return False
        self.messages[message.digest] = message
        return True

    def list_day(self, day: date, *, now: datetime, limit: int = DEFAULT_PAGE_SIZE,
                 after: str | None = None) -> QuarantinePage:
        keyed = sorted((f"{to_canonical(m.received_at)}#{m.digest}", m) for m in self.messages.values()
                       if arrival_day(m.received_at) == day)
        rest = [(key, m) for key, m in keyed if after is None or key > after]
        page = rest[:limit]
        kept = tuple(m for _, m in page if m.received_at + self.retention > now)
        return QuarantinePage(kept, page[-1][0] if len(rest) > limit else None)


@dataclass
class InMemoryPlans:
    versions: dict[str, list[SelfManagementPlan]] = field(default_factory=dict)

    def save(self, plan: SelfManagementPlan) -> None:
        self.versions.setdefault(plan.patient_id, []).append(plan)

    def current(self, patient_id: str) -> SelfManagementPlan | None:
        versions = self.versions.get(patient_id)
        return versions[-1] if versions else None

    def versions_of(self, patient_id: str, *, limit: int) -> list[SelfManagementPlan]:
        return list(reversed(self.versions.get(patient_id, [])))[:limit]


@dataclass
class RecordingMessenger:
    """What went to the devices' topics; ``failing`` topics raise like an unreachable IoT Core."""

    published: list[tuple[str, bytes, bool]] = field(default_factory=list)
    failing: bool = False

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        if self.failing:
            raise TransientStoreError("ServiceUnavailableException")
        self.published.append((topic, payload, retain))


@dataclass
class InMemoryAdviceLog:
    records: dict[tuple[str, str], Advice] = field(default_factory=dict)

    def recorded(self, advice: Advice) -> Advice | None:
        return self.records.get((advice.patient_id, advice.message_id))

    def record(self, advice: Advice) -> None:
        earlier = self.records.get((advice.patient_id, advice.message_id))
        if earlier is None or earlier.outcome is not SendOutcome.SENT:
            self.records[(advice.patient_id, advice.message_id)] = advice

    def history(self, patient_id: str, start: datetime, end: datetime, *, limit: int = 100) -> Sequence[Advice]:
        found = [a for (p, _), a in self.records.items() if p == patient_id and start <= a.measured_at < end]
        return sorted(found, key=lambda a: (a.measured_at, a.message_id))[:limit]


@dataclass
class FakeTenant:
    """A whole tenant on in-memory ports: the pipeline plus handles on what it wrote and sent."""

    registry: InMemoryRegistry = field(default_factory=InMemoryRegistry)
    timeline: InMemoryTimeline = field(default_factory=InMemoryTimeline)
    quarantine: InMemoryQuarantine = field(default_factory=InMemoryQuarantine)
    plans: InMemoryPlans = field(default_factory=InMemoryPlans)
    alerts: InMemoryAlerts = field(default_factory=InMemoryAlerts)
    notifier: RecordingNotifier = field(default_factory=RecordingNotifier)
    messenger: RecordingMessenger = field(default_factory=RecordingMessenger)
    advice_log: InMemoryAdviceLog = field(default_factory=InMemoryAdviceLog)

    def pipeline(self) -> ReadingsPipeline:
        ingest = IngestService("bodo", self.registry, self.timeline, self.quarantine)
        evaluation = EvaluationService(self.timeline, self.plans, self.registry)
        alerting = AlertService(AlertPolicy(AlertPolicySettings()), self.alerts, self.notifier, tenant_name="Bodø")
        advice = AdviceService("bodo", lambda patient, at: plan_in_force(self.plans, self.registry, patient, at),
                               self.messenger, self.advice_log, clock=lambda: RECEIVED_AT_PLUS_A_SECOND)
        return ReadingsPipeline(ingest, evaluation, alerting, advice)


RECEIVED_AT_PLUS_A_SECOND = datetime(2026, 11, 20, 12, 0, 1, tzinfo=UTC)  # when the fake tenant's advice goes out
