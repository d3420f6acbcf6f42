"""`yousu knowledge-import`: the hyphenated name, like the project's other commands (`check-deploy`,
`open311-key`); the command lives in knowledge_import.py, importable by the tests."""

from .knowledge_import import Command  # noqa: F401
