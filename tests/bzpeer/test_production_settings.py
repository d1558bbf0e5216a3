"""The production settings' rules, each checked in a fresh process that imports
them with a given environment: refused placeholder keys, opt-in HSTS preload
and subdomains, the proxy header trusted only on request, production as the
default of the WSGI and Celery entry points, and the deployment files."""

import json
import os
import re
import secrets
import subprocess
import sys

import pytest
import yaml

from tests.helpers.paths import ROOT

GOOD_KEY = secrets.token_urlsafe(50)
# Variables the rules read: a test sets the ones it means, the rest are unset.
RULE_VARIABLES = {
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "BEHIND_TLS_PROXY",
    "SECURE_HSTS_PRELOAD",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_SECONDS",
    "SECURE_SSL_REDIRECT",
}
SHOW_SETTINGS = """
import json
from bzpeer.settings import production as s
print(json.dumps({
    "SECRET_KEY": s.SECRET_KEY,
    "DEBUG": s.DEBUG,
    "SECURE_PROXY_SSL_HEADER": getattr(s, "SECURE_PROXY_SSL_HEADER", None),
    "SECURE_HSTS_PRELOAD": s.SECURE_HSTS_PRELOAD,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": s.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "SILENCED_SYSTEM_CHECKS": s.SILENCED_SYSTEM_CHECKS,
}))
"""


def _environment(**extra):
    inherited = {k: v for k, v in os.environ.items() if k not in RULE_VARIABLES}
    return {**inherited, "ALLOWED_HOSTS": "bzpeer.example.org", **extra}


def _python(code, **extra_env):
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_environment(**extra_env),
    )


def _production(**extra_env):
    """The production settings imported with ``extra_env``: (settings, None)
    or (None, stderr) when the import fails."""
    result = _python(SHOW_SETTINGS, **extra_env)
    if result.returncode != 0:
        return None, result.stderr
    return json.loads(result.stdout), None


def _refused(key):
    settings, error = _production(SECRET_KEY=key)
    assert settings is None, f"production accepted SECRET_KEY {key!r}"
    assert "ImproperlyConfigured" in error
    assert "SECRET_KEY" in error
    # It says what to do, and does not print the key it refused.
    assert "secrets.token_urlsafe(50)" in error
    if key:
        assert key not in error
    return error


def _env_example_key():
    text = (ROOT / ".env.example").read_text()
    match = re.search(r"^SECRET_KEY=(.*)$", text, re.MULTILINE)
    assert match, ".env.example has no SECRET_KEY line"
    return match.group(1).strip()


def _development_default_key():
    result = _python("from bzpeer.settings import base; print(base.SECRET_KEY)")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_good_key_boots_with_debug_off():
    settings, error = _production(SECRET_KEY=GOOD_KEY)
    assert error is None
    assert settings["SECRET_KEY"] == GOOD_KEY
    assert settings["DEBUG"] is False


def test_the_env_example_placeholder_is_refused():
    # Long enough for a length rule alone: it is refused as a placeholder.
    key = _env_example_key()
    assert len(key) >= 50
    assert "placeholder" in _refused(key)


def test_the_development_default_key_is_refused():
    key = _development_default_key()
    assert key
    assert "placeholder" in _refused(key)


def test_an_empty_key_is_refused():
    assert "empty" in _refused("")


def test_a_key_shorter_than_50_characters_is_refused():
    assert "too weak" in _refused(secrets.token_urlsafe(50)[:49])
    settings, error = _production(SECRET_KEY=secrets.token_urlsafe(50)[:50])
    assert error is None, error


def test_a_key_with_fewer_than_5_distinct_characters_is_refused():
    assert "too weak" in _refused("abcd" * 20)
    settings, error = _production(SECRET_KEY="abcde" * 12)
    assert error is None, error


def test_hsts_preload_and_subdomains_are_off_and_their_warnings_silenced():
    settings, error = _production(SECRET_KEY=GOOD_KEY)
    assert error is None, error
    assert settings["SECURE_HSTS_PRELOAD"] is False
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    silenced = set(settings["SILENCED_SYSTEM_CHECKS"])
    assert {"security.W005", "security.W021"} <= silenced
    # Exactly those two among Django's security checks.
    assert {c for c in silenced if c.startswith("security.")} == {
        "security.W005",
        "security.W021",
    }


@pytest.mark.parametrize(
    "variable, check",
    [
        ("SECURE_HSTS_PRELOAD", "security.W021"),
        ("SECURE_HSTS_INCLUDE_SUBDOMAINS", "security.W005"),
    ],
)
def test_opting_in_turns_hsts_flag_on_and_unsilences_its_check(variable, check):
    settings, error = _production(SECRET_KEY=GOOD_KEY, **{variable: "True"})
    assert error is None, error
    assert settings[variable] is True
    assert check not in settings["SILENCED_SYSTEM_CHECKS"]
    other = {"security.W005", "security.W021"} - {check}
    assert other <= set(settings["SILENCED_SYSTEM_CHECKS"])


def test_the_proxy_header_is_trusted_only_behind_a_proxy():
    settings, error = _production(SECRET_KEY=GOOD_KEY)
    assert error is None, error
    assert settings["SECURE_PROXY_SSL_HEADER"] is None
    settings, error = _production(SECRET_KEY=GOOD_KEY, BEHIND_TLS_PROXY="False")
    assert settings["SECURE_PROXY_SSL_HEADER"] is None
    settings, error = _production(SECRET_KEY=GOOD_KEY, BEHIND_TLS_PROXY="True")
    assert error is None, error
    assert settings["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def _check_deploy(**extra_env):
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_environment(
            DJANGO_SETTINGS_MODULE="bzpeer.settings.production", **extra_env
        ),
    )


@pytest.mark.parametrize(
    "opt_in",
    [{}, {"SECURE_HSTS_PRELOAD": "True", "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True"}],
    ids=["defaults", "hsts-opted-in"],
)
def test_check_deploy_has_no_hsts_warnings(opt_in):
    result = _check_deploy(SECRET_KEY=GOOD_KEY, **opt_in)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "security.W005" not in output
    assert "security.W021" not in output
    assert "no issues" in result.stdout


def test_wsgi_defaults_to_production():
    # With no DJANGO_SETTINGS_MODULE, the WSGI entry point loads production:
    # DEBUG off, and no boot at all without a real key.
    code = (
        "import os, bzpeer.wsgi; from django.conf import settings; "
        "print(os.environ['DJANGO_SETTINGS_MODULE'], settings.DEBUG)"
    )
    result = _python(code, SECRET_KEY=GOOD_KEY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["bzpeer.settings.production", "False"]
    result = _python(code)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_celery_defaults_to_production():
    code = (
        "import os, bzpeer.celery; from django.conf import settings; "
        "print(os.environ['DJANGO_SETTINGS_MODULE'], settings.DEBUG)"
    )
    result = _python(code, SECRET_KEY=GOOD_KEY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["bzpeer.settings.production", "False"]


def test_scripts_that_start_gunicorn_or_celery_name_their_settings():
    # The entry points default to production; the local runs must say theirs.
    for script in sorted((ROOT / "scripts").glob("*.sh")):
        text = script.read_text()
        starts = re.search(r"bin/(gunicorn|celery) ", text)
        if starts:
            assert re.search(
                r"^export DJANGO_SETTINGS_MODULE=\S+", text, re.MULTILINE
            ), f"{script.name} starts {starts.group(1)} on the default settings"


def test_dockerignore_keeps_env_files_out_of_the_image():
    lines = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert ".env" in lines
    assert ".env.*" in lines
    # The image's build step makes a throwaway key, not a fixed one.
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert not re.search(r"SECRET_KEY=[\w-]", dockerfile)


def test_compose_publishes_gunicorn_on_loopback_only():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        if name in ("web", "worker", "beat"):
            for port in service.get("ports", []):
                assert str(port).startswith("127.0.0.1:"), (name, port)
    assert compose["services"]["web"]["ports"]
    environment = compose["x-app"]["environment"]
    assert environment["BEHIND_TLS_PROXY"] == "${BEHIND_TLS_PROXY:-False}"
