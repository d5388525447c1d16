"""Check rendered resources against fhir.resources' R4B models before they leave the platform.

Only the export function imports this module (the ``fhir`` layer ships fhir.resources; the ingest path
never loads it). The models check structure, cardinality and data types (and validate every resource
inside a Bundle), not value-set bindings: a wrong code in a required binding is the renderers' tests'
business.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError


class InvalidFhirResource(ValueError):
    """A rendered resource failed validation. The message names the failing paths only, never a value."""


def validate_r4b(resource: dict[str, Any]) -> None:
    model = get_fhir_model_class(str(resource.get("resourceType")))
    try:
        model.model_validate(resource)
    except ValidationError as invalid:
        paths = sorted({".".join(str(part) for part in error["loc"]) for error in invalid.errors()})
        raise InvalidFhirResource(
            f"{resource.get('resourceType')} is not valid FHIR R4B at {', '.join(paths[:10])}"
        ) from None
