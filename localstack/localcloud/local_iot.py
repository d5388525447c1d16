"""IoT Core for the local cloud, in one call: broker + devices' front door + rules engine.

    with running_local_iot(load_assembly(), sqs=sqs, resolver=resolver, logs=logs, things=things) as iot:
        ...  # devices connect to iot.device_host:iot.device_port (client id = thing, username = tenant)
        print(iot.summary())

The broker's own port is for the local cloud's internal clients only (it requires the run's generated
credentials, which the front door and the rules engine hold); devices use the front door.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from localcloud.cloud_assembly import Resolver, StackTemplate
from localcloud.device_auth import DeviceAuthorizer
from localcloud.iot_rules import RulesEngine, rules_from_stacks
from localcloud.mqtt_broker import STATE_DIR, BrokerHandle, start
from localcloud.mqtt_front_door import MqttFrontDoor


@dataclass
class LocalIot:
    broker: BrokerHandle
    front_door: MqttFrontDoor
    engine: RulesEngine

    @property
    def device_host(self) -> str:
        return self.front_door.host

    @property
    def device_port(self) -> int:
        return self.front_door.port

    def summary(self) -> dict[str, Any]:
        return {"broker": self.broker.kind, "front_door": asdict(self.front_door.counts),
                "rules": {name: asdict(counts) for name, counts in self.engine.counts.items()},
                "rule_errors": len(self.engine.errors)}


@contextmanager
def running_local_iot(stacks: Iterable[StackTemplate], *, sqs: Any, resolver: Resolver, logs: Any = None,
                      things: Mapping[str, str] | None = None, broker_kind: str = "auto",
                      broker_port: int | None = None, device_port: int = 0,
                      state_dir: Path = STATE_DIR) -> Iterator[LocalIot]:
    stacks = list(stacks)
    with ExitStack() as cleanup:
        broker = cleanup.enter_context(start(broker_port, kind=broker_kind, state_dir=state_dir))
        engine = RulesEngine(rules_from_stacks(stacks), sqs, resolver, logs=logs)
        cleanup.callback(engine.stop)
        engine.start(broker.host, broker.port, credentials=broker.credentials)
        authorizer = DeviceAuthorizer.from_stacks(stacks, things=things)
        front_door = MqttFrontDoor(authorizer, broker.host, broker.port,
                                   (broker.credentials.username, broker.credentials.password), port=device_port)
        cleanup.callback(front_door.stop)
        front_door.start()
        yield LocalIot(broker, front_door, engine)
