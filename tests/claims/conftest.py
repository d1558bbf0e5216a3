"""Fixtures of the claims tests: ``enqueued`` and ``moderator`` are in
tests/conftest.py, ``approved_claim`` in tests/factories.py."""
