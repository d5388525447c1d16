"""Alerting: from scoring's findings to alert records and nurse notifications (policy, message texts)."""
