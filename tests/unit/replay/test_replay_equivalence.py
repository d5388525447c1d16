"""The replay's indexed in-memory stores (dho.adapters.memory_*) decide exactly what the unit tests'
reference fakes (tests/support, which scan every entry) decide: the same alert lines, byte for byte, on
a cohort of the project's own generator (artefacts, gaps, symptom reports, redeliveries)."""

from __future__ import annotations

import json
from pathlib import Path

from dho.replay import ReplayOptions, load_cohort
from dho.replay.runner import Replay
from evaluation.generator import CohortSpec, generate
from tests.support.scanning_replay import scanning_tenant


def _alert_lines(directory: Path, *, scanning: bool) -> list[str]:
    replay = Replay(load_cohort(directory), ReplayOptions(), *([scanning_tenant] if scanning else []))
    return [json.dumps(event.as_json()) for event in replay.run().log.events]


def test_the_indexed_stores_write_the_alerts_the_scanning_reference_stores_write(tmp_path: Path) -> None:
    generate(CohortSpec(patients=12, days=21, seed=3), tmp_path)

    indexed = _alert_lines(tmp_path, scanning=False)

    assert len(indexed) > 50  # opened, escalated, acknowledged, closed: enough to tell a difference
    assert {json.loads(line)["event"] for line in indexed} >= {"opened", "closed"}
    assert indexed == _alert_lines(tmp_path, scanning=True)
