"""Code the tests share, by subject: record loaders and replays of the
outside services, snapshot trees, the test broker, real worker processes.

Fixtures live in the ``conftest.py`` files; nothing imports a ``conftest.py``
or a test module: what two test modules share is here."""
