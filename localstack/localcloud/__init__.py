"""The local cloud: what the emulator lacks, filled in from the synthesized templates, plus the
corpus and event helpers shared by the demo and the tests.

Named ``localcloud`` (not ``localstack``) so it never shadows the LocalStack package.
"""
