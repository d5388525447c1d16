"""DynamoDB: moto 5.2.5 runs every item of a read response through its generic shape serializer.

``Query``, ``Scan``, ``GetItem`` and ``BatchGetItem`` results already hold their items in DynamoDB's wire
format (``{"S": ...}``, ``{"N": ...}``, ...); the serializer still walks the output shape attribute by
attribute (≈60 % of a 10-item ``Query`` here, about 25 ms under load), which made the readings pipeline's
per-patient window queries the slowest step of the local cloud. Its envelope (counts, the next page's
key, consumed capacity) is plain JSON as well: the whole result, restricted to the operation's output
members as the serializer would, is written out as JSON directly; status and headers still come from
moto's serializer (of an empty result). A result with anything JSON cannot hold as is (bytes of a
binary attribute, which the serializer base64-encodes; timestamps) takes moto's own path.
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
        members = context.operation_model.output_shape.members if context.operation_model.output_shape else {}
        try:
            body = json.dumps({key: value for key, value in result.items() if key in members and value is not None},
                              separators=(",", ":"))
        except TypeError:  # bytes in a binary attribute
            return original(self, context)
        status, headers, _ = ActionResult({}).execute_result(context)
        return status, headers, body

    DynamoResult.execute_result = execute_result  # type: ignore[method-assign,assignment]
