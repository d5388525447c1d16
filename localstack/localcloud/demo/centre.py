"""The demo's response-centre part: enrolments for the simulated patients (obviously synthetic names),
what a person needs to use the centre APIs while the demo runs (URL, users, tokens, a working ``curl``),
and an acknowledgement over HTTP stopping that alert's escalation while an unacknowledged red escalates.

Everything goes through the API as a nurse would use it (a token of the local issuer, the local HTTP API
and its JWT authorizer, the centre_api function); only the choice of which reds to show reads the tenant
table, for when each is due next.
"""

from __future__ import annotations

import json
import shlex
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dho.adapters.dynamodb_alerts import DynamoDbAlerts
from dho.adapters.dynamodb_enrolments import DynamoDbEnrolments
from dho.alerting.messages import patient_code
from dho.centre.enrolment import Enrolment
from localcloud.centre_api import LocalCentreApi
from localcloud.demo_cloud import DemoCloud
from localcloud.oidc_issuer import DEFAULT_LIFETIME_SECONDS
from localcloud.token_desk import IssuedToken

TOKEN_CLI = "PYTHONPATH=localstack .venv/bin/python -m localcloud.token"
NURSE = "centre_nurse"


def by_centre(apis: Mapping[str, LocalCentreApi]) -> dict[str, LocalCentreApi]:
    """The local cloud's centre APIs (by stack name) by centre id."""
    return {api.centre_id: api for api in apis.values()}


# ---- enrolments -------------------------------------------------------------------------------------


def _staff_of(api: LocalCentreApi, tenant: str, role: str) -> list[tuple[str, dict[str, Any]]]:
    """(key, assignment) of the staff with ``role`` in ``tenant`` (``hpr:<n>`` / ``sub:<s>`` keys)."""
    return [(key, a) for key, assignments in sorted(api.staff.items()) for a in assignments
            if a["role"] == role and tenant in a["tenants"]]


def demo_enrolments(api: LocalCentreApi, tenant: str, patients: Sequence[Mapping[str, Any]], today: date
                    ) -> list[Enrolment]:
    """One enrolment per patient of the registry document: a synthetic name, the SMS's patient code, the
    tenant's demo GP for every other patient and its hospital's collaboration for every third, so the
    GP and the hospital nurse each see some of the patients."""
    gps = [key.removeprefix("hpr:") for key, _ in _staff_of(api, tenant, "gp") if key.startswith("hpr:")]
    hospitals = sorted({str(a["organisation"]) for _, a in _staff_of(api, tenant, "hospital_nurse")
                        if a.get("organisation")})
    enrolments = []
    for n, patient in enumerate(patients):
        code = patient_code(patient["patient_id"])
        enrolments.append(Enrolment(
            patient_id=patient["patient_id"], name=f"Testpasient {code} (syntetisk)", code=code,
            programme=patient["programme"], centre_id=api.centre_id,
            gp_hpr=gps[0] if gps and n % 2 == 0 else None,
            hospital_organisations=tuple(hospitals[:1]) if n % 3 == 0 else (),
            decision_ref=f"DEMO-VEDTAK-{tenant}-{n + 1:04d}", decided_on=today - timedelta(days=30),
            start=today - timedelta(days=28), review_on=today + timedelta(days=62),
        ))
    return enrolments


def seed_enrolments(cloud: DemoCloud, apis: Mapping[str, LocalCentreApi],
                    registries: Mapping[str, Mapping[str, Any]], today: date) -> dict[str, int]:
    """Enrol every patient of each tenant's registry document with the centre that serves the tenant;
    how many per tenant."""
    centre_of = {tenant: api for api in apis.values() for tenant in api.tenants}
    enrolled: dict[str, int] = {}
    for tenant, document in registries.items():
        if tenant not in centre_of:
            continue
        store = DynamoDbEnrolments(cloud.aws("dynamodb"), cloud.tenants[tenant].table_name)
        for enrolment in demo_enrolments(centre_of[tenant], tenant, document["patients"], today):
            store.enrol(enrolment)
        enrolled[tenant] = len(document["patients"])
    return enrolled


# ---- how to use the APIs ----------------------------------------------------------------------------


def demo_nurse(api: LocalCentreApi) -> str | None:
    return next((user for user in api.users if user.startswith(f"{NURSE}-")), None)


def worklist_curl(api: LocalCentreApi, token: str) -> str:
    return f"curl -s -H {shlex.quote(f'Authorization: Bearer {token}')} {api.url}/worklist"


def api_lines(apis: Mapping[str, LocalCentreApi]) -> list[str]:
    """What a person needs to use the centre APIs (by centre id) while the demo runs."""
    lines: list[str] = []
    for centre_id, api in sorted(apis.items()):
        lines += [f"{centre_id} (tenants {', '.join(api.tenants)}): {api.url}   OpenAPI: {api.url}/openapi.json",
                  f"   users: {', '.join(api.users)}"]
        if api.page is not None:
            lines.append(f"   nurses' page: {api.page.url}/  (demo login: pick {demo_nurse(api) or 'a user'})")
    lines.append(f"a token (valid {DEFAULT_LIFETIME_SECONDS // 60} min) for any of them: {TOKEN_CLI} <centre> <user>")
    with_nurse = [(c, a, n) for c, a in sorted(apis.items()) if (n := demo_nurse(a)) is not None]
    if with_nurse:
        centre_id, api, nurse = with_nurse[0]
        token = IssuedToken.of(api.token(nurse))
        lines += [f"the worklist of {nurse} at {centre_id} (this token is valid until "
                  f"{token.expires_at:%H:%M:%S} UTC):", f"   {worklist_curl(api, token.access_token)}",
                  "   with a fresh token:",
                  f'   curl -s -H "Authorization: Bearer $({TOKEN_CLI} {centre_id} {nurse})" {api.url}/worklist']
    return lines


# ---- an acknowledgement stops the escalation --------------------------------------------------------


def call(url: str, token: str, *, method: str = "GET", headers: Mapping[str, str] | None = None
         ) -> tuple[int, Any]:
    request = urllib.request.Request(url, method=method, headers={"Authorization": f"Bearer {token}",
                                                                  **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"null")


@dataclass(frozen=True)
class Acknowledgement:
    acknowledged: Sequence[Mapping[str, Any]]  # the worklist rows acknowledged: one patient's open reds
    left_alone: Sequence[Mapping[str, Any]]  # another patient's reds nobody acknowledged
    sweep_at: datetime
    sms_acknowledged: int  # SMS about the acknowledged patient after the acknowledgement
    sms_left_alone: int

    def lines(self) -> list[str]:
        acknowledged, left_alone = _reds(self.acknowledged), _reds(self.left_alone)
        return [f"escalation sweep at {self.sweep_at:%H:%M} UTC (past the reds' next tier time):",
                f"   acknowledged     {acknowledged}: {self.sms_acknowledged} SMS since the acknowledgement",
                f"   not acknowledged {left_alone}: {self.sms_left_alone} SMS since then"]


def _reds(rows: Sequence[Mapping[str, Any]]) -> str:
    first = rows[0]
    return f"{first['tenant']} patient {first['patient_code']}: red {', '.join(r['alert_id'] for r in rows)}"


def due_patients(cloud: DemoCloud, rows: Sequence[Mapping[str, Any]], by: datetime
                 ) -> list[list[Mapping[str, Any]]]:
    """Per patient, their open reds, for the patients none of whose reds is acknowledged yet and one of
    whose reds is due to repeat or escalate by ``by``; patients with a single red first. A patient code
    two patients share is left out (the SMS name patients by code only)."""
    reds = [r for r in rows if r["severity"] == "red" and r["patient_code"]]
    patients_of_code: dict[str, set[str]] = {}
    for row in reds:
        patients_of_code.setdefault(row["patient_code"], set()).add(row["patient_id"])
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for row in reds:
        if len(patients_of_code[row["patient_code"]]) == 1:
            grouped.setdefault(row["patient_id"], []).append(row)
    due = []
    for patient_reds in grouped.values():
        if any(r["state"] != "open" for r in patient_reds):
            continue
        if any(_due(cloud, r, by) for r in patient_reds):
            due.append(patient_reds)
    return sorted(due, key=len)


def _due(cloud: DemoCloud, row: Mapping[str, Any], by: datetime) -> bool:
    stored = DynamoDbAlerts(cloud.aws("dynamodb"), cloud.tenants[row["tenant"]].table_name).get(row["alert_id"])
    return stored is not None and stored.next_notify_at is not None and stored.next_notify_at <= by


def _sms_about(cloud: DemoCloud, code: str, since: int) -> int:
    """SMS since the ``since``-th outbox entry naming the patient code (the SMS says "pasient X9M2")."""
    return sum(1 for e in cloud.nurse_messages()[since:]
               if e.channel == "sms" and any(f"{word} {code}" in e.text for word in ("pasient", "patient")))


def _worklist(api: LocalCentreApi) -> tuple[str, list[Mapping[str, Any]]] | None:
    """A demo nurse's token and worklist rows at ``api`` (None: the centre has no demo nurse)."""
    nurse = demo_nurse(api)
    if nurse is None:
        return None
    token = api.token(nurse)
    status, worklist = call(f"{api.url}/worklist", token)
    if status != 200:
        raise RuntimeError(f"the worklist answered {status}: {worklist}")
    return token, worklist["rows"]


def acknowledge_and_sweep(cloud: DemoCloud, api: LocalCentreApi, sweep_at: datetime,
                          others: Sequence[LocalCentreApi] = ()) -> Acknowledgement | None:
    """A demo nurse acknowledges a patient's open reds over HTTP (one, if the patient has one: the SMS
    are per patient); then the escalation sweep runs for every tenant at ``sweep_at`` (its schedule time).
    The red left alone is another patient's at this centre, else at one of ``others`` (a patient at
    another centre escalates the same way). None if there are no two patients with reds due by then."""
    found = _worklist(api)
    if found is None:
        return None
    token, rows = found
    chosen = due_patients(cloud, rows, sweep_at)
    for other in others if len(chosen) == 1 else ():
        elsewhere = _worklist(other)
        if elsewhere is not None:  # another patient code: the SMS are counted by code
            chosen += [p for p in due_patients(cloud, elsewhere[1], sweep_at)
                       if p[0]["patient_code"] != chosen[0][0]["patient_code"]]
    if len(chosen) < 2:
        return None
    acknowledged, left_alone = chosen[0], chosen[1]
    before = len(cloud.nurse_messages())
    for row in acknowledged:
        status, answer = call(f"{api.url}/alerts/{row['tenant']}/{row['alert_id']}/acknowledge", token,
                              method="POST", headers={"If-Match": f'"{row["version"]}"'})
        if status != 200 or answer["state"] != "acknowledged":
            raise RuntimeError(f"the acknowledgement answered {status}: {answer}")
    schedule = {"time": sweep_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "source": "aws.events"}
    for tenant in cloud.tenants:
        cloud.invoke(tenant, "escalate_alerts", schedule)
    return Acknowledgement(acknowledged, left_alone, sweep_at,
                           _sms_about(cloud, acknowledged[0]["patient_code"], before),
                           _sms_about(cloud, left_alone[0]["patient_code"], before))
