"""Privacy: nothing the run wrote on disk (function logs, the harness and broker logs, the nurses'
outbox) holds a patient's national id or the personal data a device slipped into a payload, and no
SMS text holds a number (a measured value or a phone number). Runs last: it reads what the others wrote."""

from __future__ import annotations

import re
from pathlib import Path

from dho.alerting.messages import patient_code
from localcloud.campaign.hostile_bodies import PII_NAME, PII_NATIONAL_ID, PII_PHONE
from localcloud.campaign.row import Row
from localcloud.campaign.runner import Campaign

EXPECTED = "no name, national id, phone number or measured value"
# A number standing on its own (a value like 84 or 37,9, a phone number); "NEWS2" or a patient code
# like "83ZW" are not numbers on their own.
STANDALONE_NUMBER = re.compile(r"(?<![\w.,+])\+?\d+(?:[.,]\d+)?(?![\w])")
# "(+1 til)": how many more findings the alert has, a count the message template adds, not a value.
MORE_FINDINGS = re.compile(r"\(\+\d+ (?:til|more)\)")


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def run(campaign: Campaign) -> Row:
    secrets = {"patient name": [PII_NAME], "phone number": [PII_PHONE],
               "national id": [PII_NATIONAL_ID, *campaign.fleet.national_ids]}
    files = _files(campaign.state_dir)
    leaks: list[str] = []
    scanned = 0
    for path in files:
        content = path.read_bytes()
        scanned += len(content)
        for kind, values in secrets.items():
            found = [value for value in values if value.encode() in content]
            if found:
                leaks.append(f"{kind} in {path.relative_to(campaign.state_dir)} ({len(found)} distinct)")
    sms = [entry for entry in campaign.cloud.nurse_messages() if entry.channel == "sms"]
    codes = {patient_code(p.patient_id) for c in campaign.fleet.cohorts for p in c.patients}
    numbers = sorted({n for entry in sms for n in STANDALONE_NUMBER.findall(MORE_FINDINGS.sub("", entry.text))
                      if n not in codes})
    if numbers:
        leaks.append(f"numbers in SMS texts: {', '.join(numbers[:10])}")
    notes = [f"scanned {len(files)} files ({scanned / 1e6:.1f} MB) under {campaign.state_dir.name}/: "
             + ", ".join(sorted({p.name for p in files})), f"{len(sms)} SMS texts checked", *leaks]
    return Row.judged("privacy", len(files) + len(sms), EXPECTED,
                      f"{len(leaks)} leak(s)" if leaks else "nothing found",
                      lost=0, duplicated=0, crossed_tenants=0, other_failures=len(leaks), notes=notes)
