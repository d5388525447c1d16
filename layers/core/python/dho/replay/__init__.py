"""Replay a cohort (patients, devices, device messages) through the production code with no cloud:
``python -m dho.replay COHORT_DIR`` or :func:`replay_cohort`. Format and behaviour: docs/replay.md."""

from __future__ import annotations

from dho.replay.cohort import Cohort, CohortError, load_cohort
from dho.replay.nurse import NurseModel
from dho.replay.runner import Replay, ReplayOptions, ReplayResult, replay_cohort, write_outputs

__all__ = ["Cohort", "CohortError", "NurseModel", "Replay", "ReplayOptions", "ReplayResult", "load_cohort",
           "replay_cohort", "write_outputs"]
