"""The covering index of a profile's works list (``Work.Meta.indexes``),
built concurrently: the works table is the largest, and a plain CREATE INDEX
would block every import while it builds."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("works", "0008_snapshot_part_skipping"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="work",
            index=models.Index(
                fields=["id"],
                include=(
                    "canonical",
                    "publication_year",
                    "publication_date",
                    "cited_by_count",
                ),
                name="work_listing_keys",
            ),
        ),
    ]
