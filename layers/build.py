"""Build the Lambda dependency layers without Docker.

    python layers/build.py [LAYER ...] [--force]

For each ``layers/<name>/requirements.txt`` (the core layer is source and is not built), pip installs
wheels for the Lambda platform and Python version (``infra/lambda_platform.py``) into
``build/layers/<name>/python``; then the build prunes what Lambda never imports (tests, console
scripts, the boto3 that the runtime already ships) and strips debug symbols from shared objects.

A layer whose inputs did not change is not rebuilt (``build/layers/<name>.json`` records the input
fingerprint and the sizes), so only the first run needs the package index; later runs work offline.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from infra.lambda_platform import PIP_PLATFORMS, PYTHON_VERSION  # noqa: E402

LAYERS_DIR = REPO_ROOT / "layers"
OUTPUT_DIR = REPO_ROOT / "build" / "layers"

# Bump when the pruning below changes, so existing builds are redone.
RECIPE_VERSION = 2

# The Lambda Python runtime ships boto3; a second copy in a layer would shadow it and mismatch versions.
PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer")
# Directory names that hold test suites inside installed packages (numba's alone is ~10 MB).
TEST_DIR_NAMES = frozenset({"tests", "test", "testing_data"})
# Folders of one layer that no function imports.
LAYER_SPECIFIC_PRUNES: dict[str, tuple[str, ...]] = {
    "fhir": ("fhir/resources/STU3",),  # Norway exchanges R4; R4B (kept) is wire-compatible with it
}


def dependency_layers() -> list[str]:
    return sorted(p.parent.name for p in LAYERS_DIR.glob("*/requirements.txt"))


def input_fingerprint(name: str) -> str:
    digest = hashlib.sha256()
    for part in (
        (LAYERS_DIR / name / "requirements.txt").read_bytes(),
        PYTHON_VERSION.encode(),
        " ".join(PIP_PLATFORMS).encode(),
        str(RECIPE_VERSION).encode(),
    ):
        digest.update(part)
        digest.update(b"\0")
    return digest.hexdigest()


def stamp_path(name: str) -> Path:
    return OUTPUT_DIR / f"{name}.json"


def is_up_to_date(name: str) -> bool:
    stamp = stamp_path(name)
    if not stamp.is_file() or not (OUTPUT_DIR / name / "python").is_dir():
        return False
    return bool(json.loads(stamp.read_text())["fingerprint"] == input_fingerprint(name))


def pip_install(requirements: Path, target: Path) -> None:
    platform_flags = [flag for platform in PIP_PLATFORMS for flag in ("--platform", platform)]
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--target", str(target), *platform_flags, "--implementation", "cp",
        "--python-version", PYTHON_VERSION, "--only-binary=:all:", "--no-compile",
        "-r", str(requirements),
    ]  # fmt: skip
    subprocess.run(command, check=True)


def prune(site: Path, name: str) -> None:
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts: nothing runs them in Lambda
    for package in PROVIDED_BY_RUNTIME:
        shutil.rmtree(site / package, ignore_errors=True)
        for dist_info in site.glob(f"{package}-*.dist-info"):
            shutil.rmtree(dist_info)
    for relative in LAYER_SPECIFIC_PRUNES.get(name, ()):
        shutil.rmtree(site / relative, ignore_errors=True)
    # Top-down walk: a removed test folder is not descended into.
    for root, dirs, _files in os.walk(site):
        for test_dir in [d for d in dirs if d in TEST_DIR_NAMES]:
            shutil.rmtree(Path(root) / test_dir)
            dirs.remove(test_dir)


def strip_shared_objects(site: Path) -> None:
    strip = shutil.which("strip")
    if strip is None:
        print("  strip not found: shared objects keep their debug symbols (larger layer)", file=sys.stderr)
        return
    # Libraries vendored by auditwheel (``<pkg>.libs/``) were rewritten by patchelf; strip corrupts
    # them ("ELF load command address/offset not page-aligned" when numpy loads its OpenBLAS).
    shared_objects = [
        p
        for p in site.rglob("*.so*")
        if p.is_file() and not p.is_symlink() and not any(part.endswith(".libs") for part in p.parts)
    ]
    for chunk_start in range(0, len(shared_objects), 200):
        chunk = [str(p) for p in shared_objects[chunk_start : chunk_start + 200]]
        subprocess.run([strip, "--strip-unneeded", *chunk], check=True)


def folder_bytes(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def largest_packages(site: Path, count: int = 8) -> dict[str, int]:
    sizes = {p.name: folder_bytes(p) for p in site.iterdir() if p.is_dir()}
    return dict(sorted(sizes.items(), key=lambda item: -item[1])[:count])


def build(name: str, force: bool) -> None:
    if not force and is_up_to_date(name):
        print(f"layer {name}: up to date")
        return
    print(f"layer {name}: building for Python {PYTHON_VERSION} ({', '.join(PIP_PLATFORMS)})")
    final = OUTPUT_DIR / name
    staging = OUTPUT_DIR / f"{name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    site = staging / "python"
    pip_install(LAYERS_DIR / name / "requirements.txt", site)
    prune(site, name)
    strip_shared_objects(site)
    # Swap in the finished folder only now: an interrupted build never looks complete.
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)
    total = folder_bytes(final)
    stamp = {
        "fingerprint": input_fingerprint(name),
        "python_version": PYTHON_VERSION,
        "unzipped_bytes": total,
        "largest_packages_bytes": largest_packages(final / "python"),
    }
    stamp_path(name).write_text(json.dumps(stamp, indent=2) + "\n")
    print(f"layer {name}: {total / 2**20:.1f} MiB unzipped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("layers", nargs="*", help="layers to build (default: all)")
    parser.add_argument("--force", action="store_true", help="rebuild even if the inputs did not change")
    args = parser.parse_args(argv)
    available = dependency_layers()
    unknown = sorted(set(args.layers) - set(available))
    if unknown:
        parser.error(f"unknown layers {unknown}; available: {available}")
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    for name in args.layers or available:
        build(name, args.force)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
