"""``make run``'s settings mode (``bzpeer.settings.serve``) served by a real
gunicorn, as ``scripts/run.sh`` starts it: DEBUG off, the designed 404 page,
hashed and compressed static files with far-future cache headers."""

import os
import re
import subprocess
import sys
import time

import pytest
import requests

from tests.helpers.celery_worker import worker_database_url
from tests.helpers.paths import ARTIFACTS, ROOT
from tests.helpers.redis_server import spare_port

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_SECONDS = 30
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
# ``manage.py collectstatic`` with the packages of production and of the
# tests (requirements/run.txt, dev.txt): without brotli, which only the
# benchmark's set brings (bench.txt) and with which WhiteNoise would spend
# half a minute compressing every file a second time when a virtualenv has
# both.
COLLECTSTATIC_AS_IN_PRODUCTION = """
import runpy
import sys

sys.modules["brotli"] = None
sys.argv = ["manage.py", "collectstatic", "--noinput", "-v", "0"]
runpy.run_path("manage.py", run_name="__main__")
"""


@pytest.fixture(scope="module")
def served(django_db_setup, tmp_path_factory):
    """gunicorn on a spare port in the serve mode, after collectstatic into a
    folder of the module's own; its base URL. One for the module: its tests
    only read from it, and collectstatic compresses every static file."""
    inherited = {
        k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "bzpeer.settings.serve",
        "SECRET_KEY": "serve-test-" + "k" * 40,
        "DATABASE_URL": worker_database_url(),
        "STATIC_ROOT": str(tmp_path_factory.mktemp("serve") / "static"),
    }
    subprocess.run(
        [sys.executable, "-c", COLLECTSTATIC_AS_IN_PRODUCTION],
        cwd=ROOT,
        env=env,
        check=True,
    )
    port = spare_port()
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "gunicorn-serve.log", "w") as log:
        process = subprocess.Popen(
            [GUNICORN, "bzpeer.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + WAIT_SECONDS
    try:
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.RequestException:  # not listening, or still booting
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("gunicorn did not answer; see gunicorn-serve.log")
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_missing_page_is_the_sites_404_not_a_debug_page(served):
    response = requests.get(f"{served}/researchers/DOESNOTEXIST/", timeout=10)

    assert response.status_code == 404
    assert "<title>Page not found – BZPEER</title>" in response.text
    assert "URLconf" not in response.text  # Django's debug page lists them


def test_css_is_hashed_compressed_and_cached_for_long(served):
    home = requests.get(served, timeout=10)
    css = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', home.text)
    assert css, "the stylesheet's name carries its hash"

    response = requests.get(
        served + css.group(1), headers={"Accept-Encoding": "gzip"}, timeout=10
    )

    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    cache_control = response.headers["Cache-Control"]
    assert "immutable" in cache_control
    max_age = int(re.search(r"max-age=(\d+)", cache_control).group(1))
    assert max_age >= 365 * 24 * 60 * 60


def test_the_serve_mode_refuses_to_start_without_a_secret_key():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bzpeer.settings.serve",
        "SECRET_KEY": "",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
