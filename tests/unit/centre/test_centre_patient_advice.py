"""What the patient's devices were told reaches the nurse's patient view and the GP's FHIR export
(Communication, about the reading's Observation; not-done when it could not be sent)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dho.domain.advice import Advice, AdviceKind, AdviceZone, SendOutcome, advice_message_id
from dho.domain.plan_advice import ADVICE_TEMPLATES, AdviceLanguage
from tests.support.centre_client import HandlerClient
from tests.support.centre_fakes import CLAIMS, NOW, OWN_PATIENT, FakeCentre

RED = ADVICE_TEMPLATES["copd"][AdviceLanguage.BOKMAL].red


@pytest.fixture
def centre() -> FakeCentre:
    # GIVEN the red SpO2 r-1 of two hours ago was answered on the oximeter with the plan's red advice,
    # and a later reading's advice could not be sent (IoT Core throttled)
    centre = FakeCentre()
    log = centre.tenants["bodo"].advice_log
    measured = NOW - timedelta(hours=2)
    log.record(Advice(advice_message_id("bodo", "r-1"), "bodo", OWN_PATIENT, "oxi-0001", "r-1", AdviceKind.ZONE,
                      AdviceZone.RED, RED, AdviceLanguage.BOKMAL, 1, measured, sent_at=measured + timedelta(seconds=3),
                      outcome=SendOutcome.SENT))
    later = NOW - timedelta(hours=1)
    log.record(Advice(advice_message_id("bodo", "r-2"), "bodo", OWN_PATIENT, "oxi-0001", "r-2", AdviceKind.ZONE,
                      AdviceZone.GREEN, "Fortsett som vanlig.", AdviceLanguage.BOKMAL, 1, later, sent_at=later,
                      outcome=SendOutcome.NOT_SENT, error="ThrottlingException"))
    return centre


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, centre: FakeCentre) -> HandlerClient:
    return HandlerClient(monkeypatch, centre)


def test_the_patient_view_lists_the_advice_the_patient_got_and_what_could_not_be_sent(client: HandlerClient) -> None:
    answer = client.call("GET", f"/patients/bodo/{OWN_PATIENT}", CLAIMS["centre_nurse"])

    assert answer.status == 200
    assert [(a["reading_id"], a["zone"], a["text"], a["outcome"], a["error"]) for a in answer.body["advice"]] == [
        ("r-1", "red", RED, "sent", None), ("r-2", "green", "Fortsett som vanlig.", "not_sent", "ThrottlingException")]


def test_the_fhir_export_carries_the_advice_as_communications_about_the_readings_observation(
    client: HandlerClient,
) -> None:
    answer = client.call("GET", f"/patients/bodo/{OWN_PATIENT}/fhir", CLAIMS["gp"],
                         query="since=2026-12-01T00:00:00Z&until=2026-12-08T00:00:00Z")

    assert answer.status == 200  # the Bundle is validated as R4B before it is returned
    entries = {e["fullUrl"]: e["resource"] for e in answer.body["entry"]}
    told = [r for r in entries.values() if r["resourceType"] == "Communication"]
    assert [(c["status"], c["category"][0]["coding"][0]["code"]) for c in told] == [
        ("completed", "red"), ("not-done", "green")]
    assert told[0]["payload"] == [{"contentString": RED}]
    [about] = told[0]["about"]
    assert entries[about["reference"]]["resourceType"] == "Observation"  # r-1's SpO2, in the same Bundle
    assert "ThrottlingException" in told[1]["statusReason"]["text"]
