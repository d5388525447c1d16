"""The caseload review in Chromium: GIVEN an enrolled patient whose review is due WHEN a nurse opens the
Gjennomgang tab THEN the patient is listed as due, in words; marking them reviewed by keyboard records the
nurse and the next review date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Page, expect

from dho.domain.clock import utc_now
from tests.e2e.web.conftest import Centre, axe_violations, tab_to


def test_a_nurse_marks_a_due_patient_reviewed_by_keyboard(centre: Centre, login: Callable[[str], Page]) -> None:
    due = utc_now().date() - timedelta(days=1)
    patient_id, name, _ = centre.patient(review_on=due)
    page = login("centre_nurse-1")

    page.get_by_role("link", name="Gjennomgang").click()

    row = page.locator(f'tr[data-patient="{patient_id}"]')
    expect(row).to_contain_text(name)
    expect(row).to_contain_text("Bodø kommune")  # the municipality's name, not the tenant id
    expect(row).to_contain_text(f"Forfalt {due.isoformat()}")
    assert axe_violations(page) == []
    tab_to(page, f'[data-key="review-{patient_id}"]')
    page.keyboard.press("Enter")
    expect(page.locator("#neste")).to_be_focused()
    next_review = page.locator("#neste").input_value()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    row = page.locator(f'tr[data-patient="{patient_id}"]')
    expect(row).to_contain_text("Sist: 9100001")
    expect(row).not_to_contain_text("Forfalt")
    stored = centre.enrolments.get(patient_id)
    assert stored is not None and stored.review_on.isoformat() == next_review > due.isoformat()
