"""The patient's records as the centre's clinicians read them: one metric over a period shaped for a
chart, the plan's versions, the devices the patient had, and the alert history with its outcomes.

Each read checks the caller's scope on the patient (``CentreService``'s enrolment check: a GP their own
patients, a hospital nurse those of a collaboration) and is written to the tenant's access log before
anything is returned. Every read is bounded: key-range queries on the patient's partition with a limit
(a chart at most ``SERIES_MAX_PERIOD`` long and ``SERIES_MAX_POINTS`` readings), never a scan.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from dho.advice.device_config import DeviceConfigPublisher
from dho.centre.access import Action
from dho.centre.roles import Caller
from dho.centre.series import TrendPoint, ZoneBand, bands_of, rules_of, trend_of
from dho.centre.service import CentreService, TenantData
from dho.domain.access_log import AccessOutcome
from dho.domain.alerts import Alert
from dho.domain.metrics import METRIC_SPECS, Metric
from dho.domain.plans import SelfManagementPlan
from dho.domain.registry import DeviceAssignment
from dho.domain.symptoms import Answer, Questionnaire
from dho.domain.timeline import TimelineEntry, symptom_series
from dho.evaluation.windows import WINDOW
from dho.ports import AlertHistory, PatientRegistry, PlanHistory, PlanRepository

SERIES_MAX_PERIOD = timedelta(days=92)
SERIES_MAX_POINTS = 3000  # readings of the period and the scoring window before it (a few a day for 100 days)
ANSWERS_MAX = 500  # symptom reports per questionnaire in a period
ALERTS_MAX = 500  # alerts opened in a period
ALERT_HISTORY_MAX_PERIOD = timedelta(days=366)
PLAN_VERSIONS_MAX = 100
DEVICES_MAX = 100

SERIES_OBJECT = "patient chart: one metric's readings, trend values, plan bands, alerts and symptom answers"
PLANS_OBJECT = "self-management plan versions"
DEVICES_OBJECT = "device assignment periods"
ALERT_HISTORY_OBJECT = "alert history with outcomes"


class InvalidPeriod(ValueError):
    """The period is empty, reversed or longer than the route allows (400)."""


class PlanStore(PlanRepository, PlanHistory, Protocol):
    """The tenant's plans: the current version, and the versions for the record."""


@dataclass(frozen=True, slots=True)
class TenantRecords:
    """The stores of one served tenant the patient records read beyond the centre's own."""

    plans: PlanStore
    history: AlertHistory
    registry: PatientRegistry
    # Tells the patient's devices what is due when a plan version is saved or a device handed out, and
    # clears a returned device's config (None: nothing is sent, e.g. read-only tools).
    device_config: DeviceConfigPublisher | None = None


@dataclass(frozen=True, slots=True)
class SymptomAnswers:
    measured_at: datetime
    questionnaire: str
    answers: Mapping[str, Answer]


@dataclass(frozen=True, slots=True)
class ChartSeries:
    metric: Metric
    unit: str | None
    points: tuple[TimelineEntry, ...]
    trend: tuple[TrendPoint, ...]
    bands: tuple[ZoneBand, ...]
    plan_version: int | None
    alerts: tuple[Alert, ...]
    answers: tuple[SymptomAnswers, ...]
    truncated: bool  # more readings than one chart holds: the oldest were left out


def checked_period(since: datetime, until: datetime, longest: timedelta) -> None:
    if not since < until <= since + longest:
        raise InvalidPeriod(f"since must be before until, at most {longest.days} days apart")


class PatientRecordsService(CentreService):
    def __init__(
        self,
        centre_id: str,
        tenants: Mapping[str, TenantData],
        records: Mapping[str, TenantRecords],
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        super().__init__(centre_id, tenants, new_id)
        self._records = dict(records)

    def series(
        self, caller: Caller, tenant_id: str, patient_id: str, metric: Metric, since: datetime, until: datetime,
        now: datetime,
    ) -> ChartSeries:
        """Readings of ``metric`` measured in [since, until) with the scoring's trend values at each,
        the current plan's bands, the alerts of the metric's rules opened in the period and the symptom
        answers of the period."""
        checked_period(since, until, SERIES_MAX_PERIOD)
        data, records = self._tenants[tenant_id], self._records[tenant_id]
        self._enrolment_in_scope(caller, data, patient_id, now, SERIES_OBJECT, "patient chart")
        # The scoring window before the period too, so the first trend values are the ones scoring had.
        newest = data.timeline.query(patient_id, metric.value, since - WINDOW, until, limit=SERIES_MAX_POINTS + 1,
                                     newest_first=True)
        entries = list(reversed(newest[:SERIES_MAX_POINTS]))
        points = tuple(e for e in entries if e.measured_at >= since and e.value is not None)
        trend = tuple(t for t in trend_of(entries) if t.at >= since)
        plan = records.plans.current(patient_id)
        rules = rules_of(metric)
        alerts = tuple(a for a in records.history.opened_between(patient_id, since, until, limit=ALERTS_MAX)
                       if a.rule in rules)
        answers = sorted(
            (SymptomAnswers(e.measured_at, questionnaire.value, dict(e.answers))
             for questionnaire in Questionnaire
             for e in data.timeline.query(patient_id, symptom_series(questionnaire), since, until, limit=ANSWERS_MAX)),
            key=lambda a: (a.measured_at, a.questionnaire),
        )
        self._log(data, caller, Action.READ_PATIENT, patient_id, now, SERIES_OBJECT, AccessOutcome.EXPORTED,
                  purpose=f"patient chart {metric.value}", since=since, until=until,
                  resources=len(points) + len(alerts) + len(answers))
        return ChartSeries(
            metric=metric, unit=METRIC_SPECS[metric].canonical_unit, points=points, trend=trend,
            bands=bands_of(None if plan is None else plan.limits.get(metric)),
            plan_version=None if plan is None else plan.version, alerts=alerts, answers=tuple(answers),
            truncated=len(newest) > SERIES_MAX_POINTS,
        )

    def plan_versions(self, caller: Caller, tenant_id: str, patient_id: str, now: datetime
                      ) -> Sequence[SelfManagementPlan]:
        """The plan's versions, newest first: who changed it, when and why."""
        data, records = self._tenants[tenant_id], self._records[tenant_id]
        self._enrolment_in_scope(caller, data, patient_id, now, PLANS_OBJECT, "plan versions")
        versions = records.plans.versions_of(patient_id, limit=PLAN_VERSIONS_MAX)
        self._log(data, caller, Action.READ_PATIENT, patient_id, now, PLANS_OBJECT, AccessOutcome.EXPORTED,
                  purpose="plan versions", resources=len(versions))
        return versions

    def devices(self, caller: Caller, tenant_id: str, patient_id: str, now: datetime) -> Sequence[DeviceAssignment]:
        """The devices the patient had, newest period first (a period without an end is current)."""
        data, records = self._tenants[tenant_id], self._records[tenant_id]
        self._enrolment_in_scope(caller, data, patient_id, now, DEVICES_OBJECT, "devices")
        periods = records.registry.devices_of(patient_id, limit=DEVICES_MAX)
        self._log(data, caller, Action.READ_PATIENT, patient_id, now, DEVICES_OBJECT, AccessOutcome.EXPORTED,
                  purpose="devices", resources=len(periods))
        return periods

    def alert_history(
        self, caller: Caller, tenant_id: str, patient_id: str, since: datetime, until: datetime, now: datetime
    ) -> Sequence[Alert]:
        """The patient's alerts opened in [since, until), open or closed, newest first, with outcomes."""
        checked_period(since, until, ALERT_HISTORY_MAX_PERIOD)
        data, records = self._tenants[tenant_id], self._records[tenant_id]
        self._enrolment_in_scope(caller, data, patient_id, now, ALERT_HISTORY_OBJECT, "alert history")
        alerts = records.history.opened_between(patient_id, since, until, limit=ALERTS_MAX)
        self._log(data, caller, Action.READ_PATIENT, patient_id, now, ALERT_HISTORY_OBJECT, AccessOutcome.EXPORTED,
                  purpose="alert history", since=since, until=until, resources=len(alerts))
        return sorted(alerts, key=lambda a: (a.opened_at, a.alert_id), reverse=True)
