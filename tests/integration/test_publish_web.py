"""GIVEN a built page WHEN it is published to the centre's page bucket THEN every file is there with its
content type, config.json names the API, the issuer and the page's client, and what a new build replaces
under the same name is never cached."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import boto3
import pytest

from infra.config import Identity
from infra.publish_web import page_config, publish

pytestmark = pytest.mark.integration


def test_the_page_and_its_config_are_published(moto_endpoint: str, tmp_path: Path) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_endpoint)
    bucket = f"page-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
    for name, text in {"index.html": "<!doctype html>", "app.js": "export {}", "app.css": "body{}"}.items():
        (tmp_path / name).write_text(text)
    identity = Identity(issuer="https://helseid-sts.test.nhn.no", web_client_id="dho-centre-web-salten")

    keys = publish(tmp_path, bucket, page_config("https://abc.execute-api.eu-north-1.amazonaws.com/", identity), s3)

    assert keys[0] == "config.json" and keys[-1] == "index.html"
    config = s3.get_object(Bucket=bucket, Key="config.json")
    assert json.loads(config["Body"].read()) == {
        "apiUrl": "https://abc.execute-api.eu-north-1.amazonaws.com", "authority": "https://helseid-sts.test.nhn.no",
        "clientId": "dho-centre-web-salten", "scope": "openid profile"}
    index, bundle = s3.get_object(Bucket=bucket, Key="index.html"), s3.get_object(Bucket=bucket, Key="app.js")
    assert (index["ContentType"], index["CacheControl"]) == ("text/html", "no-cache")
    assert config["CacheControl"] == "no-cache"
    assert bundle["ContentType"] in ("text/javascript", "application/javascript")


def test_an_unbuilt_page_is_not_published(moto_endpoint: str, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="npm run build:web"):
        publish(tmp_path, "any-bucket", {}, boto3.client("s3", endpoint_url=moto_endpoint))
