"""The campaign's verdicts and table: a row passes only when nothing was lost, duplicated or crossed
tenants, and a part that cannot run says so instead of passing."""

from __future__ import annotations

import json
from pathlib import Path

from localcloud.campaign.output import all_passed, table, write_json
from localcloud.campaign.row import Row, Verdict
from localcloud.demo.report import Reconciliation


def _row(*, lost: int = 0, duplicated: int = 0, crossed_tenants: int = 0, other_failures: int = 0) -> Row:
    return Row.judged("load", 100, "published = stored + duplicates", "stored 95 + duplicates 5", lost=lost,
                      duplicated=duplicated, crossed_tenants=crossed_tenants, other_failures=other_failures)


def test_a_row_passes_only_when_nothing_is_lost_duplicated_or_crossing_tenants() -> None:
    assert _row().verdict is Verdict.PASS
    assert _row(lost=1).verdict is Verdict.FAIL
    assert _row(duplicated=1).verdict is Verdict.FAIL
    assert _row(crossed_tenants=1).verdict is Verdict.FAIL
    assert _row(other_failures=1).verdict is Verdict.FAIL


def test_a_part_without_its_local_mode_is_not_counted_as_passed(tmp_path: Path) -> None:
    rows = [_row(), Row.not_run("fault: eventual consistency", "each reading once", "no such mode")]
    document = json.loads(write_json(rows, tmp_path / "campaign.json", {"readings": 100}).read_text())
    assert not all_passed(rows) and document["passed"] is False
    assert [r["verdict"] for r in document["rows"]] == ["PASS", "NOT RUN"]
    assert "1 passed, 0 failed, 1 not run" in table(rows)


def test_a_part_that_raises_becomes_a_failed_row_with_its_error() -> None:
    row = Row.crashed("hostile input", "each refused", TimeoutError("no PUBACK"))
    assert row.verdict is Verdict.FAIL and row.notes == ["TimeoutError: no PUBACK"]


def test_the_reconciliation_balances_only_when_every_published_message_is_accounted_for() -> None:
    balanced = Reconciliation(published=100, stored=90, quarantined=3, refused=1, rule_errors=1, filtered=0,
                              duplicates=5)
    one_missing = Reconciliation(published=101, stored=90, quarantined=3, refused=1, rule_errors=1, filtered=0,
                                 duplicates=5)
    assert balanced.balanced and balanced.line().endswith("= 100  -> OK")
    assert not one_missing.balanced and one_missing.line().endswith("-> MISMATCH")
