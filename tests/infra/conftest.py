"""The infra tests read the templates of the session's one synth: the fixtures ``platform_config``,
``assembly_dir`` and ``templates`` are in ``tests/conftest.py`` (shared with the local-cloud tests, so a
full run synthesizes once)."""
