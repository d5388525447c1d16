"""The synthesized cloud assembly (``cdk.out/``) as the local cloud reads it: stack templates, and the
references inside them (``Ref`` / ``Fn::GetAtt``) turned into physical names by a small injectable
resolver.

The local cloud fills in what the emulator skips (IoT rules, device policies, SNS subscriptions) from
these templates, never from a second copy of the configuration, so it runs what would be deployed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

DEFAULT_ASSEMBLY_DIR = Path("cdk.out")
LOCAL_ACCOUNT = "123456789012"  # moto's default account


class AssemblyError(ValueError):
    """The cloud assembly is missing, or holds something the local cloud cannot interpret."""


@dataclass(frozen=True)
class StackTemplate:
    stack_name: str
    template: dict[str, Any]

    def resources_of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.template.get("Resources", {}).items()
            if resource.get("Type") == resource_type
        }

    def resource(self, logical_id: str) -> dict[str, Any]:
        try:
            return dict(self.template["Resources"][logical_id])
        except KeyError:
            raise AssemblyError(f"stack {self.stack_name}: no resource {logical_id!r}") from None


def load_assembly(assembly_dir: Path = DEFAULT_ASSEMBLY_DIR) -> list[StackTemplate]:
    """Every CloudFormation stack of a cloud assembly, as ``manifest.json`` lists them."""
    manifest_path = assembly_dir / "manifest.json"
    if not manifest_path.is_file():
        raise AssemblyError(f"{manifest_path} not found: run `make synth` first")
    manifest = json.loads(manifest_path.read_text())
    stacks = []
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties", {})
        template_file = assembly_dir / properties["templateFile"]
        stack_name = properties.get("stackName") or artifact.get("displayName") or artifact_id
        stacks.append(StackTemplate(stack_name, json.loads(template_file.read_text())))
    return stacks


def stacks_from_templates(templates: Mapping[str, dict[str, Any]]) -> list[StackTemplate]:
    """Stacks from already-loaded templates keyed by stack name (as the infra tests' fixture gives them)."""
    return [StackTemplate(name, template) for name, template in templates.items()]


@dataclass(frozen=True)
class ResourceRef:
    """A ``Ref`` (``attribute`` None) or ``Fn::GetAtt`` to a resource of a stack in the assembly."""

    stack: StackTemplate = field(repr=False)
    logical_id: str
    attribute: str | None = None

    @property
    def stack_name(self) -> str:
        return self.stack.stack_name

    @property
    def resource(self) -> dict[str, Any]:
        return self.stack.resource(self.logical_id)

    def __str__(self) -> str:
        suffix = f".{self.attribute}" if self.attribute else ""
        return f"{self.stack_name}/{self.logical_id}{suffix}"


Resolver = Callable[[ResourceRef], str]
"""Turns a template reference into the physical value (queue URL, log group name, topic ARN, …)."""


def reference(stack: StackTemplate, value: Any) -> ResourceRef | str:
    """A property value as either a literal string or a reference to a resource of the same stack."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return ResourceRef(stack, value["Ref"])
    if isinstance(value, dict) and set(value) == {"Fn::GetAtt"}:
        target, attribute = value["Fn::GetAtt"]
        return ResourceRef(stack, target, attribute)
    raise AssemblyError(f"stack {stack.stack_name}: cannot resolve {json.dumps(value)} (only Ref, Fn::GetAtt, text)")


def resolve(value: ResourceRef | str, resolver: Resolver) -> str:
    """A literal as it is, a reference through the resolver."""
    return value if isinstance(value, str) else resolver(value)


def resolve_pseudo(value: Any, *, account: str = LOCAL_ACCOUNT, region: str = "eu-north-1") -> Any:
    """Resolve ``Fn::Join`` over pseudo parameters (``AWS::AccountId``, ``AWS::Region``, ``AWS::Partition``,
    ``AWS::URLSuffix``) recursively; anything else is left as it is (IoT policy variables are plain text)."""
    pseudo = {"AWS::AccountId": account, "AWS::Region": region, "AWS::Partition": "aws",
              "AWS::URLSuffix": "amazonaws.com"}
    if isinstance(value, list):
        return [resolve_pseudo(item, account=account, region=region) for item in value]
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in pseudo:
            return pseudo[value["Ref"]]
        if set(value) == {"Fn::Join"}:
            separator, parts = value["Fn::Join"]
            resolved = [resolve_pseudo(part, account=account, region=region) for part in parts]
            if not all(isinstance(part, str) for part in resolved):
                raise AssemblyError(f"cannot resolve {json.dumps(value)}: only pseudo parameters may be joined")
            return str(separator).join(resolved)
        return {key: resolve_pseudo(item, account=account, region=region) for key, item in value.items()}
    return value


# --- resolvers --------------------------------------------------------------------------------------


def mapping_resolver(mapping: Mapping[str, str]) -> Resolver:
    """Look references up in a mapping keyed ``Stack/LogicalId[.Attribute]`` or ``LogicalId[.Attribute]``."""

    def resolve_from_mapping(ref: ResourceRef) -> str:
        suffix = f".{ref.attribute}" if ref.attribute else ""
        for key in (f"{ref.stack_name}/{ref.logical_id}{suffix}", f"{ref.logical_id}{suffix}"):
            if key in mapping:
                return mapping[key]
        raise AssemblyError(f"no physical value given for {ref}")

    return resolve_from_mapping


def cloudformation_resolver(cloudformation: Any) -> Resolver:
    """``Ref`` through the deployed stack's resources (``describe_stack_resources``): its physical id is
    what ``Ref`` returns for the types the local cloud needs (SQS::Queue → URL, Logs::LogGroup → name,
    SNS::Topic → ARN). ``Fn::GetAtt`` is not derivable from that and is refused."""
    cache: dict[str, dict[str, str]] = {}

    def resolve_deployed(ref: ResourceRef) -> str:
        if ref.attribute is not None:
            raise AssemblyError(f"{ref}: the CloudFormation resolver resolves Ref only, not Fn::GetAtt")
        if ref.stack_name not in cache:
            try:
                resources = cloudformation.describe_stack_resources(StackName=ref.stack_name)["StackResources"]
            except ClientError as error:
                raise AssemblyError(f"{ref}: stack not deployed ({error})") from error
            # Resources an emulator skipped come back without a physical id: leave them unresolvable.
            cache[ref.stack_name] = {item["LogicalResourceId"]: item["PhysicalResourceId"] for item in resources
                                     if item.get("PhysicalResourceId")}
        try:
            return cache[ref.stack_name][ref.logical_id]
        except KeyError:
            raise AssemblyError(f"{ref}: not in the deployed stack (skipped by the emulator?)") from None

    return resolve_deployed


def by_name_resolver(*, sqs: Any = None, sns: Any = None) -> Resolver:
    """``Ref`` by the physical name written in the template (``QueueName``, ``LogGroupName``,
    ``TopicName``), for resources created under those names without a CloudFormation deploy."""

    def resolve_by_name(ref: ResourceRef) -> str:
        resource = ref.resource
        properties = resource.get("Properties", {})
        kind = resource.get("Type")
        if ref.attribute is None and kind == "AWS::SQS::Queue" and sqs is not None and "QueueName" in properties:
            try:
                return str(sqs.get_queue_url(QueueName=properties["QueueName"])["QueueUrl"])
            except ClientError as error:
                raise AssemblyError(f"{ref}: queue {properties['QueueName']!r} not found ({error})") from error
        if ref.attribute is None and kind == "AWS::Logs::LogGroup" and "LogGroupName" in properties:
            return str(properties["LogGroupName"])
        if ref.attribute is None and kind == "AWS::SNS::Topic" and sns is not None and "TopicName" in properties:
            return _topic_arn(sns, str(properties["TopicName"]))
        raise AssemblyError(f"{ref}: cannot resolve a {kind} by name")

    return resolve_by_name


def _topic_arn(sns: Any, name: str) -> str:
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page["Topics"]:
            if topic["TopicArn"].rsplit(":", 1)[-1] == name:
                return str(topic["TopicArn"])
    raise AssemblyError(f"SNS topic {name!r} does not exist on the emulator")


def first_of(resolvers: Iterable[Resolver]) -> Resolver:
    """Try each resolver in turn (e.g. the deployed stack first, then by name)."""
    chain = list(resolvers)

    def resolve_first(ref: ResourceRef) -> str:
        failures = []
        for candidate in chain:
            try:
                return candidate(ref)
            except AssemblyError as error:
                failures.append(str(error))
        raise AssemblyError(f"{ref}: " + "; ".join(failures))

    return resolve_first
