"""``manage.py generate_snapshot OUT --works N --authors M --seed S``: write a
synthetic OpenAlex snapshot for benchmarks (``works.synthetic_snapshot``),
which ``load_openalex_snapshot OUT`` loads."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError

from works.synthetic_snapshot import (
    DEFAULT_COMPRESSLEVEL,
    DEFAULT_PART_SIZE,
    snapshot_generate,
)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Write a synthetic OpenAlex snapshot (works, authors and the institutions, "
        "sources and topics they name) with the field density and heavy-tailed "
        "distributions of real records. The same arguments write the same bytes."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", help="folder to write (new or empty)")
        parser.add_argument("--works", type=_positive, required=True)
        parser.add_argument("--authors", type=_positive, required=True)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--part-size",
            type=_positive,
            default=DEFAULT_PART_SIZE,
            help=f"records per part file (default {DEFAULT_PART_SIZE:,})",
        )
        parser.add_argument(
            "--jobs",
            type=_positive,
            default=min(4, os.cpu_count() or 1),
            help="processes writing the works' part files (default: up to 4 "
            "CPUs); the output does not depend on it",
        )
        parser.add_argument(
            "--compresslevel",
            type=int,
            choices=range(10),
            default=DEFAULT_COMPRESSLEVEL,
            metavar="0-9",
            help=f"gzip level (default {DEFAULT_COMPRESSLEVEL})",
        )
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="replace the entity folders of an earlier snapshot in OUT",
        )

    def handle(self, *args, out, works, authors, seed, part_size, jobs, **options):
        try:
            summary = snapshot_generate(
                out=out,
                works=works,
                authors=authors,
                seed=seed,
                part_size=part_size,
                jobs=jobs,
                compresslevel=options["compresslevel"],
                overwrite=options["overwrite"],
                progress=self.stderr.write if options["verbosity"] > 1 else None,
            )
        except (ValueError, FileExistsError) as exc:
            raise CommandError(str(exc)) from exc
        write = self.stdout.write
        write(f"Snapshot written to {out} in {summary.seconds:.1f} s")
        write(f"{'entity':13} {'records':>9} {'files':>6} {'MB':>9}")
        for files in summary.files:
            write(
                f"{files.entity:13} {files.records:>9,} {files.files:>6} "
                f"{files.bytes / 1e6:>9.1f}"
            )
        for name, value in summary.figures.items():
            write(f"  {name}: {value}")
