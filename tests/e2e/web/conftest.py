"""The nurses' page in a real Chromium: the page is built once per session with the npm script
(``npm run build:web``), served by the local cloud's web host in front of a centre API on the moto server,
with the local issuer's demo login (authorization code + PKCE). Chromium is Debian's (``apt-get install
chromium``): Playwright drives it through ``executable_path``."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from dho.adapters.dynamodb_alerts import DynamoDbAlerts
from dho.adapters.dynamodb_enrolments import DynamoDbEnrolments
from dho.adapters.dynamodb_plans import DynamoDbPlans
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.centre.enrolment import Enrolment
from dho.domain.alerts import Alert, AlertState, alert_id_for
from dho.domain.clock import utc_now
from dho.domain.findings import Rule, Severity
from infra.config import PlatformConfig
from tests.support.centre_http import CentreOnMoto, centre_api_on_moto

REPO_ROOT = Path(__file__).resolve().parents[3]
PAGE_DIR = REPO_ROOT / "build" / "web"
AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO_ROOT / "build" / "screenshots"  # of the worklist and the patient page (the README shows one)
pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def built_page() -> Path:
    subprocess.run(["npm", "run", "--silent", "build:web"], cwd=REPO_ROOT, check=True, timeout=300)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return PAGE_DIR


# Per module, not per session: Playwright's sync API holds an event loop while it runs, and later tests of
# the session (asyncio.run in the MQTT tests) need none running.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # Playwright's own browser download is not reachable here: Debian's chromium (no skip when it is missing).
    chromium = playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium")
    yield chromium
    chromium.close()


@dataclass
class Centre:
    running: CentreOnMoto
    gp_hpr: str

    def __post_init__(self) -> None:
        self.api = self.running.api
        table = self.running.tenants["bodo"]["table_name"]
        self.enrolments = DynamoDbEnrolments(self.running.dynamodb, table)
        self.alerts = DynamoDbAlerts(self.running.dynamodb, table)
        self.timeline = DynamoDbTimeline(self.running.dynamodb, table)
        self.plans = DynamoDbPlans(self.running.dynamodb, table)
        self.registry = DynamoDbRegistry(self.running.dynamodb, table)

    @property
    def page_url(self) -> str:
        assert self.api.page is not None
        return self.api.page.url

    def patient(self, *, gp: str | None = None, programme: str = "copd", review_on: date = date(2026, 4, 6)
                ) -> tuple[str, str, str]:
        """A fresh enrolled patient of Bodø: (patient id, name, code)."""
        suffix = uuid.uuid4().hex[:8].upper()
        patient_id, code, name = f"P-W{suffix}", f"H-{suffix[:4]}", f"Pasient {suffix[:4]}"
        self.enrolments.enrol(Enrolment(patient_id, name, code, programme, "salten", gp or "9199999", (),
                                        f"V-{code}", date(2026, 1, 5), date(2026, 1, 6), review_on))
        return patient_id, name, code

    def alert(self, patient_id: str, severity: Severity, *, opened: datetime, rule: Rule = Rule.SPO2_BAND) -> Alert:
        alert = Alert(alert_id_for(patient_id, rule, opened), patient_id, rule, severity, AlertState.OPEN,
                      opened, opened, opened, ("r-1",), "SpO2", "test")
        self.alerts.save(alert, None)
        return alert

    def stored(self, alert: Alert) -> Alert:
        found = self.alerts.get(alert.alert_id)
        assert found is not None
        return found


@pytest.fixture(scope="module")
def centre(
    e2e_moto_endpoint: str, templates: dict[str, dict[str, Any]], platform_config: PlatformConfig, built_page: Path,
) -> Iterator[Centre]:
    """Salten's centre API (serving Bodø) with its page, on the moto server's tables."""
    gp = next(s.hpr for s in platform_config.tenants[0].staff if s.role == "gp")
    assert gp is not None
    with centre_api_on_moto(e2e_moto_endpoint, templates, platform_config, built_page) as running:
        yield Centre(running, gp)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    # The browser's own zone is New York: the page must still show Norwegian time.
    ctx = browser.new_context(locale="nb-NO", timezone_id="America/New_York", viewport={"width": 1400, "height": 900})
    yield ctx
    ctx.close()


@pytest.fixture
def login(context: BrowserContext, centre: Centre) -> Callable[[str], Page]:
    """Log in as a demo user through the issuer's login page (code + PKCE), by keyboard; the page after it."""

    def log_in(user: str) -> Page:
        page = context.new_page()
        page.goto(centre.page_url)
        page.wait_for_url(f"{centre.api.issuer.url}/authorize?*")
        page.get_by_role("button", name=user, exact=True).focus()
        page.keyboard.press("Enter")
        page.wait_for_url(f"{centre.page_url}/#/*")
        return page

    return log_in


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A/AA + best practice)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())  # evaluated by the driver, not a page <script>: the CSP stays as deployed
    results: dict[str, Any] = page.evaluate(
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})")
    assert results["passes"], "axe-core checked nothing"
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in results["violations"] if v["impact"] in ("serious", "critical")]


def tab_to(page: Page, selector: str, *, limit: int = 200) -> None:
    """Press Tab until the focused element matches ``selector`` (how a keyboard user gets there)."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def hours_ago(hours: float) -> datetime:
    return utc_now() - timedelta(hours=hours)
