"""The real CDK app deployed with ``cdk bootstrap`` + ``cdk deploy --all`` to the moto harness.

One harness and one deploy per module (about a minute: a cold synth, the layer zips the first time, then
~10 s of deploy); boto3 then checks every tenant's resources with their settings. The update test deploys
a copy of the app whose function code differs (a config-free change) and checks that a new version is
published and the ``live`` alias moved to it.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.config import PlatformConfig, load_config
from localcloud import deploy
from localcloud.deployed import TenantDeployment, client, tenant_deployments
from localcloud.moto_harness import running_harness

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
# Inside build/ (ignored by git) and kept between runs: cdk-assets caches the layer zips in <assembly>/.cache.
ASSEMBLY_DIR = REPO_ROOT / "build" / "localcloud" / "test-cdk.out"
HARNESS_LOG = REPO_ROOT / "build" / "localcloud" / "test-harness.log"
# Each moto HTTP 500 costs CDK 40-60 s of retries: a deploy that takes longer than this has already failed.
STEP_TIMEOUT = 240.0


@pytest.fixture(scope="module")
def config() -> PlatformConfig:
    return load_config()


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    HARNESS_LOG.parent.mkdir(parents=True, exist_ok=True)
    HARNESS_LOG.write_text("")
    with running_harness(log_file=HARNESS_LOG) as url:
        yield url


@pytest.fixture(scope="module")
def deployed(endpoint: str) -> dict[str, Any]:
    deploy.check_prerequisites()
    timings = {"bootstrap": deploy.bootstrap(endpoint, timeout=STEP_TIMEOUT).seconds}
    step = deploy.deploy_all(endpoint, timeout=STEP_TIMEOUT, output_dir=ASSEMBLY_DIR)
    timings["deploy"] = step.seconds
    print(f"cdk bootstrap {timings['bootstrap']:.1f} s, cdk deploy --all {timings['deploy']:.1f} s")
    return {"timings": timings, "output": step.output}


@pytest.fixture(scope="module")
def tenants(endpoint: str, deployed: dict[str, Any]) -> dict[str, TenantDeployment]:
    return tenant_deployments(endpoint, ASSEMBLY_DIR)


def aws(service: str, endpoint: str) -> Any:
    return client(service, endpoint, deploy.REGION)


def test_every_stack_is_deployed(endpoint: str, deployed: dict[str, Any], config: PlatformConfig) -> None:
    cloudformation = aws("cloudformation", endpoint)
    statuses = {s["StackName"]: s["StackStatus"] for s in cloudformation.describe_stacks()["Stacks"]}
    expected = {"CDKToolkit", *(f"DhoShared-{r}" for r in config.regions),
                *(f"DhoTenant-{t.tenant_id}" for t in config.tenants)}
    assert expected <= set(statuses)
    assert all(statuses[name].endswith("_COMPLETE") and "ROLLBACK" not in statuses[name] for name in expected)
    bootstrap = cloudformation.describe_stacks(StackName="CDKToolkit")["Stacks"][0]
    assert {o["OutputKey"] for o in bootstrap["Outputs"]} >= {"BucketName", "BootstrapVersion"}
    for tenant in config.tenants:
        stack = cloudformation.describe_stacks(StackName=f"DhoTenant-{tenant.tenant_id}")["Stacks"][0]
        assert stack["EnableTerminationProtection"] is True


def test_each_tenant_has_its_table_with_encryption_recovery_and_triage_index(
    endpoint: str, tenants: dict[str, TenantDeployment], config: PlatformConfig
) -> None:
    dynamodb = aws("dynamodb", endpoint)
    kms = aws("kms", endpoint)
    assert set(tenants) == {t.tenant_id for t in config.tenants}
    for tenant_id, tenant in tenants.items():
        table = dynamodb.describe_table(TableName=tenant.table_name)["Table"]
        assert tenant.table_name == f"dho-{tenant_id}"
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert table["DeletionProtectionEnabled"] is True
        assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["triage"]
        key_arn = kms.describe_key(KeyId=f"alias/dho/{tenant_id}")["KeyMetadata"]["Arn"]
        assert table["SSEDescription"] == {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key_arn}
        recovery = dynamodb.describe_continuous_backups(TableName=tenant.table_name)["ContinuousBackupsDescription"]
        assert recovery["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
        assert recovery["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"] == 35
        assert dynamodb.describe_time_to_live(TableName=tenant.table_name)["TimeToLiveDescription"] == {
            "TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}  # quarantined messages expire
        policy = json.loads(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])
        assert "CloudWatchLogsForThisTenantsLogGroups" in {s.get("Sid") for s in policy["Statement"]}


def test_each_tenant_has_its_access_log_table_under_the_same_key_recoverable_and_protected(
    endpoint: str, tenants: dict[str, TenantDeployment]
) -> None:
    dynamodb = aws("dynamodb", endpoint)
    kms = aws("kms", endpoint)
    for tenant_id, tenant in tenants.items():
        name = f"dho-{tenant_id}-access-log"
        assert name != tenant.table_name
        # No function of the tenant writes it: the FHIR export is behind the centre API (no IAM-invoked export)
        assert f"dho-{tenant_id}-fhir-export" not in tenant.functions
        table = dynamodb.describe_table(TableName=name)["Table"]
        assert [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]] == [("pk", "HASH"), ("sk", "RANGE")]
        assert not table.get("GlobalSecondaryIndexes")  # no index: nothing copies the entries
        assert table["DeletionProtectionEnabled"] is True
        key_arn = kms.describe_key(KeyId=f"alias/dho/{tenant_id}")["KeyMetadata"]["Arn"]
        assert table["SSEDescription"] == {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key_arn}
        recovery = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        assert recovery["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_each_tenant_has_its_readings_queue_with_dead_letter_queue(
    endpoint: str, tenants: dict[str, TenantDeployment]
) -> None:
    sqs = aws("sqs", endpoint)
    for tenant_id, tenant in tenants.items():
        attributes = sqs.get_queue_attributes(QueueUrl=tenant.readings_queue_url, AttributeNames=["All"])["Attributes"]
        dlq = sqs.get_queue_attributes(QueueUrl=tenant.dead_letter_queue_url, AttributeNames=["All"])["Attributes"]
        assert tenant.readings_queue_url.endswith(f"/dho-{tenant_id}-readings")
        assert json.loads(attributes["RedrivePolicy"]) == {"deadLetterTargetArn": dlq["QueueArn"], "maxReceiveCount": 5}
        assert attributes["VisibilityTimeout"] == "185"
        assert dlq["MessageRetentionPeriod"] == str(14 * 24 * 3600)
        assert attributes["KmsMasterKeyId"].startswith("arn:aws:kms:")
        for queue in (attributes, dlq):  # the TLS-only queue policies
            statement = json.loads(queue["Policy"])["Statement"][0]
            assert statement["Effect"] == "Deny"
            assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_each_tenant_alert_topic_has_the_nurses_subscriptions_with_filters(
    endpoint: str, tenants: dict[str, TenantDeployment], config: PlatformConfig
) -> None:
    sns = aws("sns", endpoint)
    for tenant_config in config.tenants:
        tenant = tenants[tenant_config.tenant_id]
        assert tenant.alert_topic_arn.endswith(f":dho-{tenant_config.tenant_id}-alerts")
        found = {}
        for subscription in sns.list_subscriptions_by_topic(TopicArn=tenant.alert_topic_arn)["Subscriptions"]:
            attributes = sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])
            found[(subscription["Protocol"], subscription["Endpoint"])] = sorted(
                json.loads(attributes["Attributes"]["FilterPolicy"])["severity"]
            )
        expected = {}
        for nurse in tenant_config.nurses:
            if nurse.alerts.sms and nurse.phone:
                expected[("sms", nurse.phone)] = sorted(nurse.alerts.sms)
            if nurse.alerts.email and nurse.email:
                expected[("email", nurse.email)] = sorted(nurse.alerts.email)
        assert found == expected
        topic = sns.get_topic_attributes(TopicArn=tenant.alert_topic_arn)["Attributes"]
        assert topic["KmsMasterKeyId"].startswith("arn:aws:kms:")
        assert "aws:SecureTransport" in topic["Policy"]
        operators = sns.list_subscriptions_by_topic(TopicArn=tenant.operations_topic_arn)["Subscriptions"]
        assert {s["Endpoint"] for s in operators} == set(config.operations.alarm_emails)


def test_each_tenant_has_its_iot_rule_and_device_policy(endpoint: str, tenants: dict[str, TenantDeployment]) -> None:
    iot = aws("iot", endpoint)
    for tenant_id, tenant in tenants.items():
        rule = iot.get_topic_rule(ruleName=f"dho_{tenant_id}_readings")["rule"]
        assert rule["sql"].endswith(f"FROM 'dho/{tenant_id}/devices/+/readings'")
        assert "topic(2) AS tenant" in rule["sql"]
        assert rule["ruleDisabled"] is False
        assert rule["actions"][0]["sqs"]["queueUrl"].endswith(f"/dho-{tenant_id}-readings")
        assert rule["errorAction"]["cloudwatchLogs"]["logGroupName"] == f"/dho/{tenant_id}/iot-rule-errors"
        document = json.loads(iot.get_policy(policyName=f"dho-{tenant_id}-device")["policyDocument"])
        publish = next(s for s in document["Statement"] if s["Action"] == "iot:Publish")
        thing = "${iot:Connection.Thing.ThingName}"
        assert publish["Resource"].endswith(f":topic/dho/{tenant_id}/devices/{thing}/readings")
        assert tenant.iot_rule_names == (f"dho_{tenant_id}_readings",)


def test_each_tenant_process_readings_function_environment_layers_alias_and_event_source(
    endpoint: str, tenants: dict[str, TenantDeployment]
) -> None:
    lambda_ = aws("lambda", endpoint)
    for tenant_id, tenant in tenants.items():
        config = lambda_.get_function_configuration(FunctionName=tenant.function_name)
        environment = config["Environment"]["Variables"]
        assert environment == tenant.environment
        assert environment["DHO_TENANT_ID"] == tenant_id
        assert environment["DHO_TABLE_NAME"] == tenant.table_name
        assert environment["DHO_ALERT_TOPIC_ARN"] == tenant.alert_topic_arn
        assert {"DHO_ALERT_POLICY", "POWERTOOLS_SERVICE_NAME", "NUMBA_CPU_NAME"} <= set(environment)
        layer_names = [layer["Arn"].split(":layer:")[1].rsplit(":", 1)[0] for layer in config["Layers"]]
        assert layer_names == ["dho-core", "dho-runtime", "dho-scientific"]
        assert config["SnapStart"]["ApplyOn"] == "PublishedVersions"
        assert config["TracingConfig"] == {"Mode": "Active"}
        assert config["KMSKeyArn"].startswith("arn:aws:kms:")
        alias = lambda_.get_alias(FunctionName=tenant.function_name, Name="live")
        assert alias["AliasArn"] == tenant.function_alias_arn
        version = lambda_.get_function_configuration(
            FunctionName=tenant.function_name, Qualifier=alias["FunctionVersion"]
        )
        assert version["SnapStart"] == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "On"}
        (uuid,) = tenant.event_source_mapping_uuids
        mapping = lambda_.get_event_source_mapping(UUID=uuid)
        assert mapping["EventSourceArn"] == tenant.readings_queue_arn
        assert mapping["FunctionArn"] == alias["AliasArn"]
        assert mapping["BatchSize"] == 100
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_each_tenant_has_its_alarms_and_backup_plan(endpoint: str, tenants: dict[str, TenantDeployment]) -> None:
    cloudwatch = aws("cloudwatch", endpoint)
    backup = aws("backup", endpoint)
    alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    plans = {p["BackupPlanName"]: p for p in backup.list_backup_plans()["BackupPlansList"]}
    for tenant_id, tenant in tenants.items():
        dead_letters = alarms[f"dho-{tenant_id}-readings-dead-letters"]
        assert dead_letters["AlarmActions"] == [tenant.operations_topic_arn]
        assert dead_letters["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert f"dho-{tenant_id}-iot-rule-failures" in alarms
        plan = backup.get_backup_plan(BackupPlanId=plans[f"dho-{tenant_id}-table"]["BackupPlanId"])
        assert plan["BackupPlan"]["Rules"][0]["TargetBackupVaultName"] == f"dho-{tenant_id}"
        assert plan["BackupPlan"]["Rules"][0]["Lifecycle"] == {"DeleteAfterDays": 35}
        selections = backup.list_backup_selections(BackupPlanId=plan["BackupPlanId"])["BackupSelectionsList"]
        resources = {
            s["SelectionName"]: backup.get_backup_selection(
                BackupPlanId=plan["BackupPlanId"], SelectionId=s["SelectionId"]
            )["BackupSelection"]["Resources"]
            for s in selections
        }
        tables = "arn:aws:dynamodb:eu-north-1:123456789012:table/"
        assert resources == {  # the tenant table and the Normen access-log table, in the same plan and vault
            f"dho-{tenant_id}-table": [f"{tables}{tenant.table_name}"],
            f"dho-{tenant_id}-access-log": [f"{tables}dho-{tenant_id}-access-log"],
        }
        assert backup.describe_backup_vault(BackupVaultName=f"dho-{tenant_id}")["EncryptionKeyArn"].startswith(
            "arn:aws:kms:"
        )


def test_the_sweep_is_never_retried_and_the_tenants_alarms_may_publish_to_its_operations_topic(
    endpoint: str, tenants: dict[str, TenantDeployment]
) -> None:
    lambda_, sns, cloudwatch = aws("lambda", endpoint), aws("sns", endpoint), aws("cloudwatch", endpoint)
    alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    for tenant_id, tenant in tenants.items():
        config = lambda_.get_function_event_invoke_config(FunctionName=f"dho-{tenant_id}-escalate-alerts")
        assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (0, 60)
        assert tenant.operations_topic_arn is not None
        policy = json.loads(sns.get_topic_attributes(TopicArn=tenant.operations_topic_arn)["Attributes"]["Policy"])
        (allow,) = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
        assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        assert allow["Condition"]["ArnLike"]["aws:SourceArn"].endswith(f":alarm:dho-{tenant_id}-*")
        stopped = alarms[f"dho-{tenant_id}-escalation-stopped"]
        assert (stopped["MetricName"], stopped["TreatMissingData"]) == ("Invocations", "breaching")
        for name in ("nurse-notifications-failed", "sms-spend-near-limit", "escalation-throttled",
                     "process-readings-errors", "process-readings-throttled"):
            assert alarms[f"dho-{tenant_id}-{name}"]["AlarmActions"] == [tenant.operations_topic_arn]


def test_no_moto_error_during_the_deploy() -> None:
    log = HARNESS_LOG.read_text()
    assert "Traceback" not in log
    skipped = {line.rsplit(" ", 1)[-1] for line in log.splitlines() if "No Moto CloudFormation support" in line}
    # CDK's metadata resource and the bootstrap bucket policy are all moto still skips.
    assert skipped <= {"AWS::CDK::Metadata", "AWS::S3::BucketPolicy"}


def _app_copy_with_changed_code(destination: Path) -> None:
    """The repo's CDK app with the process_readings code changed, the layers and tools shared by symlink."""
    for name in ("infra", "functions"):
        shutil.copytree(REPO_ROOT / name, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO_ROOT / "cdk.json", destination / "cdk.json")
    for name in ("layers", "build", "node_modules", ".venv"):
        (destination / name).symlink_to(REPO_ROOT / name)
    handler = destination / "functions" / "process_readings" / "handler.py"
    handler.write_text(handler.read_text() + f"\n# changed by the update test at {time.time()}\n")


def test_an_update_with_changed_function_code_publishes_a_new_version_behind_the_alias(
    endpoint: str, tenants: dict[str, TenantDeployment], tmp_path: Path
) -> None:
    lambda_ = aws("lambda", endpoint)
    before = {
        t.tenant_id: lambda_.get_alias(FunctionName=t.function_name, Name="live")["FunctionVersion"]
        for t in tenants.values()
    }
    _app_copy_with_changed_code(tmp_path)
    step = deploy.run_cdk(
        ["deploy", "--all", "--require-approval", "never", "--output", str(ASSEMBLY_DIR)],
        endpoint, timeout=STEP_TIMEOUT, cwd=tmp_path,
    )
    print(f"update deploy {step.seconds:.1f} s")
    after = tenant_deployments(endpoint, ASSEMBLY_DIR)
    for tenant in after.values():
        alias = lambda_.get_alias(FunctionName=tenant.function_name, Name="live")
        assert int(alias["FunctionVersion"]) == int(before[tenant.tenant_id]) + 1
        old = lambda_.get_function_configuration(FunctionName=tenant.function_name,
                                                 Qualifier=before[tenant.tenant_id])
        new = lambda_.get_function_configuration(FunctionName=tenant.function_name, Qualifier=alias["FunctionVersion"])
        latest = lambda_.get_function_configuration(FunctionName=tenant.function_name)
        assert new["CodeSha256"] == latest["CodeSha256"] != old["CodeSha256"]
        assert tenant.event_source_mapping_uuids == tenants[tenant.tenant_id].event_source_mapping_uuids
        assert tenant.function_alias_arn == alias["AliasArn"]


def test_each_centre_api_is_deployed_with_its_routes_and_jwt_authorizer(
    endpoint: str, deployed: dict[str, Any], config: PlatformConfig
) -> None:
    from dho.centre.routes import ROUTE_ACTIONS

    api_gateway = aws("apigatewayv2", endpoint)
    apis = {api["Name"]: api["ApiId"] for api in api_gateway.get_apis()["Items"]}
    for centre in config.centres:
        api_id = apis[f"dho-centre-{centre.centre_id}-api"]
        routes = {r["RouteKey"]: r for r in api_gateway.get_routes(ApiId=api_id)["Items"]}
        assert set(routes) == set(ROUTE_ACTIONS)
        authorizer = api_gateway.get_authorizer(ApiId=api_id, AuthorizerId=routes["GET /worklist"]["AuthorizerId"])
        assert authorizer["AuthorizerType"] == "JWT"
        assert authorizer["JwtConfiguration"] == {"Audience": [config.identity.audience],
                                                  "Issuer": config.identity.issuer}
        assert routes["GET /openapi.json"]["AuthorizationType"] == "NONE"
