"""The replay's nurse confirms each patient's baseline after the run-in, and only then judges against it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from dho.domain.metrics import Metric
from dho.replay import ReplayOptions
from dho.replay.baseline_nurse import BaselineReviewModel
from dho.replay.cohort import load_cohort
from dho.replay.nurse import REPLAY_NURSE_HPR
from dho.replay.runner import Replay
from tests.unit.replay.cohorts import START, CohortBuilder, vitals


def _chronic_low_spo2_patient(directory: Path) -> Path:
    """A COPD patient who lives at SpO2 89-90 % (below the template's yellow 92 %), measuring daily for 20 days."""
    cohort = CohortBuilder()
    device = cohort.patient("P-LOW00001")
    for day in range(20):
        cohort.reading(device, f"r-{day}", START + timedelta(days=day), measurements=vitals(
            spo2=89 + day % 2, heart_rate=80))
    return cohort.write(directory)


def test_the_nurse_confirms_the_run_in_baseline_into_the_plan_and_the_chronic_value_stops_alerting(
    tmp_path: Path,
) -> None:
    # GIVEN a stable patient whose usual SpO2 is outside the template's bands
    directory = _chronic_low_spo2_patient(tmp_path / "cohort")

    # WHEN the cohort is replayed with the default baseline reviews
    replay = Replay(load_cohort(directory))
    result = replay.run()

    # THEN the plan holds the confirmed baseline (15 run-in days: 8 x 89, 7 x 90), confirmed by the nurse after 14 days
    plan = replay.tenants["bodo"].plans.current("P-LOW00001")
    assert plan is not None and plan.baseline is not None
    assert plan.baseline.metrics[Metric.SPO2].median == 89
    assert plan.baseline.confirmed_by == REPLAY_NURSE_HPR
    assert plan.baseline.confirmed_at - START >= timedelta(days=14)
    assert result.summary["baselines_confirmed"] == 1
    # AND no SpO2 alert opened after the confirmation
    confirmed = plan.baseline.confirmed_at.isoformat()
    assert not [line for line in result.log.events if line.alert.rule.value == "spo2_band"
                and line.at.isoformat() > confirmed]


def test_without_baseline_reviews_the_plan_stays_the_template(tmp_path: Path) -> None:
    directory = _chronic_low_spo2_patient(tmp_path / "cohort")
    replay = Replay(load_cohort(directory), ReplayOptions(baselines=BaselineReviewModel.off()))
    result = replay.run()
    plan = replay.tenants["bodo"].plans.current("P-LOW00001")
    assert plan is not None and plan.baseline is None and plan.version == 1
    assert result.summary["baselines_confirmed"] == 0


def test_after_an_episode_the_nurse_accepts_a_new_normal_that_has_stopped_moving_though_it_still_alerts(
    tmp_path: Path,
) -> None:
    # GIVEN a patient at SpO2 95-96 % through the run-in, an exacerbation (90 %), then a recovery that
    # settles at 92-93 %: still out of the old baseline's band at every reading
    cohort = CohortBuilder()
    device = cohort.patient("P-NEW00001")
    for day in range(46):
        spo2, pulse = (95 + day % 2, 80) if day < 16 else (90, 92) if day < 20 else (92 + day % 2, 86)
        cohort.reading(device, f"r-{day}", START + timedelta(days=day),
                       measurements=vitals(spo2=spo2, heart_rate=pulse))

    # WHEN it is replayed with the default baseline reviews
    replay = Replay(load_cohort(cohort.write(tmp_path / "cohort")))
    result = replay.run()

    # THEN the nurse re-confirmed the baseline where the patient settled, not waiting for 14 days without
    # alerts (which never come while the old baseline judges)
    plan = replay.tenants["bodo"].plans.current("P-NEW00001")
    assert plan is not None and plan.baseline is not None
    assert 92 <= plan.baseline.metrics[Metric.SPO2].median <= 93
    assert result.summary["baselines_confirmed"] == 2
    assert plan.change_note == "baseline re-confirmed: settled after the episode"


def test_with_settled_for_none_only_quiet_days_re_confirm_a_baseline(tmp_path: Path) -> None:
    cohort = CohortBuilder()
    device = cohort.patient("P-NEW00002")
    for day in range(46):
        spo2 = (95 + day % 2) if day < 16 else (90, 92) [day % 2]  # never settles
        cohort.reading(device, f"r-{day}", START + timedelta(days=day), measurements=vitals(spo2=spo2, heart_rate=80))
    replay = Replay(load_cohort(cohort.write(tmp_path / "cohort")),
                    ReplayOptions(baselines=BaselineReviewModel(settled_for=None)))
    replay.run()
    notes = {plan.change_note for plan in replay.tenants["bodo"].plans.versions_of("P-NEW00002", limit=100)}
    assert "baseline re-confirmed: settled after the episode" not in notes


def test_the_run_in_goes_on_until_the_dry_weight_is_learned(tmp_path: Path) -> None:
    # GIVEN a heart-failure patient whose pulse comes daily but who weighs only every third day at first
    cohort = CohortBuilder()
    device = cohort.patient("P-HF000001", programme="heart_failure")
    for day in range(30):
        values = {"heart_rate": 70.0 + day % 3}
        if day % 3 == 0 or day >= 14:
            values["body_weight"] = 80.0 + 0.1 * (day % 2)
        cohort.reading(device, f"r-{day}", START + timedelta(days=day), measurements=vitals(**values))

    # WHEN it is replayed with the default baseline reviews
    replay = Replay(load_cohort(cohort.write(tmp_path / "cohort")))
    replay.run()

    # THEN the nurse did not confirm a baseline without a dry weight after 14 days, but waited until the
    # weighings were enough (5 in the first 14 days, the 7th on day 15)
    plans = replay.tenants["bodo"].plans.versions_of("P-HF000001", limit=100)
    confirmed = [plan.baseline for plan in plans if plan.baseline is not None]
    assert confirmed and all(Metric.BODY_WEIGHT in baseline.metrics for baseline in confirmed)
    assert min(b.confirmed_at for b in confirmed) - START >= timedelta(days=15)


def test_a_review_with_too_few_weighings_keeps_the_dry_weight(tmp_path: Path) -> None:
    # GIVEN a heart-failure patient weighing daily through the run-in, then a gap of 5 days (a stay in
    # hospital), then weighing only every third day while the pulse comes daily
    cohort = CohortBuilder()
    device = cohort.patient("P-HF000002", programme="heart_failure")
    for day in [*range(16), *range(21, 50)]:
        values = {"heart_rate": 70.0 + day % 3}
        if day < 16 or day % 3 == 0:
            values["body_weight"] = 80.0 + 0.1 * (day % 2)
        cohort.reading(device, f"r-{day}", START + timedelta(days=day), measurements=vitals(**values))

    # WHEN it is replayed with the default baseline reviews
    replay = Replay(load_cohort(cohort.write(tmp_path / "cohort")))
    result = replay.run()

    # THEN the baseline was reviewed after the gap, and the review kept the dry weight it could not re-learn
    assert result.summary["baselines_confirmed"] >= 2
    plan = replay.tenants["bodo"].plans.current("P-HF000002")
    assert plan is not None and plan.baseline is not None
    assert plan.baseline.metrics[Metric.BODY_WEIGHT].median == 80.0
    assert plan.baseline.learned_from - START >= timedelta(days=21)
