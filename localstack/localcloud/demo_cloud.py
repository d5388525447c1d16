"""What ``make demo`` needs of a local cloud, whichever emulator runs it (moto + the local stand-ins, or
LocalStack): :class:`DemoCloud`, and :class:`Delivery`, the publish accounting its reconciliation uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from localcloud.centre_api import LocalCentreApi
from localcloud.deployed import TenantDeployment
from localcloud.sns_outbox import OutboxEntry


@dataclass(frozen=True)
class Delivery:
    """Where the publishes went besides the readings queues (None: this emulator does not count it)."""

    refused: int  # at the IoT front door: a device publishing outside its policy
    not_evaluated: int  # to a rule's error action (e.g. a payload that is not JSON)
    filtered: int  # dropped by a rule's WHERE clause
    received: int | None = None  # by the rules engine
    delivered: int | None = None  # by the rules engine to the readings queues


class DemoCloud(Protocol):
    endpoint: str
    assembly_dir: Path
    tenants: dict[str, TenantDeployment]
    centre_apis: dict[str, LocalCentreApi]  # stack name -> the response centre's API (empty: not served)

    @property
    def broker_kind(self) -> str: ...

    @property
    def device_address(self) -> tuple[str, int]: ...

    @property
    def outbox_location(self) -> str: ...

    def aws(self, service: str) -> Any: ...

    def after_publishing(self, published: int, *, timeout: float = 180.0) -> None:
        """Until what the devices published has reached the rules (QoS 1: nothing may be lost on the way)."""

    def drain(self, *, timeout: float = 300.0) -> None: ...

    def invoke(self, tenant_id: str, folder: str, event: dict[str, Any]) -> Any: ...

    def nurse_messages(self) -> list[OutboxEntry]: ...

    def delivery(self) -> Delivery: ...
