"""One generated cohort shared by the generator tests (generation is deterministic, so once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.generator import CohortSpec, generate

SPEC = CohortSpec(patients=400, days=60, seed=7)


@pytest.fixture(scope="session")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cohort")
    generate(SPEC, directory)
    return directory
