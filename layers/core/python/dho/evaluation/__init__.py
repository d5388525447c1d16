"""From a patient's recent timeline and plan to an :class:`~dho.domain.findings.Evaluation`."""
