"""The nurse's worklist in Chromium: GIVEN open alerts of the centre's tenants WHEN a nurse logs in through
the issuer (authorization code + PKCE) THEN the worklist shows them red first, in Norwegian time, refreshes
by itself, and the nurse acknowledges and closes an alert with the keyboard alone."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from dho.domain.alerts import AlertState, CloseReason
from dho.domain.findings import Rule, Severity
from tests.e2e.web.conftest import SCREENSHOTS, Centre, axe_violations, hours_ago, tab_to

NURSE = "centre_nurse-1"


def row(page: Page, alert_id: str):  # type: ignore[no-untyped-def]
    return page.locator(f'tr[data-alert="{alert_id}"]')


def test_a_nurse_sees_red_before_yellow_with_words_and_norwegian_time(
    centre: Centre, login: Callable[[str], Page]
) -> None:
    yellow_patient, _, _ = centre.patient()
    red_patient, red_name, red_code = centre.patient()
    yellow = centre.alert(yellow_patient, Severity.YELLOW, opened=hours_ago(5), rule=Rule.HEART_RATE_BAND)
    red = centre.alert(red_patient, Severity.RED, opened=hours_ago(1))

    page = login(NURSE)

    expect(row(page, red.alert_id)).to_be_visible()
    order = page.locator("tr[data-alert]").evaluate_all("rows => rows.map(r => r.dataset.alert)")
    assert order.index(red.alert_id) < order.index(yellow.alert_id)
    red_row = row(page, red.alert_id)
    # Red is said in words and with an icon, not by colour alone.
    expect(red_row.locator(".badge")).to_have_text("▲ Rød")
    expect(row(page, yellow.alert_id).locator(".badge")).to_have_text("● Gul")
    expect(red_row).to_contain_text(red_name)
    expect(red_row).to_contain_text(red_code)
    expect(red_row.locator("td").nth(2)).to_have_text("Bodø kommune")  # the name, not the tenant id
    expect(red_row).to_contain_text("KOLS")
    expect(red_row).to_contain_text("Oksygenmetning utenfor egne grenser")
    expect(red_row).to_contain_text("Responssenteret")
    # The browser runs in New York time; the page shows Oslo's.
    oslo = red.opened_at.astimezone(ZoneInfo("Europe/Oslo")).strftime("%d.%m.%Y, %H:%M")
    expect(red_row).to_contain_text(oslo)
    page.screenshot(path=str(SCREENSHOTS / "arbeidsliste.png"))


def test_the_worklist_refreshes_without_a_reload(centre: Centre, login: Callable[[str], Page]) -> None:
    page = login(NURSE)
    expect(page.get_by_role("heading", name="Åpne varsler")).to_be_visible()
    page.evaluate("window.notReloaded = true")
    patient_id, name, _ = centre.patient()

    alert = centre.alert(patient_id, Severity.RED, opened=hours_ago(0.1))

    expect(row(page, alert.alert_id)).to_contain_text(name, timeout=10_000)
    assert page.evaluate("window.notReloaded === true")


def test_a_nurse_acknowledges_and_closes_an_alert_with_the_keyboard_only(
    centre: Centre, login: Callable[[str], Page]
) -> None:
    patient_id, _, _ = centre.patient()
    alert = centre.alert(patient_id, Severity.RED, opened=hours_ago(0.5))
    page = login(NURSE)
    expect(row(page, alert.alert_id)).to_be_visible()

    tab_to(page, f'[data-key="ack-{alert.alert_id}"]')
    page.keyboard.press("Enter")

    expect(row(page, alert.alert_id)).to_contain_text("9100001")  # the nurse's HPR number, from the token
    assert centre.stored(alert).state is AlertState.ACKNOWLEDGED

    tab_to(page, f'[data-key="close-{alert.alert_id}"]')
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#utfall")).to_be_focused()  # the form takes the focus
    page.keyboard.press("ArrowDown")
    expect(page.locator("#utfall")).to_have_value("contacted_patient")
    page.keyboard.press("Tab")
    page.keyboard.type("Ringte, bedre etter inhalasjon")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    expect(row(page, alert.alert_id)).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("Varselet er lukket: Kontaktet pasienten")
    closed = centre.stored(alert)
    assert (closed.state, closed.close_reason, closed.closed_by) == (
        AlertState.CLOSED, CloseReason.CONTACTED_PATIENT, "9100001")
    assert closed.close_note == "Ringte, bedre etter inhalasjon"


def test_escape_cancels_the_close_form_and_nothing_changes(centre: Centre, login: Callable[[str], Page]) -> None:
    patient_id, _, _ = centre.patient()
    alert = centre.alert(patient_id, Severity.YELLOW, opened=hours_ago(2))
    page = login(NURSE)
    expect(row(page, alert.alert_id)).to_be_visible()

    tab_to(page, f'[data-key="close-{alert.alert_id}"]')
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")

    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator(f'[data-key="close-{alert.alert_id}"]')).to_be_focused()  # back where the nurse was
    assert centre.stored(alert).state is AlertState.OPEN


def test_the_api_answers_cors_for_the_page_only(centre: Centre) -> None:
    def preflight(origin: str) -> dict[str, str]:
        request = urllib.request.Request(f"{centre.api.url}/worklist", method="OPTIONS", headers={
            "Origin": origin, "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return {k.lower(): v for k, v in response.headers.items()}

    page_answer = preflight(centre.page_url)
    other_answer = preflight("https://evil.example")

    assert page_answer["access-control-allow-origin"] == centre.page_url
    assert "authorization" in page_answer["access-control-allow-headers"]
    assert "access-control-allow-origin" not in other_answer


def test_a_nurse_snoozes_a_yellow_by_keyboard_and_the_row_says_until_when(
    centre: Centre, login: Callable[[str], Page]
) -> None:
    patient_id, _, _ = centre.patient()
    alert = centre.alert(patient_id, Severity.YELLOW, opened=hours_ago(3), rule=Rule.HEART_RATE_BAND)
    page = login(NURSE)
    expect(row(page, alert.alert_id)).to_be_visible()

    tab_to(page, f'[data-key="snooze-{alert.alert_id}"]')
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#minutter")).to_be_focused()
    assert axe_violations(page) == []  # on the open snooze dialog
    page.keyboard.press("ArrowDown")  # 30 -> 60 minutes
    expect(page.locator("#minutter")).to_have_value("60")
    page.keyboard.press("Tab")
    page.keyboard.type("Ringer tilbake etter lunsj")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("Varselet er utsatt i 60 minutter")
    snoozed = centre.stored(alert)
    assert snoozed.snoozed_until is not None and snoozed.state is AlertState.OPEN
    until = snoozed.snoozed_until.astimezone(ZoneInfo("Europe/Oslo")).strftime("%d.%m.%Y, %H:%M")
    expect(row(page, alert.alert_id).locator(".snoozed")).to_contain_text(f"Utsatt til {until}")
