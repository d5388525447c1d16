"""Cohort evaluation of the scoring engine: a cohort generator built from the literature, the metrics,
two simple baselines, and the report (``make evaluate``; see EVALUATION.md)."""
