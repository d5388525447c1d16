"""Refused messages through the real process_readings handler, kept on a moto server: one record per
distinct body, none for a replay, listed per day in arrival order in bounded pages, each expiring at its
arrival + the tenant's retention."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dho.adapters.dynamodb_quarantine import DynamoDbQuarantine
from dho.adapters.table_schema import TIME_TO_LIVE_ATTRIBUTE
from dho.domain.quarantine import message_digest
from localcloud.lambda_loader import FakeLambdaContext, load_handler
from localcloud.quarantine_listing import quarantined_on
from localcloud.queues import TopicInbox
from localcloud.sqs_events import batches, sqs_event, sqs_record
from localcloud.tenant_table import scan_all
from tests.support.payloads import message, one

pytestmark = pytest.mark.integration

ARRIVED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _hostile_bodies() -> list[str]:
    """Distinct bodies, most of them in groups that a JSON parser reads as one and the same document."""
    document = message(measurements=one("spo2", 140, "%"), received_at=ARRIVED)  # refused: implausible
    compact = json.dumps(document, separators=(",", ":"))
    stamp = f'"received_at":{_ms(ARRIVED)}'
    return [
        compact,
        json.dumps(document),  # other whitespace
        json.dumps(document, indent=2),
        json.dumps(document, indent=2).replace("\n", "\r\n"),
        compact + "\n",  # a trailing newline
        " " + compact,
        json.dumps(dict(reversed(document.items())), separators=(",", ":")),  # other key order
        json.dumps(document, sort_keys=True, separators=(",", ":")),
        '{"reading_id":"x",' + compact[1:],  # a repeated key: a lax parser keeps the last one
        '{"measurements":[],' + compact[1:],
        "\ufeff" + compact,  # a byte order mark
        compact.replace('"%"', '"\\u0025"'),  # an escape of the same character
        compact.replace('"spo2"', '"\\u0073po2"'),
        compact.replace(":140,", ":140.0,"),
        compact.replace(":140,", ":1.4e2,"),  # the same number as 140.0
        compact.replace(":140,", ":1.40e2,"),
        compact.replace(stamp, f'"received_at":{_ms(ARRIVED) + 1}'),  # IoT Core stamped another arrival
        compact.replace(stamp, f'"received_at":{_ms(ARRIVED) + 2}'),
        # Bytes that were not UTF-8 reach the function as U+FFFD (an SQS body is Unicode text)
        compact.replace('"%"', '"%\ufffd"'),
        compact.replace('"%"', '"%\ufffd\ufffd"'),
        compact.replace('"%"', '"%\\ufffd"'),  # the escape a parser reads as the first of the two
        "{not json",
        "{not json ",
        "[]",
        "[ ]",
    ]


def _deliver(handler: Any, bodies: list[str], arrived_at: datetime) -> list[dict[str, str]]:
    failures: list[dict[str, str]] = []
    for batch in batches(bodies):
        response = handler.lambda_handler(sqs_event(batch, sent_timestamp_ms=_ms(arrived_at)), FakeLambdaContext())
        failures.extend(response["batchItemFailures"])
    return failures


def _quarantine_items(dynamodb: Any, table: str) -> list[dict[str, Any]]:
    return [i for i in scan_all(dynamodb, table) if i["pk"]["S"].startswith(("QUARANTINE#", "QUARANTINED#"))]


def test_every_distinct_hostile_body_gets_its_own_record_and_a_replay_of_the_same_bytes_none(
    dynamodb: Any, tenant_table: str, alert_inbox: TopicInbox
) -> None:
    # GIVEN 25 distinct bodies, most of which re-parse to the same JSON as another
    bodies = _hostile_bodies()
    assert len(set(bodies)) == len(bodies) >= 21
    handler = load_handler("process_readings")

    # WHEN they arrive through the handler
    assert _deliver(handler, bodies, ARRIVED) == []

    # THEN each one has its own record, with its own body
    quarantine = DynamoDbQuarantine(dynamodb, tenant_table)
    kept = quarantined_on(quarantine, [ARRIVED.date()], now=ARRIVED, at_most=100)
    assert sorted(m.digest for m in kept) == sorted(message_digest(b) for b in bodies)
    assert sorted(m.body for m in kept) == sorted(bodies)
    before = _quarantine_items(dynamodb, tenant_table)

    # WHEN the very same bytes arrive again, the next day (an SQS redelivery, a DLQ redrive)
    assert _deliver(handler, bodies, ARRIVED + timedelta(days=1)) == []

    # THEN no second record is kept, on either day
    assert _quarantine_items(dynamodb, tenant_table) == before
    next_day = ARRIVED + timedelta(days=1)
    assert quarantine.list_day(next_day.date(), now=next_day).messages == ()


def test_records_are_listed_per_day_in_arrival_order_in_bounded_pages(
    dynamodb: Any, tenant_table: str, alert_inbox: TopicInbox
) -> None:
    # GIVEN seven broken messages that arrived a second apart across midnight, delivered newest first
    # (a standard queue keeps no order)
    first = datetime(2026, 11, 20, 23, 59, 58, tzinfo=UTC)
    arrivals = {f"{{broken {n}": first + timedelta(seconds=n) for n in range(7)}
    handler = load_handler("process_readings")
    for body, arrived_at in reversed(arrivals.items()):
        record = sqs_record(body, sent_timestamp_ms=_ms(arrived_at))
        assert handler.lambda_handler({"Records": [record]}, FakeLambdaContext()) == {"batchItemFailures": []}

    # WHEN each day is read in pages of at most two
    quarantine = DynamoDbQuarantine(dynamodb, tenant_table)
    listed: dict[str, list[list[str]]] = {}
    for day in (first.date(), first.date() + timedelta(days=1)):
        pages, after = [], None
        while True:
            page = quarantine.list_day(day, now=first, limit=2, after=after)
            pages.append([m.body for m in page.messages])
            if page.next_page is None:
                break
            after = page.next_page
        listed[day.isoformat()] = pages

    # THEN each day holds the messages that arrived on it, oldest first, never more than two a page
    assert [b for page in listed["2026-11-20"] for b in page] == ["{broken 0", "{broken 1"]
    assert [b for page in listed["2026-11-21"] for b in page] == [f"{{broken {n}" for n in range(2, 7)]
    assert all(len(page) <= 2 for pages in listed.values() for page in pages)
    assert len(listed["2026-11-21"]) >= 3  # five records took three pages at least
    # AND a page larger than the bound is refused, not served
    with pytest.raises(ValueError, match="limit"):
        quarantine.list_day(first.date(), now=first, limit=100_000)


@pytest.mark.parametrize(("configured_days", "retention"), [(None, timedelta(days=90)), ("30", timedelta(days=30))])
def test_each_record_and_its_guard_expire_at_arrival_plus_the_tenants_retention(
    dynamodb: Any, tenant_table: str, alert_inbox: TopicInbox, monkeypatch: pytest.MonkeyPatch,
    configured_days: str | None, retention: timedelta,
) -> None:
    # GIVEN the function's retention setting (from the tenant config), or none (the default)
    if configured_days is not None:
        monkeypatch.setenv("DHO_QUARANTINE_RETENTION_DAYS", configured_days)
    handler = load_handler("process_readings")
    # AND a broken message (dated by when the queue got it) and a readable one from a device nobody has
    # (dated by IoT Core's arrival stamp in the body, a little before the queue got it)
    stamped = ARRIVED - timedelta(seconds=3)
    unassigned = json.dumps(message(device_id="oxi-9999", received_at=stamped))

    # WHEN both arrive
    assert _deliver(handler, ["{broken", unassigned], ARRIVED) == []

    # THEN every quarantine item (record and guard) expires at its message's arrival + the retention
    items = _quarantine_items(dynamodb, tenant_table)
    assert len(items) == 4
    expiry: dict[str, set[int]] = {i["pk"]["S"].split("#")[0]: set() for i in items}
    for item in items:
        expiry[item["pk"]["S"].split("#")[0]].add(int(item[TIME_TO_LIVE_ATTRIBUTE]["N"]))
    expected = {math.ceil((moment + retention).timestamp()) for moment in (ARRIVED, stamped)}
    assert expiry == {"QUARANTINE": expected, "QUARANTINED": expected}


def test_a_record_past_its_retention_is_not_listed_even_before_the_ttl_has_deleted_it(
    dynamodb: Any, tenant_table: str, alert_inbox: TopicInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a tenant that keeps refused messages one day, and a message refused at ARRIVED
    monkeypatch.setenv("DHO_QUARANTINE_RETENTION_DAYS", "1")
    assert _deliver(load_handler("process_readings"), ["{broken"], ARRIVED) == []
    quarantine = DynamoDbQuarantine(dynamodb, tenant_table)
    assert len(quarantine.list_day(ARRIVED.date(), now=ARRIVED + timedelta(hours=23)).messages) == 1

    # WHEN it is listed after the day is over, while the item is still in the table (DynamoDB's TTL
    # deletes expired items only within days; this moto server never does)
    later = ARRIVED + timedelta(days=1, seconds=1)
    assert len(_quarantine_items(dynamodb, tenant_table)) == 2

    # THEN it is not shown: past its retention, a refused body is nobody's to read
    assert quarantine.list_day(ARRIVED.date(), now=later).messages == ()


def test_an_identifier_with_a_trailing_newline_is_not_kept_as_the_records_device_or_reading(
    dynamodb: Any, tenant_table: str, alert_inbox: TopicInbox
) -> None:
    # GIVEN a message whose device id and reading id end in a newline (an attempt to forge log lines)
    body = json.dumps(message(device_id="oxi-0001\n", reading_id="oxi-0001-000001\n", received_at=ARRIVED))
    handler = load_handler("process_readings")

    # WHEN it arrives
    assert _deliver(handler, [body], ARRIVED) == []

    # THEN it is quarantined, but names no device and no reading
    (kept,) = DynamoDbQuarantine(dynamodb, tenant_table).list_day(ARRIVED.date(), now=ARRIVED).messages
    assert kept.reason.value == "invalid_identifier"
    assert (kept.device_id, kept.reading_id) == (None, None)
