"""``AWS::CloudWatch::Alarm`` is created (moto 5.2.5 silently skips it) with its metric, threshold and actions."""

from __future__ import annotations

from typing import Any

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.cloudwatch.models import Alarm, cloudwatch_backends
from moto.core.common_models import CloudFormationModel


def _put_alarm(name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Alarm:
    return cloudwatch_backends[account_id][region_name].put_metric_alarm(
        name=name,
        namespace=properties.get("Namespace", ""),
        metric_name=properties.get("MetricName", ""),
        comparison_operator=properties["ComparisonOperator"],
        evaluation_periods=int(properties["EvaluationPeriods"]),
        period=int(properties.get("Period", 60)),
        threshold=float(properties.get("Threshold", 0)),
        statistic=properties.get("Statistic", ""),
        description=properties.get("AlarmDescription", ""),
        dimensions=properties.get("Dimensions", []),
        alarm_actions=properties.get("AlarmActions", []),
        datapoints_to_alarm=properties.get("DatapointsToAlarm"),
        extended_statistic=properties.get("ExtendedStatistic"),
        ok_actions=properties.get("OKActions", []),
        insufficient_data_actions=properties.get("InsufficientDataActions", []),
        unit=properties.get("Unit"),
        actions_enabled=properties.get("ActionsEnabled", True),
        treat_missing_data=properties.get("TreatMissingData"),
        evaluate_low_sample_count_percentile=properties.get("EvaluateLowSampleCountPercentile"),
        threshold_metric_id=properties.get("ThresholdMetricId"),
        tags=properties.get("Tags", []),
    )


class CfnAlarm(CloudFormationModel):
    def __init__(self, alarm: Alarm) -> None:
        self.alarm = alarm

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @property
    def physical_resource_id(self) -> str:
        return str(self.alarm.name)

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn",)

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return str(self.alarm.alarm_arn)
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
        **kwargs: Any,
    ) -> CfnAlarm:
        return cls(_put_alarm(resource_name, cloudformation_json["Properties"], account_id, region_name))

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: CfnAlarm, new_resource_name: str, cloudformation_json: dict[str, Any],
        account_id: str, region_name: str,
    ) -> CfnAlarm:
        if new_resource_name != original_resource.alarm.name:
            original_resource.delete(account_id, region_name)
        return cls(_put_alarm(new_resource_name, cloudformation_json["Properties"], account_id, region_name))

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])

    def delete(self, account_id: str, region_name: str) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([self.alarm.name])


def apply() -> None:
    """The model registers itself with moto by being defined (``CloudFormationModel.__subclasses__``)."""
