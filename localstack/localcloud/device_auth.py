"""Device authorization as the tenants' IoT policies say, read from the synthesized templates.

Each ``AWS::IoT::Policy`` of the cloud assembly is evaluated the way IoT Core evaluates a policy attached
to a device certificate: explicit Deny wins, else an Allow whose action, resource (ARN glob, policy
variables substituted) and condition match, else refused.

**The stand-in for certificates.** A plain local broker has no X.509 client certificates, so the local
cloud identifies a device by what it sends in CONNECT: **client id = thing name** and **username =
tenant id** (the tenant whose policy the device's certificate would carry). The optional thing registry
(thing name → tenant) plays ``iot:Connection.Thing.IsAttached``: with it, only a registered thing of
that tenant is "attached"; without it, every client id counts as a thing attached to the certificate of
the tenant it names. Nothing proves the username locally; what is enforced is the policy, not the
identity: a device can only do what its tenant's policy allows for its own thing name.

Supported policy subset (anything else is refused at load with a clear error): Effect Allow/Deny,
Action/Resource as string or list with ``*``/``?`` globs, policy variables
``${iot:Connection.Thing.ThingName}`` and ``${iot:ClientId}``, condition ``Bool`` on
``iot:Connection.Thing.IsAttached``.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from localcloud.cloud_assembly import LOCAL_ACCOUNT, AssemblyError, StackTemplate, resolve_pseudo

Action = Literal["iot:Connect", "iot:Publish", "iot:Subscribe", "iot:Receive"]
TENANT_TAG = "dho:tenant"
_POLICY_NAME = re.compile(r"^dho-(?P<tenant>[a-z0-9-]+)-device$")
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
THING_NAME_VARIABLE = "iot:Connection.Thing.ThingName"
CLIENT_ID_VARIABLE = "iot:ClientId"
_SUPPORTED_VARIABLES = {THING_NAME_VARIABLE, CLIENT_ID_VARIABLE}
IS_ATTACHED_KEY = "iot:Connection.Thing.IsAttached"


class PolicyError(ValueError):
    """An IoT policy uses something outside the subset the local cloud evaluates."""


@dataclass(frozen=True)
class Statement:
    effect: Literal["Allow", "Deny"]
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    is_attached: bool | None = None  # Condition Bool iot:Connection.Thing.IsAttached, if any


@dataclass(frozen=True)
class DevicePolicy:
    name: str
    tenant_id: str
    statements: tuple[Statement, ...]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    action: str
    resource: str
    reason: str


@dataclass(frozen=True)
class DeviceIdentity:
    """Who is asking: the MQTT client id (= thing name) and the tenant of its certificate (= username)."""

    client_id: str
    tenant_id: str | None


def _as_tuple(value: Any, what: str, policy: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) for item in items):
        raise PolicyError(f"policy {policy}: {what} must be a string or a list of strings, got {value!r}")
    return tuple(items)


def parse_statement(raw: Mapping[str, Any], policy: str) -> Statement:
    unsupported = set(raw) - {"Sid", "Effect", "Action", "Resource", "Condition"}
    if unsupported:
        raise PolicyError(f"policy {policy}: statement keys {sorted(unsupported)} are not supported locally")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"policy {policy}: Effect must be Allow or Deny, got {effect!r}")
    resources = _as_tuple(raw.get("Resource"), "Resource", policy)
    for resource in resources:
        for variable in _VARIABLE.findall(resource):
            if variable not in _SUPPORTED_VARIABLES:
                raise PolicyError(f"policy {policy}: policy variable ${{{variable}}} is not supported locally")
    is_attached: bool | None = None
    condition = raw.get("Condition")
    if condition is not None:
        if set(condition) != {"Bool"} or set(condition["Bool"]) != {IS_ATTACHED_KEY}:
            raise PolicyError(f"policy {policy}: only Condition Bool {IS_ATTACHED_KEY} is supported, got {condition}")
        value = str(condition["Bool"][IS_ATTACHED_KEY]).lower()
        if value not in ("true", "false"):
            raise PolicyError(f"policy {policy}: {IS_ATTACHED_KEY} must be true or false, got {value!r}")
        is_attached = value == "true"
    return Statement(effect, _as_tuple(raw.get("Action"), "Action", policy), resources, is_attached)


def policy_tenant(resource: Mapping[str, Any], name: str) -> str:
    for tag in resource.get("Properties", {}).get("Tags", []):
        if tag.get("Key") == TENANT_TAG:
            return str(tag["Value"])
    match = _POLICY_NAME.match(name)
    if match is None:
        raise PolicyError(f"policy {name}: no {TENANT_TAG} tag and the name is not dho-<tenant>-device")
    return match.group("tenant")


def policies_from_stacks(stacks: Iterable[StackTemplate], *, account: str = LOCAL_ACCOUNT,
                         region: str = "eu-north-1") -> dict[str, DevicePolicy]:
    """Every ``AWS::IoT::Policy`` in the assembly, keyed by the tenant it belongs to."""
    policies: dict[str, DevicePolicy] = {}
    for stack in stacks:
        for logical_id, resource in stack.resources_of_type("AWS::IoT::Policy").items():
            properties = resource.get("Properties", {})
            name = str(properties.get("PolicyName") or logical_id)
            try:
                document = resolve_pseudo(properties["PolicyDocument"], account=account, region=region)
            except AssemblyError as error:
                raise PolicyError(f"policy {name}: {error}") from error
            statements = tuple(parse_statement(raw, name) for raw in document.get("Statement", []))
            tenant = policy_tenant(resource, name)
            if tenant in policies:
                raise PolicyError(f"tenant {tenant} has two device policies: {policies[tenant].name} and {name}")
            policies[tenant] = DevicePolicy(name, tenant, statements)
    return policies


def _glob(pattern: str) -> str:
    return "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)


def _resource_regex(resource: str, variables: Mapping[str, str | None]) -> re.Pattern[str] | None:
    """The resource as a regex with policy variables substituted literally; None if a variable has no value
    (IoT Core then ignores the statement: e.g. ThingName for a client that is not an attached thing)."""
    parts: list[str] = []
    position = 0
    for match in _VARIABLE.finditer(resource):
        parts.append(_glob(resource[position:match.start()]))
        value = variables.get(match.group(1))
        if value is None:
            return None
        parts.append(re.escape(value))
        position = match.end()
    parts.append(_glob(resource[position:]))
    return re.compile("".join(parts))


@dataclass
class DeviceAuthorizer:
    """Allows or refuses a device's connect / publish / subscribe / receive by its tenant's IoT policy, and
    counts."""

    policies: Mapping[str, DevicePolicy]
    things: Mapping[str, str] | None = None  # thing name → tenant; None: every client id is an attached thing
    account: str = LOCAL_ACCOUNT
    region: str = "eu-north-1"
    allowed: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_stacks(cls, stacks: Iterable[StackTemplate], *, things: Mapping[str, str] | None = None,
                    account: str = LOCAL_ACCOUNT, region: str = "eu-north-1") -> DeviceAuthorizer:
        return cls(policies_from_stacks(stacks, account=account, region=region), things, account, region)

    def arn(self, kind: str, name: str) -> str:
        return f"arn:aws:iot:{self.region}:{self.account}:{kind}/{name}"

    def is_attached(self, identity: DeviceIdentity) -> bool:
        if not identity.client_id or identity.tenant_id is None:
            return False
        if self.things is None:
            return True
        return self.things.get(identity.client_id) == identity.tenant_id

    def authorize_connect(self, identity: DeviceIdentity) -> Decision:
        return self._decide(identity, "iot:Connect", self.arn("client", identity.client_id))

    def authorize_publish(self, identity: DeviceIdentity, topic: str) -> Decision:
        return self._decide(identity, "iot:Publish", self.arn("topic", topic))

    def authorize_subscribe(self, identity: DeviceIdentity, topic_filter: str) -> Decision:
        return self._decide(identity, "iot:Subscribe", self.arn("topicfilter", topic_filter))

    def authorize_receive(self, identity: DeviceIdentity, topic: str) -> Decision:
        """Each message the broker would deliver is checked on its own topic (IoT Core: ``iot:Receive``)."""
        return self._decide(identity, "iot:Receive", self.arn("topic", topic))

    def _decide(self, identity: DeviceIdentity, action: Action, resource: str) -> Decision:
        decision = self.evaluate(identity, action, resource)
        with self._lock:
            (self.allowed if decision.allowed else self.refused)[action] += 1
        return decision

    def evaluate(self, identity: DeviceIdentity, action: str, resource: str) -> Decision:
        """The decision alone, without counting it."""
        if identity.tenant_id is None:
            return Decision(False, action, resource, "no tenant (MQTT username) given: no certificate, no policy")
        policy = self.policies.get(identity.tenant_id)
        if policy is None:
            return Decision(False, action, resource, f"tenant {identity.tenant_id!r} has no device policy")
        attached = self.is_attached(identity)
        variables: dict[str, str | None] = {
            CLIENT_ID_VARIABLE: identity.client_id,
            THING_NAME_VARIABLE: identity.client_id if attached else None,
        }
        allowed_by: str | None = None
        for index, statement in enumerate(policy.statements):
            if not any(re.fullmatch(_glob(pattern), action) for pattern in statement.actions):
                continue
            if statement.is_attached is not None and statement.is_attached != attached:
                continue
            patterns = [_resource_regex(pattern, variables) for pattern in statement.resources]
            if not any(pattern is not None and pattern.fullmatch(resource) for pattern in patterns):
                continue
            if statement.effect == "Deny":
                return Decision(False, action, resource, f"denied by {policy.name} statement {index}")
            allowed_by = allowed_by or f"allowed by {policy.name} statement {index}"
        if allowed_by is not None:
            return Decision(True, action, resource, allowed_by)
        return Decision(False, action, resource, f"{policy.name} allows no {action} on {resource}"
                        + ("" if attached else f" (thing {identity.client_id!r} not attached)"))
