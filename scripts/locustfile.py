"""The load generator of ``make bench`` (scripts/bench.py starts it as a
second process, headless, against gunicorn): never imported by BZPEER.

Two kinds of user, chosen by name on locust's command line:

- ``OnePage`` asks one URL (``BENCH_URL``) over and over with no pause: a
  closed loop whose latency is the page's under that many connections.
- ``MixedTraffic`` is a visitor of the site: profile views, searches, work
  pages, graph slices, and, logged in as one of the plan's accounts, follows
  and unfollows (real CSRF-protected form posts) — the mix of issue 12's load
  test. The URLs come from the plan file (``BENCH_PLAN``, JSON) the benchmark
  writes from its own database.

Every request's time is kept exactly (locust's own percentiles are rounded)
and written as JSON to ``BENCH_TIMINGS`` when locust quits: {name: [ms, ...]}
and the failures {name: [reason, ...]}.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections import defaultdict

from locust import FastHttpUser, between, constant, events, task

TIMINGS: dict[str, list[float]] = defaultdict(list)
FAILURES: dict[str, list[str]] = defaultdict(list)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@events.request.add_listener
def _record(name, response_time, exception, **_):
    TIMINGS[name].append(response_time)
    if exception is not None:
        FAILURES[name].append(str(exception)[:200])


@events.quitting.add_listener
def _write(**_):
    path = os.environ.get("BENCH_TIMINGS")
    if path:
        with open(path, "w") as out:
            json.dump({"timings": TIMINGS, "failures": FAILURES}, out)


def _plan() -> dict:
    path = os.environ.get("BENCH_PLAN")
    if not path:
        return {}
    with open(path) as plan:
        return json.load(plan)


PLAN = _plan()


class OnePage(FastHttpUser):
    wait_time = constant(0)

    @task
    def page(self):
        url = os.environ["BENCH_URL"]
        with self.client.get(url, name=url, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")


class MixedTraffic(FastHttpUser):
    """A visitor: mostly reading, sometimes searching or opening the graph;
    a third of them log in and follow and unfollow researchers."""

    wait_time = between(0, 0.05)

    def on_start(self):
        self.account = None
        accounts = PLAN.get("accounts") or []
        if accounts and random.random() < 1 / 3:  # noqa: S311
            self.account = random.choice(accounts)  # noqa: S311
            self._login()

    def _token(self, url: str, name: str) -> str | None:
        response = self.client.get(url, name=name)
        found = CSRF.search(response.text or "")
        return found.group(1) if found else None

    def _login(self):
        token = self._token("/accounts/login/", "login page")
        with self.client.post(
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": token or "",
                "login": self.account["email"],
                "password": self.account["password"],
            },
            headers={"Referer": self.host + "/accounts/login/"},
            name="log in",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}")

    def _get(self, url: str, name: str, ok: tuple[int, ...] = (200,)):
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code not in ok:
                response.failure(f"status {response.status_code}")

    @task(10)
    def profile(self):
        self._get(random.choice(PLAN["profiles"]), "profile")  # noqa: S311

    @task(4)
    def search(self):
        self._get(random.choice(PLAN["searches"]), "search")  # noqa: S311

    @task(3)
    def work(self):
        self._get(random.choice(PLAN["works"]), "work page")  # noqa: S311

    @task(2)
    def graph_slice(self):
        # 202: not built yet, a worker builds it (the page asks again).
        url = random.choice(PLAN["slices"])  # noqa: S311
        self._get(url, "graph slice", ok=(200, 202))

    @task(1)
    def home(self):
        self._get("/", "home")

    @task(2)
    def follow_and_unfollow(self):
        if self.account is None:
            return
        key = random.choice(PLAN["follow"])  # noqa: S311
        profile = f"/researchers/{key}/"
        for action in ("follow", "unfollow"):
            token = self._token(profile, "profile")
            with self.client.post(
                f"{profile}{action}/",
                data={"csrfmiddlewaretoken": token or ""},
                headers={"Referer": self.host + profile},
                name=action,
                allow_redirects=False,
                catch_response=True,
            ) as response:
                if response.status_code not in (200, 302):
                    response.failure(f"{action} answered {response.status_code}")
