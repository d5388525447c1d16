"""One-off: give every patient a complete newest-readings summary from the timeline entries already stored.

Scoring reads only the window series a patient's summary lists (``dho.evaluation.windows``), and ingest keeps
the summary in the transaction that stores each reading; entries stored before the summary existed are not
in it. Order: run this once per tenant table, then deploy the scoring that relies on it. It is safe while
readings keep arriving: every update only moves a mark forward, so a reading stored meanwhile is never undone.

    python -m dho.adapters.newest_readings_backfill --table dho-<tenant>

One paginated Scan that returns only the timeline entries' keys (the mark is the sort key's tail; DynamoDB
still charges read capacity for whole items, so run it off-peak on a large table), then one conditional
update per patient.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3

from dho.adapters.dynamodb_codec import decode, encode
from dho.adapters.dynamodb_newest_readings import SERIES_PREFIX, stored_marks, summary_key, summary_update
from dho.domain.newest_readings import newer_than_stored

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_ATTEMPTS = 4  # a condition fails only while readings of the same patient land meanwhile


@dataclass(frozen=True, slots=True)
class BackfillReport:
    entries_seen: int
    patients_updated: int
    marks_moved: int


def newest_marks_in_table(client: DynamoDBClient, table: str) -> tuple[dict[str, dict[str, str]], int]:
    """Per patient, series -> the mark of its newest stored entry, and how many entries were seen."""
    newest: dict[str, dict[str, str]] = {}
    seen = 0
    pages = client.get_paginator("scan").paginate(
        TableName=table, ProjectionExpression="pk, sk", FilterExpression="begins_with(sk, :tl)",
        ExpressionAttributeValues=encode({":tl": SERIES_PREFIX}), ConsistentRead=True,
    )
    for page in pages:
        for item in page.get("Items", []):
            key = decode(item)
            if not str(key["pk"]).startswith("PATIENT#"):
                continue
            series, _, mark = str(key["sk"]).removeprefix(SERIES_PREFIX).partition("#")
            marks = newest.setdefault(str(key["pk"]).removeprefix("PATIENT#"), {})
            if series not in marks or marks[series] < mark:
                marks[series] = mark
            seen += 1
    return newest, seen


def move_forward(client: DynamoDBClient, table: str, patient_id: str, marks: Mapping[str, str]) -> int:
    """Set the marks that are newer than the summary's; how many moved."""
    current = dict(marks)
    for _ in range(_ATTEMPTS):
        stored = client.get_item(TableName=table, Key=encode(summary_key(patient_id)), ConsistentRead=True)
        current = newer_than_stored(current, stored_marks(decode(stored.get("Item", {}))))
        if not current:
            return 0
        try:
            client.update_item(**summary_update(table, patient_id, current)["Update"])
        except client.exceptions.ConditionalCheckFailedException:
            continue  # a reading moved a mark meanwhile: read again
        return len(current)
    raise RuntimeError(f"the summary of a patient kept moving during {_ATTEMPTS} attempts")


def backfill(client: DynamoDBClient, table: str) -> BackfillReport:
    newest, seen = newest_marks_in_table(client, table)
    moved = [move_forward(client, table, patient_id, marks) for patient_id, marks in sorted(newest.items())]
    return BackfillReport(seen, sum(1 for m in moved if m), sum(moved))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", required=True, help="the tenant's table, dho-<tenant>")
    args = parser.parse_args(argv)
    report = backfill(boto3.client("dynamodb"), args.table)
    # Counts only: no patient id (a person's) goes to the terminal.
    print(f"{report.entries_seen} timeline entries; {report.marks_moved} marks moved forward for "
          f"{report.patients_updated} patients")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
