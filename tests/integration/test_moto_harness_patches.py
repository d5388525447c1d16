"""Each patch of the moto harness, on a minimal CloudFormation template deployed with boto3.

One harness (a subprocess on a free port) for the module; every test uses its own stack and resource
names, so the tests do not depend on each other.
"""

from __future__ import annotations

import ast
import http.client
import io
import json
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud import moto_harness as harness
from localcloud.deployed import client
from localcloud.moto_harness import PATCH_MODULES, running_harness

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"
REGION = "eu-north-1"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with running_harness() as url:
        yield url


def aws(service: str, endpoint: str) -> Any:
    return client(service, endpoint, REGION)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_stack(endpoint: str, resources: dict[str, Any], **template: Any) -> str:
    name = unique("Patch")
    cloudformation = aws("cloudformation", endpoint)
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps({"Resources": resources, **template}))
    assert cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    return name


def via_change_set(endpoint: str, stack: str, template: dict[str, Any], kind: str, **extra: Any) -> dict[str, Any]:
    cloudformation = aws("cloudformation", endpoint)
    cloudformation.create_change_set(
        StackName=stack, ChangeSetName="cdk-deploy-change-set", ChangeSetType=kind,
        TemplateBody=json.dumps(template), **extra,
    )
    cloudformation.execute_change_set(StackName=stack, ChangeSetName="cdk-deploy-change-set")
    result: dict[str, Any] = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return result


def parameter(name: str, value: str) -> dict[str, Any]:
    return {"Type": "AWS::SSM::Parameter", "Properties": {"Name": name, "Type": "String", "Value": value}}


def test_every_patch_module_names_the_moto_behaviour_it_fixes() -> None:
    # Read, not imported: importing a patch module would register its models with this process's moto.
    package = Path(harness.__file__).parent
    for name in PATCH_MODULES:
        docstring = ast.get_docstring(ast.parse((package / f"{name}.py").read_text()))
        assert docstring and "moto 5.2.5" in docstring, name


def test_change_sets_keep_outputs_and_exports_and_are_scoped_to_their_stack(endpoint: str) -> None:
    exporter, importer = unique("Exporter"), unique("Importer")
    export_name = unique("SharedValue")
    exporting = {
        "Resources": {"Value": parameter(f"/{exporter}/value", "v1")},
        "Outputs": {"Name": {"Value": {"Ref": "Value"}, "Export": {"Name": export_name}}},
    }
    stack = via_change_set(endpoint, exporter, exporting, "CREATE")
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Outputs"] == [{"OutputKey": "Name", "OutputValue": f"/{exporter}/value", "ExportName": export_name}]
    # Same change-set name in another stack (as CDK does): ImportValue resolves the first stack's export.
    importing = {"Resources": {"Copy": parameter(f"/{importer}/copy", {"Fn::ImportValue": export_name})}}  # type: ignore[arg-type]
    assert via_change_set(endpoint, importer, importing, "CREATE")["StackStatus"] == "CREATE_COMPLETE"
    ssm = aws("ssm", endpoint)
    assert ssm.get_parameter(Name=f"/{importer}/copy")["Parameter"]["Value"] == f"/{exporter}/value"
    cloudformation = aws("cloudformation", endpoint)
    change_set = cloudformation.describe_change_set(StackName=exporter, ChangeSetName="cdk-deploy-change-set")
    assert change_set["StackName"] == exporter
    with pytest.raises(ClientError) as missing:
        cloudformation.describe_change_set(StackName=exporter, ChangeSetName="no-such-change-set")
    assert missing.value.response["Error"]["Code"] == "ChangeSetNotFound"  # the query-protocol code of the exception


def test_use_previous_value_of_an_ssm_parameter_is_looked_up_again(endpoint: str) -> None:
    stack = unique("Previous")
    source = f"/{stack}/version"
    aws("ssm", endpoint).put_parameter(Name=source, Value="6", Type="String")
    template: dict[str, Any] = {
        "Parameters": {"Version": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": source}},
        "Resources": {"Copy": parameter(f"/{stack}/copy", {"Ref": "Version"})},  # type: ignore[arg-type]
    }
    via_change_set(endpoint, stack, template, "CREATE")
    template["Resources"]["Other"] = parameter(f"/{stack}/other", "x")
    updated = via_change_set(
        endpoint, stack, template, "UPDATE", Parameters=[{"ParameterKey": "Version", "UsePreviousValue": True}]
    )
    assert updated["StackStatus"] == "UPDATE_COMPLETE"
    assert aws("ssm", endpoint).get_parameter(Name=f"/{stack}/copy")["Parameter"]["Value"] == "6"


def test_a_failing_change_set_fails_the_stack_with_its_reason(endpoint: str) -> None:
    stack = unique("Failing")
    broken = {"Resources": {"Layer": {"Type": "AWS::Lambda::Function", "Properties": {
        "FunctionName": unique("f"), "Role": f"arn:aws:iam::{ACCOUNT}:role/missing", "Runtime": "python3.12",
        "Handler": "index.handler", "Code": {"ZipFile": "def handler(e, c): return e"}}}}}
    result = via_change_set(endpoint, stack, broken, "CREATE")
    assert result["StackStatus"] == "ROLLBACK_COMPLETE"
    events = aws("cloudformation", endpoint).describe_stack_events(StackName=stack)["StackEvents"]
    assert any(e["ResourceStatus"] == "CREATE_FAILED" and "role" in e.get("ResourceStatusReason", "") for e in events)


def test_termination_protection_is_stored_and_enforced(endpoint: str) -> None:
    stack = create_stack(endpoint, {"P": parameter(f"/{unique('tp')}", "x")})
    cloudformation = aws("cloudformation", endpoint)
    cloudformation.update_termination_protection(StackName=stack, EnableTerminationProtection=True)
    assert cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["EnableTerminationProtection"] is True
    with pytest.raises(ClientError):
        cloudformation.delete_stack(StackName=stack)


def test_ssm_parameter_with_tags_as_a_map(endpoint: str) -> None:
    name = f"/{unique('tagged')}"
    resource = parameter(name, "x")
    resource["Properties"]["Tags"] = {"dho:tenant": "bodo"}
    create_stack(endpoint, {"P": resource})
    tags = aws("ssm", endpoint).list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert tags == [{"Key": "dho:tenant", "Value": "bodo"}]


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _lambda_template(bucket: str, layer_name: str, function_name: str, description: str, version_id: str,
                     queue_name: str) -> dict[str, Any]:
    return {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {
            "KeyPolicy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*",
                          "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Resource": "*"}]},
            "Tags": [{"Key": "dho:tenant", "Value": "bodo"}]}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "lambda.amazonaws.com"}}]}}},
        "Layer": {"Type": "AWS::Lambda::LayerVersion", "Properties": {
            "LayerName": layer_name, "Content": {"S3Bucket": bucket, "S3Key": "layer.zip"},
            "CompatibleRuntimes": ["python3.12"], "CompatibleArchitectures": ["x86_64"]}},
        "LayerArn": parameter(f"/{layer_name}/arn", {"Ref": "Layer"}),  # type: ignore[arg-type]
        "Function": {"Type": "AWS::Lambda::Function", "Properties": {
            "FunctionName": function_name, "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Runtime": "python3.12",
            "Handler": "index.handler", "Description": description,
            "Code": {"ZipFile": f"def handler(event, context):\n    return {description!r}\n"},
            "Layers": [{"Ref": "Layer"}], "KmsKeyArn": {"Fn::GetAtt": ["Key", "Arn"]},
            "TracingConfig": {"Mode": "Active"}, "Architectures": ["x86_64"],
            "SnapStart": {"ApplyOn": "PublishedVersions"},
            "Environment": {"Variables": {"DHO_TENANT_ID": "bodo"}}}},
        f"Version{version_id}": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Function"}}},
        "Live": {"Type": "AWS::Lambda::Alias", "Properties": {
            "FunctionName": {"Ref": "Function"}, "Name": "live",
            "FunctionVersion": {"Fn::GetAtt": [f"Version{version_id}", "Version"]}}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": queue_name}},
        "Mapping": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
            "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]}, "BatchSize": 100,
            "FunctionName": {"Fn::Join": ["", [{"Fn::Select": [6, {"Fn::Split": [":", {"Ref": "Live"}]}]}, ":live"]]},
            "FunctionResponseTypes": ["ReportBatchItemFailures"]}},
    }


def test_lambda_layer_function_version_alias_and_event_source_mapping(endpoint: str) -> None:
    bucket, layer_name, function_name, queue = unique("assets"), unique("layer"), unique("fn"), unique("q")
    s3 = aws("s3", endpoint)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=bucket, Key="layer.zip", Body=_zip({"python/shared.py": "VALUE = 1\n"}))
    cloudformation = aws("cloudformation", endpoint)
    stack = unique("Lambda")
    template = {"Resources": _lambda_template(bucket, layer_name, function_name, "first", "A", queue)}
    cloudformation.create_stack(StackName=stack, TemplateBody=json.dumps(template))

    lambda_ = aws("lambda", endpoint)
    layer_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{layer_name}:1"
    assert aws("ssm", endpoint).get_parameter(Name=f"/{layer_name}/arn")["Parameter"]["Value"] == layer_arn
    (layer,) = lambda_.list_layer_versions(LayerName=layer_name)["LayerVersions"]
    assert (layer["LayerVersionArn"], layer["CompatibleArchitectures"]) == (layer_arn, ["x86_64"])
    config = lambda_.get_function_configuration(FunctionName=function_name)
    assert [layer["Arn"] for layer in config["Layers"]] == [layer_arn]
    assert config["TracingConfig"] == {"Mode": "Active"}
    assert config["KMSKeyArn"].startswith("arn:aws:kms:")
    assert config["SnapStart"] == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "Off"}
    alias = lambda_.get_alias(FunctionName=function_name, Name="live")
    assert alias["FunctionVersion"] == "1"
    published = lambda_.get_function_configuration(FunctionName=function_name, Qualifier="1")
    assert published["SnapStart"]["OptimizationStatus"] == "On"
    (mapping,) = [m for m in lambda_.list_event_source_mappings()["EventSourceMappings"]
                  if m["EventSourceArn"].endswith(f":{queue}")]
    assert mapping["FunctionArn"] == alias["AliasArn"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    key_id = config["KMSKeyArn"].rsplit("/", 1)[-1]
    kms = aws("kms", endpoint)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Enabled"] is True
    assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])["Statement"][0]["Action"] == (
        "kms:*"
    )
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "dho:tenant", "TagValue": "bodo"}]

    # An update of the code with a new Version logical id (CDK's currentVersion): the new version has the
    # new code, the alias moves to it, the mapping stays on the alias.
    template = {"Resources": _lambda_template(bucket, layer_name, function_name, "second", "B", queue)}
    cloudformation.update_stack(StackName=stack, TemplateBody=json.dumps(template))
    assert cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    alias = lambda_.get_alias(FunctionName=function_name, Name="live")
    assert alias["FunctionVersion"] == "2"
    assert lambda_.get_function_configuration(FunctionName=function_name, Qualifier="2")["Description"] == "second"
    assert lambda_.get_event_source_mapping(UUID=mapping["UUID"])["FunctionArn"] == alias["AliasArn"]


def test_global_table_becomes_a_table_with_sse_pitr_deletion_protection_ttl_and_gsi(endpoint: str) -> None:
    name = unique("dho")
    key_arn = aws("kms", endpoint).create_key()["KeyMetadata"]["Arn"]
    stack = create_stack(endpoint, {"Table": {"Type": "AWS::DynamoDB::GlobalTable", "Properties": {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "g")],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [{"IndexName": "triage", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                    "Projection": {"ProjectionType": "ALL"}}],
        "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS"},
        "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
        "Replicas": [{"Region": REGION, "DeletionProtectionEnabled": True,
                      "SSESpecification": {"KMSMasterKeyId": key_arn},
                      "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True,
                                                           "RecoveryPeriodInDays": 35},
                      "Tags": [{"Key": "dho:tenant", "Value": "bodo"}]}]}},
        "Arn": parameter(f"/{name}/arn", {"Fn::GetAtt": ["Table", "Arn"]})})  # type: ignore[arg-type]
    dynamodb = aws("dynamodb", endpoint)
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["SSEDescription"] == {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": key_arn}
    assert table["DeletionProtectionEnabled"] is True
    assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["triage"]
    backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    assert dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    assert aws("ssm", endpoint).get_parameter(Name=f"/{name}/arn")["Parameter"]["Value"] == table["TableArn"]
    assert dynamodb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"] == [
        {"Key": "dho:tenant", "Value": "bodo"}
    ]
    resources = aws("cloudformation", endpoint).describe_stack_resources(StackName=stack)["StackResources"]
    assert {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}["Table"] == name


def test_plain_table_keeps_sse_and_pitr(endpoint: str) -> None:
    name = unique("plain")
    create_stack(endpoint, {"Table": {"Type": "AWS::DynamoDB::Table", "Properties": {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "SSESpecification": {"SSEEnabled": True},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}}}})
    dynamodb = aws("dynamodb", endpoint)
    assert dynamodb.describe_table(TableName=name)["Table"]["SSEDescription"]["Status"] == "ENABLED"
    backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_alarm_subscription_with_filter_and_topic_and_queue_policies(endpoint: str) -> None:
    topic, queue, alarm = unique("alerts"), unique("readings"), unique("alarm")
    tls_only = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Principal": "*",
                                                       "Resource": "*",
                                                       "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    create_stack(endpoint, {
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": topic}},
        "Sms": {"Type": "AWS::SNS::Subscription", "Properties": {
            "TopicArn": {"Ref": "Topic"}, "Protocol": "sms", "Endpoint": "+4799999901",
            "FilterPolicy": {"severity": ["red"]}}},
        "TopicPolicy": {"Type": "AWS::SNS::TopicPolicy", "Properties": {
            "Topics": [{"Ref": "Topic"}], "PolicyDocument": tls_only}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": queue}},
        "QueuePolicy": {"Type": "AWS::SQS::QueuePolicy", "Properties": {
            "Queues": [{"Ref": "Queue"}], "PolicyDocument": tls_only}},
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmName": alarm, "Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["Queue", "QueueName"]}}],
            "ComparisonOperator": "GreaterThanThreshold", "Threshold": 0, "EvaluationPeriods": 1, "Period": 60,
            "Statistic": "Maximum", "TreatMissingData": "notBreaching", "AlarmActions": [{"Ref": "Topic"}]}},
    })
    sns, sqs = aws("sns", endpoint), aws("sqs", endpoint)
    topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:{topic}"
    (subscription,) = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    attributes = sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])["Attributes"]
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("sms", "+4799999901")
    assert json.loads(attributes["FilterPolicy"]) == {"severity": ["red"]}
    assert json.loads(sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]["Policy"]) == tls_only
    queue_url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    policy = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    assert json.loads(policy) == tls_only
    (found,) = aws("cloudwatch", endpoint).describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    assert found["AlarmActions"] == [topic_arn]
    assert found["Dimensions"] == [{"Name": "QueueName", "Value": queue}]
    assert found["TreatMissingData"] == "notBreaching"


def test_iot_topic_rule_and_policy_document(endpoint: str) -> None:
    rule, policy = unique("rule").replace("-", "_"), unique("device")
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:Publish",
                                                       "Resource": "arn:aws:iot:*:*:topic/dho/bodo/*"}]}
    create_stack(endpoint, {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": unique("q")}},
        "Rule": {"Type": "AWS::IoT::TopicRule", "Properties": {"RuleName": rule, "TopicRulePayload": {
            "Sql": "SELECT *, topic(2) AS tenant FROM 'dho/bodo/devices/+/readings'", "RuleDisabled": False,
            "AwsIotSqlVersion": "2016-03-23",
            "Actions": [{"Sqs": {"QueueUrl": {"Ref": "Queue"}, "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/r",
                                 "UseBase64": False}}],
            "ErrorAction": {"CloudwatchLogs": {"LogGroupName": "/dho/bodo/iot-rule-errors",
                                               "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/r"}}}}},
        "Policy": {"Type": "AWS::IoT::Policy", "Properties": {"PolicyName": policy, "PolicyDocument": document}},
    })
    iot = aws("iot", endpoint)
    found = iot.get_topic_rule(ruleName=rule)["rule"]
    assert found["sql"].endswith("FROM 'dho/bodo/devices/+/readings'")
    assert found["actions"][0]["sqs"]["useBase64"] is False
    assert found["errorAction"]["cloudwatchLogs"]["logGroupName"] == "/dho/bodo/iot-rule-errors"
    assert json.loads(iot.get_policy(policyName=policy)["policyDocument"]) == document


def test_backup_vault_plan_and_selection(endpoint: str) -> None:
    name = unique("dho")
    create_stack(endpoint, {
        "Vault": {"Type": "AWS::Backup::BackupVault", "Properties": {"BackupVaultName": name}},
        "Plan": {"Type": "AWS::Backup::BackupPlan", "Properties": {"BackupPlan": {
            "BackupPlanName": name, "BackupPlanRule": [{
                "RuleName": "Daily", "ScheduleExpression": "cron(0 2 * * ? *)", "Lifecycle": {"DeleteAfterDays": 35},
                "TargetBackupVault": {"Fn::GetAtt": ["Vault", "BackupVaultName"]}}]}}},
        "Selection": {"Type": "AWS::Backup::BackupSelection", "Properties": {
            "BackupPlanId": {"Fn::GetAtt": ["Plan", "BackupPlanId"]},
            "BackupSelection": {"SelectionName": name, "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/backup",
                                "Resources": [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"]}}},
    })
    backup = aws("backup", endpoint)
    (plan,) = [p for p in backup.list_backup_plans()["BackupPlansList"] if p["BackupPlanName"] == name]
    rule = backup.get_backup_plan(BackupPlanId=plan["BackupPlanId"])["BackupPlan"]["Rules"][0]
    assert (rule["TargetBackupVaultName"], rule["Lifecycle"]) == (name, {"DeleteAfterDays": 35})
    (selection,) = backup.list_backup_selections(BackupPlanId=plan["BackupPlanId"])["BackupSelectionsList"]
    detail = backup.get_backup_selection(BackupPlanId=plan["BackupPlanId"], SelectionId=selection["SelectionId"])
    assert detail["BackupSelection"]["Resources"] == [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"]
    assert backup.describe_backup_vault(BackupVaultName=name)["BackupVaultName"] == name


def test_a_table_query_reads_its_partition_in_order_with_limits_and_pages(endpoint: str) -> None:
    dynamodb = aws("dynamodb", endpoint)
    dynamodb.create_table(
        TableName="partitioned", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}])
    for patient in range(5):
        for reading in range(20):
            dynamodb.put_item(TableName="partitioned", Item={"pk": {"S": f"P#{patient}"},
                                                             "sk": {"S": f"TL#{reading:03d}"}})

    def query(**extra: Any) -> dict[str, Any]:
        page: dict[str, Any] = dynamodb.query(
            TableName="partitioned", KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
            ExpressionAttributeValues={":p": {"S": "P#3"}, ":a": {"S": "TL#005"}, ":b": {"S": "TL#014"}}, **extra)
        return page

    assert [i["sk"]["S"] for i in query()["Items"]] == [f"TL#{n:03d}" for n in range(5, 15)]
    newest = query(ScanIndexForward=False, Limit=3)
    assert [i["sk"]["S"] for i in newest["Items"]] == ["TL#014", "TL#013", "TL#012"]
    rest = query(ScanIndexForward=False, ExclusiveStartKey=newest["LastEvaluatedKey"])
    assert [i["sk"]["S"] for i in rest["Items"]] == [f"TL#{n:03d}" for n in range(11, 4, -1)]
    assert {i["pk"]["S"] for i in query()["Items"]} == {"P#3"}
    assert dynamodb.scan(TableName="partitioned")["Count"] == 100  # a scan still sees every partition


def _readings_table(dynamodb: Any, name: str) -> None:
    dynamodb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}])
    for n in range(60):
        series = ("TL#spo2#", "TL#pulse#", "ALERT#")[n % 3]
        dynamodb.put_item(TableName=name, Item={"pk": {"S": "P#1"}, "sk": {"S": f"{series}{n:03d}"},
                                                "value": {"N": str(n)}})
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "P#2"}, "sk": {"S": "TL#spo2#030"}, "value": {"N": "1"}})


def _pages(dynamodb: Any, name: str, **request: Any) -> list[dict[str, Any]]:
    """Every page of a query, as the client sees it (metadata aside)."""
    pages = []
    while True:
        page = dynamodb.query(TableName=name, **request)
        pages.append({k: v for k, v in page.items() if k != "ResponseMetadata"})
        if "LastEvaluatedKey" not in page:
            return pages
        request = {**request, "ExclusiveStartKey": page["LastEvaluatedKey"]}


def test_a_narrowed_partition_query_answers_exactly_as_moto_itself(endpoint: str, moto_endpoint: str) -> None:
    # GIVEN the same partition in the harness (queries narrowed on the sort key) and in plain moto
    name = unique("narrowed")
    harness_dynamodb, plain_dynamodb = aws("dynamodb", endpoint), aws("dynamodb", moto_endpoint)
    for dynamodb in (harness_dynamodb, plain_dynamodb):
        _readings_table(dynamodb, name)
    conditions = [("sk = :a", {":a": "TL#spo2#030"}), ("sk < :a", {":a": "TL#pulse#040"}),
                  ("sk <= :a", {":a": "TL#pulse#040"}), ("sk > :a", {":a": "TL#pulse#040"}),
                  ("sk >= :a", {":a": "TL#pulse#040"}), ("sk BETWEEN :a AND :b", {":a": "TL#", ":b": "TL#spo2#033"}),
                  ("begins_with(sk, :a)", {":a": "TL#spo2#"}), ("begins_with(sk, :a)", {":a": "NOPE"})]
    for condition, values in conditions:
        for extra in ({}, {"Limit": 1}, {"Limit": 4}, {"Limit": 100}, {"ScanIndexForward": False},
                      {"ScanIndexForward": False, "Limit": 3}, {"Limit": 5, "FilterExpression": "#v > :f"},
                      {"ProjectionExpression": "sk", "Limit": 2}, {"ReturnConsumedCapacity": "TOTAL", "Limit": 7}):
            request: dict[str, Any] = {
                "KeyConditionExpression": f"pk = :p AND {condition}",
                "ExpressionAttributeValues": {":p": {"S": "P#1"}, **{k: {"S": v} for k, v in values.items()},
                                              **({":f": {"N": "20"}} if "FilterExpression" in extra else {})},
                **({"ExpressionAttributeNames": {"#v": "value"}} if "FilterExpression" in extra else {}),
                **extra}
            # WHEN the same query is paged through on both
            # THEN every page is the same: items, counts and the key of the next page
            assert _pages(harness_dynamodb, name, **request) == _pages(plain_dynamodb, name, **request), request


def test_a_condition_expression_used_again_is_evaluated_against_each_item_and_its_own_values(
        endpoint: str) -> None:
    # GIVEN a table and conditional puts like the pipeline repeats for every reading
    name = unique("conditions")
    dynamodb = aws("dynamodb", endpoint)
    _readings_table(dynamodb, name)

    def put(sk: str, value: str, condition: str, **expression: Any) -> str:
        try:
            dynamodb.put_item(TableName=name, Item={"pk": {"S": "P#9"}, "sk": {"S": sk}, "value": {"N": value}},
                              ConditionExpression=condition, **expression)
        except ClientError as error:
            return str(error.response["Error"]["Code"])
        return "written"

    # WHEN the same expression comes again THEN it is checked against the item as it is now
    assert put("a", "1", "attribute_not_exists(pk)") == "written"
    assert put("a", "2", "attribute_not_exists(pk)") == "ConditionalCheckFailedException"
    assert put("b", "1", "attribute_not_exists(pk)") == "written"
    # AND with its own values: the same expression with other values decides otherwise
    same = {"ExpressionAttributeNames": {"#v": "value"}}
    assert put("a", "3", "#v = :v", ExpressionAttributeValues={":v": {"N": "5"}}, **same) == \
        "ConditionalCheckFailedException"
    assert put("a", "3", "#v = :v", ExpressionAttributeValues={":v": {"N": "1"}}, **same) == "written"


def test_a_cancelled_transaction_leaves_every_item_as_it_was(endpoint: str) -> None:
    dynamodb = aws("dynamodb", endpoint)
    dynamodb.create_table(
        TableName="transactions", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}])
    dynamodb.put_item(TableName="transactions", Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "v": {"S": "old"}})
    dynamodb.put_item(TableName="transactions", Item={"pk": {"S": "guard"}, "sk": {"S": "g"}})
    put = "Put"
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[
            {put: {"TableName": "transactions", "Item": {"pk": {"S": "a"}, "sk": {"S": "1"}, "v": {"S": "new"}}}},
            {put: {"TableName": "transactions", "Item": {"pk": {"S": "b"}, "sk": {"S": "2"}}}},
            {put: {"TableName": "transactions", "Item": {"pk": {"S": "guard"}, "sk": {"S": "g"}},
                   "ConditionExpression": "attribute_not_exists(pk)"}},
        ])
    items = {(i["pk"]["S"], i["sk"]["S"]): i.get("v", {}).get("S") for i in
             dynamodb.scan(TableName="transactions")["Items"]}
    assert items == {("a", "1"): "old", ("guard", "g"): None}
    dynamodb.transact_write_items(TransactItems=[
        {put: {"TableName": "transactions", "Item": {"pk": {"S": "b"}, "sk": {"S": "2"}}}}])
    assert dynamodb.scan(TableName="transactions")["Count"] == 3


def test_sqs_delays_and_visibility_timeouts_still_hide_messages_for_their_time(endpoint: str) -> None:
    sqs = aws("sqs", endpoint)
    url = sqs.create_queue(QueueName="clock")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="delayed", DelaySeconds=1)
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    time.sleep(1.2)
    (message,) = sqs.receive_message(QueueUrl=url, VisibilityTimeout=1)["Messages"]
    assert message["Body"] == "delayed"
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []  # in flight
    time.sleep(1.2)
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url)["Messages"]] == ["delayed"]


def test_read_responses_return_every_attribute_type_as_it_was_written(endpoint: str) -> None:
    dynamodb = aws("dynamodb", endpoint)
    dynamodb.create_table(
        TableName="item-responses", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}])
    plain = {"pk": {"S": "P"}, "sk": {"S": "1"}, "n": {"N": "94.5"}, "ok": {"BOOL": True}, "none": {"NULL": True},
             "m": {"M": {"unit": {"S": "%"}, "l": {"L": [{"N": "1"}, {"S": "å"}]}}}, "ss": {"SS": ["a", "b"]},
             "ns": {"NS": ["1", "2"]}}
    binary = {"pk": {"S": "P"}, "sk": {"S": "2"}, "b": {"B": b"\x00\x01"}, "bs": {"BS": [b"\x02"]}}
    for item in (plain, binary):
        dynamodb.put_item(TableName="item-responses", Item=item)
    key = {"pk": {"S": "P"}, "sk": {"S": "1"}}

    def normalised(item: dict[str, Any]) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(json.dumps(item, sort_keys=True, default=repr))
        return document

    query = dynamodb.query(TableName="item-responses", KeyConditionExpression="pk = :p",
                           ExpressionAttributeValues={":p": {"S": "P"}}, Limit=1)
    assert normalised(query["Items"][0]) == normalised(plain) and query["Count"] == 1
    assert query["LastEvaluatedKey"] == key
    assert normalised(dynamodb.get_item(TableName="item-responses", Key=key)["Item"]) == normalised(plain)
    assert dynamodb.get_item(TableName="item-responses", Key={**key, "sk": {"S": "2"}})["Item"] == binary
    got = dynamodb.batch_get_item(RequestItems={"item-responses": {"Keys": [key]}})["Responses"]
    assert normalised(got["item-responses"][0]) == normalised(plain)
    assert dynamodb.scan(TableName="item-responses")["Count"] == 2
    assert "Item" not in dynamodb.get_item(TableName="item-responses", Key={**key, "sk": {"S": "9"}})


def test_sqs_sends_leave_the_queue_counts_exact(endpoint: str) -> None:
    sqs = aws("sqs", endpoint)
    url = sqs.create_queue(QueueName="send-counts")["QueueUrl"]
    for index in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{index}")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"b{i}"} for i in range(10)])
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=5)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=30)
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"],
            counts["ApproximateNumberOfMessagesDelayed"]) == ("11", "2", "1")


def test_one_connection_carries_many_api_calls(endpoint: str) -> None:
    # GIVEN one HTTP/1.1 connection to the harness
    host, port = endpoint.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    body = json.dumps({"QueueNamePrefix": "no-such"})
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ListQueues",
               "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20261201/{REGION}/sqs/aws4_request, "
                                "SignedHeaders=host, Signature=0"}
    answers = []
    # WHEN three API calls go over it
    for _ in range(3):
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        answers.append((response.status, response.getheader("Connection"), json.loads(response.read())))
    connection.close()
    # THEN each is answered and the server never closes it
    assert [(status, closing) for status, closing, _ in answers] == [(200, None)] * 3


def test_sqs_deletes_by_any_handle_a_message_had_and_refuses_unknown_ones(endpoint: str) -> None:
    sqs = aws("sqs", endpoint)
    url = sqs.create_queue(QueueName="receipts")["QueueUrl"]
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(5)])
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=1)["Messages"]
    time.sleep(1.2)
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)["Messages"]
    assert sorted(m["Body"] for m in again) == [f"m{i}" for i in range(5)]

    stale = next(m for m in first if m["Body"] == "m0")["ReceiptHandle"]  # a handle the message had before
    current = [m["ReceiptHandle"] for m in again if m["Body"] in ("m1", "m2")]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=stale)
    deleted = sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "ReceiptHandle": handle} for i, handle in enumerate([*current, stale])])
    assert len(deleted["Successful"]) == 3  # deleting twice is no error, as on SQS
    with pytest.raises(ClientError, match="ReceiptHandleIsInvalid"):
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "2"


def test_a_cloudfront_distribution_answers_ref_and_domain_name(endpoint: str) -> None:
    stack = unique("Page")
    template: dict[str, Any] = {
        "Resources": {
            "Headers": {"Type": "AWS::CloudFront::ResponseHeadersPolicy",
                        "Properties": {"ResponseHeadersPolicyConfig": {"Name": "strict"}}},
            "Distribution": {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
                "Enabled": True, "DefaultCacheBehavior": {"ResponseHeadersPolicyId": {"Ref": "Headers"}}}}},
            "Origin": parameter(f"/{stack}/origin", {"Fn::Join": [  # type: ignore[arg-type]
                "", ["https://", {"Fn::GetAtt": ["Distribution", "DomainName"]}]]}),
        },
        "Outputs": {"Id": {"Value": {"Ref": "Distribution"}}},
    }

    created = via_change_set(endpoint, stack, template, "CREATE")

    assert created["StackStatus"] == "CREATE_COMPLETE"
    (distribution_id,) = [o["OutputValue"] for o in created["Outputs"]]
    origin = aws("ssm", endpoint).get_parameter(Name=f"/{stack}/origin")["Parameter"]["Value"]
    assert origin == f"https://{distribution_id.lower()}.cloudfront.net"
