"""moto 5.2.5 works out on every request what cannot change while the harness serves.

``BaseResponse.call_action`` lists the response class's methods with ``inspect.getmembers`` (every
attribute of the class, ~0.4 ms) to see whether the action is one of them, and converts the action's
name to snake case character by character. Both depend only on the class and the name, which are fixed
once the patches are applied (before serving): each is computed once.
"""

from __future__ import annotations

import functools
from typing import Any

from moto.core import responses


def apply() -> None:
    module: Any = responses  # the names below are moto's imports into that module, patched where it looks
    original = module.method_names_from_class
    module.method_names_from_class = functools.cache(lambda cls: frozenset(original(cls)))
    module.camelcase_to_underscores = functools.lru_cache(maxsize=4096)(module.camelcase_to_underscores)
