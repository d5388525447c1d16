"""Which code goes into which layer and which function needs which layers (no CDK here).

The stacks, the size check in the tests and the docs all read this one table, so "each function gets
only the layers it needs" is stated once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from infra.lambda_platform import MAX_UNZIPPED_BYTES

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILT_LAYERS_DIR = REPO_ROOT / "build" / "layers"
FUNCTIONS_DIR = REPO_ROOT / "functions"

# Never shipped: bytecode written by local test runs and tool caches.
ASSET_EXCLUDES = ("**/__pycache__", "**/*.pyc", "**/.pytest_cache", "**/.mypy_cache", "**/.ruff_cache")


class LayerNotBuiltError(FileNotFoundError):
    """A dependency layer folder is missing: `make layers` builds it."""


@dataclass(frozen=True)
class LayerSpec:
    name: str
    description: str
    folder: Path  # the layer root; Lambda mounts its python/ at /opt/python

    def require_built(self) -> Path:
        if not (self.folder / "python").is_dir():
            raise LayerNotBuiltError(f"layer {self.name!r} is missing at {self.folder}: run `make layers`")
        return self.folder


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    handler: str
    layers: tuple[str, ...]

    @property
    def folder(self) -> Path:
        return FUNCTIONS_DIR / self.name


LAYERS = {
    spec.name: spec
    for spec in (
        LayerSpec("core", "DHO domain package (dho)", REPO_ROOT / "layers" / "core"),
        LayerSpec("runtime", "Powertools, pydantic, pydantic-settings", BUILT_LAYERS_DIR / "runtime"),
        LayerSpec("scientific", "NumPy and numba for the scoring kernels", BUILT_LAYERS_DIR / "scientific"),
        LayerSpec("fhir", "fhir.resources (R4B models) for validating the FHIR export", BUILT_LAYERS_DIR / "fhir"),
    )
}
# Only centre_api renders and validates FHIR (the export), so only it gets the fhir layer: process_readings
# + fhir would leave little room under Lambda's size limit. The fhir layer repeats pydantic (a dependency of
# fhir.resources) at the runtime layer's version: the copies are identical (tests/infra/test_layers.py).

PROCESS_READINGS = FunctionSpec(
    name="process_readings",
    handler="handler.lambda_handler",
    layers=("core", "runtime", "scientific"),
)
# The escalation sweep only reads and updates alerts: no numba, so no scientific layer (fast cold start).
ESCALATE_ALERTS = FunctionSpec(
    name="escalate_alerts",
    handler="handler.lambda_handler",
    layers=("core", "runtime"),
)
# The response centre's HTTP API: reads and acts on alerts, and serves the FHIR export (validated): no numba.
CENTRE_API = FunctionSpec(
    name="centre_api",
    handler="handler.lambda_handler",
    layers=("core", "runtime", "fhir"),
)
FUNCTIONS = {spec.name: spec for spec in (PROCESS_READINGS, ESCALATE_ALERTS, CENTRE_API)}


def unzipped_bytes(folder: Path) -> int:
    """Bytes Lambda unpacks for this folder, skipping what ASSET_EXCLUDES keeps out of the asset."""
    total = 0
    for path in folder.rglob("*"):
        if "__pycache__" in path.parts or path.suffix == ".pyc" or path.is_dir():
            continue
        if any(part in {".pytest_cache", ".mypy_cache", ".ruff_cache"} for part in path.parts):
            continue
        total += path.lstat().st_size
    return total


def bundle_bytes(function: FunctionSpec) -> dict[str, int]:
    """Unzipped size of the function's own code and of each of its layers."""
    sizes = {f"function:{function.name}": unzipped_bytes(function.folder)}
    for name in function.layers:
        sizes[f"layer:{name}"] = unzipped_bytes(LAYERS[name].require_built())
    return sizes


def check_bundle_size(function: FunctionSpec) -> int:
    """Fail before deploying a function that Lambda would reject for its size."""
    sizes = bundle_bytes(function)
    total = sum(sizes.values())
    if total > MAX_UNZIPPED_BYTES:
        detail = ", ".join(f"{part} {size / 1e6:.1f} MB" for part, size in sizes.items())
        raise ValueError(
            f"{function.name}: {total / 1e6:.1f} MB unzipped with its layers exceeds "
            f"{MAX_UNZIPPED_BYTES / 1e6:.0f} MB ({detail})"
        )
    return total
