"""The events/ corpus stored through the real process_readings handler on a moto server, then exported
by the export service on its DynamoDB adapters (as the centre API runs it, with the verified identity):
exactly the stored readings of the patient in the period, valid R4B,
and the Normen access-log entry in the patient's partition of the tenant's access-log table (never in the
tenant table, whose patient data may be erased)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from dho.adapters import keys
from dho.adapters.dynamodb_access_log import DynamoDbAccessLog
from dho.adapters.dynamodb_plans import DynamoDbPlans
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.domain.access_log import AccessOutcome
from dho.domain.clock import utc_now
from dho.domain.plans import Programme, plan_from_template
from dho.export.request import Requester
from dho.export.wiring import build_export_service
from dho.settings import ExportSettings
from localcloud.corpus import load_messages, received_at_ms, registry
from localcloud.lambda_loader import FakeLambdaContext, load_handler
from localcloud.queues import TopicInbox
from localcloud.registry_seed import seed_registry
from localcloud.sqs_events import batches, sqs_event
from localcloud.tenant_table import scan_all

pytestmark = pytest.mark.integration

SINCE, UNTIL = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)
GP = {"hpr": "9144900", "role": "fastlege", "organisation": "974116804"}
_PANEL = {"systolic_bp", "diastolic_bp"}


@pytest.fixture
def stored_corpus(dynamodb: Any, tenant_table: str, alert_inbox: TopicInbox) -> str:
    """The corpus's registry and template plans, and every corpus message through process_readings."""
    seed_registry(DynamoDbRegistry(dynamodb, tenant_table), registry())
    plans = DynamoDbPlans(dynamodb, tenant_table)
    for patient in registry()["patients"]:
        programme = Programme(patient["programme"])
        plans.save(plan_from_template(patient["patient_id"], programme, SINCE - timedelta(days=60)))
    process = load_handler("process_readings")
    for batch in batches([m.body for m in load_messages()]):
        response = process.lambda_handler(sqs_event(batch, sent_timestamp_ms=received_at_ms()), FakeLambdaContext())
        assert response["batchItemFailures"] == []
    return tenant_table


def _expected(patient_id: str) -> tuple[set[str], set[str]]:
    """Observation and QuestionnaireResponse identifiers of the patient's good corpus readings measured
    in [SINCE, UNTIL): one per metric, systolic + diastolic as one blood-pressure panel."""
    observations, responses = set(), set()
    for message in load_messages():
        if message.expected_reason is not None or message.expected_patient_id != patient_id:
            continue
        payload = json.loads(message.body)
        if not SINCE <= datetime.fromisoformat(payload["measured_at"]) < UNTIL:
            continue
        base = f"bodo/{payload['device_id']}/{payload['reading_id']}"
        metrics = {m["metric"] for m in payload.get("measurements", [])}
        if metrics >= _PANEL:
            metrics = (metrics - _PANEL) | {"blood_pressure"}
        observations |= {f"{base}/{metric}" for metric in metrics}
        if "symptoms" in payload:
            responses.add(f"{base}/symptoms.{payload['symptoms']['questionnaire']}")
    return observations, responses


def _export(patient_id: str, **overrides: Any) -> dict[str, Any]:
    query = {"patient_id": patient_id, "since": SINCE.isoformat(), "until": UNTIL.isoformat(), **overrides}
    service = build_export_service(ExportSettings())  # the tenant's tables, from the environment
    return service.export(query, Requester(**GP), now=utc_now()).response()


@pytest.mark.parametrize("patient_id", ["P-C0PD0001", "P-HF000001"])
def test_the_bundle_holds_exactly_the_patients_stored_readings_of_the_period_and_is_valid_r4b(
    dynamodb: Any, stored_corpus: str, patient_id: str
) -> None:
    # GIVEN the corpus is stored (readings of several patients, over several days)
    expected_observations, expected_responses = _expected(patient_id)
    assert expected_observations and expected_responses  # the period really holds readings of both kinds

    # WHEN the GP asks for one day of this patient
    response = _export(patient_id)

    # THEN a valid R4B collection comes back with exactly those readings, all about this patient
    assert response["outcome"] == "exported"
    bundle = response["resource"]
    Bundle.model_validate(bundle)
    resources = [entry["resource"] for entry in bundle["entry"]]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in resources:
        by_type.setdefault(resource["resourceType"], []).append(resource)
    assert [p["identifier"][1]["value"] for p in by_type["Patient"]] == [f"bodo/{patient_id}"]
    observation_ids = [o["identifier"][0]["value"] for o in by_type["Observation"]]
    assert len(observation_ids) == len(set(observation_ids))
    assert set(observation_ids) == expected_observations
    assert {q["identifier"]["value"] for q in by_type["QuestionnaireResponse"]} == expected_responses
    assert {r["subject"]["reference"] for r in resources if "subject" in r} == {bundle["entry"][0]["fullUrl"]}
    # AND the alerts opened in the period, as stored, are its DetectedIssues and Flags
    stored_alerts = {i["alert_id"]["S"] for i in scan_all(dynamodb, stored_corpus)
                     if i["pk"]["S"] == keys.patient_pk(patient_id) and i["sk"]["S"].startswith("ALERT#")
                     and "rule" in i and SINCE.strftime("%Y-%m-%d") <= i["opened_at"]["S"] < UNTIL.strftime("%Y-%m-%d")}
    assert stored_alerts  # the corpus raises alerts for both patients that day
    for kind in ("DetectedIssue", "Flag"):
        assert {f["identifier"][0]["value"] for f in by_type[kind]} == {f"bodo/{a}" for a in stored_alerts}


def test_every_export_is_on_the_patients_access_log_before_it_is_returned(
    dynamodb: Any, stored_corpus: str, access_log_table: str
) -> None:
    # WHEN a GP exports a patient, asks for an unknown one, and sends a national id instead of a pseudonym
    before = datetime.now(tz=UTC) - timedelta(seconds=1)
    exported = _export("P-C0PD0001")
    missing = _export("P-UNKN0WN1")
    refused = _export(registry()["patients"][0]["national_id"])
    after = datetime.now(tz=UTC) + timedelta(seconds=1)
    assert (exported["outcome"], missing["outcome"], refused["outcome"]) == ("exported", "not_found", "refused")

    # THEN "who accessed patient X" answers with the GP, the time, the object and the outcome
    log = DynamoDbAccessLog(dynamodb, access_log_table)
    (entry,) = log.accessed("P-C0PD0001", before, after)
    assert (entry.access_id, entry.outcome) == (exported["access_id"], AccessOutcome.EXPORTED)
    assert (entry.hpr, entry.role, entry.organisation) == (GP["hpr"], GP["role"], GP["organisation"])
    assert (entry.period_start, entry.period_end) == (SINCE, UNTIL)
    assert entry.resources == len(exported["resource"]["entry"]) and before <= entry.accessed_at <= after
    # AND the not-found attempt is on that id's record, the refused one kept apart from any patient
    (unknown,) = log.accessed("P-UNKN0WN1", before, after)
    assert unknown.outcome is AccessOutcome.NOT_FOUND
    items = scan_all(dynamodb, access_log_table)
    assert {i["item_type"]["S"] for i in items} == {"access"}  # the access-log table holds nothing else
    # AND none of it is in the tenant table: erasing a patient's data there keeps who accessed it
    assert not [i for i in scan_all(dynamodb, stored_corpus)
                if i["sk"]["S"].startswith(keys.ACCESS_PREFIX) or i["pk"]["S"] == keys.UNATTRIBUTED_ACCESS_PK]
    (unattributed,) = [i for i in items if i["pk"]["S"] == keys.UNATTRIBUTED_ACCESS_PK]
    assert unattributed["access_id"]["S"] == refused["access_id"] and unattributed["outcome"]["S"] == "refused"
    assert all(registry()["patients"][0]["national_id"] not in json.dumps(i) for i in items
               if i["sk"]["S"].startswith(keys.ACCESS_PREFIX))


def test_nothing_is_returned_when_the_access_log_cannot_be_written(
    stored_corpus: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the access-log table has gone (a deployment mistake): the access log cannot be written
    monkeypatch.setenv("DHO_ACCESS_LOG_TABLE_NAME", "dho-no-such-table")
    # WHEN an export is asked for THEN it fails: no answer without its log entry
    with pytest.raises(Exception, match="ResourceNotFound"):
        _export("P-UNKN0WN1", since="not a date")

