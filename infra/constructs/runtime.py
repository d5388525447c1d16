"""CDK objects for the Lambda platform constants in ``infra/lambda_platform.py``."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_

from infra.lambda_platform import ARCHITECTURE, PYTHON_VERSION

RUNTIME = {
    "3.12": lambda_.Runtime.PYTHON_3_12,
    "3.13": lambda_.Runtime.PYTHON_3_13,
    "3.14": lambda_.Runtime.PYTHON_3_14,
}[PYTHON_VERSION]
LAMBDA_ARCHITECTURE = {"x86_64": lambda_.Architecture.X86_64, "arm64": lambda_.Architecture.ARM_64}[ARCHITECTURE]
