"""The patient page in Chromium: GIVEN a patient with a plan, a device, ten days of SpO2 readings, symptom
answers and an alert closed with an outcome WHEN a nurse opens the patient THEN the chart shows the plan's
zones, the readings and trend of the chosen period, the alert marked at its time and the answers on the same
axis; the plan versions, devices and alert history with its outcome are listed."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from playwright.sync_api import Page, expect

from dho.domain.alerts import AlertState, CloseReason
from dho.domain.clock import utc_now
from dho.domain.findings import Severity
from dho.domain.metrics import Metric
from dho.domain.plans import Programme, plan_from_template
from dho.domain.readings import DeviceReading, Measurement, SymptomReport
from dho.domain.registry import DeviceAssignment, Patient
from dho.domain.symptoms import Questionnaire
from localcloud.simulator.cohort import synthetic_national_id
from tests.e2e.web.conftest import SCREENSHOTS, Centre, axe_violations

DAYS = 10


def _charted_patient(centre: Centre) -> tuple[str, str, str]:
    patient_id, name, _ = centre.patient()
    national_id = synthetic_national_id(random.Random(patient_id))  # the registry's record, for the FHIR export
    centre.registry.register_patient(Patient(patient_id, national_id, Programme.COPD.value))
    now = utc_now()
    month_ago = now - timedelta(days=30)
    centre.plans.save(plan_from_template(patient_id, Programme.COPD, month_ago))
    centre.registry.assign_device(DeviceAssignment(f"oxi-{patient_id[-6:].lower()}", patient_id, month_ago))
    for day in range(DAYS, 0, -1):  # one a day, half a day off the period's edges
        at = now - timedelta(days=day) + timedelta(hours=12)
        centre.timeline.store_reading(DeviceReading("bodo", "oxi-1", f"{patient_id}-{day}", at, at,
                                                    (Measurement(Metric.SPO2, 95.0 - (DAYS - day) * 0.6, "%"),)),
                                      patient_id)
    answered = now - timedelta(days=2, hours=1)
    report = SymptomReport(Questionnaire.COPD, (("breathlessness", "more_than_usual"), ("fever", False)))
    centre.timeline.store_reading(DeviceReading("bodo", "app-1", f"{patient_id}-q", answered, answered,
                                                symptoms=report), patient_id)
    alert = centre.alert(patient_id, Severity.RED, opened=now - timedelta(days=2))
    closed = replace(alert, state=AlertState.CLOSED, closed_by="9100001", closed_at=now - timedelta(days=1),
                     close_reason=CloseReason.HOME_VISIT, close_note="Besøkt, stabil", version=alert.version + 1)
    centre.alerts.save(closed, alert.version)
    return patient_id, name, closed.alert_id


def test_the_chart_shows_zones_readings_alert_and_answers_for_the_chosen_period(
    centre: Centre, login: Callable[[str], Page]
) -> None:
    patient_id, name, alert_id = _charted_patient(centre)
    page = login("centre_nurse-1")

    page.goto(f"{centre.page_url}/#/pasient/bodo/{patient_id}")

    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.locator("main")).to_contain_text("Bodø kommune")  # the municipality's name, not "bodo"
    expect(page.get_by_label("Måling", exact=True)).to_have_value("spo2")  # the metric with readings comes first
    chart = page.locator("figure.chart svg")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.band")).to_have_count(3)
    assert sorted(chart.locator("rect.band").evaluate_all("r => r.map(b => b.dataset.zone)")) == [
        "green", "red", "yellow"]
    expect(chart.locator(f'g.alert-mark[data-alert="{alert_id}"]')).to_have_count(1)
    expect(chart.locator(f'g.alert-mark[data-alert="{alert_id}"] text')).to_have_text("▲")  # not colour alone
    expect(chart.locator("circle.reading")).to_have_count(7)  # the last 7 days of the 10
    expect(chart.locator("polyline.trend")).to_have_count(1)
    expect(chart.locator("g.answer-mark")).to_have_count(1)
    expect(page.locator("figcaption")).to_contain_text("Rød sone")
    answers = page.get_by_role("listitem").filter(has_text="Pustebesvær: mer enn vanlig, Feberfølelse: nei")
    expect(answers).to_be_visible()  # the answers in words, not codes
    # One time axis: the answers given an hour before the alert sit just left of its mark.
    alert_x = float(chart.locator(f'g.alert-mark[data-alert="{alert_id}"] line').get_attribute("x1") or 0)
    answer_x = float(chart.locator("g.answer-mark rect").get_attribute("x") or 0) + 3
    assert answer_x < alert_x

    page.get_by_label("30 dager").check()

    expect(chart.locator("circle.reading")).to_have_count(DAYS)
    history = page.locator("section", has=page.get_by_role("heading", name="Varselhistorikk (90 dager)"))
    expect(history.locator(f'tr[data-alert="{alert_id}"]')).to_contain_text("Hjemmebesøk")
    expect(history.locator(f'tr[data-alert="{alert_id}"]')).to_contain_text("Besøkt, stabil")
    expect(page.locator("section", has=page.get_by_role("heading", name="Utstyr"))).to_contain_text("I bruk nå")
    expect(page.locator("section", has=page.get_by_role("heading", name="Egenbehandlingsplan: versjoner"))
           ).to_contain_text("Programmets mal")
    assert axe_violations(page) == []
    page.screenshot(path=str(SCREENSHOTS / "pasientside.png"), full_page=True)


def test_the_fhir_export_button_downloads_the_patients_bundle(centre: Centre, login: Callable[[str], Page]) -> None:
    patient_id, name, _ = _charted_patient(centre)
    page = login("centre_nurse-1")
    page.goto(f"{centre.page_url}/#/pasient/bodo/{patient_id}")
    expect(page.get_by_role("heading", name=name)).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("button", name="Eksporter FHIR (90 dager)").click()

    bundle = download.value.path().read_text()
    assert '"resourceType":"Bundle"' in bundle and patient_id in bundle
