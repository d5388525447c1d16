"""FHIR export of a patient's home-monitoring data, with the Normen access log written first."""
