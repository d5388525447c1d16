"""The demo's response-centre part on the whole local cloud (the real CDK app on the moto harness): the
``curl`` line ``make demo`` prints lists the worklist for a demo nurse with the enrolled names, the token
CLI hands out fresh tokens while the demo runs, and a red a nurse acknowledged over HTTP gets no further
SMS at the next tier's time while a red nobody acknowledged does."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dho.adapters.dynamodb_plans import DynamoDbPlans
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.domain.plans import Programme, plan_from_template
from localcloud.centre_api import LocalCentreApi
from localcloud.corpus import registry
from localcloud.demo.centre import acknowledge_and_sweep, api_lines, by_centre, call, seed_enrolments
from localcloud.local_cloud import LocalCloud, running_local_cloud
from localcloud.registry_seed import seed_registry
from localcloud.token_desk import running_token_desk
from tests.support.mqtt_device import TestDevice

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
ASSEMBLY_DIR = REPO / "build" / "localcloud" / "e2e-demo-cdk.out"
RED_DEVICES = {"oxi-0001": "P-C0PD0001", "oxi-0002": "P-C0PD0003"}  # oxi-0002 is P-C0PD0003's since 2026-11-15


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    spec = registry()
    things = {a["device_id"]: "bodo" for a in spec["assignments"]}
    with running_local_cloud(ASSEMBLY_DIR, things=things, state_dir=tmp_path_factory.mktemp("local")) as local:
        table = local.tenants["bodo"].table_name
        dynamodb = local.aws("dynamodb")
        seed_registry(DynamoDbRegistry(dynamodb, table), spec)
        plans = DynamoDbPlans(dynamodb, table)
        for patient in spec["patients"]:
            plans.save(plan_from_template(patient["patient_id"], Programme(patient["programme"]),
                                          datetime(2026, 10, 1, tzinfo=UTC)))
        seed_enrolments(local, local.centre_apis, {"bodo": spec}, datetime.now(UTC).date())
        for device in RED_DEVICES:  # SpO2 84 %: a red for each patient, told by SMS
            _publish_red(local, device)
        _wait_until_delivered(local, len(RED_DEVICES))
        local.drain()
        yield local


def _publish_red(cloud: LocalCloud, device: str) -> None:
    payload = json.dumps({"schema": "dho.device-reading/1", "device": {"id": device},
                          "reading_id": f"{device}-{uuid.uuid4().hex[:10]}",
                          "measured_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
                          "measurements": [{"metric": "spo2", "value": 84, "unit": "%"}]})
    client = TestDevice(cloud.iot.device_host, cloud.iot.device_port, device, "bodo")
    try:
        assert client.connect() and client.publish(f"dho/bodo/devices/{device}/readings", payload)
    finally:
        client.client.loop_stop()
        client.client.disconnect()


def _wait_until_delivered(cloud: LocalCloud, expected: int) -> None:
    for _ in range(200):
        if sum(counts.delivered for counts in cloud.iot.engine.counts.values()) >= expected:
            return
        cloud.pump.poll_all()
    raise AssertionError("the rules engine did not deliver the readings")


def _salten(cloud: LocalCloud) -> LocalCentreApi:
    return by_centre(cloud.centre_apis)["salten"]


def test_the_printed_curl_line_lists_the_worklist_for_a_demo_nurse(cloud: LocalCloud) -> None:
    lines = api_lines(by_centre(cloud.centre_apis))
    (curl,) = [line.strip() for line in lines if line.strip().startswith("curl -s -H 'Authorization: Bearer ey")]

    done = subprocess.run(shlex.split(curl), capture_output=True, text=True, timeout=60, check=True)

    rows = json.loads(done.stdout)["rows"]
    red = {r["patient_id"]: r for r in rows if r["severity"] == "red"}
    assert set(RED_DEVICES.values()) <= set(red)
    assert red["P-C0PD0003"]["patient_name"] == "Testpasient 0003 (syntetisk)"
    assert red["P-C0PD0003"]["patient_code"] == "0003"


def test_the_printed_page_lines_serve_each_centres_nurses_page(cloud: LocalCloud) -> None:
    # make test and make demo build the page first (make web), so the local cloud serves it per centre
    lines = api_lines(by_centre(cloud.centre_apis))
    urls = [line.split()[2] for line in (raw.strip() for raw in lines) if line.startswith("nurses' page:")]

    pages = []
    for url in urls:
        with urllib.request.urlopen(url, timeout=30) as response:
            pages.append((response.status, response.read().decode().lower()))

    expected = sorted(f"{api.page.url}/" for api in by_centre(cloud.centre_apis).values() if api.page is not None)
    assert sorted(urls) == expected and len(expected) == len(cloud.centre_apis)
    assert all(status == 200 and "<html" in body for status, body in pages)


def test_the_token_cli_hands_out_a_working_token_while_the_demo_runs(cloud: LocalCloud, tmp_path: Path) -> None:
    api = _salten(cloud)
    state = tmp_path / "centre-apis.json"
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
        str(REPO / p) for p in ("layers/core/python", "localstack", "."))}
    command = [sys.executable, "-m", "localcloud.token", "--state", str(state), "salten", "privacy_officer-1"]
    with running_token_desk(by_centre(cloud.centre_apis), state_file=state):
        issued = subprocess.run(command, capture_output=True, text=True, timeout=60, env=environment, check=True)
        unknown = subprocess.run([*command[:-1], "nobody-1"], capture_output=True, text=True, timeout=60,
                                 env=environment)
    after = subprocess.run(command, capture_output=True, text=True, timeout=60, env=environment)

    token = issued.stdout.strip()
    curl = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"Authorization: Bearer {token}"]
    # The privacy officer may not read the worklist (403), which only a valid token gets to hear.
    assert subprocess.run([*curl, f"{api.url}/worklist"], capture_output=True, text=True).stdout == "403"
    assert unknown.returncode == 2 and "nobody-1" in unknown.stderr
    assert after.returncode == 2 and "make demo" in after.stderr  # the desk is gone with the demo


def test_an_acknowledged_red_gets_no_further_sms_while_an_unacknowledged_one_escalates(cloud: LocalCloud) -> None:
    api = _salten(cloud)
    next_tier = datetime.now(UTC) + timedelta(minutes=16)  # repeat/escalation after 15 min; re-trigger after 30

    shown = acknowledge_and_sweep(cloud, api, next_tier)

    assert shown is not None
    (acknowledged,), (left_alone,) = shown.acknowledged, shown.left_alone  # one red each
    assert {acknowledged["patient_id"], left_alone["patient_id"]} == set(RED_DEVICES.values())
    assert shown.sms_acknowledged == 0
    assert shown.sms_left_alone >= 1
    lines = "\n".join(shown.lines())
    assert acknowledged["alert_id"] in lines and "0 SMS since the acknowledgement" in lines
    status, rows = call(f"{api.url}/worklist", api.token("centre_nurse-1"))
    now_row = next(r for r in rows["rows"] if r["alert_id"] == acknowledged["alert_id"])
    assert (status, now_row["state"], now_row["acknowledged_by"]) == (200, "acknowledged", "9100001")
