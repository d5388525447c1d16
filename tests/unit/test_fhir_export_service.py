"""The FHIR export service on in-memory ports: the Bundle it returns, the requests it refuses, and the
Normen access-log entry every request gets (with the verified requester) before anything is returned."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

from dho.domain.access_log import AccessOutcome
from dho.domain.alerts import Alert, AlertState
from dho.domain.findings import Rule, Severity
from dho.domain.metrics import Metric
from dho.domain.readings import DeviceReading, Measurement, SymptomReport
from dho.domain.registry import Patient
from dho.domain.symptoms import Questionnaire
from dho.export.request import Requester
from dho.export.service import FhirExportService
from dho.fhir.validation import InvalidFhirResource, validate_r4b
from dho.ports import TransientStoreError
from dho.settings import ExportSettings
from tests.support.export_fakes import InMemoryAccessLog, InMemoryAlertHistory
from tests.support.fakes import InMemoryRegistry, InMemoryTimeline

T0 = datetime(2026, 11, 1, tzinfo=UTC)
PATIENT = Patient("P-C0PD0001", "12888500055", "copd")
OTHER = Patient("P-HF000001", "03895200076", "heart_failure")
HPR = "9144900"


GP = Requester(hpr=HPR, role="fastlege", organisation="974116804")  # from the verified token
NOW = datetime(2026, 11, 10, 9, tzinfo=UTC)


def _event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "patient_id": PATIENT.patient_id,
        "since": "2026-11-01T00:00:00Z",
        "until": "2026-11-08T00:00:00+01:00",
    }
    event.update(overrides)
    return event


def _reading(reading_id: str, at: datetime, *measurements: tuple[Metric, float, str],
             device: str = "oxi-0001", symptoms: SymptomReport | None = None) -> DeviceReading:
    return DeviceReading("bodo", device, reading_id, at, at + timedelta(minutes=1),
                         tuple(Measurement(m, v, u) for m, v, u in measurements), symptoms)


def _alert(patient_id: str, opened_at: datetime) -> Alert:
    return Alert(alert_id=f"A-{patient_id}-{opened_at:%d}", patient_id=patient_id, rule=Rule.SPO2_BAND,
                 severity=Severity.RED, state=AlertState.OPEN, opened_at=opened_at, updated_at=opened_at,
                 last_evidence_at=opened_at, evidence=("s-2",), detail="SpO2 86 %", policy_version="test")


class Tenant:
    """A tenant on in-memory ports: two patients, readings inside and outside the period, two alerts."""

    def __init__(self) -> None:
        self.registry = InMemoryRegistry()
        self.timeline = InMemoryTimeline()
        self.alerts = InMemoryAlertHistory()
        self.access_log = InMemoryAccessLog()
        self.queries = 0
        for patient in (PATIENT, OTHER):
            self.registry.register_patient(patient)
        copd = (
            _reading("s-0", T0 - timedelta(minutes=1), (Metric.SPO2, 93.0, "%")),  # before the period
            _reading("s-1", T0, (Metric.SPO2, 95.0, "%"), (Metric.HEART_RATE, 72.0, "/min")),
            _reading("bp-1", T0 + timedelta(days=1), (Metric.SYSTOLIC_BP, 142.0, "mm[Hg]"),
                     (Metric.DIASTOLIC_BP, 88.0, "mm[Hg]"), device="bpm-0001"),
            _reading("q-1", T0 + timedelta(days=2), device="app-0001", symptoms=SymptomReport(
                Questionnaire.COPD, (("breathlessness", "more_than_usual"), ("chest_pain", False)))),
            _reading("s-2", T0 + timedelta(days=6, hours=22, minutes=59), (Metric.SPO2, 86.0, "%")),
            _reading("s-3", T0 + timedelta(days=6, hours=23), (Metric.SPO2, 97.0, "%")),  # at `until`
        )
        for reading in copd:
            self.timeline.store_reading(reading, PATIENT.patient_id)
        self.timeline.store_reading(_reading("w-1", T0 + timedelta(days=1), (Metric.BODY_WEIGHT, 81.7, "kg"),
                                             device="scale-0001"), OTHER.patient_id)
        self.alerts.alerts += [_alert(PATIENT.patient_id, T0 + timedelta(days=6, hours=22, minutes=59)),
                               _alert(PATIENT.patient_id, T0 - timedelta(days=3))]

    def service(self, settings: ExportSettings, validate: Any = validate_r4b) -> FhirExportService:
        timeline = self.timeline
        tenant = self

        class CountingTimeline:
            def query(self, *args: Any, **kwargs: Any) -> Any:
                tenant.queries += 1
                return timeline.query(*args, **kwargs)

            def store_reading(self, *args: Any) -> Any:  # pragma: no cover - not used by the export
                return timeline.store_reading(*args)

        ids = iter(f"access-{n}" for n in range(1, 100))
        return FhirExportService(settings, self.registry, CountingTimeline(), self.alerts, self.access_log,
                                 validate, new_id=lambda: next(ids))


@pytest.fixture
def tenant() -> Tenant:
    return Tenant()


def _service(tenant: Tenant, validate: Any = validate_r4b, **settings: Any) -> FhirExportService:
    return tenant.service(ExportSettings(tenant_id="bodo", table_name="unused",
                                         access_log_table_name="unused-access-log", **settings), validate)


def _export(tenant: Tenant, event: Any, **settings: Any) -> dict[str, Any]:
    """As the centre API asks: the request's fields, and the verified requester apart."""
    return _service(tenant, **settings).export(event, GP, now=NOW).response()


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_the_bundle_holds_the_patient_the_readings_symptoms_and_alerts_of_the_period_and_is_valid_r4b(
    tenant: Tenant
) -> None:
    # WHEN a GP asks for the first week of November
    response = _export(tenant, _event())

    # THEN a valid R4B collection comes back
    assert response["outcome"] == "exported"
    bundle = response["resource"]
    model = Bundle.model_validate(bundle)
    assert model.type == "collection"
    assert bundle["identifier"] == {"system": "urn:dho:export", "value": f"bodo/{response['access_id']}"}
    # AND it holds this patient only, first
    (patient,) = _resources(bundle, "Patient")
    assert bundle["entry"][0]["resource"] is patient
    assert patient["identifier"][1]["value"] == f"bodo/{PATIENT.patient_id}"
    # AND exactly the readings measured in [since, until), in measured order (BP as one panel)
    observations = _resources(bundle, "Observation")
    assert [o["identifier"][0]["value"].split("/", 1)[1] for o in observations] == [
        "oxi-0001/s-1/heart_rate", "oxi-0001/s-1/spo2", "bpm-0001/bp-1/blood_pressure", "oxi-0001/s-2/spo2"]
    assert {o["subject"]["reference"] for o in observations} == {bundle["entry"][0]["fullUrl"]}
    (answers,) = _resources(bundle, "QuestionnaireResponse")
    assert answers["identifier"]["value"] == "bodo/app-0001/q-1/symptoms.copd"
    # AND the alert opened in the period as a Flag (not the one opened before it)
    (flag,) = _resources(bundle, "Flag")
    assert flag["period"]["start"].startswith("2026-11-07T22:59")


def test_the_export_is_on_the_patients_access_log_with_who_what_when_and_the_outcome(
    tenant: Tenant
) -> None:
    response = _export(tenant, _event())

    (entry,) = tenant.access_log.accessed(PATIENT.patient_id, T0, NOW + timedelta(minutes=1))
    assert entry.access_id == response["access_id"]
    assert (entry.outcome, entry.hpr, entry.role, entry.organisation) == (
        AccessOutcome.EXPORTED, HPR, "fastlege", "974116804")
    assert (entry.period_start, entry.period_end) == (T0, T0 + timedelta(days=6, hours=23))
    assert entry.resources == len(response["resource"]["entry"])
    assert "Observation" in entry.information_object


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"patient_id": None}, "patient_id"),
        ({"since": "2026-11-01T00:00:00"}, "since"),  # no time zone
        ({"since": 1793491200}, "since"),  # epoch seconds, not ISO-8601
        ({"until": "2026-10-31T00:00:00Z"}, "until must be later than since"),
        ({"until": "2027-02-01T00:00:00Z"}, "at most 90 days"),
        # Who asks comes from the verified token: a request that names someone is refused, not believed.
        ({"requested_by": {"hpr": "1234567", "role": "fastlege", "organisation": "974116804"}}, "requested_by"),
        ({"purpose": "curious"}, "purpose"),
    ],
)
def test_an_invalid_request_is_refused_with_a_clear_reason_and_logged_without_reading_anything(
    tenant: Tenant, overrides: dict[str, Any], field: str
) -> None:
    response = _export(tenant, _event(**overrides))

    assert response["outcome"] == "refused"
    outcome = response["resource"]
    OperationOutcome.model_validate(outcome)
    assert any(field in issue["diagnostics"] for issue in outcome["issue"]), outcome
    assert tenant.queries == 0  # no partial output: nothing was even read
    (entry,) = tenant.access_log.records
    assert entry.outcome is AccessOutcome.REFUSED and entry.resources == 0
    assert (entry.hpr, entry.role) == (HPR, "fastlege")  # the verified requester, whatever the request says
    assert entry.patient_id == (None if overrides.get("patient_id", "") is None else PATIENT.patient_id)


def test_an_event_that_is_not_an_object_is_refused_and_logged_without_a_patient(
    tenant: Tenant
) -> None:
    response = _export(tenant, ["P-C0PD0001"])

    assert response["outcome"] == "refused"
    assert response["resource"]["issue"][0]["diagnostics"].startswith("request: ")
    (entry,) = tenant.access_log.records
    assert (entry.patient_id, entry.hpr, entry.outcome) == (None, HPR, AccessOutcome.REFUSED)


def test_a_national_id_sent_as_patient_id_is_refused_and_never_stored_as_a_patient_key(
    tenant: Tenant
) -> None:
    response = _export(tenant, _event(patient_id=PATIENT.national_id))

    assert response["outcome"] == "refused"
    assert PATIENT.national_id not in json.dumps(response)
    (entry,) = tenant.access_log.records
    assert entry.patient_id is None and entry.hpr == HPR  # still says who tried


def test_an_unknown_patient_is_not_found_and_the_attempt_is_logged(
    tenant: Tenant
) -> None:
    response = _export(tenant, _event(patient_id="P-UNKN0WN1"))

    assert response["outcome"] == "not_found"
    assert response["resource"]["issue"][0]["code"] == "not-found"
    assert tenant.queries == 0
    (entry,) = tenant.access_log.records
    assert (entry.patient_id, entry.outcome) == ("P-UNKN0WN1", AccessOutcome.NOT_FOUND)


@pytest.mark.parametrize("event", [_event(), _event(patient_id="P-UNKN0WN1"), _event(since="yesterday")],
                         ids=["export", "not-found", "refused"])
def test_nothing_is_returned_when_the_access_log_cannot_be_written(
    tenant: Tenant, event: dict[str, Any]
) -> None:
    tenant.access_log.down = True
    with pytest.raises(TransientStoreError):
        _export(tenant, event)


def test_a_period_holding_more_than_one_response_may_carry_is_refused_as_too_large_and_logged(
    tenant: Tenant
) -> None:
    response = _export(tenant, _event(), max_resources=3)

    assert response["outcome"] == "too_large"
    assert response["resource"]["issue"][0]["code"] == "too-costly"
    assert "entry" not in response["resource"]
    assert [r.outcome for r in tenant.access_log.records] == [AccessOutcome.TOO_LARGE]


def test_an_invalid_bundle_never_leaves_and_the_failed_attempt_is_logged(
    tenant: Tenant
) -> None:
    def breaking_validator(bundle: dict[str, Any]) -> None:
        observation = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
        observation["status"] = None  # an Observation without its required status
        validate_r4b(bundle)

    service = _service(tenant, validate=breaking_validator)

    with pytest.raises(InvalidFhirResource, match=r"entry\.\d+\.resource\.status") as raised:
        service.export(_event(), GP, now=NOW)
    assert "95" not in str(raised.value)
    assert [r.outcome for r in tenant.access_log.records] == [AccessOutcome.FAILED]
