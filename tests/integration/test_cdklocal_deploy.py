"""The LocalStack path's deploy step, verified without Docker: ``cdklocal bootstrap`` + ``cdklocal deploy
--all`` (LocalStack's wrapper around the pinned CDK CLI, as ``make demo EMULATOR=localstack`` runs it)
against the moto harness through the same ``AWS_ENDPOINT_URL``, then the LocalStack cloud's own read-back
of what it deployed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.config import load_config
from localcloud import deploy
from localcloud.demo_cloud import Delivery
from localcloud.deployed import client, tenant_deployments
from localcloud.localstack_cloud import LocalStackCloud, error_log_group, queued
from localcloud.moto_harness import running_harness

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
# Shared with test_cdk_deploy.py: cdk-assets keeps the layer zips in <assembly>/.cache between deploys.
ASSEMBLY_DIR = REPO_ROOT / "build" / "localcloud" / "test-cdk.out"
STEP_TIMEOUT = 240.0


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalStackCloud]:
    log = REPO_ROOT / "build" / "localcloud" / "cdklocal-harness.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with running_harness(log_file=log) as endpoint:
        deploy.check_prerequisites()
        deploy.bootstrap(endpoint, timeout=STEP_TIMEOUT, cli="cdklocal")
        deploy.deploy_all(endpoint, timeout=STEP_TIMEOUT, output_dir=ASSEMBLY_DIR, cli="cdklocal")
        yield LocalStackCloud(endpoint, ASSEMBLY_DIR, tenant_deployments(endpoint, ASSEMBLY_DIR, deploy.REGION))


def test_cdklocal_deploys_every_stack(cloud: LocalStackCloud) -> None:
    statuses = {s["StackName"]: s["StackStatus"]
                for s in client("cloudformation", cloud.endpoint, deploy.REGION).describe_stacks()["Stacks"]}
    config = load_config()
    expected = {"CDKToolkit", *(f"DhoShared-{r}" for r in config.regions),
                *(f"DhoTenant-{t.tenant_id}" for t in config.tenants)}
    assert {name: statuses.get(name) for name in expected} == dict.fromkeys(expected, "CREATE_COMPLETE")


def test_the_localstack_cloud_reads_back_each_tenant(cloud: LocalStackCloud) -> None:
    assert set(cloud.tenants) == {t.tenant_id for t in load_config().tenants}
    for tenant_id, tenant in cloud.tenants.items():
        assert tenant.table_name and tenant.alert_topic_arn
        assert {f"dho-{tenant_id}-process-readings", f"dho-{tenant_id}-escalate-alerts"} <= set(tenant.functions)
    sqs = cloud.aws("sqs")
    urls = [t.readings_queue_url for t in cloud.tenants.values()]
    assert queued(sqs, urls) == 0
    # (moto's own event source mapping would swallow a message on a readings queue: use a DLQ)
    dead_letters = next(iter(cloud.tenants.values())).dead_letter_queue_url
    sqs.send_message(QueueUrl=dead_letters, MessageBody="{}")
    assert queued(sqs, [*urls, dead_letters]) == 1


def test_publishes_sent_to_a_rules_error_action_are_counted_from_its_log_group(cloud: LocalStackCloud) -> None:
    tenant = cloud.tenants["bodo"]
    group = error_log_group(cloud.aws("iot"), tenant.iot_rule_names[0])
    assert group is not None and "bodo" in group
    assert cloud.delivery() == Delivery(refused=0, not_evaluated=0, filtered=0)
    logs, now_ms = cloud.aws("logs"), time.time_ns() // 1_000_000
    logs.create_log_stream(logGroupName=group, logStreamName="rule-error")
    logs.put_log_events(logGroupName=group, logStreamName="rule-error",
                        logEvents=[{"timestamp": now_ms + i, "message": "{}"} for i in range(3)])
    assert cloud.delivery() == Delivery(refused=0, not_evaluated=3, filtered=0)
