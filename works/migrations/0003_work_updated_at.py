from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built concurrently: the works table is the largest one, and a plain
    # CREATE INDEX would block every import while it builds.
    atomic = False

    dependencies = [
        ("works", "0002_live_imports"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="work",
            index=models.Index(fields=["updated_at"], name="work_updated_at"),
        ),
    ]
