"""Digital home follow-up (DHO): the domain package shared by every Lambda function.

Importable unchanged in tests (``layers/core/python`` on the path) and in Lambda (``/opt/python``).
Importing it must stay cheap: heavy modules (fhir.resources, numba kernels) are imported by the
modules that need them, never here.
"""

__version__ = "0.1.0"
