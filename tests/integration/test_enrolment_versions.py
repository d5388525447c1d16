"""Enrolments on DynamoDB (moto server) as the enrolment routes write them: created only once, changed
only from the version read (a concurrent change loses), every field of the record kept."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from dho.adapters import keys
from dho.adapters.dynamodb_codec import encode
from dho.adapters.dynamodb_enrolments import DynamoDbEnrolments
from dho.centre.enrolment import DischargeReason, Enrolment
from localcloud.moto_harness.dynamodb_eventual_consistency import LAG_VARIABLE

pytestmark = pytest.mark.integration

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
ENROLMENT = Enrolment("P-VER00001", "Pasient V", "V-01", "copd", "salten", "9100101", ("999000001",), "2026/1-1",
                      date(2026, 12, 1), date(2026, 12, 2), date(2027, 3, 2), recorded_by="sub:admin", recorded_at=AT)


def test_an_enrolment_is_created_once_and_changed_only_from_the_version_read(dynamodb: Any, tenant_table: str) -> None:
    enrolments = DynamoDbEnrolments(dynamodb, tenant_table)

    assert enrolments.save(ENROLMENT, None) is True
    assert enrolments.save(replace(ENROLMENT, decision_ref="other"), None) is False  # exists already
    discharged = replace(ENROLMENT, discharged_on=date(2026, 12, 9), discharge_reason=DischargeReason.STABLE,
                         discharged_by="sub:admin", reviewed_by="9100001", reviewed_at=AT, version=2)
    assert enrolments.save(discharged, 1) is True
    assert enrolments.save(replace(discharged, version=3, discharge_reason=DischargeReason.DECEASED), 1) is False

    assert enrolments.get(ENROLMENT.patient_id) == discharged


def test_an_enrolment_stored_before_versions_is_version_1(dynamodb: Any, tenant_table: str) -> None:
    legacy = replace(ENROLMENT, patient_id="P-VER00002", recorded_by=None, recorded_at=None)
    item = {"pk": keys.patient_pk(legacy.patient_id), "sk": keys.ENROLMENT_SK, "item_type": "enrolment",
            "patient_id": legacy.patient_id, "name": legacy.name, "code": legacy.code, "programme": legacy.programme,
            "centre_id": legacy.centre_id, "gp_hpr": legacy.gp_hpr, "hospital_organisations": ["999000001"],
            "decision_ref": legacy.decision_ref, "decided_on": "2026-12-01", "start": "2026-12-02",
            "review_on": "2027-03-02"}
    dynamodb.put_item(TableName=tenant_table, Item=encode(item))
    enrolments = DynamoDbEnrolments(dynamodb, tenant_table)

    assert enrolments.get(legacy.patient_id) == legacy
    assert enrolments.save(replace(legacy, review_on=date(2027, 6, 2), version=2), 1) is True
    assert enrolments.get(legacy.patient_id) == replace(legacy, review_on=date(2027, 6, 2), version=2)


def test_the_caseload_is_one_index_read_in_pages_the_review_due_first(dynamodb: Any, tenant_table: str) -> None:
    enrolments = DynamoDbEnrolments(dynamodb, tenant_table)
    for n, month in enumerate((5, 2, 9, 3, 7)):
        enrolments.save(replace(ENROLMENT, patient_id=f"P-CASE000{n}", review_on=date(2027, month, 1)), None)
    discharged = replace(ENROLMENT, patient_id="P-CASE0009", review_on=date(2027, 1, 1))
    enrolments.save(discharged, None)
    enrolments.save(replace(discharged, discharged_on=date(2026, 12, 9), discharge_reason=DischargeReason.DECLINED,
                            version=2), 1)

    pages, after = [], None
    while True:
        page = enrolments.caseload(limit=2, after=after)
        pages.append([e.patient_id for e in page.enrolments])
        after = page.next_page
        if after is None:
            break

    listed = [p for page in pages for p in page if p.startswith("P-CASE")]
    assert listed == ["P-CASE0001", "P-CASE0003", "P-CASE0000", "P-CASE0004", "P-CASE0002"]  # by review date
    assert all(len(page) <= 2 for page in pages)


def test_the_caseload_never_shows_a_discharge_or_a_review_the_index_has_not_caught_up_with(
    dynamodb: Any, tenant_table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN two enrolled patients, and then an index that lags the table (as a GSI in AWS may)
    enrolments = DynamoDbEnrolments(dynamodb, tenant_table)
    leaving = replace(ENROLMENT, patient_id="P-LAGS0001", review_on=date(2027, 1, 1))
    staying = replace(ENROLMENT, patient_id="P-LAGS0002", review_on=date(2027, 2, 1))
    enrolments.save(leaving, None)
    enrolments.save(staying, None)
    monkeypatch.setenv(LAG_VARIABLE, "3000")
    written = time.monotonic()

    # WHEN one is discharged and the other reviewed, and the caseload is read at once
    enrolments.save(replace(leaving, discharged_on=date(2026, 12, 9), discharge_reason=DischargeReason.STABLE,
                            version=2), 1)
    reviewed = replace(staying, reviewed_by="9100001", reviewed_at=AT, review_on=date(2027, 6, 1), version=2)
    enrolments.save(reviewed, 1)
    listed = [e for e in enrolments.caseload(limit=50).enrolments if e.patient_id.startswith("P-LAGS")]

    # THEN the discharged patient is not there and the review shows, though the index still has the old items
    assert time.monotonic() - written < 3.0
    assert listed == [reviewed]
