"""Every test runs against fake credentials in an EEA region: nothing here can reach a real account."""

from __future__ import annotations

import os

os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-north-1",
    "AWS_REGION": "eu-north-1",
    "POWERTOOLS_SERVICE_NAME": "process_readings",
    "POWERTOOLS_METRICS_NAMESPACE": "DHO",
    "POWERTOOLS_TRACE_DISABLED": "true",
})
os.environ.pop("AWS_PROFILE", None)
