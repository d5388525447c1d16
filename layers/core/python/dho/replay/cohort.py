"""Reading a cohort directory (format in docs/replay.md): ``patients.jsonl``, ``devices.jsonl`` and
``messages.jsonl`` or ``messages.jsonl.gz``. A line that cannot be read is reported with its file and
line number (:class:`LineError`) and the rest is read on."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TypeVar

from dho.domain.identifiers import with_check_digits

DEFAULT_TENANT = "replay"
T = TypeVar("T")
# The production topic (infra.constructs.device_policy.readings_topic): dho/<tenant>/devices/<device>/readings.
_TOPIC = re.compile(r"^dho/([^/+#]+)/devices/([^/+#]+)/readings$")


class CohortError(ValueError):
    """The cohort directory cannot be replayed at all (a file missing)."""


@dataclass(frozen=True, slots=True)
class LineError:
    """A line that was not read: which file, which line (1-based), and why (no values from the line)."""

    file: str
    line: int
    error: str


@dataclass(frozen=True, slots=True)
class CohortPatient:
    patient_id: str
    programme: str
    tenant: str = DEFAULT_TENANT
    plan_overrides: dict[str, Any] = field(default_factory=dict)
    gp_hpr: str | None = None


@dataclass(frozen=True, slots=True)
class CohortDevice:
    device_id: str
    patient_id: str
    valid_from: datetime
    valid_to: datetime | None


@dataclass(frozen=True, slots=True)
class CohortMessage:
    """One message as it reached IoT Core: topic, the payload's exact text, and when it arrived."""

    line: int
    tenant: str
    device_id: str
    payload: str
    received_at: datetime
    # The payload as the line held it, when that was a JSON object (the rule reads it without parsing the
    # text again); None for a payload given as a string.
    document: dict[str, Any] | None = field(default=None, compare=False, repr=False)


@dataclass
class Cohort:
    patients: list[CohortPatient]
    devices: list[CohortDevice]
    messages: list[CohortMessage]  # in arrival order (ties in file order)
    errors: list[LineError]


def load_cohort(directory: Path) -> Cohort:
    errors: list[LineError] = []
    patients = list(_records(directory / "patients.jsonl", _patient, errors))
    devices = list(_records(directory / "devices.jsonl", _device, errors))
    messages_path = _messages_path(directory)
    messages = list(_records(messages_path, _message, errors))
    messages.sort(key=lambda m: m.received_at)  # stable: ties keep the file's order
    return Cohort(patients, devices, messages, errors)


def synthetic_national_id(patient_id: str) -> str:
    """A valid synthetic test number (month + 80, as Norway's test data uses) derived from the patient id:
    the registry needs a national id, and a replayed cohort must never carry a real person's."""
    digest = hashlib.sha256(patient_id.encode()).digest()
    for salt in range(256):
        n = int.from_bytes(digest[:8], "big") + salt * 7919
        day, month, year, individual = n % 28 + 1, n // 28 % 12 + 81, n // 336 % 100, n // 33600 % 1000
        number = with_check_digits(f"{day:02d}{month:02d}{year:02d}{individual:03d}")
        if number is not None:
            return number
    raise AssertionError("no synthetic national id found")  # pragma: no cover: ~1 in 5 numbers is valid


def _messages_path(directory: Path) -> Path:
    for name in ("messages.jsonl", "messages.jsonl.gz"):
        if (directory / name).is_file():
            return directory / name
    raise CohortError(f"{directory} holds neither messages.jsonl nor messages.jsonl.gz")


def _open(path: Path) -> IO[str]:
    if not path.is_file():
        raise CohortError(f"{path} is missing")
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="\n")
    return path.open(encoding="utf-8", newline="\n")


def _records(path: Path, read: Callable[[dict[str, Any], int], T], errors: list[LineError]) -> Iterator[T]:
    with _open(path) as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                document = json.loads(line)
                if not isinstance(document, dict):
                    raise ValueError("a line must be a JSON object")
                yield read(document, number)
            except (ValueError, KeyError, TypeError) as error:
                errors.append(LineError(path.name, number, _reason(error)))


def _reason(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"not JSON: {error.msg} at column {error.colno}"
    if isinstance(error, KeyError):
        return f"missing field {error.args[0]!r}"
    return str(error)


def _text(document: dict[str, Any], name: str) -> str:
    value = document[name]
    if not isinstance(value, str) or not value:
        raise TypeError(f"{name} must be a non-empty string")
    return value


def _instant(document: dict[str, Any], name: str) -> datetime:
    moment = datetime.fromisoformat(_text(document, name).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{name} needs a UTC offset")
    return moment.astimezone(UTC)


def _patient(document: dict[str, Any], _line: int) -> CohortPatient:
    overrides = document.get("plan_overrides") or {}
    if not isinstance(overrides, dict):
        raise TypeError("plan_overrides must be an object")
    gp = document.get("gp_hpr")
    return CohortPatient(
        patient_id=_text(document, "patient_id"),
        programme=_text(document, "programme"),
        tenant=document.get("tenant") or DEFAULT_TENANT,
        plan_overrides=overrides,
        gp_hpr=None if gp is None else str(gp),
    )


def _device(document: dict[str, Any], _line: int) -> CohortDevice:
    return CohortDevice(
        device_id=_text(document, "device_id"),
        patient_id=_text(document, "patient_id"),
        valid_from=_instant(document, "from"),
        valid_to=None if document.get("to") is None else _instant(document, "to"),
    )


def _message(document: dict[str, Any], line: int) -> CohortMessage:
    topic = _TOPIC.fullmatch(_text(document, "topic"))
    if topic is None:
        raise ValueError("topic is not dho/<tenant>/devices/<deviceId>/readings")
    payload = document["payload"]
    text = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    return CohortMessage(line, topic.group(1), topic.group(2), text, _instant(document, "received_at"),
                         payload if isinstance(payload, dict) else None)
