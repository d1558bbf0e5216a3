"""The compose file grows as docs/operations.md says: workers scale on one
host, beat stays one, and the replica and gunicorn's workers are settings."""

import yaml

from tests.helpers.paths import ROOT


def _services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_workers_scale_on_one_host():
    # `docker compose up --scale worker=N` refuses a fixed container name and
    # cannot publish one host port N times.
    worker = _services()["worker"]
    assert "container_name" not in worker
    assert "ports" not in worker


def test_beat_is_one():
    beat = _services()["beat"]
    assert "deploy" not in beat
    assert beat["command"].startswith("celery -A bzpeer beat")


def test_the_replica_and_gunicorn_workers_come_from_the_environment():
    services = _services()
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_REPLICA_URL"] == "${DATABASE_REPLICA_URL:-}"
    assert "--workers ${WEB_CONCURRENCY:-3}" in services["web"]["command"]
