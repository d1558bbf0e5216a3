"""``manage.py import_openalex``: import researchers and their works from the
OpenAlex API (see ``works.ingest.openalex.walks`` and docs/import-openalex.md)."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from works.ingest.http import SourceError
from works.ingest.identifiers import normalize_orcid, short_openalex_id
from works.ingest.openalex.client import (
    NO_API_KEY_WARNING,
    FilterSyntaxError,
    parse_filter,
)
from works.ingest.openalex.walks import (
    PARAMETER_AUTHORS,
    PARAMETER_ORCIDS,
    AuthorCandidate,
    openalex_author_candidates,
)
from works.management.import_commands import LiveImportCommand
from works.models import ImportRun


def printable(text: str) -> str:
    """``text`` without control characters: names come from the API, and an
    escape sequence in one must not drive the operator's terminal."""
    return "".join(c for c in text if unicodedata.category(c)[0] != "C")


class Command(LiveImportCommand):
    help = (
        "Import researchers and their works from the OpenAlex API: --author, "
        "--orcid, --search (with --pick or --all), --institution or "
        "--works-filter. Importing again changes nothing; --resume RUN_ID "
        "continues a failed or interrupted run."
    )
    source = ImportRun.Source.OPENALEX_API

    def add_source_arguments(self, parser) -> None:
        what = parser.add_mutually_exclusive_group()
        what.add_argument(
            "--author",
            nargs="+",
            metavar="ID",
            help="OpenAlex author ids (A123 or https://openalex.org/A123)",
        )
        what.add_argument(
            "--orcid", nargs="+", metavar="ORCID", help="authors by ORCID iD"
        )
        what.add_argument(
            "--search",
            metavar="NAME",
            help="list the authors OpenAlex finds for NAME; import with --pick/--all",
        )
        what.add_argument(
            "--institution",
            metavar="ID",
            help="the authors whose last known institution this is, with their works",
        )
        what.add_argument(
            "--works-filter",
            metavar="FILTER",
            help='an OpenAlex works filter, e.g. "authorships.author.id:A1,'
            'publication_year:2024"',
        )
        picks = parser.add_mutually_exclusive_group()
        picks.add_argument(
            "--pick",
            nargs="+",
            type=int,
            metavar="N",
            help="with --search: import these candidates (1-based positions)",
        )
        picks.add_argument(
            "--all", action="store_true", help="with --search: import every candidate"
        )

    def handle(self, *args, **options):
        if not settings.OPENALEX_API_KEY:
            self.stderr.write(self.style.WARNING(f"warning: {NO_API_KEY_WARNING}"))
        return super().handle(*args, **options)

    def parameters(self, options: dict[str, Any]) -> dict[str, Any] | None:
        if (options["pick"] or options["all"]) and not options["search"]:
            raise CommandError("--pick and --all choose among --search candidates")
        if options["author"]:
            return {
                PARAMETER_AUTHORS: [_author_id(value) for value in options["author"]]
            }
        if options["orcid"]:
            return {PARAMETER_ORCIDS: [_orcid(value) for value in options["orcid"]]}
        if options["search"]:
            return self._search(options["search"], options["pick"], options["all"])
        if options["institution"]:
            institution = short_openalex_id(options["institution"], prefix="I")
            if institution is None:
                raise CommandError(
                    f"{options['institution']!r} is not an OpenAlex institution id"
                )
            return {"institution": institution}
        if options["works_filter"]:
            try:
                parse_filter(options["works_filter"])
            except FilterSyntaxError as exc:
                raise CommandError(str(exc)) from exc
            return {"works_filter": options["works_filter"].strip()}
        raise CommandError(
            "say what to import: --author, --orcid, --search, --institution or "
            "--works-filter (or --resume RUN_ID)"
        )

    def _search(
        self, name: str, picks: list[int] | None, take_all: bool
    ) -> dict[str, Any] | None:
        """List the candidates for ``name``; the chosen ones' ids become the
        run's authors (None, nothing imported, when none was chosen)."""
        try:
            candidates = openalex_author_candidates(name=name)
        except SourceError as exc:
            raise CommandError(exc.reason) from exc
        self._list(name, candidates)
        if not candidates:
            return None
        if take_all:
            chosen = candidates
        elif picks:
            wrong = [n for n in picks if not 1 <= n <= len(candidates)]
            if wrong:
                raise CommandError(
                    f"--pick takes positions 1 to {len(candidates)}, not "
                    + ", ".join(map(str, wrong))
                )
            chosen = [candidates[n - 1] for n in dict.fromkeys(picks)]
        else:
            self.stdout.write(
                "Nothing imported: choose with --pick N [N ...] or --all."
            )
            return None
        return {
            PARAMETER_AUTHORS: [candidate.openalex_id for candidate in chosen],
            "search": name,
        }

    def _list(self, name: str, candidates: list[AuthorCandidate]) -> None:
        write = self.stdout.write
        if not candidates:
            write(f"OpenAlex finds no author for {printable(name)!r}.")
            return
        write(f"Authors OpenAlex finds for {printable(name)!r} (1 search call):")
        for position, candidate in enumerate(candidates, start=1):
            details = [f"{candidate.works_count} works"]
            details.append(printable(candidate.affiliation) or "no affiliation")
            if candidate.topics:
                topics = ", ".join(printable(topic) for topic in candidate.topics)
                details.append(f"topics: {topics}")
            write(
                f"{position:>3}. {printable(candidate.display_name)} "
                f"({candidate.openalex_id}): " + "; ".join(details)
            )


def _author_id(value: str) -> str:
    short = short_openalex_id(value, prefix="A")
    if short is None:
        raise CommandError(f"{value!r} is not an OpenAlex author id (A123)")
    return short


def _orcid(value: str) -> str:
    orcid = normalize_orcid(value)
    if orcid is None:
        raise CommandError(f"{value!r} is not a valid ORCID iD")
    return orcid
