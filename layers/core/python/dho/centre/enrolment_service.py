"""Enrolment by decision (vedtak), discharge, devices and plan versions: the changes the tenant's
administrator and the centre's nurses make to a patient's follow-up.

Every change is recorded with the verified identity (HPR number, or ``sub:<subject>`` for an
administrator without one) and the time, is idempotent under retries (a request that went through
answers with what it wrote; anything else that moved on is a :class:`Conflict`), changes nothing when
refused (every check runs before the first write), and is written to the tenant's access log. The
national id is validated, stored in the registry record only, and never returned or logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from dho.centre.access import Action
from dho.centre.enrolment import DischargeReason, Enrolment
from dho.centre.records import PatientRecordsService
from dho.centre.roles import Caller
from dho.centre.service import NotFound, TenantData
from dho.domain.access_log import AccessOutcome
from dho.domain.metrics import Metric
from dho.domain.plan_advice import AdviceLanguage
from dho.domain.plans import Programme, SelfManagementPlan, plan_from_template, revise
from dho.domain.registry import AssignmentConflict, DeviceAssignment, Patient

ENROLMENT_OBJECT = "enrolment decision (vedtak)"
DEVICE_OBJECT = "device assignment"
PLAN_OBJECT = "self-management plan version"
_DEVICES_HELD_AT_MOST = 20  # the newest periods read when telling a patient's devices of a new plan


class Conflict(Exception):
    """The request contradicts what is stored (409); ``current_version`` when a version moved on."""

    def __init__(self, message: str, current_version: int | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version


class InvalidChange(ValueError):
    """The change would make an invalid record (422): one entry per field, never the value sent."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__("the change is not valid")
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Decision:
    """What an enrolment request says (the national id is passed on to the registry only)."""

    patient_id: str
    name: str
    code: str
    programme: Programme
    decision_ref: str
    decided_on: date
    start: date
    review_on: date
    gp_hpr: str | None
    hospital_organisations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Changed:
    """The record after a change, and whether this request wrote it (False: a retry, or nothing to do)."""

    enrolment: Enrolment
    created: bool


def identity_of(caller: Caller) -> str:
    return caller.hpr if caller.hpr is not None else f"sub:{caller.subject}"


class EnrolmentService(PatientRecordsService):
    # ---- enrolment and discharge --------------------------------------------------------------------

    def enrol(self, caller: Caller, tenant_id: str, decision: Decision, national_id: str, now: datetime) -> Changed:
        """Register the patient, give them version 1 of the programme's plan, and record the decision
        (last, so a patient is enrolled only once all of it is stored; a retry completes a request that
        stopped half-way). A discharged patient can be enrolled again under a new decision."""
        data, records = self._tenants[tenant_id], self._records[tenant_id]
        pid = decision.patient_id
        wanted = Enrolment(
            patient_id=pid, name=decision.name, code=decision.code, programme=decision.programme.value,
            centre_id=self._centre_id, gp_hpr=decision.gp_hpr, hospital_organisations=decision.hospital_organisations,
            decision_ref=decision.decision_ref, decided_on=decision.decided_on, start=decision.start,
            review_on=decision.review_on, recorded_by=identity_of(caller), recorded_at=now,
        )
        registered = records.registry.get_patient(pid)
        if registered is not None and registered.national_id != national_id:
            raise Conflict("the patient id is registered for another person")
        existing = data.enrolments.get(pid)
        if existing is not None and _same_decision(existing, wanted):
            return self._logged(data, caller, Action.ENROL, existing, now, ENROLMENT_OBJECT, "enrol", created=False)
        if existing is not None and not existing.is_discharged:
            raise Conflict("the patient is enrolled under another decision: discharge first",
                           current_version=existing.version)
        if registered is None:
            try:
                records.registry.register_patient(Patient(pid, national_id, decision.programme.value))
            except ValueError:  # PatientConflict: someone else was registered under the id a moment ago
                raise Conflict("the patient id is registered for another person") from None
        if records.plans.current(pid) is None:
            try:
                records.plans.save(plan_from_template(pid, decision.programme, now))
            except ValueError:  # PlanVersionConflict: a concurrent retry saved version 1 first: it is there
                if records.plans.current(pid) is None:
                    raise
        expected = None if existing is None else existing.version
        stored = replace(wanted, version=1 if existing is None else existing.version + 1)
        if not data.enrolments.save(stored, expected):
            current = data.enrolments.get(pid)
            if current is not None and _same_decision(current, wanted):  # a concurrent retry won the race
                return self._logged(data, caller, Action.ENROL, current, now, ENROLMENT_OBJECT, "enrol", created=False)
            raise Conflict("the enrolment changed while enrolling", None if current is None else current.version)
        return self._logged(data, caller, Action.ENROL, stored, now, ENROLMENT_OBJECT, "enrol", created=True)

    def discharge(
        self, caller: Caller, tenant_id: str, patient_id: str, reason: DischargeReason, on: date, now: datetime
    ) -> Changed:
        data = self._tenants[tenant_id]
        existing = self._enrolled(data, patient_id)
        if existing.is_discharged:
            if (existing.discharge_reason, existing.discharged_on) == (reason, on):
                return self._logged(data, caller, Action.ENROL, existing, now, ENROLMENT_OBJECT, "discharge",
                                    created=False)
            raise Conflict("the patient is discharged already", current_version=existing.version)
        if on < existing.start:
            raise InvalidChange([{"location": "body/on", "problem": "a discharge cannot precede the start"}])
        discharged = replace(existing, discharged_on=on, discharge_reason=reason, discharged_by=identity_of(caller),
                             version=existing.version + 1)
        if not data.enrolments.save(discharged, existing.version):
            raise Conflict("the enrolment changed while discharging: reload it")
        return self._logged(data, caller, Action.ENROL, discharged, now, ENROLMENT_OBJECT, "discharge", created=True)

    # ---- devices ------------------------------------------------------------------------------------

    def assign_device(
        self, caller: Caller, tenant_id: str, patient_id: str, device_id: str, at: datetime, now: datetime
    ) -> DeviceAssignment:
        """Hand the device to the patient from ``at`` (its previous holder's period ends then)."""
        data, records = self._tenants[tenant_id], self._records[tenant_id]
        enrolment = self._enrolled(data, patient_id)
        if enrolment.is_discharged:
            raise Conflict("the patient is discharged: no device can be handed out")
        assignment = DeviceAssignment(device_id, patient_id, at)
        try:
            records.registry.assign_device(assignment)
        except AssignmentConflict as conflict:
            raise Conflict(str(conflict)) from None
        self._log(data, caller, Action.MANAGE_DEVICES, patient_id, now, DEVICE_OBJECT, AccessOutcome.EXPORTED,
                  purpose="assign device")
        if records.device_config is not None:  # the new holder's schedule (after the hand-out is stored)
            plan = records.plans.current(patient_id) or _version_zero(patient_id, enrolment.programme, now).model_copy(
                update={"version": 1})
            records.device_config.publish(plan, [device_id])
        return assignment

    def unassign_device(
        self, caller: Caller, tenant_id: str, patient_id: str, device_id: str, at: datetime, now: datetime
    ) -> DeviceAssignment:
        """The device is back from the patient at ``at`` (also after a discharge)."""
        data, records = self._tenants[tenant_id], self._records[tenant_id]
        self._enrolled(data, patient_id)
        try:
            ended = records.registry.unassign_device(device_id, patient_id, at)
        except AssignmentConflict as conflict:
            raise Conflict(str(conflict)) from None
        self._log(data, caller, Action.MANAGE_DEVICES, patient_id, now, DEVICE_OBJECT, AccessOutcome.EXPORTED,
                  purpose="unassign device")
        if records.device_config is not None:  # the returned device forgets this patient's schedule
            records.device_config.clear([device_id])
        return ended

    # ---- the self-management plan -------------------------------------------------------------------

    def revise_plan(
        self, caller: Caller, tenant_id: str, patient_id: str, expected_version: int, changes: Mapping[str, Any],
        note: str, now: datetime,
    ) -> SelfManagementPlan:
        """A new version of the plan with ``changes``, by the calling clinician, if the plan is still at
        ``expected_version``; a retry of a change that went through answers with that version."""
        data, records = self._tenants[tenant_id], self._records[tenant_id]
        hpr = caller.hpr
        if hpr is None:  # authorize() refuses such callers already: a plan version names its clinician
            raise NotFound("no HPR number")
        enrolment = self._enrolled(data, patient_id)
        if enrolment.is_discharged:
            raise Conflict("the patient is discharged: the plan is closed")
        newest = records.plans.versions_of(patient_id, limit=2)
        # No plan yet (enrolled before plans came with the enrolment): version 1 is the programme's
        # template with the changes, created with If-Match "0".
        template = _version_zero(patient_id, enrolment.programme, now)
        if not newest:
            if expected_version != 0:
                raise Conflict('the patient has no plan yet: send If-Match "0" to make version 1', current_version=0)
            newest = [template]
        current = newest[0]
        if current.version != expected_version:
            previous = newest[1] if len(newest) > 1 else (template if current.version == 1 else None)
            if previous is not None and previous.version == expected_version and current.changed_by == hpr and \
                    _revised(previous, hpr, current.changed_at, note, changes) == current:
                return self._logged_plan(data, caller, current, now)  # a retry of the change that made it
            raise Conflict(f"the plan is at version {current.version}, not {expected_version}: reload it",
                           current_version=current.version)
        revised = _revised(current, hpr, now, note, changes)
        try:
            records.plans.save(revised)
        except ValueError:  # another version was saved first (PlanVersionConflict)
            latest = records.plans.current(patient_id)
            raise Conflict("the plan changed while saving: reload it",
                           current_version=None if latest is None else latest.version) from None
        if records.device_config is not None:  # the devices the patient holds now learn the new schedule
            held = records.registry.devices_of(patient_id, limit=_DEVICES_HELD_AT_MOST)
            records.device_config.publish(revised, [d.device_id for d in held if d.valid_to is None])
        return self._logged_plan(data, caller, revised, now)

    # ---- plumbing -----------------------------------------------------------------------------------

    def _enrolled(self, data: TenantData, patient_id: str) -> Enrolment:
        enrolment = data.enrolments.get(patient_id)
        if enrolment is None:
            raise NotFound(f"no patient {patient_id} in tenant {data.tenant_id}")
        return enrolment

    def _logged(self, data: TenantData, caller: Caller, action: Action, enrolment: Enrolment, now: datetime,
                information_object: str, purpose: str, *, created: bool) -> Changed:
        self._log(data, caller, action, enrolment.patient_id, now, information_object, AccessOutcome.EXPORTED,
                  purpose=purpose)
        return Changed(enrolment, created)

    def _logged_plan(self, data: TenantData, caller: Caller, plan: SelfManagementPlan, now: datetime
                     ) -> SelfManagementPlan:
        self._log(data, caller, Action.EDIT_PLAN, plan.patient_id, now, PLAN_OBJECT, AccessOutcome.EXPORTED,
                  purpose="plan change")
        return plan


def _version_zero(patient_id: str, programme: str, at: datetime) -> SelfManagementPlan:
    """The programme's template as the version before 1 (the base a first plan is made from)."""
    known = programme if programme in {p.value for p in Programme} else Programme.GENERIC.value
    return plan_from_template(patient_id, Programme(known), at).model_copy(update={"version": 0})


def _merged(current: Mapping[Metric, Any], changes: Mapping[Metric, Any]) -> dict[Metric, Any]:
    return {metric: value for metric, value in {**current, **changes}.items() if value is not None}


def _advice_merged(plan: SelfManagementPlan, changes: Mapping[AdviceLanguage, Mapping[str, str] | None]
                   ) -> dict[AdviceLanguage, dict[str, str]]:
    """The plan's own texts with the changed ones: a language's named texts onto the texts in force in it
    (the programme's, if the plan has none of its own); None drops the plan's own texts of the language."""
    own: dict[AdviceLanguage, dict[str, str]] = {lang: t.model_dump() for lang, t in (plan.advice or {}).items()}
    for language, texts in changes.items():
        if texts is None:
            own.pop(language, None)
        else:
            own[language] = {**plan.advice_texts(language).model_dump(), **texts}
    return own


def _same_decision(stored: Enrolment, wanted: Enrolment) -> bool:
    """The same decision about the same patient (who recorded it and when aside)."""
    mine = replace(wanted, recorded_by=stored.recorded_by, recorded_at=stored.recorded_at, version=stored.version)
    return stored == mine


def _revised(plan: SelfManagementPlan, hpr: str, at: datetime, note: str, changes: Mapping[str, Any]
             ) -> SelfManagementPlan:
    """The next version: per-metric changes merged into the plan's (None removes a metric's entry)."""
    patch = dict(changes)
    if "limits" in patch:
        patch["limits"] = _merged(plan.limits, patch["limits"])
    if "expected_measurements" in patch:  # onto the schedule in force (the programme's, if the plan has none)
        patch["expected_measurements"] = _merged(plan.measurement_schedule(), patch["expected_measurements"])
    if "advice" in patch:
        patch["advice"] = _advice_merged(plan, patch["advice"])
    try:
        return revise(plan, changed_by=hpr, at=at, note=note, **patch)
    except ValidationError as invalid:
        raise InvalidChange([{"location": "/".join(str(p) for p in ("body", *e["loc"])), "problem": e["msg"]}
                             for e in invalid.errors()]) from None
