"""The whole events/ corpus through the real process_readings handler, against a moto server."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from dho.adapters.dynamodb_quarantine import DynamoDbQuarantine
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.domain.clock import from_canonical, from_epoch_millis
from dho.domain.quarantine import message_digest
from localcloud.corpus import load_messages, received_at_ms, registry
from localcloud.lambda_loader import FakeLambdaContext, load_handler
from localcloud.quarantine_listing import quarantined_on
from localcloud.queues import TopicInbox
from localcloud.registry_seed import seed_registry
from localcloud.sqs_events import batches, sqs_event
from localcloud.tenant_table import scan_all

pytestmark = pytest.mark.integration


def _feed(handler: Any, bodies: list[str]) -> list[dict[str, str]]:
    failures: list[dict[str, str]] = []
    for batch in batches(bodies):
        response = handler.lambda_handler(sqs_event(batch, sent_timestamp_ms=received_at_ms()), FakeLambdaContext())
        failures.extend(response["batchItemFailures"])
    return failures


@pytest.fixture
def seeded_table(dynamodb: Any, tenant_table: str, alert_inbox: TopicInbox) -> str:
    seed_registry(DynamoDbRegistry(dynamodb, tenant_table), registry())
    return tenant_table


def test_every_good_reading_is_stored_once_and_every_bad_one_is_quarantined_with_its_reason(
    dynamodb: Any, seeded_table: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the corpus and a registry with its patients and devices
    messages = load_messages()
    handler = load_handler("process_readings")

    # WHEN the whole corpus goes through the handler
    failures = _feed(handler, [m.body for m in messages])

    # THEN nothing is left for SQS to retry
    assert failures == []
    # AND every good reading is in its patient's timeline, exactly once
    timeline = DynamoDbTimeline(dynamodb, seeded_table)
    items = scan_all(dynamodb, seeded_table)
    guards = [i for i in items if i["sk"]["S"].startswith("READING#")]
    good = [m for m in messages if m.expected_reason is None]
    for message in good:
        payload = json.loads(message.body)
        measured = [e["metric"] for e in payload.get("measurements", [])] or [
            f"symptoms.{payload['symptoms']['questionnaire']}"
        ]
        measured_at = from_canonical(_guard_for(guards, payload)["measured_at"]["S"])
        for series in measured:
            found = [
                e
                for e in timeline.query(
                    message.expected_patient_id or "", series, measured_at, measured_at.replace(microsecond=1)
                )
                if e.reading_id == payload["reading_id"]
            ]
            assert len(found) == 1, (message.file, series)
    # AND every bad one is quarantined with its expected reason
    arrived = from_epoch_millis(received_at_ms())  # the corpus' and the queue's arrival time
    kept = {m.digest: m for m in quarantined_on(DynamoDbQuarantine(dynamodb, seeded_table), [arrived.date()],
                                                now=arrived, at_most=len(messages))}
    for message in messages:
        if message.expected_reason is not None:
            record = kept.get(message_digest(message.body))
            assert record is not None, message.file
            assert record.reason.value == message.expected_reason, message.file
    # AND stored + quarantined = input
    assert len(guards) + len(kept) == len(messages)
    assert len(guards) == len(good)
    # AND the logs name reasons but no national id, no name and no measured value
    logs = capsys.readouterr().out
    _assert_logs_free_of_personal_data(logs)
    assert "conflicting_replay" in logs and "device_not_assigned" in logs


def test_feeding_the_corpus_a_second_time_changes_nothing(dynamodb: Any, seeded_table: str) -> None:
    # GIVEN the corpus has been ingested once
    messages = load_messages()
    handler = load_handler("process_readings")
    assert _feed(handler, [m.body for m in messages]) == []
    before = scan_all(dynamodb, seeded_table)

    # WHEN the very same messages arrive again (an SQS redelivery or a device re-sending its buffer)
    assert _feed(handler, [m.body for m in messages]) == []

    # THEN the table is exactly as it was
    assert scan_all(dynamodb, seeded_table) == before


def test_a_device_handed_on_gives_each_reading_to_whoever_had_it_when_measured(
    dynamodb: Any, seeded_table: str
) -> None:
    # GIVEN readings of oxi-0002 from before and after it moved between patients on 15 November
    handler = load_handler("process_readings")
    handover = [m for m in load_messages() if "handover" in m.file]
    assert len(handover) == 2

    # WHEN they are ingested
    assert _feed(handler, [m.body for m in handover]) == []

    # THEN each lands in a different patient's timeline, the one in the manifest
    owners: Counter[str] = Counter()
    for item in scan_all(dynamodb, seeded_table):
        if item["sk"]["S"].startswith("TL#spo2#"):
            owners[item["pk"]["S"]] += 1
    assert owners == Counter({f"PATIENT#{m.expected_patient_id}": 1 for m in handover})


def test_a_missing_table_fails_every_record_for_retry_instead_of_quarantining(
    dynamodb: Any, alert_inbox: TopicInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a function configured with a table that does not exist (a deployment mistake)
    monkeypatch.setenv("DHO_TABLE_NAME", "dho-no-such-table")
    monkeypatch.setenv("DHO_TENANT_ID", "bodo")
    handler = load_handler("process_readings")
    bodies = [m.body for m in load_messages()[:3]]

    # WHEN a batch arrives
    # THEN the invocation fails as a whole, so SQS keeps every message for a retry (and, after
    # maxReceiveCount, moves it to the DLQ): a configuration error must never quarantine good data
    with pytest.raises(BatchProcessingError, match="All records failed"):
        handler.lambda_handler(sqs_event(bodies, sent_timestamp_ms=received_at_ms()), FakeLambdaContext())


def _guard_for(guards: list[dict[str, Any]], payload: dict[str, Any]) -> dict[str, Any]:
    key = (f"DEVICE#{payload['device']['id']}", f"READING#{payload['reading_id']}")
    matches = [g for g in guards if (g["pk"]["S"], g["sk"]["S"]) == key]
    assert len(matches) == 1, key
    return matches[0]


def _assert_logs_free_of_personal_data(logs: str) -> None:
    for patient in registry()["patients"]:
        assert patient["national_id"] not in logs
        assert patient["patient_id"] not in logs
    assert "Kari" not in logs and "Nordmann" not in logs  # the name a bad payload carried
    for value in ("87.65", "176.4", "100.4", "37.9"):  # distinctive measured values of the corpus
        assert value not in logs
