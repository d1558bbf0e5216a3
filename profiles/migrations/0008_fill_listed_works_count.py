"""Fill listed_works_count for the researchers held before it existed (the
trust recompute keeps it from then on). One set-based UPDATE: the works each
researcher holds, the versions of one work counted once, as
profiles.services.researcher_trust_update counts them."""

from django.db import migrations

FILL = """
    UPDATE profiles_researcher r
    SET listed_works_count = held.n
    FROM (
        SELECT a.researcher_id, COUNT(DISTINCT COALESCE(w.canonical_id, w.id)) AS n
        FROM works_authorship a
        JOIN works_work w ON w.id = a.work_id
        WHERE a.researcher_id IS NOT NULL
        GROUP BY a.researcher_id
    ) held
    WHERE r.id = held.researcher_id AND r.listed_works_count <> held.n
"""


class Migration(migrations.Migration):
    dependencies = [
        ("profiles", "0007_researcher_sample_index"),
        ("works", "0005_importrun_source_choices"),
    ]

    operations = [migrations.RunSQL(FILL, reverse_sql=migrations.RunSQL.noop)]
