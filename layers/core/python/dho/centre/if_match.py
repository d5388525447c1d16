"""The alert version a nurse acted on, from the request's ``If-Match`` (the ETag the API answered with).
Every action on an alert needs it: a retry is recognised by it, a stale write refused (409)."""

from __future__ import annotations

import re

_VERSION = re.compile(r'^(?:W/)?"?([1-9][0-9]{0,8})"?$')


class PreconditionRequired(Exception):
    """No If-Match (428)."""


class BadPrecondition(ValueError):
    """An If-Match that is not an alert version (400)."""


def expected_version(if_match: str | None) -> int:
    if if_match is None:
        raise PreconditionRequired("send If-Match with the alert's version (from the worklist)")
    match = _VERSION.fullmatch(if_match.strip())
    if match is None:
        raise BadPrecondition('If-Match must be the alert\'s version, e.g. "3"')
    return int(match[1])


def etag(version: int) -> str:
    return f'"{version}"'
