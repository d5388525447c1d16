"""Every message the local rules engine receives ends in exactly one outcome (delivered, filtered, or the
error action with its reason), and each delivered message is one SQS message, as in IoT Core."""

from __future__ import annotations

import base64
import json
from typing import Any

from localcloud.cloud_assembly import StackTemplate, mapping_resolver
from localcloud.iot_rules import RuleMessage, RulesEngine, TopicRule, rules_from_stacks

NOW_MS = 1_795_000_000_123
READINGS = "http://sqs.local/123456789012/readings"
ERRORS = "http://sqs.local/123456789012/rule-errors"
TOPIC = "dho/bodo/devices/oxi-0001/readings"


class RecordingSqs:
    """SendMessage and SendMessageBatch as SQS answers them; ``refuse`` fails the entries whose body has it."""

    def __init__(self, refuse: str | None = None) -> None:
        self.sent: list[tuple[str, str]] = []  # (queue, body), one per SQS message
        self.calls = 0
        self.refuse = refuse

    def send_message(self, QueueUrl: str, MessageBody: str) -> dict[str, Any]:  # boto3's names
        self.calls += 1
        self.sent.append((QueueUrl, MessageBody))
        return {"MessageId": str(len(self.sent))}

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        self.calls += 1
        failed = [{"Id": e["Id"], "Code": "InvalidParameterValue", "Message": "refused", "SenderFault": True}
                  for e in Entries if self.refuse and self.refuse in e["MessageBody"]]
        failed_ids = {f["Id"] for f in failed}
        self.sent.extend((QueueUrl, e["MessageBody"]) for e in Entries if e["Id"] not in failed_ids)
        return {"Successful": [{"Id": e["Id"]} for e in Entries if e["Id"] not in failed_ids], "Failed": failed}

    def bodies(self, queue: str) -> list[dict[str, Any]]:
        return [json.loads(body) for url, body in self.sent if url == queue]


def readings_rule() -> TopicRule:
    template = {"Resources": {"Rule": {"Type": "AWS::IoT::TopicRule", "Properties": {
        "RuleName": "readings", "TopicRulePayload": {
            "AwsIotSqlVersion": "2016-03-23",
            "Sql": "SELECT *, topic(2) AS tenant, timestamp() AS received_at FROM 'dho/+/devices/+/readings' "
                   "WHERE schema = 'dho.device-reading/1'",
            "Actions": [{"Sqs": {"QueueUrl": READINGS, "RoleArn": "arn:aws:iam::123456789012:role/r"}}],
            "ErrorAction": {"Sqs": {"QueueUrl": ERRORS, "RoleArn": "arn:aws:iam::123456789012:role/r"}}}}}}}
    [rule] = rules_from_stacks([StackTemplate("DhoTenant-bodo", template)])
    return rule


def reading(reading_id: str, schema: str = "dho.device-reading/1") -> bytes:
    return json.dumps({"schema": schema, "reading_id": reading_id}).encode()


def nested(levels: int) -> bytes:
    return b'{"schema": "dho.device-reading/1", "deep": ' + b"[" * levels + b"]" * levels + b"}"


def test_a_deeply_nested_body_ends_in_the_error_action_with_its_reason() -> None:
    # GIVEN a JSON body nested 100,000 levels deep (Python's parser gives up at its recursion limit)
    sqs = RecordingSqs()
    rule = readings_rule()
    engine = RulesEngine([rule], sqs, mapping_resolver({}), clock=lambda: NOW_MS)

    # WHEN the rule receives it
    outcome = engine.handle(rule, TOPIC, nested(100_000))

    # THEN it is not lost: the error action has it, with the reason and the original payload
    assert outcome == "refused"
    [record] = sqs.bodies(ERRORS)
    assert record["ruleName"] == "readings" and record["topic"] == TOPIC
    assert "nested too deeply" in record["failures"][0]["errorMessage"]
    assert base64.b64decode(record["base64OriginalPayload"]) == nested(100_000)
    assert sqs.bodies(READINGS) == []
    counts = engine.total
    assert counts.received == 1 and counts.refused == 1


def test_in_a_batch_every_message_ends_in_exactly_one_outcome_and_the_counts_add_up() -> None:
    # GIVEN a batch of good readings, one the WHERE clause filters, one too deep, one SQS refuses
    sqs = RecordingSqs(refuse="r-refused")
    rule = readings_rule()
    engine = RulesEngine([rule], sqs, mapping_resolver({}), clock=lambda: NOW_MS)
    messages = [RuleMessage(TOPIC, reading(f"r-{i}")) for i in range(8)]
    messages.insert(2, RuleMessage(TOPIC, reading("r-old", schema="other/1")))
    messages.insert(5, RuleMessage(TOPIC, nested(50_000)))
    messages.append(RuleMessage(TOPIC, reading("r-refused")))

    # WHEN the rule handles them together
    outcomes = engine.handle_batch(rule, messages)

    # THEN one outcome per message, in order; one SQS message per delivered reading; errors kept
    assert outcomes == ["delivered"] * 2 + ["filtered"] + ["delivered"] * 2 + ["refused"] + ["delivered"] * 4 + [
        "errored"]
    assert [body["reading_id"] for body in sqs.bodies(READINGS)] == [f"r-{i}" for i in range(8)]
    assert all(body["tenant"] == "bodo" and body["received_at"] == NOW_MS for body in sqs.bodies(READINGS))
    assert [e["failures"][0]["failedAction"] for e in sqs.bodies(ERRORS)] == ["RuleEvaluation", "SqsAction"]
    counts = engine.total
    assert counts.received == len(messages) == 11
    assert counts.received == counts.delivered + counts.filtered + counts.refused + counts.errored
    assert len(engine.errors) == counts.refused + counts.errored


def test_delivered_readings_travel_in_sqs_batches_of_at_most_ten() -> None:
    sqs = RecordingSqs()
    rule = readings_rule()
    engine = RulesEngine([rule], sqs, mapping_resolver({}), clock=lambda: NOW_MS)

    engine.handle_batch(rule, [RuleMessage(TOPIC, reading(f"r-{i}")) for i in range(10)])

    assert len(sqs.bodies(READINGS)) == 10 and sqs.calls == 1


def test_a_lone_surrogate_escape_that_no_sqs_body_can_carry_ends_in_the_error_action() -> None:
    # GIVEN valid JSON syntax whose string is not Unicode text (an escaped lone surrogate: no UTF-8 for it)
    sqs = RecordingSqs()
    rule = readings_rule()
    engine = RulesEngine([rule], sqs, mapping_resolver({}), clock=lambda: NOW_MS)
    payload = b'{"schema": "dho.device-reading/1", "reading_id": "r-1", "model": "\\ud800"}'

    # WHEN the rule receives it, among good readings
    outcomes = engine.handle_batch(rule, [RuleMessage(TOPIC, reading("r-0")), RuleMessage(TOPIC, payload),
                                          RuleMessage(TOPIC, reading("r-2"))])

    # THEN the SQS action fails for it alone, and the error action keeps it with its reason
    assert outcomes == ["delivered", "errored", "delivered"]
    assert [body["reading_id"] for body in sqs.bodies(READINGS)] == ["r-0", "r-2"]
    [record] = sqs.bodies(ERRORS)
    assert record["failures"][0]["failedAction"] == "SqsAction" and "surrogate" in record["failures"][0]["errorMessage"]
    assert base64.b64decode(record["base64OriginalPayload"]) == payload
