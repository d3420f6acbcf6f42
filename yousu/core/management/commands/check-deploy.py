"""`yousu check-deploy`: the name the documentation uses (commands are spelt with hyphens, like
`yousu open311-key`); the checks live in check_deploy.py, importable by the tests."""

from .check_deploy import Command  # noqa: F401
