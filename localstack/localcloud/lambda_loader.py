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
    ``module_name`` keeps several instances apart, e.g. one per tenant."""
    name = module_name or f"{function}_handler"
    folder = FUNCTIONS / function
    if str(folder) not in sys.path:  # the asset's root, as in Lambda: the handler imports its sibling modules
        sys.path.append(str(folder))
    # Each instance gets its own sibling modules, as each Lambda function has its own process: a shared
    # module (a Powertools Router) would be bound to whichever instance included it last.
    for loaded, module in list(sys.modules.items()):
        if Path(getattr(module, "__file__", None) or "/").parent == folder:
            del sys.modules[loaded]
    spec = importlib.util.spec_from_file_location(name, FUNCTIONS / function / "handler.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
