"""How fast a metric can really change between two readings of the same patient.

Only body weight has a limit. A body gains or loses weight only as fast as it takes in or loses fluid
and tissue, so a jump far beyond that is a unit mix-up (a scale sending pounds as kg shows 2.2 times the weight) or
someone else on the scale, and storing it would raise a false weight-gain alert. SpO2, pulse, blood
pressure, temperature and respiratory rate can change within minutes, and a sudden change there is
exactly what must reach a nurse: they get no limit. Nor does glucose (meals, insulin and illness move
it several-fold within hours); its limit is the glucometer's range (``dho.domain.metrics``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from dho.domain.metrics import Metric


@dataclass(frozen=True, slots=True)
class ChangeLimit:
    """The largest change from the previous reading a real body can show: ``allowance`` whatever the
    interval (scale error, clothes, a meal or a dialysis session), plus ``per_day`` for each day between
    the two measurements (canonical units)."""

    allowance: float
    per_day: float

    def allows(self, previous: float, value: float, elapsed: timedelta) -> bool:
        days = abs(elapsed) / timedelta(days=1)
        return abs(value - previous) <= self.allowance + self.per_day * days


# Weight: haemodialysis removes up to ~4-5 kg in a session, heavy diuresis or fluid overload ~2-3 kg a
# day; 5 kg + 3 kg/day is above all of them yet far below pounds-as-kg (82 kg -> 180.8). It is also far
# above the heart-failure alert (2 kg in 3 days), so no real gain worth an alert is ever refused.
CHANGE_LIMITS: Mapping[Metric, ChangeLimit] = {
    Metric.BODY_WEIGHT: ChangeLimit(allowance=5.0, per_day=3.0),
}
