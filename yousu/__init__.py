"""Yousu (有诉): a platform for 12345-style citizen-appeal hotlines."""

__version__ = "0.1.0"
