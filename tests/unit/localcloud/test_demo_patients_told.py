"""The demo's listening oximeters are COPD patients' whose plan puts 90 % in yellow (not hypercapnic ones)."""

from __future__ import annotations

from datetime import UTC, datetime

from dho.domain.plans import Programme
from localcloud.demo.patients_told import SCENARIOS, copd_oximeters
from localcloud.simulator.simulation import Settings, simulate


def test_the_listening_oximeters_belong_to_copd_patients_not_hypercapnic_ones() -> None:
    simulation = simulate(Settings(tenants=("bodo",), patients=20, days=1, seed=7),
                          start=datetime(2026, 11, 1, tzinfo=UTC))

    chosen = list(copd_oximeters(simulation))[:len(SCENARIOS)]

    assert len(chosen) == len(SCENARIOS)
    assert {p.programme for p in chosen} == {Programme.COPD}
    assert any(p.programme is Programme.COPD_HYPERCAPNIC for p in simulation.cohorts[0].patients)
