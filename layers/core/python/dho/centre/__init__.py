"""The response centre's service (the centre API): who the caller is, what they may see, the worklist,
acting on alerts, the patient view and records (``records``, ``series``), enrolment by decision
(``enrolment_service``), the caseload review (``caseload``) and the access log, over every tenant that
named the centre."""
