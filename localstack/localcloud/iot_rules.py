"""A local IoT rules engine: every ``AWS::IoT::TopicRule`` of the cloud assembly, running on the broker.

Each enabled rule gets its own MQTT client on the broker (so a message matching a rule is seen by it
exactly once, as in IoT Core), subscribes to the rule's topic filter with QoS 1, evaluates the rule's SQL
(``localcloud.iot_sql``) and sends the result to the rule's SQS action queue. When the rule cannot
evaluate a message or an action fails, the rule's error action gets an error record in the format IoT
Core uses (``ruleName``, ``topic``, ``clientId``, ``base64OriginalPayload``, ``failures``): a
``CloudwatchLogs`` error action writes it to that log group on the emulator, an ``Sqs`` one to that
queue; a target the emulator does not have (or another action type) leaves it in ``errors`` only.
Every error record is also kept in ``errors`` for the demo and the tests.

Counts per rule and in total: ``received`` (matched the topic filter), ``filtered`` (WHERE was false),
``delivered`` (every action succeeded), ``refused`` (the rule could not evaluate the message, e.g. a
non-JSON payload where the SQL adds fields) and ``errored`` (an action failed).

Queue URLs and log group names come from the template's ``Ref``s through an injectable resolver
(``localcloud.cloud_assembly``): a mapping, the deployed stack's resources, or the template's names.

Device authorization happens before the broker, in ``localcloud.mqtt_front_door``.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import paho.mqtt.client as mqtt
from botocore.exceptions import BotoCoreError, ClientError
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from localcloud.cloud_assembly import AssemblyError, Resolver, ResourceRef, StackTemplate, reference, resolve
from localcloud.iot_sql import PayloadNotJson, Query, evaluate, parse_sql, topic_matches

LOG = logging.getLogger(__name__)
Clock = Callable[[], int]  # ms since the epoch


class RuleError(ValueError):
    """A topic rule in the templates uses something the local rules engine does not implement."""


@dataclass(frozen=True)
class SqsAction:
    queue_url: ResourceRef | str
    use_base64: bool = False
    kind: Literal["SqsAction"] = "SqsAction"


@dataclass(frozen=True)
class CloudwatchLogsAction:
    log_group: ResourceRef | str
    kind: Literal["CloudwatchLogsAction"] = "CloudwatchLogsAction"


@dataclass(frozen=True)
class UnsupportedAction:
    """An error action type the local cloud has no target for: its records stay in ``errors``."""

    kind: str


ErrorAction = SqsAction | CloudwatchLogsAction | UnsupportedAction


@dataclass(frozen=True)
class TopicRule:
    stack: StackTemplate = field(repr=False)
    logical_id: str
    name: str
    sql: str
    query: Query
    actions: tuple[SqsAction, ...]
    error_action: ErrorAction | None


def _action(stack: StackTemplate, raw: dict[str, Any], rule: str, *, error: bool) -> ErrorAction:
    if len(raw) != 1:
        raise RuleError(f"rule {rule}: an action must have exactly one type, got {sorted(raw)}")
    kind, properties = next(iter(raw.items()))
    try:
        if kind == "Sqs":
            return SqsAction(reference(stack, properties["QueueUrl"]), bool(properties.get("UseBase64", False)))
        if kind == "CloudwatchLogs" and error:
            return CloudwatchLogsAction(reference(stack, properties["LogGroupName"]))
    except AssemblyError as problem:
        raise RuleError(f"rule {rule}: {problem}") from problem
    if error:
        return UnsupportedAction(f"{kind}Action")
    raise RuleError(f"rule {rule}: action {kind} is not implemented locally (only Sqs)")


def rules_from_stacks(stacks: Iterable[StackTemplate]) -> list[TopicRule]:
    """Every enabled topic rule of the assembly; a rule outside the supported subset raises RuleError."""
    rules = []
    for stack in stacks:
        for logical_id, resource in stack.resources_of_type("AWS::IoT::TopicRule").items():
            properties = resource.get("Properties", {})
            payload = properties.get("TopicRulePayload", {})
            name = str(properties.get("RuleName") or logical_id)
            if payload.get("RuleDisabled", False):
                continue
            sql = payload["Sql"]
            try:
                # CloudFormation's default when the version is not set is 2015-10-08 (AWS docs).
                query = parse_sql(sql, payload.get("AwsIotSqlVersion", "2015-10-08"))
            except ValueError as problem:
                raise RuleError(f"rule {name} ({stack.stack_name}): {problem}") from problem
            actions = tuple(_action(stack, raw, name, error=False) for raw in payload.get("Actions", []))
            if not actions:
                raise RuleError(f"rule {name}: no actions")
            error_raw = payload.get("ErrorAction")
            error_action = _action(stack, error_raw, name, error=True) if error_raw else None
            rules.append(TopicRule(stack, logical_id, name, sql, query,
                                   tuple(a for a in actions if isinstance(a, SqsAction)), error_action))
    return rules


@dataclass
class RuleCounts:
    received: int = 0
    filtered: int = 0
    delivered: int = 0
    refused: int = 0
    errored: int = 0

    def add(self, other: RuleCounts) -> None:
        for name in ("received", "filtered", "delivered", "refused", "errored"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


Outcome = Literal["delivered", "filtered", "refused", "errored"]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class RulesEngine:
    rules: list[TopicRule]
    sqs: Any
    resolver: Resolver
    logs: Any = None  # a CloudWatch Logs client for CloudwatchLogs error actions
    clock: Clock = _now_ms
    counts: dict[str, RuleCounts] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    _clients: list[mqtt.Client] = field(default_factory=list, repr=False)
    _resolved: dict[str, str] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _changed: threading.Condition = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self._lock)
        for rule in self.rules:
            self.counts.setdefault(rule.name, RuleCounts())

    @property
    def total(self) -> RuleCounts:
        with self._lock:
            total = RuleCounts()
            for counts in self.counts.values():
                total.add(counts)
            return total

    # --- on the broker ---

    def start(self, host: str, port: int, *, timeout: float = 10.0) -> RulesEngine:
        """Connect one client per rule and return once every rule is subscribed."""
        subscribed: set[str] = set()
        all_subscribed = threading.Event()
        for rule in self.rules:
            client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"localcloud-rule-{rule.name}",
                                 clean_session=True)
            client.on_connect = self._on_connect(rule)
            client.on_subscribe = self._on_subscribe(rule, subscribed, all_subscribed)
            client.on_message = self._on_message(rule)
            client.connect(host, port, keepalive=30)
            client.loop_start()
            self._clients.append(client)
        if self.rules and not all_subscribed.wait(timeout):
            self.stop()
            raise TimeoutError(f"rules engine: not every rule subscribed on {host}:{port} within {timeout} s")
        return self

    def stop(self) -> None:
        for client in self._clients:
            client.disconnect()
            client.loop_stop()
        self._clients.clear()

    def __enter__(self) -> RulesEngine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _on_connect(self, rule: TopicRule) -> Callable[..., None]:
        def on_connect(client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _props: Any) -> None:
            if reason.is_failure:
                LOG.error("rule %s could not connect to the broker: %s", rule.name, reason)
                return
            client.subscribe(rule.query.topic_filter, qos=1)  # again after every reconnect

        return on_connect

    def _on_subscribe(self, rule: TopicRule, subscribed: set[str], done: threading.Event) -> Callable[..., None]:
        def on_subscribe(_client: mqtt.Client, _userdata: Any, _mid: int, reasons: list[ReasonCode],
                         _props: Any) -> None:
            if any(reason.is_failure for reason in reasons):
                LOG.error("rule %s: subscription to %s refused: %s", rule.name, rule.query.topic_filter, reasons)
                return
            with self._lock:
                subscribed.add(rule.name)
                if len(subscribed) == len(self.rules):
                    done.set()

        return on_subscribe

    def _on_message(self, rule: TopicRule) -> Callable[..., None]:
        def on_message(_client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
            try:
                self.handle(rule, message.topic, bytes(message.payload))
            except Exception:  # a crash here would silently stop the rule's client
                LOG.exception("rule %s: unexpected failure on a message from %s", rule.name, message.topic)

        return on_message

    # --- one message ---

    def handle(self, rule: TopicRule, topic: str, payload: bytes, *, client_id: str = "N/A") -> Outcome:
        """Evaluate ``rule`` on one message and run its actions; also usable without a broker."""
        if not topic_matches(rule.query.topic_filter, topic):
            raise ValueError(f"topic {topic!r} does not match rule {rule.name}'s filter {rule.query.topic_filter!r}")
        self._count(rule, "received")
        try:
            result = evaluate(rule.query, payload, topic, self.clock())
        except PayloadNotJson as problem:
            self._error_action(rule, topic, payload, client_id, [{
                "failedAction": "RuleEvaluation", "failedResource": rule.name, "errorMessage": str(problem)}])
            self._count(rule, "refused")
            return "refused"
        if result is None:
            self._count(rule, "filtered")
            return "filtered"
        content = json.dumps(result, separators=(",", ":"), ensure_ascii=False) if isinstance(result, dict) else result
        failures = []
        for action in rule.actions:
            failure = self._send(rule, action, content)
            if failure is not None:
                failures.append(failure)
        if failures:
            self._error_action(rule, topic, payload, client_id, failures)
            self._count(rule, "errored")
            return "errored"
        self._count(rule, "delivered")
        return "delivered"

    def _count(self, rule: TopicRule, outcome: str) -> None:
        with self._changed:
            counts = self.counts[rule.name]
            setattr(counts, outcome, getattr(counts, outcome) + 1)
            self._changed.notify_all()

    def _resolve(self, value: ResourceRef | str) -> str:
        key = str(value)
        if key not in self._resolved:
            self._resolved[key] = resolve(value, self.resolver)
        return self._resolved[key]

    def _send(self, rule: TopicRule, action: SqsAction, content: str | bytes) -> dict[str, str] | None:
        queue = str(action.queue_url)
        try:
            queue = self._resolve(action.queue_url)
            raw = content.encode() if isinstance(content, str) else content
            body = base64.b64encode(raw).decode() if action.use_base64 else raw.decode("utf-8")
            self.sqs.send_message(QueueUrl=queue, MessageBody=body)
        except (AssemblyError, ClientError, BotoCoreError, UnicodeDecodeError) as problem:
            LOG.warning("rule %s: SQS action on %s failed: %s", rule.name, queue, problem)
            return {"failedAction": "SqsAction", "failedResource": queue, "errorMessage": str(problem)}
        return None

    def _error_action(self, rule: TopicRule, topic: str, payload: bytes, client_id: str,
                      failures: list[dict[str, str]]) -> None:
        record: dict[str, Any] = {
            "ruleName": rule.name,
            "topic": topic,
            "cloudwatchTraceId": str(uuid.uuid4()),
            "clientId": client_id,
            "base64OriginalPayload": base64.b64encode(payload).decode(),
            "failures": failures,
        }
        delivered_to = self._deliver_error(rule, record)
        with self._changed:
            self.errors.append({**record, "deliveredTo": delivered_to})
            self._changed.notify_all()

    def _deliver_error(self, rule: TopicRule, record: dict[str, Any]) -> str:
        action = rule.error_action
        text = json.dumps(record, separators=(",", ":"))
        try:
            if isinstance(action, CloudwatchLogsAction) and self.logs is not None:
                group = self._resolve(action.log_group)
                stream = f"{rule.name}-{time.strftime('%Y-%m-%d')}"
                try:
                    self.logs.create_log_stream(logGroupName=group, logStreamName=stream)
                except ClientError as problem:
                    if problem.response.get("Error", {}).get("Code") != "ResourceAlreadyExistsException":
                        raise
                self.logs.put_log_events(logGroupName=group, logStreamName=stream,
                                         logEvents=[{"timestamp": self.clock(), "message": text}])
                return f"logs:{group}"
            if isinstance(action, SqsAction):
                queue = self._resolve(action.queue_url)
                self.sqs.send_message(QueueUrl=queue, MessageBody=text)
                return f"sqs:{queue}"
        except (AssemblyError, ClientError, BotoCoreError) as problem:
            LOG.warning("rule %s: error action failed: %s", rule.name, problem)
            return f"not delivered: {problem}"
        kind = action.kind if action is not None else "none"
        return f"not delivered: error action {kind} not available locally"

    def wait_for(self, predicate: Callable[[RuleCounts], bool], timeout: float = 10.0) -> RuleCounts:
        """Block until ``predicate(total counts)`` holds (or raise TimeoutError); for scripts and tests."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                total = RuleCounts()
                for counts in self.counts.values():
                    total.add(counts)
                if predicate(total):
                    return total
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"rules engine: condition not reached within {timeout} s; counts {total}")
                self._changed.wait(remaining)
