"""The simulation is deterministic, fast, and its cohort registers as events/registry.json does."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime, timedelta

from dho.domain.identifiers import validate_national_id
from dho.domain.plans import Programme, SelfManagementPlan
from localcloud.registry_seed import seed_registry
from localcloud.simulator.cohort import PSEUDONYM_ALPHABET, programmes_for
from localcloud.simulator.deteriorations import Kind, Onsets
from localcloud.simulator.payloads import MessageKind
from localcloud.simulator.simulation import Settings, Simulation, simulate
from tests.support.fakes import InMemoryRegistry


def _fingerprint(simulation: Simulation) -> list[tuple[str, str, str]]:
    return [(m.topic, m.payload, m.send_at.isoformat()) for m in simulation.messages]


def test_the_same_seed_and_start_give_the_same_messages_registry_and_truth(start: datetime) -> None:
    settings = Settings(tenants=("bodo", "sunnfjord"), patients=12, days=5, seed=42)
    first, second = simulate(settings, start=start), simulate(settings, start=start)
    assert _fingerprint(first) == _fingerprint(second)
    assert first.registries() == second.registries()
    assert first.ground_truth() == second.ground_truth()


def test_another_seed_gives_another_simulation(start: datetime) -> None:
    settings = Settings(patients=12, days=5, seed=42)
    other = Settings(patients=12, days=5, seed=43)
    assert _fingerprint(simulate(settings, start=start)) != _fingerprint(simulate(other, start=start))


def test_a_patient_stays_the_same_when_the_cohort_grows(start: datetime) -> None:
    small = simulate(Settings(patients=10, days=3), start=start).registries()["bodo"]
    large = simulate(Settings(patients=40, days=3), start=start).registries()["bodo"]
    assert large["patients"][:10] == small["patients"]


def test_messages_are_in_publishing_order_inside_the_window(two_tenants: Simulation) -> None:
    sends = [m.send_at for m in two_tenants.messages]
    assert sends == sorted(sends)
    assert all(two_tenants.start <= m.measured_at <= m.send_at <= two_tenants.end for m in two_tenants.messages)


def test_every_programme_is_in_a_cohort_of_seven_and_the_mix_is_kept() -> None:
    assert set(programmes_for(7)) == set(Programme)
    counts = Counter(programmes_for(100))
    assert (counts[Programme.COPD], counts[Programme.HEART_FAILURE], counts[Programme.CANCER],
            counts[Programme.MENTAL_HEALTH], sum(counts.values())) == (30, 25, 5, 5, 100)


def test_registry_has_valid_synthetic_ids_and_registers_every_device(two_tenants: Simulation) -> None:
    for tenant, spec in two_tenants.registries().items():
        registry = InMemoryRegistry()
        seed_registry(registry, spec)  # also validates every national id (Patient.__post_init__)
        for patient in spec["patients"]:
            number = validate_national_id(patient["national_id"])
            assert int(number[2:4]) > 80  # synthetic test numbers: month + 80
            assert patient["patient_id"].startswith("P-")
            assert set(patient["patient_id"][2:]) <= set(PSEUDONYM_ALPHABET) and len(patient["patient_id"]) == 10
        for plan in spec["plans"]:
            assert SelfManagementPlan.model_validate(plan).version == 1
        for message in (m for m in two_tenants.messages if m.tenant == tenant):
            assert registry.patient_for_device(message.device_id, message.measured_at) == message.patient_id


def test_thing_names_are_unique_across_tenants(two_tenants: Simulation) -> None:
    names = [d["device_id"] for spec in two_tenants.registries().values() for d in spec["devices"]]
    assert len(names) == len(set(names))
    assert {name.split("-")[0] for name in names} == {"oxi", "bpm", "scale", "thermo", "gluco", "app"}


def test_ground_truth_lists_every_patient_once_and_the_faults(two_tenants: Simulation) -> None:
    truth = two_tenants.ground_truth()
    listed = [d["patient_id"] for d in truth["deteriorations"]] + [s["patient_id"] for s in truth["stable_patients"]]
    assert sorted(listed) == sorted(p.patient_id for c in two_tenants.cohorts for p in c.patients)
    assert {d["kind"] for d in truth["deteriorations"]} == set(Kind)
    assert all(d["active_at_window_end"] for d in truth["deteriorations"])  # onsets "recent" by default
    bad = sum(m.kind is MessageKind.BAD for m in two_tenants.messages)
    assert len(truth["bad_payloads"]) == bad == sum(t["bad"] for t in truth["tenants"].values())


def test_recent_episodes_peak_in_the_last_day(start: datetime) -> None:
    simulation = simulate(Settings(patients=40, deteriorating=0.5, onsets=Onsets.RECENT), start=start)
    assert simulation.episodes
    answered_daily = {Kind.CANCER_PAIN: 60, Kind.LOW_MOOD: 40}  # hours: the last daily answers on the plateau
    assert set(answered_daily) <= {e.kind for e in simulation.episodes.values()}
    for episode in simulation.episodes.values():
        if episode.kind in answered_daily:
            assert simulation.end - timedelta(hours=answered_daily[episode.kind]) <= episode.peak
            assert episode.peak <= simulation.end - timedelta(hours=26)
            assert episode.peak + episode.plateau >= simulation.end
        else:
            assert simulation.end - timedelta(hours=24) <= episode.peak <= simulation.end


def test_daily_rhythm_missed_measurements_and_duplicates_look_like_home_monitoring(two_tenants: Simulation) -> None:
    stats = two_tenants.stats()
    per_patient_day = sum(s.good for s in stats.values()) / (100 * 14)
    assert 3.0 < per_patient_day < 5.0
    for s in stats.values():
        assert 0.005 < s.duplicates / s.messages < 0.03
        assert 0 < sum(s.bad.values()) < 0.01 * s.messages


def test_100_patients_for_14_days_generate_in_a_few_seconds(start: datetime) -> None:
    began = time.perf_counter()
    simulation = simulate(Settings(tenants=("bodo", "sunnfjord"), patients=50, seed=3), start=start)
    assert time.perf_counter() - began < 5.0
    assert 4000 < len(simulation.messages) < 8000
