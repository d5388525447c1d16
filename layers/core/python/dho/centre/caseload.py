"""The caseload review ("gjennomgang av brukerlister"): per centre, every enrolled patient of its tenants
with the last reading, adherence over 14 days, alerts and their outcomes over 30 days, the plan's age and
the review due date; and recording that a patient's follow-up was reviewed (who, when, the next review).

Bounded: the patients come from one index query per tenant, in pages (``CASELOAD_PAGE_MAX``); the page's
newest reading of each series comes from one batched read of the per-patient summaries ingest keeps
(``NewestReadings``). Each row then reads the patient's current plan (one query), the alerts opened in 30
days (one query), and, for adherence, each expected metric over 14 days (one query each) only if the
summary says it was measured since the window began: a metric not measured in the window is 0 without a
query. Rows are read in parallel (boto3 clients are thread-safe); the patients shown are written to the
tenant's access log together (one transaction per 100) before the page is returned.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from dho.centre.access import Action, readable_tenants
from dho.centre.enrolment import Enrolment
from dho.centre.enrolment_service import Conflict, identity_of
from dho.centre.records import PatientRecordsService
from dho.centre.roles import Caller
from dho.centre.service import NotFound
from dho.domain.access_log import AccessOutcome
from dho.domain.metrics import Metric
from dho.domain.plans import MeasurementSchedule
from dho.domain.timeline import TimelineEntry
from dho.ports import TimelineRepository

ADHERENCE_WINDOW = timedelta(days=14)
ALERT_WINDOW = timedelta(days=30)
CASELOAD_PAGE_MAX = 100
ALERTS_PER_ROW = 200
PARALLEL_ROWS = 8
CASELOAD_OBJECT = "caseload row: last reading, adherence, alerts and outcomes, plan age, review date"
REVIEW_OBJECT = "caseload review of the patient's follow-up"


def adherence(
    schedule: dict[Metric, MeasurementSchedule], measured: dict[Metric, Sequence[datetime]], since: datetime,
    until: datetime,
) -> dict[Metric, float | None]:
    """Per expected metric, the share of its intervals in [since, until) with at least one measurement.
    The intervals are the schedule's (``every_hours``), counted back from ``until``; a window shorter
    than one interval has no share (None)."""
    shares: dict[Metric, float | None] = {}
    for metric, expected in schedule.items():
        every = timedelta(hours=expected.every_hours)
        intervals = math.floor((until - since) / every)
        if intervals < 1:
            shares[metric] = None
            continue
        kept = {math.floor((until - at) / every) for at in measured.get(metric, ()) if since <= at < until}
        shares[metric] = len({k for k in kept if k < intervals}) / intervals
    return shares


@dataclass(frozen=True, slots=True)
class CaseloadRow:
    tenant_id: str
    enrolment: Enrolment
    last_reading_at: datetime | None
    adherence: dict[Metric, float | None]
    alerts_by_severity: dict[str, int]
    outcomes: dict[str, int]  # close outcome -> count (closed alerts only)
    open_alerts: int
    plan_version: int | None
    plan_changed_at: datetime | None


@dataclass(frozen=True, slots=True)
class CaseloadPageOut:
    rows: tuple[CaseloadRow, ...]
    next_page: str | None  # ``<tenant>|<tenant's page token>`` to go on from


class CaseloadService(PatientRecordsService):
    def caseload(
        self, caller: Caller, now: datetime, *, tenant_id: str | None = None, limit: int = 50, after: str | None = None
    ) -> CaseloadPageOut:
        """The next ``limit`` patients of the tenants the caller may review, tenant by tenant, each
        tenant's review due first."""
        tenants = readable_tenants(caller, Action.READ_CASELOAD, self.served)
        if tenant_id is not None:
            tenants = tuple(t for t in tenants if t == tenant_id)
        start_tenant, _, token = (after or "").partition("|")
        if after:
            tenants = tuple(t for t in tenants if t >= start_tenant)
        rows: list[CaseloadRow] = []
        for tenant in tenants:
            wanted = limit - len(rows)
            page = self._tenants[tenant].enrolments.caseload(
                limit=wanted, after=token if tenant == start_tenant and token else None)
            newest = self._tenants[tenant].timeline.newest_of([e.patient_id for e in page.enrolments])
            with ThreadPoolExecutor(max_workers=PARALLEL_ROWS) as pool:
                found = list(pool.map(lambda e, t=tenant, n=newest: self._row(t, e, n.get(e.patient_id, {}), now),
                                      page.enrolments))
            # Logged before any row is returned; any failure refuses the whole page (AccessNotRecorded).
            data = self._tenants[tenant]
            self._write(data, [
                self._access(data, caller, Action.READ_CASELOAD, row.enrolment.patient_id, now, CASELOAD_OBJECT,
                             AccessOutcome.EXPORTED, purpose="caseload review", since=now - ALERT_WINDOW, until=now,
                             resources=1 + sum(row.alerts_by_severity.values()))
                for row in found])
            rows.extend(found)
            if page.next_page is not None:
                return CaseloadPageOut(tuple(rows), f"{tenant}|{page.next_page}")
            if len(rows) >= limit:
                later = [t for t in tenants if t > tenant]
                return CaseloadPageOut(tuple(rows), f"{later[0]}|" if later else None)
        return CaseloadPageOut(tuple(rows), None)

    def reviewed(
        self, caller: Caller, tenant_id: str, patient_id: str, next_review_on: date, now: datetime
    ) -> Enrolment:
        """Record that the caller reviewed the patient's follow-up now and set the next review date. A
        retry (the same reviewer, the same next date already stored) answers with what is stored."""
        data = self._tenants[tenant_id]
        enrolment = data.enrolments.get(patient_id)
        if enrolment is None:
            raise NotFound(f"no patient {patient_id} in tenant {tenant_id}")
        if enrolment.is_discharged:
            raise Conflict("the patient is discharged: nothing to review")
        who = identity_of(caller)
        if (enrolment.reviewed_by, enrolment.review_on) != (who, next_review_on):
            changed = replace(enrolment, reviewed_by=who, reviewed_at=now, review_on=next_review_on,
                              version=enrolment.version + 1)
            if not data.enrolments.save(changed, enrolment.version):
                raise Conflict("the enrolment changed while recording the review: reload it")
            enrolment = changed
        self._log(data, caller, Action.REVIEW_CASELOAD, patient_id, now, REVIEW_OBJECT, AccessOutcome.EXPORTED,
                  purpose="caseload review")
        return enrolment

    def _row(self, tenant_id: str, enrolment: Enrolment, newest: Mapping[str, datetime], now: datetime) -> CaseloadRow:
        data, records = self._tenants[tenant_id], self._records[tenant_id]
        pid = enrolment.patient_id
        plan = records.plans.current(pid)
        schedule = {} if plan is None else plan.measurement_schedule()
        since = max(now - ADHERENCE_WINDOW, datetime.combine(enrolment.start, datetime.min.time(), now.tzinfo))
        measured = {metric: _measured(data.timeline, pid, metric, expected, since, now)
                    if newest.get(metric.value, since - timedelta.resolution) >= since else ()
                    for metric, expected in schedule.items()}
        alerts = records.history.opened_between(pid, now - ALERT_WINDOW, now, limit=ALERTS_PER_ROW)
        return CaseloadRow(
            tenant_id=tenant_id, enrolment=enrolment, last_reading_at=last_reading(newest),
            adherence=adherence(schedule, {m: [e.measured_at for e in found] for m, found in measured.items()},
                                since, now),
            alerts_by_severity=dict(Counter(a.severity.value for a in alerts)),
            outcomes=dict(Counter(a.close_reason.value for a in alerts if a.close_reason is not None)),
            open_alerts=sum(1 for a in alerts if a.is_open),
            plan_version=None if plan is None else plan.version,
            plan_changed_at=None if plan is None else plan.changed_at,
        )


def _measured(timeline: TimelineRepository, pid: str, metric: Metric, expected: MeasurementSchedule,
              since: datetime, now: datetime) -> Sequence[TimelineEntry]:
    """The metric's newest measurements in [since, now): a few per interval at most, enough to tell
    which intervals were kept."""
    bound = 3 * math.ceil(ADHERENCE_WINDOW / timedelta(hours=expected.every_hours)) + 1
    return timeline.query(pid, metric.value, since, now, limit=bound, newest_first=True)


def last_reading(newest: Mapping[str, datetime]) -> datetime | None:
    """The newest measurement of any metric (symptom answers are not readings here; ingest refuses a
    reading stamped more than a few minutes ahead, so none is in the future)."""
    return max((at for series, at in newest.items() if series in _METRICS), default=None)


_METRICS = frozenset(m.value for m in Metric)
