"""The escalation sweep through its handler on a moto server: each tick reads only the alerts due by its
time (one bounded key-range query on the due index), however many alerts are open, and a tick that
Lambda delivers again (an asynchronous invocation is retried with the same event) tells nobody twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from dho.adapters.dynamodb_alerts import DynamoDbAlerts
from dho.alerting.policy import AlertPolicy
from dho.alerting.service import AlertService
from dho.domain.findings import Evaluation, Finding, Rule, Severity
from localcloud.lambda_loader import FakeLambdaContext, load_handler
from localcloud.queues import TopicInbox
from tests.support.alert_fakes import RecordingNotifier

pytestmark = pytest.mark.integration

RAISED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WAITING_YELLOWS, ACKNOWLEDGED_REDS = 50, 10
NURSE = "1234567"


def _tick(minutes: int) -> dict[str, Any]:
    """An EventBridge scheduled event; a retry of the same tick is this very event again."""
    at = RAISED + timedelta(minutes=minutes)
    return {"version": "0", "detail-type": "Scheduled Event", "source": "aws.events",
            "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "detail": {}}


@dataclass
class DynamoDbReads:
    """What the function's DynamoDB clients asked for and got back (botocore's own event hooks)."""

    items: int = 0
    queries: list[dict[str, Any]] = field(default_factory=list)
    scans: int = 0

    def request(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "Query":
            self.queries.append(dict(params))
        self.scans += model.name == "Scan"

    def response(self, parsed: dict[str, Any], **_: Any) -> None:
        self.items += len(parsed.get("Items", [])) + ("Item" in parsed)
        self.items += sum(len(found) for found in parsed.get("Responses", {}).values())

    def reset(self) -> None:
        self.items, self.queries, self.scans = 0, [], 0


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> DynamoDbReads:
    """Every DynamoDB client the functions create from now on reports to this."""
    seen = DynamoDbReads()
    create: Callable[..., Any] = boto3.client

    def observed_client(service: str, *args: Any, **kwargs: Any) -> Any:
        client = create(service, *args, **kwargs)
        if service == "dynamodb":
            client.meta.events.register("provide-client-params.dynamodb", seen.request)
            client.meta.events.register("after-call.dynamodb", seen.response)
        return client

    monkeypatch.setattr(boto3, "client", observed_client)
    return seen


@pytest.fixture
def ward(dynamodb: Any, tenant_table: str) -> str:
    """One red nobody has acknowledged (raised at RAISED: its next step is due 15 minutes later), and many
    open alerts the sweep has nothing to do with for a while: yellows (they go stale after 72 hours) and
    reds a nurse took 10 minutes after RAISED (they re-trigger 30 minutes after that)."""
    service = AlertService(AlertPolicy(), DynamoDbAlerts(dynamodb, tenant_table), RecordingNotifier(),
                           tenant_name="Bodø", clock=lambda: RAISED)

    def raise_alert(patient: str, rule: Rule, severity: Severity) -> None:
        finding = Finding(patient, rule, severity, "over the limit", (f"{patient}-r1",), RAISED - timedelta(hours=1))
        service.on_evaluation(Evaluation(patient, RAISED, (finding,), frozenset()), RAISED)

    raise_alert("P-RED00001", Rule.SPO2_BAND, Severity.RED)
    for n in range(WAITING_YELLOWS):
        raise_alert(f"P-Y{n:07d}", Rule.WEIGHT_GAIN, Severity.YELLOW)
    for n in range(ACKNOWLEDGED_REDS):
        raise_alert(f"P-A{n:07d}", Rule.SPO2_BAND, Severity.RED)
    for alert in DynamoDbAlerts(dynamodb, tenant_table).triage():
        if alert.patient_id.startswith("P-A"):
            service.acknowledge(alert.alert_id, NURSE, RAISED + timedelta(minutes=10))
    return tenant_table


def _partition(query: dict[str, Any]) -> str:
    """The index partition a query reads (the one string value among its key condition's values)."""
    (partition,) = [v["S"] for k, v in query["ExpressionAttributeValues"].items() if k != ":due_by" and "S" in v]
    return str(partition)


def _attributes(message: dict[str, Any]) -> tuple[str, str, str]:
    attributes = {name: a["Value"] for name, a in message["MessageAttributes"].items()}
    return attributes["severity"], attributes["kind"], attributes["tier"]


def test_a_tick_reads_only_the_alerts_due_by_its_time_and_a_retried_tick_tells_nobody_again(
    ward: str, alert_inbox: TopicInbox, reads: DynamoDbReads, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dho.alerting.service.utc_now", lambda: RAISED)  # the functions' wall clock
    sweep = load_handler("escalate_alerts")

    # WHEN the sweep ticks 16 minutes after the red, with 61 alerts open
    first = sweep.lambda_handler(_tick(16), FakeLambdaContext())

    # THEN the red's second step is told: the back-up nurse (tier 1), once
    assert (first["written"], first["notified"]) == (1, 1)
    assert [_attributes(m) for m in alert_inbox.messages()] == [("red", "escalation", "1")]
    # AND the tick read the one due alert (its marker and the alert), none of the 60 not yet due
    assert reads.items <= 2, f"{reads.items} items read for one due alert"
    assert reads.scans == 0
    # AND it found its alerts with one key range with a limit on the due index, never by listing the open ones
    partitions = {_partition(q): q for q in reads.queries if q.get("IndexName") == "triage"}
    assert "OPEN" not in partitions
    assert "Limit" in partitions["DUE"] and "< :due_by" in partitions["DUE"]["KeyConditionExpression"]

    # WHEN Lambda delivers the same tick again (an asynchronous invocation retried with its old event time)
    reads.reset()
    again = sweep.lambda_handler(_tick(16), FakeLambdaContext())

    # THEN nothing is due any more, nothing is written and nobody is told again
    assert (again["written"], again["notified"]) == (0, 0)
    assert alert_inbox.messages() == [] and reads.items == 0


def test_a_tick_that_failed_after_its_write_and_is_retried_sends_its_sms_exactly_once(
    ward: str, alert_inbox: TopicInbox, reads: DynamoDbReads, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dho.alerting.service.utc_now", lambda: RAISED + timedelta(minutes=16))
    sweep = load_handler("escalate_alerts")

    # GIVEN the tick at 16 minutes fails at its publish, after the escalation was written (SNS refuses it):
    # the SMS is left in the outbox, the tick does not fail
    monkeypatch.setenv("DHO_ALERT_TOPIC_ARN", alert_inbox.topic_arn.rsplit(":", 1)[0] + ":dho-bodo-gone")
    failed = sweep.lambda_handler(_tick(16), FakeLambdaContext())
    assert (failed["written"], failed["notified"], failed["deferred"]) == (1, 0, 1)

    # WHEN Lambda retries that tick (the same event) once SNS is back
    monkeypatch.setenv("DHO_ALERT_TOPIC_ARN", alert_inbox.topic_arn)
    sweep = load_handler("escalate_alerts")  # a fresh instance reads the topic from the environment again
    retried = sweep.lambda_handler(_tick(16), FakeLambdaContext())

    # THEN the retry writes and sends nothing: the escalation it owed is written and its SMS waits in the outbox
    assert (retried["written"], retried["notified"]) == (0, 0) and alert_inbox.messages() == []
    # AND the next ticks send that SMS once (after the grace period), and nothing more before its next step
    for minute in (17, 18, 19, 20):
        sweep.lambda_handler(_tick(minute), FakeLambdaContext())
    assert [_attributes(m) for m in alert_inbox.messages()] == [("red", "escalation", "1")]


def test_after_an_upgrade_an_open_red_written_before_the_due_index_is_escalated_once_the_operator_indexes_it(
    dynamodb: Any, tenant_table: str, alert_inbox: TopicInbox
) -> None:
    # GIVEN a red stored as before the due index (no marker), nobody told of its next step yet
    repo, policy = DynamoDbAlerts(dynamodb, tenant_table), AlertPolicy()
    finding = Finding("P-OLD00001", Rule.SPO2_BAND, Severity.RED, "over the limit", ("r-1",), RAISED)
    (write,) = policy.decide(Evaluation("P-OLD00001", RAISED, (finding,), frozenset()), [], RAISED).writes
    assert repo.save(write.alert, None)
    sweep = load_handler("escalate_alerts")
    assert sweep.lambda_handler(_tick(16), FakeLambdaContext())["notified"] == 0  # the sweep cannot see it

    # WHEN the operator invokes the function once to index the open alerts (twice: it is idempotent)
    assert sweep.lambda_handler({"action": "index_open_alerts"}, FakeLambdaContext()) == {"indexed": 1}
    assert sweep.lambda_handler({"action": "index_open_alerts"}, FakeLambdaContext()) == {"indexed": 1}

    # THEN the next tick escalates it, once
    assert sweep.lambda_handler(_tick(17), FakeLambdaContext())["notified"] == 1
    assert sweep.lambda_handler(_tick(18), FakeLambdaContext())["notified"] == 0
    assert [_attributes(m) for m in alert_inbox.messages()] == [("red", "escalation", "1")]
