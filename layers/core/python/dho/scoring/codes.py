"""Integer codes shared by the scoring kernels: metrics, bands, NEWS2 parameters.

This module imports no numba, so ingest and API code can use the codes without paying kernel
compilation.

Code space of a reading's ``metric`` field (``0 <= code < N_CODES``):

* ``Metric`` (0-7): device measurements; ``Metric.SPO2.name.lower() == "spo2"`` is the string the
  rest of the platform uses (see ``METRIC_BY_NAME``).
* ``Observation`` (8-9): two non-device observations that only NEWS2 needs (air/oxygen and ACVPU),
  usually from a questionnaire answer or the nurse. Kept out of ``Metric`` so that iterating
  ``Metric`` still yields exactly the device metrics.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType
from typing import Final


class Metric(IntEnum):
    """Device metrics; ``.name.lower()`` is the platform's metric string (UCUM unit in the comment)."""

    SPO2 = 0  # %
    HEART_RATE = 1  # /min
    RESPIRATORY_RATE = 2  # /min
    SYSTOLIC_BP = 3  # mm[Hg]
    DIASTOLIC_BP = 4  # mm[Hg]
    BODY_WEIGHT = 5  # kg
    BODY_TEMPERATURE = 6  # Cel
    BLOOD_GLUCOSE = 7  # mmol/L

    @property
    def wire_name(self) -> str:
        """The platform's string name of the metric, e.g. ``"heart_rate"``."""
        return self.name.lower()

    @classmethod
    def from_name(cls, name: str) -> Metric:
        """Metric for a platform metric string; raises ``ValueError`` for an unknown name."""
        try:
            return METRIC_BY_NAME[name]
        except KeyError:
            raise ValueError(f"unknown metric name {name!r}") from None


METRIC_BY_NAME: Final[Mapping[str, Metric]] = MappingProxyType({m.name.lower(): m for m in Metric})


class Observation(IntEnum):
    """Non-device observations, in the same code space as ``Metric`` (values follow it)."""

    SUPPLEMENTAL_OXYGEN = 8  # value 0.0 = breathing air, 1.0 = on supplemental oxygen
    CONSCIOUSNESS = 9  # value = an ``Acvpu`` code


N_CODES: Final = 10  # number of codes per patient: series index = patient * N_CODES + code


class Acvpu(IntEnum):
    """Consciousness on the ACVPU scale; any code other than ALERT scores 3 in NEWS2."""

    ALERT = 0
    NEW_CONFUSION = 1
    VOICE = 2
    PAIN = 3
    UNRESPONSIVE = 4


class Band(IntEnum):
    """Traffic-light band of a reading against its patient's personal limits."""

    GREEN = 0
    YELLOW = 1
    RED = 2


class Spo2Scale(IntEnum):
    """NEWS2 SpO2 scale, chosen per patient by the plan (never by the oxygen flag)."""

    SCALE_1 = 1
    SCALE_2 = 2  # confirmed hypercapnic respiratory failure, target 88-92 %


class News2Param(IntEnum):
    """NEWS2 parameters in chart order; the value is the column in sub-scores and the bit in ``present``."""

    RESPIRATORY_RATE = 0
    SPO2 = 1
    AIR_OR_OXYGEN = 2
    SYSTOLIC_BP = 3
    PULSE = 4
    CONSCIOUSNESS = 5
    TEMPERATURE = 6


# Reading code that feeds each NEWS2 parameter, indexed by News2Param.
NEWS2_SOURCE_CODES: Final[tuple[int, ...]] = (
    Metric.RESPIRATORY_RATE,
    Metric.SPO2,
    Observation.SUPPLEMENTAL_OXYGEN,
    Metric.SYSTOLIC_BP,
    Metric.HEART_RATE,
    Observation.CONSCIOUSNESS,
    Metric.BODY_TEMPERATURE,
)


class News2Band(IntEnum):
    """NEWS2 clinical risk band (RCP 2017).

    NO_DATA is ours: no parameter was present, which must not read as a total of 0.
    """

    NO_DATA = -1
    NONE = 0  # total 0
    LOW = 1  # total 1-4
    LOW_URGENT_REVIEW = 2  # total 1-4 with a single parameter scoring 3
    MEDIUM = 3  # total 5-6 (with or without a single 3)
    HIGH = 4  # total >= 7
