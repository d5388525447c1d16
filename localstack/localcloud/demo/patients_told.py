"""The demo's patient side: a few simulated COPD oximeters listen to their advice topic, each sends one
SpO2 now, and a prompt to measure again is followed 5 simulated minutes later (a cold finger that warms
up, a low value that stays low, a normal value). Prints what each device was told: the kind, the zone
and the plan's text; never a patient's name, id or a measured value."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

from dho.domain.metrics import Metric
from dho.domain.plans import Programme
from localcloud.demo_cloud import DemoCloud
from localcloud.simulator.cohort import DeviceKind, SimPatient
from localcloud.simulator.listening import ListeningDevice, Measure, RemeasuringDevice
from localcloud.simulator.simulation import Simulation, all_patients

ADVICE_WAIT_SECONDS = 5.0
ROUNDS = 4  # readings, their advice, the re-measurements, theirs (and a spare)


def _values(*spo2: float) -> Measure:
    """SpO2 values in turn (the last one repeats)."""
    remaining = list(spo2)

    def measure(at: datetime) -> dict[Metric, float]:
        return {Metric.SPO2: remaining.pop(0) if len(remaining) > 1 else remaining[0]}

    return measure


# What each listening patient's finger shows: what the demo lets the platform decide about.
SCENARIOS: tuple[tuple[str, Measure], ...] = (
    ("a cold finger, then a warm one", _values(90.0, 96.0)),
    ("low, and low again", _values(90.0, 90.0)),
    ("within the plan", _values(95.0)),
)


def copd_oximeters(simulation: Simulation) -> Iterator[SimPatient]:
    """COPD patients with an oximeter (yellow under 92 %); not hypercapnic ones, whose 90 % is in their plan."""
    for patient in all_patients(simulation):
        if patient.programme is Programme.COPD and patient.device(DeviceKind.OXIMETER):
            yield patient


def show_advice(cloud: DemoCloud, simulation: Simulation, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)
                ) -> list[str]:
    host, port = cloud.device_address
    chosen = list(zip(SCENARIOS, copd_oximeters(simulation), strict=False))
    if not chosen:
        return ["no COPD patient with an oximeter in this cohort: nothing to show"]
    with ExitStack() as stack:
        listening: list[tuple[str, ListeningDevice]] = []
        for (scenario, measure), patient in chosen:
            oximeter = patient.device(DeviceKind.OXIMETER)
            assert oximeter is not None
            simulated = RemeasuringDevice(patient.tenant, patient.patient_id, oximeter, measure)
            device = ListeningDevice(host, port, simulated)
            device.start()
            stack.callback(device.close)
            listening.append((scenario, device))
        measured = now() - timedelta(minutes=10)  # so the re-measurement 5 minutes on is not in the future
        for _, device in listening:
            device.publish(device.device.reading(measured))
        for _ in range(ROUNDS):
            cloud.drain(timeout=120)
            for _, device in listening:
                device.wait_for_advice(device.device.readings_sent, ADVICE_WAIT_SECONDS)
            # A prompt followed meanwhile is a reading not yet processed: another round.
            if all(len(d.device.told) >= d.device.readings_sent for _, d in listening):
                break
        return [line for scenario, device in listening for line in _lines(scenario, device)]


def _lines(scenario: str, device: ListeningDevice) -> list[str]:
    lines = [f"{device.device.device.device_id} ({scenario}): sent {device.device.readings_sent} reading(s)"]
    for message in device.device.told:
        text = str(message.get("text") or "")
        lines.append(f"   told {message['kind']} ({message['zone']}): {text[:90]}{'…' if len(text) > 90 else ''}")
    return lines
