"""A response centre on in-memory ports: the centre "salten" serving the tenants bodo and saltdal, with
enrolled patients, open alerts, readings and a staff directory of one person per role. "sunnfjord" is a
tenant that has not named the centre: the centre holds no stores for it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from dho.advice.device_config import DeviceConfigPublisher
from dho.alerting.policy import AlertPolicy
from dho.alerting.service import AlertService
from dho.centre.caseload import CaseloadService
from dho.centre.enrolment import CaseloadPage, Enrolment
from dho.centre.enrolment_service import EnrolmentService
from dho.centre.records import PatientRecordsService, TenantRecords
from dho.centre.roles import HPR_CLAIM, ORG_CHILD_CLAIM, Assignment, Role, StaffDirectory
from dho.centre.service import CentreService, TenantData
from dho.domain.alerts import Alert, AlertPolicySettings, AlertState, alert_id_for
from dho.domain.findings import Rule, Severity
from dho.domain.metrics import Metric
from dho.domain.readings import DeviceReading, Measurement
from dho.domain.registry import Patient
from dho.export.service import FhirExportService
from dho.fhir.validation import validate_r4b
from dho.settings import ExportSettings
from tests.support.alert_fakes import InMemoryAlerts, RecordingNotifier
from tests.support.export_fakes import InMemoryAccessLog
from tests.support.fakes import (
    InMemoryAdviceLog,
    InMemoryPlans,
    InMemoryRegistry,
    InMemoryTimeline,
    RecordingMessenger,
)

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
Records = TypeVar("Records", bound=PatientRecordsService)
CENTRE = "salten"
SERVED = ("bodo", "saltdal")
NOT_SERVED = "sunnfjord"
TENANT_NAMES = {"bodo": "Bodø kommune", "saltdal": "Saltdal kommune"}

NURSE_HPR = "9100001"
GP_HPR = "9100101"
OTHER_GP_HPR = "9100102"
HOSPITAL_NURSE_HPR = "9100201"
HOSPITAL = "999000001"

# The callers, by the claims of their verified tokens.
CLAIMS: dict[str, dict[str, Any]] = {
    "centre_nurse": {"sub": "nurse-sub", HPR_CLAIM: NURSE_HPR},
    "gp": {"sub": "gp-sub", HPR_CLAIM: GP_HPR},
    "hospital_nurse": {"sub": "hospital-sub", HPR_CLAIM: HOSPITAL_NURSE_HPR, ORG_CHILD_CLAIM: HOSPITAL},
    "tenant_admin": {"sub": "admin-sub"},
    "privacy_officer": {"sub": "privacy-sub"},
    "other_centres_nurse": {"sub": "sunnfjord-nurse-sub", HPR_CLAIM: "9200001"},
}

DIRECTORY = StaffDirectory({
    f"hpr:{NURSE_HPR}": (Assignment(Role.CENTRE_NURSE, frozenset(SERVED)),),
    f"hpr:{GP_HPR}": (Assignment(Role.GP, frozenset({"bodo"})),),
    f"hpr:{HOSPITAL_NURSE_HPR}": (Assignment(Role.HOSPITAL_NURSE, frozenset({"bodo"}), HOSPITAL),),
    "sub:admin-sub": (Assignment(Role.TENANT_ADMIN, frozenset({"bodo"})),),
    "sub:privacy-sub": (Assignment(Role.PRIVACY_OFFICER, frozenset({"bodo"})),),
})

# Bodø: the GP's own patient (also in a collaboration with the hospital), another GP's patient.
OWN_PATIENT = "P-BODO0001"
OTHER_GPS_PATIENT = "P-BODO0002"
SALTDAL_PATIENT = "P-SALT0001"


@dataclass
class InMemoryEnrolments:
    enrolments: dict[str, Enrolment] = field(default_factory=dict)
    batch_reads: int = 0

    def enrol(self, enrolment: Enrolment) -> None:
        self.enrolments[enrolment.patient_id] = enrolment

    def save(self, enrolment: Enrolment, expected_version: int | None) -> bool:
        stored = self.enrolments.get(enrolment.patient_id)
        if (stored is None) != (expected_version is None) or (stored and stored.version != expected_version):
            return False
        self.enrolments[enrolment.patient_id] = enrolment
        return True

    def get(self, patient_id: str) -> Enrolment | None:
        return self.enrolments.get(patient_id)

    def get_many(self, patient_ids: Sequence[str]) -> Mapping[str, Enrolment]:
        self.batch_reads += 1
        return {p: self.enrolments[p] for p in patient_ids if p in self.enrolments}

    def caseload(self, *, limit: int, after: str | None = None) -> CaseloadPage:
        ordered = sorted((f"{e.review_on.isoformat()}#{e.patient_id}", e) for e in self.enrolments.values()
                         if not e.is_discharged)
        rest = [e for key, e in ordered if after is None or key > after]
        page = rest[:limit]
        more = len(rest) > limit
        return CaseloadPage(tuple(page), f"{page[-1].review_on.isoformat()}#{page[-1].patient_id}" if more else None)


def enrolment(patient_id: str, code: str, *, gp: str | None, hospitals: tuple[str, ...] = (),
              programme: str = "copd") -> Enrolment:
    return Enrolment(patient_id=patient_id, name=f"Pasient {code}", code=code, programme=programme,
                     centre_id=CENTRE, gp_hpr=gp, hospital_organisations=hospitals, decision_ref=f"V-{code}",
                     decided_on=date(2026, 10, 1), start=date(2026, 10, 2), review_on=date(2027, 1, 2))


def alert(patient_id: str, rule: Rule, severity: Severity, opened_at: datetime) -> Alert:
    return Alert(alert_id=alert_id_for(patient_id, rule, opened_at), patient_id=patient_id, rule=rule,
                 severity=severity, state=AlertState.OPEN, opened_at=opened_at, updated_at=opened_at,
                 last_evidence_at=opened_at, evidence=("r-1",), detail="SpO2 86 %", policy_version="test")


@dataclass
class AlertHistoryOf:
    """The export's view of the in-memory alerts: opened in [start, end), oldest first."""

    alerts: InMemoryAlerts

    def opened_between(self, patient_id: str, start: datetime, end: datetime, *, limit: int = 1000) -> list[Alert]:
        found = [a for a in self.alerts.alerts.values() if a.patient_id == patient_id and start <= a.opened_at < end]
        return sorted(found, key=lambda a: (a.opened_at, a.rule.value))[:limit]


@dataclass
class FakeTenantStores:
    tenant_id: str
    alerts: InMemoryAlerts = field(default_factory=InMemoryAlerts)
    enrolments: InMemoryEnrolments = field(default_factory=InMemoryEnrolments)
    timeline: InMemoryTimeline = field(default_factory=InMemoryTimeline)
    access_log: InMemoryAccessLog = field(default_factory=InMemoryAccessLog)
    registry: InMemoryRegistry = field(default_factory=InMemoryRegistry)
    plans: InMemoryPlans = field(default_factory=InMemoryPlans)
    advice_log: InMemoryAdviceLog = field(default_factory=InMemoryAdviceLog)
    messenger: RecordingMessenger = field(default_factory=RecordingMessenger)  # the devices' config

    def records(self) -> TenantRecords:
        return TenantRecords(plans=self.plans, history=AlertHistoryOf(self.alerts), registry=self.registry,
                             device_config=DeviceConfigPublisher(self.tenant_id, self.messenger, clock=lambda: NOW))

    def data(self) -> TenantData:
        actions = AlertService(AlertPolicy(AlertPolicySettings(version="test")), self.alerts, RecordingNotifier(),
                               tenant_name=self.tenant_id)
        settings = ExportSettings(tenant_id=self.tenant_id, table_name=f"dho-{self.tenant_id}",
                                  access_log_table_name=f"dho-{self.tenant_id}-access-log")
        exporter = FhirExportService(settings, self.registry, self.timeline, AlertHistoryOf(self.alerts),
                                     self.access_log, validate_r4b, advice=self.advice_log)
        return TenantData(self.tenant_id, self.alerts, actions, self.enrolments, self.timeline, self.access_log,
                          exporter, self.advice_log)

    def add_alert(self, new: Alert) -> Alert:
        self.alerts.save(new, None)
        return new


class FakeCentre:
    """The centre with its two tenants' stores; ``service()`` is what the handler runs on."""

    def __init__(self) -> None:
        self.tenants = {t: FakeTenantStores(t) for t in SERVED}
        bodo, saltdal = self.tenants["bodo"], self.tenants["saltdal"]
        bodo.enrolments.enrol(enrolment(OWN_PATIENT, "B-01", gp=GP_HPR, hospitals=(HOSPITAL,)))
        bodo.registry.register_patient(Patient(OWN_PATIENT, "12888500055", "copd"))
        bodo.registry.register_patient(Patient(OTHER_GPS_PATIENT, "03895200076", "heart_failure"))
        bodo.enrolments.enrol(enrolment(OTHER_GPS_PATIENT, "B-02", gp=OTHER_GP_HPR, programme="heart_failure"))
        saltdal.enrolments.enrol(enrolment(SALTDAL_PATIENT, "S-01", gp="9300001"))
        self.red = bodo.add_alert(alert(OWN_PATIENT, Rule.SPO2_BAND, Severity.RED, NOW - timedelta(hours=2)))
        self.yellow = bodo.add_alert(alert(OTHER_GPS_PATIENT, Rule.WEIGHT_GAIN, Severity.YELLOW,
                                           NOW - timedelta(hours=5)))
        self.missed = bodo.add_alert(alert(OTHER_GPS_PATIENT, Rule.MISSED_MEASUREMENTS, Severity.YELLOW,
                                           NOW - timedelta(hours=3)))
        self.saltdal_red = saltdal.add_alert(alert(SALTDAL_PATIENT, Rule.NEWS2, Severity.RED,
                                                   NOW - timedelta(hours=1)))
        reading = DeviceReading("bodo", "oxi-0001", "r-1", NOW - timedelta(hours=2), NOW - timedelta(hours=2),
                                (Measurement(Metric.SPO2, 86.0, "%"),), None)
        bodo.timeline.store_reading(reading, OWN_PATIENT)
        ids = iter(f"access-{n:04d}" for n in range(1, 10_000))
        self._new_id = lambda: next(ids)

    def service(self) -> CentreService:
        return CentreService(CENTRE, {t: s.data() for t, s in self.tenants.items()}, new_id=self._new_id)

    def records_service(self) -> PatientRecordsService:
        return self._records(PatientRecordsService)

    def enrolment_service(self) -> EnrolmentService:
        return self._records(EnrolmentService)

    def caseload_service(self) -> CaseloadService:
        return self._records(CaseloadService)

    def _records(self, kind: type[Records]) -> Records:
        return kind(CENTRE, {t: s.data() for t, s in self.tenants.items()},
                    {t: s.records() for t, s in self.tenants.items()}, new_id=self._new_id)

    def access_records(self) -> list[Any]:
        return [r for s in self.tenants.values() for r in s.access_log.records]
