"""Writes the centre API's OpenAPI document, generated from the handler's routes, to docs/openapi.json:
``python -m localcloud.openapi_document`` (a test checks the checked-in copy is current)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from localcloud.lambda_loader import load_handler

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def openapi_document() -> dict[str, Any]:
    document: dict[str, Any] = load_handler("centre_api", module_name="centre_api_openapi").openapi_document()
    return document


def rendered() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    DOCUMENT.write_text(rendered(), encoding="utf-8")
    print(f"wrote {DOCUMENT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
