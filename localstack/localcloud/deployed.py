"""What ``cdk deploy`` created for each tenant, read back from the emulator.

The rest of the local cloud (IoT rules engine, SNS outbox, Lambda runner) needs the physical names of the
deployed resources, not the ones a test made up: :func:`tenant_deployments` reads the tenant stacks of a
cloud assembly (``cdk.out``), asks CloudFormation for their resources' physical ids and Lambda for the
function configuration (environment as deployed), and returns one :class:`TenantDeployment` per tenant.

A tenant stack is a stack of the assembly with a DynamoDB table; its ``process_readings`` function is the
one fed by the readings queue (the queue with a redrive policy) through an event source mapping. A stack
has two tables (the tenant table and the Normen access-log table): ``table_name`` is the tenant table, the
one process_readings is configured with (``DHO_TABLE_NAME``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

TABLE_TYPES = ("AWS::DynamoDB::GlobalTable", "AWS::DynamoDB::Table")
LOCAL_ACCOUNT = "123456789012"
# Fake credentials for a local emulator, so a developer's real profile is never needed or used. The key id
# is the account: LocalStack takes a 12-digit access key id as the caller's account (else 000000000000),
# moto's default account is this one, so the stacks' account is the caller's on both.
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": LOCAL_ACCOUNT, "AWS_SECRET_ACCESS_KEY": "test"}


@dataclass(frozen=True)
class DeployedFunction:
    name: str
    arn: str
    alias_arns: tuple[str, ...]
    environment: dict[str, str]
    layers: tuple[str, ...]
    event_source_mapping_uuids: tuple[str, ...]
    reserved_concurrency: int | None = None  # at most this many invocations at once (None: the account's)


@dataclass(frozen=True)
class TenantDeployment:
    tenant_id: str
    stack_name: str
    table_name: str
    readings_queue_url: str
    readings_queue_arn: str
    dead_letter_queue_url: str
    alert_topic_arn: str
    operations_topic_arn: str | None
    function_name: str  # process_readings
    function_alias_arn: str | None  # what the readings queue's event source mapping invokes
    event_source_mapping_uuids: tuple[str, ...]  # of process_readings
    max_concurrency: int | None  # the readings mapping's ScalingConfig: at most this many batches at once
    batching_window_seconds: int  # how long the readings mapping may wait to fill a batch
    environment: dict[str, str]  # process_readings' environment as the emulator has it
    iot_rule_names: tuple[str, ...]
    iot_policy_names: tuple[str, ...]
    functions: dict[str, DeployedFunction] = field(default_factory=dict)  # every function of the stack


def stack_templates(assembly_dir: Path) -> dict[str, dict[str, Any]]:
    """Stack name → template, for the CloudFormation stacks of a cloud assembly."""
    manifest = json.loads((assembly_dir / "manifest.json").read_text())
    templates: dict[str, dict[str, Any]] = {}
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties", {})
        name = properties.get("stackName", artifact_id)
        templates[name] = json.loads((assembly_dir / properties["templateFile"]).read_text())
    return templates


def client(service: str, endpoint: str, region: str) -> Any:
    make_client: Any = boto3.client  # one untyped call instead of boto3's per-service overloads
    return make_client(service, endpoint_url=endpoint, region_name=region,
                       aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                       aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])


def _queue_url(sqs: Any, physical_id: str) -> str:
    """moto reports a queue's physical id as its AWS-style URL; ask the endpoint for its own URL."""
    url: str = sqs.get_queue_url(QueueName=physical_id.rstrip("/").rsplit("/", 1)[-1])["QueueUrl"]
    return url


def _function_name(function_arn: str) -> str:
    """``arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`` → ``<name>``."""
    return function_arn.split(":function:", 1)[-1].split(":", 1)[0]


def _all_event_source_mappings(lambda_: Any) -> list[dict[str, Any]]:
    mappings: list[dict[str, Any]] = []
    for page in lambda_.get_paginator("list_event_source_mappings").paginate():
        mappings.extend(page["EventSourceMappings"])
    return mappings


def tenant_deployments(endpoint: str, assembly_dir: Path, region: str = "eu-north-1") -> dict[str, TenantDeployment]:
    """Per tenant id, the physical names and ARNs of what its stack deployed to the emulator at ``endpoint``."""
    cloudformation = client("cloudformation", endpoint, region)
    sqs = client("sqs", endpoint, region)
    lambda_ = client("lambda", endpoint, region)
    deployments: dict[str, TenantDeployment] = {}
    for stack_name, template in stack_templates(Path(assembly_dir)).items():
        resources = template.get("Resources", {})
        if not any(resource["Type"] in TABLE_TYPES for resource in resources.values()):
            continue
        physical = {
            r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
            for r in cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
            if r.get("LogicalResourceId")  # moto lists the types it skipped without ids
        }

        def ids_of(
            resource_type: str, resources: dict[str, Any] = resources, physical: dict[str, str] = physical
        ) -> list[str]:
            return [physical[lid] for lid, r in resources.items() if r["Type"] == resource_type and lid in physical]

        tables = [physical[lid] for lid, r in resources.items() if r["Type"] in TABLE_TYPES and lid in physical]
        queues = {lid: r for lid, r in resources.items() if r["Type"] == "AWS::SQS::Queue"}
        readings_id = next(lid for lid, r in queues.items() if "RedrivePolicy" in r.get("Properties", {}))
        dlq_id = resources[readings_id]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        readings_url = _queue_url(sqs, physical[readings_id])
        readings_arn: str = sqs.get_queue_attributes(QueueUrl=readings_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

        all_mappings = _all_event_source_mappings(lambda_)
        mappings = [m for m in all_mappings if m["EventSourceArn"] == readings_arn]
        functions: dict[str, DeployedFunction] = {}
        for name in ids_of("AWS::Lambda::Function"):
            config = lambda_.get_function_configuration(FunctionName=name)
            aliases = lambda_.list_aliases(FunctionName=name)["Aliases"]
            functions[name] = DeployedFunction(
                name=name,
                arn=config["FunctionArn"],
                alias_arns=tuple(alias["AliasArn"] for alias in aliases),
                environment=dict(config.get("Environment", {}).get("Variables", {})),
                layers=tuple(layer["Arn"] for layer in config.get("Layers", [])),
                event_source_mapping_uuids=tuple(
                    m["UUID"] for m in all_mappings if _function_name(m["FunctionArn"]) == name
                ),
                reserved_concurrency=lambda_.get_function_concurrency(FunctionName=name).get(
                    "ReservedConcurrentExecutions"),
            )
        process = next(
            (f for f in functions.values() if set(f.event_source_mapping_uuids) & {m["UUID"] for m in mappings}),
            None,
        )
        if process is None:
            raise LookupError(f"{stack_name}: no function is fed by the readings queue {readings_arn}")
        readings_mappings = [m for m in mappings if m["UUID"] in process.event_source_mapping_uuids]
        table_name = process.environment.get("DHO_TABLE_NAME") or tables[0]
        if table_name not in tables:
            raise LookupError(f"{stack_name}: process_readings' table {table_name!r} is not one of {tables}")
        topics = ids_of("AWS::SNS::Topic")
        alert_topic = process.environment.get("DHO_ALERT_TOPIC_ARN") or next(t for t in topics if "alert" in t)
        tenant_id = process.environment.get("DHO_TENANT_ID") or stack_name.split("-", 1)[-1]
        deployments[tenant_id] = TenantDeployment(
            tenant_id=tenant_id,
            stack_name=stack_name,
            table_name=table_name,
            readings_queue_url=readings_url,
            readings_queue_arn=readings_arn,
            dead_letter_queue_url=_queue_url(sqs, physical[dlq_id]),
            alert_topic_arn=alert_topic,
            operations_topic_arn=next((t for t in topics if t != alert_topic), None),
            function_name=process.name,
            function_alias_arn=readings_mappings[0]["FunctionArn"] if readings_mappings else None,
            event_source_mapping_uuids=tuple(m["UUID"] for m in readings_mappings),
            max_concurrency=min((m["ScalingConfig"]["MaximumConcurrency"] for m in readings_mappings
                                 if (m.get("ScalingConfig") or {}).get("MaximumConcurrency")), default=None),
            batching_window_seconds=max((int(m.get("MaximumBatchingWindowInSeconds") or 0)
                                         for m in readings_mappings), default=0),
            environment=process.environment,
            iot_rule_names=tuple(ids_of("AWS::IoT::TopicRule")),
            iot_policy_names=tuple(
                r["Properties"]["PolicyName"] for r in resources.values()
                if r["Type"] == "AWS::IoT::Policy" and "PolicyName" in r.get("Properties", {})
            ),
            functions=functions,
        )
    return deployments
