"""Terminology for FHIR export: LOINC codes and UCUM units of the vital-signs profile and
the Norwegian identifier systems (HL7 Norway NamingSystems)."""

from __future__ import annotations

from dho.domain.metrics import Metric

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

# Identifier systems of this platform (URNs: no web host to own or keep alive).
READING_IDENTIFIER_SYSTEM = "urn:dho:reading"
PATIENT_IDENTIFIER_SYSTEM = "urn:dho:patient"  # the pseudonymous patient id, <tenant>/<P-…>
DEVICE_IDENTIFIER_SYSTEM = "urn:dho:device"  # <tenant>/<device id>
ADVICE_IDENTIFIER_SYSTEM = "urn:dho:advice"  # <tenant>/<message id> of an advice sent to a device
ADVICE_ZONE_SYSTEM = "urn:dho:advice-zone"  # green | yellow | red | unknown

# HL7 Norway's identifier namespaces (no-kodeverk-identifikator-namespace): fødselsnummer, D-nummer and
# hjelpenummer (an assigned number while the person has no other: the month of birth + 40).
FODSELSNUMMER_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.1"
D_NUMMER_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.2"
H_NUMMER_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.3"

# HL7 Norway's base profile for a Norwegian patient (the only no-basis profile of what the export holds).
NO_BASIS_PATIENT = "http://hl7.no/fhir/StructureDefinition/no-basis-Patient"

# metric -> (LOINC code, display). SpO2 also carries 2708-6 (the vital-signs profile's code).
LOINC_BY_METRIC: dict[Metric, tuple[str, str]] = {
    Metric.SPO2: ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
    Metric.HEART_RATE: ("8867-4", "Heart rate"),
    Metric.RESPIRATORY_RATE: ("9279-1", "Respiratory rate"),
    Metric.SYSTOLIC_BP: ("8480-6", "Systolic blood pressure"),
    Metric.DIASTOLIC_BP: ("8462-4", "Diastolic blood pressure"),
    Metric.BODY_WEIGHT: ("29463-7", "Body weight"),
    Metric.BODY_TEMPERATURE: ("8310-5", "Body temperature"),
    Metric.BLOOD_GLUCOSE: ("14743-9", "Glucose [Moles/volume] in Capillary blood by Glucometer"),
}
SPO2_PROFILE_CODE = ("2708-6", "Oxygen saturation in Arterial blood")
BLOOD_PRESSURE_PANEL = ("85354-9", "Blood pressure panel with all children optional")

# HL7 Norway: HPR-nummer (Helsepersonellregisteret), the identifier of the nurse who acts on an alert.
HPR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.4"
