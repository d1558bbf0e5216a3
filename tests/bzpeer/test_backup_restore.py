"""A backup restores what it saved. The bundled sample, loaded through the
real loader into a database of its own, is dumped with ``pg_dump
--format=custom``; the database is dropped, created again and restored with
``pg_restore``: every table holds the same rows (count and checksum), every
index, constraint and sequence is back, new rows take new ids, and the site
serves the reference profile from it. The commands are those of
docs/operations.md ("Backups", "Restoring a backup"), dump and restore going
through pipes as ``docker compose exec -T db …`` makes them."""

import os
import secrets
import shutil
import subprocess
import sys
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

from tests.helpers.paths import ROOT, SAMPLE_SNAPSHOT

REFERENCE_RESEARCHER = "A5100000001"

# What the sample holds (works/sample_data/README.md).
SAMPLE_ROWS = {
    "works_institution": 13,
    "works_source": 10,
    "works_topic": 17,
    "profiles_researcher": 91,
    "works_work": 160,
}

# One process for both (each start of Django costs seconds).
_MIGRATE_AND_LOAD_THE_SAMPLE = f"""
import django
django.setup()
from django.core.management import call_command

call_command("migrate", interactive=False, verbosity=0)
call_command(
    "load_openalex_snapshot", {str(SAMPLE_SNAPSHOT)!r}, sample=True, sync_trust=True
)
"""

_APP_ON_THE_RESTORED_DATABASE = f"""
import django
django.setup()
from django.core.management import call_command
from django.test import Client
from profiles.models import Researcher
from works.text import normalize_name

call_command("migrate", check_unapplied=True, verbosity=0)  # exits 1 if behind
call_command("check")
response = Client().get("/researchers/{REFERENCE_RESEARCHER}/")
assert response.status_code == 200, response.status_code
assert "Bingxuan Wang" in response.content.decode()
# A new row takes its id from the restored sequence: no collision.
Researcher.objects.create(
    openalex_id="A5999999999",
    display_name="Restored Writer",
    search_name=normalize_name("Restored Writer"),
)
print("app works")
"""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is missing: backups need the PostgreSQL client tools "
            "(apt-get install postgresql-client-15)"
        )
    return path


def _server() -> dict:
    primary = settings.DATABASES["default"]
    return {
        "host": primary["HOST"] or "127.0.0.1",
        "port": str(primary["PORT"] or 5432),
        "user": primary["USER"] or "postgres",
        "password": primary["PASSWORD"] or "",
    }


def _client_arguments(server: dict) -> list[str]:
    """The connection options every PostgreSQL client tool takes."""
    return [f"--host={server['host']}", f"--port={server['port']}"] + [
        f"--username={server['user']}"
    ]


def _client_environment(server: dict) -> dict:
    environment = dict(os.environ)
    if server["password"]:
        environment["PGPASSWORD"] = server["password"]
    return environment


def _run(command: list[str], server: dict, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(
        command,
        capture_output=True,
        env=_client_environment(server),
        timeout=120,
        **kwargs,
    )
    assert result.returncode == 0, (command[0], result.stderr)
    return result


def _database_url(server: dict, name: str) -> str:
    password = f":{quote(server['password'], safe='')}" if server["password"] else ""
    return (
        f"postgres://{quote(server['user'], safe='')}{password}"
        f"@{server['host']}:{server['port']}/{name}"
    )


def _django(server: dict, name: str, script: str) -> str:
    """Run ``script`` in a Python process of its own with the test settings
    on database ``name``; its output."""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            **_client_environment(server),
            "DJANGO_SETTINGS_MODULE": "bzpeer.settings.test",
            "DATABASE_URL": _database_url(server, name),
        },
        timeout=180,
    )
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result.stdout


def _census(server: dict, name: str) -> dict:
    """Everything a restore must bring back: per table its row count and the
    md5 of its rows in order; the indexes, constraints and extensions; each
    sequence's position."""
    with psycopg.connect(dbname=name, **server) as connection:
        tables = [
            table
            for (table,) in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                " ORDER BY tablename"
            )
        ]
        rows = {}
        for table in tables:
            rows[table] = connection.execute(
                sql.SQL(
                    "SELECT count(*), md5(coalesce("
                    "string_agg(t::text, ',' ORDER BY t::text), '')) FROM {} t"
                ).format(sql.Identifier("public", table))
            ).fetchone()
        return {
            "rows": rows,
            # Names and kinds: PostgreSQL may print a restored definition
            # differently (an IN list's casts), meaning the same.
            "indexes": connection.execute(
                "SELECT c.relname, i.indrelid::regclass::text, i.indisunique,"
                " i.indisvalid, i.indnatts FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid"
                " WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1"
            ).fetchall(),
            "constraints": connection.execute(
                "SELECT conrelid::regclass::text, conname, contype, convalidated"
                " FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
                " ORDER BY 1, 2"
            ).fetchall(),
            "extensions": connection.execute(
                "SELECT extname FROM pg_extension ORDER BY extname"
            ).fetchall(),
            "sequences": connection.execute(
                "SELECT sequencename, last_value FROM pg_sequences"
                " WHERE schemaname = 'public' ORDER BY sequencename"
            ).fetchall(),
        }


def _ids_after_restore(server: dict, name: str) -> list[tuple[str, int, int]]:
    """(table, next id, largest id held) of every column fed by a sequence
    (identity or serial); calls ``nextval``."""
    with psycopg.connect(dbname=name, **server) as connection:
        columns = connection.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND pg_get_serial_sequence("
            "format('%I.%I', table_schema, table_name), column_name) IS NOT NULL"
            " ORDER BY table_name"
        ).fetchall()
        found = []
        for table, column in columns:
            following, largest = connection.execute(
                sql.SQL(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)),"
                    " coalesce(max({column}), 0) FROM {table}"
                ).format(
                    column=sql.Identifier(column),
                    table=sql.Identifier("public", table),
                ),
                [f'public."{table}"', column],
            ).fetchone()
            found.append((table, following, largest))
        return found


@pytest.fixture
def server():
    return _server()


@pytest.fixture
def scratch_database(server):
    """A database of this test's own on the machine's server (never the
    pytest test database, which lives inside a transaction), dropped at the
    end whatever happens."""
    name = f"bzpeer_backup_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield name
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)
            )
        )


def test_a_dump_restores_every_row_sequence_and_the_site(
    server, scratch_database, tmp_path
):
    pg_dump, pg_restore = _tool("pg_dump"), _tool("pg_restore")
    dropdb, createdb = _tool("dropdb"), _tool("createdb")
    name = scratch_database
    loaded = _django(server, name, _MIGRATE_AND_LOAD_THE_SAMPLE)
    assert "(openalex-snapshot): succeeded" in loaded
    before = _census(server, name)
    assert {table: before["rows"][table][0] for table in SAMPLE_ROWS} == SAMPLE_ROWS
    assert before["rows"]["django_migrations"][0] > 0
    assert {("pg_trgm",), ("unaccent",)} <= set(before["extensions"])

    # Out through a pipe, as from `docker compose exec -T db pg_dump …`.
    dump = tmp_path / "bzpeer.dump"
    dumped = _run(
        [pg_dump, "--format=custom", *_client_arguments(server), name], server
    )
    dump.write_bytes(dumped.stdout)
    assert dumped.stdout.startswith(b"PGDMP")

    _run([dropdb, *_client_arguments(server), "--force", name], server)
    with psycopg.connect(dbname="postgres", **server) as admin:
        assert admin.execute(
            "SELECT count(*) FROM pg_database WHERE datname = %s", [name]
        ).fetchone() == (0,)
    _run([createdb, *_client_arguments(server), name], server)
    # In through a pipe too (`docker compose exec -T db pg_restore … < dump`).
    _run(
        [
            pg_restore,
            *_client_arguments(server),
            f"--dbname={name}",
            "--no-owner",
            "--exit-on-error",
        ],
        server,
        input=dump.read_bytes(),
    )

    after = _census(server, name)
    assert after["rows"] == before["rows"]
    assert after["indexes"] == before["indexes"]
    assert after["constraints"] == before["constraints"]
    assert after["extensions"] == before["extensions"]
    assert after["sequences"] == before["sequences"]

    ids = _ids_after_restore(server, name)
    assert {table for table, _, _ in ids} >= set(SAMPLE_ROWS)
    assert [(t, n, m) for t, n, m in ids if n <= m] == []

    assert "app works" in _django(server, name, _APP_ON_THE_RESTORED_DATABASE)
