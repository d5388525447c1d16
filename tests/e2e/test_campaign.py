"""The reliability campaign's short form (``make campaign`` runs the full one): every part, on the local
cloud started once (the eventual-consistency part starts its own, with lagging reads), a few hundred
readings instead of 20,000."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud.campaign import (
    broker_restart,
    consistency,
    crash,
    forgery,
    hostile,
    load,
    privacy,
    sns_outage,
    throttling,
)
from localcloud.campaign.output import table, write_json
from localcloud.campaign.row import Row, Verdict
from localcloud.campaign.runner import Campaign, Settings, running_campaign

pytestmark = pytest.mark.e2e

ASSEMBLY_DIR = Path(__file__).resolve().parents[2] / "build" / "localcloud" / "e2e-campaign-cdk.out"
SHORT = Settings(readings=300, fault_readings=60, patients_per_tenant=80)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Campaign]:
    with running_campaign(SHORT, assembly_dir=ASSEMBLY_DIR, state_dir=tmp_path_factory.mktemp("campaign")) as run:
        yield run


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return []


def _passed(row: Row, rows: list[Row]) -> Row:
    rows.append(row)
    assert row.verdict is Verdict.PASS, table([row])
    return row


def test_each_hostile_body_is_refused_or_quarantined_with_its_reason_and_the_next_good_reading_is_stored(
        campaign: Campaign, rows: list[Row]) -> None:
    row = _passed(hostile.run(campaign), rows)
    assert row.figures["distinct_bodies"] >= 40
    assert "good readings published in between: stored" in row.notes[-1]


def test_forged_topics_identities_and_subscriptions_are_refused_and_nothing_reaches_the_victim(
        campaign: Campaign, rows: list[Row]) -> None:
    row = _passed(forgery.run(campaign), rows)
    assert row.inputs >= 5 and row.crossed_tenants == 0


def test_a_load_with_duplicates_and_out_of_order_times_reconciles_exactly(campaign: Campaign, rows: list[Row]) -> None:
    row = _passed(load.run(campaign), rows)
    assert row.inputs == SHORT.readings
    assert row.figures["readings_per_s"] > 0
    assert any(note.endswith("-> OK") for note in row.notes)  # published = stored + duplicates + quarantined


def test_throttled_writes_mid_batch_are_stored_once_later(campaign: Campaign, rows: list[Row]) -> None:
    row = _passed(throttling.run(campaign), rows)
    assert f"{SHORT.fault_readings // 5} of {SHORT.fault_readings // 5} chosen writes" in row.notes[0]


def test_a_function_dying_after_half_a_batch_loses_and_duplicates_nothing(campaign: Campaign, rows: list[Row]) -> None:
    row = _passed(crash.run(campaign), rows)
    assert not row.notes[0].startswith("0 invocation")  # the crash did happen


def test_an_sns_outage_during_an_alert_burst_tells_each_patient_once_after_it_recovers(
        campaign: Campaign, rows: list[Row]) -> None:
    row = _passed(sns_outage.run(campaign), rows)
    assert row.figures["sns_failed"] > 0  # the outage did happen
    assert row.figures["redelivered_by_sweep"] == SHORT.alert_burst  # late, from the outbox


def test_a_broker_restart_with_messages_in_flight_loses_and_duplicates_nothing(
        campaign: Campaign, rows: list[Row]) -> None:
    row = _passed(broker_restart.run(campaign), rows)
    assert row.figures["backlog_at_restart"] > 0  # the broker held acknowledged, undelivered messages


def test_lagging_reads_miss_no_red_and_duplicate_no_reading_or_message(campaign: Campaign, rows: list[Row]) -> None:
    row = _passed(consistency.run(campaign), rows)
    assert row.figures["lag_s"] > 0 and "within the lag" in row.notes[0]


def test_nothing_the_run_wrote_holds_national_ids_phone_numbers_or_values_in_sms(
        campaign: Campaign, rows: list[Row], tmp_path: Path) -> None:
    _passed(privacy.run(campaign), rows)
    written = json.loads(write_json(rows, tmp_path / "campaign.json", {"readings": SHORT.readings}).read_text())
    assert written["passed"] is True
    assert [row["part"] for row in written["rows"]][-1] == "privacy"
