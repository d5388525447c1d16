"""Who sees what on the page, and how it is served: GIVEN the page on the local cloud WHEN a GP logs in THEN
they read their own patient without any action button and nothing of another GP's; every view passes
axe-core without a serious or critical violation; the page is served with the deployed security headers
and runs under its CSP without a violation; an expired session goes back to the login."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from dho.domain.findings import Severity
from localcloud.web_host import template_headers
from tests.e2e.web.conftest import Centre, axe_violations, hours_ago

NURSE, GP = "centre_nurse-1", "gp-1"
ACTION_BUTTONS = ("Kvitter", "Lukk", "Utsett")


def test_a_gp_reads_their_own_patient_without_action_buttons(centre: Centre, login: Callable[[str], Page]) -> None:
    own_id, own_name, _ = centre.patient(gp=centre.gp_hpr)
    other_id, other_name, _ = centre.patient()
    centre.alert(own_id, Severity.RED, opened=hours_ago(1))
    centre.alert(other_id, Severity.RED, opened=hours_ago(1))

    page = login(GP)

    expect(page.get_by_role("heading", name="Finn pasient")).to_be_visible()
    expect(page.locator("#bruker")).to_contain_text("kun lesetilgang")
    expect(page.get_by_role("link", name="Arbeidsliste")).to_have_count(0)
    page.goto(f"{centre.page_url}/#/pasient/bodo/{own_id}")
    expect(page.get_by_role("heading", name=own_name)).to_be_visible()
    expect(page.get_by_text("Oksygenmetning utenfor egne grenser")).to_be_visible()  # the open alert, read only
    for name in ACTION_BUTTONS:
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    page.goto(f"{centre.page_url}/#/pasient/bodo/{other_id}")
    expect(page.get_by_role("heading", name="Fant ikke pasienten")).to_be_visible()
    expect(page.get_by_text(other_name)).to_have_count(0)


@pytest.fixture
def csp_violations(centre: Centre) -> Iterator[list[str]]:
    found: list[str] = []
    yield found
    assert not found, f"the page broke its own Content-Security-Policy: {found}"


def test_the_page_is_served_with_the_deployed_headers_and_keeps_its_csp(
    centre: Centre, templates: dict[str, dict[str, object]], login: Callable[[str], Page], csp_violations: list[str]
) -> None:
    deployed = template_headers(templates["DhoCentre-salten"])
    patient_id, name, _ = centre.patient()
    centre.alert(patient_id, Severity.RED, opened=hours_ago(1))

    page = login(NURSE)
    page.on("console", lambda m: _record_csp(m, csp_violations))
    answer = page.reload()  # the whole page again, under watch: document, bundle, config, API calls

    assert answer is not None
    served = answer.headers
    csp = served["content-security-policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert centre.api.url in csp  # the template's API Gateway endpoints, here the local API
    for header in ("Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
                   "Permissions-Policy"):
        assert served[header.lower()] == deployed[header], header
    expect(page.get_by_text(name)).to_be_visible()  # the bundle ran and fetched under the CSP
    page.goto(f"{centre.page_url}/#/pasient/bodo/{patient_id}")
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def _record_csp(message: ConsoleMessage, found: list[str]) -> None:
    if "Content Security Policy" in message.text:
        found.append(message.text)


def test_every_view_passes_axe(centre: Centre, login: Callable[[str], Page]) -> None:
    patient_id, name, _ = centre.patient()
    alert = centre.alert(patient_id, Severity.RED, opened=hours_ago(1))
    missed_patient, _, _ = centre.patient()
    centre.alert(missed_patient, Severity.YELLOW, opened=hours_ago(3))
    page = login(NURSE)
    views = {
        "arbeidsliste": ("#/arbeidsliste", "Åpne varsler"),
        "manglende målinger og skjema": ("#/manglende-malinger", "Manglende målinger og skjema"),
        "gjennomgang": ("#/gjennomgang", "Gjennomgang av brukerlister"),
        "finn pasient": ("#/pasient", "Finn pasient"),
        "pasient": (f"#/pasient/bodo/{patient_id}", name),
    }
    found: dict[str, list[dict[str, object]]] = {}

    for view, (hash_, heading) in views.items():
        page.goto(f"{centre.page_url}/{hash_}")
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        found[view] = axe_violations(page)
    page.goto(f"{centre.page_url}/#/arbeidsliste")
    page.locator(f'[data-key="close-{alert.alert_id}"]').click()
    expect(page.get_by_role("dialog")).to_be_visible()
    found["lukk-skjema"] = axe_violations(page)

    assert found == {view: [] for view in found}


def test_the_demo_login_page_passes_axe(centre: Centre, context_page: Page) -> None:
    context_page.goto(centre.page_url)
    context_page.wait_for_url(f"{centre.api.issuer.url}/authorize?*")

    assert axe_violations(context_page) == []


@pytest.fixture
def context_page(login: Callable[[str], Page], centre: Centre) -> Page:
    page = login(NURSE)  # a logged-in tab, then a fresh one that has no session yet
    page.evaluate("sessionStorage.clear()")
    return page


def test_an_expired_session_goes_back_to_the_login(centre: Centre, login: Callable[[str], Page]) -> None:
    centre.api.issuer.token_lifetime = 2
    try:
        page = login(NURSE)
        expect(page.get_by_role("heading", name="Åpne varsler")).to_be_visible()
        time.sleep(2.5)

        page.get_by_role("link", name="Manglende målinger og skjema", exact=True).click()

        page.wait_for_url(f"{centre.api.issuer.url}/authorize?*")
        expect(page.get_by_role("heading", name="Lokal demo-innlogging")).to_be_visible()
    finally:
        centre.api.issuer.token_lifetime = 600
