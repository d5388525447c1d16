"""The readings pipeline of one tenant: ingest each message, then score the patients the batch
touched and act on the alerts. ``process_readings`` is a thin shell around it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from dho.alerting.service import AlertOutcome, AlertService
from dho.evaluation.evaluator import FRESHNESS
from dho.evaluation.service import EvaluationService
from dho.ingest.service import IngestResult, IngestService, IngestStatus


@dataclass(frozen=True, slots=True)
class BatchScore:
    """What scoring a batch did: each patient's alert outcome, and how many series windows were cut
    to their bound (``dho.evaluation.windows``), for the operators."""

    alerts: list[AlertOutcome]
    truncated_series: int = 0


class ReadingsPipeline:
    def __init__(self, ingest: IngestService, evaluation: EvaluationService, alerts: AlertService) -> None:
        self._ingest = ingest
        self._evaluation = evaluation
        self._alerts = alerts

    def ingest(self, body: str, *, arrived_at: datetime) -> IngestResult:
        return self._ingest.ingest(body, arrived_at=arrived_at)

    def score(self, results: Sequence[IngestResult]) -> BatchScore:
        """Evaluate every patient with a fresh stored reading in the batch (duplicates too: a redelivered
        batch whose first scoring failed must get its alerts) and apply each evaluation to that patient's
        alerts. A batch that brings a patient only old readings (a gateway flushing last week's buffer)
        changes no rule's verdict, since the rules look at fresh readings only; evaluating it anyway
        would count a quiet evaluation without new data."""
        evaluated_at: dict[str, datetime] = {}
        for result in results:
            patient, received, measured = result.patient_id, result.received_at, result.measured_at
            if result.status is IngestStatus.QUARANTINED or patient is None or received is None or measured is None:
                continue
            if received - measured > FRESHNESS:
                continue
            # A gateway clock running ahead dates a reading after its arrival (within the accepted skew):
            # the evaluation must reach it. From the batch's data alone, so a replay decides the same.
            at = max(received, measured)
            if patient not in evaluated_at or at > evaluated_at[patient]:
                evaluated_at[patient] = at
        evaluations = self._evaluation.evaluate(evaluated_at)
        return BatchScore(
            alerts=[self._alerts.on_evaluation(evaluation, evaluation.evaluated_at) for evaluation in evaluations],
            truncated_series=sum(len(evaluation.truncated_series) for evaluation in evaluations),
        )
