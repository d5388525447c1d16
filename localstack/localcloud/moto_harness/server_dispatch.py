"""moto 5.2.5's server lists its own package directory (an ``isdir`` per service, ~200) on every request.

``DomainDispatcherApplication.get_backend_for_host`` asks ``backends.list_of_moto_modules()`` whether the
host names a service, under the dispatcher's global lock, so every request to the harness paid for a
directory scan and all requests queued behind it. The list cannot change while the server runs: it is
read once.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from moto import backends


def apply() -> None:
    original = backends.list_of_moto_modules
    modules = functools.cache(lambda: tuple(original()))

    def list_of_moto_modules() -> Iterable[str]:
        return modules()

    backends.list_of_moto_modules = list_of_moto_modules
