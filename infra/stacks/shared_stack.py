"""What every tenant in a region uses: the dependency layers and the IoT thing type."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack, Tags
from aws_cdk import aws_iot as iot
from constructs import Construct

from infra.constructs.dependency_layers import DependencyLayers

DEVICE_THING_TYPE = "dho-vital-signs-device"


class SharedStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        Tags.of(self).add("dho:component", "shared")
        self.layers = DependencyLayers(self, "Layers")
        iot.CfnThingType(
            self,
            "DeviceThingType",
            thing_type_name=DEVICE_THING_TYPE,
            thing_type_properties=iot.CfnThingType.ThingTypePropertiesProperty(
                thing_type_description="Home measurement device (SpO2, pulse, BP, weight, ...) of a patient",
                # A device's tenant is a thing attribute, so operators can list one tenant's fleet.
                searchable_attributes=["tenant", "model"],
            ),
        )
