"""Shared simulations for the simulator tests (generated once per session: they are deterministic)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from dho.domain.payload import parse_device_message
from dho.domain.readings import DeviceReading
from localcloud.corpus import rule_output
from localcloud.simulator.deteriorations import Onsets
from localcloud.simulator.payloads import DeviceMessage
from localcloud.simulator.simulation import Settings, Simulation, simulate

START = datetime.fromisoformat("2026-11-06T00:00:00+01:00")


Parse = Callable[[DeviceMessage, Simulation], DeviceReading]


def received_at_ms(simulation: Simulation) -> int:
    """The IoT rule's timestamp() for a publish right after the window: every reading is within 14 days."""
    return int((simulation.end + timedelta(minutes=1)).timestamp() * 1000)


def parse(message: DeviceMessage, simulation: Simulation) -> DeviceReading:
    """The message as the IoT rule queues it (payload + tenant, device_id, received_at), parsed."""
    body = rule_output(message.payload, message.tenant, message.device_id, received_at_ms(simulation))
    return parse_device_message(body, tenant_id=message.tenant)


@pytest.fixture(scope="session")
def two_tenants() -> Simulation:
    return simulate(Settings(tenants=("bodo", "sunnfjord"), patients=50, seed=11), start=START)


@pytest.fixture(scope="session")
def spread_cohort() -> Simulation:
    """A larger cohort with deteriorations anywhere in the window, for scoring at simulated times (160
    patients: about 40 with heart failure and 50 with COPD, now that a tenth of the mix report questionnaires
    only)."""
    return simulate(Settings(tenants=("bodo",), patients=160, seed=5, deteriorating=0.3, onsets=Onsets.SPREAD),
                    start=START)


@pytest.fixture
def start() -> datetime:
    return START


@pytest.fixture
def parse_message() -> Parse:
    return parse
