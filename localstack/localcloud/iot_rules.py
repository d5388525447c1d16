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
import queue
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
from localcloud.iot_sql import Query, evaluate, parse_sql, topic_matches
from localcloud.mqtt_broker import BrokerCredentials

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


@dataclass(frozen=True)
class RuleMessage:
    """One MQTT message as a rule sees it."""

    topic: str
    payload: bytes
    client_id: str = "N/A"


# SendMessageBatch takes at most 10 entries and 1 MiB in all; chunks stay well inside both.
SQS_BATCH_ENTRIES = 10
SQS_BATCH_BYTES = 256 * 1024


@dataclass
class RulesEngine:
    rules: list[TopicRule]
    sqs: Any
    resolver: Resolver
    logs: Any = None  # a CloudWatch Logs client for CloudwatchLogs error actions
    clock: Clock = _now_ms
    counts: dict[str, RuleCounts] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: int = 0  # subscriptions the broker granted, reconnects included
    _clients: list[mqtt.Client] = field(default_factory=list, repr=False)
    _workers: list[tuple[threading.Thread, queue.SimpleQueue[mqtt.MQTTMessage | None]]] = field(
        default_factory=list, repr=False)
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

    def start(self, host: str, port: int, *, credentials: BrokerCredentials | None = None,
              timeout: float = 10.0) -> RulesEngine:
        """Connect one client per rule and return once every rule is subscribed.

        Each rule's client has a persistent session (fixed client id, clean session off) and QoS 1, and
        acknowledges a message only after its actions ran: a message the broker holds for the rule
        survives a disconnect or a broker restart, and paho reconnects on its own."""
        subscribed: set[str] = set()
        all_subscribed = threading.Event()
        for rule in self.rules:
            client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"localcloud-rule-{rule.name}",
                                 clean_session=False, manual_ack=True)
            if credentials is not None:
                client.username_pw_set(credentials.username, credentials.password)
            client.reconnect_delay_set(min_delay=1, max_delay=2)
            inbox: queue.SimpleQueue[mqtt.MQTTMessage | None] = queue.SimpleQueue()
            client.on_connect = self._on_connect(rule)
            client.on_subscribe = self._on_subscribe(rule, subscribed, all_subscribed)
            client.on_message = lambda _client, _userdata, message, inbox=inbox: inbox.put(message)
            worker = threading.Thread(target=self._work, args=(rule, client, inbox), daemon=True,
                                      name=f"rule-{rule.name}")
            worker.start()
            self._workers.append((worker, inbox))
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
        for worker, inbox in self._workers:
            inbox.put(None)
            worker.join(timeout=30)
        self._workers.clear()

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
                self.subscriptions += 1
                subscribed.add(rule.name)
                if len(subscribed) == len(self.rules):
                    done.set()

        return on_subscribe

    def _work(self, rule: TopicRule, client: mqtt.Client,
              inbox: queue.SimpleQueue[mqtt.MQTTMessage | None]) -> None:
        """The rule's messages in arrival order, up to an SQS batch at a time, each acknowledged (PUBACK,
        in order) once its actions ran; the network thread only queues them."""
        stopping = False
        while not stopping:
            first = inbox.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < SQS_BATCH_ENTRIES and not inbox.empty():
                message = inbox.get()
                if message is None:
                    stopping = True
                    break
                batch.append(message)
            try:
                self.handle_batch(rule, [RuleMessage(m.topic, bytes(m.payload)) for m in batch])
            except Exception:  # a crash here would silently stop the rule; unacknowledged, they come again
                LOG.exception("rule %s: unexpected failure on %d message(s)", rule.name, len(batch))
                continue
            for message in batch:
                if message.qos > 0:
                    client.ack(message.mid, message.qos)  # after a reconnect this fails: the broker resends

    # --- messages ---

    def handle(self, rule: TopicRule, topic: str, payload: bytes, *, client_id: str = "N/A") -> Outcome:
        """Evaluate ``rule`` on one message and run its actions; also usable without a broker."""
        return self.handle_batch(rule, [RuleMessage(topic, payload, client_id)])[0]

    def handle_batch(self, rule: TopicRule, messages: list[RuleMessage]) -> list[Outcome]:
        """Each message ends in exactly one outcome: delivered, filtered, refused (error action: the rule
        could not evaluate it) or errored (error action: an action failed). Each delivered message is one
        SQS message, as IoT Core's SqsAction sends; the local transport groups them in SendMessageBatch
        calls."""
        for message in messages:
            if not topic_matches(rule.query.topic_filter, message.topic):
                raise ValueError(f"topic {message.topic!r} does not match rule {rule.name}'s filter "
                                 f"{rule.query.topic_filter!r}")
        outcomes: list[Outcome | None] = [None] * len(messages)
        to_send: list[tuple[int, str | bytes]] = []
        for index, message in enumerate(messages):
            self._count(rule, "received")
            try:
                result = evaluate(rule.query, message.payload, message.topic, self.clock())
                content = (json.dumps(result, separators=(",", ":"), ensure_ascii=False)
                           if isinstance(result, dict) else result)
            except Exception as problem:  # PayloadNotJson, or anything else: never a message without an outcome
                self._error_action(rule, message, [{"failedAction": "RuleEvaluation", "failedResource": rule.name,
                                                     "errorMessage": str(problem) or type(problem).__name__}])
                outcomes[index] = self._count(rule, "refused")
                continue
            if content is None:
                outcomes[index] = self._count(rule, "filtered")
            else:
                to_send.append((index, content))
        failures: dict[int, list[dict[str, str]]] = {index: [] for index, _ in to_send}
        for action in rule.actions:
            for index, failure in self._send(rule, action, to_send).items():
                failures[index].append(failure)
        for index, _ in to_send:
            if failures[index]:
                self._error_action(rule, messages[index], failures[index])
                outcomes[index] = self._count(rule, "errored")
            else:
                outcomes[index] = self._count(rule, "delivered")
        return [outcome for outcome in outcomes if outcome is not None]

    def _count(self, rule: TopicRule, outcome: Outcome | Literal["received"]) -> Outcome:
        with self._changed:
            counts = self.counts[rule.name]
            setattr(counts, outcome, getattr(counts, outcome) + 1)
            self._changed.notify_all()
        return outcome  # type: ignore[return-value]  # "received" is never returned by callers

    def _resolve(self, value: ResourceRef | str) -> str:
        key = str(value)
        if key not in self._resolved:
            self._resolved[key] = resolve(value, self.resolver)
        return self._resolved[key]

    def _send(self, rule: TopicRule, action: SqsAction, contents: list[tuple[int, str | bytes]]
              ) -> dict[int, dict[str, str]]:
        """Send each content as one SQS message; the failures by message index."""
        queue_url = str(action.queue_url)

        def failure(problem: object) -> dict[str, str]:
            return {"failedAction": "SqsAction", "failedResource": queue_url, "errorMessage": str(problem)}

        failed: dict[int, dict[str, str]] = {}
        try:
            queue_url = self._resolve(action.queue_url)
        except AssemblyError as problem:
            LOG.warning("rule %s: SQS action on %s failed: %s", rule.name, queue_url, problem)
            return {index: failure(problem) for index, _ in contents}
        bodies: list[tuple[int, str]] = []
        for index, content in contents:
            try:
                raw = content.encode() if isinstance(content, str) else content
                bodies.append((index, base64.b64encode(raw).decode() if action.use_base64 else raw.decode("utf-8")))
            except UnicodeError as problem:  # not UTF-8, or a lone surrogate no SQS body can carry
                failed[index] = failure(problem)
        for chunk in _chunks(bodies):
            try:
                if len(chunk) == 1:
                    self.sqs.send_message(QueueUrl=queue_url, MessageBody=chunk[0][1])
                    continue
                response = self.sqs.send_message_batch(QueueUrl=queue_url, Entries=[
                    {"Id": str(index), "MessageBody": body} for index, body in chunk])
                for entry in response.get("Failed", []):
                    failed[int(entry["Id"])] = failure(f"{entry.get('Code')}: {entry.get('Message')}")
            except (ClientError, BotoCoreError) as problem:
                LOG.warning("rule %s: SQS action on %s failed: %s", rule.name, queue_url, problem)
                failed.update({index: failure(problem) for index, _ in chunk})
        return failed

    def _error_action(self, rule: TopicRule, message: RuleMessage, failures: list[dict[str, str]]) -> None:
        record: dict[str, Any] = {
            "ruleName": rule.name,
            "topic": message.topic,
            "cloudwatchTraceId": str(uuid.uuid4()),
            "clientId": message.client_id,
            "base64OriginalPayload": base64.b64encode(message.payload).decode(),
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


def _chunks(bodies: list[tuple[int, str]]) -> Iterable[list[tuple[int, str]]]:
    """Consecutive runs of at most SQS_BATCH_ENTRIES bodies and SQS_BATCH_BYTES in all (a larger body
    goes alone, as a plain SendMessage, and fails there if SQS refuses it)."""
    chunk: list[tuple[int, str]] = []
    size = 0
    for index, body in bodies:
        length = len(body.encode())
        if chunk and (len(chunk) == SQS_BATCH_ENTRIES or size + length > SQS_BATCH_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append((index, body))
        size += length
    if chunk:
        yield chunk
