"""End-to-end tests start what they need: a moto server, an MQTT broker (each kind installed here:
mosquitto if present, always amqtt), the devices' front door and the rules engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.cloud_assembly import StackTemplate, stacks_from_templates
from localcloud.moto_server import running_moto_server
from localcloud.mqtt_broker import BrokerHandle, installed_kinds, start


@pytest.fixture(scope="session")
def e2e_moto_endpoint() -> Iterator[str]:
    with running_moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def stacks(templates: dict[str, dict[str, Any]]) -> list[StackTemplate]:
    return stacks_from_templates(templates)


@pytest.fixture(params=installed_kinds())
def broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BrokerHandle]:
    with start(kind=request.param, state_dir=tmp_path / "mqtt") as handle:
        yield handle
