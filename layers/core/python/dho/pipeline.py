"""The readings pipeline of one tenant: ingest each message, then score the patients the batch
touched and act on the alerts. ``process_readings`` is a thin shell around it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from dho.alerting.service import AlertOutcome, AlertService
from dho.evaluation.service import EvaluationService
from dho.ingest.service import IngestResult, IngestService, IngestStatus


class ReadingsPipeline:
    def __init__(self, ingest: IngestService, evaluation: EvaluationService, alerts: AlertService) -> None:
        self._ingest = ingest
        self._evaluation = evaluation
        self._alerts = alerts

    def ingest(self, body: str, *, arrived_at: datetime) -> IngestResult:
        return self._ingest.ingest(body, arrived_at=arrived_at)

    def score(self, results: Sequence[IngestResult]) -> list[AlertOutcome]:
        """Evaluate every patient with a stored reading in the batch (duplicates too: a redelivered
        batch whose first scoring failed must get its alerts), as of the newest arrival, and apply
        each evaluation to that patient's alerts. Evaluation time = arrival time, so a replay decides
        exactly as the first delivery did and the policy recognises it."""
        newest_arrival: dict[str, datetime] = {}
        for result in results:
            if result.status is IngestStatus.QUARANTINED or result.patient_id is None or result.received_at is None:
                continue
            current = newest_arrival.get(result.patient_id)
            if current is None or result.received_at > current:
                newest_arrival[result.patient_id] = result.received_at
        return [
            self._alerts.on_evaluation(evaluation, evaluation.evaluated_at)
            for evaluation in self._evaluation.evaluate(newest_arrival)
        ]
