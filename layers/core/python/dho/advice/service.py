"""After a batch is scored, tell each device that sent a fresh reading the zone of that reading for its
patient and what the plan says to do in it, and keep what was sent in the patient's history.

Sending never fails a reading: the reading is stored and scored before this runs, and the alerts are
decided. IoT Core's publish is retried by the client (standard retry mode); if it still fails, the
advice is kept as not sent with the error type, so the nurse sees the patient was not told. It is not
sent later from an outbox: advice about a reading is only useful while the patient is still at the
device, and the nurse's alert does not depend on it. A redelivered batch (SQS is at-least-once) finds
the advice already sent and sends nothing; one that was not sent is tried again then.

Re-measure prompt: scoring acts on a reading out of band only when the next one agrees (below a safety
floor at once); until then the reading awaits confirmation and its patient is asked to measure again,
with the red text too where the reading was red (so a patient in distress still reads "ring 113").
Where the plan asks for it (``remeasure_yellow_after_minutes``), a confirmed yellow with no prompt sent
in the last ``CONFIRMATION_WINDOW`` is prompted as well; a yellow within the window after a prompt gets
the yellow text as a confirmation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from dho.domain.advice import (
    Advice,
    AdviceKind,
    AdviceZone,
    SendOutcome,
    advice_message_id,
    advice_text,
    zone_of_reading,
)
from dho.domain.clock import utc_now
from dho.domain.findings import Evaluation
from dho.domain.plan_advice import AdviceLanguage
from dho.domain.plans import SelfManagementPlan
from dho.ingest.service import IngestResult, IngestStatus
from dho.ports import AdviceLog, DeviceMessenger

CONFIRMATION_WINDOW = timedelta(minutes=20)  # (guess) a prompt answered later than this starts afresh
PlanOf = Callable[[str, datetime], SelfManagementPlan]  # (patient id, at) -> the plan in force


class AdviceService:
    def __init__(
        self,
        tenant_id: str,
        plan_of: PlanOf,
        messenger: DeviceMessenger,
        log: AdviceLog,
        *,
        language: AdviceLanguage = AdviceLanguage.BOKMAL,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._tenant_id = tenant_id
        self._plan_of = plan_of
        self._messenger = messenger
        self._log = log
        self._language = language
        self._clock = clock

    def advise(self, results: Iterable[IngestResult], evaluations: Mapping[str, Evaluation]) -> list[Advice]:
        """One advice per stored reading of an evaluated patient (``evaluations`` by patient id), in batch
        order. A patient whose advice fails (a plan that cannot be read) leaves the others advised."""
        advised: list[Advice] = []
        for result in results:
            evaluation = evaluations.get(result.patient_id or "")
            if evaluation is None or result.status is IngestStatus.QUARANTINED:
                continue
            try:
                advice = self._advice_for(result, evaluation)
            except Exception:  # never fails the reading; the nurse's alert is decided already
                continue
            if advice is not None:
                advised.append(advice)
        return advised

    def _advice_for(self, result: IngestResult, evaluation: Evaluation) -> Advice | None:
        patient_id, device_id, reading_id = result.patient_id, result.device_id, result.reading_id
        if patient_id is None or device_id is None or reading_id is None or result.measured_at is None:
            return None
        plan = self._plan_of(patient_id, evaluation.evaluated_at)
        zone = zone_of_reading(evaluation, reading_id)
        advice = Advice(
            message_id=advice_message_id(self._tenant_id, reading_id), tenant_id=self._tenant_id,
            patient_id=patient_id, device_id=device_id, reading_id=reading_id, kind=AdviceKind.ZONE,
            zone=zone, text=advice_text(plan.advice_texts(self._language), zone), language=self._language,
            plan_version=plan.version, measured_at=result.measured_at,
        )
        # Only a reading stored before (a redelivered batch) can have had its advice already.
        earlier = None if result.first_time else self._log.recorded(advice)
        if earlier is not None and earlier.outcome is SendOutcome.SENT:
            return earlier  # a redelivered batch: the device has it already
        awaiting = evaluation.awaiting(reading_id)
        if awaiting is not None and not any(reading_id in f.evidence for f in evaluation.findings):
            texts = plan.advice_texts(self._language)
            text = texts.remeasure if zone is AdviceZone.YELLOW else f"{texts.remeasure} {texts.red}"
            advice = replace(advice, kind=AdviceKind.REMEASURE, text=text)
        elif zone is AdviceZone.YELLOW and plan.remeasure_yellow_after_minutes is not None:
            advice = self._remeasure_or_confirm(advice, plan)
        return self._send(advice)

    def _remeasure_or_confirm(self, advice: Advice, plan: SelfManagementPlan) -> Advice:
        since = advice.measured_at - CONFIRMATION_WINDOW
        recent = self._log.history(advice.patient_id, since, advice.measured_at)
        if any(a.kind is AdviceKind.REMEASURE and a.outcome is SendOutcome.SENT for a in recent):
            return replace(advice, kind=AdviceKind.CONFIRMED)  # the yellow text, now confirmed
        return replace(advice, kind=AdviceKind.REMEASURE, text=plan.advice_texts(self._language).remeasure)

    def _send(self, advice: Advice) -> Advice:
        attempt = replace(advice, sent_at=self._clock())
        try:
            self._messenger.publish(attempt.topic, attempt.payload())
        except Exception as error:  # kept as not sent, with the error type only
            done = replace(attempt, outcome=SendOutcome.NOT_SENT, error=type(error).__name__)
        else:
            done = replace(attempt, outcome=SendOutcome.SENT)
        self._log.record(done)
        return done


def sent_count(advice: Sequence[Advice]) -> int:
    return sum(1 for a in advice if a.outcome is SendOutcome.SENT)
