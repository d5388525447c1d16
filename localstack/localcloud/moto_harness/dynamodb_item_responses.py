"""DynamoDB: moto 5.2.5 runs every item of a read response through its generic shape serializer.

``Query``, ``Scan``, ``GetItem`` and ``BatchGetItem`` results already hold their items in DynamoDB's wire
format (``{"S": ...}``, ``{"N": ...}``, ...); the serializer still walks the output shape attribute by
attribute (≈60 % of a 10-item ``Query`` here, about 25 ms under load), which made the readings pipeline's
per-patient window queries the slowest step of the local cloud. The envelope (counts, keys, capacity)
still goes through moto's serializer; the item maps are written out as JSON directly, which is what the
serializer produces for them. Items with binary attributes (bytes, base64-encoded by the serializer)
take moto's own path.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.responses import ActionContext, ActionResult
from moto.dynamodb.responses import DynamoResult

_ITEM_KEYS = ("Items", "Item", "Responses")


def apply() -> None:
    original = DynamoResult.execute_result

    def execute_result(self: DynamoResult, context: ActionContext) -> Any:
        result = self.result
        if not isinstance(result, dict) or not any(key in result for key in _ITEM_KEYS):
            return original(self, context)
        try:
            items = {key: json.dumps(result[key], separators=(",", ":")) for key in _ITEM_KEYS if key in result}
        except TypeError:  # bytes in a binary attribute
            return original(self, context)
        envelope = {key: value for key, value in result.items() if key not in items}
        status, headers, body = ActionResult(envelope).execute_result(context)
        document = json.loads(body) if body else {}
        document.update({key: result[key] for key in items})
        return status, headers, json.dumps(document, separators=(",", ":"))

    DynamoResult.execute_result = execute_result  # type: ignore[method-assign,assignment]
