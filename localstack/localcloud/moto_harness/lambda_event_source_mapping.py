"""An event source mapping on an alias reports the alias ARN as ``FunctionArn``, as AWS does.

moto 5.2.5 resolves ``FunctionName: <name>:live`` to the version the alias points at and stores that
version's ARN (``…:function:<name>:1``). A poller that invokes ``FunctionArn`` would then keep calling the
old version after the alias moves on an update; on AWS the mapping names the alias (``…:<name>:live``).
"""

from __future__ import annotations

import re
from typing import Any

from moto.awslambda.models import EventSourceMapping
from moto.awslambda.utils import get_backend
from moto.sqs.models import sqs_backends

from localcloud.moto_harness._util import wrap_classmethod


def _create(original: Any, cls: type, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
            region_name: str, **kwargs: Any) -> EventSourceMapping:
    mapping: EventSourceMapping = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    function_name = str(cloudformation_json["Properties"]["FunctionName"])
    qualifier = function_name.rsplit(":", 1)[-1] if ":" in function_name.split(":function:")[-1] else None
    if qualifier and not re.fullmatch(r"\d+|\$LATEST", qualifier):
        alias = get_backend(account_id, region_name).get_alias(qualifier, function_name.rsplit(":", 1)[0])
        for queue in sqs_backends[account_id][region_name].queues.values():
            if queue.lambda_event_source_mappings.get(mapping.function_arn) is mapping:
                del queue.lambda_event_source_mappings[mapping.function_arn]
                queue.lambda_event_source_mappings[alias.arn] = mapping
        mapping.function_arn = alias.arn
    return mapping


def apply() -> None:
    wrap_classmethod(EventSourceMapping, "create_from_cloudformation_json", _create)
