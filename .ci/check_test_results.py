"""Fail unless the JUnit report shows tests that ran, none skipped and none failed."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main(report: Path) -> int:
    if not report.exists():
        print(f"CI: no test report at {report}: pytest did not run", file=sys.stderr)
        return 1
    root = ET.parse(report).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    totals = {key: sum(int(s.get(key, 0)) for s in suites) for key in ("tests", "skipped", "failures", "errors")}
    print(f"CI: {totals['tests']} tests, {totals['skipped']} skipped, "
          f"{totals['failures']} failed, {totals['errors']} errors")
    if totals["tests"] == 0:
        print("CI: no test ran", file=sys.stderr)
        return 1
    if totals["skipped"]:
        skipped = [c.get("classname", "") + "::" + c.get("name", "") for c in root.iter("testcase")
                   if c.find("skipped") is not None]
        print("CI: skipped tests prove nothing here:\n  " + "\n  ".join(skipped), file=sys.stderr)
        return 1
    return 1 if totals["failures"] or totals["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
