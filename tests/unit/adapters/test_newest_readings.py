"""The newest reading of each series (what the caseload shows as the last reading) under AWS delivery:
messages arrive late and out of order, and again. Run against the DynamoDB adapter (moto in this process:
the summary item's conditional update in the reading's transaction), the replay's indexed stores and the
unit tests' fakes, which implement the same port."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from dho.adapters.dynamodb_batch_get import batch_get
from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.adapters.memory_timeline import MemoryTimeline
from dho.domain.metrics import Metric
from dho.domain.newest_readings import mark_of, newer_than_stored
from dho.domain.readings import DeviceReading, Measurement
from dho.domain.timeline import StoreOutcome
from dho.ports import TransientStoreError
from localcloud.tenant_table import create_tenant_table
from tests.support.fakes import InMemoryTimeline

T = datetime(2026, 11, 20, 8, tzinfo=UTC)
P = "P-NEW00001"
Store = DynamoDbTimeline | MemoryTimeline | InMemoryTimeline


@pytest.fixture(params=["dynamodb", "memory", "fake"])
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryTimeline()
    elif request.param == "fake":
        yield InMemoryTimeline()
    else:
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
        with mock_aws():
            client = boto3.client("dynamodb")
            create_tenant_table(client, "dho-bodo")
            yield DynamoDbTimeline(client, "dho-bodo", sleep=lambda _: None)


def _reading(reading_id: str, at: datetime, *values: tuple[Metric, float], device: str = "oxi-1") -> DeviceReading:
    return DeviceReading("bodo", device, reading_id, at, at + timedelta(minutes=1),
                         tuple(Measurement(metric, value, "x") for metric, value in values))


def test_an_older_reading_arriving_late_is_stored_but_is_not_the_newest(store: Store) -> None:
    assert store.store_reading(_reading("r-2", T, (Metric.SPO2, 95)), P) is StoreOutcome.STORED

    late = store.store_reading(_reading("r-1", T - timedelta(hours=6), (Metric.SPO2, 91)), P)

    assert late is StoreOutcome.STORED
    assert len(store.query(P, "spo2", T - timedelta(days=1), T + timedelta(hours=1))) == 2
    assert store.newest_of([P]) == {P: {"spo2": T}}


def test_a_redelivered_reading_changes_nothing_and_a_newer_one_moves_the_newest_on(store: Store) -> None:
    first = _reading("r-1", T, (Metric.SPO2, 95))
    store.store_reading(first, P)
    store.store_reading(_reading("r-2", T + timedelta(hours=12), (Metric.SPO2, 94)), P)

    again = store.store_reading(first, P)
    reused = store.store_reading(_reading("r-1", T + timedelta(days=1), (Metric.SPO2, 80)), P)  # other content

    assert (again, reused) == (StoreOutcome.DUPLICATE, StoreOutcome.CONFLICT)
    assert store.newest_of([P]) == {P: {"spo2": T + timedelta(hours=12)}}


def test_a_late_panel_moves_only_the_series_it_is_newest_for(store: Store) -> None:
    # The oximeter's SpO2 + pulse at 09:00 arrives before the blood-pressure panel (with pulse) of 08:00.
    store.store_reading(_reading("oxi-9", T + timedelta(hours=1), (Metric.SPO2, 95), (Metric.HEART_RATE, 70)), P)

    panel = _reading("bp-8", T, (Metric.SYSTOLIC_BP, 130), (Metric.DIASTOLIC_BP, 80), (Metric.HEART_RATE, 66),
                     device="bp-1")

    assert store.store_reading(panel, P) is StoreOutcome.STORED
    assert store.newest_of([P, "P-NONE0001"]) == {P: {
        "spo2": T + timedelta(hours=1), "heart_rate": T + timedelta(hours=1), "systolic_bp": T, "diastolic_bp": T}}


def test_two_readings_at_the_same_time_give_the_same_newest_whatever_their_order(store: Store) -> None:
    store.store_reading(_reading("r-b", T, (Metric.BODY_WEIGHT, 80)), P)
    store.store_reading(_reading("r-a", T, (Metric.BODY_WEIGHT, 81), device="scale-2"), P)

    assert store.newest_of([P]) == {P: {"body_weight": T}}


def test_a_mark_moves_forward_only() -> None:
    stored = {"spo2": mark_of(T, "r-2"), "heart_rate": mark_of(T, "r-2")}
    candidate = {"spo2": mark_of(T - timedelta(seconds=1), "r-9"), "heart_rate": mark_of(T, "r-3"),
                 "systolic_bp": mark_of(T - timedelta(days=300), "r-1")}

    assert newer_than_stored(candidate, stored) == {"heart_rate": mark_of(T, "r-3"),
                                                    "systolic_bp": mark_of(T - timedelta(days=300), "r-1")}
    assert newer_than_stored(stored, stored) == {}


class _Unprocessed:
    """A DynamoDB client whose BatchGetItem leaves keys unprocessed ``times`` times (as throttling does)."""

    def __init__(self, times: int) -> None:
        self.times, self.calls = times, 0

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        (table, request), = RequestItems.items()
        if self.calls <= self.times:
            return {"Responses": {table: []}, "UnprocessedKeys": RequestItems}
        return {"Responses": {table: [{**key, "item_type": {"S": "newest_readings"},
                                       "TL#spo2": {"S": mark_of(T, "r-1")}} for key in request["Keys"]]}}


def test_unprocessed_keys_are_asked_again_after_a_growing_backoff() -> None:
    client, slept = _Unprocessed(times=3), list[float]()

    found = DynamoDbTimeline(client, "dho-bodo", sleep=slept.append).newest_of([P])  # type: ignore[arg-type]

    assert found == {P: {"spo2": T}} and client.calls == 4
    assert len(slept) == 3 and all(0 <= s <= 0.05 * 2 ** (i + 1) for i, s in enumerate(slept))


def test_the_backoff_doubles_from_0_1_s_at_full_jitter() -> None:
    client, slept = _Unprocessed(times=3), list[float]()
    batch_get(client, "dho-bodo", [{"pk": f"PATIENT#{P}", "sk": "NEWEST_READINGS"}],  # type: ignore[arg-type]
              sleep=slept.append, jitter=lambda: 1.0)
    assert slept == [0.1, 0.2, 0.4]


def test_keys_left_unprocessed_on_every_attempt_are_a_transient_error() -> None:
    client = _Unprocessed(times=100)
    with pytest.raises(TransientStoreError):
        DynamoDbTimeline(client, "dho-bodo", sleep=lambda _: None).newest_of([P])  # type: ignore[arg-type]
    assert client.calls == 8
