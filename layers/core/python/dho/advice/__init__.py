"""Advice back to the patient's device after each scored reading (issue: the patient's side of the loop)."""
