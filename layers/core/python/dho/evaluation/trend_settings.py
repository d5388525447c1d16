"""The trend settings the alert rules run with (no numpy: the centre API's charts show the same trends)."""

from __future__ import annotations

from dho.scoring.trend_params import TrendParams

# 74 h rather than 72: a morning weight three days ago is still "three days ago" if taken a bit later.
TREND_PARAMS = TrendParams(change_window_h=74.0, rolling_sd_floor=1.0)
