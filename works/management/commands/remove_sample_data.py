"""``manage.py remove_sample_data``: take the bundled sample dataset out of the
catalog once real data is imported (see ``works.services.sample_data_remove``)."""

from django.core.management.base import BaseCommand

from works.services import sample_data_remove


class Command(BaseCommand):
    help = (
        "Remove the bundled sample dataset: its fictional researchers and the "
        "works, institutions, sources and topics only it brought. Imported "
        "data stays; the sample-data banner goes."
    )

    def handle(self, *args, **options):
        removed = sample_data_remove()
        counts = ", ".join(f"{count} {kind}" for kind, count in removed.items())
        self.stdout.write(f"Sample data removed: {counts}.")
