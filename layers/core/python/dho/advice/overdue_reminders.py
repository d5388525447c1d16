"""The patient's reminder when a measurement or questionnaire the plan expects is due and not made, on the
device's advice topic, before the nurse's missed-measurement list shows it.

A series (a metric, or a questionnaire's answers) expected every ``every_hours`` is *due* that long after
its newest measurement or answer (or after a planned absence ends); the nurse's list shows it once the grace
has passed too (``dho.evaluation.adherence``, the same :func:`~dho.evaluation.adherence.expected` list). In
between, the device that made the newest one (for a questionnaire, the app that sent the last answer) gets
the plan's ``overdue`` text (a metric) or ``overdue_questionnaire`` text (a questionnaire), once: the
reminder's message id is named by the series and that reading, and one already sent is never sent again
(the hourly check runs several times within a grace, and the sweep's ticks are at-least-once). A new
measurement starts a new silence with a new id. No reminder while paused, for a series never measured, to a
device the patient no longer holds, or with no grace (the nurse's list shows it at once). A failed publish
is kept as not sent, and the next hourly check within the grace tries again. The message names the metric
or questionnaire by its code only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime

from dho.domain.advice import Advice, AdviceKind, AdviceZone, SendOutcome, overdue_message_id
from dho.domain.clock import utc_now
from dho.domain.plan_advice import AdviceLanguage
from dho.domain.plans import SelfManagementPlan
from dho.evaluation.adherence import Expected, Measured, expected, overdue_at
from dho.ports import AdviceLog, DeviceMessenger, Registry


class OverdueReminders:
    def __init__(
        self,
        tenant_id: str,
        registry: Registry,
        messenger: DeviceMessenger,
        log: AdviceLog,
        *,
        language: AdviceLanguage = AdviceLanguage.BOKMAL,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._tenant_id = tenant_id
        self._registry = registry
        self._messenger = messenger
        self._log = log
        self._language = language
        self._clock = clock  # when a reminder is sent (``now`` is the sweep tick's time)

    def remind(self, plan: SelfManagementPlan, newest: Mapping[str, Measured | None], now: datetime) -> list[Advice]:
        """The reminders of the patient's metrics and questionnaires due at ``now`` and not yet past their
        grace (``newest`` by series, as :func:`~dho.evaluation.adherence.newest_measured` gives it)."""
        if plan.paused_until is not None and now < plan.paused_until:
            return []
        sent: list[Advice] = []
        for item in expected(plan):
            measured = newest.get(item.series)
            if measured is None or measured.device_id is None:
                continue  # never measured: nothing stopped
            deadline = overdue_at(plan, item.schedule, measured.at)
            if not deadline - item.schedule.grace < now <= deadline:
                continue
            advice = self._reminder(plan, item, measured, measured.device_id)
            earlier = self._log.recorded(advice)
            if earlier is not None and earlier.outcome is SendOutcome.SENT:
                continue  # reminded already in this silence
            if self._registry.patient_for_device(measured.device_id, now) != plan.patient_id:
                continue  # the device went back (or to someone else): not theirs to be told
            sent.append(self._send(advice))
        return sent

    def _reminder(self, plan: SelfManagementPlan, item: Expected, measured: Measured, device_id: str) -> Advice:
        texts = plan.advice_texts(self._language)
        questionnaire = item.questionnaire
        return Advice(
            message_id=overdue_message_id(self._tenant_id, item.series, measured.reading_id),
            tenant_id=self._tenant_id, patient_id=plan.patient_id, device_id=device_id,
            reading_id=measured.reading_id, kind=AdviceKind.OVERDUE, zone=AdviceZone.UNKNOWN,
            text=texts.overdue if questionnaire is None else texts.overdue_questionnaire,
            language=self._language, plan_version=plan.version, measured_at=measured.at,
            metric=item.series if questionnaire is None else None, questionnaire=questionnaire,
        )

    def _send(self, advice: Advice) -> Advice:
        attempt = replace(advice, sent_at=self._clock())
        try:
            self._messenger.publish(attempt.topic, attempt.payload())
        except Exception as error:  # kept as not sent, with the error type only; the next check retries
            done = replace(attempt, outcome=SendOutcome.NOT_SENT, error=type(error).__name__)
        else:
            done = replace(attempt, outcome=SendOutcome.SENT)
        self._log.record(done)
        return done
