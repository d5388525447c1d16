"""``make demo``: the local cloud, ~100 simulated patients over 14 days, alerts reaching nurses."""
