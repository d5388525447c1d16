"""What each nurse would receive: the SNS SMS/e-mail subscriptions of the templates, as a local outbox.

moto skips ``AWS::SNS::Subscription`` in CloudFormation and records SMS only for a direct
``publish(PhoneNumber=...)``, never for a topic's SMS or e-mail subscribers. So the outbox subscribes
one SQS "tap" queue to each topic that has subscriptions in the templates, and ``pump()`` reads the taps
and, for every template subscription of that topic whose FilterPolicy matches the message attributes,
writes an entry (channel sms/email, endpoint, text, subject, severity, time) to
``.local/outbox/outbox.jsonl`` and to ``entries``.

FilterPolicy subset (``FilterPolicyScope`` MessageAttributes, the default): keys ANDed, values in a list
ORed; exact strings, exact numbers, ``{"numeric": [op, n, …]}``, ``{"anything-but": …}``,
``{"prefix": …}``, ``{"exists": bool}``. Anything else raises ``FilterPolicyError``. As in SNS, a
missing attribute matches only ``exists: false``; strings match String (and String.Array elements),
numbers match Number attributes.

Phone numbers and e-mail addresses are masked in anything printed (``mask_endpoint``); the outbox file
holds them unmasked for the tests (it lives under the git-ignored ``.local/``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from localcloud.cloud_assembly import Resolver, ResourceRef, StackTemplate, reference, resolve
from localcloud.queues import subscribe_inbox

OUTBOX_DIR = Path(".local/outbox")
CHANNELS = {"sms": "sms", "email": "email", "email-json": "email"}
TAP_PREFIX = "localcloud-outbox-tap-"


class FilterPolicyError(ValueError):
    """A filter policy uses matching the local outbox does not implement."""


# --- filter policies --------------------------------------------------------------------------------

_NUMERIC_OPS = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _attribute_values(attribute: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(type, value) pairs; a String.Array attribute gives one per element."""
    kind = str(attribute.get("Type") or attribute.get("DataType") or "String")
    raw = attribute.get("Value", attribute.get("StringValue"))
    if kind == "String.Array":
        try:
            items = json.loads(raw)
        except (TypeError, ValueError):
            return []
        return (
            [
                ("Number" if isinstance(item, int | float) and not isinstance(item, bool) else "String", item)
                for item in items
                if item is not None
            ]
            if isinstance(items, list)
            else []
        )
    return [("Number" if kind.startswith("Number") else "String", raw)]


def _check_numeric(spec: Any) -> list[tuple[str, float]]:
    if not isinstance(spec, list) or not spec or len(spec) % 2:
        raise FilterPolicyError(f"numeric condition must be [op, number, …], got {spec!r}")
    pairs = []
    for op, bound in zip(spec[::2], spec[1::2], strict=True):
        if op not in _NUMERIC_OPS or isinstance(bound, bool) or not isinstance(bound, int | float):
            raise FilterPolicyError(f"numeric condition {spec!r}: unsupported operator or bound")
        pairs.append((op, float(bound)))
    return pairs


def _value_matches(condition: Any, kind: str, value: Any) -> bool:
    if isinstance(condition, str):
        return kind == "String" and value == condition
    if isinstance(condition, int | float) and not isinstance(condition, bool):
        number = _number(value)
        return kind == "Number" and number is not None and number == float(condition)
    if isinstance(condition, dict) and len(condition) == 1:
        operator, spec = next(iter(condition.items()))
        if operator == "numeric":
            number = _number(value)
            return (
                kind == "Number"
                and number is not None
                and all(_NUMERIC_OPS[op](number, bound) for op, bound in _check_numeric(spec))
            )
        if operator == "prefix" and isinstance(spec, str):
            return kind == "String" and isinstance(value, str) and value.startswith(spec)
        if operator == "anything-but":
            if isinstance(spec, dict):
                return not _value_matches(spec, kind, value)
            excluded = spec if isinstance(spec, list) else [spec]
            return not any(_value_matches(item, kind, value) for item in excluded)
    raise FilterPolicyError(f"filter condition {condition!r} is not supported locally")


def _validate_condition(condition: Any, key: str) -> None:
    if isinstance(condition, str) or (isinstance(condition, int | float) and not isinstance(condition, bool)):
        return
    if isinstance(condition, dict) and len(condition) == 1:
        operator, spec = next(iter(condition.items()))
        if operator == "numeric":
            _check_numeric(spec)
            return
        if operator == "prefix" and isinstance(spec, str):
            return
        if operator == "exists" and isinstance(spec, bool):
            return
        if operator == "anything-but":
            if isinstance(spec, dict) and set(spec) == {"prefix"} and isinstance(spec["prefix"], str):
                return
            for item in spec if isinstance(spec, list) else [spec]:
                if isinstance(item, dict | list | bool) or item is None:
                    raise FilterPolicyError(f"filter policy key {key!r}: anything-but {spec!r} not supported")
            return
    raise FilterPolicyError(f"filter policy key {key!r}: condition {condition!r} is not supported locally")


def validate_filter_policy(policy: Mapping[str, Any]) -> None:
    """Refuse a policy outside the supported subset (whatever the message), with the key it concerns."""
    for key, conditions in policy.items():
        if key.startswith("$"):
            raise FilterPolicyError(f"filter policy operator {key!r} is not supported locally")
        if not isinstance(conditions, list):
            raise FilterPolicyError(
                f"filter policy key {key!r}: conditions must be a list (nested keys are "
                "MessageBody-scope policies, not supported locally)"
            )
        for condition in conditions:
            _validate_condition(condition, key)


def filter_policy_matches(policy: Mapping[str, Any] | None, attributes: Mapping[str, Mapping[str, Any]]) -> bool:
    """Does a message with these attributes (SNS envelope form ``{"Type", "Value"}`` or publish form
    ``{"DataType", "StringValue"}``) pass the subscription's filter policy?"""
    if not policy:
        return True
    validate_filter_policy(policy)
    for key, conditions in policy.items():
        attribute = attributes.get(key)
        exists_conditions = [c for c in conditions if isinstance(c, dict) and set(c) == {"exists"}]
        if attribute is None:
            if not any(c["exists"] is False for c in exists_conditions):
                return False
            continue
        if any(c["exists"] is True for c in exists_conditions):
            continue
        values = _attribute_values(attribute)
        others = [c for c in conditions if c not in exists_conditions]
        if not any(_value_matches(c, kind, value) for c in others for kind, value in values):
            return False
    return True


def mask_endpoint(endpoint: str) -> str:
    """``+4799999902`` → ``+47******02``; ``vakt1@example.org`` → ``v***@example.org``."""
    if "@" in endpoint:
        local, domain = endpoint.split("@", 1)
        return f"{local[:1]}***@{domain}"
    if len(endpoint) <= 5:
        return "*" * len(endpoint)
    return endpoint[:3] + "*" * (len(endpoint) - 5) + endpoint[-2:]


# --- subscriptions from the templates ---------------------------------------------------------------


@dataclass(frozen=True)
class TemplateSubscription:
    stack: StackTemplate = field(repr=False)
    logical_id: str
    topic: ResourceRef | str
    protocol: str
    endpoint: str
    filter_policy: Mapping[str, Any] | None

    @property
    def channel(self) -> str:
        return CHANNELS[self.protocol]


def subscriptions_from_stacks(stacks: Iterable[StackTemplate]) -> list[TemplateSubscription]:
    """The SMS and e-mail subscriptions of the assembly (others, e.g. sqs or lambda, are real on moto)."""
    found = []
    for stack in stacks:
        for logical_id, resource in stack.resources_of_type("AWS::SNS::Subscription").items():
            properties = resource.get("Properties", {})
            protocol = str(properties.get("Protocol", "")).lower()
            if protocol not in CHANNELS:
                continue
            scope = properties.get("FilterPolicyScope", "MessageAttributes")
            if scope != "MessageAttributes":
                raise FilterPolicyError(f"{stack.stack_name}/{logical_id}: FilterPolicyScope {scope} not supported")
            policy = properties.get("FilterPolicy")
            if policy is not None:
                validate_filter_policy(policy)  # refuse an unsupported policy now, not at the first alert
            found.append(
                TemplateSubscription(
                    stack,
                    logical_id,
                    reference(stack, properties["TopicArn"]),
                    protocol,
                    str(properties["Endpoint"]),
                    policy,
                )
            )
    return found


@dataclass(frozen=True)
class OutboxEntry:
    channel: str
    endpoint: str
    text: str
    subject: str | None
    severity: str | None
    time: str
    topic_arn: str
    subscription: str
    message_id: str

    def printable(self) -> str:
        severity = self.severity or "-"
        return f"{self.time} {self.channel:<5} {mask_endpoint(self.endpoint):<24} [{severity}] {self.text}"


@dataclass
class SnsOutbox:
    subscriptions: list[TemplateSubscription]
    sns: Any
    sqs: Any
    resolver: Resolver
    outbox_dir: Path = OUTBOX_DIR
    entries: list[OutboxEntry] = field(default_factory=list)
    messages_read: int = 0
    _taps: dict[str, str] = field(default_factory=dict, repr=False)  # topic ARN → tap queue URL
    _by_topic: dict[str, list[TemplateSubscription]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def outbox_file(self) -> Path:
        return self.outbox_dir / "outbox.jsonl"

    def install(self) -> SnsOutbox:
        """Resolve each subscription's topic and subscribe one SQS tap queue to each topic."""
        for subscription in self.subscriptions:
            topic_arn = resolve(subscription.topic, self.resolver)
            self._by_topic.setdefault(topic_arn, []).append(subscription)
        for topic_arn in self._by_topic:
            name = (TAP_PREFIX + topic_arn.rsplit(":", 1)[-1])[:80]
            self._taps[topic_arn] = subscribe_inbox(self.sqs, self.sns, topic_arn, name).queue_url
        self.outbox_dir.mkdir(parents=True, exist_ok=True)
        return self

    def pump(self) -> int:
        """Read every tap until empty; returns how many outbox entries were written."""
        written = 0
        with self._lock:
            for topic_arn, queue_url in self._taps.items():
                while messages := self.sqs.receive_message(
                    QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
                ).get("Messages", []):
                    for message in messages:
                        written += self._deliver(topic_arn, json.loads(message["Body"]))
                        self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                        self.messages_read += 1
        return written

    def _deliver(self, topic_arn: str, envelope: Mapping[str, Any]) -> int:
        attributes = envelope.get("MessageAttributes", {})
        severity = attributes.get("severity", {}).get("Value")
        new = [
            OutboxEntry(
                subscription.channel,
                subscription.endpoint,
                str(envelope.get("Message", "")),
                envelope.get("Subject") if subscription.channel == "email" else None,
                severity,
                str(envelope.get("Timestamp", "")),
                topic_arn,
                subscription.logical_id,
                str(envelope.get("MessageId", "")),
            )
            for subscription in self._by_topic.get(topic_arn, [])
            if filter_policy_matches(subscription.filter_policy, attributes)
        ]
        if new:
            with self.outbox_file.open("a", encoding="utf-8") as outbox:
                for entry in new:
                    outbox.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
            self.entries.extend(new)
        return len(new)

    def start(self, interval: float = 0.2) -> SnsOutbox:
        """Pump in a background thread until ``stop()``."""
        self._stopping.clear()

        def run() -> None:
            while not self._stopping.wait(interval):
                self.pump()

        self._thread = threading.Thread(target=run, name="sns-outbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.pump()  # what arrived last
