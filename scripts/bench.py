#!/usr/bin/env python
"""``make bench``: measure BZPEER's load path, its workers and its pages side
by side with the floors they are read against, and write the results to
docs/benchmarks.md with the command, the machine, the date and the commit.

Runs against a database of its own (``bzpeer_bench``, dropped and created
afresh; override with BENCH_DATABASE_URL), never the development one, and
its own Celery queue and cache prefix (bzpeer.settings.bench):

1. load: the bundled sample, then a generated snapshot (``generate_snapshot``,
   deterministic for its seed) — first load and identical reload, each a
   ``load_openalex_snapshot`` process of its own (wall time, records/s, peak
   memory); beside them two floors: PostgreSQL's ``COPY`` of exactly the rows
   the loader wrote into the same tables without indexes, and decompressing
   and parsing the same part files with orjson and nothing else;
2. scale-out: the same load with 1 and with 2 worker processes, and whether
   the two catalogs are identical (natural keys and values);
3. trust: every researcher's trust recomputed by Celery workers;
4. pages: gunicorn (2 workers, DEBUG off) under a closed-loop load from a
   second process (locust, headless), each page beside the framework floor
   (a one-line view on the same server), warm; cold (caches emptied before
   each request) from one client; queries per page;
5. mixed traffic (issue 12's load test): profile views, searches, work pages,
   graph slices, logins, follows and unfollows from many users at once —
   requests and errors by kind;
6. the research graph's slice, cold and warm, and the search's plans.

    make bench                     # BENCH_SCALE=full: 100,000 works
    make bench BENCH_SCALE=small   # a few minutes' worth
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "works" / "sample_data" / "snapshot"
REPORT = ROOT / "docs" / "benchmarks.md"
BENCH_DB = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bzpeer_bench"
)
SETTINGS = "bzpeer.settings.bench"
VENV_BIN = Path(sys.executable).parent
# What each scale generates and how long each page is loaded.
SCALES = {
    "small": {"works": 1_500, "authors": 500, "seconds": 3, "cold": 10},
    "full": {"works": 100_000, "authors": 30_000, "seconds": 15, "cold": 30},
}
SEED = 20261201
# Connections the load generator keeps open against gunicorn's 2 workers.
USERS = 4
MIXED_USERS = 8


def _say(message: str) -> None:
    """Progress on stderr; the report goes to stdout and the file."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _environment(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "DATABASE_URL": BENCH_DB,
        **extra,
    }


def _database_create(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(_environment())
    _database_create(BENCH_DB)
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    cache.clear()


def _measured(command: list[str], env: dict[str, str] | None = None):
    """Run ``command`` (a process of its own) to its end and return (wall
    seconds, peak resident memory in MiB of it and its children)."""
    start = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603
        command,
        cwd=ROOT,
        env=env or _environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        error = process.stderr.read().decode()[-2000:]
        raise SystemExit(f"{' '.join(command)} failed:\n{error}")
    return seconds, usage.ru_maxrss / 1024


def _manage(*args: str, env: dict[str, str] | None = None):
    return _measured([sys.executable, "manage.py", *args], env=env)


def _records_in(folder: Path) -> int:
    count = 0
    for part in sorted(folder.rglob("part_*.gz")):
        with gzip.open(part, "rb") as handle:
            count += sum(1 for _ in handle)
    return count


def _last_run():
    from works.models import ImportRun

    return ImportRun.objects.order_by("-pk").first()


def _loader_tables() -> list[str]:
    """The tables an OpenAlex load writes: the catalog's and the researchers'
    (each holding rows after the load)."""
    from django.db import connection

    with connection.cursor() as cursor:
        tables = [
            name
            for name in connection.introspection.table_names(cursor)
            if name.startswith(("works_", "profiles_"))
        ]
        held = []
        for name in tables:
            cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{name}")')  # noqa: S608
            if cursor.fetchone()[0]:
                held.append(name)
    return held


def _copy_floor() -> tuple[float, int]:
    """PostgreSQL's own speed on exactly the rows the loader wrote: export
    every loader table (binary COPY), then time COPY of all of them into
    tables of the same columns with no index, key or constraint; return
    (seconds, rows)."""
    import psycopg

    tables = _loader_tables()
    rows = 0
    with psycopg.connect(BENCH_DB) as conn, tempfile.TemporaryDirectory() as tmp:
        files = {}
        for name in tables:
            path = Path(tmp) / f"{name}.bin"
            with conn.cursor() as cursor, open(path, "wb") as out:
                with cursor.copy(f'COPY "{name}" TO STDOUT (FORMAT binary)') as copy:
                    for data in copy:
                        out.write(data)
                rows += cursor.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608
            files[name] = path
        conn.execute("DROP SCHEMA IF EXISTS bench_floor CASCADE")
        conn.execute("CREATE SCHEMA bench_floor")
        for name in tables:
            conn.execute(f'CREATE UNLOGGED TABLE bench_floor."{name}" (LIKE "{name}")')
            columns = conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'bench_floor' AND table_name = %s "
                "AND is_nullable = 'NO'",
                [name],
            ).fetchall()
            for (column,) in columns:
                conn.execute(
                    f'ALTER TABLE bench_floor."{name}" '
                    f'ALTER COLUMN "{column}" DROP NOT NULL'
                )
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cursor:
            for name, path in files.items():
                with (
                    cursor.copy(
                        f'COPY bench_floor."{name}" FROM STDIN (FORMAT binary)'
                    ) as copy,
                    open(path, "rb") as source,
                ):
                    while chunk := source.read(1 << 20):
                        copy.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - start
        conn.execute("DROP SCHEMA bench_floor CASCADE")
        conn.commit()
    return seconds, rows


def _parse_floor(folder: Path) -> tuple[float, int]:
    """Decompress and parse every line of the snapshot's part files with
    orjson and nothing else; return (seconds, records)."""
    import orjson

    records = 0
    start = time.perf_counter()
    for part in sorted(folder.rglob("part_*.gz")):
        with gzip.open(part, "rb") as handle:
            for line in handle:
                orjson.loads(line)
                records += 1
    return time.perf_counter() - start, records


def _catalog_fingerprint() -> str:
    """A digest of the catalog by natural keys and values only (no surrogate
    ids, no timestamps), so two loads that wrote the same catalog in any
    order give the same digest."""
    from django.db import connection

    queries = [
        "SELECT openalex_id, display_name, works_count, cited_by_count, orcid "
        "FROM profiles_researcher ORDER BY openalex_id",
        "SELECT openalex_id, title, publication_year, cited_by_count, doi, "
        "arxiv_id FROM works_work ORDER BY openalex_id",
        "SELECT w.openalex_id, r.openalex_id, a.position FROM works_authorship a "
        "JOIN works_work w ON w.id = a.work_id "
        "LEFT JOIN profiles_researcher r ON r.id = a.researcher_id "
        "ORDER BY 1, 3, 2",
    ]
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for query in queries:
            cursor.execute(query)
            for row in cursor.fetchall():
                digest.update(repr(row).encode())
    return digest.hexdigest()[:16]


def _loader_options() -> str:
    help_text = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "load_openalex_snapshot", "--help"],
        cwd=ROOT,
        env=_environment(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return help_text


@contextmanager
def _processes(commands: list[list[str]], env: dict[str, str], log: Path):
    """Start background processes (workers, a web server) and stop them all
    at the end, whatever happened."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started = []
    with open(log, "a") as output:
        try:
            for command in commands:
                started.append(
                    subprocess.Popen(  # noqa: S603
                        command,
                        cwd=ROOT,
                        env=env,
                        stdout=output,
                        stderr=output,
                        start_new_session=True,
                    )
                )
            yield started
        finally:
            for process in started:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
            for process in started:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def _workers(count: int):
    """``count`` Celery worker processes (one task at a time each) on the
    benchmark's queue."""
    from django.conf import settings

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    return _processes(
        [
            [
                str(VENV_BIN / "celery"),
                "-A",
                "bzpeer",
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "-n",
                f"bench{n}@%h",
                "--loglevel=WARNING",
            ]
            for n in range(count)
        ],
        _environment(),
        ROOT / ".run" / "bench-workers.log",
    )


def _queue_purge() -> None:
    from django.conf import settings

    from bzpeer.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)


def _trust(workers: int = 2) -> tuple[float, int]:
    """Every researcher's trust recomputed by ``workers`` Celery worker
    processes, 500 researchers a task; (seconds, researchers)."""
    from celery import group

    from profiles.models import Researcher
    from profiles.tasks import researcher_trust_recompute

    _queue_purge()  # the loads' own after-run recomputes
    ids = list(Researcher.objects.order_by("pk").values_list("pk", flat=True))
    chunks = [ids[i : i + 500] for i in range(0, len(ids), 500)]
    with _workers(workers):
        researcher_trust_recompute.delay([ids[0]]).get(timeout=120)  # ready
        start = time.perf_counter()
        updated = group(researcher_trust_recompute.s(c) for c in chunks)
        total = sum(updated.apply_async().get(timeout=3600))
        seconds = time.perf_counter() - start
    return seconds, total


def _spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, seconds: float = 60) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer within {seconds} s")
        time.sleep(0.2)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _locust(host: str, user: str, seconds: int, users: int, **env: str) -> dict:
    """Run locust headless from a process of its own against ``host`` and
    return {name: {"count", "errors", "rps", "p50", "p95", "reasons"}}."""
    with tempfile.TemporaryDirectory() as tmp:
        timings = Path(tmp) / "timings.json"
        subprocess.run(  # noqa: S603
            [
                str(VENV_BIN / "locust"),
                "-f",
                str(ROOT / "scripts" / "locustfile.py"),
                "--headless",
                "--host",
                host,
                "--users",
                str(users),
                "--spawn-rate",
                str(users),
                "--run-time",
                f"{seconds}s",
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--exit-code-on-error",
                "0",
                user,
            ],
            cwd=ROOT,
            env={**os.environ, "BENCH_TIMINGS": str(timings), **env},
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        data = json.loads(timings.read_text())
    result = {}
    for name, times in data["timings"].items():
        reasons = data["failures"].get(name, [])
        result[name] = {
            "count": len(times),
            "errors": len(reasons),
            "rps": len(times) / seconds,
            "p50": statistics.median(times),
            "p95": _percentile(times, 0.95),
            "reasons": sorted(set(reasons))[:3],
        }
    return result


def _cold(host: str, url: str, requests_count: int) -> tuple[float, float]:
    """(p50, p95) in ms of ``url`` asked by one client, every cache emptied
    before each request: rendering from the database alone."""
    import requests
    from django.core.cache import cache

    session = requests.Session()
    times = []
    for _ in range(requests_count):
        cache.clear()
        start = time.perf_counter()
        response = session.get(host + url, timeout=60)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code} (cold)")
    return statistics.median(times), _percentile(times, 0.95)


def _page_queries(url: str) -> int:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.get(url)
    cache.clear()  # the queries of a rendering, not of a cached answer
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def _bench_pages() -> list[tuple[str, str]]:
    """The pages measured, as (label, URL), chosen from the loaded data."""
    from django.db.models import Count

    from profiles.models import Researcher
    from works.models import Work

    researchers = Researcher.objects.filter(is_hidden=False)
    by_size = researchers.annotate(n=Count("authorships")).order_by("-n", "id")
    largest = by_size.values_list("openalex_id", "n").first()
    total = researchers.count()
    median = by_size.values_list("openalex_id", "n")[total // 2]
    work = (
        Work.objects.filter(openalex_id__isnull=False, canonical__isnull=True)
        .order_by("-cited_by_count", "id")
        .values_list("openalex_id", flat=True)[Work.objects.count() // 2]
    )
    surname = Researcher.objects.get(pk=by_size.first().pk).display_name.split()[-1]
    return [
        ("framework floor (one-line view)", "/bench/floor"),
        ("home", "/"),
        ("reference profile (4 works)", "/researchers/A5100000001/"),
        (f"median profile ({median[1]} works)", f"/researchers/{median[0]}/"),
        (f"largest profile ({largest[1]} works)", f"/researchers/{largest[0]}/"),
        ("largest profile, page 3", f"/researchers/{largest[0]}/?page=3"),
        (f"search '{surname.lower()}'", f"/search?q={surname.lower()}"),
        ("work page (median citations)", f"/works/{work}/"),
        ("graph slice of the median profile", f"/graph/slice/researcher/{median[0]}/"),
    ]


def _cold_url(url: str) -> str:
    """The address a cold request asks: a graph slice not cached answers 202
    and leaves the build to a worker, so cold it is asked with ``?build=1``,
    which builds it within the request (the explorer's last try)."""
    return url + "?build=1" if url.startswith("/graph/slice/") else url


def _mixed_plan(folder: Path, pages: list[tuple[str, str]]) -> Path:
    """The mixed-traffic plan: URLs drawn from the data, and accounts (with
    verified addresses) to log in as."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    from profiles.models import Researcher
    from works.models import Work

    keys = list(
        Researcher.objects.filter(is_hidden=False)
        .order_by("?")
        .values_list("openalex_id", flat=True)[:300]
    )
    works = list(
        Work.objects.filter(openalex_id__isnull=False)
        .order_by("?")
        .values_list("openalex_id", flat=True)[:300]
    )
    names = [
        name.split()[-1].lower()
        for name in Researcher.objects.order_by("?").values_list(
            "display_name", flat=True
        )[:50]
    ]
    accounts = []
    password = "bench-password-1"  # noqa: S105 - accounts of the bench's own database
    User = get_user_model()
    for n in range(20):
        email = f"bench{n}@example.org"
        user = User.objects.create_user(
            username=f"bench{n}", email=email, password=password
        )
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        accounts.append({"email": email, "password": password})
    plan = {
        "profiles": [f"/researchers/{key}/" for key in keys],
        "searches": [f"/search?q={name}" for name in names],
        "works": [f"/works/{key}/" for key in works],
        "slices": [f"/graph/slice/researcher/{key}/" for key in keys[:60]],
        "follow": keys[:100],
        "accounts": accounts,
    }
    path = folder / "plan.json"
    path.write_text(json.dumps(plan))
    return path


def _serve(port: int):
    """gunicorn as ``make run`` starts it (2 workers, DEBUG off), on the
    benchmark's settings and database, with a Celery worker beside it (the
    graph's slices are built by workers)."""
    from django.conf import settings

    return _processes(
        [
            [
                str(VENV_BIN / "celery"),
                "-A",
                "bzpeer",
                "worker",
                "--pool=solo",
                "-Q",
                settings.CELERY_TASK_DEFAULT_QUEUE,
                "-n",
                "bench-web@%h",
                "--loglevel=WARNING",
            ],
            [
                str(VENV_BIN / "gunicorn"),
                "bzpeer.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--log-level",
                "warning",
            ],
        ],
        _environment(),
        ROOT / ".run" / "bench-gunicorn.log",
    )


def _graph(builds: int) -> list[tuple[str, str]]:
    """The research graph's slice of the researcher with the most works:
    built cold (SQL, networkx, layout, SVG) and served warm from the cache,
    median of ``builds`` runs each, and the queries of one cold build."""
    from django.core.cache import cache
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from bzpeer.data_version import data_version_bump
    from graph.cache import slice_get
    from graph.params import SliceParams
    from graph.svg import slice_svg
    from profiles.models import Researcher

    cache.clear()
    prolific = (
        Researcher.objects.annotate(n=Count("authorships"))
        .order_by("-n", "id")
        .values_list("openalex_id", "n")
        .first()
    )
    params = SliceParams(centre_kind="researcher", centre_key=prolific[0])
    cold, warm = [], []
    for _ in range(builds):
        data_version_bump()  # what is cached is stale: a cold build
        start = time.perf_counter()
        built = slice_get(params, build=True)
        slice_svg(built)
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        cached = slice_get(params, build=False)
        slice_svg(cached)
        warm.append(time.perf_counter() - start)
    data_version_bump()
    with CaptureQueriesContext(connection) as queries:
        built = slice_get(params, build=True)
    nodes, edges = built.graph.number_of_nodes(), built.graph.number_of_edges()
    what = f"slice of the largest researcher ({prolific[1]} works)"
    return [
        (
            f"{what}, cold build + SVG",
            f"{statistics.median(cold) * 1000:.0f} ms median of {builds}; "
            f"{len(queries)} queries; {nodes} nodes, {edges} edges",
        ),
        (
            f"{what}, warm (cache) + SVG",
            f"{statistics.median(warm) * 1000:.1f} ms median of {builds} "
            f"({statistics.median(cold) / statistics.median(warm):.0f}x faster)",
        ),
    ]


def _search_plans() -> list[str]:
    """The plans of the site search's main queries on the benchmark data
    (EXPLAIN ANALYZE, as PostgreSQL chooses them, sequential scans allowed):
    a researcher name search's first page and capped count, a topic search,
    and a works full-text search's first page and capped count."""
    from django.db import connection

    from profiles import search

    terms = search.search_terms("deepseek language models")
    queries = [
        (
            "researchers by name 'wang', first page",
            search.researcher_search(query="wang")[: search.RESULTS_PER_PAGE],
        ),
        (
            "researchers by name 'b wang', capped count",
            search.researcher_search(query="b wang")
            .order_by()
            .values("pk")[: search.COUNT_CAP + 1],
        ),
        (
            "researchers by topic 'topic modeling', first page",
            search.researcher_search(query="topic modeling")[: search.RESULTS_PER_PAGE],
        ),
        (
            "works 'deepseek language models', first page",
            search.work_search(terms=terms)[: search.RESULTS_PER_PAGE],
        ),
        (
            "works 'deepseek language models', capped count",
            search.work_search(terms=terms)
            .order_by()
            .values("pk")[: search.COUNT_CAP + 1],
        ),
    ]
    lines = []
    for label, queryset in queries:
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        lines += [f"### {label}", "", "```", plan, "```", ""]
    return lines


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; Python {platform.python_version()}, "
        f"PostgreSQL {postgres}, {platform.system()} {platform.release()}"
    )


def _commit() -> str:
    try:
        return subprocess.run(  # noqa: S603
            ["/usr/bin/git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        return ""


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", choices=sorted(SCALES), default=os.environ.get("BENCH_SCALE", "full")
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    scale = SCALES[args.scale]
    began = time.perf_counter()
    _setup()
    from bzpeer.data_version import data_version_bump

    load_rows: list[tuple[str, str]] = []
    notes: list[str] = []

    # 1. Load ---------------------------------------------------------------
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = Path(tmp) / "snapshot"
        _say("generating the snapshot")
        generated, _ = _manage(
            "generate_snapshot",
            str(snapshot),
            "--works",
            str(scale["works"]),
            "--authors",
            str(scale["authors"]),
            "--seed",
            str(SEED),
        )
        records = _records_in(snapshot)
        size = sum(p.stat().st_size for p in snapshot.rglob("*.gz")) / 1e6
        what = (
            f"generated snapshot ({scale['works']:,} works, {scale['authors']:,} "
            f"authors: {records:,} records, {size:.0f} MB gzipped; made in "
            f"{generated:.0f} s)"
        )
        _say("first load of the generated snapshot")
        first, first_peak = _manage("load_openalex_snapshot", str(snapshot))
        run = _last_run()
        load_rows.append(
            (
                f"{what}, first load",
                f"{first:.1f} s, {records / first:,.0f} records/s; "
                f"{run.created_count:,} created, {run.rejected_count} rejected; "
                f"peak memory {first_peak:.0f} MiB",
            )
        )
        _say("identical reload")
        again, again_peak = _manage("load_openalex_snapshot", str(snapshot))
        run = _last_run()
        skipped = run.checkpoint.get("files_skipped", 0)
        parts = len(list(snapshot.rglob("part_*.gz")))
        load_rows.append(
            (
                "the same files again (identical reload)",
                f"{again:.1f} s ({again / first:.0%} of the first load); "
                f"{skipped} of {parts} part files skipped unread; "
                f"{run.created_count} created, {run.updated_count} updated, "
                f"{run.unchanged_count:,} unchanged; peak memory {again_peak:.0f} MiB",
            )
        )
        _say("identical reload, every file read (--full)")
        full, full_peak = _manage("load_openalex_snapshot", str(snapshot), "--full")
        run = _last_run()
        load_rows.append(
            (
                "the same files again, every file read (`--full`)",
                f"{full:.1f} s ({full / first:.0%} of the first load); "
                f"{run.created_count} created, {run.updated_count} updated, "
                f"{run.unchanged_count:,} unchanged; peak memory {full_peak:.0f} MiB",
            )
        )
        _say("floors: COPY and parse")
        copy_seconds, copy_rows = _copy_floor()
        parse_seconds, parsed = _parse_floor(snapshot)
        load_rows += [
            (
                f"floor: COPY of the {copy_rows:,} rows the loader wrote, into "
                "the same tables without indexes or constraints",
                f"{copy_seconds:.1f} s; the first load takes "
                f"{first / copy_seconds:.1f}x this",
            ),
            (
                f"floor: decompress + parse the {parsed:,} records with orjson",
                f"{parse_seconds:.1f} s; the first load takes "
                f"{first / parse_seconds:.1f}x this",
            ),
        ]
        fingerprint = _catalog_fingerprint()
        # The sample after the generated snapshot (its floors and fingerprint
        # are of the generated load alone): the pages' reference profile.
        _say("loading the bundled sample")
        seconds, peak = _manage("load_openalex_snapshot", str(SAMPLE), "--sample")
        load_rows.append(
            (
                f"bundled sample, loaded next ({_records_in(SAMPLE)} records)",
                f"{seconds:.1f} s; peak memory {peak:.0f} MiB",
            )
        )

        # 2. Scale-out ------------------------------------------------------
        scale_rows: list[tuple[str, str]] = []
        if "--workers" in _loader_options():
            base = BENCH_DB.rsplit("/", 1)[0]
            for count in (1, 2):
                _say(f"scale-out: the load on {count} worker process(es)")
                url = f"{base}/bzpeer_bench_w{count}"
                _database_create(url)
                env = _environment(DATABASE_URL=url)
                _manage("migrate", "--noinput", env=env)
                # The command starts its N worker processes, fans the part
                # files out to them and waits for the run's end.
                seconds, _ = _manage(
                    "load_openalex_snapshot",
                    str(snapshot),
                    "--workers",
                    str(count),
                    env={**env, "CELERY_QUEUE": f"bzpeer-bench-w{count}"},
                )
                check = subprocess.run(  # noqa: S603
                    [sys.executable, __file__, "--fingerprint"],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.strip()
                same = "identical" if check == fingerprint else "DIFFERENT"
                scale_rows.append(
                    (
                        f"first load on {count} worker process(es)",
                        f"{seconds:.1f} s, {records / seconds:,.0f} records/s; "
                        f"catalog {same} to the single-process load",
                    )
                )
        else:
            notes.append(
                "Scale-out not measured: `load_openalex_snapshot` has no "
                "`--workers` option yet (part files are not fanned out to "
                "Celery workers)."
            )

    _say("trust recompute on 2 workers")
    # 3. Trust ----------------------------------------------------------------
    seconds, updated = _trust(workers=2)
    load_rows.append(
        (
            f"trust recompute of every researcher ({updated:,}) on 2 Celery "
            "worker processes",
            f"{seconds:.1f} s ({updated / seconds:,.0f} researchers/s)",
        )
    )

    _say("pages under load")
    # 4. Pages ----------------------------------------------------------------
    pages = _bench_pages()
    port = _spare_port()
    host = f"http://127.0.0.1:{port}"
    page_rows = []
    with tempfile.TemporaryDirectory() as tmp, _serve(port):
        _wait_for(host + "/bench/floor")
        for label, url in pages:
            _say(f"page: {label}")
            for _ in range(3):  # caches and connections warm
                _wait_for(host + url)
            warm = _locust(host, "OnePage", scale["seconds"], USERS, BENCH_URL=url)[url]
            cold = _cold(host, _cold_url(url), scale["cold"])
            page_rows.append((label, url, warm, cold, _page_queries(_cold_url(url))))
        data_version_bump()
        _say("mixed traffic")
        plan = _mixed_plan(Path(tmp), pages)
        mixed = _locust(
            host,
            "MixedTraffic",
            scale["seconds"] * 3,
            MIXED_USERS,
            BENCH_PLAN=str(plan),
        )

    floor_warm, floor_cold = page_rows[0][2]["p95"], page_rows[0][3][1]
    reference_cold = next(r[3][1] for r in page_rows if r[0].startswith("reference"))
    largest_cold = next(
        r[3][1] for r in page_rows if r[0].startswith("largest profile (")
    )

    _say("graph slice and search plans")
    # 6. Graph and search plans (in this process) -----------------------------
    graph = _graph(builds=10)
    search_plans = _search_plans()

    warm_worst = max((row[2]["p95"] / floor_warm, row[0]) for row in page_rows[1:])
    profile_queries = {
        r[4] for r in page_rows if r[0].startswith(("reference", "median", "largest"))
    }
    targets = [
        (
            "reload of an unchanged snapshot <= 10% of its first load",
            f"{again / first:.0%}",
            "met" if again <= 0.1 * first else "MISSED",
        ),
        (
            "warm anonymous pages: p95 <= 3x the framework floor",
            f"worst {warm_worst[0]:.1f}x ({warm_worst[1]})",
            "met" if warm_worst[0] <= 3 else "MISSED",
        ),
        (
            "cold: the largest profile <= 1.5x the reference profile",
            f"{largest_cold / reference_cold:.2f}x",
            "met" if largest_cold <= 1.5 * reference_cold else "MISSED",
        ),
        (
            "no page's query count grows with the data (profiles of every size)",
            ", ".join(str(q) for q in sorted(profile_queries)) + " queries",
            "met" if len(profile_queries) == 1 else "MISSED",
        ),
        (
            "first load: ratio to the slower floor (the closer to 1, the better)",
            f"{first / max(copy_seconds, parse_seconds):.1f}x "
            f"({'parse' if parse_seconds > copy_seconds else 'COPY'})",
            "reported",
        ),
    ]

    total = time.perf_counter() - began
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    commit = _commit()
    command = "make bench" + (" BENCH_SCALE=small" if args.scale == "small" else "")
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`scripts/bench.py`, its load generator "
        "`scripts/locustfile.py`). This machine is shared and noisy: read each "
        "figure as a ratio to the floor measured in the same run.",
        "",
        f"- Command: `{command}` ({total / 60:.1f} min in all)",
        f"- Date: {now}" + (f", commit {commit}" if commit else ""),
        f"- Machine: {_machine()}",
        "",
        "## Targets (issue 13)",
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
        *(f"| {what} | {value} | {verdict} |" for what, value, verdict in targets),
        "",
        "## Load, floors and trust",
        "",
        "Each load is a `manage.py load_openalex_snapshot` process of its own, "
        "into a fresh database of the benchmark's own.",
        "",
        "| what | result |",
        "| --- | --- |",
        *(f"| {what} | {result} |" for what, result in load_rows),
        "",
        "## Scale-out",
        "",
        *(
            ["| what | result |", "| --- | --- |"]
            + [f"| {what} | {result} |" for what, result in scale_rows]
            if scale_rows
            else notes[:1]
        ),
        "",
        f"## Pages under load (gunicorn, 2 workers, DEBUG off; locust, {USERS} "
        "connections, no pause)",
        "",
        f"Warm: {scale['seconds']} s of closed-loop load per page after three "
        f"warming requests. Cold: {scale['cold']} requests from one client, "
        "the cache emptied before each. Ratios are to the framework floor in "
        "the same mode.",
        "",
        "| page | rps | p50 | p95 | errors | p95 / floor | cold p50 | cold p95 "
        "| cold p95 / floor | queries |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *(
            f"| {label} | {warm['rps']:.0f} | {_ms(warm['p50'])} | "
            f"{_ms(warm['p95'])} | {warm['errors']} | "
            f"{warm['p95'] / floor_warm:.1f}x | {_ms(cold[0])} | {_ms(cold[1])} | "
            f"{cold[1] / floor_cold:.1f}x | {queries} |"
            for label, _, warm, cold, queries in page_rows
        ),
        "",
        f"Cold, the largest profile against the reference profile: "
        f"{largest_cold / reference_cold:.2f}x.",
        "",
        f"## Mixed traffic ({MIXED_USERS} users, {scale['seconds'] * 3} s)",
        "",
        "Profile views, searches, work pages, graph slices and the home page; a "
        "third of the users log in and follow then unfollow researchers through "
        "the site's forms (CSRF tokens included).",
        "",
        "| request | count | errors | rps | p50 | p95 |",
        "| --- | --- | --- | --- | --- | --- |",
        *(
            f"| {name} | {row['count']} | {row['errors']}"
            + (f" ({'; '.join(row['reasons'])})" if row["reasons"] else "")
            + f" | {row['rps']:.1f} | {_ms(row['p50'])} | {_ms(row['p95'])} |"
            for name, row in sorted(mixed.items())
        ),
        "",
        f"Errors in all: {sum(row['errors'] for row in mixed.values())} of "
        f"{sum(row['count'] for row in mixed.values())} requests.",
        "",
        "## Research graph",
        "",
        "| what | result |",
        "| --- | --- |",
        *(f"| {what} | {result} |" for what, result in graph),
        "",
        "## Search plans (EXPLAIN ANALYZE on this data)",
        "",
        *search_plans,
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        REPORT.write_text(text)
        print(f"written to {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    if "--fingerprint" in sys.argv:
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        print(_catalog_fingerprint())
    else:
        main()
