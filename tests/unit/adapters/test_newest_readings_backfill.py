"""The one-off backfill of the newest-readings summary (moto in this process): readings stored before the
summary existed become visible to scoring, and a mark newer than the stored entries is never moved back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from dho.adapters import keys
from dho.adapters.dynamodb_codec import encode
from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.adapters.newest_readings_backfill import backfill, main
from dho.domain.metrics import Metric
from dho.domain.readings import DeviceReading, Measurement
from localcloud.tenant_table import create_tenant_table

T = datetime(2026, 11, 20, 8, tzinfo=UTC)
TABLE = "dho-bodo"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        create_tenant_table(dynamodb, TABLE)
        yield dynamodb


def _store(client: Any, patient: str, reading_id: str, at: datetime, metric: Metric) -> None:
    reading = DeviceReading("bodo", "dev-1", reading_id, at, at + timedelta(minutes=1),
                            (Measurement(metric, 1.0, "x"),))
    DynamoDbTimeline(client, TABLE).store_reading(reading, patient)


def _forget_summary(client: Any, patient: str) -> None:
    """As if the patient's readings had been stored before the summary existed."""
    client.delete_item(TableName=TABLE, Key=encode({"pk": keys.patient_pk(patient), "sk": keys.NEWEST_READINGS_SK}))


def test_readings_stored_before_the_summary_get_their_marks_and_newer_marks_stay(client: Any) -> None:
    # GIVEN a patient weighed and measured before the summary existed, then an SpO2 stored with it
    _store(client, "P-A", "w-1", T - timedelta(days=3), Metric.BODY_WEIGHT)
    _store(client, "P-A", "s-1", T - timedelta(days=2), Metric.SPO2)
    _forget_summary(client, "P-A")
    _store(client, "P-A", "s-2", T, Metric.SPO2)
    # AND another patient with no summary at all
    _store(client, "P-B", "h-1", T - timedelta(days=1), Metric.HEART_RATE)
    _forget_summary(client, "P-B")
    timeline = DynamoDbTimeline(client, TABLE)
    assert timeline.newest_of(["P-A", "P-B"], consistent=True) == {"P-A": {"spo2": T}}

    # WHEN the backfill runs, twice (a rerun changes nothing)
    first = backfill(client, TABLE)
    again = backfill(client, TABLE)

    # THEN each series has its newest mark, the newer SpO2 untouched
    assert timeline.newest_of(["P-A", "P-B"], consistent=True) == {
        "P-A": {"spo2": T, "body_weight": T - timedelta(days=3)},
        "P-B": {"heart_rate": T - timedelta(days=1)},
    }
    assert (first.entries_seen, first.patients_updated, first.marks_moved) == (4, 2, 2)
    assert (again.patients_updated, again.marks_moved) == (0, 0)


def test_the_command_prints_counts_and_no_patient_id(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _store(client, "P-SECRET01", "w-1", T, Metric.BODY_WEIGHT)
    _forget_summary(client, "P-SECRET01")

    assert main(["--table", TABLE]) == 0

    printed = capsys.readouterr().out
    assert "1 timeline entries; 1 marks moved forward for 1 patients" in printed
    assert "P-SECRET01" not in printed
