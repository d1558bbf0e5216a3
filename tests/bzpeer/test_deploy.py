"""The deployment artefacts stay valid: compose file and production settings."""

import os
import secrets
import shutil
import subprocess
import sys

import pytest

from tests.helpers.paths import ROOT


def test_docker_compose_file_is_valid():
    if shutil.which("docker-compose") is None:
        pytest.fail("docker-compose is missing: make test installs it")
    result = subprocess.run(
        ["docker-compose", "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "SECRET_KEY": "", "PORT": "8000"},
    )
    assert result.returncode == 0, result.stderr


def test_docker_compose_runs_the_whole_stack():
    result = subprocess.run(
        ["docker-compose", "config", "--services"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert sorted(result.stdout.split()) == ["beat", "db", "redis", "web", "worker"]


def _production_check(**extra_env):
    # The browser tests allow sync ORM calls in their own process; a deployment
    # never sets that, so the check runs without it.
    inherited = {
        k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "bzpeer.settings.production",
        "ALLOWED_HOSTS": "bzpeer.example.org",
        **extra_env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )


def test_production_settings_pass_check_deploy():
    result = _production_check(SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_refuses_to_boot_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(
        DJANGO_SETTINGS_MODULE="bzpeer.settings.production",
        ALLOWED_HOSTS="bzpeer.example.org",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
