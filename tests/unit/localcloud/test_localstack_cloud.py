"""The LocalStack path's pieces that need no Docker: prerequisites, the compose file, readiness, the MQTT
address, and reading the SMS/e-mails LocalStack records (response shapes as LocalStack 2026.3's SNS and
SES providers build them: ``/_aws/sns/sms-messages`` groups by phone number, ``/_aws/ses`` lists SentEmail)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from localcloud import localstack_cloud as ls
from localcloud.sns_outbox import mask_endpoint

# CloudFormation namespace -> LocalStack service name, for every namespace the app may use.
SERVICE_OF_NAMESPACE = {"Backup": "backup", "CloudWatch": "cloudwatch", "DynamoDB": "dynamodb", "Events": "events",
                        "IAM": "iam", "IoT": "iot", "KMS": "kms", "Lambda": "lambda", "Logs": "logs", "SNS": "sns",
                        "SQS": "sqs", "SSM": "ssm", "S3": "s3", "Scheduler": "scheduler",
                        "ApiGatewayV2": "apigateway", "CloudFront": "cloudfront"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(ls.COMPOSE_FILE.read_text())
    return document["services"]["localstack"]  # type: ignore[no-any-return]


def _services(compose: dict[str, Any]) -> set[str]:
    return set(compose["environment"]["SERVICES"].split(","))


def test_the_compose_image_is_pinned_to_a_release(compose: dict[str, Any]) -> None:
    image, _, tag = compose["image"].partition(":")
    assert image == "localstack/localstack"
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", tag), f"pin a calendar release, not {tag!r}"


def test_the_token_comes_only_from_the_environment_and_is_required(compose: dict[str, Any]) -> None:
    assert compose["environment"]["LOCALSTACK_AUTH_TOKEN"].startswith("${LOCALSTACK_AUTH_TOKEN:?")


def test_ports_are_bound_to_loopback_only(compose: dict[str, Any]) -> None:
    assert compose["ports"] and all(port.startswith("127.0.0.1:") for port in compose["ports"])
    assert any(port.endswith(":4566") for port in compose["ports"])


def test_the_compose_file_enables_every_service_the_stacks_use(
    compose: dict[str, Any], templates: dict[str, dict[str, Any]]
) -> None:
    namespaces = {resource["Type"].split("::")[1] for template in templates.values()
                  for resource in template.get("Resources", {}).values() if resource["Type"].startswith("AWS::")}
    namespaces.discard("CDK")  # CDK metadata, not a service
    assert namespaces <= set(SERVICE_OF_NAMESPACE), f"map new namespaces: {namespaces - set(SERVICE_OF_NAMESPACE)}"
    needed = {SERVICE_OF_NAMESPACE[n] for n in namespaces} | set(ls.REQUIRED_SERVICES) | {"sts", "s3", "ssm", "ecr"}
    assert needed <= _services(compose), f"add to SERVICES: {needed - _services(compose)}"


def test_missing_prerequisites_names_each_missing_piece() -> None:
    nothing = ls.missing_prerequisites({}, succeeds=lambda _: False, which=lambda _: None)
    assert nothing == ["the docker CLI", "LOCALSTACK_AUTH_TOKEN in the environment (a LocalStack auth token)"]
    no_engine = ls.missing_prerequisites({"LOCALSTACK_AUTH_TOKEN": "t"}, succeeds=lambda c: c[1] == "compose",
                                         which=lambda _: "/usr/bin/docker")
    assert no_engine == ["a running Docker engine (`docker info` fails)"]
    assert ls.missing_prerequisites({"LOCALSTACK_AUTH_TOKEN": "t"}, succeeds=lambda _: True,
                                    which=lambda _: "/usr/bin/docker") == []


def test_running_the_cloud_without_prerequisites_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ls, "missing_prerequisites", lambda: ["a running Docker engine"])
    with pytest.raises(ls.LocalStackUnavailable, match="needs a running Docker engine"), \
            ls.running_localstack_cloud(ls.REPO_ROOT / "build" / "unused"):
        pass


def test_compose_commands_use_the_pinned_file() -> None:
    assert ls.compose_command("up", "--wait") == ["docker", "compose", "-f", str(ls.COMPOSE_FILE), "up", "--wait"]


def test_readiness_waits_for_every_required_service() -> None:
    healths: Iterator[Any] = iter([
        OSError("connection refused"),
        {"services": dict.fromkeys(ls.REQUIRED_SERVICES, "available") | {"iot": "disabled"}},
        {"services": dict.fromkeys(ls.REQUIRED_SERVICES, "running")},
    ])
    seen: list[str] = []

    def fetch(url: str) -> Any:
        seen.append(url)
        answer = next(healths)
        if isinstance(answer, Exception):
            raise answer
        return answer

    ls.wait_until_ready("http://localhost:4566", fetch=fetch, interval=0.0, timeout=5.0)
    assert seen == ["http://localhost:4566/_localstack/health"] * 3


def test_readiness_times_out_naming_the_services_not_ready() -> None:
    health = {"services": {"sqs": "running", "iot": "error"}}
    with pytest.raises(TimeoutError, match=r"iot=error.*lambda=absent|lambda=absent.*iot=error"):
        ls.wait_until_ready(fetch=lambda _: health, services=("sqs", "iot", "lambda"), timeout=0.05, interval=0.01)


class FakeIot:
    def __init__(self, address: str) -> None:
        self.address = address

    def describe_endpoint(self, endpointType: str) -> dict[str, str]:
        assert endpointType == "iot:Data-ATS"
        return {"endpointAddress": self.address}


def test_the_mqtt_address_resolves_localstacks_loopback_name_locally() -> None:
    assert ls.mqtt_address(FakeIot("123456789012.iot.eu-north-1.localhost.localstack.cloud:4510")) == ("127.0.0.1",
                                                                                                        4510)
    assert ls.mqtt_address(FakeIot("broker.example:4511")) == ("broker.example", 4511)
    with pytest.raises(ValueError, match="host:port"):
        ls.mqtt_address(FakeIot("abc-ats.iot.eu-north-1.amazonaws.com"))


SMS_RESPONSE = {"region": "eu-north-1", "sms_messages": {"+4790000001": [{
    "PhoneNumber": "+4790000001", "TopicArn": "arn:aws:sns:eu-north-1:123456789012:dho-bodo-alerts",
    "SubscriptionArn": "arn:aws:sns:eu-north-1:123456789012:dho-bodo-alerts:1", "MessageId": "m-1",
    "Message": "DHO Bodø kommune: RØDT varsel, pasient 83ZW", "MessageAttributes": {
        "severity": {"Type": "String", "Value": "red"}}}]}}
SES_RESPONSE = {"messages": [{"Id": "e-1", "Region": "eu-north-1", "Timestamp": "2026-11-27T13:00:00",
                              "Source": "admin@localstack.com", "Subject": "SNS-Subscriber-Endpoint",
                              "Destination": {"ToAddresses": ["vakt@bodo.example"]},
                              "Body": {"text_part": "DHO Bodø kommune: GULT varsel", "html_part": None}}]}


def test_recorded_sms_and_emails_become_outbox_entries() -> None:
    urls: list[str] = []

    def fetch(url: str) -> Any:
        urls.append(url)
        return SMS_RESPONSE if "/_aws/sns/sms-messages" in url else SES_RESPONSE

    entries = ls.sent_messages("http://localhost:4566", account="123456789012", region="eu-north-1", fetch=fetch)
    assert urls == ["http://localhost:4566/_aws/sns/sms-messages?accountId=123456789012&region=eu-north-1",
                    "http://localhost:4566/_aws/ses"]
    sms, email = entries
    assert (sms.channel, sms.endpoint, sms.severity, sms.message_id) == ("sms", "+4790000001", "red", "m-1")
    assert sms.text.startswith("DHO Bodø kommune: RØDT varsel")
    assert (email.channel, email.endpoint, email.text, email.message_id) == (
        "email", "vakt@bodo.example", "DHO Bodø kommune: GULT varsel", "e-1")
    assert "+4790000001" not in sms.printable() and mask_endpoint("+4790000001") in sms.printable()


class FakeLambda:
    def __init__(self, payload: Any, error: str | None = None) -> None:
        self.payload, self.error = payload, error
        self.calls: list[dict[str, Any]] = []

    def invoke(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request)
        response = {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(self.payload).encode())}
        return response | ({"FunctionError": self.error} if self.error else {})


def test_invoke_returns_the_payload_and_raises_on_a_function_error() -> None:
    ok = FakeLambda({"notified": 2})
    assert ls.invoke(ok, "dho-bodo-escalate-alerts", {"time": "2026-11-27T13:00:00Z"}) == {"notified": 2}
    assert json.loads(ok.calls[0]["Payload"]) == {"time": "2026-11-27T13:00:00Z"}
    with pytest.raises(RuntimeError, match="dho-bodo-escalate-alerts failed"):
        ls.invoke(FakeLambda({"errorMessage": "boom"}, error="Unhandled"), "dho-bodo-escalate-alerts", {})


class FakeSqs:
    def __init__(self, counts: dict[str, tuple[int, int]]) -> None:
        self.counts = counts

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str]) -> dict[str, Any]:
        visible, in_flight = self.counts[QueueUrl]
        return {"Attributes": {"ApproximateNumberOfMessages": str(visible),
                               "ApproximateNumberOfMessagesNotVisible": str(in_flight)}}


def test_queued_counts_waiting_and_in_flight_messages() -> None:
    assert ls.queued(FakeSqs({"a": (2, 1), "b": (0, 4)}), ["a", "b"]) == 7
    assert ls.queued(FakeSqs({"a": (0, 0)}), ["a"]) == 0
