"""Starts the local cloud once, registers the campaign's fleet, and runs the parts in order; a part that
raises becomes a failed row, so one broken part never hides the others."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from localcloud.campaign.faults import AwsFaults
from localcloud.campaign.fleet import Fleet
from localcloud.campaign.row import Row
from localcloud.local_cloud import LocalCloud, running_local_cloud
from localcloud.simulator.payloads import DeviceMessage
from localcloud.simulator.publisher import MqttPublisher, paho_connector

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Settings:
    readings: int = 20_000  # the load part; `make test` runs a few hundred
    devices: int = 200
    duplicate_share: float = 0.05
    fault_readings: int = 200  # per fault part
    alert_burst: int = 12  # patients alerted at once while SNS is down
    patients_per_tenant: int = 80
    seed: int = 11


@dataclass(frozen=True)
class Checkpoint:
    """The local IoT's counters at one moment, so a part counts only its own messages."""

    received: int
    refused: int
    rule_errors: int
    filtered: int


@dataclass
class Campaign:
    cloud: LocalCloud
    fleet: Fleet
    faults: AwsFaults
    settings: Settings
    state_dir: Path
    cleanup: ExitStack
    clock: Clock = _utc_now

    @property
    def device_address(self) -> tuple[str, int]:
        return self.cloud.device_address

    def checkpoint(self) -> Checkpoint:
        rules = self.cloud.iot.engine.total
        return Checkpoint(rules.received, self.cloud.iot.front_door.counts.publishes_refused,
                          rules.refused + rules.errored, rules.filtered)

    def since(self, before: Checkpoint) -> Checkpoint:
        now = self.checkpoint()
        return Checkpoint(now.received - before.received, now.refused - before.refused,
                          now.rule_errors - before.rule_errors, now.filtered - before.filtered)

    def wait_for_rules(self, before: Checkpoint, published: int, *, timeout: float = 600.0) -> None:
        """Until every publish since ``before`` that the front door let through has reached a rule,
        running the functions meanwhile (they would run on AWS too)."""
        deadline = time.monotonic() + timeout
        while True:
            since = self.since(before)
            if since.received >= published - since.refused:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the rules engine received {since.received} of {published - since.refused} "
                                   f"publishes within {timeout:.0f} s")
            if not self.cloud.pump.poll_all():
                time.sleep(0.02)

    def settle(self, before: Checkpoint, published: int, *, timeout: float = 1800.0, quiet: float = 1.0) -> None:
        self.wait_for_rules(before, published, timeout=timeout)
        self.cloud.drain(timeout=timeout, settle=quiet)

    def publish(self, messages: Sequence[DeviceMessage]) -> float:
        """As each device over MQTT QoS 1 (the simulator's publisher); returns the seconds it took."""
        began = time.monotonic()
        publisher = MqttPublisher(paho_connector(*self.device_address))
        try:
            for message in messages:
                publisher.publish(message)
        finally:
            publisher.close()
        return time.monotonic() - began


Part = Callable[[Campaign], Row | list[Row]]


@contextmanager
def running_campaign(settings: Settings, *, assembly_dir: Path, state_dir: Path,
                     clock: Clock = _utc_now) -> Iterator[Campaign]:
    fleet = Fleet.build(settings.patients_per_tenant, clock(), seed=settings.seed)
    faults = AwsFaults().install()  # before the functions build their clients
    with ExitStack() as cleanup:
        # in_process: the faults are armed in this process, so its functions must run here.
        cloud = cleanup.enter_context(running_local_cloud(assembly_dir, things=fleet.things, state_dir=state_dir,
                                                          in_process=True))
        fleet.register(cloud.aws("dynamodb"), {t: d.table_name for t, d in cloud.tenants.items()})
        yield Campaign(cloud, fleet, faults, settings, state_dir, cleanup, clock)


def run_parts(campaign: Campaign, parts: Sequence[tuple[str, str, Part]],
              say: Callable[[str], None] = print) -> list[Row]:
    """``parts``: (name, what it expects, function); each row is printed as soon as it is known."""
    rows: list[Row] = []
    for name, expected, part in parts:
        say(f"-- {name} ...")
        began = time.monotonic()
        try:
            result = part(campaign)
        except Exception as error:  # a broken part is a failed row, the others still run
            result = Row.crashed(name, expected, error)
        for row in result if isinstance(result, list) else [result]:
            say(f"   {row.part}: {row.verdict.value} ({row.observed}) in {time.monotonic() - began:.0f} s")
            rows.append(row)
    return rows
