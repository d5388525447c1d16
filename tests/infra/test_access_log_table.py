"""The tenant's Normen access log: its own append-only table, which no function of the tenant's stack can
reach (the centre API writes and reads it from the centre's stack, tests/infra/test_centre_api_stack.py),
and no IAM role can invoke a FHIR export with an identity of its own choosing: the export is behind the
centre API."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from dho.adapters import table_schema
from dho.adapters.dynamodb_access_log import _item as access_log_item
from dho.adapters.table_schema import ACCESS_LOG_ATTRIBUTES
from dho.domain.access_log import FHIR_EXPORT_OBJECT, AccessOutcome, AccessRecord
from infra.config import Tenant, load_config
from infra.constructs.access_log_table import APPEND_ONLY_DENIED_ACTIONS
from tests.infra.helpers import (
    access_log_table,
    key_logical_id,
    resources_of_type,
    tenant_template,
)
from tests.infra.test_tenant_isolation import policy_documents, references

Templates = dict[str, dict[str, Any]]
by_tenant = pytest.mark.parametrize("tenant", load_config().tenants, ids=lambda t: t.tenant_id)


def test_access_log_items_carry_only_the_attributes_a_writer_may_put() -> None:
    at = datetime(2026, 11, 27, tzinfo=UTC)
    record = AccessRecord("a1", "P-C0PD0001", at, FHIR_EXPORT_OBJECT, AccessOutcome.EXPORTED, "9144900",
                          "fastlege", "974116804", at, at, 3)
    assert set(access_log_item(record)) == set(ACCESS_LOG_ATTRIBUTES)


def _access_log_arn_or_name(statement: dict[str, Any], logical_id: str, name: str) -> bool:
    return logical_id in set(references(statement)) or name in json.dumps(statement)


@by_tenant
def test_the_access_log_table_is_encrypted_recoverable_protected_and_keyed_by_patient(
    templates: Templates, tenant: Tenant
) -> None:
    template = tenant_template(templates, tenant)
    _, table = access_log_table(template, tenant)
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    # Partition by patient (keys.patient_pk), sort by time: "who accessed patient X" is one bounded query
    assert props["KeySchema"] == [{"AttributeName": table_schema.PARTITION_KEY, "KeyType": "HASH"},
                                  {"AttributeName": table_schema.SORT_KEY, "KeyType": "RANGE"}]
    # Nothing that copies or expires entries: no index, no stream, no TTL
    assert not {"GlobalSecondaryIndexes", "LocalSecondaryIndexes", "StreamSpecification",
                "TimeToLiveSpecification"} & set(props)
    assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    (replica,) = props["Replicas"]
    assert replica["SSESpecification"]["KMSMasterKeyId"] == {"Fn::GetAtt": [key_logical_id(template), "Arn"]}
    assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True,
                                                          "RecoveryPeriodInDays": 35}
    assert replica["DeletionProtectionEnabled"] is True
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")


@by_tenant
def test_the_access_log_table_denies_everyone_changing_or_removing_an_entry(
    templates: Templates, tenant: Tenant
) -> None:
    template = tenant_template(templates, tenant)
    _, table = access_log_table(template, tenant)
    (replica,) = table["Properties"]["Replicas"]
    (statement,) = replica["ResourcePolicy"]["PolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Principal"]) == ("Deny", {"AWS": "*"})
    assert sorted(statement["Action"]) == sorted(APPEND_ONLY_DENIED_ACTIONS)
    assert {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"} <= set(statement["Action"])
    assert f"table/dho-{tenant.tenant_id}-access-log" in json.dumps(statement["Resource"])
    assert "Condition" not in statement  # no exception for any principal


@by_tenant
def test_the_access_log_table_is_backed_up_in_the_tenants_plan(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    table_id, _ = access_log_table(template, tenant)
    (plan_id,) = resources_of_type(template, "AWS::Backup::BackupPlan")
    (selection,) = [s for s in resources_of_type(template, "AWS::Backup::BackupSelection").values()
                    if s["Properties"]["BackupSelection"]["SelectionName"] == f"dho-{tenant.tenant_id}-access-log"]
    assert selection["Properties"]["BackupPlanId"] == {"Fn::GetAtt": [plan_id, "BackupPlanId"]}
    assert selection["Properties"]["BackupSelection"]["Resources"] == [{"Fn::GetAtt": [table_id, "Arn"]}]


@by_tenant
def test_no_role_of_the_tenant_stack_has_any_permission_on_the_access_log_table(
    templates: Templates, tenant: Tenant
) -> None:
    template = tenant_template(templates, tenant)
    table_id, _ = access_log_table(template, tenant)
    name = f"dho-{tenant.tenant_id}-access-log"
    granting = []
    for logical_id, document in policy_documents(template):
        documents = document if isinstance(document, list) else [document]  # a role's inline Policies
        for doc in documents:
            doc = doc.get("PolicyDocument", doc)
            for statement in doc.get("Statement", []):
                if _access_log_arn_or_name(statement, table_id, name):
                    granting.append((logical_id, statement))
    # process_readings and escalate_alerts write and delete in the tenant table: none of them reaches the log
    assert granting == []
    # ... and no statement on a wildcard resource reaches DynamoDB
    for _, document in policy_documents(template):
        text = json.dumps(document)
        assert "dynamodb:*" not in text and '"*:*"' not in text


@by_tenant
def test_no_fhir_export_function_is_left_for_an_iam_caller_to_invoke(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    names = [f["Properties"]["FunctionName"] for f in resources_of_type(template, "AWS::Lambda::Function").values()]
    assert f"dho-{tenant.tenant_id}-fhir-export" not in names
    assert not [p for p in resources_of_type(template, "AWS::Lambda::Permission").values()
                if str(p["Properties"].get("Principal", "")).startswith("arn:aws:iam::")]
