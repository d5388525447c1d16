"""Load a function's handler module from its asset folder and call it with a Lambda-like context."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


@dataclass(frozen=True)
class FakeLambdaContext:
    """The attributes Powertools reads from the real context object."""

    function_name: str = "dho-bodo-process-readings"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-north-1:123456789012:function:dho-bodo-process-readings"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    log_group_name: str = "/aws/lambda/dho-bodo-process-readings"
    log_stream_name: str = "2026/11/27/[$LATEST]0123456789"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


def load_handler(function: str, module_name: str | None = None) -> ModuleType:
    """Import ``functions/<function>/handler.py`` afresh (it reads its environment on first use);
    ``module_name`` keeps several instances apart, e.g. one per tenant.

    Lambda runs the handler with its folder on ``sys.path``, so the handler imports the folder's other
    modules by their bare names (its route modules). They are imported afresh for each instance too and
    left out of ``sys.modules`` afterwards: two instances never share a route module (and its state)."""
    name = module_name or f"{function}_handler"
    folder = FUNCTIONS / function
    spec = importlib.util.spec_from_file_location(name, folder / "handler.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    siblings = {path.stem for path in folder.glob("*.py")} - {"handler"}
    sys.modules[name] = module
    sys.path.insert(0, str(folder))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(folder))
        for sibling in siblings:
            sys.modules.pop(sibling, None)
    return module
