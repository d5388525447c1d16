"""The local web host serves the built page and nothing else: GIVEN a build directory WHEN paths are asked
for THEN files under it are served with their types, ``/`` is the page, ``/config.json`` the generated
settings, and a path that climbs out of the directory is not found."""

from __future__ import annotations

import json
from pathlib import Path

from localcloud.web_host import LocalWebHost, local_headers


def _host(tmp_path: Path) -> LocalWebHost:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<!doctype html>")
    (tmp_path / "site" / "app.js").write_text("export {}")
    (tmp_path / "secret.txt").write_text("not for the browser")
    return LocalWebHost(tmp_path / "site", {}, {"apiUrl": "http://127.0.0.1:1"})


def test_the_page_its_files_and_its_config_are_served(tmp_path: Path) -> None:
    host = _host(tmp_path)

    assert host.answer("/")[:2] == (200, "text/html; charset=utf-8")
    assert host.answer("/app.js?v=1")[0] == 200 and "javascript" in host.answer("/app.js")[1]
    assert json.loads(host.answer("/config.json")[2]) == {"apiUrl": "http://127.0.0.1:1"}


def test_nothing_outside_the_build_directory_is_served(tmp_path: Path) -> None:
    host = _host(tmp_path)

    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/missing.js", "/../site/../secret.txt"):
        assert host.answer(path)[0] == 404, path


def test_the_csp_names_the_local_api_and_issuer_instead_of_the_deployed_ones() -> None:
    deployed = {"Content-Security-Policy": "connect-src 'self' https://*.execute-api.eu-north-1.amazonaws.com "
                                           "https://helseid-sts.nhn.no; frame-ancestors 'none'",
                "X-Frame-Options": "DENY"}

    local = local_headers(deployed, api_url="http://127.0.0.1:5001/", issuer="https://helseid-sts.nhn.no",
                          local_issuer_url="http://127.0.0.1:5002")

    assert local["Content-Security-Policy"] == (
        "connect-src 'self' http://127.0.0.1:5001 http://127.0.0.1:5002; frame-ancestors 'none'")
    assert local["X-Frame-Options"] == "DENY"
