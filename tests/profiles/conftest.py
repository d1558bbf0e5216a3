"""Fixtures of the profiles tests (the session's worker is in tests/conftest.py)."""
