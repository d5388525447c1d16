"""GIVEN the AwsSolutions and HIPAA Security packs on every synth THEN nothing is open, and every
acknowledgment is one we reviewed, with its reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_sqs as sqs

from infra.compliance import acknowledge, enable_compliance_checks

# Reviewed acknowledgments (rule -> why it is acceptable is in the code next to the construct).
REVIEWED = {
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]",
    "AwsSolutions-IAM5[Resource::*]",
    # process_readings' advice: the device-id segment of its own tenant's advice topics (one per tenant)
    "AwsSolutions-IAM5[Resource::arn:aws:iot:eu-north-1:<AWS::AccountId>:topic/dho/bodo/devices/*/advice]",
    "AwsSolutions-IAM5[Resource::arn:aws:iot:eu-north-1:<AWS::AccountId>:topic/dho/sunnfjord/devices/*/advice]",
    # the centre API's retained device config: the device-id segment of each served tenant's config topics
    "AwsSolutions-IAM5[Resource::arn:aws:iot:eu-north-1:<AWS::AccountId>:topic/dho/bodo/devices/*/config]",
    "AwsSolutions-IAM5[Resource::arn:aws:iot:eu-north-1:<AWS::AccountId>:topic/dho/sunnfjord/devices/*/config]",
    "AwsSolutions-APIG4",  # the centre API's public OpenAPI document (no data)
    "AwsSolutions-L1",
    "HIPAA.Security-LambdaDLQ",
    "HIPAA.Security-LambdaInsideVPC",
    "AwsSolutions-CFR2",  # the nurses' page: static files only; a CloudFront web ACL is per account (us-east-1)
    "AwsSolutions-CFR4",  # the page's default cloudfront.net certificate until a centre has its own domain
    "HIPAA.Security-S3BucketReplicationEnabled",  # the page's files and their access logs: rebuilt, not replicated
    "HIPAA.Security-S3DefaultEncryptionKMS",  # the same two buckets: no patient data, S3-managed keys for OAC
}


def test_both_packs_ran_and_found_nothing_open(assembly_dir: Path) -> None:
    report = json.loads((assembly_dir / "validation-report.json").read_text())
    conclusions = {plugin["pluginName"]: plugin for plugin in report["pluginReports"]}
    assert set(conclusions) == {"AwsSolutions", "HIPAA.Security"}
    for plugin in conclusions.values():
        assert plugin["conclusion"] == "success"
        assert plugin["violations"] == []


def test_only_reviewed_findings_are_acknowledged_each_with_a_specific_reason(assembly_dir: Path) -> None:
    report = json.loads((assembly_dir / "validation-report.json").read_text())
    suppressed = [s for plugin in report["pluginReports"] for s in plugin["suppressedViolations"]]
    assert {s["ruleName"] for s in suppressed} == REVIEWED
    for finding in suppressed:
        assert len(finding["reason"]) >= 60, finding["ruleName"]
        # Acknowledged on tenant resources only, never on a whole stack.
        for construct in finding["violatingConstructs"]:
            assert construct["constructPath"].count("/") >= 2, construct


def test_a_finding_fails_the_synth(tmp_path: Path) -> None:
    app = App(outdir=str(tmp_path))
    enable_compliance_checks(app)
    stack = Stack(app, "Unencrypted")
    sqs.Queue(stack, "PlainQueue", encryption=sqs.QueueEncryption.UNENCRYPTED)
    with pytest.raises(RuntimeError, match="AwsSolutions-SQS2"):
        app.synth()


def test_an_acknowledgment_without_a_real_reason_is_refused() -> None:
    stack = Stack(App(), "Any")
    with pytest.raises(ValueError, match="specific reason"):
        acknowledge(stack, "AwsSolutions::AwsSolutions-L1", "needed")
