"""The campaign's results: a table on the terminal and ``build/campaign.json``."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from localcloud.campaign.row import Row, Verdict

_COLUMNS = (("part", 22), ("inputs", 7), ("expected", 38), ("observed", 44), ("lost", 5), ("dupl.", 5),
            ("x-tenant", 8), ("verdict", 7))


def table(rows: Sequence[Row]) -> str:
    header = "  ".join(f"{name:<{width}}" for name, width in _COLUMNS)
    lines = [header, "-" * len(header)]
    for row in rows:
        cells = (row.part, str(row.inputs), row.expected, row.observed, str(row.lost), str(row.duplicated),
                 str(row.crossed_tenants), row.verdict.value)
        wrapped = [textwrap.wrap(cell, width) or [""] for cell, (_, width) in zip(cells, _COLUMNS, strict=True)]
        for index in range(max(len(w) for w in wrapped)):
            lines.append("  ".join(f"{(w[index] if index < len(w) else ''):<{width}}"
                                   for w, (_, width) in zip(wrapped, _COLUMNS, strict=True)).rstrip())
        for note in row.notes:
            lines.extend(textwrap.wrap(note, 140, initial_indent="      - ", subsequent_indent="        "))
    lines.append("-" * len(header))
    lines.append(summary(rows))
    return "\n".join(lines)


def summary(rows: Sequence[Row]) -> str:
    verdicts = {v: sum(r.verdict is v for r in rows) for v in Verdict}
    return (f"{verdicts[Verdict.PASS]} passed, {verdicts[Verdict.FAIL]} failed, {verdicts[Verdict.NOT_RUN]} not run;"
            f" lost {sum(r.lost for r in rows)}, duplicated {sum(r.duplicated for r in rows)},"
            f" crossed tenants {sum(r.crossed_tenants for r in rows)}")


def all_passed(rows: Sequence[Row]) -> bool:
    return bool(rows) and all(row.verdict is Verdict.PASS for row in rows)


def write_json(rows: Sequence[Row], path: Path, run: Mapping[str, Any]) -> Path:
    """``run``: how the run was made (readings, broker, seconds...), so a figure can be traced to it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"schema": "dho.campaign/1", "run": dict(run), "passed": all_passed(rows),
                "rows": [row.as_dict() for row in rows]}
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
