"""The trend settings (no numpy, no numba): the API (``dho.scoring.api.trends``) and the plain-Python
reference (``dho.scoring.reference``) take the same parameters, so code without the scientific layer
(the centre API's charts) computes the trends the scoring does."""

from __future__ import annotations

import math
from dataclasses import dataclass

# ESC heart-failure patient guidance: weight up more than 2 kg in 3 days -> contact the nurse.
HEART_FAILURE_WINDOW_H = 72.0


@dataclass(frozen=True, slots=True)
class TrendParams:
    """Trend settings (same for every series; run metrics with different settings separately).

    half_life_h: EWMA half-life, hours. cusum_k: CUSUM allowance in SD units (alarm level h is
    applied by the caller to ``TrendResult.cusum_up/down``, also in SD units; 0.5 / 5 are the usual
    textbook defaults). change_window_h: window of slope and change (72 h = the heart-failure rule).
    rolling_*: the "below 7-day mean - 1.645 SD" rule (Cooper 2020); min_prior is our guess;
    rolling_sd_floor in the metric's unit (e.g. 1.0 for SpO2 in whole %).
    """

    half_life_h: float = 72.0
    cusum_k: float = 0.5
    change_window_h: float = HEART_FAILURE_WINDOW_H
    rolling_window_h: float = 7 * 24.0
    rolling_k: float = 1.645
    rolling_min_prior: int = 5
    rolling_sd_floor: float = 0.0

    def __post_init__(self) -> None:
        if not (self.half_life_h > 0 and math.isfinite(self.half_life_h)):
            raise ValueError("half_life_h must be a positive number of hours")
        if not (self.change_window_h >= 0 and self.rolling_window_h >= 0):
            raise ValueError("windows must be >= 0 hours")
        if self.rolling_min_prior < 2:
            raise ValueError("rolling_min_prior must be >= 2 (an SD needs two readings)")
        if not (math.isfinite(self.cusum_k) and math.isfinite(self.rolling_k) and self.rolling_sd_floor >= 0):
            raise ValueError("cusum_k and rolling_k must be finite, rolling_sd_floor >= 0")
