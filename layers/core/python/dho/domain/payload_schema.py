"""Wire format v1 of a device message, as a device or its gateway publishes it over MQTT.

The JSON Schema in ``events/schema/`` is generated from these models (a test keeps them equal).
Example::

    {"schema": "dho.device-reading/1",
     "device": {"id": "oxi-0001", "model": "Nonin 3230"},
     "reading_id": "oxi-0001-000123",
     "measured_at": "2026-11-27T08:15:03+01:00",
     "measurements": [{"metric": "spo2", "value": 94, "unit": "%"},
                      {"metric": "heart_rate", "value": 88, "unit": "/min"}]}

A symptom report carries ``"symptoms": {"questionnaire": "copd", "answers": {...}}`` (a questionnaire of
``dho/questionnaires``) instead of
``measurements``. The IoT rule adds ``tenant``, ``device_id`` (both from the topic, so they are the
authenticated identity), ``received_at`` (epoch milliseconds) and ``raw`` (the payload's bytes, base64)
before the message reaches SQS. The rules engine re-serialises the payload it parsed, which would hide a
key given twice; ``raw`` is what the device sent, and the parser reads that.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SCHEMA_V1 = "dho.device-reading/1"

IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
Identifier = Annotated[str, StringConstraints(pattern=IDENTIFIER_PATTERN)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=64)]

_WIRE = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)


class WireDevice(BaseModel):
    model_config = _WIRE

    id: Identifier = Field(description="The device's thing name; must equal the topic's device id.")
    model: ShortText | None = Field(default=None, description="Make and model, for the FHIR Device.")


class WireMeasurement(BaseModel):
    model_config = _WIRE

    metric: ShortText = Field(description="spo2, heart_rate, respiratory_rate, systolic_bp, "
                                          "diastolic_bp, body_weight, body_temperature, blood_glucose")
    value: float
    unit: ShortText = Field(description="UCUM unit or a common alias (lb, °F, mg/dL, mmHg, bpm...)")


# An option's code, a boolean, an integer (ESAS-r 0-10) or several option codes (pain sites); the integer
# and the list were added compatibly: every v1 message before them is still valid.
WireAnswer = ShortText | bool | int | Annotated[list[ShortText], Field(min_length=1, max_length=16)]


class WireSymptoms(BaseModel):
    model_config = _WIRE

    questionnaire: ShortText = Field(description="the key of a questionnaire (GET /questionnaires): copd, "
                                                 "heart_failure, diabetes, phq9, gad7, esas_r, ...")
    answers: dict[ShortText, WireAnswer] = Field(min_length=1, max_length=32)


class DevicePayloadV1(BaseModel):
    model_config = ConfigDict(**_WIRE, populate_by_name=True, title="DHO device reading v1")

    schema_id: Literal["dho.device-reading/1"] = Field(alias="schema")
    device: WireDevice
    reading_id: Identifier = Field(description="Unique per device; a replay reuses it.")
    measured_at: Annotated[str, StringConstraints(max_length=40)] = Field(
        description="ISO 8601 with a UTC offset, e.g. 2026-11-27T08:15:03+01:00")
    measurements: list[WireMeasurement] | None = Field(default=None, min_length=1, max_length=16)
    symptoms: WireSymptoms | None = None


class RuleEnvelope(BaseModel):
    """The fields the IoT topic rule adds to every payload."""

    model_config = ConfigDict(strict=True, frozen=True)

    tenant: Identifier
    device_id: Identifier
    received_at: Annotated[int, Field(gt=0, lt=10**14)]
    raw: str | None = None  # encode(*, 'base64'); absent in messages queued before the rule added it


ENVELOPE_FIELDS = frozenset(RuleEnvelope.model_fields)
