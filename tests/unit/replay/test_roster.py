"""The replay's roster (dho.replay.roster): which patients the hourly missed-measurement round leaves out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dho.adapters.memory_plans import MemoryPlans
from dho.adapters.memory_registry import MemoryRegistry
from dho.adapters.memory_timeline import MemoryTimeline
from dho.domain.metrics import Metric
from dho.domain.plans import Programme, plan_from_template
from dho.domain.readings import DeviceReading, Measurement
from dho.domain.registry import Patient, roster_slot
from dho.replay.cohort import synthetic_national_id
from dho.replay.roster import ChangedPatientsRoster

PATIENT = "P-ROSTER01"
BATCH = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _roster_with_readings(*minutes: int, registry: MemoryRegistry | None = None) -> ChangedPatientsRoster:
    """A COPD patient (SpO2 and pulse expected daily) measured the day before, then at ``minutes`` past
    the batch's start."""
    registry = MemoryRegistry() if registry is None else registry
    plans, timeline = MemoryPlans(), MemoryTimeline()
    registry.register_patient(Patient(PATIENT, synthetic_national_id(PATIENT), Programme.COPD.value))
    plans.save(plan_from_template(PATIENT, Programme.COPD, BATCH - timedelta(days=2)))
    for n, at in enumerate([BATCH - timedelta(days=1)] + [BATCH + timedelta(minutes=m) for m in minutes]):
        timeline.store_reading(DeviceReading("replay", "oxi-1", f"r-{n}", at, at + timedelta(seconds=20), (
            Measurement(Metric.SPO2, 95.0, "%"), Measurement(Metric.HEART_RATE, 70.0, "/min"))), PATIENT)
    return ChangedPatientsRoster(registry, plans, timeline)


def _checked_at(roster: ChangedPatientsRoster, tick: datetime) -> bool:
    roster.now = tick
    return PATIENT in roster.patients_in_slot(roster_slot(PATIENT), limit=100)


def test_a_tick_after_the_evaluation_of_the_batch_does_not_check_the_verdict_it_decided_again() -> None:
    # GIVEN a reading measured 5 min into the batch, evaluated at its arrival 20 s later
    roster = _roster_with_readings(5)
    roster.evaluated(PATIENT, BATCH, BATCH + timedelta(minutes=5, seconds=20))

    # THEN the patient's slot ticks after the evaluation leave them out until a deadline passes
    assert not _checked_at(roster, BATCH + timedelta(minutes=10))
    assert not _checked_at(roster, BATCH + timedelta(hours=1, minutes=10))
    assert _checked_at(roster, BATCH + timedelta(hours=36, minutes=10))  # 24 h + 12 h grace after the reading


def test_a_tick_between_the_batch_s_newest_reading_and_its_evaluation_still_checks() -> None:
    # GIVEN a reading measured 5 min into the batch and evaluated at 7 min (its arrival, 2 min late)
    roster = _roster_with_readings(5)
    roster.evaluated(PATIENT, BATCH, BATCH + timedelta(minutes=7))

    # THEN a tick before the reading is the batch start's verdict, left out; one at 6 min sees the reading
    # but is not the evaluation's verdict: checked
    assert not _checked_at(roster, BATCH + timedelta(minutes=4))
    assert _checked_at(roster, BATCH + timedelta(minutes=6))


def test_a_patient_registered_after_a_round_of_their_slot_is_checked_at_the_next_one() -> None:
    # GIVEN a round of the slot that checked the patient, and another patient of the same slot registered after it
    registry = MemoryRegistry()
    roster = _roster_with_readings(registry=registry)
    assert _checked_at(roster, BATCH)
    slot = roster_slot(PATIENT)
    newcomer = next(f"P-NEW{n:05d}" for n in range(10_000) if roster_slot(f"P-NEW{n:05d}") == slot)
    registry.register_patient(Patient(newcomer, synthetic_national_id(newcomer), Programme.COPD.value))

    # THEN the next round checks the newcomer (never checked) and leaves the patient out (nothing changed)
    roster.now = BATCH + timedelta(hours=1)
    assert roster.patients_in_slot(slot, limit=100) == [newcomer]
