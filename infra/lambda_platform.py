"""The Lambda platform the functions run on, in one place.

Pure constants (no CDK import): ``layers/build.py`` reads them to build wheels for exactly the Python
version and CPU the stacks deploy, so layers and runtime cannot drift apart.
"""

# Python 3.13 rather than the newest Lambda runtime: the layers are built for it and developers and CI
# can run a function locally in the same minor version (see docs/infra.md). Bump together with a rebuild.
PYTHON_VERSION = "3.13"

# x86_64 so that the layer folders built here also import on the x86_64 machines that run the local
# checks; numba's compiled code and the wheels are per architecture.
ARCHITECTURE = "x86_64"
PIP_PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64")

# Lambda's hard limit is 262,144,000 bytes (250 MiB) unzipped for a function plus all its layers;
# we stop at 240 MB (decimal) to keep a margin for growing dependencies.
MAX_UNZIPPED_BYTES = 240_000_000
