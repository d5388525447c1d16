"""The readings pipeline of one tenant: ingest each message, then score the patients the batch
touched and act on the alerts. ``process_readings`` is a thin shell around it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from dho.alerting.service import AlertOutcome, AlertService
from dho.evaluation.evaluator import FRESHNESS
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
        """Evaluate every patient with a fresh stored reading in the batch (duplicates too: a redelivered
        batch whose first scoring failed must get its alerts), as of the newest arrival, and apply each
        evaluation to that patient's alerts. Evaluation time = arrival time, so a replay decides exactly
        as the first delivery did and the policy recognises it. A batch that brings a patient only old
        readings (a gateway flushing last week's buffer) changes no rule's verdict, since the rules look
        at fresh readings only; evaluating it anyway would count a quiet evaluation without new data."""
        newest_arrival: dict[str, datetime] = {}
        for result in results:
            patient, received, measured = result.patient_id, result.received_at, result.measured_at
            if result.status is IngestStatus.QUARANTINED or patient is None or received is None or measured is None:
                continue
            if received - measured > FRESHNESS:
                continue
            if patient not in newest_arrival or received > newest_arrival[patient]:
                newest_arrival[patient] = received
        return [
            self._alerts.on_evaluation(evaluation, evaluation.evaluated_at)
            for evaluation in self._evaluation.evaluate(newest_arrival)
        ]

