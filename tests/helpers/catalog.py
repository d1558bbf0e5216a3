"""The catalog's tables, digested: equal digests mean identical rows."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

CATALOG_TABLES = (
    "works_institution",
    "works_source",
    "works_topic",
    "profiles_researcher",
    "profiles_researchertopic",
    "works_work",
    "works_authorship",
    "works_authorshipinstitution",
    "works_worktopic",
)


def catalog_digest(
    tables: Sequence[str] = CATALOG_TABLES, *, ignoring: Sequence[str] = ()
) -> dict[str, tuple[int, str]]:
    """Row count and an MD5 over every column of every row (timestamps and ids
    included) of each of ``tables`` (the catalog's by default), but for the
    columns ``ignoring`` names: equal digests mean identical rows."""
    row = "(to_jsonb(t) - %s::text[])::text" if ignoring else "t::text"
    digest = {}
    with connection.cursor() as cursor:
        for name in tables:
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg({row}, '|' "
                f"ORDER BY id), '')) FROM {name} t",
                [list(ignoring)] if ignoring else None,
            )
            digest[name] = cursor.fetchone()
    return digest
