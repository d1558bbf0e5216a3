#!/usr/bin/env python
"""``make bench``: measure BZPEER's load path and pages, and write the results
to docs/benchmarks.md with the command, the machine and the date.

Runs against a database of its own (``bzpeer_bench``, dropped and created
afresh; override with BENCH_DATABASE_URL), never the development one:

1. the bundled sample snapshot: a first load and an identical second load;
2. a synthetic snapshot made of ``--scale`` renamed copies of the sample's
   authors and works (same shape, new ids), loaded through the same loader:
   throughput and the process's peak memory;
3. the version grouping of the synthetic load's works, from scratch;
4. the trust recompute of every researcher;
5. pages through Django's test client: the reference profile, the profile of
   the researcher with the most works, and a name search; median and 95th
   percentile over ``--requests`` requests, and queries per page;
6. the research graph: the slice of the researcher with the most works,
   built cold and served warm from the cache.

    DJANGO_SETTINGS_MODULE=bzpeer.settings.test python scripts/bench.py [--scale 100]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "works" / "sample_data" / "snapshot"
REPORT = ROOT / "docs" / "benchmarks.md"
BENCH_DB = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bzpeer_bench"
)


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = BENCH_DB
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bzpeer.settings.test")
    import psycopg
    from psycopg import sql

    name = BENCH_DB.rsplit("/", 1)[1]
    admin = BENCH_DB.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _records(folder: Path):
    for part in sorted(folder.glob("updated_date=*/part_*.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)


def _rename(value, copy: int, keep: str = ""):
    """A sample id renamed into copy ``copy`` (A5100000001 -> A61000100001);
    ``keep`` stays as it is, so that author gathers every copy's works."""
    if value == keep:
        return value
    if isinstance(value, str) and value.startswith("https://openalex.org/"):
        short = value.rsplit("/", 1)[1]
        if short[0] in "AW" and short[1:].isdigit():
            return f"https://openalex.org/{short[0]}6{copy:05d}{short[1:]}"
    return value


def _renamed(record: dict, copy: int, keep: str) -> dict:
    record = dict(record)
    if record["id"] == keep:
        return record
    record["id"] = _rename(record["id"], copy)
    if "orcid" in record:
        record["orcid"] = None
    ids = dict(record.get("ids") or {})
    ids.pop("orcid", None)
    ids.pop("doi", None)
    ids["openalex"] = record["id"]
    record["ids"] = ids
    if "doi" in record:
        record["doi"] = None
    for authorship in record.get("authorships") or []:
        author = authorship.get("author") or {}
        if author.get("id") != keep:
            author["id"] = _rename(author.get("id"), copy)
            author["orcid"] = None
    # A copy is a different work: no arXiv id taken from its locations.
    for location in [record.get("primary_location"), *(record.get("locations") or [])]:
        if location and "arxiv.org" in (location.get("landing_page_url") or ""):
            location["landing_page_url"] = f"https://example.org/{record['id'][21:]}"
    return record


def _write_synthetic(root: Path, scale: int) -> int:
    """Write ``scale`` renamed copies of the sample's authors and works under
    ``root`` (the sample's institutions, sources and topics shared), and
    return the number of records written."""
    written = 0
    works = list(_records(SAMPLE / "works"))
    authors = [a["author"]["id"] for w in works for a in w["authorships"]]
    keep = max(sorted(set(authors)), key=authors.count)
    for entity in ("institutions", "sources", "topics", "authors", "works"):
        folder = root / entity / "updated_date=2026-11-01"
        folder.mkdir(parents=True)
        source = list(_records(SAMPLE / entity))
        with gzip.open(folder / "part_000.gz", "wt", encoding="utf-8") as out:
            copies = range(1, scale + 1) if entity in ("authors", "works") else [0]
            for copy in copies:
                for record in source:
                    if copy > 1 and record["id"] == keep:
                        continue  # the kept author is written once
                    if entity in ("authors", "works"):
                        record = _renamed(json.loads(json.dumps(record)), copy, keep)
                    out.write(json.dumps(record) + "\n")
                    written += 1
    return written


def _timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def _pages(requests: int) -> list[tuple[str, float, float, int]]:
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from profiles.models import Researcher

    client = Client()
    prolific = (
        Researcher.objects.annotate(n=Count("authorships"))
        .order_by("-n", "id")
        .values_list("openalex_id", "n")
        .first()
    )
    urls = [
        ("reference profile (4 works)", "/researchers/A5100000001/"),
        (
            f"largest profile ({prolific[1]} works)",
            f"/researchers/{prolific[0]}/",
        ),
        (
            "largest profile, page 3 by citations",
            f"/researchers/{prolific[0]}/?sort=citations&page=3",
        ),
        ("search 'wang'", "/search?q=wang"),
    ]
    rows = []
    for label, url in urls:
        client.get(url)  # warm the cache and the connection
        timings = []
        for _ in range(requests):
            start = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        rows.append((label, statistics.median(timings), p95, len(queries)))
    return rows


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    _setup()
    from profiles.services import researcher_trust_update
    from works.models import Work
    from works.services import snapshot_load
    from works.versions import versions_group

    results: list[tuple[str, str]] = []

    first, seconds = _timed(lambda: snapshot_load(path=SAMPLE, progress=False))
    records = first.created_count + first.updated_count + first.unchanged_count
    results.append(
        (
            f"sample snapshot, first load ({records} records)",
            f"{seconds:.2f} s ({records / seconds:,.0f} records/s)",
        )
    )
    again, seconds = _timed(lambda: snapshot_load(path=SAMPLE, progress=False))
    results.append(
        (
            "sample snapshot, identical second load",
            f"{seconds:.2f} s; {again.created_count} created, "
            f"{again.updated_count} updated",
        )
    )

    with tempfile.TemporaryDirectory() as folder:
        written = _write_synthetic(Path(folder), args.scale)
        run, seconds = _timed(lambda: snapshot_load(path=folder, progress=False))
        assert run.status == "succeeded", run.error
        results.append(
            (
                f"synthetic snapshot x{args.scale} ({written:,} records)",
                f"{seconds:.1f} s ({written / seconds:,.0f} records/s); "
                f"{run.created_count:,} created, {run.rejected_count} rejected",
            )
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results.append(("peak memory of the benchmark process so far", f"{peak:.0f} MiB"))

    # The load grouped its works as it went (inside the time above); ungroup
    # them and time that pass alone, as a first load of that size runs it.
    loaded = Work.objects.filter(updated_at__gte=run.started_at)
    works = loaded.update(canonical=None)
    grouped, seconds = _timed(lambda: versions_group(since=run.started_at))
    results.append(
        (
            f"versions_group, every work of the synthetic load ({works:,})",
            f"{seconds:.1f} s ({works / seconds:,.0f} works/s); "
            f"{grouped:,} listed under another version",
        )
    )

    updated, seconds = _timed(lambda: researcher_trust_update())
    results.append(
        (
            f"trust recompute of every researcher ({updated:,})",
            f"{seconds:.1f} s ({updated / seconds:,.0f} researchers/s)",
        )
    )
    pages = _pages(args.requests)
    graph = _graph(builds=20)
    search_plans = _search_plans()

    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        commit = subprocess.run(  # noqa: S603
            ["/usr/bin/git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`scripts/bench.py`); numbers are wall-clock on "
        "the machine below, against a database of their own, one process.",
        "",
        f"- Command: `make bench` (scale {args.scale}, {args.requests} requests "
        "per page)",
        f"- Date: {now}" + (f", commit {commit}" if commit else ""),
        f"- Machine: {_machine()}",
        "",
        "## Load and trust",
        "",
        "| what | result |",
        "| --- | --- |",
        *(f"| {what} | {result} |" for what, result in results),
        "",
        "## Research graph",
        "",
        "| what | result |",
        "| --- | --- |",
        *(f"| {what} | {result} |" for what, result in graph),
        "",
        "## Pages (Django test client, in-process, warm cache)",
        "",
        "| page | median | 95th percentile | queries |",
        "| --- | --- | --- | --- |",
        *(
            f"| {label} | {median * 1000:.1f} ms | {p95 * 1000:.1f} ms | {queries} |"
            for label, median, p95, queries in pages
        ),
        "",
        "## Search plans (EXPLAIN ANALYZE on this data)",
        "",
        *search_plans,
        "## Reading these numbers",
        "",
        "- The profile page's query count does not grow with the number of works "
        "(asserted in tests/profiles/test_pages.py); its time grows a little with "
        "the researcher's size (counting and sorting their works), not with the "
        "page shown.",
        "- One loader process writes on the order of a thousand records a second "
        "here, about half of it parsing JSON. A full OpenAlex snapshot (~10^8 "
        "authors, 2-3 x 10^8 works) therefore needs its part files loaded by "
        "several processes at once; pages of concurrent runs are serialized only "
        "for the write itself (works.ingest.runs.catalog_write_lock).",
        "- The loader streams part files in batches of 5,000 lines and never "
        "holds a file whole; compare the peak memory of runs at two scales to "
        "see what grows with the data.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        REPORT.write_text(text)
        print(f"written to {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
