"""The access policy of the centre API: which role may do what, in which tenant, to which patient.

Every route names an :class:`Action` (``ROUTE_ACTIONS`` in the handler); the handler's middleware checks
it with :func:`authorize` before the route runs, so no route body decides who may call it. The patient
scope (a GP sees their own patients, a hospital nurse those of a collaboration with their hospital) is
checked with :func:`sees_patient` when the patient's enrolment is read, before anything is returned.
Tenant isolation: a caller's roles name tenants, and the centre's function can reach only the tenants
that named the centre, so no role reaches past them.
"""

from __future__ import annotations

from enum import StrEnum

from dho.centre.enrolment import Enrolment
from dho.centre.roles import Assignment, Caller, Role


class Action(StrEnum):
    PUBLIC = "public"  # the OpenAPI document: no patient data
    READ_WORKLIST = "read_worklist"
    ACT_ON_ALERT = "act_on_alert"
    READ_PATIENT = "read_patient"
    READ_ACCESS_LOG = "read_access_log"
    ENROL = "enrol"  # enrol by decision (vedtak), discharge
    MANAGE_DEVICES = "manage_devices"  # hand out and take back devices
    EDIT_PLAN = "edit_plan"  # a new version of the self-management plan (a clinician's, with an HPR number)
    READ_CASELOAD = "read_caseload"  # every enrolled patient with adherence, alerts, plan age, review date
    REVIEW_CASELOAD = "review_caseload"  # record a patient's follow-up as reviewed, set the next review
    # The questionnaires (FHIR resources, no patient data): any caller with a platform role, anywhere.
    READ_QUESTIONNAIRES = "read_questionnaires"


ROLES_FOR: dict[Action, frozenset[Role]] = {
    Action.READ_WORKLIST: frozenset({Role.CENTRE_NURSE}),
    Action.ACT_ON_ALERT: frozenset({Role.CENTRE_NURSE}),
    Action.READ_PATIENT: frozenset({Role.CENTRE_NURSE, Role.GP, Role.HOSPITAL_NURSE}),
    Action.READ_ACCESS_LOG: frozenset({Role.PRIVACY_OFFICER}),
    # The decision is the municipality's: its administrator records it. Devices are handed out by the
    # administrator or swapped by the centre's nurse; the plan is clinical: the nurse's.
    Action.ENROL: frozenset({Role.TENANT_ADMIN}),
    Action.MANAGE_DEVICES: frozenset({Role.TENANT_ADMIN, Role.CENTRE_NURSE}),
    Action.EDIT_PLAN: frozenset({Role.CENTRE_NURSE}),
    # The caseload shows health data (adherence, alerts): the centre's nurses review it.
    Action.READ_CASELOAD: frozenset({Role.CENTRE_NURSE}),
    Action.REVIEW_CASELOAD: frozenset({Role.CENTRE_NURSE}),
}


_NEEDS_HPR = frozenset({Action.ACT_ON_ALERT, Action.EDIT_PLAN})


class Forbidden(Exception):
    """The caller has no role that allows this action here (403)."""


def grants(caller: Caller, action: Action, tenant_id: str) -> tuple[Assignment, ...]:
    """The caller's assignments in ``tenant_id`` that allow ``action`` (empty: not allowed)."""
    allowed = ROLES_FOR.get(action, frozenset())
    return tuple(a for a in caller.roles_in(tenant_id) if a.role in allowed)


def readable_tenants(caller: Caller, action: Action, served: frozenset[str]) -> tuple[str, ...]:
    """The served tenants in which the caller may do ``action``, sorted."""
    return tuple(sorted(t for t in served if grants(caller, action, t)))


def authorize(caller: Caller, action: Action, tenant_id: str | None, served: frozenset[str]) -> None:
    """Raise :class:`Forbidden` unless the caller may do ``action`` in ``tenant_id`` (a tenant of the
    path), or, for a route without one, in at least one tenant the centre serves."""
    if action is Action.PUBLIC:
        return
    if action is Action.READ_QUESTIONNAIRES:
        if not caller.assignments:
            raise Forbidden("the questionnaires are for staff with a role on the platform")
        return
    if action in _NEEDS_HPR and caller.hpr is None:
        raise Forbidden(f"{action.value} is recorded with an HPR number, and the token has none")
    if tenant_id is None:
        if not readable_tenants(caller, action, served):
            raise Forbidden(f"no role here allows {action.value}")
        return
    if tenant_id not in served or not grants(caller, action, tenant_id):
        raise Forbidden(f"no role in tenant {tenant_id!r} allows {action.value}")


def sees_patient(caller: Caller, action: Action, tenant_id: str, enrolment: Enrolment) -> bool:
    """Whether one of the caller's roles in the tenant covers this patient."""
    for assignment in grants(caller, action, tenant_id):
        if assignment.role is Role.CENTRE_NURSE:  # the tenant named this centre: all its patients
            return True
        if assignment.role is Role.GP and caller.hpr is not None and enrolment.gp_hpr == caller.hpr:
            return True
        if assignment.role is Role.HOSPITAL_NURSE and assignment.organisation in enrolment.hospital_organisations:
            return True
    return False
