"""``AWS::Backup::BackupVault``, ``BackupPlan`` and ``BackupSelection`` are created (moto 5.2.5 skips them).

Vault and plan go to moto's Backup backend (the plan's CloudFormation shape ``BackupPlanRule`` /
``TargetBackupVault`` is converted to the API's ``Rules`` / ``TargetBackupVaultName``). moto has no backup
selections at all: they are kept next to the plans and served by ``ListBackupSelections`` and
``GetBackupSelection``, added to moto's Backup API here. The vault's access policy is kept on the vault
(moto has no API for it). Backups never run.
"""

from __future__ import annotations

import json
from typing import Any

from moto.backup.models import BackupBackend, Plan, Vault, backup_backends
from moto.backup.responses import BackupResponse
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.common_models import CloudFormationModel
from moto.core.utils import unix_time
from moto.moto_api._internal import mock_random

from localcloud.moto_harness._util import json_text, tags_dict


def selections(backend: BackupBackend) -> dict[str, dict[str, Any]]:
    """Backup selections by id (the store this patch adds to moto's Backup backend)."""
    store: dict[str, dict[str, Any]] | None = getattr(backend, "localcloud_selections", None)
    if store is None:
        store = {}
        backend.localcloud_selections = store  # type: ignore[attr-defined]
    return store


def plan_for_api(plan: dict[str, Any]) -> dict[str, Any]:
    rules = []
    for rule in plan.get("BackupPlanRule", []):
        converted = {key: value for key, value in rule.items() if key != "TargetBackupVault"}
        converted["TargetBackupVaultName"] = rule["TargetBackupVault"]
        rules.append(converted)
    converted_plan = {"BackupPlanName": plan["BackupPlanName"], "Rules": rules}
    if plan.get("AdvancedBackupSettings"):
        converted_plan["AdvancedBackupSettings"] = plan["AdvancedBackupSettings"]
    return converted_plan


class CfnBackupVault(CloudFormationModel):
    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Backup::BackupVault"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "BackupVaultName"

    @property
    def physical_resource_id(self) -> str:
        return str(self.vault.backup_vault_name)

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("BackupVaultName", "BackupVaultArn")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "BackupVaultName":
            return str(self.vault.backup_vault_name)
        if attribute_name == "BackupVaultArn":
            return str(self.vault.backup_vault_arn)
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
        **kwargs: Any,
    ) -> CfnBackupVault:
        properties = cloudformation_json["Properties"]
        vault = backup_backends[account_id][region_name].create_backup_vault(
            backup_vault_name=resource_name,
            backup_vault_tags=tags_dict(properties.get("BackupVaultTags", {})),
            encryption_key_arn=properties.get("EncryptionKeyArn"),
            creator_request_id=str(mock_random.uuid4()),
        )
        if "AccessPolicy" in properties:
            vault.access_policy = json_text(properties["AccessPolicy"])  # type: ignore[attr-defined]
        return cls(vault)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: CfnBackupVault, new_resource_name: str, cloudformation_json: dict[str, Any],
        account_id: str, region_name: str,
    ) -> CfnBackupVault:
        properties = cloudformation_json["Properties"]
        if "AccessPolicy" in properties:
            original_resource.vault.access_policy = json_text(properties["AccessPolicy"])  # type: ignore[attr-defined]
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        backup_backends[account_id][region_name].delete_backup_vault(resource_name)

    def delete(self, account_id: str, region_name: str) -> None:
        backup_backends[account_id][region_name].delete_backup_vault(self.vault.backup_vault_name)


class CfnBackupPlan(CloudFormationModel):
    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Backup::BackupPlan"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @property
    def physical_resource_id(self) -> str:
        return str(self.plan.backup_plan_id)

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("BackupPlanId", "BackupPlanArn", "VersionId")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        values = {
            "BackupPlanId": self.plan.backup_plan_id,
            "BackupPlanArn": self.plan.backup_plan_arn,
            "VersionId": self.plan.version_id,
        }
        if attribute_name in values:
            return str(values[attribute_name])
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
        **kwargs: Any,
    ) -> CfnBackupPlan:
        properties = cloudformation_json["Properties"]
        plan = backup_backends[account_id][region_name].create_backup_plan(
            backup_plan=plan_for_api(properties["BackupPlan"]),
            backup_plan_tags=tags_dict(properties.get("BackupPlanTags", {})),
            creator_request_id=str(mock_random.uuid4()),
        )
        return cls(plan)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: CfnBackupPlan, new_resource_name: str, cloudformation_json: dict[str, Any],
        account_id: str, region_name: str,
    ) -> CfnBackupPlan:
        plan = original_resource.plan
        plan.backup_plan = plan_for_api(cloudformation_json["Properties"]["BackupPlan"])
        plan.version_id = mock_random.get_random_string(length=48)
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        backup_backends[account_id][region_name].delete_backup_plan(resource_name)

    def delete(self, account_id: str, region_name: str) -> None:
        backup_backends[account_id][region_name].delete_backup_plan(self.plan.backup_plan_id)


class CfnBackupSelection(CloudFormationModel):
    def __init__(self, selection_id: str, plan_id: str) -> None:
        self.selection_id = selection_id
        self.plan_id = plan_id

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Backup::BackupSelection"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @property
    def physical_resource_id(self) -> str:
        return self.selection_id

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("SelectionId", "BackupPlanId", "Id")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name in ("SelectionId", "Id"):
            return self.selection_id
        if attribute_name == "BackupPlanId":
            return self.plan_id
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
        **kwargs: Any,
    ) -> CfnBackupSelection:
        properties = cloudformation_json["Properties"]
        backend = backup_backends[account_id][region_name]
        plan_id = properties["BackupPlanId"]
        backend.get_backup_plan(plan_id, None)  # the plan must exist
        selection_id = str(mock_random.uuid4())
        selections(backend)[selection_id] = {
            "SelectionId": selection_id,
            "BackupPlanId": plan_id,
            "BackupSelection": properties["BackupSelection"],
            "CreationDate": unix_time(),
            "CreatorRequestId": str(mock_random.uuid4()),
        }
        return cls(selection_id, plan_id)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: CfnBackupSelection, new_resource_name: str, cloudformation_json: dict[str, Any],
        account_id: str, region_name: str,
    ) -> CfnBackupSelection:
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        selections(backup_backends[account_id][region_name]).pop(resource_name, None)

    def delete(self, account_id: str, region_name: str) -> None:
        selections(backup_backends[account_id][region_name]).pop(self.selection_id, None)


def _list_backup_selections(self: BackupResponse) -> str:
    plan_id = self.path.split("/plans/")[-1].split("/")[0]
    found = [
        {
            "SelectionId": entry["SelectionId"],
            "SelectionName": entry["BackupSelection"].get("SelectionName"),
            "BackupPlanId": plan_id,
            "CreationDate": entry["CreationDate"],
            "CreatorRequestId": entry["CreatorRequestId"],
            "IamRoleArn": entry["BackupSelection"].get("IamRoleArn"),
        }
        for entry in selections(self.backup_backend).values()
        if entry["BackupPlanId"] == plan_id
    ]
    return json.dumps({"BackupSelectionsList": found})


def _get_backup_selection(self: BackupResponse) -> str:
    parts = self.path.split("/plans/")[-1].strip("/").split("/")
    entry = selections(self.backup_backend).get(parts[-1])
    if entry is None or entry["BackupPlanId"] != parts[0]:
        from moto.backup.exceptions import ResourceNotFoundException

        raise ResourceNotFoundException(msg=f"Backup selection {parts[-1]} not found")
    return json.dumps(entry)


def apply() -> None:
    response: Any = BackupResponse
    response.list_backup_selections = _list_backup_selections
    response.get_backup_selection = _get_backup_selection
