"""The Normen access log (its own table) and the export's alert history on a moto server: bounded key-range
queries."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dho.adapters.dynamodb_access_log import DynamoDbAccessLog
from dho.adapters.dynamodb_alerts import DynamoDbAlerts
from dho.domain.access_log import FHIR_EXPORT_OBJECT, AccessOutcome, AccessRecord
from dho.domain.alerts import Alert, AlertState
from dho.domain.findings import Rule, Severity

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _access(access_id: str, patient_id: str | None, at: datetime) -> AccessRecord:
    return AccessRecord(access_id, patient_id, at, FHIR_EXPORT_OBJECT, AccessOutcome.EXPORTED, "9144900",
                        "fastlege", "974116804", at - timedelta(days=7), at, 12)


def test_who_accessed_a_patient_is_one_query_newest_first_over_a_half_open_period(
    dynamodb: Any, access_log_table: str
) -> None:
    log = DynamoDbAccessLog(dynamodb, access_log_table)
    for n in range(4):
        log.record(_access(f"a{n}", "P-C0PD0001", T0 + timedelta(hours=n)))
    log.record(_access("other", "P-HF000001", T0 + timedelta(hours=1)))
    log.record(_access("nobody", None, T0 + timedelta(hours=1)))

    found = log.accessed("P-C0PD0001", T0, T0 + timedelta(hours=3))
    assert [r.access_id for r in found] == ["a2", "a1", "a0"]  # the one at the end is out
    assert found[0] == _access("a2", "P-C0PD0001", T0 + timedelta(hours=2))  # round trip
    assert [r.access_id for r in log.accessed("P-C0PD0001", T0, T0 + timedelta(days=1), limit=2)] == ["a3", "a2"]


def test_an_access_log_entry_is_never_overwritten(dynamodb: Any, access_log_table: str) -> None:
    log = DynamoDbAccessLog(dynamodb, access_log_table)
    log.record(_access("a1", "P-C0PD0001", T0))
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
        log.record(_access("a1", "P-C0PD0001", T0))


def _alert(rule: Rule, opened_at: datetime) -> Alert:
    return Alert(alert_id=f"A-{rule.value}-{opened_at:%H%M}", patient_id="P-C0PD0001", rule=rule,
                 severity=Severity.YELLOW, state=AlertState.OPEN, opened_at=opened_at, updated_at=opened_at,
                 last_evidence_at=opened_at, evidence=("r-1",), detail="test", policy_version="test")


def test_alerts_opened_in_a_period_of_every_rule_oldest_first_and_none_at_its_end(
    dynamodb: Any, tenant_table: str
) -> None:
    alerts = DynamoDbAlerts(dynamodb, tenant_table)
    for rule, hours in ((Rule.SPO2_BAND, 1), (Rule.SPO2_BELOW_PERSONAL_MEAN, 0), (Rule.WEIGHT_GAIN, -1),
                        (Rule.NEWS2, 3)):
        assert alerts.save(_alert(rule, T0 + timedelta(hours=hours)), None)

    calls = _count_calls(dynamodb)
    found = alerts.opened_between("P-C0PD0001", T0, T0 + timedelta(hours=3))
    assert [(a.rule, a.opened_at) for a in found] == [
        (Rule.SPO2_BELOW_PERSONAL_MEAN, T0), (Rule.SPO2_BAND, T0 + timedelta(hours=1))]
    assert calls == {"Query": 1}  # every rule in one query, not one per rule (the caseload asks per row)
    assert alerts.opened_between("P-HF000001", T0, T0 + timedelta(hours=3)) == []


def _count_calls(client: Any) -> Counter[str]:
    """How many times each DynamoDB operation is called on ``client`` from now on."""
    calls: Counter[str] = Counter()
    client.meta.events.register("before-call.dynamodb.*",
                                lambda model, **_: calls.update([model.name]))
    return calls


def test_many_entries_are_written_in_transactions_of_a_hundred_not_one_put_each(
    dynamodb: Any, access_log_table: str
) -> None:
    log = DynamoDbAccessLog(dynamodb, access_log_table)
    calls = _count_calls(dynamodb)
    accesses = [_access(f"w{n:03d}", f"P-WORK{n:04d}", T0) for n in range(250)]

    log.record_all(accesses)

    assert (calls["TransactWriteItems"], calls["PutItem"], calls["BatchWriteItem"]) == (3, 0, 0)
    assert all(log.accessed(a.patient_id or "", T0, T0 + timedelta(seconds=1)) == [a] for a in accesses)


def test_a_batch_that_would_overwrite_an_entry_writes_none_of_its_entries(dynamodb: Any, access_log_table: str) -> None:
    log = DynamoDbAccessLog(dynamodb, access_log_table)
    log.record(_access("a1", "P-C0PD0001", T0))

    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        log.record_all([_access("fresh", "P-HF000001", T0), _access("a1", "P-C0PD0001", T0)])

    assert log.accessed("P-HF000001", T0, T0 + timedelta(seconds=1)) == []
