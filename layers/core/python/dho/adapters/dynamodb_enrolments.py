"""Enrolments on the tenant's DynamoDB table: one item per patient (``PATIENT#<id>`` / ``ENROLMENT``),
read by key (the patient view) or in batches of 100 (the worklist's rows), never scanned."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from dho.adapters import keys
from dho.adapters.dynamodb_codec import decode, encode, raise_if_transient
from dho.adapters.table_schema import TRIAGE_INDEX, TRIAGE_PARTITION_KEY, TRIAGE_SORT_KEY
from dho.centre.enrolment import CaseloadPage, DischargeReason, Enrolment
from dho.domain.clock import from_canonical, to_canonical

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_BATCH_GET_LIMIT = 100


class DynamoDbEnrolments:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def enrol(self, enrolment: Enrolment) -> None:
        try:
            self._client.put_item(TableName=self._table, Item=encode(_item(enrolment)))
        except (ClientError, BotoCoreError) as error:
            raise_if_transient(error)
            raise

    def save(self, enrolment: Enrolment, expected_version: int | None) -> bool:
        """Create (``expected_version`` None: only if the patient has no enrolment) or replace the stored
        ``expected_version``; False, writing nothing, if the stored enrolment is not what was expected."""
        request: dict[str, Any] = {"TableName": self._table, "Item": encode(_item(enrolment))}
        if expected_version is None:
            request["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            # An enrolment stored before versions existed has none: it is version 1.
            unversioned = " OR (attribute_exists(pk) AND attribute_not_exists(#v))" if expected_version == 1 else ""
            request["ConditionExpression"] = f"#v = :expected{unversioned}"
            request["ExpressionAttributeNames"] = {"#v": "version"}
            request["ExpressionAttributeValues"] = encode({":expected": expected_version})
        try:
            self._client.put_item(**request)
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        except (ClientError, BotoCoreError) as error:
            raise_if_transient(error)
            raise
        return True

    def get(self, patient_id: str) -> Enrolment | None:
        try:
            response = self._client.get_item(TableName=self._table, Key=encode(_key(patient_id)), ConsistentRead=True)
        except (ClientError, BotoCoreError) as error:
            raise_if_transient(error)
            raise
        item = response.get("Item")
        return None if item is None else _enrolment_from(decode(item))

    def get_many(self, patient_ids: Sequence[str], *, consistent: bool = False) -> Mapping[str, Enrolment]:
        wanted = list(dict.fromkeys(patient_ids))
        found: dict[str, Enrolment] = {}
        for start in range(0, len(wanted), _BATCH_GET_LIMIT):
            pending: dict[str, Any] = {self._table: {
                "Keys": [encode(_key(p)) for p in wanted[start : start + _BATCH_GET_LIMIT]],
                "ConsistentRead": consistent,
            }}
            while pending:
                try:
                    response = self._client.batch_get_item(RequestItems=pending)
                except (ClientError, BotoCoreError) as error:
                    raise_if_transient(error)
                    raise
                for item in response.get("Responses", {}).get(self._table, []):
                    enrolment = _enrolment_from(decode(item))
                    found[enrolment.patient_id] = enrolment
                pending = dict(response.get("UnprocessedKeys") or {})
        return found


    def caseload(self, *, limit: int, after: str | None = None) -> CaseloadPage:
        """Enrolled (not discharged) patients, the review due first, at most ``limit``, from after the
        page token ``after``: one key-range query on the triage index's ``CASELOAD`` partition, then the
        page's enrolments read again consistently (the index may lag a write: a patient discharged a
        moment ago is left out, a review recorded a moment ago shows)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": TRIAGE_INDEX,
            "KeyConditionExpression": "#tpk = :caseload",
            "ExpressionAttributeNames": {"#tpk": TRIAGE_PARTITION_KEY},
            "ExpressionAttributeValues": encode({":caseload": keys.TRIAGE_CASELOAD}),
        }
        if after is not None:
            patient_id = after.rpartition("#")[2]
            request["ExclusiveStartKey"] = encode({**_key(patient_id), TRIAGE_PARTITION_KEY: keys.TRIAGE_CASELOAD,
                                                   TRIAGE_SORT_KEY: after})
        indexed: list[dict[str, Any]] = []
        more = False
        while len(indexed) < limit:
            try:
                page = self._client.query(**request, Limit=limit - len(indexed))
            except (ClientError, BotoCoreError) as error:
                raise_if_transient(error)
                raise
            indexed.extend(decode(item) for item in page.get("Items", []))
            more = "LastEvaluatedKey" in page
            if not more:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        fresh = self.get_many([str(item["patient_id"]) for item in indexed], consistent=True)
        found = [fresh[p] for p in (str(item["patient_id"]) for item in indexed)
                 if p in fresh and not fresh[p].is_discharged]
        return CaseloadPage(tuple(found), str(indexed[-1][TRIAGE_SORT_KEY]) if more and indexed else None)


def _key(patient_id: str) -> dict[str, str]:
    return {"pk": keys.patient_pk(patient_id), "sk": keys.ENROLMENT_SK}


def _item(enrolment: Enrolment) -> dict[str, Any]:
    caseload = {} if enrolment.is_discharged else {
        TRIAGE_PARTITION_KEY: keys.TRIAGE_CASELOAD,
        TRIAGE_SORT_KEY: keys.caseload_triage_sk(enrolment.review_on, enrolment.patient_id),
    }
    return {
        **_key(enrolment.patient_id),
        **caseload,
        "item_type": "enrolment",
        "patient_id": enrolment.patient_id,
        "name": enrolment.name,
        "code": enrolment.code,
        "programme": enrolment.programme,
        "centre_id": enrolment.centre_id,
        "gp_hpr": enrolment.gp_hpr,
        "hospital_organisations": list(enrolment.hospital_organisations),
        "decision_ref": enrolment.decision_ref,
        "decided_on": enrolment.decided_on.isoformat(),
        "start": enrolment.start.isoformat(),
        "review_on": enrolment.review_on.isoformat(),
        "recorded_by": enrolment.recorded_by,
        "recorded_at": _time(enrolment.recorded_at),
        "discharged_on": None if enrolment.discharged_on is None else enrolment.discharged_on.isoformat(),
        "discharge_reason": None if enrolment.discharge_reason is None else enrolment.discharge_reason.value,
        "discharged_by": enrolment.discharged_by,
        "reviewed_by": enrolment.reviewed_by,
        "reviewed_at": _time(enrolment.reviewed_at),
        "version": enrolment.version,
    }


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else to_canonical(moment)


def _optional_date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))


def _optional_time(value: Any) -> datetime | None:
    return None if value is None else from_canonical(str(value))


def _enrolment_from(item: dict[str, Any]) -> Enrolment:
    return Enrolment(
        patient_id=str(item["patient_id"]),
        name=str(item["name"]),
        code=str(item["code"]),
        programme=str(item["programme"]),
        centre_id=str(item["centre_id"]),
        gp_hpr=item.get("gp_hpr"),
        hospital_organisations=tuple(str(o) for o in item.get("hospital_organisations", [])),
        decision_ref=str(item["decision_ref"]),
        decided_on=date.fromisoformat(str(item["decided_on"])),
        start=date.fromisoformat(str(item["start"])),
        review_on=date.fromisoformat(str(item["review_on"])),
        recorded_by=item.get("recorded_by"),
        recorded_at=_optional_time(item.get("recorded_at")),
        discharged_on=_optional_date(item.get("discharged_on")),
        discharge_reason=None if item.get("discharge_reason") is None else DischargeReason(item["discharge_reason"]),
        discharged_by=item.get("discharged_by"),
        reviewed_by=item.get("reviewed_by"),
        reviewed_at=_optional_time(item.get("reviewed_at")),
        version=int(item.get("version", 1)),  # enrolments written before versions existed are version 1
    )
