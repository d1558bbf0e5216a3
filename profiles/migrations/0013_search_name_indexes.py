"""Trigram indexes for finding researchers by the name of their topics and
institutions (``profiles.search``), on an accent- and case-folded name.

``unaccent`` is only STABLE (its dictionary could change), so it cannot be
indexed directly; ``bzpeer_search_fold`` fixes the dictionary and is
declared IMMUTABLE, the usual way to index it. The tables belong to works,
whose migrations must not depend on profiles: the indexes are made here,
beside the search that uses them, with raw SQL (no model state changes)."""

from django.db import migrations

FOLD_FUNCTION = """
CREATE OR REPLACE FUNCTION bzpeer_search_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, value)) $$
"""


class Migration(migrations.Migration):
    dependencies = [
        ("profiles", "0012_following"),
        ("works", "0006_work_search_and_citations_per_year"),
    ]

    operations = [
        migrations.RunSQL(
            FOLD_FUNCTION, "DROP FUNCTION IF EXISTS bzpeer_search_fold(text)"
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS topic_name_trgm ON works_topic "
            "USING gin (bzpeer_search_fold(display_name) gin_trgm_ops)",
            "DROP INDEX IF EXISTS topic_name_trgm",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS institution_name_trgm ON works_institution "
            "USING gin (bzpeer_search_fold(display_name) gin_trgm_ops)",
            "DROP INDEX IF EXISTS institution_name_trgm",
        ),
    ]
