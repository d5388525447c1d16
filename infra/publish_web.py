"""Publish a centre's nurses' page after ``cdk deploy``: ``python -m infra.publish_web --centre salten``.

Uploads build/web (``npm run build:web``) to the page bucket the centre stack created, writes ``config.json``
from the stack's outputs and the tenant file's ``[identity]`` (the API's URL, the issuer, the page's client id
and scopes: nothing about a deployment is compiled into the page), then invalidates CloudFront's cache.
Uses the standard AWS credentials and region of the environment.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import sys
import time
from pathlib import Path
from typing import Any

from infra.app import TENANTS_FILE_VARIABLE, centre_stack_name
from infra.config import DEFAULT_CONFIG_FILE, Identity, load_config
from infra.layer_catalog import REPO_ROOT

BUILD_DIR = REPO_ROOT / "build" / "web"
# The names a new build reuses are never cached for long; the rest briefly (the bundle is not content-hashed).
NO_CACHE = frozenset({"index.html", "config.json"})
SHORT_CACHE = "public, max-age=300"


def page_config(api_url: str, identity: Identity) -> dict[str, str]:
    """What the page reads from /config.json (web/src/config.ts)."""
    return {"apiUrl": api_url.rstrip("/"), "authority": identity.issuer, "clientId": identity.web_client_id,
            "scope": identity.web_scope}


def publish(build_dir: Path, bucket: str, config: dict[str, str], s3: Any) -> list[str]:
    """Upload the built page and its config.json; the keys written, index.html last (it names the others)."""
    if not (build_dir / "index.html").is_file():
        raise FileNotFoundError(f"{build_dir / 'index.html'} is missing: run `npm run build:web` first")
    files = sorted((p for p in build_dir.rglob("*") if p.is_file()), key=lambda p: p.name == "index.html")
    keys = []
    s3.put_object(Bucket=bucket, Key="config.json", Body=json.dumps(config).encode(),
                  ContentType="application/json", CacheControl="no-cache")
    keys.append("config.json")
    for path in files:
        key = path.relative_to(build_dir).as_posix()
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=kind,
                      CacheControl="no-cache" if key in NO_CACHE else SHORT_CACHE)
        keys.append(key)
    return keys


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def main(argv: list[str] | None = None) -> int:
    import boto3  # an operator's command: the CDK app itself never needs boto3

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--centre", required=True, help="centre_id in the tenant file")
    parser.add_argument("--build", type=Path, default=BUILD_DIR)
    args = parser.parse_args(argv)
    config = load_config(Path(os.environ.get(TENANTS_FILE_VARIABLE, DEFAULT_CONFIG_FILE)))
    outputs = stack_outputs(boto3.client("cloudformation"), centre_stack_name(args.centre))
    keys = publish(args.build, outputs["WebBucket"], page_config(outputs["ApiUrl"], config.identity),
                   boto3.client("s3"))
    boto3.client("cloudfront").create_invalidation(DistributionId=outputs["WebDistribution"], InvalidationBatch={
        "Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": f"publish-web-{time.time_ns()}"})
    print(f"published {len(keys)} files; the page: {outputs['WebUrl']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
