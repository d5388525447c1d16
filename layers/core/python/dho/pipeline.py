"""The readings pipeline of one tenant: ingest each message, then score the patients the batch
touched and act on the alerts. ``process_readings`` is a thin shell around it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dho.advice.service import AdviceService
from dho.alerting.service import AlertOutcome, AlertService
from dho.domain.advice import Advice
from dho.domain.findings import Evaluation
from dho.evaluation.evaluator import FRESHNESS
from dho.evaluation.service import EvaluationService
from dho.ingest.service import IngestResult, IngestService, IngestStatus


@dataclass(frozen=True, slots=True)
class BatchScore:
    """What scoring a batch did: the alert outcomes of the patients decided, the patients whose scoring
    failed with the name of their error (no message: it may hold values), and how many series windows
    were cut to their bound (``dho.evaluation.windows``), for the operators."""

    alerts: list[AlertOutcome] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # patient id -> error type
    truncated_series: int = 0
    advice: list[Advice] = field(default_factory=list)  # what each device was told (or could not be)


def evaluation_times(results: Sequence[IngestResult]) -> tuple[dict[str, datetime], list[IngestResult]]:
    """When each patient with a fresh reading in the batch is evaluated (:meth:`ReadingsPipeline.score`), and
    those fresh results."""
    evaluated_at: dict[str, datetime] = {}
    fresh: list[IngestResult] = []
    for result in results:
        patient, received, measured = result.patient_id, result.received_at, result.measured_at
        if result.status is IngestStatus.QUARANTINED or patient is None or received is None or measured is None:
            continue
        if received - measured > FRESHNESS:
            continue
        # A gateway clock running ahead dates a reading after its arrival (within the accepted skew):
        # the evaluation must reach it. From the batch's data alone, so a replay decides the same.
        at = max(received, measured)
        fresh.append(result)
        if patient not in evaluated_at or at > evaluated_at[patient]:
            evaluated_at[patient] = at
    return evaluated_at, fresh


class ReadingsPipeline:
    def __init__(
        self, ingest: IngestService, evaluation: EvaluationService, alerts: AlertService,
        advice: AdviceService | None = None,
    ) -> None:
        self._ingest = ingest
        self._evaluation = evaluation
        self._alerts = alerts
        self._advice = advice  # None: nothing goes back to the devices (replays, tools)

    def ingest(self, body: str, *, arrived_at: datetime) -> IngestResult:
        return self._ingest.ingest(body, arrived_at=arrived_at)

    def score(self, results: Sequence[IngestResult]) -> BatchScore:
        """Evaluate every patient with a fresh stored reading in the batch (duplicates too: a redelivered
        batch whose first scoring failed must get its alerts) and apply each evaluation to that patient's
        alerts. A batch that brings a patient only old readings (a gateway flushing last week's buffer)
        changes no rule's verdict, since the rules look at fresh readings only; evaluating it anyway
        would count a quiet evaluation without new data."""
        evaluated_at, fresh = evaluation_times(results)
        score, evaluations = self._decide_each(evaluated_at)
        if self._advice is not None:
            # After the alerts: the nurse's side is decided whatever happens to the advice.
            decided = {e.patient_id: e for e in evaluations if e.patient_id not in score.failed}
            score.advice.extend(self._advice.advise(fresh, decided))
        return score

    def _decide_each(self, evaluated_at: Mapping[str, datetime]) -> tuple[BatchScore, list[Evaluation]]:
        """Evaluate and apply per patient, so that one patient's failure (a corrupt plan, a lost race,
        a throttled read) leaves the others decided; the caller has that patient's records redelivered.
        After one failed publish the others are left to the outbox (SNS is taken to be down)."""
        evaluations, failed = self._evaluate(evaluated_at)
        alerts: list[AlertOutcome] = []
        publish = True
        for evaluation in evaluations:
            try:
                outcome = self._alerts.on_evaluation(evaluation, evaluation.evaluated_at, publish=publish)
            except Exception as error:  # isolated: redelivery decides again, and the policy dedups
                failed[evaluation.patient_id] = type(error).__name__
                continue
            publish = publish and not outcome.deferred
            alerts.append(outcome)
        return BatchScore(alerts, failed, sum(len(e.truncated_series) for e in evaluations)), evaluations

    def _evaluate(self, evaluated_at: Mapping[str, datetime]) -> tuple[list[Evaluation], dict[str, str]]:
        """Every patient in one vectorised call; if that fails, one call per patient to find which."""
        try:
            return self._evaluation.evaluate(evaluated_at), {}
        except Exception as error:
            if len(evaluated_at) <= 1:
                return [], dict.fromkeys(evaluated_at, type(error).__name__)
        evaluations: list[Evaluation] = []
        failed: dict[str, str] = {}
        for patient_id, at in sorted(evaluated_at.items()):
            try:
                evaluations.extend(self._evaluation.evaluate({patient_id: at}))
            except Exception as error:
                failed[patient_id] = type(error).__name__
        return evaluations, failed
