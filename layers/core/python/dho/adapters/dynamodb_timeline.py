"""TimelineRepository on the tenant's DynamoDB table (key design in ``dho.adapters.keys``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from dho.adapters import keys
from dho.adapters.dynamodb_codec import decode, encode, raise_if_transient
from dho.adapters.dynamodb_newest_readings import newest_of, stored_marks, summary_key, summary_update
from dho.adapters.table_schema import PARTITION_KEY
from dho.domain.clock import from_canonical, to_canonical
from dho.domain.newest_readings import marks_of, newer_than_stored
from dho.domain.readings import DeviceReading
from dho.domain.symptoms import Answer
from dho.domain.timeline import StoreOutcome, TimelineEntry, entries_for
from dho.ports import TransientStoreError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_NOT_YET_WRITTEN = f"attribute_not_exists({PARTITION_KEY})"
_SUMMARY_ATTEMPTS = 4  # a late reading needs 2; more only while other readings of the patient race it


def _only_last_failed(reasons: Sequence[Mapping[str, Any]]) -> bool:
    """The transaction was cancelled by its last item's condition (the summary's) alone."""
    codes = [str(r.get("Code", "")) for r in reasons]
    return bool(codes) and codes[-1] == "ConditionalCheckFailed" and all(c in ("None", "") for c in codes[:-1])


class DynamoDbTimeline:
    def __init__(self, client: DynamoDBClient, table_name: str, *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._table = table_name
        self._sleep = sleep  # the BatchGetItem backoff's

    def store_reading(self, reading: DeviceReading, patient_id: str) -> StoreOutcome:
        """One transaction: the guard, the entries and the newest-readings summary update (at most
        1 + 8 metrics + 1 items, far below the 100 a transaction may hold). If a mark is not newer than
        the stored one (an older reading arriving late), the transaction is cancelled and retried with
        only the marks that are newer: a late reading costs two transactions, an in-order one one."""
        fingerprint = reading.fingerprint()
        guard = {
            "pk": keys.device_pk(reading.device_id),
            "sk": keys.reading_guard_sk(reading.reading_id),
            "fingerprint": fingerprint,
            "patient_id": patient_id,
            "measured_at": to_canonical(reading.measured_at),
        }
        entries = entries_for(reading, patient_id)
        puts: list[Any] = [
            {"Put": {"TableName": self._table, "Item": encode(item), "ConditionExpression": _NOT_YET_WRITTEN,
                     "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}
            for item in [guard, *(_entry_item(entry) for entry in entries)]
        ]
        marks = marks_of(entries)
        for _ in range(_SUMMARY_ATTEMPTS):
            summary: list[Any] = [summary_update(self._table, patient_id, marks)] if marks else []
            try:
                self._client.transact_write_items(TransactItems=[*puts, *summary])
            except self._client.exceptions.TransactionCanceledException as cancelled:
                reasons = cancelled.response.get("CancellationReasons", [])
                if not summary or not _only_last_failed(reasons):
                    return self._outcome_of_cancelled(cancelled, guard, fingerprint)
                stored = reasons[-1].get("Item") or self._get(**summary_key(patient_id)) or {}
                marks = newer_than_stored(marks, stored_marks(decode(stored)))
                continue
            except (ClientError, BotoCoreError) as error:
                raise_if_transient(error)
                raise
            return StoreOutcome.STORED
        # Newer readings of the same series kept landing between the attempts: nothing was written.
        raise TransientStoreError("the newest-readings summary moved on every attempt")

    def newest_of(
        self, patient_ids: Sequence[str], *, consistent: bool = False
    ) -> Mapping[str, Mapping[str, datetime]]:
        return newest_of(self._client, self._table, patient_ids, self._sleep, consistent=consistent)

    def _outcome_of_cancelled(
        self, cancelled: ClientError, guard: dict[str, Any], fingerprint: str
    ) -> StoreOutcome:
        reasons = cancelled.response.get("CancellationReasons", [])
        guard_reason = reasons[0] if reasons else {}
        if guard_reason.get("Code") != "ConditionalCheckFailed":
            # TransactionConflict, throttling...: nothing was written, a retry can succeed.
            codes = ",".join(str(r.get("Code")) for r in reasons)
            raise TransientStoreError(f"transaction cancelled: {codes}") from cancelled
        existing = guard_reason.get("Item") or self._get(guard["pk"], guard["sk"])
        stored_fingerprint = decode(existing).get("fingerprint") if existing else None
        return StoreOutcome.DUPLICATE if stored_fingerprint == fingerprint else StoreOutcome.CONFLICT

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        response = self._client.get_item(
            TableName=self._table, Key=encode({"pk": pk, "sk": sk}), ConsistentRead=True
        )
        return response.get("Item")

    def query(
        self, patient_id: str, series: str, start: datetime, end: datetime, *, limit: int = 1000,
        newest_first: bool = False,
    ) -> Sequence[TimelineEntry]:
        prefix = keys.timeline_prefix(series)
        # An entry's sk is prefix + time + "#" + id, so "prefix + end" sorts before every entry at `end`:
        # BETWEEN is inclusive, yet the range is half-open [start, end) as documented.
        values = encode({":pk": keys.patient_pk(patient_id), ":from": prefix + to_canonical(start),
                         ":to": prefix + to_canonical(end)})
        entries: list[TimelineEntry] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :from AND :to",
            "ExpressionAttributeValues": values,
            "ScanIndexForward": not newest_first,
            # Scoring reads right after the TransactWriteItems: an eventually consistent read may miss it.
            "ConsistentRead": True,
        }
        while len(entries) < limit:
            try:
                page = self._client.query(**request, Limit=limit - len(entries))
            except (ClientError, BotoCoreError) as error:
                raise_if_transient(error)
                raise
            entries.extend(_entry_from(decode(item)) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return entries

    def latest(self, patient_id: str, series: str, *, before: datetime) -> TimelineEntry | None:
        prefix = keys.timeline_prefix(series)
        # Every entry's sk is prefix + time + "#" + id: BETWEEN prefix AND prefix + before is the entries
        # measured before ``before``; newest first, one item.
        values = encode({":pk": keys.patient_pk(patient_id), ":from": prefix, ":to": prefix + to_canonical(before)})
        try:
            page = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
                ExpressionAttributeValues=values,
                ScanIndexForward=False,
                Limit=1,
                ConsistentRead=True,  # the batch just written must be seen (adherence after a reading)
            )
        except (ClientError, BotoCoreError) as error:
            raise_if_transient(error)
            raise
        items = page.get("Items", [])
        return _entry_from(decode(items[0])) if items else None


def _entry_item(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "pk": keys.patient_pk(entry.patient_id),
        "sk": keys.timeline_sk(entry.series, entry.measured_at, entry.reading_id),
        "item_type": "timeline_entry",
        "series": entry.series,
        "measured_at": to_canonical(entry.measured_at),
        "received_at": to_canonical(entry.received_at),
        "device_id": entry.device_id,
        "reading_id": entry.reading_id,
        "value": entry.value,
        "unit": entry.unit,
        "answers": dict(entry.answers) if entry.answers else None,
    }


def _entry_from(item: dict[str, Any]) -> TimelineEntry:
    value = item.get("value")
    answers = item.get("answers") or {}
    return TimelineEntry(
        patient_id=str(item["pk"]).removeprefix("PATIENT#"),
        series=str(item["series"]),
        measured_at=from_canonical(str(item["measured_at"])),
        received_at=from_canonical(str(item["received_at"])),
        device_id=str(item["device_id"]),
        reading_id=str(item["reading_id"]),
        value=None if value is None else float(value),
        unit=item.get("unit"),
        answers=tuple(sorted((code, _answer(value)) for code, value in answers.items())),
    )


def _answer(stored: Any) -> Answer:
    """DynamoDB hands numbers back as Decimal and lists as lists: an ESAS-r 7 is the int 7 again, pain
    sites a tuple."""
    if isinstance(stored, bool | str):
        return stored
    if isinstance(stored, list):
        return tuple(str(code) for code in stored)
    return int(stored)
