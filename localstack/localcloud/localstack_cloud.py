"""The local cloud on LocalStack (``make demo EMULATOR=localstack``), for users with Docker and a token.

LocalStack runs what moto cannot: Lambda functions in containers fed by their event source mappings,
IoT Core's MQTT broker and topic rules, SNS subscriptions from CloudFormation with SMS and e-mail
recorded. So none of the stand-ins under ``localcloud`` is needed; this module only

- checks what the path needs (a Docker engine with the compose plugin, ``LOCALSTACK_AUTH_TOKEN``) and
  says which is missing;
- starts ``localstack/docker-compose.yml`` (pinned image) and waits until the services are ready;
- deploys the real app with ``cdklocal bootstrap`` + ``cdklocal deploy --all`` (the pinned CDK CLI
  behind LocalStack's wrapper) through ``AWS_ENDPOINT_URL``, and confirms the nurses' e-mail
  subscriptions (pending until confirmed, as on AWS);
- reads back what the nurses received from LocalStack's own records of sent messages
  (``/_aws/sns/sms-messages`` and ``/_aws/ses``);
- waits for the readings queues to drain, invokes functions with ``lambda.invoke``;
- stops the container again.

Verified here: ``cdklocal`` deploying the app to the moto harness on the same endpoint conventions;
readiness, queue counts, subscription confirmation and the SMS/e-mail records against LocalStack's own
core run on the host (``localcloud.localstack_host``; tests/integration). Not verified here: a whole run
on LocalStack in Docker (no Docker engine on the machines this is built on).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from localcloud import deploy
from localcloud.centre_api import LocalCentreApi
from localcloud.demo_cloud import Delivery
from localcloud.deployed import TenantDeployment, client, stack_templates, tenant_deployments
from localcloud.local_lambda import asset_folder_name
from localcloud.sns_outbox import OutboxEntry

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "localstack" / "docker-compose.yml"
ENDPOINT = "http://localhost:4566"
TOKEN_VARIABLE = "LOCALSTACK_AUTH_TOKEN"
READY = frozenset({"available", "running"})
# What the deployed stacks use (the compose file enables these; a test keeps the two in step).
REQUIRED_SERVICES = ("cloudformation", "dynamodb", "sqs", "sns", "lambda", "iot", "kms", "logs")
LOCALSTACK_DOMAIN = "localhost.localstack.cloud"  # public DNS name that resolves to 127.0.0.1

FetchJson = Callable[[str], Any]


class LocalStackUnavailable(RuntimeError):
    """What the LocalStack path needs is missing on this machine; the message says what."""


def fetch_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read().decode())


def _succeeds(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=30, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def missing_prerequisites(
    environ: Mapping[str, str] = os.environ, *, succeeds: Callable[[list[str]], bool] = _succeeds,
    which: Callable[[str], str | None] = shutil.which,
) -> list[str]:
    """Everything the LocalStack path lacks here, in words a developer can act on (empty: all there)."""
    missing = []
    if which("docker") is None:
        missing.append("the docker CLI")
    else:
        if not succeeds(["docker", "info"]):
            missing.append("a running Docker engine (`docker info` fails)")
        if not succeeds(["docker", "compose", "version"]):
            missing.append("the Docker compose plugin (`docker compose version` fails)")
    if not environ.get(TOKEN_VARIABLE):
        missing.append(f"{TOKEN_VARIABLE} in the environment (a LocalStack auth token)")
    return missing


def compose_command(*arguments: str, compose_file: Path = COMPOSE_FILE) -> list[str]:
    return ["docker", "compose", "-f", str(compose_file), *arguments]


def not_ready(health: Mapping[str, Any], services: Iterable[str] = REQUIRED_SERVICES) -> list[str]:
    """Services of ``/_localstack/health`` that are not (yet) available or running, as ``name=state``."""
    states = health.get("services", {})
    return [f"{name}={states.get(name, 'absent')}" for name in services if states.get(name) not in READY]


def wait_until_ready(
    endpoint: str = ENDPOINT, *, services: Iterable[str] = REQUIRED_SERVICES, timeout: float = 180.0,
    fetch: FetchJson = fetch_json, interval: float = 1.0,
) -> None:
    services = tuple(services)
    deadline = time.monotonic() + timeout
    pending = ["the health endpoint"]
    while time.monotonic() < deadline:
        try:
            pending = not_ready(fetch(f"{endpoint}/_localstack/health"), services)
        except (OSError, ValueError):
            pending = ["the health endpoint"]
        if not pending:
            return
        time.sleep(interval)
    raise TimeoutError(f"LocalStack at {endpoint} not ready within {timeout:.0f} s: {', '.join(pending)}")


def mqtt_address(iot: Any) -> tuple[str, int]:
    """Host and port of LocalStack's MQTT broker (DescribeEndpoint gives ``host:port``; starts the broker)."""
    address: str = iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"unexpected IoT endpoint address {address!r} (expected host:port)")
    # Resolve LocalStack's loopback name locally: the demo must not depend on public DNS.
    return ("127.0.0.1" if host.endswith(LOCALSTACK_DOMAIN) else host), int(port)


def _severity(attributes: Mapping[str, Any] | None) -> str | None:
    value = (attributes or {}).get("severity", {})
    return str(value.get("Value") or value.get("StringValue")) if isinstance(value, Mapping) else None


def sms_entries(response: Mapping[str, Any]) -> list[OutboxEntry]:
    """``GET /_aws/sns/sms-messages``: ``{"sms_messages": {phone: [message, …]}, "region": …}``."""
    entries = []
    for phone, messages in response.get("sms_messages", {}).items():
        for message in messages:
            entries.append(OutboxEntry(
                "sms", str(message.get("PhoneNumber") or phone), str(message.get("Message", "")), None,
                _severity(message.get("MessageAttributes")), "", str(message.get("TopicArn", "")),
                str(message.get("SubscriptionArn", "")), str(message.get("MessageId", ""))))
    return entries


def email_entries(response: Mapping[str, Any]) -> list[OutboxEntry]:
    """``GET /_aws/ses``: ``{"messages": [{"Id", "Destination": {"ToAddresses"}, "Subject", "Body": …}]}``.

    SNS sends a topic's e-mail through SES with the message as the text body; one entry per recipient.
    """
    entries = []
    for message in response.get("messages", []):
        body = message.get("Body") or {}
        text = str(body.get("text_part") or body.get("html_part") or message.get("RawData") or "")
        for address in (message.get("Destination") or {}).get("ToAddresses", []):
            entries.append(OutboxEntry("email", str(address), text, message.get("Subject"), None,
                                       str(message.get("Timestamp", "")), "", "", str(message.get("Id", ""))))
    return entries


def sent_messages(endpoint: str, *, account: str, region: str, fetch: FetchJson = fetch_json) -> list[OutboxEntry]:
    """The SMS and e-mails LocalStack recorded as sent, in the outbox's shape."""
    query = urlencode({"accountId": account, "region": region})
    sms = sms_entries(fetch(f"{endpoint}/_aws/sns/sms-messages?{query}"))
    return sms + email_entries(fetch(f"{endpoint}/_aws/ses"))


def error_log_group(iot: Any, rule_name: str) -> str | None:
    """The CloudWatch Logs group of a topic rule's error action, if it has one."""
    payload = iot.get_topic_rule(ruleName=rule_name)["rule"]
    group = (payload.get("errorAction") or {}).get("cloudwatchLogs", {}).get("logGroupName")
    return str(group) if group else None


def log_event_count(logs: Any, group: str) -> int:
    pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group)
    return sum(len(page.get("events", [])) for page in pages)


def stack_subscription_arns(cloudformation: Any, stack_names: Iterable[str]) -> list[str]:
    """The SNS subscriptions CloudFormation created for these stacks (their physical ids are the ARNs)."""
    return [resource["PhysicalResourceId"] for name in stack_names
            for resource in cloudformation.describe_stack_resources(StackName=name)["StackResources"]
            if resource["ResourceType"] == "AWS::SNS::Subscription" and resource.get("PhysicalResourceId")]


def confirm_pending_subscriptions(
    sns: Any, subscription_arns: Iterable[str], *, endpoint: str = ENDPOINT, fetch: FetchJson = fetch_json,
) -> int:
    """Confirm the subscriptions still pending, as each nurse does by following the link in AWS's
    confirmation e-mail. LocalStack, like AWS, delivers nothing to an e-mail subscription before that; it
    keeps the token at ``/_aws/sns/subscription-tokens/<arn>``. Returns how many were confirmed."""
    confirmed = 0
    for arn in subscription_arns:
        attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
        if attributes.get("PendingConfirmation") != "true":
            continue
        token = fetch(f"{endpoint}/_aws/sns/subscription-tokens/{arn}")["subscription_token"]
        sns.confirm_subscription(TopicArn=attributes["TopicArn"], Token=token)
        confirmed += 1
    return confirmed


def queued(sqs: Any, queue_urls: Iterable[str]) -> int:
    """Messages waiting or in flight on the queues (approximate, as SQS reports them)."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    return sum(int(value) for url in queue_urls
               for value in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"].values())


def invoke(lambda_client: Any, function_name: str, event: Mapping[str, Any]) -> Any:
    """Synchronous invoke; a function error raises with the function's own error message."""
    response = lambda_client.invoke(FunctionName=function_name, Payload=json.dumps(event).encode())
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        raise RuntimeError(f"{function_name} failed: {payload}")
    return payload


@dataclass
class LocalStackCloud:
    endpoint: str
    assembly_dir: Path
    tenants: dict[str, TenantDeployment]
    broker_kind: str = "LocalStack IoT (mosquitto)"
    # The centre APIs run on LocalStack's API Gateway; the demo does not reach them there (yet).
    centre_apis: dict[str, LocalCentreApi] = field(default_factory=dict)

    def aws(self, service: str) -> Any:
        return client(service, self.endpoint, deploy.REGION)

    @property
    def device_address(self) -> tuple[str, int]:
        return mqtt_address(self.aws("iot"))

    def drain(self, *, timeout: float = 300.0, settle: float = 5.0) -> None:
        """Until the readings queues have stayed empty for ``settle`` s: Lambda's pollers run the functions."""
        sqs, urls = self.aws("sqs"), [t.readings_queue_url for t in self.tenants.values()]
        deadline, quiet_since = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            if queued(sqs, urls):
                quiet_since = None
            elif time.monotonic() - (quiet_since := quiet_since or time.monotonic()) >= settle:
                return
            time.sleep(1.0)
        raise TimeoutError(f"readings queues not drained within {timeout:.0f} s")

    def invoke(self, tenant_id: str, folder: str, event: dict[str, Any]) -> Any:
        """Run one of a tenant's functions (``folder`` = its source folder, e.g. ``escalate_alerts``)."""
        tenant = self.tenants[tenant_id]
        name = next(name for name in tenant.functions if asset_folder_name(name, tenant_id) == folder)
        return invoke(self.aws("lambda"), name, event)

    def nurse_messages(self) -> list[OutboxEntry]:
        return sent_messages(self.endpoint, account=deploy.ACCOUNT, region=deploy.REGION)

    @property
    def outbox_location(self) -> str:
        return f"{self.endpoint}/_aws/sns/sms-messages and {self.endpoint}/_aws/ses"

    def after_publishing(self, published: int, *, timeout: float = 180.0) -> None:
        """LocalStack's rules engine does not report what it received: ``drain`` waits for quiet queues."""

    def delivery(self) -> Delivery:
        """No front door (LocalStack's broker does not refuse plain-MQTT publishes); the rule error action's
        log events are the publishes not evaluated."""
        iot, logs = self.aws("iot"), self.aws("logs")
        groups = [error_log_group(iot, rule) for t in self.tenants.values() for rule in t.iot_rule_names]
        return Delivery(refused=0, not_evaluated=sum(log_event_count(logs, g) for g in groups if g), filtered=0)


@contextmanager
def running_localstack_cloud(
    assembly_dir: Path, *, endpoint: str = ENDPOINT, deploy_timeout: float = 900.0,
) -> Iterator[LocalStackCloud]:
    """Start LocalStack (compose), deploy the app with cdklocal, yield it; ``docker compose down`` at the end."""
    missing = missing_prerequisites()
    if missing:
        raise LocalStackUnavailable("EMULATOR=localstack needs " + "; ".join(missing)
                                    + ". Without them, `make demo` runs the verified moto path.")
    with ExitStack() as cleanup:
        subprocess.run(compose_command("up", "--detach", "--wait"), check=True, cwd=REPO_ROOT)
        cleanup.callback(subprocess.run, compose_command("down", "--volumes"), check=False, cwd=REPO_ROOT)
        wait_until_ready(endpoint)
        deploy.check_prerequisites()
        deploy.bootstrap(endpoint, timeout=deploy_timeout, cli="cdklocal")
        deploy.deploy_all(endpoint, timeout=deploy_timeout, output_dir=assembly_dir, cli="cdklocal")
        cloud = LocalStackCloud(endpoint, assembly_dir, tenant_deployments(endpoint, assembly_dir, deploy.REGION))
        arns = stack_subscription_arns(cloud.aws("cloudformation"), stack_templates(assembly_dir))
        confirm_pending_subscriptions(cloud.aws("sns"), arns, endpoint=endpoint)
        yield cloud
