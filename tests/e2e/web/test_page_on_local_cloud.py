"""The nurses' page on the whole local cloud (the CDK app deployed to the moto harness, devices over MQTT,
process_readings from its queue, the SNS outbox): GIVEN an enrolled COPD patient WHEN the oximeter publishes
a deteriorating SpO2 series THEN the red alert appears in the logged-in nurse's worklist within 10 s of the
last reading being processed, without a reload; the nurse acknowledges it by keyboard and the escalation
sweep sends no further SMS about the patient; closing it takes it off the worklist and puts the outcome in
the patient's alert history."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from dho.adapters.dynamodb_enrolments import DynamoDbEnrolments
from dho.adapters.dynamodb_plans import DynamoDbPlans
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.alerting.messages import patient_code
from dho.centre.enrolment import Enrolment
from dho.domain.plans import Programme, plan_from_template
from localcloud.corpus import registry
from localcloud.local_cloud import LocalCloud, running_local_cloud
from localcloud.registry_seed import seed_registry
from tests.e2e.web.conftest import REPO_ROOT, tab_to
from tests.support.mqtt_device import TestDevice

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ASSEMBLY_DIR = REPO_ROOT / "build" / "localcloud" / "web-e2e-cdk.out"
PATIENT, DEVICE, CODE = "P-C0PD0001", "oxi-0001", "K-0001"  # events/registry.json gives the patient the oximeter


@pytest.fixture(scope="module")
def cloud(built_page: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    spec = registry()
    things = {a["device_id"]: "bodo" for a in spec["assignments"]}
    with running_local_cloud(ASSEMBLY_DIR, things=things, state_dir=tmp_path_factory.mktemp("local")) as local:
        table = local.tenants["bodo"].table_name
        dynamodb = local.aws("dynamodb")
        seed_registry(DynamoDbRegistry(dynamodb, table), spec)
        start = datetime.now(UTC) - timedelta(days=30)
        DynamoDbPlans(dynamodb, table).save(plan_from_template(PATIENT, Programme.COPD, start))
        DynamoDbEnrolments(dynamodb, table).enrol(Enrolment(
            PATIENT, "Kari Demo", CODE, "copd", "salten", None, (), "V-0001", start.date(), start.date(),
            start.date() + timedelta(days=90)))
        yield local


def _publish_spo2(cloud: LocalCloud, values: list[float]) -> None:
    device = TestDevice(cloud.iot.device_host, cloud.iot.device_port, DEVICE, "bodo")
    assert device.connect()
    try:
        for minutes_ago, value in zip(range(len(values) * 10, 0, -10), values, strict=True):
            payload = {"schema": "dho.device-reading/1", "device": {"id": DEVICE},
                       "reading_id": f"{DEVICE}-{uuid.uuid4().hex[:10]}",
                       "measured_at": (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(),
                       "measurements": [{"metric": "spo2", "value": value, "unit": "%"}]}
            assert device.publish(f"dho/bodo/devices/{DEVICE}/readings", json.dumps(payload))
    finally:
        device.client.loop_stop()
        device.client.disconnect()


def _sms_about_patient(cloud: LocalCloud, since: int) -> list[str]:
    """SMS since the ``since``-th message that name the patient (by the SMS's own pseudonymous code)."""
    return [m.text for m in cloud.nurse_messages()[since:] if m.channel == "sms" and patient_code(PATIENT) in m.text]


def test_a_deteriorating_series_reaches_the_nurses_page_and_is_acknowledged_and_closed(
    cloud: LocalCloud, browser: Browser
) -> None:
    api = cloud.centre_apis["DhoCentre-salten"]
    assert api.page is not None
    context = browser.new_context(locale="nb-NO", timezone_id="Europe/Oslo", viewport={"width": 1400, "height": 900})
    page: Page = context.new_page()
    page.goto(api.page.url)
    page.wait_for_url(f"{api.issuer.url}/authorize?*")
    page.get_by_role("button", name="centre_nurse-1", exact=True).click()
    expect(page.get_by_role("heading", name="Åpne varsler")).to_be_visible()

    _publish_spo2(cloud, [95, 93, 91, 89, 86, 84])
    cloud.after_publishing(6)
    cloud.drain()
    processed = time.monotonic()

    row = page.locator("tr", has_text="Kari Demo")
    expect(row).to_contain_text("▲ Rød", timeout=10_000)
    assert time.monotonic() - processed < 10
    alert_id = row.get_attribute("data-alert")

    assert _sms_about_patient(cloud, 0), "the red was told by SMS when it opened"
    tab_to(page, f'[data-key="ack-{alert_id}"]')
    page.keyboard.press("Enter")
    expect(row).to_contain_text("9100001")
    messages = len(cloud.nurse_messages())
    schedule = {"time": (datetime.now(UTC) + timedelta(minutes=16)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "source": "aws.events"}
    cloud.invoke("bodo", "escalate_alerts", schedule)
    assert _sms_about_patient(cloud, messages) == []

    tab_to(page, f'[data-key="close-{alert_id}"]')
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")  # Kontaktet pasienten
    page.keyboard.press("Tab")
    page.keyboard.type("Ringt opp")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(f'tr[data-alert="{alert_id}"]')).to_have_count(0)

    page.goto(f"{api.page.url}/#/pasient/bodo/{PATIENT}")
    history = page.locator("section", has=page.get_by_role("heading", name="Varselhistorikk (90 dager)"))
    expect(history.locator(f'tr[data-alert="{alert_id}"]')).to_contain_text("Kontaktet pasienten")
    context.close()
