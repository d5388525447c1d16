"""The reliability campaign's short form (``make campaign`` runs the full one): the local cloud started
once, a few hundred readings instead of 20,000, and only the parts that hold on this branch; the others
are listed in RELIABILITY.md with what they wait for."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud.campaign import crash, forgery, load, privacy, throttling
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


def test_nothing_the_run_wrote_holds_national_ids_phone_numbers_or_values_in_sms(
        campaign: Campaign, rows: list[Row], tmp_path: Path) -> None:
    _passed(privacy.run(campaign), rows)
    written = json.loads(write_json(rows, tmp_path / "campaign.json", {"readings": SHORT.readings}).read_text())
    assert written["passed"] is True
    assert [row["part"] for row in written["rows"]][-1] == "privacy"
